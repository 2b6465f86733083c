/*
 * test-message.c: unit tests of src/message.c, the header section reader
 * (fed in one piece and in pieces of every size) and the recipients of
 * "sendmail -t".
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "message.h"
#include "unit.h"

/* The same text with every LF made CRLF; the caller frees it. */
static char *
crlf(const char *s)
{
	size_t i, n = 0, len = strlen(s);
	char *out = malloc(2 * len + 1);

	if (!out)
		BAIL_OUT("out of memory");
	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			out[n++] = '\r';
		out[n++] = s[i];
	}
	out[n] = '\0';
	return out;
}

/*
 * Feeds the LEN bytes at BUF to a new reader in one piece (AT_EOF): on
 * success *R_HEADERS is the section, or NULL when it has not ended, and
 * *R_CONSUMED its length (0 while it goes on).
 */
static enum getk_err
parse_once(const char *buf, size_t len, int at_eof,
    struct getk_headers **r_headers, size_t *r_consumed, const char **r_why)
{
	struct getk_header_reader *rd = NULL;
	size_t used = 0, restlen = 0;
	int done = 0;
	enum getk_err err;

	*r_headers = NULL;
	*r_consumed = 0;
	*r_why = NULL;
	err = getk_header_reader_new(&rd);
	if (err)
		BAIL_OUT("out of memory");
	err = getk_header_reader_feed(rd, buf, len, at_eof, &used, &done,
	    r_why);
	if (!err && done) {
		getk_header_reader_rest(rd, &restlen);
		if (restlen)
			BAIL_OUT("bytes held back from a single piece");
		*r_headers = getk_header_reader_take(rd);
		*r_consumed = used;
	}
	getk_header_reader_free(rd);
	return err;
}

/*
 * Parses the LEN bytes at BUF (AT_EOF) and checks that this succeeds with
 * a header section of WANT_CONSUMED bytes; the headers, or NULL.
 */
static struct getk_headers *
parse_ok(const char *label, const char *buf, size_t len, int at_eof,
    size_t want_consumed)
{
	struct getk_headers *h = NULL;
	size_t consumed = 99;
	const char *why = "stale";
	enum getk_err err;

	err = parse_once(buf, len, at_eof, &h, &consumed, &why);
	if (!CHECK(err == GETK_OK && h != NULL, "%s: parses", label)) {
		DIAG("err %d, why: %s", (int)err, why ? why : "(null)");
		getk_headers_free(h);
		return NULL;
	}
	CHECK(why == NULL, "%s: no reason set", label);
	CHECK_INT(consumed, want_consumed, "%s: consumes %zu bytes", label,
	    want_consumed);
	return h;
}

/* Checks that the LEN bytes at BUF need more data (AT_EOF is 0). */
static void
parse_more(const char *label, const char *buf, size_t len)
{
	struct getk_headers *h = (struct getk_headers *)1;
	size_t consumed = 99;
	const char *why = "stale";
	enum getk_err err;

	err = parse_once(buf, len, 0, &h, &consumed, &why);
	CHECK(err == GETK_OK && h == NULL && consumed == 0 && why == NULL,
	    "%s: needs more data", label);
	if (err == GETK_OK)
		getk_headers_free(h);
}

/* Checks that BUF is refused with WANT_ERR and a reason with WHY_PART. */
static void
parse_bad(const char *label, const char *buf, size_t len, int at_eof,
    enum getk_err want_err, const char *why_part)
{
	struct getk_headers *h = (struct getk_headers *)1;
	size_t consumed = 99;
	const char *why = NULL;
	enum getk_err err;

	err = parse_once(buf, len, at_eof, &h, &consumed, &why);
	if (!CHECK(err == want_err, "%s: refused with %s", label,
	    getk_strerror(want_err)))
		DIAG("err %d (%s)", (int)err, getk_strerror(err));
	CHECK(h == NULL && consumed == 0, "%s: nothing returned", label);
	if (err == GETK_OK)
		getk_headers_free(h);
	if (!CHECK(why != NULL && strstr(why, why_part),
	    "%s: the reason mentions \"%s\"", label, why_part))
		DIAG("reason: %s", why ? why : "(null)");
}

#define PARSE_OK(label, lit, at_eof, consumed) \
	parse_ok((label), (lit), sizeof(lit) - 1, (at_eof), (consumed))
#define PARSE_MORE(label, lit) parse_more((label), (lit), sizeof(lit) - 1)
#define PARSE_BAD(label, lit, why_part) \
	parse_bad((label), (lit), sizeof(lit) - 1, 1, GETK_ERR_SYNTAX, \
	    (why_part))

/* Checks field I of H. */
static void
check_field(const char *label, const struct getk_headers *h, size_t i,
    const char *name, const char *value, const char *raw)
{
	if (!CHECK(h && i < h->n, "%s: has a field %zu", label, i))
		return;
	CHECK_STR(h->fields[i].name, name, "%s: name of field %zu", label, i);
	CHECK_STR(h->fields[i].value, value, "%s: value of field %zu", label,
	    i);
	CHECK_STR(h->fields[i].raw, raw, "%s: raw of field %zu", label, i);
}

