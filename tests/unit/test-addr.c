/*
 * test-addr.c: unit tests of src/addr.c, the mailbox checker and parser,
 * the User ID match rule of GETK.md 6.5 and the address-list parser.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
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
spec(const char *uid, const char *address, const char *want)
{
	const char *got;
	size_t len;
	char buf[300];

	got = getk_uid_addr_spec(uid, address, &len);
	snprintf(buf, sizeof(buf), "%.*s", got ? (int)len : 0, got ? got : "");
	if (!want)
		CHECK(got == NULL && len == 0, "addr-spec of \"%s\" (%s): none",
		    uid ? uid : "(null)", address ? address : "(null)");
	else
		CHECK(got && strcmp(buf, want) == 0, "addr-spec of \"%s\" "
		    "(%s) is %s, as spelt", uid, address, want);
}

static void
test_uid_addr_spec(void)
{
	spec("Alice <Alice@Example.org>", "alice@example.org",
	    "Alice@Example.org");
	spec("Bob (work) <BOB@example.org>", "bob@example.org",
	    "BOB@example.org");
	spec("carol@EXAMPLE.org", "carol@example.org", "carol@EXAMPLE.org");
	spec("<dan@example.org>", "dan@example.org", "dan@example.org");
	spec("x <\"q r\"@example.org>", "\"q r\"@example.org",
	    "\"q r\"@example.org");
	spec("Alice <alice@example.org>", "bob@example.org", NULL);
	spec("Alice <alice@example.org", "alice@example.org", NULL);
	spec("Alice <>", "alice@example.org", NULL);
	spec("alice@example.org", NULL, NULL);
	spec("alice@example.org", "", NULL);
	spec(NULL, "alice@example.org", NULL);
	spec("Alice alice@example.org", "alice@example.org", NULL);
	/* gpgme's lower-cased form would match; the spelling does not. */
	match("alice@example.org", "Alice@Example.org", 0);
}

/* getk_uid_mbox of UID is WANT (NULL: none). */
static void
mbox(const char *uid, const char *want)
{
	char got[300];
	int have = getk_uid_mbox(uid, got, sizeof(got));

	if (!want)
		CHECK(!have && got[0] == '\0', "gpg's mbox of \"%s\": none",
		    uid);
	else
		CHECK(have && strcmp(got, want) == 0, "gpg's mbox of \"%s\" is "
		    "%s", uid, want);
}

