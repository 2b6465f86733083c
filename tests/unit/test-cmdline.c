/*
 * test-cmdline.c: unit tests of src/cmdline.c, getkd's reader of client
 * command lines: the line checks (512 octets, NUL, bare CR and LF), the
 * verbs getkd watches, and the GETK (GETK.md 2) and BDAT arguments.
 */
#include <config.h>

#include <string.h>

#include "cmdline.h"
#include "unit.h"

static void
test_check(void)
{
	char line[600];

	CHECK_INT(getk_cmdline_check("NOOP\r\n", 6), GETK_CMDLINE_OK, "NOOP");
	CHECK_INT(getk_cmdline_check("NOOP\n", 5), GETK_CMDLINE_BARE_LF,
	    "bare LF at the end");
	CHECK_INT(getk_cmdline_check("\n", 1), GETK_CMDLINE_BARE_LF,
	    "a lone LF");
	CHECK_INT(getk_cmdline_check("NO\rOP\r\n", 7), GETK_CMDLINE_BARE_CR,
	    "a CR inside");
	CHECK_INT(getk_cmdline_check("NO\0OP\r\n", 7), GETK_CMDLINE_NUL,
	    "a NUL byte");
	memset(line, 'x', sizeof(line));
	memcpy(line + 510, "\r\n", 2);
	CHECK_INT(getk_cmdline_check(line, 512), GETK_CMDLINE_OK,
	    "512 octets with CRLF");
	memcpy(line + 511, "\r\n", 2);
	CHECK_INT(getk_cmdline_check(line, 513), GETK_CMDLINE_TOO_LONG,
	    "513 octets");
	CHECK_INT(getk_cmdline_check(line, 512), GETK_CMDLINE_TOO_LONG,
	    "512 octets and no LF yet");
	CHECK(strncmp(getk_cmdline_check_reply(GETK_CMDLINE_TOO_LONG),
	    "500 5.5.2 ", 10) == 0, "too long: 500 5.5.2");
	CHECK(strstr(getk_cmdline_check_reply(GETK_CMDLINE_NUL), "\r\n") !=
	    NULL, "replies end in CRLF");
}

/* Parses S; the error's reply or "" in R_REPLY. */
static enum getk_err
parse(const char *s, struct getk_cmd *c, const char **r_reply)
{
	enum getk_err err = getk_cmdline_parse(s, strlen(s), c, r_reply);

	if (!*r_reply)
		*r_reply = "";
	return err;
}

static void
test_verbs(void)
{
	static const struct {
		const char *line;
		enum getk_verb verb;
	} cases[] = {
		{ "EHLO client.example.net", GETK_VERB_EHLO },
		{ "ehlo x", GETK_VERB_EHLO },
		{ "HELO x", GETK_VERB_HELO },
		{ "STARTTLS", GETK_VERB_STARTTLS },
		{ "StartTLS", GETK_VERB_STARTTLS },
		{ "MAIL FROM:<a@example.net>", GETK_VERB_MAIL },
		{ "RCPT TO:<b@example.org>", GETK_VERB_RCPT },
		{ "DATA", GETK_VERB_DATA },
		{ "RSET", GETK_VERB_RSET },
		{ "QUIT", GETK_VERB_QUIT },
		{ "XCLIENT ADDR=1.2.3.4", GETK_VERB_XCLIENT },
		{ "xforward NAME=x", GETK_VERB_XFORWARD },
		{ "NOOP", GETK_VERB_OTHER },
		{ "STARTTLSX", GETK_VERB_OTHER },
		{ "DATAX", GETK_VERB_OTHER },
		{ "", GETK_VERB_OTHER },
	};
	struct getk_cmd c;
	const char *reply;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		parse(cases[i].line, &c, &reply);
		CHECK_INT(c.verb, cases[i].verb, "verb of \"%s\"",
		    cases[i].line);
	}
	parse("EHLO client.example.net", &c, &reply);
	CHECK(c.argslen == 18 && memcmp(c.args, "client.example.net", 18) == 0,
	    "the arguments after the verb");
	parse("STARTTLS", &c, &reply);
	CHECK_INT(c.argslen, 0, "STARTTLS has no arguments");
}

