/*
 * getkreply.c: the GETK reply parser.
 *
 * A success reply is
 *
 *     250-[2.0.0 ]OPENPGP <octets>
 *     250-[2.0.0 ]<76 base64 characters>
 *     ...
 *     250-[2.0.0 ]<1 to 76 base64 characters, a multiple of 4>
 *     250 [2.0.0 ]END
 *
 * and is parsed strictly (GETK.md 6.4): one code on every line, strict
 * base64, the decoded length equal to <octets>, <octets> within the limit.
 * Any other reply is a failure reply whose code and first text line are
 * kept for the caller, the text made printable.  Each line is first
 * parsed by getk_reply_line_parse (reply.c), the one reply-line parser.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "getkreply.h"

enum reply_state {
	RS_FIRST,	/* nothing seen yet */
	RS_DATA,	/* success reply: expecting data lines or END */
	RS_LAST_DATA,	/* a short data line was seen: only END may follow */
	RS_ERROR_TEXT,	/* a failure reply continues */
	RS_DONE,	/* the reply is complete */
	RS_FAILED	/* a feed failed; the parser is spent */
};

struct getk_reply {
	enum reply_state state;
	int code;
	size_t max_octets;
	size_t octets;		/* announced decoded length */
	size_t lines;		/* lines seen */
	struct getk_buf data;	/* decoded key data */
	char text[GETK_REPLY_TEXT_MAX];	/* printable */
	char enhanced[16];
	char problem[128];
};

enum getk_err
getk_reply_new(size_t max_octets, struct getk_reply **r_reply)
{
	struct getk_reply *reply;

	*r_reply = NULL;
	reply = calloc(1, sizeof(*reply));
	if (!reply)
		return GETK_ERR_NOMEM;
	if (max_octets == 0 || max_octets > GETK_MAX_OCTETS)
		max_octets = GETK_MAX_OCTETS;
	reply->max_octets = max_octets;
	reply->state = RS_FIRST;
	getk_buf_init(&reply->data, max_octets);
	*r_reply = reply;
	return GETK_OK;
}

void
getk_reply_free(struct getk_reply *reply)
{
	if (!reply)
		return;
	getk_buf_free(&reply->data);
	free(reply);
}

static enum getk_err
reply_fail(struct getk_reply *reply, enum getk_err err, const char *why)
{
	reply->state = RS_FAILED;
	snprintf(reply->problem, sizeof(reply->problem), "%s", why);
	return err;
}

static int
ascii_casecmp_n(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		char x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 1;
	}
	return 0;
}

/* Parses "OPENPGP <octets>" (format name case-insensitive). */
static enum getk_err
parse_header(struct getk_reply *reply, const char *p, size_t len)
{
	size_t i, n = 0;

	if (len < 9 || ascii_casecmp_n(p, "OPENPGP ", 8) != 0)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "success reply does not start with OPENPGP <octets>");
	for (i = 8; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return reply_fail(reply, GETK_ERR_PROTO,
			    "bad octet count in GETK reply");
		/* Any count past the limit is "too big", however long. */
		if (n <= GETK_MAX_OCTETS)
			n = n * 10 + (size_t)(p[i] - '0');
	}
	if (n == 0 || p[8] == '0')
		return reply_fail(reply, GETK_ERR_PROTO,
		    "octet count in GETK reply out of range");
	if (n > reply->max_octets)
		return reply_fail(reply, GETK_ERR_TOOBIG,
		    "key larger than the size limit");
	reply->octets = n;
	return GETK_OK;
}

