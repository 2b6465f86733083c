/*
 * test-passthrough.c: unit tests of src/passthrough.c, the check that a
 * message is OpenPGP ciphertext already.
 *
 * The armored blocks come from gpg 2.2.40 (the key of test-packet.c):
 *     printf 'hello\n' | gpg -a -e -r test@example.org -z 0
 *     printf 'hi\n' | gpg -a -s
 *     printf 'secret plan\n' | gpg -a --store -z 0
 * Each body is fed whole, one octet at a time and in pieces of 7, with
 * LF and again with CRLF line ends, and must get the same verdict.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "message.h"
#include "passthrough.h"
#include "unit.h"

#define ENCRYPTED \
	"-----BEGIN PGP MESSAGE-----\n" \
	"\n" \
	"hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w\n" \
	"Eg1zN8Aef28hiyb+CBMAC76SJR2j5sABSbHTpdwO31dj0HkyyCaAXIlKYSSjgmi3\n" \
	"0jcBpi8Gnd2qI3jW6G8nMK95aCwK8JGkk3mmzTDVedwl6NShz1YnWIvhjxRwu9VQ\n" \
	"Q9BJqi+BnNt1\n" \
	"=Ty1i\n" \
	"-----END PGP MESSAGE-----\n"

/* The same with its checksum line changed. */
#define BAD_CRC \
	"-----BEGIN PGP MESSAGE-----\n" \
	"\n" \
	"hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w\n" \
	"Eg1zN8Aef28hiyb+CBMAC76SJR2j5sABSbHTpdwO31dj0HkyyCaAXIlKYSSjgmi3\n" \
	"0jcBpi8Gnd2qI3jW6G8nMK95aCwK8JGkk3mmzTDVedwl6NShz1YnWIvhjxRwu9VQ\n" \
	"Q9BJqi+BnNt1\n" \
	"=Ty1j\n" \
	"-----END PGP MESSAGE-----\n"

/* A signed message: clear text inside compressed data. */
#define SIGNED \
	"-----BEGIN PGP MESSAGE-----\n" \
	"\n" \
	"owGbwMvMwCGmukxCbw/vvnmMpzmTGLL5szMyMrk6SlkYxDgYZMUUWa5Ynz6z1O4b\n" \
	"2/Q/TLYwpaxMIHUMXJwCMBE/S4b/cYukzrs93P40Xbhiy+c2pwNbD7gtCT5/5PTf\n" \
	"ubof04tD/jP80wwoS2iJijMICI7Il7KuXJOXXB62fuP3Kzkn7RK2VKzmAQA=\n" \
	"=5kr0\n" \
	"-----END PGP MESSAGE-----\n"

/* Literal data: "secret plan" in clear. */
#define LITERAL \
	"-----BEGIN PGP MESSAGE-----\n" \
	"\n" \
	"yxJiAGsPa2hzZWNyZXQgcGxhbgo=\n" \
	"=l5IR\n" \
	"-----END PGP MESSAGE-----\n"

#define MIME_HEAD \
	"Content-Type: multipart/encrypted;\n" \
	" protocol=\"application/pgp-encrypted\";\n" \
	" boundary=\"b1\"\n"

#define PART1 \
	"--b1\n" \
	"Content-Type: application/pgp-encrypted\n" \
	"Content-Description: PGP/MIME version identification\n" \
	"\n" \
	"Version: 1\n" \
	"\n"

#define PART2_HEAD \
	"--b1\n" \
	"Content-Type: application/octet-stream; name=\"encrypted.asc\"\n" \
	"Content-Disposition: inline; filename=\"encrypted.asc\"\n" \
	"\n"

#define PGPMIME(preamble, block, epilogue) \
	preamble PART1 PART2_HEAD block "\n--b1--\n" epilogue

struct pt_case {
	const char *name;
	const char *header;	/* fields, LF line ends, without the empty
				   line */
	const char *body;
	int pass;
	const char *why;	/* a part of the reason */
};