static void
test_line_ends(void)
{
	static const char msg[] =
	    "From: Alice <a@example.org>\n"
	    "To: b@example.org\n"
	    "Subject: hello\n"
	    "\n"
	    "body\n";
	static const char mixed[] =
	    "From: Alice <a@example.org>\r\n"
	    "To: b@example.org\n"
	    "Subject: hello\r\n"
	    "\n"
	    "body\r\n";
	struct getk_headers *h;
	char *c;

	h = PARSE_OK("LF", msg, 1, strstr(msg, "body") - msg);
	if (h) {
		CHECK_INT(h->n, 3, "LF: three fields");
		check_field("LF", h, 0, "From", "Alice <a@example.org>",
		    "From: Alice <a@example.org>\r\n");
		check_field("LF", h, 1, "To", "b@example.org",
		    "To: b@example.org\r\n");
		check_field("LF", h, 2, "Subject", "hello",
		    "Subject: hello\r\n");
	}
	getk_headers_free(h);

	c = crlf(msg);
	h = parse_ok("CRLF", c, strlen(c), 1, strstr(c, "body") - c);
	if (h) {
		CHECK_INT(h->n, 3, "CRLF: three fields");
		check_field("CRLF", h, 0, "From", "Alice <a@example.org>",
		    "From: Alice <a@example.org>\r\n");
		check_field("CRLF", h, 2, "Subject", "hello",
		    "Subject: hello\r\n");
	}
	getk_headers_free(h);
	h = parse_ok("CRLF, not at EOF", c, strlen(c), 0,
	    strstr(c, "body") - c);
	getk_headers_free(h);
	free(c);

	h = PARSE_OK("mixed", mixed, 1, strstr(mixed, "body") - mixed);
	if (h) {
		CHECK_INT(h->n, 3, "mixed: three fields");
		check_field("mixed", h, 1, "To", "b@example.org",
		    "To: b@example.org\r\n");
		check_field("mixed", h, 2, "Subject", "hello",
		    "Subject: hello\r\n");
	}
	getk_headers_free(h);

	h = PARSE_OK("empty line CRLF", "A: b\r\n\r\nbody", 1, 8);
	getk_headers_free(h);
	h = PARSE_OK("empty line LF after CRLF", "A: b\r\n\nbody", 1, 7);
	getk_headers_free(h);
}

static void
test_folding(void)
{
	struct getk_headers *h;

	h = PARSE_OK("folded CRLF", "Subject: a\r\n b\r\n\tc\r\n\r\n", 1, 22);
	check_field("folded CRLF", h, 0, "Subject", "a b\tc",
	    "Subject: a\r\n b\r\n\tc\r\n");
	getk_headers_free(h);

	h = PARSE_OK("folded LF", "Subject: a\n b\n\tc\nTo: x@example.org\n\n",
	    1, 36);
	check_field("folded LF", h, 0, "Subject", "a b\tc",
	    "Subject: a\r\n b\r\n\tc\r\n");
	check_field("folded LF", h, 1, "To", "x@example.org",
	    "To: x@example.org\r\n");
	getk_headers_free(h);

	h = PARSE_OK("folded right after the colon",
	    "To:\n  a@example.org,\n  b@example.org\n\n", 1, 38);
	check_field("folded right after the colon", h, 0, "To",
	    "a@example.org,  b@example.org",
	    "To:\r\n  a@example.org,\r\n  b@example.org\r\n");
	getk_headers_free(h);

	h = PARSE_OK("trimmed", "Subject: \t x  y \t\n\n", 1, 19);
	check_field("trimmed", h, 0, "Subject", "x  y",
	    "Subject: \t x  y \t\r\n");
	getk_headers_free(h);

	h = PARSE_OK("empty values", "Subject:\nX-Empty:   \n \n\n", 1, 24);
	check_field("empty values", h, 0, "Subject", "", "Subject:\r\n");
	check_field("empty values", h, 1, "X-Empty", "",
	    "X-Empty:   \r\n \r\n");
	getk_headers_free(h);

	h = PARSE_OK("no space after the colon", "Subject:x\n\n", 1, 11);
	check_field("no space after the colon", h, 0, "Subject", "x",
	    "Subject:x\r\n");
	getk_headers_free(h);

	h = PARSE_OK("names as given, 8-bit values kept",
	    "sUbJeCt: J\xc3\xb6rg \xff\nX-Odd!#$%&'*+-.^_`|~: v\n\n", 1, 42);
	check_field("names as given", h, 0, "sUbJeCt", "J\xc3\xb6rg \xff",
	    "sUbJeCt: J\xc3\xb6rg \xff\r\n");
	check_field("names as given", h, 1, "X-Odd!#$%&'*+-.^_`|~", "v",
	    "X-Odd!#$%&'*+-.^_`|~: v\r\n");
	getk_headers_free(h);

	h = PARSE_OK("colons in the value", "Subject: a: b: c\n\n", 1, 18);
	check_field("colons in the value", h, 0, "Subject", "a: b: c",
	    "Subject: a: b: c\r\n");
	getk_headers_free(h);
}

static void
test_from_line(void)
{
	static const char msg[] =
	    "From sender@example.org Mon Jan  1 00:00:00 2024\n"
	    "Subject: x\n"
	    "\n"
	    "body";
	struct getk_headers *h;

	h = PARSE_OK("From_ line", msg, 1, strstr(msg, "body") - msg);
	if (h) {
		CHECK_INT(h->n, 1, "From_ line: skipped");
		check_field("From_ line", h, 0, "Subject", "x",
		    "Subject: x\r\n");
	}
	getk_headers_free(h);

	h = PARSE_OK("From_ line CRLF", "From x\r\nA: b\r\n\r\n", 1, 16);
	check_field("From_ line CRLF", h, 0, "A", "b", "A: b\r\n");
	getk_headers_free(h);

	h = PARSE_OK("From_ line alone", "From x", 1, 6);
	if (h)
		CHECK_INT(h->n, 0, "From_ line alone: no field");
	getk_headers_free(h);

	/* Only at the very start; later it starts the body. */
	h = PARSE_OK("From_ line later", "A: b\nFrom x\nC: d\n\n", 1, 5);
	if (h)
		CHECK_INT(h->n, 1, "From_ line later: one field");
	getk_headers_free(h);

	/* "From:" is the From field, "From :" a malformed one. */
	h = PARSE_OK("From field", "From: a@example.org\n\n", 1, 21);
	check_field("From field", h, 0, "From", "a@example.org",
	    "From: a@example.org\r\n");
	getk_headers_free(h);
	PARSE_BAD("From field with a space", "From : a@example.org\n\n",
	    "malformed header line");
	PARSE_BAD("two From_ lines", "From x\nFrom y\nA: b\n\n",
	    "malformed header line");
	PARSE_MORE("incomplete From_ line", "From x");
	PARSE_MORE("From_ line only", "From x\n");
}

