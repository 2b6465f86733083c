/*
 * mtareply.c: gathering the MTA's replies and rewriting its EHLO reply.
 *
 * Which EHLO keywords getkd passes on is one table: a keyword is carried
 * when getkd relays the commands it announces correctly.  Everything it
 * does not know is dropped, since an extension may change the framing
 * of the session in ways getkd would not follow (RFC 5321 4.1.1.1 lets a
 * server offer any subset).
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "mtareply.h"
#include "reply.h"

/* What getkd does with an EHLO keyword of the MTA. */
enum kw_action {
	KW_KEEP,		/* pass it on */
	KW_DROP			/* remove it */
};

enum kw_flag {
	KF_NONE,
	KF_PIPELINING,
	KF_CHUNKING,
	KF_ENHANCED,
	KF_SMTPUTF8,
	KF_XCLIENT
};

static const struct {
	const char *name;	/* upper case */
	enum kw_action action;
	enum kw_flag flag;
} ehlo_keywords[] = {
	{ "PIPELINING", KW_KEEP, KF_PIPELINING },	/* RFC 2920 */
	{ "SIZE", KW_KEEP, KF_NONE },			/* RFC 1870 */
	{ "8BITMIME", KW_KEEP, KF_NONE },		/* RFC 6152 */
	{ "ENHANCEDSTATUSCODES", KW_KEEP, KF_ENHANCED },	/* RFC 2034 */
	{ "DSN", KW_KEEP, KF_NONE },			/* RFC 3461 */
	{ "SMTPUTF8", KW_KEEP, KF_SMTPUTF8 },		/* RFC 6531 */
	{ "CHUNKING", KW_KEEP, KF_CHUNKING },		/* RFC 3030 */
	{ "BINARYMIME", KW_KEEP, KF_NONE },		/* RFC 3030 */
	{ "VRFY", KW_KEEP, KF_NONE },
	{ "EXPN", KW_KEEP, KF_NONE },
	{ "HELP", KW_KEEP, KF_NONE },
	{ "ETRN", KW_KEEP, KF_NONE },			/* RFC 1985 */
	{ "AUTH", KW_KEEP, KF_NONE },			/* RFC 4954 */
	{ "DELIVERBY", KW_KEEP, KF_NONE },		/* RFC 2852 */
	{ "MT-PRIORITY", KW_KEEP, KF_NONE },		/* RFC 6710 */
	{ "LIMITS", KW_KEEP, KF_NONE },			/* RFC 9422 */
	/* getkd's own, added by it. */
	{ "STARTTLS", KW_DROP, KF_NONE },
	{ "GETK", KW_DROP, KF_NONE },
	{ "XGETK", KW_DROP, KF_NONE },
	/* For getkd alone, never for its clients. */
	{ "XCLIENT", KW_DROP, KF_XCLIENT },
	{ "XFORWARD", KW_DROP, KF_NONE },
	/* The MTA never sees the client's TLS. */
	{ "REQUIRETLS", KW_DROP, KF_NONE },
};

void
getk_mtareply_init(struct getk_mtareply *r)
{
	memset(r, 0, sizeof(*r));
	/* A reply of the most lines, each of the longest. */
	getk_buf_init(&r->raw, GETK_MTAREPLY_MAX_LINES * GETK_REPLY_LINE_MAX);
}

void
getk_mtareply_reset(struct getk_mtareply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->done = 0;
	r->raw.len = 0;
	if (r->raw.data)
		r->raw.data[0] = '\0';
}

void
getk_mtareply_free(struct getk_mtareply *r)
{
	getk_buf_free(&r->raw);
	getk_mtareply_reset(r);
}

