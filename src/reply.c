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

#include <string.h>

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
		return refuse(r, r_why, "reply line without a reply code");
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
