/*
 * test-dns.c: unit tests of the pure part of src/dns.c: decoding wire
 * format names and MX rdata (RFC 1035 3.1 and 3.3.9, RFC 7505 null MX).
 * Nothing here touches the network.
 */
#include <config.h>

#include <string.h>

#include "dns.h"
#include "unit.h"

/* Decodes a name from the LEN bytes at P and checks the result. */
static void
name_ok(const char *p, size_t len, const char *want, size_t want_used,
    const char *desc)
{
	char name[GETK_DNS_NAME_MAX];
	size_t used = 12345;
	enum getk_err err;

	err = getk_dns_decode_name((const unsigned char *)p, len, name, &used);
	CHECK(err == GETK_OK, "decode_name: %s", desc);
	CHECK_STR(err == GETK_OK ? name : NULL, want, "decode_name: %s: name",
	    desc);
	CHECK_INT(used, want_used, "decode_name: %s: bytes used", desc);
}

static void
name_bad(const char *p, size_t len, const char *desc)
{
	char name[GETK_DNS_NAME_MAX];
	size_t used = 12345;

	CHECK_INT(getk_dns_decode_name((const unsigned char *)p, len, name,
	    &used), GETK_ERR_SYNTAX, "decode_name refuses %s", desc);
	CHECK_INT(used, 0, "decode_name: %s: *r_used cleared", desc);
}

#define NAME_OK(lit, want, used, desc) \
	name_ok((lit), sizeof(lit) - 1, (want), (used), (desc))
#define NAME_BAD(lit, desc) name_bad((lit), sizeof(lit) - 1, (desc))

static void
mx_ok(const char *p, size_t len, unsigned want_pref, const char *want,
    const char *desc)
{
	char name[GETK_DNS_NAME_MAX];
	unsigned pref = 12345;
	enum getk_err err;

	err = getk_dns_decode_mx((const unsigned char *)p, len, &pref, name);
	CHECK(err == GETK_OK, "decode_mx: %s", desc);
	CHECK_INT(pref, want_pref, "decode_mx: %s: preference", desc);
	CHECK_STR(err == GETK_OK ? name : NULL, want, "decode_mx: %s: name",
	    desc);
}

static void
mx_bad(const char *p, size_t len, const char *desc)
{
	char name[GETK_DNS_NAME_MAX];
	unsigned pref = 12345;

	CHECK_INT(getk_dns_decode_mx((const unsigned char *)p, len, &pref,
	    name), GETK_ERR_SYNTAX, "decode_mx refuses %s", desc);
	CHECK_INT(pref, 0, "decode_mx: %s: preference cleared", desc);
}

#define MX_OK(lit, pref, want, desc) \
	mx_ok((lit), sizeof(lit) - 1, (pref), (want), (desc))
#define MX_BAD(lit, desc) mx_bad((lit), sizeof(lit) - 1, (desc))

/*
 * Writes into WIRE a name of NLABELS labels of the lengths in LENS, each
 * of repeated 'a'..., and the root label; returns the wire length.
 */
static size_t
build_name(unsigned char *wire, const size_t *lens, size_t nlabels)
{
	size_t i, pos = 0;

	for (i = 0; i < nlabels; i++) {
		wire[pos++] = (unsigned char)lens[i];
		memset(wire + pos, 'a' + (int)(i % 26), lens[i]);
		pos += lens[i];
	}
	wire[pos++] = 0;
	return pos;
}

