/*
 * test-wkd.c: unit tests of src/wkd.c, the pure parts of the OpenPGP Web
 * Key Directory: hashed local parts, lookup URLs, the redirect rule and
 * the decoding of ASCII-armored keys.  The hashes were cross-checked with
 * Python (hashlib.sha1 and a z-base-32 encoder of its own); the key was
 * made with "gpg --quick-gen-key 'T <t@example.org>' ed25519 sign never"
 * and exported both armored and binary.
 */
#include <config.h>

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "codec.h"
#include "unit.h"
#include "wkd.h"

/* The key for T <t@example.org>, as "gpg --export --armor" wrote it. */
static const char key_armored[] =
    "-----BEGIN PGP PUBLIC KEY BLOCK-----\n"
    "\n"
    "mDMEawty4BYJKwYBBAHaRw8BAQdA5gwiBSBc3jmqvhfH1k8BE06bKmy+H4mxZ+CC\n"
    "OW6sUqG0EVQgPHRAZXhhbXBsZS5vcmc+iJAEExYIADgWIQTq2IeSMx8X9z/QqK4a\n"
    "rKisYgmwdgUCawty4AIbAwULCQgHAgYVCgkICwIEFgIDAQIeAQIXgAAKCRAarKis\n"
    "YgmwdjPEAP9V8gDQ73BC1jqMuLsf98VcqVrAN7c3DmH4KqYg5qLkdgEAqQq/stB+\n"
    "s7d1utp+UyrPkLOyN25w6OJzVp0TNgY13AQ=\n"
    "=nAs9\n"
    "-----END PGP PUBLIC KEY BLOCK-----\n";

/* The same key, as "gpg --export" wrote it. */
static const unsigned char key_binary[] = {
	0x98, 0x33, 0x04, 0x6b, 0x0b, 0x72, 0xe0, 0x16, 0x09, 0x2b, 0x06, 0x01,
	0x04, 0x01, 0xda, 0x47, 0x0f, 0x01, 0x01, 0x07, 0x40, 0xe6, 0x0c, 0x22,
	0x05, 0x20, 0x5c, 0xde, 0x39, 0xaa, 0xbe, 0x17, 0xc7, 0xd6, 0x4f, 0x01,
	0x13, 0x4e, 0x9b, 0x2a, 0x6c, 0xbe, 0x1f, 0x89, 0xb1, 0x67, 0xe0, 0x82,
	0x39, 0x6e, 0xac, 0x52, 0xa1, 0xb4, 0x11, 0x54, 0x20, 0x3c, 0x74, 0x40,
	0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x6f, 0x72, 0x67, 0x3e,
	0x88, 0x90, 0x04, 0x13, 0x16, 0x08, 0x00, 0x38, 0x16, 0x21, 0x04, 0xea,
	0xd8, 0x87, 0x92, 0x33, 0x1f, 0x17, 0xf7, 0x3f, 0xd0, 0xa8, 0xae, 0x1a,
	0xac, 0xa8, 0xac, 0x62, 0x09, 0xb0, 0x76, 0x05, 0x02, 0x6b, 0x0b, 0x72,
	0xe0, 0x02, 0x1b, 0x03, 0x05, 0x0b, 0x09, 0x08, 0x07, 0x02, 0x06, 0x15,
	0x0a, 0x09, 0x08, 0x0b, 0x02, 0x04, 0x16, 0x02, 0x03, 0x01, 0x02, 0x1e,
	0x01, 0x02, 0x17, 0x80, 0x00, 0x0a, 0x09, 0x10, 0x1a, 0xac, 0xa8, 0xac,
	0x62, 0x09, 0xb0, 0x76, 0x33, 0xc4, 0x00, 0xff, 0x55, 0xf2, 0x00, 0xd0,
	0xef, 0x70, 0x42, 0xd6, 0x3a, 0x8c, 0xb8, 0xbb, 0x1f, 0xf7, 0xc5, 0x5c,
	0xa9, 0x5a, 0xc0, 0x37, 0xb7, 0x37, 0x0e, 0x61, 0xf8, 0x2a, 0xa6, 0x20,
	0xe6, 0xa2, 0xe4, 0x76, 0x01, 0x00, 0xa9, 0x0a, 0xbf, 0xb2, 0xd0, 0x7e,
	0xb3, 0xb7, 0x75, 0xba, 0xda, 0x7e, 0x53, 0x2a, 0xcf, 0x90, 0xb3, 0xb2,
	0x37, 0x6e, 0x70, 0xe8, 0xe2, 0x73, 0x56, 0x9d, 0x13, 0x36, 0x06, 0x35,
	0xdc, 0x04
};

