/*
 * wkd.c: the pure parts of the OpenPGP Web Key Directory: hashed local
 * parts, lookup URLs, the redirect rule and ASCII armor decoding.
 *
 * The armor decoder is codec.c's strict one, for the label of a public
 * key block: what a WKD server sends is untrusted, and a key that
 * arrives mangled is better refused than guessed at.
 */
#include <config.h>

#include <gcrypt.h>
#include <string.h>

#include "addr.h"
#include "codec.h"
#include "wkd.h"

/* The z-base-32 alphabet of RFC 6189 section 5.1.6. */
static const char zb32_chars[] = "ybndrfg8ejkmcpqxot1uwisza345h769";

/* Longest DNS name in presentation form, without a trailing dot. */
#define WKD_NAME_MAX 253
/* "openpgpkey.", the label the advanced method puts before the domain. */
#define WKD_SUBDOMAIN "openpgpkey."
#define WKD_SUBDOMAIN_LEN (sizeof(WKD_SUBDOMAIN) - 1)
/* Local parts up to this long are lower-cased on the stack for hashing. */
#define WKD_HASH_CHUNK 256

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The white space armor allows around lines: space, tab and CR. */
static int
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/*
 * Lower-cases A-Z of the LEN bytes at SRC into DST, which has room for
 * them; every other byte is copied as it is.
 */
static void
lower_copy(unsigned char *dst, const char *src, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		dst[i] = (unsigned char)ascii_lower((unsigned char)src[i]);
}

/* The 160 bits at DIGEST, most significant first, in 32 z-base-32 chars. */
static void
zb32_encode(const unsigned char digest[20],
    char r_hash[GETK_WKD_HASH_LEN + 1])
{
	size_t i;

	for (i = 0; i < GETK_WKD_HASH_LEN; i++) {
		size_t bit = i * 5, byte = bit / 8, off = bit % 8;
		unsigned v = (unsigned)digest[byte] << 8;

		if (byte + 1 < 20)
			v |= digest[byte + 1];
		r_hash[i] = zb32_chars[(v >> (11 - off)) & 31];
	}
	r_hash[GETK_WKD_HASH_LEN] = '\0';
}

void
getk_wkd_hash(const char *local, size_t len,
    char r_hash[GETK_WKD_HASH_LEN + 1])
{
	unsigned char lower[WKD_HASH_CHUNK], digest[20];
	gcry_md_hd_t md = NULL;
	size_t i, n;

	r_hash[0] = '\0';
	if (len <= sizeof(lower)) {
		lower_copy(lower, local, len);
		gcry_md_hash_buffer(GCRY_MD_SHA1, digest, lower, len);
		zb32_encode(digest, r_hash);
		return;
	}
	/* Longer than any mailbox's: hash it piece by piece. */
	if (gcry_md_open(&md, GCRY_MD_SHA1, 0) != 0)
		return;
	for (i = 0; i < len; i += n) {
		n = len - i < sizeof(lower) ? len - i : sizeof(lower);
		lower_copy(lower, local + i, n);
		gcry_md_write(md, lower, n);
	}
	memcpy(digest, gcry_md_read(md, GCRY_MD_SHA1), sizeof(digest));
	gcry_md_close(md);
	zb32_encode(digest, r_hash);
}

/*
 * Whether the LEN bytes at S are a host name: 1 to 253 octets, labels of
 * 1 to 63 letters, digits and inner hyphens, no trailing dot, and a last
 * label that does not start with a digit (so no IPv4 address, in any of
 * the numeric forms URL parsers accept, passes).
 */
static int
hostname_ok(const char *s, size_t len)
{
	size_t i, start = 0;

	if (len == 0 || len > WKD_NAME_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (i == start || i - start > 63 || s[i - 1] == '-')
				return 0;
			start = i + 1;
			continue;
		}
		if (c == '-') {
			if (i == start)
				return 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			return 0;
	}
	/* START is now one past the end; find the last label's start. */
	for (start = len; start > 0 && s[start - 1] != '.'; start--)
		;
	return !(s[start] >= '0' && s[start] <= '9');
}

/*
 * Copies the host name of LEN bytes at S, one trailing dot dropped, to
 * R_NAME (WKD_NAME_MAX + 1 bytes) in lower case.  Zero when it is not
 * a host name (R_NAME is then empty).
 */
static int
hostname_norm(const char *s, size_t len, char r_name[WKD_NAME_MAX + 1])
{
	size_t i;

	r_name[0] = '\0';
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (!hostname_ok(s, len))
		return 0;
	for (i = 0; i < len; i++)
		r_name[i] = (char)ascii_lower((unsigned char)s[i]);
	r_name[len] = '\0';
	return 1;
}

