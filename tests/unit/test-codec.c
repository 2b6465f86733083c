/*
 * test-codec.c: unit tests of src/codec.c: strict base64 (RFC 4648
 * section 4), the OpenPGP CRC-24 and ASCII armor (RFC 4880 section 6).
 * Expected values come from RFC 4648 section 10, the CRC-24/OPENPGP
 * catalogue check value and Python's base64 module.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "unit.h"

/* Decodes IN and checks that it gives the LEN bytes WANT. */
static void
decode_ok(const char *in, const char *want, size_t len)
{
	struct getk_buf b;
	enum getk_err err;

	getk_buf_init(&b, 0);
	err = getk_base64_decode(in, strlen(in), &b);
	CHECK(err == GETK_OK, "decode \"%s\" succeeds", in);
	CHECK(b.len == len && (len == 0 || memcmp(b.data, want, len) == 0),
	    "decode \"%s\" gives the expected %zu bytes", in, len);
	getk_buf_free(&b);
}

/* Decodes the LEN characters at IN and checks that WANT_ERR comes back. */
static void
decode_bad(const char *in, size_t len, enum getk_err want_err,
    const char *why)
{
	struct getk_buf b;
	enum getk_err err;

	getk_buf_init(&b, 0);
	err = getk_base64_decode(in, len, &b);
	CHECK_INT(err, want_err, "decode \"%.*s\" refused: %s", (int)len, in,
	    why);
	getk_buf_free(&b);
}

#define DECODE_BAD(lit, why) \
	decode_bad((lit), sizeof(lit) - 1, GETK_ERR_SYNTAX, (why))

static void
encode_is(const char *in, size_t len, size_t wrap, const char *want)
{
	struct getk_buf b;
	enum getk_err err;

	getk_buf_init(&b, 0);
	err = getk_base64_encode((const unsigned char *)in, len, wrap, &b);
	CHECK(err == GETK_OK, "encode of %zu bytes (wrap %zu) succeeds", len,
	    wrap);
	CHECK_STR(b.data ? b.data : "", want, "encode of \"%.*s\" wrap %zu",
	    (int)len, in, wrap);
	getk_buf_free(&b);
}