/*
 * A new copy of S with the first FROM replaced by TO; the test gives up
 * when FROM is not there, as that is a mistake in the test.
 */
static char *
edit(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	size_t head, flen = strlen(from), tlen = strlen(to);
	char *r;

	if (!at)
		BAIL_OUT("edit: \"%s\" not found", from);
	head = (size_t)(at - s);
	r = malloc(strlen(s) - flen + tlen + 1);
	if (!r)
		BAIL_OUT("out of memory");
	memcpy(r, s, head);
	memcpy(r + head, to, tlen);
	memcpy(r + head + tlen, at + flen, strlen(at + flen) + 1);
	return r;
}

/* A new copy of S with every LF made CRLF. */
static char *
to_crlf(const char *s)
{
	size_t i, n = 0;
	char *r, *p;

	for (i = 0; s[i]; i++)
		n += s[i] == '\n';
	r = malloc(strlen(s) + n + 1);
	if (!r)
		BAIL_OUT("out of memory");
	for (p = r, i = 0; s[i]; i++) {
		if (s[i] == '\n')
			*p++ = '\r';
		*p++ = s[i];
	}
	*p = '\0';
	return r;
}

static void
hash_is(const char *local, size_t len, const char *want, const char *what)
{
	char hash[GETK_WKD_HASH_LEN + 1];

	memset(hash, 'Z', sizeof(hash));
	getk_wkd_hash(local, len, hash);
	CHECK_STR(hash, want, "hash of %s", what);
}

static void
test_hash(void)
{
	char big[300];

	/* The example of draft-koch-openpgp-webkey-service section 3.1. */
	hash_is("Joe.Doe", 7, "iy9q119eutrkn8s1mk4r39qejnbu3n5q", "Joe.Doe");
	hash_is("joe.doe", 7, "iy9q119eutrkn8s1mk4r39qejnbu3n5q",
	    "joe.doe (the same)");
	/* The rest from Python. */
	hash_is("alice", 5, "kei1q4tipxxu1yj79k9kfukdhfy631xe", "alice");
	hash_is("ALICE", 5, "kei1q4tipxxu1yj79k9kfukdhfy631xe", "ALICE");
	hash_is("a", 1, "o556ep94wsu93ak7dzqmu4zk7e5zc37a", "a");
	hash_is("", 0, "5eh48516ppfo4c1iz9z3kaya1nz7obaj", "the empty string");
	hash_is("Heinrich.Heine-\xc3\x84", 17,
	    "8kimhr7q1i68mx3agehxx9ks178cgidk",
	    "UTF-8 (non-ASCII bytes are not lower-cased)");
	hash_is("joe+tagXYZ", 7, "dk6eyoqa3a4a6a5h5yku4t3obdsxegor",
	    "only LEN bytes (joe+tag)");

	/* Longer than the stack buffer: hashed piece by piece. */
	memset(big, 'x', sizeof(big));
	hash_is(big, 64, "zcz485u49qxijts9szendhkmd99rbomd", "64 x");
	hash_is(big, 300, "ym6sojjoq8hjkhcctiy9x95gmk9bwawo", "300 x");
	memset(big, 'A', 299);
	big[299] = 'Z';
	hash_is(big, 300, "nemygmj75136m958hir3n4fxo1q9cxf4", "299 A and a Z");
}

static void
url_is(const char *mailbox, int advanced, const char *want,
    const char *want_host)
{
	char host[256], *url = NULL;
	enum getk_err err;

	memset(host, 'Z', sizeof(host));
	err = getk_wkd_url(mailbox, advanced, &url, host);
	CHECK_INT(err, GETK_OK, "%s URL for %s", advanced ? "advanced" :
	    "direct", mailbox);
	CHECK_STR(url, want, "%s URL for %s is right",
	    advanced ? "advanced" : "direct", mailbox);
	CHECK_STR(err ? NULL : host, want_host, "and its host");
	free(url);
}

