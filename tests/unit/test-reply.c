/*
 * test-reply.c: unit tests of src/reply.c (SMTP reply lines, RFC 5321
 * 4.2 and RFC 3463, and whole replies of several lines) and of
 * getk_printable (src/codec.c), which every reply text passes through
 * before it is shown or stored.
 */
#include <config.h>

#include <string.h>

#include "codec.h"
#include "reply.h"
#include "unit.h"

/* A line that parses, and what it must give. */
struct good {
	const char *line;
	int code;
	int last;
	const char *text;
	const char *enhanced;
	int mismatch;
	const char *msg;
};

static const struct good goods[] = {
	{ "250 OK", 250, 1, "OK", "", 0, "OK" },
	{ "250-mx.example.org", 250, 0, "mx.example.org", "", 0,
	    "mx.example.org" },
	{ "250", 250, 1, "", "", 0, "" },
	{ "354 ", 354, 1, "", "", 0, "" },
	{ "220 mx.example.org ESMTP", 220, 1, "mx.example.org ESMTP", "", 0,
	    "mx.example.org ESMTP" },
	{ "550 5.7.0 No key available", 550, 1, "5.7.0 No key available",
	    "5.7.0", 0, "No key available" },
	{ "250-2.0.0 OPENPGP 1190", 250, 0, "2.0.0 OPENPGP 1190", "2.0.0", 0,
	    "OPENPGP 1190" },
	{ "451 4.4.3 Key directory temporarily unavailable", 451, 1,
	    "4.4.3 Key directory temporarily unavailable", "4.4.3", 0,
	    "Key directory temporarily unavailable" },
	{ "550 5.123.456 x", 550, 1, "5.123.456 x", "5.123.456", 0, "x" },
	/* Not enhanced codes: the text stays whole. */
	{ "550 5.7 nope", 550, 1, "5.7 nope", "", 0, "5.7 nope" },
	{ "550 5.1234.0 x", 550, 1, "5.1234.0 x", "", 0, "5.1234.0 x" },
	{ "550 5.7.0", 550, 1, "5.7.0", "", 0, "5.7.0" },
	{ "550 3.7.0 x", 550, 1, "3.7.0 x", "", 0, "3.7.0 x" },
	/* An enhanced code of another class is reported, not split. */
	{ "250 5.1.1 odd", 250, 1, "5.1.1 odd", "", 1, "5.1.1 odd" },
	{ "550 2.0.0 odd", 550, 1, "2.0.0 odd", "", 1, "2.0.0 odd" },
	/* Any byte but NUL may be in the text. */
	{ "550 \x1b[31mred\r", 550, 1, "\x1b[31mred\r", "", 0,
	    "\x1b[31mred\r" },
	{ "559 x", 559, 1, "x", "", 0, "x" },
	{ "200-", 200, 0, "", "", 0, "" },
};

/* A line that does not parse. */
static const char *const bads[] = {
	"", "2", "25", "25x", "x50 OK", "150 OK", "650 OK", "260 OK",
	"25O OK", "250OK", "250\tOK", "250_OK", " 250 OK",
};

static void
test_good(void)
{
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct getk_reply_line r;
		const char *why = "x";
		char text[600], msg[600];
		enum getk_err err;

		err = getk_reply_line_parse(g->line, strlen(g->line), &r, &why);
		if (!CHECK(err == GETK_OK && why == NULL, "\"%s\" parses",
		    g->line))
			continue;
		snprintf(text, sizeof(text), "%.*s", (int)r.textlen, r.text);
		snprintf(msg, sizeof(msg), "%.*s", (int)r.msglen, r.msg);
		CHECK_INT(r.code, g->code, "\"%s\": code", g->line);
		CHECK_INT(r.last, g->last, "\"%s\": last line or not", g->line);
		CHECK_STR(text, g->text, "\"%s\": text", g->line);
		CHECK_STR(r.enhanced, g->enhanced, "\"%s\": enhanced code",
		    g->line);
		CHECK_INT(r.enhanced_mismatch, g->mismatch,
		    "\"%s\": enhanced class mismatch", g->line);
		CHECK_STR(msg, g->msg, "\"%s\": message", g->line);
	}
}