static void
test_section_end(void)
{
	struct getk_headers *h;

	/* The body starts at a line that is no field, which stays. */
	h = PARSE_OK("body without empty line",
	    "Subject: x\nThis is the body.\n", 1, 11);
	if (h)
		CHECK_INT(h->n, 1, "body without empty line: one field");
	getk_headers_free(h);
	h = PARSE_OK("body line with a space in a would-be name",
	    "Subject: x\nDear Bob: hello\n", 1, 11);
	getk_headers_free(h);
	h = PARSE_OK("body line with an 8-bit name",
	    "Subject: x\nJ\xc3\xb6rg: hi\n", 1, 11);
	getk_headers_free(h);
	h = PARSE_OK("body line without colon", "Subject: x\nhello\n", 1, 11);
	getk_headers_free(h);
	h = PARSE_OK("body line with a control byte",
	    "Subject: x\nBcc\x01: y@example.org\n", 1, 11);
	getk_headers_free(h);
	h = PARSE_OK("body line with NUL after a field",
	    "Subject: x\nBcc\0: y@example.org\n", 1, 11);
	getk_headers_free(h);
	h = PARSE_OK("NUL in the body", "Subject: x\n\nbo\0dy\n", 1, 12);
	getk_headers_free(h);

	/* No body at EOF: all is header. */
	h = PARSE_OK("no body", "Subject: x\n", 1, 11);
	check_field("no body", h, 0, "Subject", "x", "Subject: x\r\n");
	getk_headers_free(h);
	h = PARSE_OK("no line end", "Subject: x", 1, 10);
	check_field("no line end", h, 0, "Subject", "x", "Subject: x\r\n");
	getk_headers_free(h);
	h = PARSE_OK("CR at EOF", "Subject: x\r", 1, 11);
	check_field("CR at EOF", h, 0, "Subject", "x", "Subject: x\r\n");
	getk_headers_free(h);
	h = PARSE_OK("folded at EOF", "Subject: x\n y", 1, 13);
	check_field("folded at EOF", h, 0, "Subject", "x y",
	    "Subject: x\r\n y\r\n");
	getk_headers_free(h);

	/* An empty header section. */
	h = PARSE_OK("empty input", "", 1, 0);
	if (h)
		CHECK(h->n == 0 && h->fields == NULL, "empty input: no field");
	getk_headers_free(h);
	h = PARSE_OK("empty line first", "\nbody", 1, 1);
	if (h)
		CHECK_INT(h->n, 0, "empty line first: no field");
	getk_headers_free(h);
	h = PARSE_OK("empty CRLF line first", "\r\nbody", 1, 2);
	getk_headers_free(h);
	h = PARSE_OK("empty line first, not at EOF", "\n", 0, 1);
	getk_headers_free(h);
}

static void
test_need_more(void)
{
	static const char msg[] =
	    "From x@y\r\n"
	    "Received: from a\r\n"
	    "\tby b\r\n"
	    "To: Bob <b@example.org>,\n"
	    " c@example.org\r\n"
	    "Subject: hi\r\n"
	    "\r\n"
	    "body\r\n";
	struct getk_headers *full, *h;
	size_t i, full_consumed, consumed, k;
	const char *why;
	int agree = 1, more = 0;

	PARSE_MORE("empty", "");
	PARSE_MORE("part of a name", "Subj");
	PARSE_MORE("a field without line end", "Subject: x");
	PARSE_MORE("a field, maybe continued", "Subject: x\n");
	PARSE_MORE("a field, maybe continued (CRLF)", "Subject: x\r\n");
	PARSE_MORE("a CR of a CRLF", "Subject: x\r");
	PARSE_MORE("a continuation without line end", "Subject: x\n y");
	PARSE_MORE("a body line without line end", "Subject: x\nbody text");
	PARSE_MORE("a CR of an empty line", "Subject: x\n\r");

	/* Every prefix: "need more", or what the whole message gives. */
	full = PARSE_OK("the whole message", msg, 0, strstr(msg, "body") - msg);
	if (!full)
		return;
	full_consumed = (size_t)(strstr(msg, "body") - msg);
	for (i = 0; i <= sizeof(msg) - 1; i++) {
		if (parse_once(msg, i, 0, &h, &consumed, &why) !=
		    GETK_OK) {
			agree = 0;
			continue;
		}
		if (!h) {
			more++;
			if (consumed != 0 || i >= full_consumed)
				agree = 0;
			continue;
		}
		if (h->n != full->n || consumed != full_consumed)
			agree = 0;
		for (k = 0; k < h->n && k < full->n; k++)
			if (strcmp(h->fields[k].raw, full->fields[k].raw) ||
			    strcmp(h->fields[k].value, full->fields[k].value))
				agree = 0;
		getk_headers_free(h);
	}
	CHECK(agree, "every prefix needs more data or gives the same");
	CHECK_INT(more, full_consumed, "the %zu prefixes before the end of "
	    "the header need more data", full_consumed);
	if (full->n == 4)
		CHECK_STR(full->fields[2].value,
		    "Bob <b@example.org>, c@example.org",
		    "a field folded with LF among CRLF lines");
	getk_headers_free(full);
}