static void
url_bad(const char *mailbox, int advanced, enum getk_err want,
    const char *why)
{
	char host[256], *url = (char *)"junk";
	enum getk_err err;

	memset(host, 'Z', sizeof(host));
	err = getk_wkd_url(mailbox, advanced, &url, host);
	CHECK_INT(err, want, "%s URL refused: %s", advanced ? "advanced" :
	    "direct", why);
	CHECK(url == NULL && host[0] == '\0', "no URL, no host after that");
	if (err == GETK_OK)
		free(url);
}

static void
test_url(void)
{
	char mailbox[300], *url = NULL;

	url_is("Joe.Doe@example.org", 1,
	    "https://openpgpkey.example.org/.well-known/openpgpkey/"
	    "example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
	    "openpgpkey.example.org");
	url_is("Joe.Doe@example.org", 0,
	    "https://example.org/.well-known/openpgpkey/"
	    "hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
	    "example.org");

	/* The domain is lower-cased, the local part kept in l=. */
	url_is("Joe.Doe@Example.ORG", 1,
	    "https://openpgpkey.example.org/.well-known/openpgpkey/"
	    "example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
	    "openpgpkey.example.org");
	url_is("Joe.Doe@MAIL.Example.Org", 0,
	    "https://mail.example.org/.well-known/openpgpkey/"
	    "hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q?l=Joe.Doe",
	    "mail.example.org");

	/* Percent-encoding: only A-Za-z0-9-._~ stay as they are. */
	url_is("joe+tag@example.org", 0,
	    "https://example.org/.well-known/openpgpkey/"
	    "hu/dk6eyoqa3a4a6a5h5yku4t3obdsxegor?l=joe%2Btag",
	    "example.org");
	url_is("\"j d\"@example.org", 0,
	    "https://example.org/.well-known/openpgpkey/"
	    "hu/qiy7jxn4rmpch6xefhpqrcq5c7nffzb9?l=%22j%20d%22",
	    "example.org");
	url_is("Heinrich.Heine-\xc3\x84@example.org", 1,
	    "https://openpgpkey.example.org/.well-known/openpgpkey/"
	    "example.org/hu/8kimhr7q1i68mx3agehxx9ks178cgidk"
	    "?l=Heinrich.Heine-%C3%84",
	    "openpgpkey.example.org");
	/* The domain starts after the last '@'. */
	url_is("\"a@b\"@example.org", 0,
	    "https://example.org/.well-known/openpgpkey/"
	    "hu/bfbf6rwo7enfs313ijkf1h99ku1ahws3?l=%22a%40b%22",
	    "example.org");

	/* Unreserved characters stay; R_HOST may be NULL. */
	CHECK_INT(getk_wkd_url("a-._~Z09@example.org", 0, &url, NULL),
	    GETK_OK, "URL without a host buffer");
	CHECK(url && strlen(url) > 11 &&
	    strcmp(url + strlen(url) - 11, "?l=a-._~Z09") == 0,
	    "unreserved characters are not encoded");
	free(url);

	url_bad("joe.example.org", 1, GETK_ERR_SYNTAX, "no '@'");
	url_bad("joe.example.org", 0, GETK_ERR_SYNTAX, "no '@'");
	url_bad("", 0, GETK_ERR_SYNTAX, "empty");
	url_bad("@example.org", 0, GETK_ERR_SYNTAX, "empty local part");
	url_bad("joe@", 0, GETK_ERR_SYNTAX, "empty domain");
	url_bad("joe@example.org.", 0, GETK_ERR_SYNTAX, "trailing dot");
	url_bad("joe@exa_mple.org", 0, GETK_ERR_SYNTAX, "underscore");
	url_bad("joe@example..org", 0, GETK_ERR_SYNTAX, "empty label");
	url_bad("joe@-example.org", 0, GETK_ERR_SYNTAX, "leading hyphen");
	url_bad("joe@[192.0.2.1]", 0, GETK_ERR_SYNTAX, "address literal");
	url_bad("joe@192.0.2.1", 0, GETK_ERR_SYNTAX, "IPv4 address");
	url_bad("joe@example.org/x", 0, GETK_ERR_SYNTAX, "slash in domain");
	url_bad("joe@ex%61mple.org", 0, GETK_ERR_SYNTAX, "percent in domain");

	/* RFC 5321 limits: a local part of 64 octets, not 65. */
	memset(mailbox, 'x', 65);
	memcpy(mailbox + 65, "@example.org", sizeof("@example.org"));
	url_bad(mailbox, 0, GETK_ERR_SYNTAX, "65-octet local part");
	url_is(mailbox + 1, 0,
	    "https://example.org/.well-known/openpgpkey/hu/"
	    "zcz485u49qxijts9szendhkmd99rbomd?l="
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    "example.org");

	/*
	 * A domain of 243 octets is a host name, but openpgpkey. before it
	 * is not: the advanced method is TOOBIG, the direct one works.
	 */
	memcpy(mailbox, "a@", 2);
	memset(mailbox + 2, 'd', 243);
	mailbox[2 + 243] = '\0';
	mailbox[2 + 63] = mailbox[2 + 127] = mailbox[2 + 191] = '.';
	url_bad(mailbox, 1, GETK_ERR_TOOBIG, "advanced host over 253 octets");
	CHECK_INT(getk_wkd_url(mailbox, 0, &url, NULL), GETK_OK,
	    "the direct URL for that domain");
	free(url);
	mailbox[2 + 242] = '\0';
	CHECK_INT(getk_wkd_url(mailbox, 1, &url, NULL), GETK_OK,
	    "the advanced URL for a 242-octet domain");
	free(url);
}

