/*
 * test-reply.c: unit tests of src/reply.c (SMTP reply lines, RFC 5321
 * 4.2 and RFC 3463) and of getk_printable (src/codec.c), which every
 * reply text passes through before it is shown or stored.
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

int
main(void)
{
	test_good();
	test_bad();
	test_printable();
	return done_testing();
}
