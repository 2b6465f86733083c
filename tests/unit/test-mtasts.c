/*
 * test-mtasts.c: unit tests of src/mtasts.c, the pure parts of MTA-STS
 * (RFC 8461): the _mta-sts TXT record (3.1), the policy file (3.2), MX
 * pattern matching (4.1) and the canonical policy text that the cache
 * stores.  Nothing here touches the network.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mtasts.h"
#include "unit.h"

/* The example policy of RFC 8461 3.2, with CRLF line ends. */
static const char rfc_policy[] =
    "version: STSv1\r\n"
    "mode: enforce\r\n"
    "mx: mail.example.com\r\n"
    "mx: *.example.net\r\n"
    "mx: backupmx.example.com\r\n"
    "max_age: 604800\r\n";

/* Parses the TXT record of LEN bytes at P and checks the id. */
static void
txt_ok(const char *p, size_t len, const char *want, const char *desc)
{
	char id[GETK_MTASTS_ID_SIZE];
	enum getk_err err;

	memset(id, 'Z', sizeof(id));
	err = getk_mtasts_parse_txt(p, len, id);
	CHECK_INT(err, GETK_OK, "parse_txt accepts %s", desc);
	CHECK_STR(err == GETK_OK ? id : NULL, want, "parse_txt: %s: id", desc);
}

static void
txt_bad(const char *p, size_t len, const char *desc)
{
	char id[GETK_MTASTS_ID_SIZE];

	memset(id, 'Z', sizeof(id));
	CHECK_INT(getk_mtasts_parse_txt(p, len, id), GETK_ERR_SYNTAX,
	    "parse_txt refuses %s", desc);
	CHECK_INT(id[0], '\0', "parse_txt: %s: id cleared", desc);
}

#define TXT_OK(lit, want, desc) txt_ok((lit), sizeof(lit) - 1, (want), (desc))
#define TXT_BAD(lit, desc) txt_bad((lit), sizeof(lit) - 1, (desc))

/*
 * Parses the policy of LEN bytes at P, checks that it is accepted with an
 * empty WHY, and leaves the result in *R (may be NULL).
 */
static int
policy_ok(const char *p, size_t len, struct getk_mtasts_policy *r,
    const char *desc)
{
	static struct getk_mtasts_policy pol;
	char why[128];
	enum getk_err err;

	memset(&pol, 0x5a, sizeof(pol));
	snprintf(why, sizeof(why), "stale");
	err = getk_mtasts_parse_policy(p, len, &pol, why, sizeof(why));
	if (!CHECK_INT(err, GETK_OK, "parse_policy accepts %s", desc))
		DIAG("why: %s", why);
	CHECK_STR(why, "", "parse_policy: %s: why is empty", desc);
	if (r)
		*r = pol;
	return err == GETK_OK;
}

/* Checks that a policy is refused with ERR and, unless NULL, WANT_WHY. */
static void
policy_bad(const char *p, size_t len, enum getk_err want,
    const char *want_why, const char *desc)
{
	static struct getk_mtasts_policy pol, zero;
	char why[128];
	enum getk_err err;

	memset(&pol, 0x5a, sizeof(pol));
	why[0] = '\0';
	err = getk_mtasts_parse_policy(p, len, &pol, why, sizeof(why));
	CHECK_INT(err, want, "parse_policy refuses %s", desc);
	if (want_why)
		CHECK_STR(why, want_why, "parse_policy: %s: reason", desc);
	else
		CHECK(why[0] != '\0', "parse_policy: %s: a reason (%s)", desc,
		    why);
	CHECK(memcmp(&pol, &zero, sizeof(pol)) == 0,
	    "parse_policy: %s: the policy is cleared", desc);
}

#define POLICY_OK(lit, r, desc) policy_ok((lit), sizeof(lit) - 1, (r), (desc))
#define POLICY_BAD(lit, err, why, desc) \
	policy_bad((lit), sizeof(lit) - 1, (err), (why), (desc))

/*
 * Checks that a policy in mode enforce whose one mx line has VALUE is
 * accepted, with the pattern WANT.
 */
static void
mx_line_ok(const char *value, const char *want, const char *desc)
{
	struct getk_mtasts_policy pol;
	char body[600];

	snprintf(body, sizeof(body),
	    "version: STSv1\nmode: enforce\nmx: %s\nmax_age: 86400\n", value);
	if (policy_ok(body, strlen(body), &pol, desc))
		CHECK(pol.nmx == 1 && strcmp(pol.mx[0], want) == 0,
		    "%s: pattern %s", desc, want);
}

/* Checks that the mx line VALUE is refused as a bad pattern. */
static void
mx_line_bad(const char *value, const char *desc)
{
	char body[600];

	snprintf(body, sizeof(body),
	    "version: STSv1\nmode: enforce\nmx: %s\nmax_age: 86400\n", value);
	policy_bad(body, strlen(body), GETK_ERR_SYNTAX, "line 3: bad mx pattern",
	    desc);
}