static void
redirect_is(const char *url, const char *domain, int want)
{
	int got = getk_wkd_redirect_ok(url, domain);

	CHECK(!got == !want, "redirect to %s for %s %s", url, domain,
	    want ? "allowed" : "refused");
}

static void
test_redirect(void)
{
	const char *d = "example.org";

	redirect_is("https://example.org/.well-known/openpgpkey/hu/x", d, 1);
	redirect_is("https://example.org", d, 1);
	redirect_is("https://example.org/", d, 1);
	redirect_is("https://example.org?l=x", d, 1);
	redirect_is("https://keys.example.org/hu/x?l=joe", d, 1);
	redirect_is("https://a.b.example.org/x", d, 1);
	redirect_is("https://openpgpkey.example.org/x", d, 1);
	redirect_is("https://EXAMPLE.Org/x", d, 1);
	redirect_is("https://example.org/x", "Example.ORG", 1);
	redirect_is("https://example.org./x", d, 1);
	redirect_is("https://example.org/x", "example.org.", 1);
	redirect_is("https://example.org:443/x", d, 1);
	redirect_is("https://keys.example.org:443", d, 1);
	redirect_is("https://example.org/a@b", d, 1);

	/* Other hosts. */
	redirect_is("https://example.com/x", d, 0);
	redirect_is("https://example.org.evil.com/x", d, 0);
	redirect_is("https://evilexample.org/x", d, 0);
	redirect_is("https://org/x", d, 0);
	redirect_is("https://xample.org/x", d, 0);
	redirect_is("https://example.org/x", "org", 1);
	redirect_is("https://sub.example.org/x", "other.example.org", 0);

	/* Other schemes, and not quite https://. */
	redirect_is("http://example.org/x", d, 0);
	redirect_is("ftp://example.org/x", d, 0);
	redirect_is("HTTPS://example.org/x", d, 0);
	redirect_is("https:/example.org/x", d, 0);
	redirect_is("https:example.org/x", d, 0);
	redirect_is("//example.org/x", d, 0);
	redirect_is("/x", d, 0);
	redirect_is("", d, 0);
	redirect_is("https:///x", d, 0);
	redirect_is("https://", d, 0);

	/* Userinfo, in every disguise. */
	redirect_is("https://user@example.org/x", d, 0);
	redirect_is("https://user:pw@example.org/x", d, 0);
	redirect_is("https://example.org@evil.com/x", d, 0);
	redirect_is("https://evil.com@example.org/x", d, 0);
	redirect_is("https://@example.org/x", d, 0);
	redirect_is("https://example.org%40evil.com/x", d, 0);

	/* Ports. */
	redirect_is("https://example.org:8443/x", d, 0);
	redirect_is("https://example.org:80/x", d, 0);
	redirect_is("https://example.org:/x", d, 0);
	redirect_is("https://example.org:0443/x", d, 0);
	redirect_is("https://example.org:443:443/x", d, 0);
	redirect_is("https://example.org:4430/x", d, 0);
	redirect_is("https://example.org:44/x", d, 0);

	/* Odd bytes anywhere, and odd hosts. */
	redirect_is("https://example.org\\@evil.com/x", d, 0);
	redirect_is("https://evil.com\\.example.org/x", d, 0);
	redirect_is("https://example.org/a\\b", d, 0);
	redirect_is("https://example.org /x", d, 0);
	redirect_is("https://example.org/a b", d, 0);
	redirect_is("https://example.org/x\r\nHost: evil", d, 0);
	redirect_is("https://example.org\t/x", d, 0);
	redirect_is("https://ex%61mple.org/x", d, 0);
	redirect_is("https://sub%2eexample.org/x", d, 0);
	redirect_is("https://ex\xc3\xa4mple.example.org/x", d, 0);
	redirect_is("https://example.org/\x7f", d, 0);
	redirect_is("https://[::1]/x", d, 0);
	redirect_is("https://[::1]:443/x", d, 0);
	redirect_is("https://192.0.2.1/x", d, 0);
	redirect_is("https://192.0.2.1/x", "192.0.2.1", 0);
	redirect_is("https://0x7f.1/x", "0x7f.1", 0);
	redirect_is("https://a..example.org/x", d, 0);
	redirect_is("https://.example.org/x", d, 0);
	redirect_is("https://example.org../x", d, 0);
	redirect_is("https://-a.example.org/x", d, 0);
	redirect_is("https://a-.example.org/x", d, 0);
	redirect_is("https://a_b.example.org/x", d, 0);
	redirect_is("https://*.example.org/x", d, 0);
	redirect_is("https://example.org/x", "", 0);
	redirect_is("https://example.org/x", ".", 0);
	redirect_is("https://example.org/x", "example.org/", 0);
	CHECK(!getk_wkd_redirect_ok(NULL, d), "redirect to NULL refused");
	CHECK(!getk_wkd_redirect_ok("https://example.org/", NULL),
	    "redirect for a NULL domain refused");
}