enum getk_err
getk_mtareply_feed(struct getk_mtareply *r, const char *line, size_t len,
    const char **r_why)
{
	struct getk_reply_line rl;
	size_t before = r->raw.len;
	enum getk_err err;

	*r_why = NULL;
	if (r->done || r->nlines >= GETK_MTAREPLY_MAX_LINES) {
		*r_why = "too many lines in one reply";
		return GETK_ERR_PROTO;
	}
	err = getk_reply_line_parse(line, len, &rl, r_why);
	if (err)
		return err;
	if (r->nlines && rl.code != r->code) {
		*r_why = "reply lines with different codes";
		return GETK_ERR_PROTO;
	}
	err = getk_buf_add(&r->raw, line, len);
	if (!err)
		err = getk_buf_add(&r->raw, "\r\n", 2);
	if (err) {
		r->raw.len = before;
		return err == GETK_ERR_TOOBIG ? GETK_ERR_PROTO : err;
	}
	r->code = rl.code;
	r->nlines++;
	r->done = rl.last;
	return GETK_OK;
}

/* The table entry of the keyword that starts the LEN bytes at P, or -1. */
static int
keyword_find(const char *p, size_t len)
{
	size_t n, i;

	for (n = 0; n < len && p[n] != ' ' && p[n] != '='; n++)
		;
	for (i = 0; i < sizeof(ehlo_keywords) / sizeof(ehlo_keywords[0]); i++)
		if (strlen(ehlo_keywords[i].name) == n &&
		    strncasecmp(ehlo_keywords[i].name, p, n) == 0)
			return (int)i;
	return -1;
}

/* Appends "250-TEXT"; the last line's mark is set after. */
static enum getk_err
add_line(struct getk_buf *out, const char *text, size_t len)
{
	enum getk_err err;

	err = getk_buf_add(out, "250-", 4);
	if (!err)
		err = getk_buf_add(out, text, len);
	if (!err)
		err = getk_buf_add(out, "\r\n", 2);
	return err;
}

enum getk_err
getk_ehlo_rewrite(const struct getk_mtareply *r, int offer_starttls,
    int offer_getk, struct getk_buf *out, struct getk_ehlo_caps *r_caps)
{
	const char *p = r->raw.data, *end = r->raw.data + r->raw.len;
	size_t start = out->len, n;
	enum getk_err err = GETK_OK;

	memset(r_caps, 0, sizeof(*r_caps));
	if (r->code != 250 || !r->done)
		return getk_buf_add(out, r->raw.data ? r->raw.data : "",
		    r->raw.len);
	r_caps->ok = 1;
	for (n = 0; p < end && !err; n++) {
		/* Each line ends in CRLF (feed adds it); the text may hold
		 * CRs of its own, never an LF. */
		const char *eol = (const char *)memchr(p, '\n',
		    (size_t)(end - p)) - 1;
		const char *text = p + 4;
		size_t tlen = (size_t)(eol - p) < 4 ? 0 :
		    (size_t)(eol - p) - 4;
		int k;

		if ((size_t)(eol - p) <= 3)
			text = eol;
		k = n == 0 ? -1 : keyword_find(text, tlen);
		if (n == 0) {
			err = add_line(out, text, tlen);
		} else if (k >= 0) {
			switch (ehlo_keywords[k].flag) {
			case KF_PIPELINING: r_caps->pipelining = 1; break;
			case KF_CHUNKING: r_caps->chunking = 1; break;
			case KF_ENHANCED: r_caps->enhanced = 1; break;
			case KF_SMTPUTF8: r_caps->smtputf8 = 1; break;
			case KF_XCLIENT: r_caps->xclient = 1; break;
			case KF_NONE: break;
			}
			if (ehlo_keywords[k].action == KW_KEEP)
				err = add_line(out, text, tlen);
		}
		p = eol + 2;
	}
	if (!err && offer_starttls)
		err = add_line(out, "STARTTLS", 8);
	if (!err && offer_getk)
		err = add_line(out, "GETK OPENPGP", 12);
	if (err) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		return err;
	}
	/* The last line: "250 " in place of "250-". */
	for (p = out->data + out->len - 2; p > out->data + start &&
	    p[-1] != '\n'; p--)
		;
	out->data[p - out->data + 3] = ' ';
	return GETK_OK;
}
