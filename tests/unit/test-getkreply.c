/*
 * test-getkreply.c: unit tests of src/getkreply.c, the GETK reply parser
 * (GETK.md sections 3, 4 and 6.4).
 *
 * Success replies are built here from pseudo-random bytes with a base64
 * encoder of this file's own, so that the parser is checked against an
 * independent encoding, not against src/codec.c.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "getkreply.h"
#include "unit.h"

/* Most lines a test reply has: 65536 octets make 1150 data lines. */
#define MAX_LINES 1200

/* A reply under construction: its lines, without CRLF. */
struct reply_text {
	char *lines[MAX_LINES];
	size_t n;
};

static void
rt_add(struct reply_text *rt, const char *line)
{
	if (rt->n >= MAX_LINES)
		BAIL_OUT("test reply has too many lines");
	rt->lines[rt->n] = strdup(line);
	if (!rt->lines[rt->n])
		BAIL_OUT("out of memory");
	rt->n++;
}

static void rt_addf(struct reply_text *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
rt_addf(struct reply_text *rt, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	rt_add(rt, line);
}

static void
rt_free(struct reply_text *rt)
{
	size_t i;

	for (i = 0; i < rt->n; i++)
		free(rt->lines[i]);
	rt->n = 0;
}

/* A small deterministic generator (xorshift32): the same bytes each run. */
static unsigned char *
random_bytes(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n ? n : 1);
	unsigned x = seed ? seed : 1;
	size_t i;

	if (!p)
		BAIL_OUT("out of memory");
	for (i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (unsigned char)(x >> 7);
	}
	return p;
}