static const struct pt_case cases[] = {
	/* Inline. */
	{ "inline, no Content-Type", "Subject: x\n", ENCRYPTED, 1, "inline" },
	{ "inline, blank lines around", "Subject: x\n",
	    "\n \t\n" ENCRYPTED "\n\n  \n", 1, "inline" },
	{ "inline, text/plain", "Content-Type: text/plain; charset=us-ascii\n"
	    "Content-Transfer-Encoding: 7bit\n", ENCRYPTED, 1, "inline" },
	{ "inline, no END line", "Subject: x\n", "-----BEGIN PGP MESSAGE-----"
	    "\n\nhF4D\n", 0, "has no END line" },
	{ "inline, last line without a line end", "Subject: x\n",
	    "-----BEGIN PGP MESSAGE-----\n\nhF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w\n"
	    "Eg1zN8Aef28hiyb+CBMAC76SJR2j5sABSbHTpdwO31dj0HkyyCaAXIlKYSSjgmi3\n"
	    "0jcBpi8Gnd2qI3jW6G8nMK95aCwK8JGkk3mmzTDVedwl6NShz1YnWIvhjxRwu9VQ\n"
	    "Q9BJqi+BnNt1\n=Ty1i\n-----END PGP MESSAGE-----", 1, "inline" },
	{ "the BEGIN line, then clear text", "Subject: x\n",
	    "-----BEGIN PGP MESSAGE-----\n\nThe plan is in the usual place.\n"
	    "-----END PGP MESSAGE-----\n", 0, "malformed here" },
	{ "the BEGIN line alone, then clear text", "Subject: x\n",
	    "-----BEGIN PGP MESSAGE-----\nThe plan is in the usual place.\n", 0,
	    "body line 2" },
	{ "text before the block", "Subject: x\n", "Hi Bob,\n" ENCRYPTED, 0,
	    "body line 1: not blank" },
	{ "text after the block", "Subject: x\n", ENCRYPTED "\nPS: the plan "
	    "is in the usual place.\n", 0, "text after the PGP MESSAGE block" },
	{ "two blocks", "Subject: x\n", ENCRYPTED ENCRYPTED, 0,
	    "text after the PGP MESSAGE block" },
	{ "a wrong checksum", "Subject: x\n", BAD_CRC, 0,
	    "body line 8: the PGP MESSAGE block is malformed" },
	{ "a signed message (compressed clear text)", "Subject: x\n", SIGNED,
	    0, "no encrypted message: a compressed data packet (type 8)" },
	{ "literal data", "Subject: x\n", LITERAL, 0,
	    "no encrypted message: a literal data packet (type 11)" },
	{ "an empty body", "Subject: x\n", "", 0, "holds no PGP MESSAGE" },
	{ "clear text", "Subject: x\n", "Hello.\n", 0, "body line 1" },
	{ "clear-signed text", "Subject: x\n", "-----BEGIN PGP SIGNED "
	    "MESSAGE-----\nHash: SHA256\n\nHello.\n", 0, "body line 1" },
	{ "a space before BEGIN", "Subject: x\n",
	    " -----BEGIN PGP MESSAGE-----\n", 0, "body line 1" },
	{ "inline, text/html", "Content-Type: text/html\n", ENCRYPTED, 0,
	    "text/html, neither" },
	{ "inline, quoted-printable", "Content-Transfer-Encoding: "
	    "quoted-printable\n", ENCRYPTED, 0,
	    "Content-Transfer-Encoding quoted-printable" },
	{ "inline, base64", "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: base64\n", ENCRYPTED, 0,
	    "Content-Transfer-Encoding base64" },
	{ "inline, binary", "Content-Transfer-Encoding: binary\n", ENCRYPTED,
	    0, "Content-Transfer-Encoding binary" },
	{ "two Content-Transfer-Encoding fields",
	    "Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: 7bit\n",
	    ENCRYPTED, 0, "2 Content-Transfer-Encoding fields" },
	{ "an over-long line", "Subject: x\n", "-----BEGIN PGP MESSAGE-----\n\n"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w"
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w\n",
	    0, "longer than 998 octets" },

	/* PGP/MIME. */
	{ "PGP/MIME", MIME_HEAD, PGPMIME("This is an OpenPGP/MIME encrypted "
	    "message (RFC 4880 and 3156)\n", ENCRYPTED, ""), 1, "PGP/MIME" },
	{ "PGP/MIME, no preamble, an epilogue", MIME_HEAD,
	    PGPMIME("", ENCRYPTED, "epilogue\n"), 1, "PGP/MIME" },
	{ "PGP/MIME, transport padding on the delimiters", MIME_HEAD,
	    "--b1 \t\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n"
	    "--b1\nContent-Type: application/octet-stream\n\n" ENCRYPTED
	    "--b1--  \n", 1, "PGP/MIME" },
	{ "PGP/MIME, MIME-Version and 7bit", "MIME-Version: 1.0\n"
	    "Content-Type: Multipart/Encrypted; boundary=b1; "
	    "protocol=\"Application/PGP-Encrypted\"\n"
	    "Content-Transfer-Encoding: 7bit\n",
	    PGPMIME("", ENCRYPTED, ""), 1, "PGP/MIME" },
	{ "PGP/MIME over clear text/plain", MIME_HEAD,
	    "--b1\nContent-Type: text/plain\n\nThe plan is in the usual place."
	    "\n--b1--\n", 0, "the first part is text/plain, not "
	    "application/pgp-encrypted" },
	{ "PGP/MIME with a clear second part", MIME_HEAD,
	    PART1 "--b1\nContent-Type: text/plain\n\nThe plan.\n--b1--\n", 0,
	    "the second part is text/plain, not application/octet-stream" },
	{ "PGP/MIME with clear text in the second part", MIME_HEAD,
	    PART1 PART2_HEAD "The plan is in the usual place.\n--b1--\n", 0,
	    "not blank and not -----BEGIN PGP MESSAGE-----" },
	{ "PGP/MIME with clear text after the block", MIME_HEAD,
	    PGPMIME("", ENCRYPTED "The plan.\n", ""), 0,
	    "text after the PGP MESSAGE block" },
	{ "PGP/MIME with a third part", MIME_HEAD,
	    PART1 PART2_HEAD ENCRYPTED "--b1\nContent-Type: text/plain\n\n"
	    "The plan.\n--b1--\n", 0, "third part" },
	{ "PGP/MIME without the close delimiter", MIME_HEAD,
	    PART1 PART2_HEAD ENCRYPTED, 0, "no close delimiter" },
	{ "PGP/MIME with a signed message", MIME_HEAD,
	    PGPMIME("", SIGNED, ""), 0, "compressed data packet" },
	{ "PGP/MIME with literal data", MIME_HEAD, PGPMIME("", LITERAL, ""), 0,
	    "literal data packet" },
	{ "PGP/MIME with a wrong checksum", MIME_HEAD, PGPMIME("", BAD_CRC, ""),
	    0, "malformed" },
	{ "PGP/MIME without Version: 1", MIME_HEAD, "--b1\nContent-Type: "
	    "application/pgp-encrypted\n\n" PART2_HEAD ENCRYPTED "--b1--\n", 0,
	    "lacks \"Version: 1\"" },
	{ "PGP/MIME with more than Version: 1", MIME_HEAD, "--b1\n"
	    "Content-Type: application/pgp-encrypted\n\nVersion: 1\nThe plan.\n"
	    PART2_HEAD ENCRYPTED "--b1--\n", 0, "more than \"Version: 1\"" },
	{ "PGP/MIME, a part without a header", MIME_HEAD,
	    "--b1\n\nVersion: 1\n" PART2_HEAD ENCRYPTED "--b1--\n", 0,
	    "the first part has no header" },
	{ "PGP/MIME, a part with two Content-Types", MIME_HEAD,
	    "--b1\nContent-Type: application/pgp-encrypted\nContent-Type: "
	    "text/plain\n\nVersion: 1\n" PART2_HEAD ENCRYPTED "--b1--\n", 0,
	    "the first part has 2 Content-Type fields" },
	{ "PGP/MIME, a base64 second part", MIME_HEAD, PART1 "--b1\n"
	    "Content-Type: application/octet-stream\nContent-Transfer-Encoding: "
	    "base64\n\n" ENCRYPTED "--b1--\n", 0,
	    "the second part has Content-Transfer-Encoding base64" },
	{ "PGP/MIME, a line that starts with the boundary", MIME_HEAD,
	    PGPMIME("--b1x\n", ENCRYPTED, ""), 0,
	    "body line 1 starts with the boundary" },
	{ "PGP/MIME, such a line in the epilogue", MIME_HEAD,
	    PGPMIME("", ENCRYPTED, "--b1\nContent-Type: text/plain\n\nThe plan."
	    "\n"), 0, "a delimiter after the close delimiter" },
	{ "PGP/MIME, the close delimiter first", MIME_HEAD, "--b1--\n", 0,
	    "has no parts" },
	{ "PGP/MIME, a delimiter in the block", MIME_HEAD,
	    PART1 PART2_HEAD "-----BEGIN PGP MESSAGE-----\n\n--b1--\n", 0,
	    "a delimiter inside the PGP MESSAGE block" },
	{ "two Content-Type fields, multipart/encrypted first",
	    MIME_HEAD "Content-Type: text/plain\n", PGPMIME("", ENCRYPTED, ""),
	    0, "the header has 2 Content-Type fields" },
	{ "multipart/encrypted over clear text", MIME_HEAD, "The plan is in "
	    "the usual place.\n", 0, "no close delimiter" },
	{ "multipart/encrypted without protocol", "Content-Type: "
	    "multipart/encrypted; boundary=b1\n", PGPMIME("", ENCRYPTED, ""), 0,
	    "without protocol=" },
	{ "multipart/encrypted of another protocol", "Content-Type: "
	    "multipart/encrypted; boundary=b1; protocol=\"application/"
	    "pkcs7-mime\"\n", PGPMIME("", ENCRYPTED, ""), 0, "without protocol=" },
	{ "multipart/encrypted without boundary", "Content-Type: "
	    "multipart/encrypted; protocol=\"application/pgp-encrypted\"\n",
	    PGPMIME("", ENCRYPTED, ""), 0, "without a valid boundary" },
	{ "a boundary in RFC 2231 pieces", "Content-Type: multipart/encrypted; "
	    "protocol=\"application/pgp-encrypted\"; boundary*0=b; "
	    "boundary*1=1\n", PGPMIME("", ENCRYPTED, ""), 0, "cannot be read" },
	{ "two boundaries", "Content-Type: multipart/encrypted; protocol="
	    "\"application/pgp-encrypted\"; boundary=b1; boundary=b2\n",
	    PGPMIME("", ENCRYPTED, ""), 0, "cannot be read" },
	{ "a boundary of 71 characters", "Content-Type: multipart/encrypted; "
	    "protocol=\"application/pgp-encrypted\"; boundary=\"xxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"\n",
	    "", 0, "cannot be read" },
	{ "a boundary ending in a space", "Content-Type: multipart/encrypted; "
	    "protocol=\"application/pgp-encrypted\"; boundary=\"b1 \"\n",
	    PGPMIME("", ENCRYPTED, ""), 0, "without a valid boundary" },
	{ "a comment in Content-Type", "Content-Type: multipart/encrypted "
	    "(x); protocol=\"application/pgp-encrypted\"; boundary=b1\n",
	    PGPMIME("", ENCRYPTED, ""), 0, "cannot be read" },
	{ "multipart/mixed", "Content-Type: multipart/mixed; boundary=b1\n",
	    PGPMIME("", ENCRYPTED, ""), 0, "multipart/mixed, neither" },
	{ "multipart/encrypted, quoted-printable",
	    MIME_HEAD "Content-Transfer-Encoding: quoted-printable\n",
	    PGPMIME("", ENCRYPTED, ""), 0, "quoted-printable" },
};