/* The cases of GnuPG 2.2's mailbox_from_userid (common/mbox-util.c). */
static void
test_uid_mbox(void)
{
	char small[8];

	mbox("Alice <Alice@Example.org>", "alice@example.org");
	mbox("<dan@example.org>", "dan@example.org");
	mbox("Bob (x) <b+tag@example.org> trailing", "b+tag@example.org");
	mbox("carol@EXAMPLE.org", "carol@example.org");
	mbox("a.b-c_d@example.org", "a.b-c_d@example.org");
	mbox("x <a@b@example.org>", NULL);
	mbox("x <@example.org>", NULL);
	mbox("x <alice@>", NULL);
	mbox("x <alice@example.org.>", NULL);
	mbox("x <\"q r\"@example.org>", NULL);
	mbox("x <a\tb@example.org>", NULL);
	mbox("x <alice@example..org>", NULL);
	mbox("x <al..ice@example.org>", "al..ice@example.org");
	mbox("x <>", NULL);
	mbox("x <alice@example.org", NULL);
	mbox("Alice alice@example.org", NULL);
	mbox("al..ice@example.org", NULL);
	mbox("a(b)@example.org", NULL);
	mbox("a@exa_mple.org", "a@exa_mple.org");
	mbox("a@ex+ample.org", NULL);
	mbox("", NULL);
	CHECK(!getk_uid_mbox("x <alice@example.org>", small, sizeof(small)),
	    "gpg's mbox: none when it does not fit");
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

/*
 * Address lists.  WANT is the expected mailboxes joined with newlines
 * (which no mailbox holds); "" is the empty list.
 */
static void
list_ok_len(const char *in, size_t len, const char *want)
{
	char **boxes = NULL, *got = NULL;
	const char *why = "stale";
	size_t n = 99, i, glen = 0;
	enum getk_err err;

	err = getk_addrlist_parse(in, len, &boxes, &n, &why);
	if (!CHECK(err == GETK_OK, "list \"%.*s\" parses", (int)len, in)) {
		DIAG("err %d, why: %s", (int)err, why ? why : "(null)");
		return;
	}
	CHECK(why == NULL, "no reason set for \"%.*s\"", (int)len, in);
	if (!CHECK(boxes != NULL && boxes[n] == NULL,
	    "the array of \"%.*s\" ends in NULL after %zu", (int)len, in, n)) {
		getk_strv_free(boxes);
		return;
	}
	for (i = 0; i < n; i++)
		glen += strlen(boxes[i]) + 1;
	got = calloc(1, glen + 1);
	if (!got)
		BAIL_OUT("out of memory");
	for (i = 0; i < n; i++) {
		if (i)
			strcat(got, "\n");
		strcat(got, boxes[i]);
	}
	CHECK_STR(got, want, "list \"%.*s\" gives the expected mailboxes",
	    (int)len, in);
	free(got);
	getk_strv_free(boxes);
}

static void
list_ok(const char *in, const char *want)
{
	list_ok_len(in, strlen(in), want);
}

/*
 * Checks that the LEN bytes at IN are refused with WANT_ERR and a reason
 * that contains WHY_PART.
 */
static void
list_bad_len(const char *in, size_t len, enum getk_err want_err,
    const char *why_part)
{
	char **boxes = (char **)1;
	const char *why = NULL;
	size_t n = 99;
	enum getk_err err;

	err = getk_addrlist_parse(in, len, &boxes, &n, &why);
	if (!CHECK(err == want_err, "list \"%.*s\" refused with %s",
	    len > 200 ? 200 : (int)len, in, getk_strerror(want_err)))
		DIAG("err %d (%s)", (int)err, getk_strerror(err));
	CHECK(boxes == NULL && n == 0, "no mailboxes returned");
	if (err == GETK_OK)
		getk_strv_free(boxes);
	if (!CHECK(why != NULL && strstr(why, why_part),
	    "the reason mentions \"%s\"", why_part))
		DIAG("reason: %s", why ? why : "(null)");
}

static void
list_bad(const char *in, const char *why_part)
{
	list_bad_len(in, strlen(in), GETK_ERR_SYNTAX, why_part);
}

/* For literals holding NUL bytes. */
#define LIST_BAD_LIT(lit, why_part) \
	list_bad_len((lit), sizeof(lit) - 1, GETK_ERR_SYNTAX, (why_part))

static void
test_addrlist(void)
{
	/* Plain lists. */
	list_ok("", "");
	list_ok("   \t ", "");
	list_ok("a@example.org", "a@example.org");
	list_ok("a@example.org, b@example.org", "a@example.org\nb@example.org");
	list_ok("a@example.org,b@example.org", "a@example.org\nb@example.org");
	list_ok("  a@example.org  ,  b@example.org  ",
	    "a@example.org\nb@example.org");
	list_ok("A.B@Example.ORG", "A.B@example.org");
	list_ok("a@example.org, a@example.org", "a@example.org\na@example.org");
	list_ok("!#$%&'*+-/=?^_`{|}~@example.org",
	    "!#$%&'*+-/=?^_`{|}~@example.org");

	/* Display names. */
	list_ok("Alice <alice@example.org>", "alice@example.org");
	list_ok("<alice@example.org>", "alice@example.org");
	list_ok("Alice<alice@example.org>", "alice@example.org");
	list_ok("Alice Q. Example <alice@Example.org>, Bob <bob@example.org>",
	    "alice@example.org\nbob@example.org");
	list_ok("J. Q. Public <jqp@example.org>", "jqp@example.org");
	list_ok("\"Doe, John\" <john@example.org>, jane@example.org",
	    "john@example.org\njane@example.org");
	list_ok("\"Smith <boss@evil.example>\" <real@example.org>",
	    "real@example.org");
	list_ok("\"a, b; c: d @ e (f) [g]\" <x@example.org>, y@example.org",
	    "x@example.org\ny@example.org");
	list_ok("\"say \\\"hi\\\", \\\\ <x@evil.example>\" <x@example.org>",
	    "x@example.org");
	list_ok("\"\" <a@example.org>", "a@example.org");
	list_ok("\"Alice\" \"Example\" <a@example.org>", "a@example.org");
	list_ok("=?UTF-8?Q?J=C3=B6rg?= <joerg@example.org>",
	    "joerg@example.org");
	list_ok("=?UTF-8?B?w4RwZmVs?= <a@example.org>, "
	    "=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@VM1.ulg.ac.be>",
	    "a@example.org\nPIRARD@vm1.ulg.ac.be");
	list_ok("J\xc3\xb6rg <j@example.org>", "j@example.org");
	list_ok("\"J\xc3\xb6rg, M\xc3\xbcller\" <j@example.org>",
	    "j@example.org");

	/* Comments, nested, with quoted pairs, wherever CFWS goes. */
	list_ok("a@example.org (Alice)", "a@example.org");
	list_ok("(Alice) a@example.org", "a@example.org");
	list_ok("Alice (the (nested) one) <alice@example.org> (x)",
	    "alice@example.org");
	list_ok("(a \\) b \\( c) x@example.org", "x@example.org");
	list_ok("(comment, with <x@evil.example>) x@example.org",
	    "x@example.org");
	list_ok("a(c)@(c)example.org(c), (c)b@example.org",
	    "a@example.org\nb@example.org");
	list_ok("<(c)a@example.org(c)>", "a@example.org");
	list_ok("Alice <a@example.org>(c),(c)Bob <b@example.org>",
	    "a@example.org\nb@example.org");
	list_ok("(((((deep)))))a@example.org", "a@example.org");
	list_ok("(J\xc3\xb6rg) a@example.org", "a@example.org");

	/* The obsolete local part and domain with CFWS around the dots. */
	list_ok("first . last @ example . org", "first.last@example.org");

	/* Quoted local parts keep their quotes. */
	list_ok("\"quoted local\"@example.org", "\"quoted local\"@example.org");
	list_ok("\"a,b\"@Example.org, c@example.org",
	    "\"a,b\"@example.org\nc@example.org");
	list_ok("<\"a>b\"@Example.org>", "\"a>b\"@example.org");
	list_ok("Name <\"x;y:z\"@example.org>", "\"x;y:z\"@example.org");
	list_ok("\"a\\\"b\"@example.org", "\"a\\\"b\"@example.org");

	/* Groups. */
	list_ok("friends: a@example.org, B <b@example.org>;",
	    "a@example.org\nb@example.org");
	list_ok("undisclosed-recipients:;", "");
	list_ok("undisclosed-recipients: ;", "");
	list_ok("undisclosed-recipients:", "");
	list_ok("Team (the team): (nobody) ;", "");
	list_ok("x@example.org, team: a@example.org;, y@example.org",
	    "x@example.org\na@example.org\ny@example.org");
	list_ok("team: a@example.org; , y@example.org",
	    "a@example.org\ny@example.org");
	list_ok("team:a@example.org,,b@example.org,;",
	    "a@example.org\nb@example.org");
	list_ok("\"The, Team\": a@example.org;", "a@example.org");
	list_ok("a: b@example.org;, c: d@example.org;",
	    "b@example.org\nd@example.org");
	list_ok("team: a@example.org", "a@example.org");

	/* Empty elements are skipped. */
	list_ok("a@example.org,", "a@example.org");
	list_ok("a@example.org,,b@example.org", "a@example.org\nb@example.org");
	list_ok(",a@example.org", "a@example.org");
	list_ok(" , , ,", "");
	list_ok("a@example.org, (nothing) ,b@example.org",
	    "a@example.org\nb@example.org");

	/* Folded input. */
	list_ok("Alice <alice@example.org>,\r\n Bob <bob@example.org>",
	    "alice@example.org\nbob@example.org");
	list_ok("a@example.org,\n\tb@example.org",
	    "a@example.org\nb@example.org");
	list_ok("\"Doe,\r\n John\" <j@example.org>", "j@example.org");
	list_ok("a@example.org (a\r\n comment)", "a@example.org");
	list_ok("a@example.org\r\n ", "a@example.org");
	list_ok("team:\r\n a@example.org,\r\n\t;", "a@example.org");

	/* Refused. */
	list_bad("alice", "address without domain");
	list_bad("alice, b@example.org", "address without domain");
	list_bad("b@example.org, alice", "address without domain");
	list_bad("Alice Smith", "address without domain");
	list_bad("<alice>", "address without domain");
	list_bad("Alice <alice>", "address without domain");
	list_bad("team: alice;", "address without domain");
	list_bad("\"alice\"", "address without domain");
	list_bad("<>", "empty address");
	list_bad("Name <>", "empty address");
	list_bad("<@route.example:a@example.org>", "route");
	list_bad("<@r1.example,@r2.example:a@example.org>", "route");
	list_bad("a@example.org b@example.org", "expected ','");
	list_bad("Alice <a@example.org> Bob <b@example.org>", "expected ','");
	list_bad("a@exa mple.org", "not fully qualified");
	list_bad("a@example.org mple.org", "expected ','");
	list_bad("Alice <a@example.org", "unbalanced angle");
	list_bad("a@example.org>", "unbalanced angle");
	list_bad("Alice <a@example.org>>", "unbalanced angle");
	list_bad("Alice <<a@example.org>>", "unbalanced angle");
	list_bad("> a@example.org", "unbalanced angle");
	list_bad("\"unterminated <a@example.org>", "unterminated quoted");
	list_bad("\"ends in a pair\\", "unterminated quoted");
	list_bad("(unterminated a@example.org", "unterminated comment");
	list_bad("((nested) a@example.org", "unterminated comment");
	list_bad("a@example.org (x))", "unbalanced parentheses");
	list_bad("a@[192.0.2.1", "unterminated domain literal");
	list_bad("a@example.org]", "unbalanced brackets");
	list_bad("a@example.org\r\nBcc: evil@example.org", "line break");
	list_bad("a@example.org\nb@example.org", "line break");
	list_bad("a@example.org\r\n", "line break");
	list_bad("a@example.org\n", "line break");
	list_bad("a@example.org\r b@example.org", "line break");
	list_bad("\"a\r\n\" <x@example.org>", "line break");
	list_bad("\r\n\r\n a@example.org", "line break");
	LIST_BAD_LIT("a@exa\0mple.org", "NUL");
	LIST_BAD_LIT("Alice\0 <a@example.org>", "NUL");
	LIST_BAD_LIT("\"a\0\"@example.org", "NUL");
	list_bad("a@localhost", "not fully qualified");
	list_bad("Alice <a@localhost>, b@example.org", "not fully qualified");
	list_bad("a@[192.0.2.1]", "address literal");
	list_bad("j\xc3\xb6rg@example.org", "non-ASCII");
	list_bad("a@b\xc3\xbc" "cher.example", "non-ASCII");
	list_bad("a..b@example.org", "misplaced dot");
	list_bad(".a@example.org", "misplaced dot");
	list_bad("a@example.org.", "bad label");
	list_bad("a@.example.org", "bad label");
	list_bad("a@", "empty domain");
	list_bad("a@, b@example.org", "empty domain");
	list_bad("a@@example.org", "empty domain");
	list_bad("@example.org", "empty local part");
	list_bad("John Smith@example.org", "malformed local part");
	list_bad("\"a\"b@example.org", "malformed local part");
	list_bad("<John Smith@example.org>", "malformed local part");
	list_bad("\"a\".b@example.org", "quoted local part");
	list_bad("\"tab\there\"@example.org", "bad character in quoted");
	list_bad("g1: g2: a@example.org;;", "group inside a group");
	list_bad(": a@example.org;", "group without a name");
	list_bad("a@example.org;", "';' outside a group");
	list_bad("team: a@example.org;;", "';' outside a group");
	list_bad("[192.0.2.1]", "domain literal outside");
	list_bad("a\\b@example.org", "bad character");
	list_bad("a\x01@example.org", "bad character");
	list_bad("Alice \x7f <a@example.org>", "bad character");
	list_bad("a@b.example@example.org", "expected ','");
}

static void
test_addrlist_limits(void)
{
	char local[400], dom[300], *big, *p, **boxes = NULL;
	const char *why = NULL;
	size_t n = 0, i, len;

	/* Long mailboxes: 254 octets pass, longer ones do not. */
	snprintf(local, sizeof(local), "Name <a@%s>", make_domain(dom, 252));
	if (CHECK(getk_addrlist_parse(local, strlen(local), &boxes, &n, &why) ==
	    GETK_OK && n == 1, "a 254-octet mailbox in a list parses"))
		CHECK_INT(strlen(boxes[0]), 254, "and keeps its length");
	getk_strv_free(boxes);
	boxes = NULL;
	snprintf(local, sizeof(local), "<ab@%s>", make_domain(dom, 252));
	list_bad(local, "longer than 254");
	fill(local, 'a', 65);
	strcat(local, "@example.org");
	list_bad(local, "local part longer than 64");
	fill(local, 'a', 290);
	strcat(local, "@example.org");
	list_bad(local, "longer than 254");

	/* 1000 addresses pass, 1001 do not; in groups too. */
	big = malloc(64 * 1002);
	if (!big)
		BAIL_OUT("out of memory");
	p = big;
	for (i = 0; i < 1000; i++)
		p += sprintf(p, "%su%zu@example.org", i ? ", " : "", i);
	len = (size_t)(p - big);
	if (CHECK(getk_addrlist_parse(big, len, &boxes, &n, &why) == GETK_OK,
	    "a list of 1000 addresses parses")) {
		CHECK_INT(n, 1000, "into 1000 mailboxes");
		CHECK_STR(boxes[999], "u999@example.org", "the last in place");
		CHECK(boxes[1000] == NULL, "then NULL");
	}
	getk_strv_free(boxes);
	boxes = NULL;
	p += sprintf(p, ", one@example.org");
	list_bad_len(big, (size_t)(p - big), GETK_ERR_TOOBIG,
	    "more than 1000");
	p = big;
	p += sprintf(p, "g:");
	for (i = 0; i < 1001; i++)
		p += sprintf(p, "%su%zu@example.org", i ? "," : "", i);
	p += sprintf(p, ";");
	list_bad_len(big, (size_t)(p - big), GETK_ERR_TOOBIG,
	    "more than 1000");
	free(big);

	/* The input: 1 MiB passes, one octet more does not. */
	big = malloc(GETK_MAX_ADDRLIST + 2);
	if (!big)
		BAIL_OUT("out of memory");
	memset(big, ' ', GETK_MAX_ADDRLIST + 1);
	memcpy(big, "a@example.org,", 14);
	list_ok_len(big, GETK_MAX_ADDRLIST, "a@example.org");
	list_bad_len(big, GETK_MAX_ADDRLIST + 1, GETK_ERR_TOOBIG, "1 MiB");

	/* Much nesting and many empty elements cost nothing. */
	len = GETK_MAX_ADDRLIST / 2;
	memset(big, '(', len);
	memset(big + len, ')', len);
	list_ok_len(big, 2 * len, "");
	memset(big, ',', GETK_MAX_ADDRLIST);
	list_ok_len(big, GETK_MAX_ADDRLIST, "");
	free(big);

	/* Output parameters are cleared on entry; free(NULL) is fine. */
	boxes = (char **)1;
	n = 5;
	why = "stale";
	CHECK(getk_addrlist_parse("a@example.org", 13, &boxes, &n, &why) ==
	    GETK_OK && why == NULL && n == 1, "r_why is cleared on success");
	getk_strv_free(boxes);
	getk_strv_free(NULL);
	CHECK(1, "getk_strv_free(NULL) is a no-op");

	/* Only LEN bytes are read. */
	list_ok_len("a@example.org, b@example.org", 13, "a@example.org");
}

/*
 * Every mailbox a list gives is a one-address list giving itself, and
 * getk_addr_parse() reads it the same.
 */
static void
test_addrlist_roundtrip(void)
{
	static const char *const inputs[] = {
		"Alice <Alice@Example.ORG>, \"x y\"@Example.org",
		"<\"a>b\"@example.org>, \"a,b\"@example.org",
		"g: \"a;b\"@example.org, \"a:b\"@example.org;",
		"\"a\\\"b\"@example.org, \"(c)\"@example.org",
		"first . last @ Example . org (c)",
	};
	size_t i, k;

	for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char **boxes = NULL;
		const char *why = NULL;
		size_t n = 0;

		if (!CHECK(getk_addrlist_parse(inputs[i], strlen(inputs[i]),
		    &boxes, &n, &why) == GETK_OK, "\"%s\" parses", inputs[i])) {
			DIAG("reason: %s", why ? why : "(null)");
			continue;
		}
		for (k = 0; k < n; k++) {
			char **again = NULL, *one = NULL;
			size_t n2 = 0;

			if (CHECK(getk_addrlist_parse(boxes[k],
			    strlen(boxes[k]), &again, &n2, &why) == GETK_OK &&
			    n2 == 1, "%s is a list of itself", boxes[k]))
				CHECK_STR(again[0], boxes[k], "the same");
			getk_strv_free(again);
			if (CHECK(getk_addr_parse(boxes[k], &one, &why) ==
			    GETK_OK, "getk_addr_parse reads %s", boxes[k]))
				CHECK_STR(one, boxes[k], "the same");
			free(one);
		}
		getk_strv_free(boxes);
	}
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
	test_uid_addr_spec();
	test_uid_mbox();
	test_addrlist();
	test_addrlist_limits();
	test_addrlist_roundtrip();
	return done_testing();
}