/*
 * Feeds the LEN bytes at BUF to a new reader in pieces of STEP bytes (the
 * last one with AT_EOF): the section in *R_HEADERS and everything after
 * it, held back or not, in *BODY.  The error of the feed that failed.
 */
static enum getk_err
parse_pieces(const char *buf, size_t len, size_t step,
    struct getk_headers **r_headers, struct getk_buf *body,
    const char **r_why)
{
	struct getk_header_reader *rd = NULL;
	size_t off = 0, used = 0, restlen;
	const char *rest;
	int done = 0;
	enum getk_err err;

	*r_headers = NULL;
	if (getk_header_reader_new(&rd))
		BAIL_OUT("out of memory");
	do {
		size_t n = len - off < step ? len - off : step;

		err = getk_header_reader_feed(rd, buf + off, n, off + n == len,
		    &used, &done, r_why);
		if (!err && !done && used != n)
			err = GETK_ERR_INTERNAL;
		if (!err && done) {
			rest = getk_header_reader_rest(rd, &restlen);
			if (getk_buf_add(body, rest, restlen) ||
			    getk_buf_add(body, buf + off + used, len - off - used))
				BAIL_OUT("out of memory");
			*r_headers = getk_header_reader_take(rd);
		}
		off += n;
	} while (!err && !done && off < len);
	getk_header_reader_free(rd);
	return err;
}

/* Whether two sections have the same fields. */
static int
same_fields(const struct getk_headers *a, const struct getk_headers *b)
{
	size_t i;

	if (!a || !b || a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->fields[i].name, b->fields[i].name) ||
		    strcmp(a->fields[i].raw, b->fields[i].raw) ||
		    strcmp(a->fields[i].value, b->fields[i].value))
			return 0;
	return 1;
}

static void
test_pieces(void)
{
	static const char *const msgs[] = {
		"From: a@example.org\nTo: b@example.org\n\nbody\nmore\n",
		"From x@y Sat Nov 28 10:00:00 2026\r\nSubject: folded\r\n"
		    "\tover two lines\r\n\r\nbody\r\n",
		"Subject: no empty line\nthe body starts here\nand goes on\n",
		"Subject: no empty line, no end\nthe body's only line",
		"Subject: only a header\nTo: b@example.org",
		"Subject: x\n\n",
		"\nall body\n",
		"",
		"Subject: a CR at the very end\r",
		"Subject: x\nBcc : refused\n\nbody\n",
		"Subject: a\rb\n\n",
	};
	size_t i, step;

	for (i = 0; i < sizeof(msgs) / sizeof(msgs[0]); i++) {
		const char *m = msgs[i];
		size_t len = strlen(m), consumed = 0;
		struct getk_headers *whole = NULL;
		const char *why1 = NULL;
		enum getk_err err1;
		int agree = 1;

		err1 = parse_once(m, len, 1, &whole, &consumed, &why1);
		for (step = 1; step <= len + 1; step++) {
			struct getk_headers *h = NULL;
			struct getk_buf body;
			const char *why = NULL;
			enum getk_err err;

			getk_buf_init(&body, 0);
			err = parse_pieces(m, len, step, &h, &body, &why);
			if (err != err1)
				agree = 0;
			else if (err && (!why || !why1 || strcmp(why, why1)))
				agree = 0;
			else if (!err && (!same_fields(h, whole) ||
			    body.len != len - consumed ||
			    memcmp(body.data ? body.data : "", m + consumed,
			    body.len)))
				agree = 0;
			getk_headers_free(h);
			getk_buf_free(&body);
		}
		CHECK(agree, "message %zu read in pieces of every size: the "
		    "same section and the same body as in one piece", i);
		getk_headers_free(whole);
	}
}

/* Feeds the string S to RD, with AT_EOF. */
static enum getk_err
feed(struct getk_header_reader *rd, const char *s, int at_eof, size_t *r_used,
    int *r_done, const char **r_why)
{
	return getk_header_reader_feed(rd, s, strlen(s), at_eof, r_used, r_done,
	    r_why);
}

static void
test_reader_states(void)
{
	struct getk_header_reader *rd = NULL;
	size_t used = 99, restlen = 99;
	const char *why = "stale";
	int done = 7;

	if (getk_header_reader_new(&rd))
		BAIL_OUT("out of memory");
	CHECK(getk_header_reader_take(rd) == NULL,
	    "no section before its end");
	getk_header_reader_rest(rd, &restlen);
	CHECK_INT(restlen, 0, "nothing held back before the end");
	CHECK(feed(rd, "Subject: x\nTo", 0, &used, &done, &why) == GETK_OK &&
	    used == 13 && done == 0 && why == NULL,
	    "a piece in the section: all of it taken");
	CHECK(feed(rd, ": b@example.org\nbody\n", 0, &used, &done, &why) ==
	    GETK_OK && done == 1 && used == 16,
	    "the body's first line ends it");
	CHECK(feed(rd, "x", 0, &used, &done, &why) == GETK_ERR_INVAL,
	    "a feed after the end: GETK_ERR_INVAL");
	getk_header_reader_free(rd);

	if (getk_header_reader_new(&rd))
		BAIL_OUT("out of memory");
	CHECK(feed(rd, "Subject: x\nthe bo", 0, &used, &done, &why) ==
	    GETK_OK && done == 0, "a body line begun");
	CHECK(feed(rd, "dy\n", 0, &used, &done, &why) == GETK_OK &&
	    done == 1 && used == 0, "... and ended: none of the last piece "
	    "is the section's");
	CHECK_STR(getk_header_reader_rest(rd, &restlen), "the bo",
	    "... the start of the line is held back for the body");
	CHECK_INT(restlen, 6, "... 6 bytes of it");
	getk_header_reader_free(rd);

	if (getk_header_reader_new(&rd))
		BAIL_OUT("out of memory");
	CHECK(feed(rd, ": x\n", 0, &used, &done, &why) == GETK_ERR_SYNTAX,
	    "a refusal");
	why = NULL;
	CHECK(feed(rd, "\n", 1, &used, &done, &why) == GETK_ERR_SYNTAX &&
	    why && strstr(why, "malformed") && used == 0,
	    "... is the answer to every later feed, with its reason");
	getk_header_reader_free(rd);
	getk_header_reader_free(NULL);
	CHECK(1, "getk_header_reader_free(NULL) is a no-op");
	{
		struct getk_headers *h = NULL;
		size_t consumed = 0;

		CHECK(getk_headers_parse_whole("Subject: x\nbody\n", 16, &h,
		    &consumed, &why) == GETK_OK && h && h->n == 1 &&
		    consumed == 11, "a whole message in memory, in one call");
		getk_headers_free(h);
		h = NULL;
		CHECK(getk_headers_parse_whole(": x\n", 4, &h, &consumed,
		    &why) == GETK_ERR_SYNTAX && h == NULL && why &&
		    strstr(why, "malformed"), "... refused as the reader does");
	}
}