static void
test_decode(void)
{
	struct getk_buf b;
	static const char all[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	/* RFC 4648 section 10. */
	decode_ok("", "", 0);
	decode_ok("Zg==", "f", 1);
	decode_ok("Zm8=", "fo", 2);
	decode_ok("Zm9v", "foo", 3);
	decode_ok("Zm9vYg==", "foob", 4);
	decode_ok("Zm9vYmE=", "fooba", 5);
	decode_ok("Zm9vYmFy", "foobar", 6);
	decode_ok("AAAA", "\0\0\0", 3);
	decode_ok("////", "\xff\xff\xff", 3);
	decode_ok("+/+/", "\xfb\xff\xbf", 3);

	/* The whole alphabet decodes, and round-trips. */
	getk_buf_init(&b, 0);
	CHECK(getk_base64_decode(all, 64, &b) == GETK_OK && b.len == 48,
	    "the whole alphabet decodes to 48 bytes");
	if (b.len == 48) {
		struct getk_buf e;

		getk_buf_init(&e, 0);
		getk_base64_encode((unsigned char *)b.data, b.len, 0, &e);
		CHECK_STR(e.data, all, "and encodes back");
		getk_buf_free(&e);
	}
	getk_buf_free(&b);

	/* Length. */
	DECODE_BAD("Z", "length 1");
	DECODE_BAD("Zg", "length 2");
	DECODE_BAD("Zg=", "length 3");
	DECODE_BAD("Zm9vY", "length 5");
	DECODE_BAD("Zm9vYg=", "length 7");

	/* Padding. */
	DECODE_BAD("====", "only padding");
	DECODE_BAD("Z===", "three padding characters");
	DECODE_BAD("Zg==Zg==", "padding in the middle");
	DECODE_BAD("Zm8=Zm9v", "padding in the middle");
	DECODE_BAD("Zg=A", "data after padding");
	DECODE_BAD("Z=g=", "data after padding");
	DECODE_BAD("Zg==AAAA", "a group after a padded one");

	/* Non-canonical: unused bits before the padding are not zero. */
	DECODE_BAD("Zh==", "stray bits with two padding characters");
	DECODE_BAD("Zm9=", "stray bits with one padding character");
	DECODE_BAD("Zm8/Zm9=", "stray bits in the last group");
	DECODE_BAD("AB==", "stray bits after a zero byte");

	/* Characters outside the alphabet. */
	DECODE_BAD("Zm9v\n", "newline");
	DECODE_BAD("Zm9v\r\nYmFy", "CRLF");
	DECODE_BAD("Zm 9", "space");
	DECODE_BAD("Zm9-", "URL-safe minus");
	DECODE_BAD("Zm9_", "URL-safe underscore");
	DECODE_BAD("Zm9.", "dot");
	DECODE_BAD("Zm\0v", "NUL");
	DECODE_BAD("Zm\xc3\xa9", "non-ASCII");
	DECODE_BAD("Zm9v\t\t\t\t", "tabs");

	/* The buffer's limit. */
	getk_buf_init(&b, 2);
	CHECK_INT(getk_base64_decode("Zm9v", 4, &b), GETK_ERR_TOOBIG,
	    "decode over the buffer limit is TOOBIG");
	getk_buf_free(&b);
	getk_buf_init(&b, 3);
	CHECK_INT(getk_base64_decode("Zm9v", 4, &b), GETK_OK,
	    "decode up to the buffer limit succeeds");
	getk_buf_free(&b);

	/* Decoding appends. */
	getk_buf_init(&b, 0);
	getk_buf_adds(&b, "xy");
	CHECK(getk_base64_decode("Zm9v", 4, &b) == GETK_OK &&
	    strcmp(b.data, "xyfoo") == 0, "decode appends to the buffer");
	getk_buf_free(&b);

	/* LEN is honoured: the bytes after it are not read. */
	getk_buf_init(&b, 0);
	CHECK(getk_base64_decode("Zm9v!!!!", 4, &b) == GETK_OK && b.len == 3,
	    "decode reads only LEN characters");
	getk_buf_free(&b);
}

static void
test_encode(void)
{
	struct getk_buf b;
	unsigned char bytes[200];
	size_t i;

	encode_is("", 0, 0, "");
	encode_is("f", 1, 0, "Zg==");
	encode_is("fo", 2, 0, "Zm8=");
	encode_is("foo", 3, 0, "Zm9v");
	encode_is("foob", 4, 0, "Zm9vYg==");
	encode_is("fooba", 5, 0, "Zm9vYmE=");
	encode_is("foobar", 6, 0, "Zm9vYmFy");
	encode_is("\0\0\0", 3, 0, "AAAA");
	encode_is("\xfb\xff\xbf", 3, 0, "+/+/");

	/* Wrapping. */
	encode_is("", 0, 76, "");
	encode_is("f", 1, 76, "Zg==\n");
	encode_is("foobar", 6, 4, "Zm9v\nYmFy\n");
	encode_is("foobar", 6, 8, "Zm9vYmFy\n");
	encode_is("foobarbaz", 9, 8, "Zm9vYmFy\nYmF6\n");

	for (i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 7 + 3);
	getk_buf_init(&b, 0);
	CHECK(getk_base64_encode(bytes, 114, 76, &b) == GETK_OK,
	    "encode 114 bytes wrapped at 76");
	CHECK_INT(b.len, 2 * 77, "two full lines with newlines");
	CHECK(b.len == 154 && b.data[76] == '\n' && b.data[153] == '\n',
	    "newlines after each 76 characters");
	getk_buf_free(&b);

	getk_buf_init(&b, 0);
	CHECK(getk_base64_encode(bytes, 115, 76, &b) == GETK_OK &&
	    b.len == 154 + 5 && strcmp(b.data + 154, "IQ==\n") == 0,
	    "a third, short line for 115 bytes");
	getk_buf_free(&b);

	/* Round trips of every length up to 200. */
	{
		int all_ok = 1;

		for (i = 0; i <= sizeof(bytes); i++) {
			struct getk_buf e, d;

			getk_buf_init(&e, 0);
			getk_buf_init(&d, 0);
			if (getk_base64_encode(bytes, i, 0, &e) != GETK_OK ||
			    e.len != (i + 2) / 3 * 4 ||
			    getk_base64_decode(e.data ? e.data : "", e.len,
			    &d) != GETK_OK || d.len != i ||
			    (i && memcmp(d.data, bytes, i) != 0)) {
				all_ok = 0;
				DIAG("round trip failed for length %zu", i);
			}
			getk_buf_free(&e);
			getk_buf_free(&d);
		}
		CHECK(all_ok, "encode/decode round trip for lengths 0 to 200");
	}

	/* The output buffer's limit. */
	getk_buf_init(&b, 7);
	CHECK_INT(getk_base64_encode((const unsigned char *)"foobar", 6, 0,
	    &b), GETK_ERR_TOOBIG, "encode over the buffer limit is TOOBIG");
	getk_buf_free(&b);
}

static void
test_crc24(void)
{
	unsigned char all[256];
	size_t i;

	for (i = 0; i < sizeof(all); i++)
		all[i] = (unsigned char)i;
	CHECK_INT(getk_crc24((const unsigned char *)"", 0), 0xB704CEL,
	    "crc24 of nothing is the initial value 0xB704CE");
	CHECK_INT(getk_crc24((const unsigned char *)"123456789", 9),
	    0x21CF02L, "crc24 of \"123456789\" is 0x21CF02");
	CHECK_INT(getk_crc24(all, sizeof(all)), 0x5BBD34L,
	    "crc24 of bytes 0 to 255 is 0x5BBD34");
	CHECK(getk_crc24(all, 256) <= 0xFFFFFFUL, "crc24 fits 24 bits");
}

static void
test_armor(void)
{
	static const char want[] =
	    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
	    "\n"
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v\n"
	    "MDEyMzQ1Njc4OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5f\n"
	    "YGFiYw==\n"
	    "=ojIo\n"
	    "-----END PGP PUBLIC KEY BLOCK-----\n";
	unsigned char key[100];
	struct getk_buf b;
	size_t i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)i;
	getk_buf_init(&b, 0);
	CHECK(getk_armor_pubkey(key, sizeof(key), &b) == GETK_OK,
	    "armor of 100 bytes succeeds");
	CHECK_STR(b.data, want, "armor of bytes 0 to 99");
	getk_buf_free(&b);

	/* Armor appends, like the rest of the codec. */
	getk_buf_init(&b, 0);
	getk_buf_adds(&b, "prefix\n");
	CHECK(getk_armor_pubkey(key, sizeof(key), &b) == GETK_OK &&
	    strncmp(b.data, "prefix\n-----BEGIN", 17) == 0,
	    "armor appends to the buffer");
	getk_buf_free(&b);

	getk_buf_init(&b, 40);
	CHECK_INT(getk_armor_pubkey(key, sizeof(key), &b), GETK_ERR_TOOBIG,
	    "armor over the buffer limit is TOOBIG");
	getk_buf_free(&b);
}