static void
test_bad(void)
{
	struct getk_reply_line r;
	const char *why;
	char line[GETK_REPLY_LINE_MAX + 8];
	size_t i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		why = NULL;
		memset(&r, 0x5a, sizeof(r));
		CHECK(getk_reply_line_parse(bads[i], strlen(bads[i]), &r,
		    &why) == GETK_ERR_PROTO && why && *why && r.code == 0 &&
		    r.text == NULL, "\"%s\" is refused and *r cleared", bads[i]);
	}
	why = NULL;
	CHECK(getk_reply_line_parse("550 a\0b", 7, &r, &why) ==
	    GETK_ERR_PROTO && why && strstr(why, "NUL"),
	    "a NUL byte is refused");

	/* 510 octets plus CRLF is the limit; one more is refused. */
	memset(line, 'x', sizeof(line));
	memcpy(line, "250 ", 4);
	CHECK(getk_reply_line_parse(line, GETK_REPLY_LINE_MAX - 2, &r, &why) ==
	    GETK_OK && r.textlen == GETK_REPLY_LINE_MAX - 6,
	    "a line of %d octets with its CRLF parses", GETK_REPLY_LINE_MAX);
	CHECK(getk_reply_line_parse(line, GETK_REPLY_LINE_MAX - 1, &r, &why) ==
	    GETK_ERR_PROTO && strstr(why, "long"),
	    "a line of %d octets with its CRLF is refused",
	    GETK_REPLY_LINE_MAX + 1);
}

/* IN (LEN bytes) must print as WANT with room for OUTSZ bytes. */
static void
printable_is(const char *in, size_t len, size_t outsz, const char *want)
{
	char out[256];

	memset(out, 'Z', sizeof(out));
	CHECK(getk_printable(out, outsz, in, len) == out, "returns OUT");
	CHECK_STR(out, want, "printable of %zu bytes in %zu", len, outsz);
	CHECK(strlen(out) < outsz, "fits in %zu bytes", outsz);
}

static void
test_printable(void)
{
	char all[256];
	char out[256 * 4 + 1];
	size_t i;

	printable_is("No key available", 16, 64, "No key available");
	printable_is("\x1b[2J\x1b]0;pwned\x07", 14, 64,
	    "\\x1b[2J\\x1b]0;pwned\\x07");
	printable_is("a\rb\nc\td", 7, 64, "a\\x0db\\x0ac\\x09d");
	printable_is("C:\\x", 4, 64, "C:\\\\x");
	printable_is("\x7f\x80\xff", 3, 64, "\\x7f\\x80\\xff");
	printable_is("a\0b", 3, 64, "a\\x00b");
	printable_is("", 0, 1, "");
	/* Cut at an escape's boundary, never inside one. */
	printable_is("abc", 3, 3, "ab");
	printable_is("a\x1b", 2, 5, "a");
	printable_is("a\x1b", 2, 6, "a\\x1b");
	printable_is("a\\", 2, 3, "a");

	/* No byte of any value survives as a control or 8-bit byte. */
	for (i = 0; i < sizeof(all); i++)
		all[i] = (char)i;
	getk_printable(out, sizeof(out), all, sizeof(all));
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 ||
		    (unsigned char)out[i] >= 0x7f)
			break;
	CHECK(out[i] == '\0' && strlen(out) == 94 + 2 + 161 * 4,
	    "every byte value comes out printable (%zu characters)",
	    strlen(out));
}

/* Feeds the N lines to a fresh reader; returns the first error. */
static enum getk_err
feed_all(struct getk_multiline *m, const char *const *lines, size_t n,
    size_t *r_fed, const char **r_why)
{
	size_t i;
	enum getk_err err = GETK_OK;

	getk_multiline_init(m);
	*r_why = NULL;
	for (i = 0; i < n && !err; i++)
		err = getk_multiline_feed(m, lines[i], strlen(lines[i]), NULL,
		    r_why);
	*r_fed = i;
	return err;
}