static void
test_malformed(void)
{
	PARSE_BAD("not a field first", "This is no header\n\n",
	    "malformed header line");
	PARSE_BAD("not a field first, no colon", "hello\n\n",
	    "malformed header line");
	PARSE_BAD("a continuation first", " Subject: x\n\n",
	    "malformed header line");
	PARSE_BAD("a tab continuation first", "\tx\n\n",
	    "malformed header line");
	PARSE_BAD("an empty name", ": x\n\n", "malformed header line");
	PARSE_BAD("an empty name later", "Subject: x\n: y\n\n",
	    "malformed header line");
	PARSE_BAD("a space before the colon", "Subject : x\n\n",
	    "malformed header line");
	PARSE_BAD("a space before the colon later", "Subject: x\nBcc : y\n\n",
	    "malformed header line");
	PARSE_BAD("a tab before the colon", "Subject: x\nBcc\t: y\n\n",
	    "malformed header line");
	PARSE_BAD("an 8-bit name first", "J\xc3\xb6rg: x\n\n",
	    "malformed header line");
	PARSE_BAD("NUL in a value", "Subject: a\0b\n\n", "NUL");
	PARSE_BAD("NUL in a continuation", "Subject: a\n b\0\n\n", "NUL");
	PARSE_BAD("NUL in the From_ line", "From a\0b\nA: b\n\n", "NUL");
	PARSE_BAD("NUL first", "\0", "malformed header line");
	PARSE_BAD("a bare CR", "Subject: a\rb\n\n", "bare CR");
	PARSE_BAD("a bare CR before CRLF", "Subject: a\r\r\n\n", "bare CR");
	PARSE_BAD("a bare CR in a continuation", "Subject: a\n \rb\n\n",
	    "bare CR");
	PARSE_BAD("a bare CR as line end", "Subject: a\rTo: b\n\n", "bare CR");
}

/* Appends LEN bytes of C and a LF to the message being built. */
static char *
put_line(char *p, const char *prefix, char c, size_t len)
{
	size_t plen = strlen(prefix);

	memcpy(p, prefix, plen);
	memset(p + plen, c, len - plen);
	p[len] = '\n';
	return p + len + 1;
}