/* Decodes IN (LEN bytes) and checks that it gives the test key. */
static void
dearmor_ok(const char *in, size_t len, const char *what)
{
	struct getk_buf b;
	enum getk_err err;

	getk_buf_init(&b, 65536);
	err = getk_wkd_dearmor(in, len, &b);
	CHECK_INT(err, GETK_OK, "dearmor %s", what);
	CHECK(b.len == sizeof(key_binary) &&
	    memcmp(b.data, key_binary, sizeof(key_binary)) == 0,
	    "dearmor %s gives the binary key", what);
	getk_buf_free(&b);
}

/*
 * Decodes the string IN into a buffer that holds "xy" and checks that
 * WANT comes back and that the buffer still holds just "xy".
 */
static void
dearmor_bad(const char *in, enum getk_err want, const char *what)
{
	struct getk_buf b;
	enum getk_err err;

	getk_buf_init(&b, 65536);
	getk_buf_adds(&b, "xy");
	err = getk_wkd_dearmor(in, strlen(in), &b);
	CHECK_INT(err, want, "dearmor refuses %s", what);
	CHECK(b.len == 2 && strcmp(b.data, "xy") == 0,
	    "and leaves the buffer as it was");
	getk_buf_free(&b);
}

/* Checks dearmor of a copy of the test key with FROM replaced by TO. */
static void
dearmor_edit(const char *from, const char *to, enum getk_err want,
    const char *what)
{
	char *s = edit(key_armored, from, to);

	if (want == GETK_OK)
		dearmor_ok(s, strlen(s), what);
	else
		dearmor_bad(s, want, what);
	free(s);
}