/* N characters of C, for long names. */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		BAIL_OUT("out of memory");
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_txt(void)
{
	char id[GETK_MTASTS_ID_SIZE];
	char buf[200];

	TXT_OK("v=STSv1; id=20160831085700Z;", "20160831085700Z",
	    "the RFC 8461 3.1 example");
	TXT_OK("v=STSv1;id=1", "1", "no blanks, no final ';'");
	TXT_OK("v=STSv1 ;\tid=abc ; ", "abc", "blanks around ';'");
	TXT_OK("v=STSv1; id=abc \t", "abc", "blanks at the end");
	TXT_OK("v=STSv1; ext=foo; id=x", "x", "an extension before the id");
	TXT_OK("v=STSv1; id=x; a.b-c_d=!\"#$%&'()*+,-./0123456789:<>?@[]^_`{|}~",
	    "x", "an extension with every allowed punctuation");
	TXT_OK("v=STSv1; id=first; id=second", "first",
	    "a repeated id: the first counts");
	TXT_OK("v=STSv1; ID=upper; id=lower", "lower",
	    "ID is an extension, not the id");
	TXT_OK("v=STSv1; v=STSv2; id=1", "1", "a later v= is an extension");
	TXT_OK("v=STSv1; id=abcdefghijklmnopqrstuvwxyz012345",
	    "abcdefghijklmnopqrstuvwxyz012345", "an id of 32 characters");
	TXT_OK("v=STSv1; 0123456789abcdefghijklmnopqrstuv=1; id=1", "1",
	    "an extension name of 32 characters");

	TXT_BAD("", "an empty record");
	TXT_BAD("v=STSv1", "no id");
	TXT_BAD("v=STSv1;", "no id after ';'");
	TXT_BAD("v=STSv1; ", "no id after '; '");
	TXT_BAD("v=STSv1; ext=1", "only an extension");
	TXT_BAD("v=STSv1; ID=abc", "an upper-case ID only");
	TXT_BAD("V=STSv1; id=1", "an upper-case V");
	TXT_BAD("v=stsv1; id=1", "a lower-case version");
	TXT_BAD("v=STSv2; id=1", "version STSv2");
	TXT_BAD("v=STSv10; id=1", "version STSv10");
	TXT_BAD(" v=STSv1; id=1", "a blank before the version");
	TXT_BAD("id=1; v=STSv1", "the version not first");
	TXT_BAD("v=STSv1 id=1", "no ';' after the version");
	TXT_BAD("v=STSv1;; id=1", "an empty field");
	TXT_BAD("v=STSv1; id=1;;", "two final ';'");
	TXT_BAD("v=STSv1; id=1; ;", "an empty last field");
	TXT_BAD("v=STSv1; id=", "an empty id");
	TXT_BAD("v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456",
	    "an id of 33 characters");
	TXT_BAD("v=STSv1; id=abc-def", "a hyphen in the id");
	TXT_BAD("v=STSv1; id=a b", "a blank in the id");
	TXT_BAD("v=STSv1; id=1; id=x_y", "a malformed repeated id");
	TXT_BAD("v=STSv1; id=1; ext=a=b", "'=' in an extension value");
	TXT_BAD("v=STSv1; id=1; ext=", "an empty extension value");
	TXT_BAD("v=STSv1; id=1; ext", "an extension without '='");
	TXT_BAD("v=STSv1; id=1; =x", "an extension without a name");
	TXT_BAD("v=STSv1; id=1; _ext=1", "an extension name starting with _");
	TXT_BAD("v=STSv1; id=1; 0123456789abcdefghijklmnopqrstuvw=1",
	    "an extension name of 33 characters");
	TXT_BAD("v=STSv1; id=1; e=a;b", "a field without '=' after ';'");
	TXT_BAD("v=STSv1; id=1\0", "a NUL byte");
	TXT_BAD("v=STSv1; id=1; e=\x7f", "a DEL byte");
	TXT_BAD("v=STSv1; id=1; e=\xc3\xa9", "UTF-8 in an extension");
	TXT_BAD("v=STSv1; id=1\r\n", "a CRLF at the end");
	TXT_BAD("v=STSv1;\nid=1", "a newline as a blank");

	/* A failure after the id was seen leaves no id behind. */
	TXT_BAD("v=STSv1; id=abc; bad", "garbage after the id");
	/* LEN is honoured even when the buffer goes on. */
	snprintf(buf, sizeof(buf), "v=STSv1; id=abcdef");
	txt_ok(buf, 15, "abc", "the length, not the NUL, ends the record");
	txt_bad(buf, 6, "a record cut in the version");
	CHECK_INT(getk_mtasts_parse_txt(NULL, 0, id), GETK_ERR_SYNTAX,
	    "parse_txt refuses NULL with length 0");
}