static void
test_limits(void)
{
	struct getk_headers *h;
	char *big, *p;
	size_t i, len, mib = 1024 * 1024;

	big = malloc(GETK_MAX_HEADER_SECTION + 4 * mib);
	if (!big)
		BAIL_OUT("out of memory");

	/* A 1000-line header works, and so do 10000 fields. */
	p = big;
	for (i = 0; i < 1000; i++)
		p += sprintf(p, "Received: from host%zu.example.org\n", i);
	p += sprintf(p, "\nbody");
	len = (size_t)(p - big);
	h = parse_ok("1000 fields", big, len, 1, len - 4);
	if (h) {
		CHECK_INT(h->n, 1000, "1000 fields: all there");
		CHECK_STR(h->fields[999].value, "from host999.example.org",
		    "1000 fields: the last in place");
	}
	getk_headers_free(h);

	p = big;
	for (i = 0; i < GETK_MAX_HEADER_FIELDS; i++)
		p += sprintf(p, "X-%zu: v\n", i);
	len = (size_t)(p - big);
	h = parse_ok("10000 fields", big, len, 1, len);
	if (h)
		CHECK_INT(h->n, 10000, "10000 fields: all there");
	getk_headers_free(h);
	p += sprintf(p, "X-last: v\n");
	parse_bad("10001 fields", big, (size_t)(p - big), 1, GETK_ERR_TOOBIG,
	    "more than 10000 header fields");
	parse_bad("10001 fields, not at EOF", big, (size_t)(p - big), 0,
	    GETK_ERR_TOOBIG, "more than 10000 header fields");

	/* One field: 1 MiB unfolded passes, one byte more does not. */
	p = put_line(big, "Subject: ", 'x', GETK_MAX_HEADER_FIELD);
	*p++ = '\n';
	h = parse_ok("a field of 1 MiB", big, (size_t)(p - big), 1,
	    (size_t)(p - big));
	if (h)
		CHECK_INT(strlen(h->fields[0].value),
		    GETK_MAX_HEADER_FIELD - 9, "a field of 1 MiB: its value");
	getk_headers_free(h);
	p = put_line(big, "Subject: ", 'x', GETK_MAX_HEADER_FIELD + 1);
	*p++ = '\n';
	parse_bad("a field of 1 MiB + 1", big, (size_t)(p - big), 1,
	    GETK_ERR_TOOBIG, "header field longer than 1 MiB");
	/* Folded: the line breaks do not count, the lines do. */
	p = put_line(big, "Subject: ", 'x', GETK_MAX_HEADER_FIELD / 2);
	p = put_line(p, " ", 'y', GETK_MAX_HEADER_FIELD / 2);
	*p++ = '\n';
	h = parse_ok("a folded field of 1 MiB", big, (size_t)(p - big), 1,
	    (size_t)(p - big));
	getk_headers_free(h);
	p = put_line(big, "Subject: ", 'x', GETK_MAX_HEADER_FIELD / 2);
	p = put_line(p, " ", 'y', GETK_MAX_HEADER_FIELD / 2 + 1);
	*p++ = '\n';
	parse_bad("a folded field of 1 MiB + 1", big, (size_t)(p - big), 1,
	    GETK_ERR_TOOBIG, "header field longer than 1 MiB");

	/* The section: 8 MiB with its empty line pass, a byte more not. */
	p = big;
	for (i = 0; i < 7; i++)
		p = put_line(p, "X: ", 'x', mib - 1);
	p = put_line(p, "X: ", 'x', mib - 2);
	*p++ = '\n';
	len = (size_t)(p - big);
	CHECK_INT(len, GETK_MAX_HEADER_SECTION, "a section of 8 MiB built");
	memcpy(p, "body", 4);
	h = parse_ok("a section of 8 MiB", big, len + 4, 1, len);
	if (h)
		CHECK_INT(h->n, 8, "a section of 8 MiB: 8 fields");
	getk_headers_free(h);
	h = parse_ok("a section of 8 MiB, not at EOF", big, len + 4, 0, len);
	getk_headers_free(h);
	{
		struct getk_buf body;
		const char *why = NULL;

		getk_buf_init(&body, 0);
		CHECK(parse_pieces(big, len + 4, 65536, &h, &body, &why) ==
		    GETK_OK && h && h->n == 8 && body.len == 4,
		    "a section of 8 MiB in pieces of 64 KiB");
		getk_headers_free(h);
		getk_buf_free(&body);
	}
	p = big;
	for (i = 0; i < 8; i++)
		p = put_line(p, "X: ", 'x', mib - 1);
	*p++ = '\n';
	len = (size_t)(p - big);
	parse_bad("a section of 8 MiB + 1", big, len, 1, GETK_ERR_TOOBIG,
	    "8 MiB");
	parse_bad("a section of 8 MiB + 1, not at EOF", big, len, 0,
	    GETK_ERR_TOOBIG, "8 MiB");
	{
		struct getk_buf body;
		const char *why = NULL;

		getk_buf_init(&body, 0);
		CHECK(parse_pieces(big, len, 65536, &h, &body, &why) ==
		    GETK_ERR_TOOBIG && h == NULL && why && strstr(why, "8 MiB"),
		    "a section of 8 MiB + 1 in pieces of 64 KiB: refused");
		getk_buf_free(&body);
	}
	/* Never "need more" past the limit. */
	p = big;
	for (i = 0; i < 9; i++)
		p = put_line(p, "X: ", 'x', mib - 1);
	parse_bad("9 MiB of header, not at EOF", big, (size_t)(p - big), 0,
	    GETK_ERR_TOOBIG, "8 MiB");
	memset(big, 'x', GETK_MAX_HEADER_SECTION + 1);
	parse_bad("8 MiB + 1 without a line end", big,
	    GETK_MAX_HEADER_SECTION + 1, 0, GETK_ERR_TOOBIG, "8 MiB");
	free(big);
}

static void
test_find(void)
{
	static const char msg[] =
	    "Received: one\nTo: a@example.org\nSubject: s\nto: b@example.org\n"
	    "TO: c@example.org\n\n";
	const struct getk_header *f;
	struct getk_headers *h;
	size_t pos = 0;

	h = PARSE_OK("find", msg, 1, sizeof(msg) - 1);
	if (!h)
		return;
	f = getk_headers_find(h, "to", &pos);
	CHECK(f && strcmp(f->value, "a@example.org") == 0 && pos == 2,
	    "find: the first To");
	f = getk_headers_find(h, "to", &pos);
	CHECK(f && strcmp(f->value, "b@example.org") == 0 && pos == 4,
	    "find: the second, in another case");
	f = getk_headers_find(h, "to", &pos);
	CHECK(f && strcmp(f->value, "c@example.org") == 0 && pos == 5,
	    "find: the third");
	f = getk_headers_find(h, "to", &pos);
	CHECK(f == NULL && pos == 5, "find: then no more");
	pos = 0;
	f = getk_headers_find(h, "SUBJECT", &pos);
	CHECK(f == &h->fields[2], "find: Subject");
	pos = 0;
	CHECK(getk_headers_find(h, "Cc", &pos) == NULL && pos == 5,
	    "find: no Cc");
	pos = 0;
	CHECK(getk_headers_find(h, "T", &pos) == NULL,
	    "find: no prefix match");
	pos = 0;
	CHECK(getk_headers_find(NULL, "To", &pos) == NULL,
	    "find: NULL headers");
	getk_headers_free(h);
	getk_headers_free(NULL);
	CHECK(1, "getk_headers_free(NULL) is a no-op");
}

/* Joins a NULL-terminated list with newlines, for comparing. */
static char *
join(char **list)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; list && list[i]; i++)
		len += strlen(list[i]) + 1;
	s = calloc(1, len);
	if (!s)
		BAIL_OUT("out of memory");
	for (i = 0; list && list[i]; i++) {
		if (i)
			strcat(s, "\n");
		strcat(s, list[i]);
	}
	return s;
}