/* Appends the LEN bytes at S to B percent-encoded (RFC 3986 2.1, 2.3). */
static enum getk_err
percent_encode(struct getk_buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;
	enum getk_err err = GETK_OK;

	for (i = 0; i < len && !err; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~') {
			err = getk_buf_add(b, &s[i], 1);
			continue;
		}
		esc[0] = '%';
		esc[1] = hex[c >> 4];
		esc[2] = hex[c & 15];
		err = getk_buf_add(b, esc, sizeof(esc));
	}
	return err;
}

enum getk_err
getk_wkd_url(const char *mailbox, int advanced, char **r_url,
    char r_host[256])
{
	struct getk_buf b;
	char hash[GETK_WKD_HASH_LEN + 1], domain[WKD_NAME_MAX + 1];
	const char *at;
	size_t llen, dlen;
	enum getk_err err;

	*r_url = NULL;
	if (r_host)
		r_host[0] = '\0';
	getk_buf_init(&b, 0);
	at = strrchr(mailbox, '@');
	if (!at) {
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	llen = (size_t)(at - mailbox);
	dlen = strlen(at + 1);
	/*
	 * A mailbox's domain has no trailing dot (RFC 5321 4.1.2), so it is
	 * checked as it is before hostname_norm() lower-cases it.
	 */
	if (llen == 0 || llen > GETK_MAX_LOCAL || !hostname_ok(at + 1, dlen) ||
	    !hostname_norm(at + 1, dlen, domain)) {
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	if (advanced && WKD_SUBDOMAIN_LEN + dlen > WKD_NAME_MAX) {
		err = GETK_ERR_TOOBIG;
		goto leave;
	}
	getk_wkd_hash(mailbox, llen, hash);
	if (advanced)
		err = getk_buf_printf(&b, "https://" WKD_SUBDOMAIN "%s"
		    "/.well-known/openpgpkey/%s/hu/%s?l=", domain, domain,
		    hash);
	else
		err = getk_buf_printf(&b, "https://%s"
		    "/.well-known/openpgpkey/hu/%s?l=", domain, hash);
	if (!err)
		err = percent_encode(&b, mailbox, llen);
	if (err)
		goto leave;
	*r_url = getk_buf_take(&b, NULL);
	if (!*r_url) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	if (r_host) {
		size_t off = advanced ? WKD_SUBDOMAIN_LEN : 0;

		memcpy(r_host, WKD_SUBDOMAIN, off);
		memcpy(r_host + off, domain, dlen + 1);
	}
leave:
	getk_buf_free(&b);
	return err;
}

int
getk_wkd_redirect_ok(const char *url, const char *domain)
{
	char host[WKD_NAME_MAX + 1], want[WKD_NAME_MAX + 1];
	const char *auth, *end, *colon;
	size_t i, hlen, dlen;

	if (!url || !domain)
		return 0;
	/* Nothing a URL parser could read two ways: printable ASCII only. */
	for (i = 0; url[i]; i++) {
		unsigned char c = (unsigned char)url[i];

		if (c <= ' ' || c >= 0x7f || c == '\\')
			return 0;
	}
	if (strncmp(url, "https://", 8) != 0)
		return 0;
	auth = url + 8;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)))
		return 0;
	colon = memchr(auth, ':', (size_t)(end - auth));
	if (colon && !(end - colon == 4 && memcmp(colon, ":443", 4) == 0))
		return 0;
	if (!hostname_norm(auth, (size_t)((colon ? colon : end) - auth), host))
		return 0;
	if (!hostname_norm(domain, strlen(domain), want))
		return 0;
	hlen = strlen(host);
	dlen = strlen(want);
	if (hlen == dlen)
		return memcmp(host, want, dlen) == 0;
	return hlen > dlen + 1 && host[hlen - dlen - 1] == '.' &&
	    memcmp(host + hlen - dlen, want, dlen) == 0;
}

enum getk_err
getk_wkd_dearmor(const char *in, size_t len, struct getk_buf *out)
{
	return getk_armor_decode("PGP PUBLIC KEY BLOCK", in, len, out);
}

int
getk_wkd_is_armored(const unsigned char *p, size_t len)
{
	static const char prefix[] = "-----BEGIN PGP";
	size_t i = 0;

	while (i < len && (is_blank(p[i]) || p[i] == '\n'))
		i++;
	return len - i >= sizeof(prefix) - 1 &&
	    memcmp(p + i, prefix, sizeof(prefix) - 1) == 0;
}
