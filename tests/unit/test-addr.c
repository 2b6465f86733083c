/*
 * test-addr.c: unit tests of src/addr.c, the mailbox checker and parser
 * and the User ID match rule of GETK.md 6.5.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "unit.h"

/* Parses IN and checks that it gives WANT. */
static void
parse_ok(const char *in, const char *want)
{
	char *mbox = NULL;
	const char *why = NULL;
	enum getk_err err;

	err = getk_addr_parse(in, &mbox, &why);
	if (!CHECK(err == GETK_OK, "parse accepts \"%s\"", in))
		DIAG("err %d, why: %s", (int)err, why ? why : "(null)");
	CHECK_STR(mbox, want, "parse \"%s\" gives \"%s\"", in, want);
	CHECK(why == NULL, "no reason set for \"%s\"", in);
	free(mbox);
}

/*
 * Parses IN and checks that it is refused with a reason that contains
 * WHY_PART (NULL: any reason).
 */
static void
parse_bad(const char *in, const char *why_part)
{
	char *mbox = (char *)1;
	const char *why = NULL;
	enum getk_err err;

	err = getk_addr_parse(in, &mbox, &why);
	CHECK(err == GETK_ERR_SYNTAX, "parse refuses \"%s\"", in);
	CHECK(mbox == NULL, "no mailbox returned for \"%s\"", in);
	if (err == GETK_OK)
		free(mbox);
	if (!CHECK(why != NULL && (!why_part || strstr(why, why_part)),
	    "reason for \"%s\" mentions \"%s\"", in,
	    why_part ? why_part : "anything"))
		DIAG("reason: %s", why ? why : "(null)");
}

static void
check_ok(const char *s)
{
	const char *why = getk_mailbox_check(s, strlen(s));

	if (!CHECK(why == NULL, "mailbox_check accepts \"%s\"", s))
		DIAG("reason: %s", why);
}

static void
check_bad(const char *s, size_t len, const char *why_part)
{
	const char *why = getk_mailbox_check(s, len);

	if (!CHECK(why != NULL && strstr(why, why_part),
	    "mailbox_check refuses \"%.*s\" (%s)", (int)len, s, why_part))
		DIAG("reason: %s", why ? why : "(null)");
}