static void
test_dearmor(void)
{
	struct getk_buf b;
	char *s, *t;
	size_t i;

	dearmor_ok(key_armored, strlen(key_armored), "the gpg export");
	getk_buf_init(&b, 0);
	CHECK(getk_wkd_dearmor(key_armored, strlen(key_armored), &b) ==
	    GETK_OK && b.len == 218 && (unsigned char)b.data[0] == 0x98 &&
	    (unsigned char)b.data[1] == 0x33 && b.data[2] == 4,
	    "218 bytes, starting with an old-format public key packet v4");
	CHECK_INT(getk_crc24((unsigned char *)b.data, b.len), 0x9c0b3dL,
	    "whose CRC-24 is the armor's =nAs9");
	getk_buf_free(&b);

	/* Appends to what OUT holds. */
	getk_buf_init(&b, 0);
	getk_buf_adds(&b, "xy");
	CHECK(getk_wkd_dearmor(key_armored, strlen(key_armored), &b) ==
	    GETK_OK && b.len == 220 && memcmp(b.data, "xy", 2) == 0 &&
	    memcmp(b.data + 2, key_binary, sizeof(key_binary)) == 0,
	    "dearmor appends to the buffer");
	getk_buf_free(&b);

	/* What may vary. */
	s = to_crlf(key_armored);
	dearmor_ok(s, strlen(s), "with CRLF line ends");
	free(s);
	dearmor_edit("-----BEGIN", "\n\n  \t\r\n \t-----BEGIN", GETK_OK,
	    "after blank lines and white space");
	dearmor_edit("-----\n\n", "-----\nVersion: GnuPG v2\n"
	    "Comment: \xc3\xa9t\xc3\xa9 key: with colons\nComment:\n\n", GETK_OK,
	    "with armor headers");
	dearmor_edit("-----\n\n", "-----\n \t \r\n", GETK_OK,
	    "with a blank line of white space");
	dearmor_edit("-----\n\n", "----- \t\n\n", GETK_OK,
	    "with white space after BEGIN");
	dearmor_edit("+H4mxZ+CC\n", "+H4mxZ+CC \t\n", GETK_OK,
	    "with white space after a base64 line");
	dearmor_edit("=nAs9\n", "=nAs9  \n", GETK_OK,
	    "with white space after the checksum");
	dearmor_edit("=nAs9\n", "", GETK_OK, "without a checksum line");
	dearmor_edit("-----END PGP PUBLIC KEY BLOCK-----\n",
	    "-----END PGP PUBLIC KEY BLOCK-----", GETK_OK,
	    "without a newline at the end");
	dearmor_edit("-----END PGP PUBLIC KEY BLOCK-----\n",
	    "-----END PGP PUBLIC KEY BLOCK-----\r\n\0garbage", GETK_OK,
	    "with garbage after END");
	dearmor_edit("B+\ns7d1", "B+s7d1", GETK_OK,
	    "with lines of another length");

	/* Two blocks: only the first is read. */
	t = edit(key_armored, "=nAs9", "=nAs8");
	s = malloc(strlen(key_armored) + strlen(t) + 1);
	if (!s)
		BAIL_OUT("out of memory");
	memcpy(s, key_armored, strlen(key_armored));
	memcpy(s + strlen(key_armored), t, strlen(t) + 1);
	dearmor_ok(s, strlen(s), "the first of two blocks");
	free(s);
	free(t);

	/* Damaged keys. */
	dearmor_edit("=nAs9", "=nAs8", GETK_ERR_SYNTAX, "a wrong checksum");
	dearmor_edit("=nAs9", "=AAAA", GETK_ERR_SYNTAX, "a zero checksum");
	dearmor_edit("=nAs9", "=nAs", GETK_ERR_SYNTAX, "a short checksum");
	dearmor_edit("=nAs9", "=nAs9A", GETK_ERR_SYNTAX, "a long checksum");
	dearmor_edit("=nAs9", "=nA=9", GETK_ERR_SYNTAX, "'=' in the checksum");
	dearmor_edit("=nAs9", "=nAs9\n=nAs9", GETK_ERR_SYNTAX,
	    "two checksum lines");
	dearmor_edit("=nAs9\n", "=nAs9\nAAAA\n", GETK_ERR_SYNTAX,
	    "data after the checksum");
	dearmor_edit("-----END PGP PUBLIC KEY BLOCK-----\n", "",
	    GETK_ERR_SYNTAX, "a missing END line");
	dearmor_edit("-----END PGP PUBLIC KEY BLOCK-----\n",
	    "-----END PGP PUBLIC KEY BLOCK----\n", GETK_ERR_SYNTAX,
	    "a short END line");
	dearmor_edit("-----END PGP PUBLIC KEY", "-----END PGP PRIVATE KEY",
	    GETK_ERR_SYNTAX, "an END of another kind");
	dearmor_edit("-----BEGIN PGP PUBLIC KEY", "-----BEGIN PGP PRIVATE KEY",
	    GETK_ERR_SYNTAX, "a private key block");
	dearmor_edit("-----BEGIN PGP PUBLIC KEY", "-----BEGIN PGP MESSAGE",
	    GETK_ERR_SYNTAX, "a message");
	dearmor_edit("-----BEGIN", "Here is my key:\n-----BEGIN",
	    GETK_ERR_SYNTAX, "text before BEGIN");
	dearmor_edit("-----BEGIN", "\x01-----BEGIN",
	    GETK_ERR_SYNTAX, "a control byte before BEGIN");
	dearmor_edit("-----\n\n", "-----\n", GETK_ERR_SYNTAX,
	    "no blank line after BEGIN");
	dearmor_edit("-----\n\n", "-----\nVersion: 1\n", GETK_ERR_SYNTAX,
	    "no blank line after the headers");
	dearmor_edit("-----\n\n", "-----\nVersion 1\n\n", GETK_ERR_SYNTAX,
	    "a header without a colon");
	dearmor_edit("-----\n\n", "-----\nVersion:1\n\n", GETK_ERR_SYNTAX,
	    "a header without a space after the colon");
	dearmor_edit("-----\n\n", "-----\n: 1\n\n", GETK_ERR_SYNTAX,
	    "a header without a key");
	dearmor_edit("-----\n\n", "-----\n Version: 1\n\n", GETK_ERR_SYNTAX,
	    "a header with white space before the key");
	dearmor_edit("-----\n\n", "-----\nVersion: \x01\n\n", GETK_ERR_SYNTAX,
	    "a header with a control byte");
	dearmor_edit("-----\n\n", "-----\nVer\rsion: 1\n\n", GETK_ERR_SYNTAX,
	    "a header with a CR");
	dearmor_edit("+H4mxZ+CC\n", "+H4mxZ+CC\n\n", GETK_ERR_SYNTAX,
	    "a blank line among the base64");
	dearmor_edit("+H4mxZ+CC\n", "+H4mxZ+CC\n \n", GETK_ERR_SYNTAX,
	    "a white space line among the base64");
	dearmor_edit("\nOW6sUqG0", "\n OW6sUqG0", GETK_ERR_SYNTAX,
	    "white space before a base64 line");
	dearmor_edit("OW6sUqG0", "OW6s UqG0", GETK_ERR_SYNTAX,
	    "white space inside a base64 line");
	dearmor_edit("OW6sUqG0", "OW6s-qG0", GETK_ERR_SYNTAX,
	    "a URL-safe base64 character");
	dearmor_edit("OW6sUqG0", "OW6s\rqG0", GETK_ERR_SYNTAX,
	    "a CR inside a base64 line");
	dearmor_edit("OW6sUqG0", "OW6s\xc3\xa9G0", GETK_ERR_SYNTAX,
	    "non-ASCII in the base64");
	dearmor_edit("+H4mxZ+CC\n", "+H4mxZ+C\n", GETK_ERR_SYNTAX,
	    "a character missing");
	dearmor_edit("+H4mxZ+CC\n", "+H4mxZ+CC\nQQ==\n", GETK_ERR_SYNTAX,
	    "padding in the middle");
	dearmor_edit("13AQ=\n", "13AR=\n", GETK_ERR_SYNTAX,
	    "stray bits before the padding");

	/* Garbage. */
	dearmor_bad("", GETK_ERR_SYNTAX, "nothing");
	dearmor_bad("\n\n  \n", GETK_ERR_SYNTAX, "white space");
	dearmor_bad("hello world", GETK_ERR_SYNTAX, "a word");
	dearmor_bad("-----BEGIN PGP PUBLIC KEY BLOCK-----", GETK_ERR_SYNTAX,
	    "only BEGIN");
	dearmor_bad("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
	    "-----END PGP PUBLIC KEY BLOCK-----\n", GETK_ERR_SYNTAX,
	    "an empty block");
	dearmor_bad("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n=twTO\n"
	    "-----END PGP PUBLIC KEY BLOCK-----\n", GETK_ERR_SYNTAX,
	    "an empty block with the checksum of nothing");
	dearmor_bad("-----END PGP PUBLIC KEY BLOCK-----\n", GETK_ERR_SYNTAX,
	    "only END");
	dearmor_bad("\x98\x33\x04\x6b", GETK_ERR_SYNTAX, "binary data");

	/* A NUL in the middle of the data. */
	{
		char nul[sizeof(key_armored)];

		memcpy(nul, key_armored, sizeof(key_armored));
		nul[60] = '\0';
		getk_buf_init(&b, 0);
		CHECK_INT(getk_wkd_dearmor(nul, sizeof(key_armored) - 1, &b),
		    GETK_ERR_SYNTAX, "dearmor refuses a NUL in the base64");
		getk_buf_free(&b);
	}

	/* LEN is honoured: the END line cut off is missing. */
	getk_buf_init(&b, 0);
	CHECK_INT(getk_wkd_dearmor(key_armored, strlen(key_armored) - 5, &b),
	    GETK_ERR_SYNTAX, "dearmor reads only LEN bytes");
	getk_buf_free(&b);

	/* The buffer's limit, in its two places. */
	getk_buf_init(&b, 218);
	CHECK_INT(getk_wkd_dearmor(key_armored, strlen(key_armored), &b),
	    GETK_OK, "dearmor up to the buffer limit succeeds");
	getk_buf_free(&b);
	getk_buf_init(&b, 217);
	CHECK_INT(getk_wkd_dearmor(key_armored, strlen(key_armored), &b),
	    GETK_ERR_TOOBIG, "dearmor one byte over the limit is TOOBIG");
	CHECK(b.len == 0, "and leaves the buffer empty");
	getk_buf_free(&b);
	getk_buf_init(&b, 10);
	CHECK_INT(getk_wkd_dearmor(key_armored, strlen(key_armored), &b),
	    GETK_ERR_TOOBIG, "dearmor far over the limit is TOOBIG");
	CHECK(b.len == 0, "and leaves the buffer empty");
	getk_buf_free(&b);
	getk_buf_init(&b, 223);
	getk_buf_adds(&b, "12345");
	CHECK_INT(getk_wkd_dearmor(key_armored, strlen(key_armored), &b),
	    GETK_OK, "the limit counts what the buffer held: fits");
	getk_buf_free(&b);
	getk_buf_init(&b, 223);
	getk_buf_adds(&b, "123456");
	CHECK_INT(getk_wkd_dearmor(key_armored, strlen(key_armored), &b),
	    GETK_ERR_TOOBIG, "the limit counts what the buffer held: over");
	CHECK(b.len == 6 && strcmp(b.data, "123456") == 0,
	    "and leaves the buffer as it was");
	getk_buf_free(&b);

	/* Round trips through getk_armor_pubkey(), lengths 1 to 300. */
	{
		unsigned char bytes[300];
		int all_ok = 1;

		for (i = 0; i < sizeof(bytes); i++)
			bytes[i] = (unsigned char)(i * 13 + 5);
		for (i = 1; i <= sizeof(bytes); i++) {
			struct getk_buf a, d;

			getk_buf_init(&a, 0);
			getk_buf_init(&d, i);
			if (getk_armor_pubkey(bytes, i, &a) != GETK_OK ||
			    getk_wkd_dearmor(a.data, a.len, &d) != GETK_OK ||
			    d.len != i || memcmp(d.data, bytes, i) != 0) {
				all_ok = 0;
				DIAG("round trip failed for length %zu", i);
			}
			getk_buf_free(&a);
			getk_buf_free(&d);
		}
		CHECK(all_ok, "armor/dearmor round trip for lengths 1 to 300");
	}
}