static void
test_policy_good(void)
{
	struct getk_mtasts_policy pol;
	static const char rfc_lf[] =
	    "version: STSv1\n"
	    "mode: enforce\n"
	    "mx: mail.example.com\n"
	    "mx: *.example.net\n"
	    "mx: backupmx.example.com\n"
	    "max_age: 604800";

	if (POLICY_OK(rfc_policy, &pol, "the RFC 8461 3.2 example (CRLF)")) {
		CHECK_INT(pol.mode, GETK_MTASTS_ENFORCE, "RFC example: mode");
		CHECK_INT(pol.max_age, 604800, "RFC example: max_age");
		CHECK_INT(pol.nmx, 3, "RFC example: three mx");
		CHECK_STR(pol.mx[0], "mail.example.com", "RFC example: mx 1");
		CHECK_STR(pol.mx[1], "*.example.net", "RFC example: mx 2");
		CHECK_STR(pol.mx[2], "backupmx.example.com",
		    "RFC example: mx 3");
	}
	if (POLICY_OK(rfc_lf, &pol,
	    "the RFC example with LF and no final line end"))
		CHECK(pol.mode == GETK_MTASTS_ENFORCE && pol.max_age == 604800 &&
		    pol.nmx == 3 && strcmp(pol.mx[2], "backupmx.example.com") == 0,
		    "LF: the same policy");
	if (POLICY_OK("mode: testing\r\nmax_age: 86400\nversion: STSv1\r\n"
	    "mx: mx.example.org", &pol, "mixed CRLF and LF, any order"))
		CHECK(pol.mode == GETK_MTASTS_TESTING && pol.max_age == 86400 &&
		    pol.nmx == 1 && strcmp(pol.mx[0], "mx.example.org") == 0,
		    "mixed: testing, 86400, mx.example.org");
	if (POLICY_OK("version: STSv1\nmode: none\nmax_age: 0\n", &pol,
	    "mode none without mx"))
		CHECK(pol.mode == GETK_MTASTS_NONE && pol.max_age == 0 &&
		    pol.nmx == 0, "none: no mx, max_age 0");
	if (POLICY_OK("version: STSv1\nmode: none\nmx: a.example\n"
	    "max_age: 5\n", &pol, "mode none with an mx"))
		CHECK(pol.nmx == 1, "none with mx: the mx is kept");
	if (POLICY_OK("version:STSv1\nmode:\t enforce \t\r\nmx:   a.example\t\n"
	    "max_age:1 \r\n", &pol, "blanks after ':' and at line ends"))
		CHECK(pol.mode == GETK_MTASTS_ENFORCE && pol.max_age == 1 &&
		    strcmp(pol.mx[0], "a.example") == 0, "blanks: values");
	POLICY_OK("\nversion: STSv1\n\r\n \t\nmode: none\n\nmax_age: 1\n\n\n",
	    NULL, "blank lines");
	if (POLICY_OK("version: STSv1\nmode: enforce\nmx: MX.Example.COM.\n"
	    "max_age: 1\n", &pol, "an upper-case mx with a trailing dot"))
		CHECK_STR(pol.mx[0], "mx.example.com",
		    "mx lowered, trailing dot dropped");

	/* RFC 8461 3.2: of repeated fields but mx the first counts. */
	if (POLICY_OK("version: STSv1\nversion: STSv2\nmode: testing\n"
	    "mode: bogus\nmax_age: 10\nmax_age: x\nmx: a.example\n"
	    "mx: b.example\n", &pol, "repeated fields"))
		CHECK(pol.mode == GETK_MTASTS_TESTING && pol.max_age == 10 &&
		    pol.nmx == 2 && strcmp(pol.mx[1], "b.example") == 0,
		    "repeated fields: the first counts, mx adds up");

	/* Unknown fields, and known names in another case, are ignored. */
	if (POLICY_OK("version: STSv1\nMode: enforce\nmode: none\n"
	    "MX: bad..pattern\nmax_age: 7\nVersion: x\nx-ext: a = b ; c\n"
	    "ext.2_x: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x91\n"
	    "0123456789abcdefghijklmnopqrstuv: 1\n", &pol,
	    "unknown fields and names in another case"))
		CHECK(pol.mode == GETK_MTASTS_NONE && pol.nmx == 0 &&
		    pol.max_age == 7, "unknown fields: ignored");

	/* max_age: 1*10 DIGIT, clamped. */
	if (POLICY_OK("version: STSv1\nmode: none\nmax_age: 0000000001\n",
	    &pol, "max_age with leading zeros"))
		CHECK_INT(pol.max_age, 1, "max_age 0000000001 is 1");
	if (POLICY_OK("version: STSv1\nmode: none\nmax_age: 31557600\n",
	    &pol, "max_age at the maximum"))
		CHECK_INT(pol.max_age, GETK_MTASTS_MAX_AGE, "max_age 31557600");
	if (POLICY_OK("version: STSv1\nmode: none\nmax_age: 31557601\n",
	    &pol, "max_age one over the maximum"))
		CHECK_INT(pol.max_age, GETK_MTASTS_MAX_AGE,
		    "max_age 31557601 is clamped");
	if (POLICY_OK("version: STSv1\nmode: none\nmax_age: 9999999999\n",
	    &pol, "max_age of ten nines"))
		CHECK_INT(pol.max_age, GETK_MTASTS_MAX_AGE,
		    "max_age 9999999999 is clamped");
	if (POLICY_OK("version: STSv1\nmode: none\nmax_age: 4294967297\n",
	    &pol, "max_age past 32 bits"))
		CHECK_INT(pol.max_age, GETK_MTASTS_MAX_AGE,
		    "max_age 4294967297 is clamped, not wrapped");

	/* WHY may be left out. */
	CHECK_INT(getk_mtasts_parse_policy(rfc_policy, sizeof(rfc_policy) - 1,
	    &pol, NULL, 0), GETK_OK, "parse_policy without WHY");
}

