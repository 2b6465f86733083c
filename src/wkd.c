/*
 * wkd.c: the pure parts of the OpenPGP Web Key Directory: hashed local
 * parts, lookup URLs, the redirect rule and ASCII armor decoding.
 *
 * The armor decoder is strict on purpose: what a WKD server sends is
 * untrusted, and a key that arrives mangled is better refused than
 * guessed at.  It only gathers the base64 lines; getk_base64_decode() and
 * getk_crc24() from codec.c do the decoding and the checksum.
 */
#include <config.h>

#include <gcrypt.h>
#include <string.h>

#include "addr.h"
#include "codec.h"
#include "wkd.h"

/* The z-base-32 alphabet of RFC 6189 section 5.1.6. */
static const char zb32_chars[] = "ybndrfg8ejkmcpqxot1uwisza345h769";

static const char armor_begin[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
static const char armor_end[] = "-----END PGP PUBLIC KEY BLOCK-----";

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

static int
is_b64char(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
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

/* The lines of an armored text, read one after the other. */
struct armor_reader {
	const char *p;		/* the text */
	size_t len;		/* its length */
	size_t pos;		/* where the next line starts */
};

/*
 * Sets *R_LINE and *R_LEN to the next line, without its LF and with the
 * white space (CR included) at its end dropped.  Zero at the end of the
 * text.  The last line need not end in LF.
 */
static int
next_line(struct armor_reader *r, const char **r_line, size_t *r_len)
{
	const char *line, *nl;
	size_t n;

	*r_line = NULL;
	*r_len = 0;
	if (r->pos >= r->len)
		return 0;
	line = r->p + r->pos;
	nl = memchr(line, '\n', r->len - r->pos);
	n = nl ? (size_t)(nl - line) : r->len - r->pos;
	r->pos += n + (nl ? 1 : 0);
	while (n > 0 && is_blank((unsigned char)line[n - 1]))
		n--;
	*r_line = line;
	*r_len = n;
	return 1;
}

static int
line_is(const char *line, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(line, want, len) == 0;
}

/*
 * Whether a non-empty line is an armor header "Key: value": a key of
 * printable ASCII, a colon, then nothing or a space and a value without
 * control characters (UTF-8 is let through, for comments).
 */
static int
header_ok(const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t i;

	if (!colon || colon == line)
		return 0;
	for (i = 0; line + i < colon; i++)
		if ((unsigned char)line[i] <= ' ' ||
		    (unsigned char)line[i] >= 0x7f)
			return 0;
	i++;
	if (i < len && line[i] != ' ')
		return 0;
	for (; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < ' ' && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

/*
 * The most base64 characters worth gathering for OUT: past it, the data
 * could not fit in what is left of OUT's limit.  0 means no limit.
 */
static size_t
base64_limit(const struct getk_buf *out)
{
	size_t room;

	if (!out->max)
		return 0;
	room = out->max > out->len ? out->max - out->len : 0;
	if (room > (size_t)-1 / 2)
		return 0;
	/* N characters give at least N / 4 * 3 - 2 bytes. */
	return (room + 2) / 3 * 4 + 4;
}

/*
 * Reads the armor of the LEN bytes at IN up to its END line, gathering
 * the base64 of the data in B64 and pointing *R_CRC at the 4 characters
 * of the checksum, or NULL when there is none.  GETK_ERR_SYNTAX,
 * GETK_ERR_TOOBIG when B64's limit is passed, GETK_ERR_NOMEM.
 */
static enum getk_err
armor_read(const char *in, size_t len, struct getk_buf *b64,
    const char **r_crc)
{
	struct armor_reader r;
	const char *line;
	size_t n, i;
	enum getk_err err;

	*r_crc = NULL;
	r.p = in;
	r.len = len;
	r.pos = 0;
	while (r.pos < len && (is_blank((unsigned char)in[r.pos]) ||
	    in[r.pos] == '\n'))
		r.pos++;
	if (!next_line(&r, &line, &n) || !line_is(line, n, armor_begin))
		return GETK_ERR_SYNTAX;

	/* Armor headers, up to and including a blank line. */
	for (;;) {
		if (!next_line(&r, &line, &n))
			return GETK_ERR_SYNTAX;
		if (n == 0)
			break;
		if (!header_ok(line, n))
			return GETK_ERR_SYNTAX;
	}

	/* Base64 lines, up to the checksum line or the END line. */
	for (;;) {
		if (!next_line(&r, &line, &n))
			return GETK_ERR_SYNTAX;
		if (line_is(line, n, armor_end))
			return GETK_OK;
		if (n > 0 && line[0] == '=')
			break;
		if (n == 0)
			return GETK_ERR_SYNTAX;
		for (i = 0; i < n; i++)
			if (!is_b64char((unsigned char)line[i]) &&
			    line[i] != '=')
				return GETK_ERR_SYNTAX;
		err = getk_buf_add(b64, line, n);
		if (err)
			return err;
	}

	/* "=XXXX": 24 bits of checksum, then END. */
	if (n != 5)
		return GETK_ERR_SYNTAX;
	for (i = 1; i < n; i++)
		if (!is_b64char((unsigned char)line[i]))
			return GETK_ERR_SYNTAX;
	*r_crc = line + 1;
	if (!next_line(&r, &line, &n) || !line_is(line, n, armor_end))
		return GETK_ERR_SYNTAX;
	return GETK_OK;
}

enum getk_err
getk_wkd_dearmor(const char *in, size_t len, struct getk_buf *out)
{
	struct getk_buf b64, crc;
	const char *crc_chars;
	size_t old_len = out->len;
	enum getk_err err;

	getk_buf_init(&b64, base64_limit(out));
	getk_buf_init(&crc, 3);
	err = armor_read(in, len, &b64, &crc_chars);
	if (err)
		goto leave;
	/* An empty key block is no key. */
	if (b64.len == 0) {
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	err = getk_base64_decode(b64.data, b64.len, out);
	if (err)
		goto leave;
	if (crc_chars) {
		unsigned long want, got;

		err = getk_base64_decode(crc_chars, 4, &crc);
		if (err)
			goto leave;
		want = ((unsigned long)(unsigned char)crc.data[0] << 16) |
		    ((unsigned long)(unsigned char)crc.data[1] << 8) |
		    (unsigned char)crc.data[2];
		got = getk_crc24((const unsigned char *)out->data + old_len,
		    out->len - old_len);
		if (want != got) {
			err = GETK_ERR_SYNTAX;
			goto leave;
		}
	}
leave:
	/* On error, take back what was appended. */
	if (err && out->data) {
		out->len = old_len;
		out->data[old_len] = '\0';
	}
	getk_buf_free(&b64);
	getk_buf_free(&crc);
	return err;
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