static enum getk_err
parse_data(struct getk_reply *reply, const char *p, size_t len)
{
	enum getk_err err;

	if (reply->state == RS_LAST_DATA)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "data line after the last (short) data line");
	if (len == 0 || len > 76 || len % 4)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "data line of bad length in GETK reply");
	if (len < 76)
		reply->state = RS_LAST_DATA;
	/* Padding ends the data: nothing may follow a line that has it. */
	if (p[len - 1] == '=')
		reply->state = RS_LAST_DATA;
	err = getk_base64_decode(p, len, &reply->data);
	if (err == GETK_ERR_TOOBIG)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "GETK reply holds more data than announced");
	if (err == GETK_ERR_SYNTAX)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "bad base64 in GETK reply");
	if (err)
		return reply_fail(reply, err, getk_strerror(err));
	if (reply->data.len > reply->octets)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "GETK reply holds more data than announced");
	return GETK_OK;
}

enum getk_err
getk_reply_feed(struct getk_reply *reply, const char *line, size_t len,
    int *r_done)
{
	struct getk_reply_line rl;
	const char *p, *why;
	int last;

	*r_done = 0;
	if (reply->state == RS_DONE || reply->state == RS_FAILED)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "reply line after the end of the reply");
	if (getk_reply_line_parse(line, len, &rl, &why) != GETK_OK)
		return reply_fail(reply, GETK_ERR_PROTO, why);
	/* GETK has no intermediate reply: a 3yz server awaits data we
	 * never send, and the session's framing is lost. */
	if (rl.code / 100 == 3)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "unexpected intermediate reply to GETK");
	if (rl.enhanced_mismatch)
		return reply_fail(reply, GETK_ERR_PROTO,
		    "enhanced status code does not match the reply code");

	if (reply->state == RS_FIRST) {
		reply->code = rl.code;
		memcpy(reply->enhanced, rl.enhanced, sizeof(reply->enhanced));
	} else if (rl.code != reply->code) {
		return reply_fail(reply, GETK_ERR_PROTO,
		    "reply lines carry different codes");
	}
	last = rl.last;
	p = rl.msg;
	len = rl.msglen;
	reply->lines++;

	if (reply->code != 250) {
		if (reply->state == RS_FIRST) {
			getk_printable(reply->text, sizeof(reply->text), p,
			    len);
			reply->state = RS_ERROR_TEXT;
		}
		if (reply->code / 100 == 2)
			return reply_fail(reply, GETK_ERR_PROTO,
			    "unexpected success code in GETK reply");
		if (reply->lines > GETK_MAX_ERROR_LINES)
			return reply_fail(reply, GETK_ERR_PROTO,
			    "failure reply too long");
		if (last) {
			reply->state = RS_DONE;
			*r_done = 1;
		}
		return GETK_OK;
	}

	if (reply->state == RS_FIRST) {
		enum getk_err err;

		if (last)
			return reply_fail(reply, GETK_ERR_PROTO,
			    "single-line 250 reply to GETK");
		err = parse_header(reply, p, len);
		if (err)
			return err;
		reply->state = RS_DATA;
		return GETK_OK;
	}
	if (last) {
		if (len != 3 || ascii_casecmp_n(p, "END", 3) != 0)
			return reply_fail(reply, GETK_ERR_PROTO,
			    "GETK reply does not end with END");
		if (reply->data.len != reply->octets)
			return reply_fail(reply, GETK_ERR_PROTO,
			    "decoded length does not match the octet count");
		reply->state = RS_DONE;
		*r_done = 1;
		return GETK_OK;
	}
	return parse_data(reply, p, len);
}

int
getk_reply_code(const struct getk_reply *reply)
{
	return reply->code;
}

const char *
getk_reply_text(const struct getk_reply *reply)
{
	return reply->text;
}

const char *
getk_reply_enhanced(const struct getk_reply *reply)
{
	return reply->enhanced;
}

const unsigned char *
getk_reply_data(const struct getk_reply *reply, size_t *r_len)
{
	*r_len = 0;
	if (reply->state != RS_DONE || reply->code != 250)
		return NULL;
	*r_len = reply->data.len;
	return (const unsigned char *)reply->data.data;
}

const char *
getk_reply_problem(const struct getk_reply *reply)
{
	return reply->problem;
}