static void
test_policy_bad(void)
{
	struct getk_mtasts_policy pol;
	char why[5];

	POLICY_BAD("", GETK_ERR_SYNTAX, "policy has no version",
	    "an empty policy");
	POLICY_BAD("mode: enforce\nmx: a.example\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "policy has no version", "no version");
	POLICY_BAD("version: STSv1\nmx: a.example\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "policy has no mode", "no mode");
	POLICY_BAD("version: STSv1\nmode: enforce\nmx: a.example\n",
	    GETK_ERR_SYNTAX, "policy has no max_age", "no max_age");
	POLICY_BAD("version: STSv1\nmode: enforce\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "policy in mode enforce has no mx",
	    "enforce without mx");
	POLICY_BAD("version: STSv1\nmode: testing\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "policy in mode testing has no mx",
	    "testing without mx");
	POLICY_BAD("version: STSv1\nmode: enforce\nMX: a.example\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "policy in mode enforce has no mx",
	    "an upper-case MX only");
	POLICY_BAD("Version: STSv1\nmode: none\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "policy has no version", "an upper-case Version");

	POLICY_BAD("version: STSv2\nmode: none\nmax_age: 1\n", GETK_ERR_SYNTAX,
	    "line 1: version is not STSv1", "version STSv2");
	POLICY_BAD("version: stsv1\nmode: none\nmax_age: 1\n", GETK_ERR_SYNTAX,
	    "line 1: version is not STSv1", "a lower-case version");
	POLICY_BAD("version: STSv1 x\nmode: none\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 1: version is not STSv1",
	    "a version with more after it");
	POLICY_BAD("version: STSv1\nmode: Enforce\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 2: mode is not enforce, testing or none",
	    "mode Enforce");
	POLICY_BAD("version: STSv1\nmode: strict\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 2: mode is not enforce, testing or none",
	    "an unknown mode");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: 00000000001\n",
	    GETK_ERR_SYNTAX, "line 3: max_age is not 1 to 10 digits",
	    "max_age of 11 digits");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: 99999999999999999999\n",
	    GETK_ERR_SYNTAX, "line 3: max_age is not 1 to 10 digits",
	    "max_age of 20 digits");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: -1\n",
	    GETK_ERR_SYNTAX, NULL, "max_age -1");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: +1\n",
	    GETK_ERR_SYNTAX, NULL, "max_age +1");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: 1e3\n",
	    GETK_ERR_SYNTAX, NULL, "max_age 1e3");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: 1 2\n",
	    GETK_ERR_SYNTAX, NULL, "max_age 1 2");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age:\n",
	    GETK_ERR_SYNTAX, "line 3: max_age has no value", "an empty max_age");
	POLICY_BAD("version: STSv1\nmode: \t \nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 2: mode has no value", "a blank mode");

	/* The shape of a line. */
	POLICY_BAD("version: STSv1\n mode: none\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 2: malformed field name",
	    "a line starting with a blank");
	POLICY_BAD("version: STSv1\nmode : none\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 2: no ':' right after the field name",
	    "a blank before ':'");
	POLICY_BAD("version: STSv1\nmode none\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 2: no ':' right after the field name",
	    "no ':'");
	POLICY_BAD("version: STSv1\nmode\n", GETK_ERR_SYNTAX,
	    "line 2: no ':' right after the field name", "a name alone");
	POLICY_BAD("version: STSv1\n: none\n", GETK_ERR_SYNTAX,
	    "line 2: malformed field name", "no name");
	POLICY_BAD("version: STSv1\n_x: 1\n", GETK_ERR_SYNTAX,
	    "line 2: malformed field name", "a name starting with _");
	POLICY_BAD("version: STSv1\n0123456789abcdefghijklmnopqrstuvw: 1\n",
	    GETK_ERR_SYNTAX, "line 2: malformed field name",
	    "a name of 33 characters");
	POLICY_BAD("version: STSv1\nx/y: 1\n", GETK_ERR_SYNTAX,
	    "line 2: no ':' right after the field name",
	    "a '/' in a name");
	POLICY_BAD("version: STSv1\next: a\tb\n", GETK_ERR_SYNTAX,
	    "line 2: bad character in the value of ext",
	    "a tab inside a value");
	POLICY_BAD("version: STSv1\next: a\rb\n", GETK_ERR_SYNTAX,
	    "line 2: bad character in the value of ext", "a bare CR");
	POLICY_BAD("version: STSv1\r\r\nmode: none\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 1: bad character in the value of version",
	    "CR CR LF");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: 1\r", GETK_ERR_SYNTAX,
	    "line 3: bad character in the value of max_age",
	    "a CR ending the last line");
	POLICY_BAD("version: STSv1\rmode: none\rmax_age: 1\r", GETK_ERR_SYNTAX,
	    NULL, "CR line ends");
	POLICY_BAD("version: STSv1\next: \x7f\n", GETK_ERR_SYNTAX, NULL,
	    "a DEL byte");
	POLICY_BAD("version: STSv1\next: \x1b[0m\n", GETK_ERR_SYNTAX, NULL,
	    "an escape byte");
	POLICY_BAD("version: STSv1\next: \xc3\n", GETK_ERR_SYNTAX, NULL,
	    "truncated UTF-8");
	POLICY_BAD("version: STSv1\next: \xc0\xaf\n", GETK_ERR_SYNTAX, NULL,
	    "overlong UTF-8");
	POLICY_BAD("version: STSv1\next: \xe0\x80\xaf\n", GETK_ERR_SYNTAX,
	    NULL, "overlong three-byte UTF-8");
	POLICY_BAD("version: STSv1\next: \xed\xa0\x80\n", GETK_ERR_SYNTAX,
	    NULL, "a UTF-8 surrogate");
	POLICY_BAD("version: STSv1\next: \xf4\x90\x80\x80\n", GETK_ERR_SYNTAX,
	    NULL, "UTF-8 past U+10FFFF");
	POLICY_BAD("version: STSv1\next: \xff\n", GETK_ERR_SYNTAX, NULL,
	    "a 0xff byte");
	POLICY_BAD("version: STSv1\next: \xe2\x82x\n", GETK_ERR_SYNTAX, NULL,
	    "a bad third byte of UTF-8");
	POLICY_BAD("version: STSv1\next: \xf0\x9f\x94x\n", GETK_ERR_SYNTAX,
	    NULL, "a bad fourth byte of UTF-8");
	POLICY_BAD("\xef\xbb\xbfversion: STSv1\nmode: none\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "line 1: malformed field name", "a byte order mark");
	POLICY_BAD("version: STSv1\nmode: none\0\nmax_age: 1\n",
	    GETK_ERR_SYNTAX, "policy contains a NUL byte", "a NUL byte");
	POLICY_BAD("version: STSv1\nmode: none\nmax_age: 1\n\0",
	    GETK_ERR_SYNTAX, "policy contains a NUL byte", "a final NUL byte");

	CHECK_INT(getk_mtasts_parse_policy("x", 1, &pol, NULL, 0),
	    GETK_ERR_SYNTAX, "parse_policy refuses without WHY");
	/* The reason is cut to fit WHY. */
	CHECK_INT(getk_mtasts_parse_policy("x", 1, &pol, why, sizeof(why)),
	    GETK_ERR_SYNTAX, "parse_policy with a small WHY");
	CHECK_STR(why, "line", "the reason is truncated to fit");
}