static void
test_getk(void)
{
	static const struct {
		const char *line;
		const char *reply;	/* NULL: accepted */
	} cases[] = {
		{ "GETK <alice@example.org>", NULL },
		{ "XGETK <alice@example.org>", NULL },
		{ "getk alice@example.org", NULL },
		{ "GETK <alice@example.org> FORMAT=OPENPGP", NULL },
		{ "GETK <alice@example.org> format=openpgp SMTPUTF8", NULL },
		{ "GETK <\"a b\"@example.org>", NULL },
		{ "GETK \"a b\"@example.org FORMAT=OPENPGP", NULL },
		{ "GETK", "501 5.5.2" },
		{ "GETK ", "501 5.5.2" },
		{ "GETK  <alice@example.org>", "501 5.5.2" },
		{ "GETK <alice@example.org>  FORMAT=OPENPGP", "501 5.5.2" },
		{ "GETK <alice@example.org> ", "501 5.5.2" },
		{ "GETK <alice@example.org", "501 5.1.3" },
		{ "GETK <alice>", "501 5.1.3" },
		{ "GETK <@route:alice@example.org>", "501 5.1.3" },
		{ "GETK <alice@[192.0.2.1]>", "501 5.1.3" },
		{ "GETK <a\xff@example.org>", "501 5.1.3" },
		{ "GETK <a\xc3@example.org>", "501 5.1.3" },
		{ "GETK <alice@example.org> FORMAT=X509", "504 5.5.4" },
		{ "GETK <alice@example.org> FORMAT=", "501 5.5.4" },
		{ "GETK <alice@example.org> SIZE=10", "501 5.5.4" },
	};
	struct getk_cmd c;
	const char *reply;
	enum getk_err err;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = parse(cases[i].line, &c, &reply);
		if (!cases[i].reply)
			CHECK(err == GETK_OK, "accepted: \"%s\" (%s)",
			    cases[i].line, reply);
		else
			CHECK(err == GETK_ERR_SYNTAX && strncmp(reply,
			    cases[i].reply, 9) == 0, "\"%s\": %s (got %s)",
			    cases[i].line, cases[i].reply, reply);
		CHECK_INT(c.verb, GETK_VERB_GETK, "GETK verb even so: %s",
		    cases[i].line);
	}
	err = parse("GETK <Alice.Doe@Example.ORG> SMTPUTF8", &c, &reply);
	CHECK(err == GETK_OK && c.locallen == 9 && memcmp(c.local,
	    "Alice.Doe", 9) == 0, "the local part as sent");
	CHECK(c.domainlen == 11 && memcmp(c.domain, "Example.ORG", 11) == 0,
	    "the domain as sent");
	CHECK(c.smtputf8 && !c.utf8, "SMTPUTF8 given, ASCII mailbox");
	err = parse("GETK <\"x@y\"@example.org>", &c, &reply);
	CHECK(err == GETK_OK && c.domainlen == 11 && c.locallen == 5,
	    "a quoted local part with @: the domain after the last @");
	err = parse("GETK <j\xc3\xb6rg@example.org>", &c, &reply);
	CHECK(err == GETK_OK && c.utf8 && !c.smtputf8,
	    "UTF-8 mailbox: parsed, flagged for the caller");
	err = parse("GETK <\xed\xa0\x80@example.org>", &c, &reply);
	CHECK(err == GETK_ERR_SYNTAX, "a UTF-8 surrogate is refused");
}

static void
test_bdat(void)
{
	struct getk_cmd c;
	const char *reply;

	CHECK(parse("BDAT 1000", &c, &reply) == GETK_OK && c.chunk == 1000 &&
	    !c.last, "BDAT 1000");
	CHECK(parse("bdat 0 last", &c, &reply) == GETK_OK && c.chunk == 0 &&
	    c.last, "BDAT 0 LAST");
	CHECK(parse("BDAT 9999999999999999999", &c, &reply) == GETK_ERR_SYNTAX,
	    "19 digits refused");
	CHECK(parse("BDAT", &c, &reply) == GETK_ERR_SYNTAX, "BDAT alone");
	CHECK(parse("BDAT -1", &c, &reply) == GETK_ERR_SYNTAX, "negative");
	CHECK(parse("BDAT 10 LASTX", &c, &reply) == GETK_ERR_SYNTAX,
	    "LASTX");
	CHECK(parse("BDAT 10  LAST", &c, &reply) == GETK_ERR_SYNTAX,
	    "two spaces");
	CHECK(strncmp(reply, "501 5.5.4", 9) == 0, "BDAT errors: 501 5.5.4");
}

int
main(void)
{
	test_check();
	test_verbs();
	test_getk();
	test_bdat();
	return done_testing();
}