/* TEXT with every LF made CRLF; free the result. */
static char *
crlf(const char *text)
{
	size_t n = strlen(text), i, k = 0;
	char *s = malloc(2 * n + 1);

	if (!s)
		BAIL_OUT("out of memory");
	for (i = 0; i < n; i++) {
		if (text[i] == '\n')
			s[k++] = '\r';
		s[k++] = text[i];
	}
	s[k] = '\0';
	return s;
}

/* The verdict on BODY under H, fed in pieces of STEP (0: whole). */
static int
verdict(const struct getk_headers *h, const char *body, size_t step,
    char *why, size_t whysz)
{
	struct getk_passthrough *pt = NULL;
	size_t len = strlen(body), off = 0, n;
	const char *w;
	int pass;

	if (getk_passthrough_new(h, &pt))
		BAIL_OUT("out of memory");
	while (off < len) {
		n = step && len - off > step ? step : len - off;
		getk_passthrough_feed(pt, body + off, n);
		off += n;
	}
	pass = getk_passthrough_end(pt, &w);
	snprintf(why, whysz, "%s", w ? w : "(null)");
	getk_passthrough_free(pt);
	return pass;
}

static void
case_is(const struct pt_case *c)
{
	static const size_t steps[] = { 0, 1, 7 };
	struct getk_headers *h = NULL;
	char head[2048], why[256], *body;
	const char *w;
	size_t consumed, i;
	int le;

	for (le = 0; le < 2; le++) {
		snprintf(head, sizeof(head), "From: a@example.org\n%s\n",
		    c->header);
		body = le ? crlf(c->body) : strdup(c->body);
		if (!body || getk_headers_parse_whole(head, strlen(head), &h,
		    &consumed, &w) || !h)
			BAIL_OUT("cannot parse the header of %s", c->name);
		for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			int pass = verdict(h, body, steps[i], why, sizeof(why));

			CHECK_INT(pass, c->pass, "%s (%s, pieces of %zu): %s",
			    c->name, le ? "CRLF" : "LF", steps[i], c->pass ?
			    "passes" : "does not pass");
			if (!CHECK(strstr(why, c->why) != NULL, "%s (%s, pieces "
			    "of %zu): says \"%s\"", c->name, le ? "CRLF" : "LF",
			    steps[i], c->why))
				DIAG("why: %s", why);
		}
		getk_headers_free(h);
		h = NULL;
		free(body);
	}
}