static void
test_name(void)
{
	unsigned char wire[600];
	char name[GETK_DNS_NAME_MAX];
	size_t used, len;
	static const size_t max_name[] = { 63, 63, 63, 61 };
	static const size_t long_name[] = { 63, 63, 63, 62 };
	static const size_t very_long[] = { 63, 63, 63, 63, 63 };
	static const size_t label63[] = { 63, 3 };
	static const size_t label64[] = { 64, 3 };

	NAME_OK("\0", ".", 1, "the root");
	NAME_OK("\3org\0", "org", 5, "one label");
	NAME_OK("\2mx\7example\3org\0", "mx.example.org", 16, "three labels");
	NAME_OK("\2MX\7ExAmPlE\3ORG\0", "mx.example.org", 16,
	    "upper case is lowered");
	NAME_OK("\5mx-01\4_tcp\7example\3org\0", "mx-01._tcp.example.org", 24,
	    "digits, hyphen and underscore");
	NAME_OK("\1a\0trailing", "a", 3, "bytes after the name are not used");
	NAME_OK("\x01" "0\0", "0", 3, "an all-digit label");

	NAME_BAD("", "no bytes at all");
	NAME_BAD("\3org", "a name without the root label");
	NAME_BAD("\4org\0", "a label running past the end");
	NAME_BAD("\3o", "a truncated label");
	NAME_BAD("\xc0\x0c", "a compression pointer");
	NAME_BAD("\x40" "aaaa\0", "a label length of 64");
	NAME_BAD("\xff" "a\0", "a label length of 255");
	NAME_BAD("\3o.g\0", "a dot inside a label");
	NAME_BAD("\3o g\0", "a space inside a label");
	NAME_BAD("\3o\0g\0", "a NUL inside a label");
	NAME_BAD("\3o/g\0", "a slash inside a label");
	NAME_BAD("\3\xc3\xa9g\0", "non-ASCII bytes");
	NAME_BAD("\3or\ng\0", "a newline inside a label");

	/* LEN is honoured even when the buffer goes on. */
	CHECK_INT(getk_dns_decode_name((const unsigned char *)"\3org\0", 4,
	    name, &used), GETK_ERR_SYNTAX,
	    "decode_name does not read past LEN");

	/* Labels of 63 octets pass, 64 do not. */
	len = build_name(wire, label63, 2);
	CHECK(getk_dns_decode_name(wire, len, name, &used) == GETK_OK &&
	    strlen(name) == 67 && used == len,
	    "a 63-octet label is accepted");
	len = build_name(wire, label64, 2);
	CHECK_INT(getk_dns_decode_name(wire, len, name, &used),
	    GETK_ERR_SYNTAX, "a 64-octet label is refused");

	/* Names: 255 octets of wire format (253 characters) pass. */
	len = build_name(wire, max_name, 4);
	CHECK_INT(len, 255, "a 255-octet wire name is built");
	CHECK(getk_dns_decode_name(wire, len, name, &used) == GETK_OK,
	    "a 255-octet wire name is accepted");
	CHECK_INT(strlen(name), 253, "it has 253 characters");
	CHECK_INT(used, 255, "all 255 octets are used");
	len = build_name(wire, long_name, 4);
	CHECK_INT(getk_dns_decode_name(wire, len, name, &used),
	    GETK_ERR_SYNTAX, "a 256-octet wire name is refused");
	len = build_name(wire, very_long, 5);
	CHECK_INT(getk_dns_decode_name(wire, len, name, &used),
	    GETK_ERR_SYNTAX, "a 321-octet wire name is refused");

	/* Many one-octet labels: 127 of them make 255 octets. */
	for (len = 0; len < 254; len += 2) {
		wire[len] = 1;
		wire[len + 1] = 'x';
	}
	wire[len++] = 0;
	CHECK(getk_dns_decode_name(wire, len, name, &used) == GETK_OK &&
	    strlen(name) == 253, "127 one-octet labels are accepted");
	wire[len - 1] = 1;
	wire[len++] = 'x';
	wire[len++] = 0;
	CHECK_INT(getk_dns_decode_name(wire, len, name, &used),
	    GETK_ERR_SYNTAX, "128 one-octet labels are refused");
}

static void
test_mx(void)
{
	unsigned char wire[600];
	char name[GETK_DNS_NAME_MAX];
	unsigned pref;
	static const size_t max_name[] = { 63, 63, 63, 61 };
	size_t len;

	MX_OK("\0\12\2mx\7example\3org\0", 10, "mx.example.org", "pref 10");
	MX_OK("\0\0\0", 0, ".", "a null MX (RFC 7505)");
	MX_OK("\xff\xff\4MAIL\7Example\3NET\0", 65535, "mail.example.net",
	    "pref 65535, upper case");
	MX_OK("\1\0\1a\0", 256, "a", "pref 256 is big-endian");

	MX_BAD("", "empty rdata");
	MX_BAD("\0", "one byte");
	MX_BAD("\0\12", "no exchange");
	MX_BAD("\0\12\2mx\7example\3org", "no root label");
	MX_BAD("\0\12\2mx\7example\3org\0\0", "a trailing byte");
	MX_BAD("\0\0\0x", "a null MX with a trailing byte");
	MX_BAD("\0\12\2mx\7example\3or", "a truncated label");
	MX_BAD("\0\12\2mx\xc0\x0c", "a compression pointer");
	MX_BAD("\0\12\2m!\7example\3org\0", "a bad character");
	MX_BAD("\0\12\x40" "a\0", "a label length of 64");

	wire[0] = 0;
	wire[1] = 5;
	len = 2 + build_name(wire + 2, max_name, 4);
	CHECK(getk_dns_decode_mx(wire, len, &pref, name) == GETK_OK &&
	    strlen(name) == 253 && pref == 5,
	    "an MX whose exchange has 253 characters");
}

int
main(void)
{
	test_name();
	test_mx();
	return done_testing();
}