/* Fills BUF with N copies of C and a NUL. */
static char *
fill(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* A domain of exactly LEN characters: labels of 63 'b's and dots. */
static char *
make_domain(char *buf, size_t len)
{
	size_t i, label = 0;

	for (i = 0; i < len; i++) {
		if (label == 63 || (i == len - 5 && label > 0)) {
			buf[i] = '.';
			label = 0;
		} else {
			buf[i] = 'b';
			label++;
		}
	}
	buf[len] = '\0';
	return buf;
}

/* For literals: the length is the literal's, NUL bytes included. */
#define CHECK_BAD(lit, why_part) check_bad((lit), sizeof(lit) - 1, (why_part))

static void
test_check(void)
{
	char buf[600], local[100], dom[300];

	check_ok("user@example.org");
	check_ok("first.last@example.org");
	check_ok("a@b.c");
	check_ok("!#$%&'*+-/=?^_`{|}~@example.org");
	check_ok("user+tag@sub.example.co.uk");
	check_ok("User@Example.ORG");
	check_ok("u@a-b.example.org");
	check_ok("u@123.example.org");
	check_ok("\"quoted\"@example.org");
	check_ok("\"with space\"@example.org");
	check_ok("\"a@b\"@example.org");
	check_ok("\"esc\\\"aped\"@example.org");
	check_ok("\"back\\\\slash\"@example.org");

	CHECK_BAD("", "empty address");
	CHECK_BAD("user", "no @");
	CHECK_BAD("@example.org", "empty local part");
	CHECK_BAD("user@", "empty domain");
	CHECK_BAD("us\rer@example.org", "control character");
	CHECK_BAD("user@example.org\n", "control character");
	CHECK_BAD("user\0@example.org", "control character");
	CHECK_BAD(".user@example.org", "misplaced dot");
	CHECK_BAD("user.@example.org", "misplaced dot");
	CHECK_BAD("us..er@example.org", "misplaced dot");
	CHECK_BAD(".@example.org", "misplaced dot");
	CHECK_BAD("us er@example.org", "bad character in local part");
	CHECK_BAD("us(er@example.org", "bad character in local part");
	CHECK_BAD("us\"er@example.org", "bad character in local part");
	CHECK_BAD("a@b@example.org", "bad character in local part");
	CHECK_BAD("j\xc3\xb6@example.org", "non-ASCII");
	CHECK_BAD("joe@ex\xc3\xa4mple.org", "non-ASCII");
	CHECK_BAD("\"unterminated@example.org", "unterminated");
	CHECK_BAD("\"a\"b\"@example.org", "bad character in quoted");
	CHECK_BAD("\"tab\there\"@example.org", "bad character in quoted");
	CHECK_BAD("\"a\\\"@example.org", "quoted pair");
	CHECK_BAD("\"a\\\x01" "b\"@example.org", "quoted pair");
	CHECK_BAD("\"a\\\xc3\xa9\"@example.org", "quoted pair");
	CHECK_BAD("\"\xc3\xa9\"@example.org", "bad character in quoted");
	CHECK_BAD("user@[192.0.2.1]", "address literal");
	CHECK_BAD("user@[IPv6:2001:db8::1]", "address literal");
	CHECK_BAD("user@localhost", "not fully qualified");
	CHECK_BAD("user@example.org.", "bad label");
	CHECK_BAD("user@.example.org", "bad label");
	CHECK_BAD("user@example..org", "bad label");
	CHECK_BAD("user@-example.org", "bad label");
	CHECK_BAD("user@example-.org", "bad label");
	CHECK_BAD("user@example.org-", "bad label");
	CHECK_BAD("user@exa_mple.org", "bad character in domain");
	CHECK_BAD("user@exa mple.org", "bad character in domain");

	/* Local part: 64 octets pass, 65 do not. */
	snprintf(buf, sizeof(buf), "%s@example.org", fill(local, 'a', 64));
	check_ok(buf);
	snprintf(buf, sizeof(buf), "%s@example.org", fill(local, 'a', 65));
	check_bad(buf, strlen(buf), "local part longer than 64");
	snprintf(buf, sizeof(buf), "\"%s\"@example.org", fill(local, 'a', 63));
	check_bad(buf, strlen(buf), "local part longer than 64");

	/* Labels: 63 octets pass, 64 do not. */
	snprintf(buf, sizeof(buf), "u@%s.org", fill(dom, 'c', 63));
	check_ok(buf);
	snprintf(buf, sizeof(buf), "u@%s.org", fill(dom, 'c', 64));
	check_bad(buf, strlen(buf), "label longer than 63");

	/* The whole mailbox: 254 octets pass, 255 do not. */
	snprintf(buf, sizeof(buf), "a@%s", make_domain(dom, 252));
	CHECK_INT(strlen(buf), 254, "mailbox of 254 octets built");
	check_ok(buf);
	snprintf(buf, sizeof(buf), "%s@%s", fill(local, 'a', 64),
	    make_domain(dom, 189));
	CHECK_INT(strlen(buf), 254, "mailbox of 254 octets with a long local "
	    "part built");
	check_ok(buf);
	snprintf(buf, sizeof(buf), "ab@%s", make_domain(dom, 252));
	check_bad(buf, strlen(buf), "longer than 254");
	snprintf(buf, sizeof(buf), "a@%s", make_domain(dom, 253));
	check_bad(buf, strlen(buf), "longer than 254");

	/* Only LEN bytes are looked at. */
	CHECK(getk_mailbox_check("user@example.orgXXX\n", 16) == NULL,
	    "mailbox_check stops at LEN");
	CHECK(getk_mailbox_check("user@example.org", 4) != NULL,
	    "mailbox_check of a prefix without @ fails");
}

static void
test_parse(void)
{
	char buf[600], dom[300];
	char *mbox = NULL;
	const char *why = NULL;

	parse_ok("user@example.org", "user@example.org");
	parse_ok("<user@example.org>", "user@example.org");
	parse_ok("Display Name <user@example.org>", "user@example.org");
	parse_ok("\"Last, First\" <user@example.org>", "user@example.org");
	parse_ok("  user@example.org\t", "user@example.org");
	parse_ok("\t <user@example.org>  ", "user@example.org");
	parse_ok("Name<user@example.org>", "user@example.org");
	parse_ok("User@EXAMPLE.Org", "User@example.org");
	parse_ok("MiXeD.Case@Sub.Example.ORG", "MiXeD.Case@sub.example.org");
	parse_ok("<\"Quoted Part\"@Example.ORG>", "\"Quoted Part\"@example.org");
	parse_ok("\"a@B\"@EXAMPLE.org", "\"a@B\"@example.org");
	parse_ok("Name <A.B+C@X-Y.Example.COM>", "A.B+C@x-y.example.com");

	parse_bad("", "empty");
	parse_bad("   ", "empty");
	parse_bad("<>", "empty");
	parse_bad("Name <>", "empty");
	parse_bad("user@example.org\r\n", "control character");
	parse_bad("user@example.org\nBcc: x@example.org", "control character");
	parse_bad("Name\r <user@example.org>", "control character");
	parse_bad("<user@example.org", "angle");
	parse_bad("user@example.org>", "angle");
	parse_bad("Name <user@example.org> trailing", "angle");
	parse_bad("Name user@example.org>", "angle");
	parse_bad("< user@example.org >", "bad character");
	parse_bad("<user@example.org>>", NULL);
	parse_bad("user", "no @");
	parse_bad("user@localhost", "not fully qualified");
	parse_bad("<user@[192.0.2.1]>", "address literal");
	parse_bad("j\xc3\xb6rg@example.org", "non-ASCII");
	parse_bad("Name <user@b\xc3\xbc\x63her.example>", "non-ASCII");
	parse_bad("first..last@example.org", "misplaced dot");
	parse_bad("user@example.org.", "bad label");
	parse_bad("two words@example.org", "bad character");

	snprintf(buf, sizeof(buf), "Some One <a@%s>", make_domain(dom, 252));
	if (CHECK(getk_addr_parse(buf, &mbox, &why) == GETK_OK,
	    "254-octet mailbox in angle brackets parses"))
		CHECK_INT(strlen(mbox), 254, "its length is kept");
	free(mbox);
	mbox = NULL;
	snprintf(buf, sizeof(buf), "<ab@%s>", make_domain(dom, 252));
	parse_bad(buf, "longer than 254");

	/* Output parameters are cleared on entry. */
	why = "stale";
	mbox = (char *)1;
	CHECK(getk_addr_parse("x@example.org", &mbox, &why) == GETK_OK &&
	    why == NULL, "r_why is cleared on success");
	free(mbox);
}

/*
 * Every mailbox the parser returns must parse again to itself.  A quoted
 * local part holding '>' is taken from "<...>" but refused on its own.
 */
static void
test_parse_idempotent(void)
{
	static const char *const inputs[] = {
		"user@Example.ORG",
		"<\"Quoted Part\"@example.org>",
		"\"a@b\"@example.org",
		"Name <\"x y\"@example.org>",
		"<\"a>\"@example.org>",
		"<\"a>b\"@example.org>",
	};
	size_t i;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char *first = NULL, *second = NULL;
		const char *why = NULL;

		if (getk_addr_parse(inputs[i], &first, &why) != GETK_OK) {
			CHECK(1, "\"%s\" is refused (%s): nothing to reparse",
			    inputs[i], why);
			continue;
		}
		if (!CHECK(getk_addr_parse(first, &second, &why) == GETK_OK,
		    "the result \"%s\" of \"%s\" parses again", first,
		    inputs[i]))
			DIAG("reason: %s", why ? why : "(null)");
		else
			CHECK_STR(second, first, "and gives itself");
		free(first);
		free(second);
	}
}

