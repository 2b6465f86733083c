/*
 * reply.c: SMTP reply lines (RFC 5321 4.2), parsed strictly.
 *
 *     reply-line = code [ ( SP / "-" ) text ]
 *     code       = %x32-35 %x30-35 %x30-39
 *
 * with an RFC 3463 enhanced status code "class.subject.detail SP" at the
 * start of the text recognised and split off.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "codec.h"
#include "reply.h"

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The length of an enhanced status code with its space at the start of
 * the LEN bytes at P ("5.7.0 "; class 2, 4 or 5, subject and detail of 1
 * to 3 digits), or 0.
 */
static size_t
enhanced_len(const char *p, size_t len)
{
	size_t i, n;
	int part;

	if (len < 6 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return 0;
	i = 2;
	for (part = 0; part < 2; part++) {
		for (n = 0; i < len && is_digit(p[i]) && n < 3; i++, n++)
			;
		if (n == 0)
			return 0;
		if (part == 0) {
			if (i >= len || p[i] != '.')
				return 0;
			i++;
		}
	}
	if (i >= len || p[i] != ' ')
		return 0;
	return i + 1;
}

static enum getk_err
refuse(struct getk_reply_line *r, const char **r_why, const char *why)
{
	memset(r, 0, sizeof(*r));
	*r_why = why;
	return GETK_ERR_PROTO;
}

enum getk_err
getk_reply_line_parse(const char *line, size_t len, struct getk_reply_line *r,
    const char **r_why)
{
	size_t skip;

	memset(r, 0, sizeof(*r));
	*r_why = NULL;
	if (len > GETK_REPLY_LINE_MAX - 2)
		return refuse(r, r_why, "reply line too long");
	if (len < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || !is_digit(line[2]))
		return refuse(r, r_why,
		    "reply line without a valid reply code");
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return refuse(r, r_why, "reply code not followed by a space "
		    "or a hyphen");
	if (memchr(line, '\0', len))
		return refuse(r, r_why, "NUL byte in a reply line");
	r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
	    (line[2] - '0');
	r->last = len == 3 || line[3] == ' ';
	r->text = line + (len > 3 ? 4 : 3);
	r->textlen = len > 3 ? len - 4 : 0;
	r->msg = r->text;
	r->msglen = r->textlen;
	skip = enhanced_len(r->text, r->textlen);
	if (skip && r->text[0] != line[0]) {
		r->enhanced_mismatch = 1;
	} else if (skip) {
		memcpy(r->enhanced, r->text, skip - 1);
		r->enhanced[skip - 1] = '\0';
		r->msg = r->text + skip;
		r->msglen = r->textlen - skip;
	}
	return GETK_OK;
}

void
getk_multiline_init(struct getk_multiline *m)
{
	memset(m, 0, sizeof(*m));
}

/* Appends LEN bytes at P to M's text, made printable, after a space. */
static void
text_add(struct getk_multiline *m, const char *p, size_t len)
{
	size_t used = strlen(m->text);

	if (len == 0 || used + 2 >= sizeof(m->text))
		return;
	m->text[used++] = ' ';
	getk_printable(m->text + used, sizeof(m->text) - used, p, len);
}

enum getk_err
getk_multiline_feed(struct getk_multiline *m, const char *line, size_t len,
    struct getk_reply_line *r_line, const char **r_why)
{
	struct getk_reply_line r;
	enum getk_err err;

	*r_why = NULL;
	if (r_line)
		memset(r_line, 0, sizeof(*r_line));
	if (m->done) {
		*r_why = "reply line after the end of the reply";
		return GETK_ERR_PROTO;
	}
	err = getk_reply_line_parse(line, len, &r, r_why);
	if (err)
		return err;
	if (m->lines && r.code != m->code) {
		*r_why = "reply lines carry different codes";
		return GETK_ERR_PROTO;
	}
	if (m->lines >= GETK_REPLY_MAX_LINES) {
		*r_why = "reply of too many lines";
		return GETK_ERR_PROTO;
	}
	if (m->lines++ == 0) {
		m->code = r.code;
		memcpy(m->enhanced, r.enhanced, sizeof(m->enhanced));
		snprintf(m->text, sizeof(m->text), "%d", r.code);
		text_add(m, m->enhanced, strlen(m->enhanced));
	}
	text_add(m, r.msg, r.msglen);
	m->done = r.last;
	if (r_line)
		*r_line = r;
	return GETK_OK;
}