static void
test_policy_mx(void)
{
	char *s, *t, value[300];
	char *label63 = repeat('a', 63), *label64 = repeat('a', 64);

	mx_line_ok("mail.example.com", "mail.example.com", "a host name");
	mx_line_ok("*.example.com", "*.example.com", "a wildcard");
	mx_line_ok("*.EXAMPLE.com.", "*.example.com",
	    "an upper-case wildcard with a trailing dot");
	mx_line_ok("localhost", "localhost", "a single label");
	mx_line_ok("xn--bcher-kva.example", "xn--bcher-kva.example",
	    "an A-label");
	mx_line_ok("a-b--c.0.example", "a-b--c.0.example",
	    "inner hyphens and a digit label");
	mx_line_ok("123.example", "123.example", "an all-digit label");

	mx_line_bad("*", "a '*' alone");
	mx_line_bad("*.", "'*.' alone");
	mx_line_bad(".", "a dot alone");
	mx_line_bad("**.example.com", "'**.'");
	mx_line_bad("*.*.example.com", "two wildcards");
	mx_line_bad("a.*.example.com", "an inner wildcard");
	mx_line_bad("*example.com", "a '*' without a dot");
	mx_line_bad("a*.example.com", "a '*' inside a label");
	mx_line_bad("-a.example.com", "a label starting with '-'");
	mx_line_bad("a-.example.com", "a label ending with '-'");
	mx_line_bad("a..example.com", "an empty label");
	mx_line_bad(".example.com", "a leading dot");
	mx_line_bad("example.com..", "two trailing dots");
	mx_line_bad("a_b.example.com", "an underscore");
	mx_line_bad("mail.example.com:25", "a port");
	mx_line_bad("mail example.com", "a space");
	mx_line_bad("[192.0.2.1]", "an address literal");
	mx_line_bad("b\xc3\xbc" "cher.example", "a U-label");

	snprintf(value, sizeof(value), "%s.example", label63);
	mx_line_ok(value, value, "a label of 63 characters");
	snprintf(value, sizeof(value), "%s.example", label64);
	mx_line_bad(value, "a label of 64 characters");

	/* 253 characters in all pass, 254 do not, "*." included. */
	s = repeat('a', 61);
	snprintf(value, sizeof(value), "%s.%s.%s.%s", label63, label63,
	    label63, s);
	CHECK_INT(strlen(value), 253, "a name of 253 characters is built");
	mx_line_ok(value, value, "a name of 253 characters");
	snprintf(value, sizeof(value), "%s.%s.%s.%s.", label63, label63,
	    label63, s);
	t = strdup(value);
	if (!t)
		BAIL_OUT("out of memory");
	t[253] = '\0';
	mx_line_ok(value, t, "a name of 253 characters and a trailing dot");
	free(t);
	snprintf(value, sizeof(value), "%s.%s.%s.%sa", label63, label63,
	    label63, s);
	mx_line_bad(value, "a name of 254 characters");
	free(s);
	s = repeat('a', 59);
	snprintf(value, sizeof(value), "*.%s.%s.%s.%s", label63, label63,
	    label63, s);
	CHECK_INT(strlen(value), 253, "a wildcard of 253 characters is built");
	mx_line_ok(value, value, "a wildcard of 253 characters");
	snprintf(value, sizeof(value), "*.%s.%s.%s.%sa", label63, label63,
	    label63, s);
	mx_line_bad(value, "a wildcard of 254 characters");
	free(s);
	free(label63);
	free(label64);
}