/* The armor reader's sink: the octets, and how many calls gave them. */
struct sink {
	struct getk_buf b;
	size_t calls;
	int fail_after;		/* refuse the call after this many; 0: never */
};

static enum getk_err
sink_fn(void *arg, const unsigned char *p, size_t len)
{
	struct sink *s = arg;

	if (s->fail_after && s->calls >= (size_t)s->fail_after)
		return GETK_ERR_TOOBIG;
	s->calls++;
	return getk_buf_add(&s->b, p, len);
}

/*
 * Feeds TEXT (lines separated by LF) to a reader of LABEL, line by line;
 * the first error, or GETK_ERR_SYNTAX when the END line never came.  *R_AT
 * is the number of the line that failed (1-based), or 0.
 */
static enum getk_err
read_lines(const char *label, const char *text, struct sink *s, int *r_at)
{
	struct getk_armor_reader *r = NULL;
	const char *p = text, *nl;
	enum getk_err err;
	int at = 0;

	*r_at = 0;
	if (getk_armor_reader_new(label, sink_fn, s, &r))
		BAIL_OUT("out of memory");
	err = GETK_OK;
	while (!err && *p) {
		nl = strchr(p, '\n');
		at++;
		err = getk_armor_reader_line(r, p, nl ? (size_t)(nl - p) :
		    strlen(p));
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (err)
		*r_at = at;
	else if (!getk_armor_reader_done(r))
		err = GETK_ERR_SYNTAX;
	/* A spent or finished reader takes no more lines. */
	if (getk_armor_reader_line(r, "", 0) != GETK_ERR_SYNTAX)
		err = GETK_ERR_INTERNAL;
	getk_armor_reader_free(r);
	return err;
}

/* A PGP MESSAGE block of "foobar" (base64 Zm9vYmFy), CRC-24 from Python. */
#define MSG_HEAD "-----BEGIN PGP MESSAGE-----\n"
#define MSG_TAIL "-----END PGP MESSAGE-----\n"

static void
reader_is(const char *what, const char *text, enum getk_err want,
    int want_at, const char *want_data)
{
	struct sink s;
	enum getk_err err;
	int at;

	memset(&s, 0, sizeof(s));
	getk_buf_init(&s.b, 0);
	err = read_lines("PGP MESSAGE", text, &s, &at);
	CHECK_INT(err, want, "armor reader: %s", what);
	if (want != GETK_OK)
		CHECK_INT(at, want_at, "armor reader: %s: refused at line %d",
		    what, want_at);
	else
		CHECK_STR(s.b.data ? s.b.data : "", want_data,
		    "armor reader: %s: the data", what);
	getk_buf_free(&s.b);
}

static void
test_reader(void)
{
	static const char spaced[] = " \r\n\t" MSG_HEAD "\nZm9vYmFy\n" MSG_TAIL
	    "anything";
	struct getk_armor_reader *r = NULL;
	struct sink s;
	struct getk_buf text, b;
	unsigned char big[3000];
	size_t i;
	int at;
	char crc[8];
	unsigned long c;

	reader_is("one data line", MSG_HEAD "\nZm9vYmFy\n" MSG_TAIL, GETK_OK,
	    0, "foobar");
	c = getk_crc24((const unsigned char *)"foobar", 6);
	CHECK_INT(c, 0x7334de, "CRC-24 of foobar");
	reader_is("with its checksum", MSG_HEAD "\nZm9vYmFy\n=czTe\n" MSG_TAIL,
	    GETK_OK, 0, "foobar");
	reader_is("a wrong checksum", MSG_HEAD "\nZm9vYmFy\n=czTf\n" MSG_TAIL,
	    GETK_ERR_SYNTAX, 5, NULL);
	reader_is("groups split over lines", MSG_HEAD "Version: x\n\nZm\n9vY\n"
	    "mFy\n" MSG_TAIL, GETK_OK, 0, "foobar");
	reader_is("padding at the end", MSG_HEAD "\nZm9v\nYg==\n" MSG_TAIL,
	    GETK_OK, 0, "foob");
	reader_is("padding split over lines", MSG_HEAD "\nZm9vYg\n==\n" MSG_TAIL,
	    GETK_ERR_SYNTAX, 4, NULL);
	reader_is("data after padding", MSG_HEAD "\nZg==\nZg==\n" MSG_TAIL,
	    GETK_ERR_SYNTAX, 4, NULL);
	reader_is("data after padding on one line", MSG_HEAD "\nZg==Zg==\n"
	    MSG_TAIL, GETK_ERR_SYNTAX, 3, NULL);
	reader_is("a group left open", MSG_HEAD "\nZm9vYmF\n" MSG_TAIL,
	    GETK_ERR_SYNTAX, 4, NULL);
	reader_is("CRLF and trailing blanks", "-----BEGIN PGP MESSAGE----- \r\n"
	    "\t\r\nZm9vYmFy \r\n=czTe\r\n-----END PGP MESSAGE-----\r\n",
	    GETK_OK, 0, "foobar");
	reader_is("another label", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
	    "Zm9vYmFy\n-----END PGP PUBLIC KEY BLOCK-----\n", GETK_ERR_SYNTAX,
	    1, NULL);
	reader_is("END of another label", MSG_HEAD "\nZm9vYmFy\n"
	    "-----END PGP SIGNATURE-----\n", GETK_ERR_SYNTAX, 4, NULL);
	reader_is("a signed message", "-----BEGIN PGP SIGNED MESSAGE-----\n",
	    GETK_ERR_SYNTAX, 1, NULL);
	reader_is("leading space before BEGIN", " " MSG_HEAD "\nZm9vYmFy\n"
	    MSG_TAIL, GETK_ERR_SYNTAX, 1, NULL);
	reader_is("no blank line after the headers", MSG_HEAD "Zm9vYmFy\n"
	    MSG_TAIL, GETK_ERR_SYNTAX, 2, NULL);
	reader_is("a bad header", MSG_HEAD "Comment:x\n\nZm9vYmFy\n" MSG_TAIL,
	    GETK_ERR_SYNTAX, 2, NULL);
	reader_is("a blank line in the data", MSG_HEAD "\nZm9v\n\nYmFy\n"
	    MSG_TAIL, GETK_ERR_SYNTAX, 4, NULL);
	reader_is("clear text in the data", MSG_HEAD "\nZm9v\nHello, Bob.\n"
	    MSG_TAIL, GETK_ERR_SYNTAX, 4, NULL);
	reader_is("an empty block", MSG_HEAD "\n" MSG_TAIL, GETK_ERR_SYNTAX, 3,
	    NULL);
	reader_is("a checksum line of 4", MSG_HEAD "\nZm9vYmFy\n=czT\n"
	    MSG_TAIL, GETK_ERR_SYNTAX, 4, NULL);
	reader_is("text after the checksum", MSG_HEAD "\nZm9vYmFy\n=czTe\n"
	    "Zm9v\n" MSG_TAIL, GETK_ERR_SYNTAX, 5, NULL);
	reader_is("no END line", MSG_HEAD "\nZm9vYmFy\n", GETK_ERR_SYNTAX, 0,
	    NULL);

	/* A long block goes out in pieces, with its checksum checked. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(i * 7);
	getk_buf_init(&text, 0);
	getk_buf_init(&b, 0);
	getk_buf_adds(&text, MSG_HEAD "\n");
	getk_base64_encode(big, sizeof(big), 64, &text);
	c = getk_crc24(big, sizeof(big));
	crc[0] = (char)(c >> 16);
	crc[1] = (char)(c >> 8);
	crc[2] = (char)c;
	getk_buf_adds(&text, "=");
	getk_base64_encode((const unsigned char *)crc, 3, 0, &text);
	getk_buf_adds(&text, "\n" MSG_TAIL);
	memset(&s, 0, sizeof(s));
	getk_buf_init(&s.b, 0);
	CHECK_INT(read_lines("PGP MESSAGE", text.data, &s, &at), GETK_OK,
	    "armor reader: 3000 octets");
	CHECK(s.b.len == sizeof(big) && memcmp(s.b.data, big, sizeof(big)) == 0,
	    "armor reader: 3000 octets arrive intact");
	CHECK(s.calls > 1, "armor reader: ... in more than one piece");
	getk_buf_free(&s.b);
	CHECK_INT(getk_armor_decode("PGP MESSAGE", text.data, text.len, &b),
	    GETK_OK, "armor decode of the same block");
	CHECK(b.len == sizeof(big) && memcmp(b.data, big, sizeof(big)) == 0,
	    "armor decode: 3000 octets intact");
	getk_buf_free(&b);

	/* The sink's error stops the reader. */
	memset(&s, 0, sizeof(s));
	getk_buf_init(&s.b, 0);
	s.fail_after = 2;
	CHECK_INT(read_lines("PGP MESSAGE", text.data, &s, &at),
	    GETK_ERR_TOOBIG, "armor reader: the sink's error comes back");
	CHECK_INT(at, 5, "armor reader: ... at the line it came on");
	getk_buf_free(&s.b);

	/* getk_armor_decode: white space first, text after END not read,
	 * OUT's limit, OUT unchanged on error. */
	getk_buf_init(&b, 0);
	CHECK_INT(getk_armor_decode("PGP MESSAGE", spaced, sizeof(spaced) - 1,
	    &b), GETK_OK, "armor decode: white space before, text after");
	CHECK_STR(b.data, "foobar", "armor decode: the data");
	getk_buf_free(&b);
	getk_buf_init(&b, 5);
	getk_buf_adds(&b, "ab");
	CHECK_INT(getk_armor_decode("PGP MESSAGE", MSG_HEAD "\nZm9vYmFy\n"
	    MSG_TAIL, strlen(MSG_HEAD "\nZm9vYmFy\n" MSG_TAIL), &b),
	    GETK_ERR_TOOBIG, "armor decode: over OUT's limit");
	CHECK_STR(b.data, "ab", "armor decode: OUT as it was");
	getk_buf_free(&b);
	getk_buf_free(&text);
	CHECK_INT(getk_armor_reader_new("a label far too long to fit in the "
	    "reader's own BEGIN line at all", sink_fn, &s, &r), GETK_ERR_INVAL,
	    "armor reader: an over-long label");
}

int
main(void)
{
	test_decode();
	test_encode();
	test_crc24();
	test_armor();
	test_reader();
	return done_testing();
}