/*
 * A mailbox that getk_mailbox_check() accepts is accepted by the parser
 * in each form users type, angle brackets inside a quoted local part
 * included.
 */
static void
test_parse_forms(void)
{
	static const char *const boxes[] = {
		"user@example.org",
		"\"quoted local\"@example.org",
		"\"<\"@example.org",
		"\"a>b\"@example.org",
		"\"a<b>c\"@example.org",
	};
	static const char *const forms[] = { "%s", "<%s>", "Name <%s>" };
	size_t i, k;

	for (i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
		CHECK(getk_mailbox_check(boxes[i], strlen(boxes[i])) == NULL,
		    "%s is a valid mailbox", boxes[i]);
		for (k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
			char in[300], *mbox = NULL;
			const char *why = NULL;

			snprintf(in, sizeof(in), forms[k], boxes[i]);
			if (!CHECK(getk_addr_parse(in, &mbox, &why) == GETK_OK,
			    "parse accepts \"%s\"", in))
				DIAG("reason: %s", why ? why : "(null)");
			else
				CHECK_STR(mbox, boxes[i], "and gives %s",
				    boxes[i]);
			free(mbox);
		}
	}
}

static void
test_domain(void)
{
	CHECK_STR(getk_mailbox_domain("user@example.org"), "example.org",
	    "domain of user@example.org");
	CHECK_STR(getk_mailbox_domain("\"a@b\"@example.org"), "example.org",
	    "domain is after the last @");
	CHECK_STR(getk_mailbox_domain("nodomain"), "",
	    "domain of a string without @ is empty");
	CHECK_STR(getk_mailbox_domain("user@"), "", "domain of user@ is empty");
}