static void
test_policy_limits(void)
{
	struct getk_mtasts_policy pol;
	char *body;
	size_t len, size, i;
	static const char head[] = "version: STSv1\nmode: none\nmax_age: 1\n";

	/* GETK_MTASTS_MAX_POLICY bytes pass, one more does not. */
	body = malloc(GETK_MTASTS_MAX_POLICY + 2);
	if (!body)
		BAIL_OUT("out of memory");
	memcpy(body, head, sizeof(head) - 1);
	len = sizeof(head) - 1;
	while (len < GETK_MTASTS_MAX_POLICY) {
		/* Lines "x: yyy...y\n" of at most 100 bytes. */
		size_t n = GETK_MTASTS_MAX_POLICY - len;

		if (n > 100)
			n = 100;
		if (n < 5) {
			memset(body + len, '\n', n);
			len += n;
			break;
		}
		memcpy(body + len, "x: ", 3);
		memset(body + len + 3, 'y', n - 4);
		body[len + n - 1] = '\n';
		len += n;
	}
	CHECK_INT(len, GETK_MTASTS_MAX_POLICY, "a policy of the maximum size "
	    "is built");
	policy_ok(body, len, NULL, "a policy of GETK_MTASTS_MAX_POLICY bytes");
	body[len++] = '\n';
	policy_bad(body, len, GETK_ERR_TOOBIG, "policy larger than 65536 bytes",
	    "a policy one byte too big");
	free(body);

	/* GETK_MTASTS_MAX_MX mx lines pass, one more does not. */
	size = 100 * (GETK_MTASTS_MAX_MX + 2);
	body = malloc(size);
	if (!body)
		BAIL_OUT("out of memory");
	len = (size_t)snprintf(body, size, "version: STSv1\nmode: enforce\n"
	    "max_age: 86400\n");
	for (i = 0; i < GETK_MTASTS_MAX_MX; i++)
		len += (size_t)snprintf(body + len, size - len,
		    "mx: mx%zu.example.org\n", i);
	if (policy_ok(body, len, &pol, "32 mx lines"))
		CHECK(pol.nmx == GETK_MTASTS_MAX_MX &&
		    strcmp(pol.mx[31], "mx31.example.org") == 0,
		    "32 mx lines: all kept in order");
	len += (size_t)snprintf(body + len, size - len,
	    "mx: mx32.example.org\n");
	policy_bad(body, len, GETK_ERR_TOOBIG, "line 36: more than 32 mx "
	    "patterns", "33 mx lines");
	free(body);
}