/*
 * Checks the recipients of the header MSG (LF line ends): WANT_TOCC and
 * WANT_BCC joined with newlines.
 */
static void
rcpt_ok(const char *label, const char *msg, const char *want_tocc,
    const char *want_bcc)
{
	struct getk_headers *h;
	char **tocc = NULL, **bcc = NULL, *s;
	size_t ntocc = 99, nbcc = 99, i;
	const char *why = "stale";
	enum getk_err err;

	h = parse_ok(label, msg, strlen(msg), 1, strlen(msg));
	if (!h)
		return;
	err = getk_headers_recipients(h, &tocc, &ntocc, &bcc, &nbcc, &why);
	if (CHECK(err == GETK_OK && why == NULL, "%s: recipients found",
	    label)) {
		for (i = 0; i < ntocc && tocc[i]; i++)
			continue;
		CHECK(i == ntocc && tocc[i] == NULL, "%s: To/Cc count", label);
		for (i = 0; i < nbcc && bcc[i]; i++)
			continue;
		CHECK(i == nbcc && bcc[i] == NULL, "%s: Bcc count", label);
		s = join(tocc);
		CHECK_STR(s, want_tocc, "%s: To/Cc", label);
		free(s);
		s = join(bcc);
		CHECK_STR(s, want_bcc, "%s: Bcc", label);
		free(s);
	} else {
		DIAG("err %d, why: %s", (int)err, why ? why : "(null)");
	}
	getk_strv_free(tocc);
	getk_strv_free(bcc);
	getk_headers_free(h);
}

static void
rcpt_bad_h(const char *label, const struct getk_headers *h,
    enum getk_err want_err, const char *why_part)
{
	char **tocc = (char **)1, **bcc = (char **)1;
	size_t ntocc = 99, nbcc = 99;
	const char *why = NULL;
	enum getk_err err;

	err = getk_headers_recipients(h, &tocc, &ntocc, &bcc, &nbcc, &why);
	if (!CHECK(err == want_err, "%s: refused with %s", label,
	    getk_strerror(want_err)))
		DIAG("err %d (%s)", (int)err, getk_strerror(err));
	CHECK(tocc == NULL && bcc == NULL && ntocc == 0 && nbcc == 0,
	    "%s: no recipients returned", label);
	if (err == GETK_OK) {
		getk_strv_free(tocc);
		getk_strv_free(bcc);
	}
	if (!CHECK(why != NULL && strstr(why, why_part),
	    "%s: the reason mentions \"%s\"", label, why_part))
		DIAG("reason: %s", why ? why : "(null)");
}

static void
rcpt_bad(const char *label, const char *msg, enum getk_err want_err,
    const char *why_part)
{
	struct getk_headers *h;

	h = parse_ok(label, msg, strlen(msg), 1, strlen(msg));
	if (h)
		rcpt_bad_h(label, h, want_err, why_part);
	getk_headers_free(h);
}