/* The base64 of LEN bytes at P, NUL-terminated, freshly allocated. */
static char *
b64(const unsigned char *p, size_t len)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	size_t i;

	if (!out)
		BAIL_OUT("out of memory");
	for (i = 0; i + 2 < len; i += 3) {
		*o++ = alphabet[p[i] >> 2];
		*o++ = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = alphabet[p[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = alphabet[p[i] >> 2];
		*o++ = alphabet[(p[i] & 3) << 4];
		*o++ = '=';
		*o++ = '=';
	} else if (len - i == 2) {
		*o++ = alphabet[p[i] >> 2];
		*o++ = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = alphabet[(p[i + 1] & 15) << 2];
		*o++ = '=';
	}
	*o = '\0';
	return out;
}

/* How the lines of a built success reply carry enhanced status codes. */
enum esc_mode {
	ESC_NONE,	/* "250-OPENPGP 12" */
	ESC_ALL,	/* "250-2.0.0 OPENPGP 12" */
	ESC_MIXED	/* every other line */
};

static const char *
esc(enum esc_mode mode, size_t lineno)
{
	if (mode == ESC_ALL || (mode == ESC_MIXED && lineno % 2 == 1))
		return "2.0.0 ";
	return "";
}

/*
 * Builds the success reply for LEN bytes at DATA announcing OCTETS, with
 * the given header and END words (for case tests).
 */
static void
build_success(struct reply_text *rt, const unsigned char *data, size_t len,
    size_t octets, enum esc_mode mode, const char *openpgp, const char *end)
{
	char *enc = b64(data, len);
	size_t elen = strlen(enc), pos, lineno = 0;

	rt_addf(rt, "250-%s%s %zu", esc(mode, lineno++), openpgp, octets);
	for (pos = 0; pos < elen; pos += 76)
		rt_addf(rt, "250-%s%.76s", esc(mode, lineno++), enc + pos);
	rt_addf(rt, "250 %s%s", esc(mode, lineno), end);
	free(enc);
}

/* The outcome of feeding a reply. */
struct outcome {
	enum getk_err err;	/* of the last feed */
	size_t fed;		/* lines fed, the failing one included */
	int done;		/* the last feed set *r_done */
	int done_early;		/* *r_done was set before the last line */
};

/* Feeds every line of RT until an error. */
static struct outcome
feed_all(struct getk_reply *r, const struct reply_text *rt)
{
	struct outcome o = { GETK_OK, 0, 0, 0 };
	size_t i;

	for (i = 0; i < rt->n; i++) {
		int done = -1;

		o.err = getk_reply_feed(r, rt->lines[i], strlen(rt->lines[i]),
		    &done);
		o.fed = i + 1;
		o.done = done;
		if (done && i + 1 < rt->n)
			o.done_early = 1;
		if (o.err)
			break;
	}
	return o;
}

/* Feeds the NULL-terminated LINES to a new parser; returns it. */
static struct getk_reply *
feed_lines(size_t max_octets, const char *const *lines, struct outcome *o)
{
	struct reply_text rt = { { NULL }, 0 };
	struct getk_reply *r = NULL;
	size_t i;

	for (i = 0; lines[i]; i++)
		rt_add(&rt, lines[i]);
	if (getk_reply_new(max_octets, &r) != GETK_OK)
		BAIL_OUT("getk_reply_new failed");
	*o = feed_all(r, &rt);
	rt_free(&rt);
	return r;
}

/*
 * Feeds LINES and checks that the reply fails with WANT_ERR on line
 * WANT_LINE (1-based).
 */
static void
expect_fail(const char *desc, size_t max_octets, enum getk_err want_err,
    size_t want_line, const char *const *lines)
{
	struct outcome o;
	struct getk_reply *r = feed_lines(max_octets, lines, &o);
	size_t len = 99;
	int done = -1;

	CHECK_INT(o.err, want_err, "%s: refused", desc);
	CHECK_INT(o.fed, want_line, "%s: on line %zu", desc, want_line);
	CHECK(o.done == 0, "%s: not done", desc);
	if (!CHECK(*getk_reply_problem(r) != '\0', "%s: the problem is told",
	    desc))
		DIAG("problem: \"%s\"", getk_reply_problem(r));
	CHECK(getk_reply_data(r, &len) == NULL && len == 0,
	    "%s: no data", desc);
	CHECK_INT(getk_reply_feed(r, "250 END", 7, &done), GETK_ERR_PROTO,
	    "%s: the parser is spent", desc);
	getk_reply_free(r);
}

#define L(...) ((const char *const []){ __VA_ARGS__, NULL })

/*
 * Feeds BEFORE (when not NULL) and then the LEN bytes of LINE, which hold
 * a NUL, and checks that LINE is refused.
 */
static void
nul_case(const char *desc, const char *before, const char *line, size_t len)
{
	struct getk_reply *r = NULL;
	int done = -1;

	if (getk_reply_new(0, &r) != GETK_OK)
		BAIL_OUT("getk_reply_new failed");
	if (before)
		CHECK(getk_reply_feed(r, before, strlen(before), &done) ==
		    GETK_OK, "%s: the line before is accepted", desc);
	CHECK_INT(getk_reply_feed(r, line, len, &done), GETK_ERR_PROTO,
	    "%s: refused", desc);
	CHECK(done == 0, "%s: not done", desc);
	getk_reply_free(r);
}

/* Builds and feeds a success reply for LEN random bytes; checks it. */
static void
success_case(size_t len, enum esc_mode mode, const char *openpgp,
    const char *end, size_t max_octets)
{
	static const char *const mode_name[] = { "plain", "enhanced", "mixed" };
	struct reply_text rt = { { NULL }, 0 };
	unsigned char *data = random_bytes(len, (unsigned)len * 31 + 7);
	struct getk_reply *r = NULL;
	struct outcome o;
	const unsigned char *got;
	size_t got_len = 99;

	build_success(&rt, data, len, len, mode, openpgp, end);
	if (getk_reply_new(max_octets, &r) != GETK_OK)
		BAIL_OUT("getk_reply_new failed");
	o = feed_all(r, &rt);
	if (!CHECK(o.err == GETK_OK && o.fed == rt.n,
	    "success reply of %zu octets (%s, \"%s\"/\"%s\", %zu lines) "
	    "is accepted", len, mode_name[mode], openpgp, end, rt.n))
		DIAG("err %d on line %zu: %s", (int)o.err, o.fed,
		    getk_reply_problem(r));
	CHECK(o.done == 1 && !o.done_early, "%zu octets %s: done on the last "
	    "line only", len, mode_name[mode]);
	CHECK_INT(getk_reply_code(r), 250, "%zu octets %s: code 250", len,
	    mode_name[mode]);
	got = getk_reply_data(r, &got_len);
	CHECK(got != NULL && got_len == len && memcmp(got, data, len) == 0,
	    "%zu octets %s: the data is the original bytes", len,
	    mode_name[mode]);
	CHECK_STR(getk_reply_enhanced(r), mode == ESC_ALL ? "2.0.0" : "",
	    "%zu octets %s: enhanced code of the first line", len,
	    mode_name[mode]);
	CHECK_STR(getk_reply_problem(r), "", "%zu octets %s: no problem", len,
	    mode_name[mode]);
	getk_reply_free(r);
	rt_free(&rt);
	free(data);
}

static void
test_success(void)
{
	static const size_t sizes[] = { 1, 2, 3, 4, 56, 57, 58, 113, 114, 115,
	    1190, 4096, 65535, 65536 };
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		success_case(sizes[i], ESC_NONE, "OPENPGP", "END", 0);
		success_case(sizes[i], ESC_ALL, "OPENPGP", "END", 0);
		success_case(sizes[i], ESC_MIXED, "OPENPGP", "END", 0);
	}
	success_case(100, ESC_NONE, "openpgp", "end", 0);
	success_case(100, ESC_ALL, "OpenPGP", "End", 0);
	success_case(1000, ESC_MIXED, "OPENPGP", "eNd", 65536);
	success_case(1000, ESC_NONE, "OPENPGP", "END", 1000);

	/* A small hand-made one: "foobar". */
	{
		struct outcome o;
		struct getk_reply *r = feed_lines(0, L("250-OPENPGP 6",
		    "250-Zm9vYmFy", "250 END"), &o);
		const unsigned char *d;
		size_t len = 0;

		d = getk_reply_data(r, &len);
		CHECK(o.err == GETK_OK && o.done && d && len == 6 &&
		    memcmp(d, "foobar", 6) == 0, "\"foobar\" in one data line");
		getk_reply_free(r);
	}

	/* Other enhanced codes of class 2 are accepted. */
	{
		struct outcome o;
		struct getk_reply *r = feed_lines(0, L("250-2.1.5 OPENPGP 1",
		    "250-2.123.456 Zg==", "250 2.0.0 END"), &o);

		CHECK(o.err == GETK_OK && o.done,
		    "other class-2 enhanced codes are accepted");
		CHECK_STR(getk_reply_enhanced(r), "2.1.5",
		    "the first line's enhanced code is kept");
		getk_reply_free(r);
	}
}

