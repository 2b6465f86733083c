/*
 * cmdline.c: checking and classifying SMTP command lines (getkd's side).
 *
 * Where a line ends is decided once, by getkd, at LF; a line that ends
 * in a bare LF or holds a bare CR is refused rather than passed on, so
 * that getkd and the MTA behind it can never disagree about where one
 * command ends and the next begins (the "SMTP smuggling" of 2023).
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "addr.h"
#include "cmdline.h"

static const char reply_syntax[] = "501 5.5.2 Syntax error\r\n";
static const char reply_address[] = "501 5.1.3 Bad address syntax\r\n";
static const char reply_param[] = "501 5.5.4 Unknown parameter\r\n";
static const char reply_format[] = "504 5.5.4 Key format not supported\r\n";
static const char reply_bdat[] = "501 5.5.4 Syntax error in parameters\r\n";

enum getk_cmdline_check
getk_cmdline_check(const char *line, size_t len)
{
	size_t body = len, i;

	if (len > GETK_CMDLINE_MAX ||
	    (len == GETK_CMDLINE_MAX && line[len - 1] != '\n'))
		return GETK_CMDLINE_TOO_LONG;
	if (memchr(line, '\0', len))
		return GETK_CMDLINE_NUL;
	if (body && line[body - 1] == '\n') {
		body--;
		if (body == 0 || line[body - 1] != '\r')
			return GETK_CMDLINE_BARE_LF;
		body--;
	}
	for (i = 0; i < body; i++)
		if (line[i] == '\r' || line[i] == '\n')
			return line[i] == '\r' ? GETK_CMDLINE_BARE_CR :
			    GETK_CMDLINE_BARE_LF;
	return GETK_CMDLINE_OK;
}

const char *
getk_cmdline_check_reply(enum getk_cmdline_check c)
{
	switch (c) {
	case GETK_CMDLINE_OK:
		break;
	case GETK_CMDLINE_TOO_LONG:
		return "500 5.5.2 Line too long\r\n";
	case GETK_CMDLINE_NUL:
		return "500 5.5.2 NUL byte in command\r\n";
	case GETK_CMDLINE_BARE_LF:
		return "500 5.5.2 Bare LF received; lines must end in CRLF\r\n";
	case GETK_CMDLINE_BARE_CR:
		return "500 5.5.2 Bare CR received; lines must end in CRLF\r\n";
	}
	return "500 5.5.2 Syntax error\r\n";
}

/* Whether the LEN bytes at P are WORD, case-insensitively (getkd runs in
 * the C locale: ASCII). */
static int
word_is(const char *p, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(p, word, len) == 0;
}

static const struct {
	const char *name;	/* lower case */
	enum getk_verb verb;
} verbs[] = {
	{ "ehlo", GETK_VERB_EHLO },
	{ "helo", GETK_VERB_HELO },
	{ "starttls", GETK_VERB_STARTTLS },
	{ "getk", GETK_VERB_GETK },
	{ "xgetk", GETK_VERB_GETK },
	{ "mail", GETK_VERB_MAIL },
	{ "rcpt", GETK_VERB_RCPT },
	{ "data", GETK_VERB_DATA },
	{ "bdat", GETK_VERB_BDAT },
	{ "rset", GETK_VERB_RSET },
	{ "quit", GETK_VERB_QUIT },
	{ "xclient", GETK_VERB_XCLIENT },
	{ "xforward", GETK_VERB_XFORWARD },
};

/*
 * The length of the valid UTF-8 sequence (RFC 3629: no overlong forms,
 * no surrogates, at most U+10FFFF) starting at P, or 0.
 */