static void
test_match(void)
{
	struct getk_mtasts_policy pol, empty, many;
	char host[300], pat[256];
	char *s;
	size_t i;

	if (!POLICY_OK(rfc_policy, &pol, "the RFC example for matching"))
		return;
	CHECK(getk_mtasts_mx_match(&pol, "mail.example.com"), "exact match");
	CHECK(getk_mtasts_mx_match(&pol, "MAIL.Example.COM"),
	    "exact match in another case");
	CHECK(getk_mtasts_mx_match(&pol, "mail.example.com."),
	    "exact match with a trailing dot");
	CHECK(getk_mtasts_mx_match(&pol, "backupmx.example.com"),
	    "the third pattern");
	CHECK(getk_mtasts_mx_match(&pol, "a.example.net"),
	    "a wildcard match");
	CHECK(getk_mtasts_mx_match(&pol, "Mx-1.EXAMPLE.NET."),
	    "a wildcard match in another case with a trailing dot");
	CHECK(!getk_mtasts_mx_match(&pol, "example.net"),
	    "the wildcard does not match its own domain");
	CHECK(!getk_mtasts_mx_match(&pol, "a.b.example.net"),
	    "the wildcard matches one label only");
	CHECK(!getk_mtasts_mx_match(&pol, "*.example.net"),
	    "a host named like the pattern does not match");
	CHECK(!getk_mtasts_mx_match(&pol, ".example.net"),
	    "an empty leftmost label");
	CHECK(!getk_mtasts_mx_match(&pol, "aexample.net"),
	    "a suffix without the dot");
	CHECK(!getk_mtasts_mx_match(&pol, "a.example.net.."),
	    "two trailing dots");
	CHECK(!getk_mtasts_mx_match(&pol, "mail.example.co"),
	    "a prefix of a pattern");
	CHECK(!getk_mtasts_mx_match(&pol, "xmail.example.com"),
	    "a longer first label");
	CHECK(!getk_mtasts_mx_match(&pol, "a.mail.example.com"),
	    "a subdomain of an exact pattern");
	CHECK(!getk_mtasts_mx_match(&pol, "mail.example.com.evil"),
	    "a pattern as a prefix");
	CHECK(!getk_mtasts_mx_match(&pol, "mail_1.example.net"),
	    "an invalid host name");
	CHECK(!getk_mtasts_mx_match(&pol, ""), "an empty host");
	CHECK(!getk_mtasts_mx_match(&pol, "."), "the root");
	CHECK(!getk_mtasts_mx_match(&pol, NULL), "a NULL host");

	/* RFC 8461 4.1's own example. */
	if (POLICY_OK("version: STSv1\nmode: enforce\nmx: *.example.com\n"
	    "max_age: 1\n", &pol, "the RFC 8461 4.1 wildcard")) {
		CHECK(getk_mtasts_mx_match(&pol, "mail.example.com"),
		    "*.example.com matches mail.example.com");
		CHECK(!getk_mtasts_mx_match(&pol, "example.com"),
		    "*.example.com does not match example.com");
		CHECK(!getk_mtasts_mx_match(&pol, "foo.bar.example.com"),
		    "*.example.com does not match foo.bar.example.com");
	}

	memset(&empty, 0, sizeof(empty));
	CHECK(!getk_mtasts_mx_match(&empty, "mail.example.com"),
	    "a policy without patterns matches nothing");

	/* Host names near the length limit. */
	s = repeat('a', 59);
	snprintf(pat, sizeof(pat), "*.%s.%s.%s.%s",
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
	    "ccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc",
	    "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd",
	    s);
	memset(&many, 0, sizeof(many));
	memcpy(many.mx[0], pat, sizeof(pat));
	many.nmx = 1;
	many.mode = GETK_MTASTS_ENFORCE;
	snprintf(host, sizeof(host), "x%s.", pat + 1);
	CHECK(getk_mtasts_mx_match(&many, host),
	    "a host of 253 characters and a dot matches");
	snprintf(host, sizeof(host), "xx%s", pat + 1);
	CHECK(!getk_mtasts_mx_match(&many, host),
	    "a host of 254 characters does not");
	free(s);

	/* A bad nmx reads no further than the array. */
	memset(&many, 0, sizeof(many));
	for (i = 0; i < GETK_MTASTS_MAX_MX; i++)
		snprintf(many.mx[i], sizeof(many.mx[i]), "mx%zu.example", i);
	many.nmx = 1000;
	CHECK(getk_mtasts_mx_match(&many, "mx31.example"),
	    "nmx over the maximum: the last pattern");
	CHECK(!getk_mtasts_mx_match(&many, "mx32.example"),
	    "nmx over the maximum: nothing past it");
	/* Nor past a pattern without its NUL. */
	memset(many.mx[0], 'a', sizeof(many.mx[0]));
	many.nmx = 1;
	CHECK(!getk_mtasts_mx_match(&many, "aaaa"),
	    "a pattern without a NUL matches nothing");
}

static void
test_mode_name(void)
{
	CHECK_STR(getk_mtasts_mode_name(GETK_MTASTS_ENFORCE), "enforce",
	    "mode name enforce");
	CHECK_STR(getk_mtasts_mode_name(GETK_MTASTS_TESTING), "testing",
	    "mode name testing");
	CHECK_STR(getk_mtasts_mode_name(GETK_MTASTS_NONE), "none",
	    "mode name none");
	CHECK_STR(getk_mtasts_mode_name((enum getk_mtasts_mode)99), "unknown",
	    "mode name out of range");
}

