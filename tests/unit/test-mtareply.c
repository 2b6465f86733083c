/*
 * test-mtareply.c: unit tests of src/mtareply.c: gathering the MTA's
 * replies and the EHLO reply as getkd's client sees it.
 */
#include <config.h>

#include <string.h>

#include "mtareply.h"
#include "unit.h"

/* Feeds the CRLF-separated LINES; the error of the first refused one. */
static enum getk_err
feed(struct getk_mtareply *r, const char *lines)
{
	const char *why;

	while (*lines) {
		const char *e = strstr(lines, "\r\n");
		enum getk_err err;

		err = getk_mtareply_feed(r, lines, (size_t)(e - lines), &why);
		if (err)
			return err;
		lines = e + 2;
	}
	return GETK_OK;
}

static void
test_feed(void)
{
	struct getk_mtareply r;
	const char *why;
	int i;

	getk_mtareply_init(&r);
	CHECK(feed(&r, "220 mx.example.org ESMTP\r\n") == GETK_OK && r.done &&
	    r.code == 220 && r.nlines == 1, "a one-line reply");
	getk_mtareply_reset(&r);
	CHECK(feed(&r, "250-a\r\n250-b\r\n") == GETK_OK && !r.done &&
	    r.nlines == 2, "a reply going on");
	CHECK(feed(&r, "250 c\r\n") == GETK_OK && r.done, "and its end");
	CHECK_STR(r.raw.data, "250-a\r\n250-b\r\n250 c\r\n",
	    "the lines as received");
	CHECK(feed(&r, "250 d\r\n") == GETK_ERR_PROTO, "nothing after the end");
	getk_mtareply_reset(&r);
	CHECK(feed(&r, "250-a\r\n251 b\r\n") == GETK_ERR_PROTO,
	    "another code on a later line");
	getk_mtareply_reset(&r);
	CHECK(feed(&r, "hello\r\n") == GETK_ERR_PROTO, "not a reply line");
	getk_mtareply_reset(&r);
	for (i = 0; i < GETK_MTAREPLY_MAX_LINES; i++)
		getk_mtareply_feed(&r, "250-x", 5, &why);
	CHECK(getk_mtareply_feed(&r, "250 x", 5, &why) == GETK_ERR_PROTO &&
	    why != NULL, "one line too many");
	getk_mtareply_free(&r);
}

/* The EHLO reply IN rewritten; OUT must hold 1024 bytes. */
static void
rewrite(const char *in, int tls, int getk, char *out,
    struct getk_ehlo_caps *caps)
{
	struct getk_mtareply r;
	struct getk_buf b;

	getk_mtareply_init(&r);
	getk_buf_init(&b, 0);
	feed(&r, in);
	getk_ehlo_rewrite(&r, tls, getk, &b, caps);
	snprintf(out, 1024, "%s", b.data ? b.data : "");
	getk_buf_free(&b);
	getk_mtareply_free(&r);
}

static void
test_ehlo(void)
{
	static const char postfix[] = "250-mx.example.org\r\n"
	    "250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
	    "250-STARTTLS\r\n250-XCLIENT NAME ADDR PORT\r\n"
	    "250-XFORWARD NAME ADDR\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250-8BITMIME\r\n250-DSN\r\n250-X-FUTURE-THING\r\n"
	    "250-SMTPUTF8\r\n250 CHUNKING\r\n";
	struct getk_ehlo_caps caps;
	char out[1024];

	rewrite(postfix, 1, 0, out, &caps);
	CHECK_STR(out, "250-mx.example.org\r\n250-PIPELINING\r\n"
	    "250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n"
	    "250-SMTPUTF8\r\n250-CHUNKING\r\n250 STARTTLS\r\n",
	    "before TLS: getkd's STARTTLS last, XCLIENT, XFORWARD and the "
	    "unknown one gone");
	CHECK(caps.ok && caps.pipelining && caps.chunking && caps.enhanced &&
	    caps.smtputf8 && caps.xclient, "the capabilities found");
	rewrite(postfix, 0, 1, out, &caps);
	CHECK(strstr(out, "250 GETK OPENPGP\r\n") != NULL &&
	    strstr(out, "STARTTLS") == NULL, "after TLS: GETK, no STARTTLS");
	rewrite("250 mx.example.org\r\n", 1, 0, out, &caps);
	CHECK_STR(out, "250-mx.example.org\r\n250 STARTTLS\r\n",
	    "a one-line EHLO reply gets a second line");
	CHECK(!caps.pipelining && !caps.xclient, "no capabilities there");
	rewrite("250-mx.example.org\r\n250 STARTTLS\r\n", 0, 0, out, &caps);
	CHECK_STR(out, "250 mx.example.org\r\n",
	    "nothing left but the greeting line");
	rewrite("550 5.7.1 go away\r\n", 1, 1, out, &caps);
	CHECK_STR(out, "550 5.7.1 go away\r\n", "a refusal is passed as it is");
	CHECK(!caps.ok, "and is no EHLO");
	rewrite("250-mx\r\n250-AUTH PLAIN LOGIN\r\n250-auth=login\r\n"
	    "250 size=100\r\n", 0, 0, out, &caps);
	CHECK_STR(out, "250-mx\r\n250-AUTH PLAIN LOGIN\r\n250-auth=login\r\n"
	    "250 size=100\r\n", "keywords in any case, AUTH= kept");
}

int
main(void)
{
	test_feed();
	test_ehlo();
	return done_testing();
}