static void
match(const char *mailbox, const char *uid, int want)
{
	CHECK_INT(getk_mailbox_match(mailbox, uid) != 0, want,
	    "match(\"%s\", \"%s\") is %d", mailbox, uid ? uid : "(null)",
	    want);
}

static void
test_match(void)
{
	match("alice@example.org", "alice@example.org", 1);
	match("alice@example.org", "alice@EXAMPLE.ORG", 1);
	match("alice@Example.Org", "alice@example.org", 1);
	match("Alice@example.org", "Alice@example.org", 1);
	match("Alice@example.org", "alice@example.org", 1);
	match("ALICE@example.org", "alice@Example.org", 1);
	match("AlIcE@example.org", "alice@example.org", 1);
	match("\"A B\"@example.org", "\"a b\"@example.org", 1);
	match("\"a@b\"@example.org", "\"a@b\"@example.org", 1);

	/* The User ID's local part must be the query's, or its lowercase. */
	match("alice@example.org", "Alice@example.org", 0);
	match("alice@example.org", "ALICE@example.org", 0);
	match("Alice@example.org", "ALICE@example.org", 0);
	match("AlIcE@example.org", "ALICE@example.org", 0);
	match("AlIcE@example.org", "aLiCe@example.org", 0);
	match("alice@example.org", "alic@example.org", 0);
	match("alice@example.org", "alicea@example.org", 0);
	match("alice@example.org", "xalice@example.org", 0);
	match("alice@example.org", "bob@example.org", 0);
	match("alice@example.org", "alice@example.com", 0);
	match("alice@example.org", "alice@sub.example.org", 0);
	match("alice@example.org", "alice@example.org.evil.test", 0);
	match("alice@example.org", "alice", 0);
	match("alice@example.org", "", 0);
	match("alice@example.org", NULL, 0);
	match("alice", "alice", 0);
	match("alice@example.org", "alice@", 0);
}

int
main(void)
{
	test_check();
	test_parse();
	test_parse_idempotent();
	test_parse_forms();
	test_domain();
	test_match();
	return done_testing();
}