/* Checks that P makes text that parses back to P. */
static void
round_trip(const struct getk_mtasts_policy *p, const char *desc)
{
	struct getk_mtasts_policy back;
	char *text = NULL, *again = NULL, why[128];
	size_t i;
	int same;

	if (!CHECK_INT(getk_mtasts_policy_text(p, &text), GETK_OK,
	    "policy_text: %s", desc))
		return;
	if (!CHECK_INT(getk_mtasts_parse_policy(text, strlen(text), &back, why,
	    sizeof(why)), GETK_OK, "round trip: %s parses back", desc)) {
		DIAG("why: %s", why);
		free(text);
		return;
	}
	same = back.mode == p->mode && back.max_age == p->max_age &&
	    back.nmx == p->nmx;
	for (i = 0; same && i < p->nmx; i++)
		same = strcmp(back.mx[i], p->mx[i]) == 0;
	CHECK(same, "round trip: %s: the same policy", desc);
	CHECK_INT(getk_mtasts_policy_text(&back, &again), GETK_OK,
	    "round trip: %s: text again", desc);
	CHECK_STR(again, text, "round trip: %s: the same text", desc);
	free(text);
	free(again);
}

static void
text_bad(const struct getk_mtasts_policy *p, const char *desc)
{
	static char stale[] = "stale";
	char *text = stale;

	CHECK_INT(getk_mtasts_policy_text(p, &text), GETK_ERR_INVAL,
	    "policy_text refuses %s", desc);
	CHECK(text == NULL, "policy_text: %s: no text", desc);
}

static void
test_text(void)
{
	struct getk_mtasts_policy pol, bad;
	char *text = NULL, *s;
	size_t i;

	if (!POLICY_OK(rfc_policy, &pol, "the RFC example for text"))
		return;
	CHECK_INT(getk_mtasts_policy_text(&pol, &text), GETK_OK,
	    "policy_text of the RFC example");
	CHECK_STR(text, rfc_policy, "the RFC example is its own canonical "
	    "form");
	free(text);
	round_trip(&pol, "the RFC example");

	if (POLICY_OK("max_age: 31557601\nx: y\nmode: testing\r\n\n"
	    "mx: *.EXAMPLE.org.\nversion: STSv1\nmode: none\n", &pol,
	    "a policy in unusual form")) {
		CHECK_INT(getk_mtasts_policy_text(&pol, &text), GETK_OK,
		    "policy_text of a policy in unusual form");
		CHECK_STR(text, "version: STSv1\r\nmode: testing\r\n"
		    "mx: *.example.org\r\nmax_age: 31557600\r\n",
		    "the canonical form of a policy in unusual form");
		free(text);
		round_trip(&pol, "a policy in unusual form");
	}

	memset(&pol, 0, sizeof(pol));
	pol.mode = GETK_MTASTS_NONE;
	round_trip(&pol, "mode none, no mx, max_age 0");
	CHECK_INT(getk_mtasts_policy_text(&pol, &text), GETK_OK,
	    "policy_text of mode none");
	CHECK_STR(text, "version: STSv1\r\nmode: none\r\nmax_age: 0\r\n",
	    "mode none has no mx line");
	free(text);

	/* The largest policy: 32 patterns of 253 characters. */
	s = repeat('a', 59);
	memset(&pol, 0, sizeof(pol));
	pol.mode = GETK_MTASTS_ENFORCE;
	pol.max_age = GETK_MTASTS_MAX_AGE;
	pol.nmx = GETK_MTASTS_MAX_MX;
	for (i = 0; i < GETK_MTASTS_MAX_MX; i++)
		snprintf(pol.mx[i], sizeof(pol.mx[i]), "%s%02zu.%s.%s.%s",
		    i % 2 ? "*." : "", i, s, s, s);
	free(s);
	round_trip(&pol, "32 long patterns");

	memset(&bad, 0, sizeof(bad));
	bad.mode = (enum getk_mtasts_mode)3;
	text_bad(&bad, "a mode out of range");
	bad.mode = GETK_MTASTS_NONE;
	bad.max_age = -1;
	text_bad(&bad, "a negative max_age");
	bad.max_age = GETK_MTASTS_MAX_AGE + 1;
	text_bad(&bad, "a max_age over the maximum");
	bad.max_age = 1;
	bad.mode = GETK_MTASTS_ENFORCE;
	text_bad(&bad, "enforce without mx");
	bad.mode = GETK_MTASTS_TESTING;
	text_bad(&bad, "testing without mx");
	bad = pol;
	bad.nmx = GETK_MTASTS_MAX_MX + 1;
	text_bad(&bad, "too many patterns");
	bad = pol;
	snprintf(bad.mx[3], sizeof(bad.mx[3]), "Mail.example.com");
	text_bad(&bad, "an upper-case pattern");
	snprintf(bad.mx[3], sizeof(bad.mx[3]), "mail.example.com.");
	text_bad(&bad, "a pattern with a trailing dot");
	snprintf(bad.mx[3], sizeof(bad.mx[3]), "mail\r\nmode: none");
	text_bad(&bad, "a pattern with a line end");
	snprintf(bad.mx[3], sizeof(bad.mx[3]), "%s", "");
	text_bad(&bad, "an empty pattern");
	memset(bad.mx[3], 'a', sizeof(bad.mx[3]));
	text_bad(&bad, "a pattern without a NUL");
}

int
main(void)
{
	test_txt();
	test_policy_good();
	test_policy_bad();
	test_policy_mx();
	test_policy_limits();
	test_match();
	test_mode_name();
	test_text();
	return done_testing();
}