static void
armored_is(const char *p, size_t len, int want, const char *what)
{
	int got = getk_wkd_is_armored((const unsigned char *)p, len);

	CHECK(!got == !want, "%s %s", what, want ? "is armored" :
	    "is binary");
}

static void
test_is_armored(void)
{
	armored_is(key_armored, strlen(key_armored), 1, "the armored key");
	armored_is("\r\n \t\n-----BEGIN PGP MESSAGE-----", 31, 1,
	    "white space and BEGIN PGP MESSAGE");
	armored_is("-----BEGIN PGP", 14, 1, "just \"-----BEGIN PGP\"");
	armored_is("-----BEGIN PG", 13, 0, "\"-----BEGIN PG\"");
	armored_is("-----BEGIN PGP", 13, 0, "\"-----BEGIN PGP\" cut by LEN");
	armored_is((const char *)key_binary, sizeof(key_binary), 0,
	    "the binary key");
	armored_is("", 0, 0, "nothing");
	armored_is("\n\n", 2, 0, "only white space");
	armored_is("x-----BEGIN PGP", 15, 0, "a byte before BEGIN");
	armored_is("-----begin pgp", 14, 0, "lower case");
}

int
main(void)
{
	if (!gcry_check_version(GCRYPT_VERSION))
		BAIL_OUT("libgcrypt version mismatch");
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	test_hash();
	test_url();
	test_redirect();
	test_dearmor();
	test_is_armored();
	return done_testing();
}