/* A large PGP/MIME body, made up of many data lines, fed in pieces. */
static void
test_large(void)
{
	static const char *line =
	    "hF4DQPAfaWBqJHgSAQdAYGH+i5mOzIpkekaxsk9ei4lwupx+hcfYUXu3O0xn7y0w\n";
	struct getk_headers *h = NULL;
	struct getk_passthrough *pt = NULL;
	const char *w;
	size_t consumed, i;
	int pass;

	if (getk_headers_parse_whole(MIME_HEAD "\n", strlen(MIME_HEAD "\n"), &h,
	    &consumed, &w) || getk_passthrough_new(h, &pt))
		BAIL_OUT("setup");
	getk_passthrough_feed(pt, PART1 PART2_HEAD, strlen(PART1 PART2_HEAD));
	getk_passthrough_feed(pt, "-----BEGIN PGP MESSAGE-----\n\n", 29);
	/* Copies of one line: a PKESK, then more PKESKs' worth of octets
	 * that no longer parse as packets. */
	for (i = 0; i < 20000; i++)
		getk_passthrough_feed(pt, line, strlen(line));
	getk_passthrough_feed(pt, "-----END PGP MESSAGE-----\n--b1--\n", 33);
	pass = getk_passthrough_end(pt, &w);
	CHECK(!pass, "1.3 MB of repeated data lines do not pass");
	CHECK(strstr(w, "no encrypted message") != NULL, "... because of "
	    "their packets (%s)", w);
	getk_passthrough_free(pt);
	getk_headers_free(h);
}