static void
test_multiline(void)
{
	static const char *const one[] = { "250 2.0.0 Ok: queued as 0001" };
	static const char *const ehlo[] = {
		"250-relay.example.org", "250-PIPELINING", "250 AUTH PLAIN"
	};
	static const char *const refusal[] = {
		"550-5.1.1 The account that you tried to reach",
		"550-5.1.1 does not exist.",
		"550 5.1.1 https://example.org/NoSuchUser"
	};
	static const char *const hostile[] = {
		"550 5.1.1 \x1b[31mno such user\rOVERWRITTEN\x1b[0m"
	};
	static const char *const mixed[] = { "250-first", "251 second" };
	static const char *const after[] = { "250 done", "250 again" };
	static const char *const bad[] = { "250-first", "25x second" };
	struct getk_multiline m;
	struct getk_reply_line rl;
	const char *why;
	size_t fed, i;
	char line[32];

	CHECK(feed_all(&m, one, 1, &fed, &why) == GETK_OK && m.done &&
	    m.code == 250 && m.lines == 1, "a one-line reply is done at once");
	CHECK_STR(m.enhanced, "2.0.0", "its enhanced code");
	CHECK_STR(m.text, "250 2.0.0 Ok: queued as 0001", "its text");

	getk_multiline_init(&m);
	CHECK(getk_multiline_feed(&m, ehlo[1], strlen(ehlo[1]), &rl, &why) ==
	    GETK_OK && !m.done && rl.textlen == 10 &&
	    memcmp(rl.text, "PIPELINING", 10) == 0,
	    "the parsed line is handed back, its raw text in it");
	CHECK(feed_all(&m, ehlo, 3, &fed, &why) == GETK_OK && m.done &&
	    m.lines == 3, "an EHLO reply of three lines");
	CHECK_STR(m.text, "250 relay.example.org PIPELINING AUTH PLAIN",
	    "its lines joined");

	CHECK(feed_all(&m, refusal, 3, &fed, &why) == GETK_OK && m.done,
	    "a refusal of three lines");
	CHECK_STR(m.text, "550 5.1.1 The account that you tried to reach "
	    "does not exist. https://example.org/NoSuchUser",
	    "one enhanced code, every line's message");

	CHECK(feed_all(&m, hostile, 1, &fed, &why) == GETK_OK,
	    "ESC and bare CR in the text are taken");
	CHECK_STR(m.text, "550 5.1.1 \\x1b[31mno such user\\x0dOVERWRITTEN"
	    "\\x1b[0m", "and kept printable");

	CHECK(feed_all(&m, mixed, 2, &fed, &why) == GETK_ERR_PROTO &&
	    fed == 2 && why && strstr(why, "different codes") && !m.done &&
	    m.lines == 1, "a line with another code is refused");
	CHECK(feed_all(&m, after, 2, &fed, &why) == GETK_ERR_PROTO &&
	    fed == 2 && why && strstr(why, "after the end"),
	    "a line after the last one is refused");
	CHECK(feed_all(&m, bad, 2, &fed, &why) == GETK_ERR_PROTO &&
	    fed == 2 && why && *why, "a malformed line is refused");

	/* GETK_REPLY_MAX_LINES lines pass; one more does not. */
	getk_multiline_init(&m);
	for (i = 0; i + 1 < GETK_REPLY_MAX_LINES; i++)
		if (getk_multiline_feed(&m, "250-x", 5, NULL, &why))
			break;
	CHECK(i + 1 == GETK_REPLY_MAX_LINES && getk_multiline_feed(&m,
	    "250 x", 5, NULL, &why) == GETK_OK && m.done,
	    "a reply of %d lines is taken", GETK_REPLY_MAX_LINES);
	getk_multiline_init(&m);
	for (i = 0; i < GETK_REPLY_MAX_LINES; i++)
		if (getk_multiline_feed(&m, "250-x", 5, NULL, &why))
			break;
	CHECK(i == GETK_REPLY_MAX_LINES && getk_multiline_feed(&m, "250 x",
	    5, NULL, &why) == GETK_ERR_PROTO && strstr(why, "many"),
	    "one line more is refused");

	/* A long reply is cut to fit, never overflows. */
	getk_multiline_init(&m);
	memset(line, 'y', sizeof(line));
	memcpy(line, "450-", 4);
	for (i = 0; i < 40; i++)
		getk_multiline_feed(&m, line, sizeof(line), NULL, &why);
	CHECK(strlen(m.text) < sizeof(m.text) && m.lines == 40,
	    "a long reply's text is cut to %zu octets", sizeof(m.text) - 1);
}

int
main(void)
{
	test_good();
	test_bad();
	test_printable();
	test_multiline();
	return done_testing();
}