/* Success replies with a wrong octet count or framing. */
static void
test_success_bad(void)
{
	struct reply_text rt = { { NULL }, 0 };
	unsigned char *data = random_bytes(1000, 99);
	struct getk_reply *r = NULL;
	struct outcome o;
	char line[600];

	/* Announced more than sent: found at END. */
	build_success(&rt, data, 1000, 1001, ESC_NONE, "OPENPGP", "END");
	getk_reply_new(0, &r);
	o = feed_all(r, &rt);
	CHECK(o.err == GETK_ERR_PROTO && o.fed == rt.n,
	    "octets 1001 with 1000 sent is refused at END");
	getk_reply_free(r);
	rt_free(&rt);

	/* Announced fewer than sent: found at the last data line. */
	build_success(&rt, data, 1000, 999, ESC_ALL, "OPENPGP", "END");
	getk_reply_new(0, &r);
	o = feed_all(r, &rt);
	CHECK(o.err == GETK_ERR_PROTO && o.fed == rt.n - 1,
	    "octets 999 with 1000 sent is refused at the last data line");
	getk_reply_free(r);
	rt_free(&rt);

	/* Far fewer: refused as soon as the data passes the count. */
	build_success(&rt, data, 1000, 10, ESC_NONE, "OPENPGP", "END");
	getk_reply_new(0, &r);
	o = feed_all(r, &rt);
	CHECK(o.err == GETK_ERR_PROTO && o.fed == 2,
	    "octets 10 with 1000 sent is refused at the first data line");
	getk_reply_free(r);
	rt_free(&rt);

	/* A line of 77 characters. */
	build_success(&rt, data, 1000, 1000, ESC_NONE, "OPENPGP", "END");
	snprintf(line, sizeof(line), "%sA", rt.lines[1]);
	free(rt.lines[1]);
	rt.lines[1] = strdup(line);
	getk_reply_new(0, &r);
	o = feed_all(r, &rt);
	CHECK(o.err == GETK_ERR_PROTO && o.fed == 2,
	    "a data line of 77 characters is refused");
	getk_reply_free(r);

	/* A short data line followed by another data line. */
	snprintf(line, sizeof(line), "%.*s", 4 + 72, rt.lines[1]);
	free(rt.lines[1]);
	rt.lines[1] = strdup(line);
	getk_reply_new(0, &r);
	o = feed_all(r, &rt);
	CHECK(o.err == GETK_ERR_PROTO && o.fed == 3,
	    "a data line after a short one is refused");
	getk_reply_free(r);
	rt_free(&rt);
	free(data);

	expect_fail("padding in the middle", 0, GETK_ERR_PROTO, 3,
	    L("250-OPENPGP 4", "250-Zg==", "250-Zm8=", "250 END"));
	/* 74 characters and "==": a full line that ends the data. */
	memcpy(line, "250-", 4);
	memset(line + 4, 'A', 74);
	memcpy(line + 78, "==", 3);
	CHECK_INT(strlen(line), 80, "a full data line with padding is built");
	expect_fail("a full line with padding, then more data", 0,
	    GETK_ERR_PROTO, 3, L("250-OPENPGP 60", line, "250-AAAA",
	    "250 END"));
	expect_fail("bad base64 character", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", "250-Zm9*", "250 END"));
	expect_fail("non-canonical base64", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 1", "250-Zh==", "250 END"));
	expect_fail("base64 with a space", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 6", "250-Zm9v YmFy", "250 END"));
	expect_fail("data line not a multiple of 4", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", "250-Zm9vY", "250 END"));
	expect_fail("empty data line", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", "250-", "250 END"));
	expect_fail("empty data line with enhanced code", 0, GETK_ERR_PROTO, 2,
	    L("250-2.0.0 OPENPGP 3", "250-2.0.0 ", "250 END"));
	expect_fail("no data at all", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", "250 END"));
	expect_fail("octets 0", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP 0", "250 END"));
	expect_fail("octets with a leading zero", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP 03", "250-Zm9v", "250 END"));
	expect_fail("octets missing", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP", "250-Zm9v", "250 END"));
	expect_fail("octets empty", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP ", "250-Zm9v", "250 END"));
	expect_fail("octets not a number", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP x3", "250-Zm9v", "250 END"));
	expect_fail("octets negative", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP -3", "250-Zm9v", "250 END"));
	expect_fail("octets with a trailing space", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP 3 ", "250-Zm9v", "250 END"));
	expect_fail("two spaces before octets", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP  3", "250-Zm9v", "250 END"));
	expect_fail("octets in hex", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGP 0x3", "250-Zm9v", "250 END"));
	expect_fail("octets 65537", 0, GETK_ERR_TOOBIG, 1,
	    L("250-OPENPGP 65537", "250-Zm9v", "250 END"));
	expect_fail("octets 65537 with a parser limit over the maximum",
	    1000000, GETK_ERR_TOOBIG, 1,
	    L("250-OPENPGP 65537", "250-Zm9v", "250 END"));
	expect_fail("more data than announced, at the parser's limit", 3,
	    GETK_ERR_PROTO, 2, L("250-OPENPGP 3", "250-Zm9vYmFy", "250 END"));
	expect_fail("more data than announced, under the limit", 0,
	    GETK_ERR_PROTO, 2, L("250-OPENPGP 3", "250-Zm9vYmFy", "250 END"));
	expect_fail("octets over the parser's limit", 100, GETK_ERR_TOOBIG, 1,
	    L("250-2.0.0 OPENPGP 101", "250-Zm9v", "250 END"));
	r = feed_lines(0, L("250-OPENPGP 99999999999999999999999", "250 END"),
	    &o);
	CHECK((o.err == GETK_ERR_PROTO || o.err == GETK_ERR_TOOBIG) &&
	    o.fed == 1, "octets of 23 digits are refused");
	getk_reply_free(r);
	expect_fail("another key format", 0, GETK_ERR_PROTO, 1,
	    L("250-X509 3", "250-Zm9v", "250 END"));
	expect_fail("OPENPGPX", 0, GETK_ERR_PROTO, 1,
	    L("250-OPENPGPX 3", "250-Zm9v", "250 END"));
	expect_fail("a single-line 250", 0, GETK_ERR_PROTO, 1,
	    L("250 OPENPGP 3"));
	expect_fail("a bare 250", 0, GETK_ERR_PROTO, 1, L("250"));
	expect_fail("a single-line 250 OK", 0, GETK_ERR_PROTO, 1,
	    L("250 2.0.0 OK"));
	expect_fail("the last line is data, not END", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", "250 Zm9v"));
	expect_fail("END with trailing text", 0, GETK_ERR_PROTO, 3,
	    L("250-OPENPGP 3", "250-Zm9v", "250 END "));
	expect_fail("ENDX", 0, GETK_ERR_PROTO, 3,
	    L("250-OPENPGP 3", "250-Zm9v", "250 ENDX"));
	expect_fail("END with a CR left on it", 0, GETK_ERR_PROTO, 3,
	    L("250-OPENPGP 3", "250-Zm9v", "250 END\r"));
	expect_fail("END as a continuation line", 0, GETK_ERR_PROTO, 3,
	    L("250-OPENPGP 3", "250-Zm9v", "250-END"));
	expect_fail("251 on a data line", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", "251-Zm9v", "250 END"));
	expect_fail("251 on the END line", 0, GETK_ERR_PROTO, 3,
	    L("250-OPENPGP 3", "250-Zm9v", "251 END"));
	expect_fail("550 on the END line", 0, GETK_ERR_PROTO, 3,
	    L("250-OPENPGP 3", "250-Zm9v", "550 END"));
	expect_fail("enhanced code of class 4 in a 250", 0, GETK_ERR_PROTO, 1,
	    L("250-4.0.0 OPENPGP 3", "250-Zm9v", "250 END"));
	expect_fail("enhanced code of class 5 on a data line", 0,
	    GETK_ERR_PROTO, 2,
	    L("250-2.0.0 OPENPGP 3", "250-5.0.0 Zm9v", "250 2.0.0 END"));
	expect_fail("enhanced code of class 5 on END", 0, GETK_ERR_PROTO, 3,
	    L("250-2.0.0 OPENPGP 3", "250-2.0.0 Zm9v", "250 5.0.0 END"));
	nul_case("NUL in a data line", "250-OPENPGP 3", "250-Zm\0v", 8);
	nul_case("NUL at the end of a data line", "250-OPENPGP 3",
	    "250-Zm9v\0", 9);
}

/* A failure reply: one line, its code, enhanced code and text. */
static void
failure_case(const char *line, int code, const char *enhanced,
    const char *text)
{
	struct outcome o;
	struct getk_reply *r = feed_lines(0, L(line), &o);
	size_t len = 99;

	CHECK(o.err == GETK_OK && o.done == 1, "\"%s\" is a complete reply",
	    line);
	CHECK_INT(getk_reply_code(r), code, "\"%s\": code", line);
	CHECK_STR(getk_reply_enhanced(r), enhanced, "\"%s\": enhanced code",
	    line);
	CHECK_STR(getk_reply_text(r), text, "\"%s\": text", line);
	CHECK(getk_reply_data(r, &len) == NULL && len == 0, "\"%s\": no data",
	    line);
	CHECK_STR(getk_reply_problem(r), "", "\"%s\": no problem", line);
	getk_reply_free(r);
}

static void
test_failure(void)
{
	struct outcome o;
	struct getk_reply *r;
	struct reply_text rt = { { NULL }, 0 };
	char line[600];
	size_t i;

	failure_case("550 5.7.0 No key available", 550, "5.7.0",
	    "No key available");
	failure_case("550 No key available", 550, "", "No key available");
	failure_case("550 5.1.2 Domain not served here", 550, "5.1.2",
	    "Domain not served here");
	failure_case("550 5.7.1 Lookups not permitted", 550, "5.7.1",
	    "Lookups not permitted");
	failure_case("450 4.7.0 Rate exceeded, try later", 450, "4.7.0",
	    "Rate exceeded, try later");
	failure_case("450 Rate exceeded, try later", 450, "",
	    "Rate exceeded, try later");
	failure_case("421 4.7.0 Too many lookups, closing connection", 421,
	    "4.7.0", "Too many lookups, closing connection");
	failure_case("421 Service not available", 421, "",
	    "Service not available");
	failure_case("451 4.4.3 Key directory temporarily unavailable", 451,
	    "4.4.3", "Key directory temporarily unavailable");
	failure_case("501 5.5.2 Syntax error", 501, "5.5.2", "Syntax error");
	failure_case("501 5.1.3 Bad address syntax", 501, "5.1.3",
	    "Bad address syntax");
	failure_case("501 Syntax error", 501, "", "Syntax error");
	failure_case("503 5.5.1 Send EHLO first", 503, "5.5.1",
	    "Send EHLO first");
	failure_case("504 5.5.4 Key format not supported", 504, "5.5.4",
	    "Key format not supported");
	failure_case("530 5.7.0 Must issue a STARTTLS command first", 530,
	    "5.7.0", "Must issue a STARTTLS command first");
	failure_case("553 5.6.7 Non-ASCII address not permitted", 553,
	    "5.6.7", "Non-ASCII address not permitted");
	failure_case("500 5.5.1 Command unrecognized", 500, "5.5.1",
	    "Command unrecognized");
	failure_case("502 Command not implemented", 502, "",
	    "Command not implemented");
	failure_case("559 5.9.9 edge", 559, "5.9.9", "edge");
	failure_case("400 4.0.0 edge", 400, "4.0.0", "edge");
	failure_case("550", 550, "", "");
	failure_case("550 ", 550, "", "");
	failure_case("550 5.7.0 ", 550, "5.7.0", "");
	failure_case("550 5.1234.0 x", 550, "", "5.1234.0 x");
	failure_case("550 5.7.0  two spaces", 550, "5.7.0", " two spaces");
	/* The text is kept printable: it is shown and stored as it is. */
	failure_case("550 5.7.0 \x1b[2J\x1b[31mNo key\rforged\\", 550,
	    "5.7.0", "\\x1b[2J\\x1b[31mNo key\\x0dforged\\\\");

	/* Multi-line failure replies keep the first line's text. */
	r = feed_lines(0, L("550-5.7.0 No key available", "550-5.7.0 for you",
	    "550 5.7.0 today"), &o);
	CHECK(o.err == GETK_OK && o.done && !o.done_early && o.fed == 3,
	    "multi-line 550 is done on its last line");
	CHECK_INT(getk_reply_code(r), 550, "multi-line 550: code");
	CHECK_STR(getk_reply_text(r), "No key available",
	    "multi-line 550: text of the first line");
	CHECK_STR(getk_reply_enhanced(r), "5.7.0",
	    "multi-line 550: enhanced code");
	getk_reply_free(r);

	r = feed_lines(0, L("450-First", "450-4.7.0 second", "450 third"), &o);
	CHECK(o.err == GETK_OK && o.done && o.fed == 3,
	    "multi-line 450 with and without enhanced codes");
	CHECK_STR(getk_reply_text(r), "First", "multi-line 450: text");
	CHECK_STR(getk_reply_enhanced(r), "", "multi-line 450: no enhanced "
	    "code on the first line");
	getk_reply_free(r);

	r = feed_lines(0, L("550-", "550 5.7.0 text"), &o);
	CHECK(o.err == GETK_OK && o.done, "multi-line 550 with an empty line");
	CHECK_STR(getk_reply_text(r), "", "its text is the first line's");
	getk_reply_free(r);

	/* GETK_MAX_ERROR_LINES lines pass; one more does not. */
	for (i = 0; i < GETK_MAX_ERROR_LINES - 1; i++)
		rt_addf(&rt, "550-5.7.0 line %zu", i);
	rt_add(&rt, "550 5.7.0 last");
	getk_reply_new(0, &r);
	o = feed_all(r, &rt);
	CHECK(o.err == GETK_OK && o.done,
	    "a failure reply of %d lines is accepted", GETK_MAX_ERROR_LINES);
	getk_reply_free(r);
	rt_free(&rt);
	for (i = 0; i < GETK_MAX_ERROR_LINES; i++)
		rt_addf(&rt, "550-5.7.0 line %zu", i);
	rt_add(&rt, "550 5.7.0 last");
	getk_reply_new(0, &r);
	o = feed_all(r, &rt);
	CHECK(o.err == GETK_ERR_PROTO && o.fed == GETK_MAX_ERROR_LINES + 1,
	    "a failure reply of %d lines is refused",
	    GETK_MAX_ERROR_LINES + 1);
	getk_reply_free(r);
	rt_free(&rt);

	/* The longest line: GETK_MAX_LINE octets pass, one more does not. */
	memcpy(line, "550 ", 4);
	memset(line + 4, 'x', GETK_MAX_LINE - 4);
	line[GETK_MAX_LINE] = '\0';
	r = feed_lines(0, L(line), &o);
	CHECK(o.err == GETK_OK && o.done,
	    "a failure line of %d octets is accepted", GETK_MAX_LINE);
	CHECK_INT(strlen(getk_reply_text(r)), GETK_MAX_LINE - 4,
	    "its whole text is kept");
	getk_reply_free(r);
	line[GETK_MAX_LINE] = 'x';
	line[GETK_MAX_LINE + 1] = '\0';
	expect_fail("a line of GETK_MAX_LINE + 1 octets", 0, GETK_ERR_PROTO,
	    1, L(line));
	line[3] = '-';
	line[GETK_MAX_LINE + 1] = '\0';
	expect_fail("a long line in the middle of a reply", 0, GETK_ERR_PROTO,
	    2, L("550-5.7.0 first", line, "550 last"));
	memcpy(line, "250-", 4);
	expect_fail("a long line in a success reply", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", line, "250 END"));

	expect_fail("different codes in a failure reply", 0, GETK_ERR_PROTO,
	    2, L("550-5.7.0 No key", "551 5.7.0 available"));
	expect_fail("450 then 550", 0, GETK_ERR_PROTO, 2,
	    L("450-4.7.0 Rate", "550 5.7.0 exceeded"));
	expect_fail("enhanced class 4 in a 550", 0, GETK_ERR_PROTO, 1,
	    L("550 4.7.0 No key available"));
	expect_fail("enhanced class 5 in a 450", 0, GETK_ERR_PROTO, 1,
	    L("450 5.7.0 Rate exceeded"));
	expect_fail("enhanced class 2 in a 421", 0, GETK_ERR_PROTO, 1,
	    L("421 2.0.0 Bye"));
	expect_fail("enhanced class mismatch on a later line", 0,
	    GETK_ERR_PROTO, 2, L("550-5.7.0 No key", "550 4.7.0 available"));
	nul_case("NUL in a failure line", NULL, "550 5.7.0 No\0key", 16);
	nul_case("NUL in a later failure line", "550-5.7.0 No key",
	    "550 5.7.0 \0", 11);
}

static void
test_codes(void)
{
	expect_fail("unknown 2yz 299", 0, GETK_ERR_PROTO, 1,
	    L("299 2.0.0 What"));
	expect_fail("251 single line", 0, GETK_ERR_PROTO, 1,
	    L("251 2.1.5 forwarded to <x@example.net>"));
	expect_fail("251 multi-line", 0, GETK_ERR_PROTO, 1,
	    L("251-OPENPGP 3", "251-Zm9v", "251 END"));
	expect_fail("220", 0, GETK_ERR_PROTO, 1, L("220 ready"));
	expect_fail("200", 0, GETK_ERR_PROTO, 1, L("200 ok"));
	expect_fail("code 199", 0, GETK_ERR_PROTO, 1, L("199 below"));
	expect_fail("code 100", 0, GETK_ERR_PROTO, 1, L("100 below"));
	expect_fail("code 000", 0, GETK_ERR_PROTO, 1, L("000 zero"));
	expect_fail("code 600", 0, GETK_ERR_PROTO, 1, L("600 above"));
	expect_fail("code 999", 0, GETK_ERR_PROTO, 1, L("999 above"));
	/* RFC 5321 4.2: the second digit is 0 to 5. */
	expect_fail("code 599", 0, GETK_ERR_PROTO, 1, L("599 5.9.9 edge"));
	expect_fail("code 560", 0, GETK_ERR_PROTO, 1, L("560 odd"));
	/* 3yz asks for more input: it is no answer to GETK. */
	expect_fail("3yz: 354", 0, GETK_ERR_PROTO, 1,
	    L("354 Start mail input"));
	expect_fail("3yz: 334", 0, GETK_ERR_PROTO, 1, L("334 VXNlcm5hbWU6"));

	expect_fail("empty line", 0, GETK_ERR_PROTO, 1, L(""));
	expect_fail("two digits", 0, GETK_ERR_PROTO, 1, L("55"));
	expect_fail("four digits", 0, GETK_ERR_PROTO, 1, L("5500 x"));
	expect_fail("letter after the code", 0, GETK_ERR_PROTO, 1,
	    L("550x No key"));
	expect_fail("letter in the code", 0, GETK_ERR_PROTO, 1,
	    L("5a0 No key"));
	expect_fail("space before the code", 0, GETK_ERR_PROTO, 1,
	    L(" 550 No key"));
	expect_fail("tab after the code", 0, GETK_ERR_PROTO, 1,
	    L("550\tNo key"));
	nul_case("NUL in the code", NULL, "5\0" "0 x", 5);
	nul_case("NUL after the code", NULL, "550\0x", 5);
	expect_fail("bad line in the middle", 0, GETK_ERR_PROTO, 2,
	    L("550-5.7.0 No key", "garbage", "550 end"));
	expect_fail("bad line in a success reply", 0, GETK_ERR_PROTO, 2,
	    L("250-OPENPGP 3", "25O-Zm9v", "250 END"));
}

static void
test_after_done(void)
{
	struct outcome o;
	struct getk_reply *r;
	int done = -1;
	size_t len = 0;

	r = feed_lines(0, L("250-OPENPGP 3", "250-Zm9v", "250 END"), &o);
	CHECK(o.err == GETK_OK && o.done, "a success reply completes");
	CHECK_INT(getk_reply_feed(r, "250 END", 7, &done), GETK_ERR_PROTO,
	    "a line after the end of a success reply is refused");
	CHECK(done == 0, "and *r_done is cleared");
	CHECK(*getk_reply_problem(r) != '\0', "and the problem is told");
	getk_reply_free(r);

	r = feed_lines(0, L("550 5.7.0 No key available"), &o);
	done = -1;
	CHECK_INT(getk_reply_feed(r, "550 5.7.0 again", 15, &done),
	    GETK_ERR_PROTO, "a line after the end of a failure reply is "
	    "refused");
	CHECK(done == 0, "and *r_done is cleared");
	getk_reply_free(r);

	/* A fresh parser knows nothing yet. */
	if (getk_reply_new(0, &r) != GETK_OK)
		BAIL_OUT("getk_reply_new failed");
	CHECK_INT(getk_reply_code(r), 0, "a new parser has code 0");
	CHECK_STR(getk_reply_text(r), "", "a new parser has no text");
	CHECK_STR(getk_reply_enhanced(r), "", "a new parser has no enhanced "
	    "code");
	CHECK_STR(getk_reply_problem(r), "", "a new parser has no problem");
	len = 99;
	CHECK(getk_reply_data(r, &len) == NULL && len == 0,
	    "a new parser has no data");
	done = -1;
	CHECK(getk_reply_feed(r, "250-OPENPGP 3", 13, &done) == GETK_OK &&
	    done == 0, "a first line is not the end");
	len = 99;
	CHECK(getk_reply_data(r, &len) == NULL && len == 0,
	    "no data before END");
	CHECK(getk_reply_feed(r, "250-Zm9v", 8, &done) == GETK_OK &&
	    done == 0, "a data line is not the end");
	len = 99;
	CHECK(getk_reply_data(r, &len) == NULL && len == 0,
	    "no data before END, even when all of it came");
	getk_reply_free(r);

	/* Only LEN bytes of a line are read. */
	getk_reply_new(0, &r);
	CHECK(getk_reply_feed(r, "550 5.7.0 No keyXXXX", 16, &done) ==
	    GETK_OK && done == 1, "feed reads only LEN bytes");
	CHECK_STR(getk_reply_text(r), "No key", "and keeps only those");
	getk_reply_free(r);

	getk_reply_free(NULL);
	CHECK(1, "getk_reply_free(NULL) is a no-op");
}

int
main(void)
{
	test_success();
	test_success_bad();
	test_failure();
	test_codes();
	test_after_done();
	return done_testing();
}