static size_t
utf8_len(const unsigned char *p, size_t len)
{
	size_t n, i;
	unsigned long cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

/*
 * Checks a mailbox.  An ASCII one as getk_mailbox_check(); one with
 * UTF-8 (RFC 6531 3.3: UTF8-non-ascii is allowed in atext, qtext and
 * sub-domains) as the same syntax with every UTF-8 character taken as a
 * letter.  Sets *R_UTF8.  Zero when it is not a mailbox.
 */
static int
mailbox_ok(const char *s, size_t len, int *r_utf8)
{
	char copy[GETK_CMDLINE_MAX];
	size_t i, n, out = 0;

	*r_utf8 = 0;
	if (len == 0 || len > sizeof(copy))
		return 0;
	for (i = 0; i < len; i += n) {
		n = utf8_len((const unsigned char *)s + i, len - i);
		if (n == 0)
			return 0;
		if (n > 1)
			*r_utf8 = 1;
		copy[out++] = n > 1 ? 'u' : s[i];
	}
	/* The octet limits apply to the UTF-8 form. */
	if (len > GETK_MAX_MAILBOX)
		return 0;
	return getk_mailbox_check(copy, out) == NULL;
}

/*
 * The first C at or after P outside a quoted string (where a backslash
 * quotes the next character), or END: the end of a mailbox without angle
 * brackets (C a space), or its closing '>'.
 */
static const char *
unquoted(const char *p, const char *end, char c)
{
	int quoted = 0;

	for (; p < end; p++) {
		if (quoted && *p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (*p == c && !quoted)
			break;
	}
	return p;
}

static enum getk_err
parse_getk(struct getk_cmd *r, const char **r_reply)
{
	const char *p = r->args, *end = r->args + r->argslen, *mend, *at;
	int utf8;

	if (r->argslen == 0 || *p == ' ') {
		*r_reply = reply_syntax;
		return GETK_ERR_SYNTAX;
	}
	if (*p == '<') {
		mend = unquoted(p + 1, end, '>');
		if (mend == end) {
			*r_reply = reply_address;
			return GETK_ERR_SYNTAX;
		}
		r->mailbox = p + 1;
		r->mailboxlen = (size_t)(mend - p - 1);
		p = mend + 1;
	} else {
		mend = unquoted(p, end, ' ');
		r->mailbox = p;
		r->mailboxlen = (size_t)(mend - p);
		p = mend;
	}
	if (!mailbox_ok(r->mailbox, r->mailboxlen, &utf8)) {
		*r_reply = reply_address;
		return GETK_ERR_SYNTAX;
	}
	r->utf8 = utf8;
	for (at = r->mailbox + r->mailboxlen; at[-1] != '@'; at--)
		;
	r->local = r->mailbox;
	r->locallen = (size_t)(at - 1 - r->mailbox);
	r->domain = at;
	r->domainlen = (size_t)(r->mailbox + r->mailboxlen - at);
	/* Parameters: *(SP getk-param). */
	while (p < end) {
		const char *w, *wend;

		if (*p != ' ' || p + 1 >= end || p[1] == ' ') {
			*r_reply = reply_syntax;
			return GETK_ERR_SYNTAX;
		}
		w = p + 1;
		for (wend = w; wend < end && *wend != ' '; wend++)
			;
		if (word_is(w, (size_t)(wend - w), "smtputf8")) {
			r->smtputf8 = 1;
		} else if (wend - w > 7 && word_is(w, 7, "format=")) {
			if (!word_is(w + 7, (size_t)(wend - w - 7), "openpgp")) {
				*r_reply = reply_format;
				return GETK_ERR_SYNTAX;
			}
		} else {
			*r_reply = reply_param;
			return GETK_ERR_SYNTAX;
		}
		p = wend;
	}
	return GETK_OK;
}

/* "BDAT" SP chunk-size [SP "LAST"] (RFC 3030 2). */
static enum getk_err
parse_bdat(struct getk_cmd *r, const char **r_reply)
{
	const char *p = r->args, *end = r->args + r->argslen;
	unsigned long long n = 0;
	size_t digits = 0;

	for (; p < end && *p >= '0' && *p <= '9'; p++, digits++) {
		if (digits == 18)
			goto bad;
		n = n * 10 + (unsigned long long)(*p - '0');
	}
	if (digits == 0)
		goto bad;
	if (p < end) {
		if (*p != ' ' || !word_is(p + 1, (size_t)(end - p - 1), "last"))
			goto bad;
		r->last = 1;
	}
	r->chunk = n;
	return GETK_OK;
bad:
	*r_reply = reply_bdat;
	return GETK_ERR_SYNTAX;
}

enum getk_err
getk_cmdline_parse(const char *line, size_t len, struct getk_cmd *r,
    const char **r_reply)
{
	size_t vlen, i;

	memset(r, 0, sizeof(*r));
	*r_reply = NULL;
	r->verb = GETK_VERB_OTHER;
	r->args = "";
	for (vlen = 0; vlen < len && line[vlen] != ' '; vlen++)
		;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (word_is(line, vlen, verbs[i].name)) {
			r->verb = verbs[i].verb;
			break;
		}
	if (vlen < len) {
		r->args = line + vlen + 1;
		r->argslen = len - vlen - 1;
	}
	switch (r->verb) {
	case GETK_VERB_GETK:
		return parse_getk(r, r_reply);
	case GETK_VERB_BDAT:
		return parse_bdat(r, r_reply);
	default:
		return GETK_OK;
	}
}