static void
test_recipients(void)
{
	struct getk_headers *h;
	char *big, *p;
	size_t i, consumed;
	const char *why;

	rcpt_ok("none", "Subject: x\n", "", "");
	rcpt_ok("empty header", "", "", "");
	rcpt_ok("To", "To: a@example.org\n", "a@example.org", "");
	rcpt_ok("To, Cc, Bcc",
	    "From: me@example.org\nTo: Alice <a@example.org>, b@example.org\n"
	    "Cc: c@Example.ORG\nBcc: d@example.org\nSubject: x\n",
	    "a@example.org\nb@example.org\nc@example.org", "d@example.org");
	rcpt_ok("every To and Cc, in order",
	    "Cc: c1@example.org\nTo: t1@example.org\nSubject: x\n"
	    "to: t2@example.org\nCC: c2@example.org\n",
	    "c1@example.org\nt1@example.org\nt2@example.org\nc2@example.org",
	    "");
	rcpt_ok("duplicates",
	    "To: a@example.org, A@EXAMPLE.ORG, Alice <a@Example.Org>\n"
	    "Cc: a@example.org, b@example.org\nTo: b@EXAMPLE.org\n",
	    "a@example.org\nA@example.org\nb@example.org", "");
	rcpt_ok("Bcc that are To or Cc",
	    "Bcc: a@example.org, x@example.org, c@EXAMPLE.org\n"
	    "To: a@example.org\nCc: c@example.org\n"
	    "Bcc: x@example.org, y@example.org\n",
	    "a@example.org\nc@example.org", "x@example.org\ny@example.org");
	rcpt_ok("Bcc local parts are exact",
	    "To: a@example.org\nBcc: A@example.org\n",
	    "a@example.org", "A@example.org");
	rcpt_ok("groups and empty ones",
	    "To: undisclosed-recipients:;\nCc: team: a@example.org, "
	    "b@example.org;\nBcc:\n",
	    "a@example.org\nb@example.org", "");
	rcpt_ok("folded",
	    "To: Alice <a@example.org>,\n Bob\n <b@example.org>\n",
	    "a@example.org\nb@example.org", "");
	rcpt_ok("folded CRLF",
	    "To: Alice <a@example.org>,\r\n\tBob <b@example.org>\r\n",
	    "a@example.org\nb@example.org", "");

	/* Resent- blocks. */
	rcpt_ok("a Resent- block",
	    "Resent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Resent-From: r@example.org\n"
	    "Resent-To: r1@example.org\n"
	    "Resent-Cc: r2@example.org\n"
	    "Resent-Bcc: r3@example.org, r1@example.org\n"
	    "From: o@example.org\n"
	    "To: o1@example.org\n"
	    "Bcc: o2@example.org\n",
	    "r1@example.org\nr2@example.org", "r3@example.org");
	rcpt_ok("only the first Resent- block",
	    "Resent-To: new@example.org\n"
	    "Resent-Date: Tue, 2 Jan 2024 00:00:00 +0000\n"
	    "Received: from a by b\n"
	    "Resent-To: old@example.org\n"
	    "Resent-Bcc: oldbcc@example.org\n"
	    "To: o1@example.org\n",
	    "new@example.org", "");
	rcpt_ok("a first block without destinations is passed over",
	    "Resent-From: r@example.org\n"
	    "Resent-Date: Tue, 2 Jan 2024 00:00:00 +0000\n"
	    "Received: from a by b\n"
	    "Resent-Date: Mon, 1 Jan 2024 00:00:00 +0000\n"
	    "Resent-Cc: second@example.org\n"
	    "To: o1@example.org\n",
	    "second@example.org", "");
	rcpt_ok("the block's fields before its first destination count",
	    "Resent-Bcc: b@example.org\nResent-To: t@example.org\n"
	    "To: o@example.org\n",
	    "t@example.org", "b@example.org");
	rcpt_ok("Resent- names in any case",
	    "RESENT-to: r1@example.org\nresent-CC: r2@example.org\n"
	    "To: o@example.org\n",
	    "r1@example.org\nr2@example.org", "");
	rcpt_ok("Resent-From alone changes nothing",
	    "Resent-From: r@example.org\nTo: o@example.org\n",
	    "o@example.org", "");
	rcpt_ok("an empty Resent-To still makes a block",
	    "Resent-To: undisclosed-recipients:;\nTo: o@example.org\n", "",
	    "");
	rcpt_ok("a Resent- block below the originals",
	    "To: o@example.org\nResent-To: r@example.org\n",
	    "r@example.org", "");

	/* Errors. */
	rcpt_bad("address without domain", "To: a@example.org, alice\n",
	    GETK_ERR_SYNTAX, "address without domain");
	rcpt_bad("bad Bcc", "To: a@example.org\nBcc: <b@localhost>\n",
	    GETK_ERR_SYNTAX, "not fully qualified");
	rcpt_bad("bad Resent-Cc", "Resent-Cc: a@@example.org\n",
	    GETK_ERR_SYNTAX, "empty domain");
	rcpt_bad_h("NULL headers", NULL, GETK_ERR_INVAL, "no header");
	rcpt_ok("a bad field outside the Resent- block is not read",
	    "Resent-To: r@example.org\nTo: alice\n", "r@example.org", "");

	/* Limits: 1000 recipients pass, 1001 do not. */
	big = malloc(2 * 1024 * 1024);
	if (!big)
		BAIL_OUT("out of memory");
	p = big + sprintf(big, "To: ");
	for (i = 0; i < 600; i++)
		p += sprintf(p, "%st%zu@example.org", i ? ", " : "", i);
	p += sprintf(p, "\nBcc: ");
	for (i = 0; i < 400; i++)
		p += sprintf(p, "%sb%zu@example.org", i ? ", " : "", i);
	p += sprintf(p, "\nCc: t0@example.org\n");
	h = parse_ok("1000 recipients", big, (size_t)(p - big), 1,
	    (size_t)(p - big));
	if (h) {
		char **tocc = NULL, **bcc = NULL;
		size_t ntocc = 0, nbcc = 0;

		CHECK(getk_headers_recipients(h, &tocc, &ntocc, &bcc, &nbcc,
		    &why) == GETK_OK && ntocc == 600 && nbcc == 400,
		    "1000 recipients: found");
		getk_strv_free(tocc);
		getk_strv_free(bcc);
	}
	getk_headers_free(h);
	p += sprintf(p, "Cc: one@example.org\n");
	h = parse_ok("1001 recipients", big, (size_t)(p - big), 1,
	    (size_t)(p - big));
	if (h)
		rcpt_bad_h("1001 recipients", h, GETK_ERR_TOOBIG,
		    "more than 1000 recipients");
	getk_headers_free(h);

	/* 10000 addresses read, duplicates included, pass; more do not. */
	p = big;
	for (i = 0; i < 10000; i++)
		p += sprintf(p, "To: a@example.org\n");
	h = parse_ok("10000 addresses", big, (size_t)(p - big), 1,
	    (size_t)(p - big));
	if (h) {
		char **tocc = NULL, **bcc = NULL;
		size_t ntocc = 0, nbcc = 0;

		CHECK(getk_headers_recipients(h, &tocc, &ntocc, &bcc, &nbcc,
		    &why) == GETK_OK && ntocc == 1 && nbcc == 0,
		    "10000 addresses: one recipient");
		getk_strv_free(tocc);
		getk_strv_free(bcc);
	}
	getk_headers_free(h);
	p = big;
	for (i = 0; i < 11; i++) {
		size_t k;

		p += sprintf(p, "Cc: ");
		for (k = 0; k < 1000; k++)
			p += sprintf(p, "%sa@example.org", k ? "," : "");
		p += sprintf(p, "\n");
	}
	h = NULL;
	if (parse_once(big, (size_t)(p - big), 1, &h, &consumed,
	    &why) == GETK_OK && h)
		rcpt_bad_h("11000 addresses", h, GETK_ERR_TOOBIG,
		    "more than 10000 addresses");
	else
		CHECK(0, "11000 addresses: the header parses");
	getk_headers_free(h);
	free(big);
}

int
main(void)
{
	test_line_ends();
	test_folding();
	test_from_line();
	test_section_end();
	test_need_more();
	test_pieces();
	test_reader_states();
	test_malformed();
	test_limits();
	test_find();
	test_recipients();
	return done_testing();
}