/* Whether HEADER and BODY look like ciphertext at a glance. */
static int
claims(const char *header, const char *body)
{
	struct getk_headers *h = NULL;
	struct getk_passthrough *pt = NULL;
	char head[1024];
	const char *w;
	size_t consumed;
	int yes;

	snprintf(head, sizeof(head), "%s\n", header);
	if (getk_headers_parse_whole(head, strlen(head), &h, &consumed, &w) ||
	    getk_passthrough_new(h, &pt))
		BAIL_OUT("setup");
	getk_passthrough_feed(pt, body, strlen(body));
	getk_passthrough_end(pt, &w);
	yes = getk_passthrough_claims(pt);
	getk_passthrough_free(pt);
	getk_headers_free(h);
	return yes;
}

static void
test_claims(void)
{
	CHECK(claims("Subject: x\n", "\n-----BEGIN PGP MESSAGE-----\nclear\n"),
	    "a BEGIN line over clear text looks like ciphertext");
	CHECK(claims(MIME_HEAD "Content-Type: text/plain\n", "clear\n"),
	    "a first Content-Type of multipart/encrypted looks so");
	CHECK(claims("Content-Type: text/plain\n" MIME_HEAD, "clear\n"),
	    "a second one too");
	CHECK(claims("Subject: x\n", ENCRYPTED), "real ciphertext looks so");
	CHECK(!claims("Subject: x\n", "Hello.\n-----BEGIN PGP MESSAGE-----\n"),
	    "clear text first does not");
	CHECK(!claims("Content-Type: text/html\n", ENCRYPTED),
	    "an armored block as text/html is not looked at");
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		case_is(&cases[i]);
	test_large();
	test_claims();
	return done_testing();
}
