/*
 * fuzz-dearmor.c: libFuzzer target for the pure WKD parts (src/wkd.c):
 * the ASCII armor decoder first, and the redirect rule and the URL
 * builder on the same bytes.
 *
 * The input goes whole to getk_wkd_dearmor(), into a buffer that already
 * holds two bytes.  On success the data must be non-empty, within the
 * limit, appended after those two bytes; the input must look armored to
 * getk_wkd_is_armored(); decoding again with the limit set to exactly the
 * data's size must give the same bytes, and with one byte less
 * GETK_ERR_TOOBIG; and getk_armor_pubkey() of the data must decode back
 * to it.  On failure the error is GETK_ERR_SYNTAX (GETK_ERR_TOOBIG cannot
 * happen under the generous first limit) and the buffer holds its two
 * bytes as before.  getk_wkd_is_armored() must agree with a plain
 * reading of its rule.
 *
 * The input as a C string is then a URL for getk_wkd_redirect_ok() with
 * the domain "example.org": an allowed redirect is https, of printable
 * ASCII without backslashes, with no userinfo, no port but 443, and a
 * host that is example.org or under it.  The same string as a mailbox
 * for getk_wkd_url(): a URL that is built must be one our own redirect
 * rule allows for its host, and its l= must decode to the local part.
 *
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <config.h>

#include <gcrypt.h>

#include "fuzz.h"
#include "buf.h"
#include "codec.h"
#include "wkd.h"

/* The first limit: larger than any input libFuzzer makes by default. */
#define FUZZ_LIMIT (1024 * 1024)

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* libgcrypt, for getk_wkd_hash(), is set up once before the first run. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!gcry_check_version(GCRYPT_VERSION))
		abort();
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

/* Decodes DATA into a buffer of limit MAX; the error, *R_BUF the bytes. */
static enum getk_err
dearmor(const uint8_t *data, size_t size, size_t max, struct getk_buf *r_buf)
{
	getk_buf_init(r_buf, max);
	return getk_wkd_dearmor((const char *)data, size, r_buf);
}

static void
check_dearmor(const uint8_t *data, size_t size)
{
	struct getk_buf b, again, armored;
	enum getk_err err;
	size_t n;

	getk_buf_init(&b, FUZZ_LIMIT + 2);
	ASSERT(getk_buf_add(&b, "xy", 2) == GETK_OK);
	err = getk_wkd_dearmor((const char *)data, size, &b);
	if (err == GETK_ERR_NOMEM) {
		getk_buf_free(&b);
		return;
	}
	if (err != GETK_OK) {
		ASSERT(err == GETK_ERR_SYNTAX ||
		    (err == GETK_ERR_TOOBIG && size > FUZZ_LIMIT));
		ASSERT(b.len == 2 && memcmp(b.data, "xy", 3) == 0);
		getk_buf_free(&b);
		return;
	}
	ASSERT(b.len > 2 && b.len <= b.max);
	ASSERT(memcmp(b.data, "xy", 2) == 0 && b.data[b.len] == '\0');
	ASSERT(getk_wkd_is_armored(data, size));
	n = b.len - 2;

	/* The limit exactly the size of the data, and one byte less. */
	err = dearmor(data, size, n, &again);
	ASSERT(err == GETK_OK || err == GETK_ERR_NOMEM);
	ASSERT(err || (again.len == n && memcmp(again.data, b.data + 2,
	    n) == 0));
	getk_buf_free(&again);
	if (n > 1) {
		err = dearmor(data, size, n - 1, &again);
		ASSERT(err == GETK_ERR_TOOBIG || err == GETK_ERR_NOMEM);
		ASSERT(again.len == 0);
		getk_buf_free(&again);
	}

	/* Armored again the way getk writes it, it decodes the same. */
	getk_buf_init(&armored, 0);
	if (getk_armor_pubkey((const unsigned char *)b.data + 2, n,
	    &armored) == GETK_OK) {
		err = dearmor((const uint8_t *)armored.data, armored.len, 0,
		    &again);
		ASSERT(err == GETK_OK || err == GETK_ERR_NOMEM);
		ASSERT(err || (again.len == n && memcmp(again.data,
		    b.data + 2, n) == 0));
		getk_buf_free(&again);
	}
	getk_buf_free(&armored);
	getk_buf_free(&b);
}

static void
check_is_armored(const uint8_t *data, size_t size)
{
	size_t i = 0;
	int want;

	while (i < size && (data[i] == ' ' || data[i] == '\t' ||
	    data[i] == '\r' || data[i] == '\n'))
		i++;
	want = size - i >= 14 && memcmp(data + i, "-----BEGIN PGP", 14) == 0;
	ASSERT(!getk_wkd_is_armored(data, size) == !want);
}

static void
check_redirect(const char *url)
{
	const char *auth, *end, *hend;
	char host[300];
	size_t i, hlen;

	if (!getk_wkd_redirect_ok(url, "example.org"))
		return;
	ASSERT(strncmp(url, "https://", 8) == 0);
	for (i = 0; url[i]; i++)
		ASSERT(url[i] > ' ' && url[i] < 0x7f && url[i] != '\\');
	auth = url + 8;
	end = auth + strcspn(auth, "/?#");
	ASSERT(memchr(auth, '@', (size_t)(end - auth)) == NULL);
	hend = memchr(auth, ':', (size_t)(end - auth));
	if (hend)
		ASSERT(end - hend == 4 && memcmp(hend, ":443", 4) == 0);
	else
		hend = end;
	hlen = (size_t)(hend - auth);
	ASSERT(hlen > 0 && hlen < sizeof(host));
	for (i = 0; i < hlen; i++)
		host[i] = (char)fuzz_lower((unsigned char)auth[i]);
	if (host[hlen - 1] == '.')
		hlen--;
	host[hlen] = '\0';
	ASSERT(strcmp(host, "example.org") == 0 || (hlen > 12 &&
	    strcmp(host + hlen - 12, ".example.org") == 0));
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
check_url(const char *mailbox, int advanced)
{
	char host[256], *url = NULL;
	const char *at = strrchr(mailbox, '@'), *l;
	size_t i, k;
	enum getk_err err;

	err = getk_wkd_url(mailbox, advanced, &url, host);
	if (err) {
		ASSERT(err == GETK_ERR_SYNTAX || err == GETK_ERR_TOOBIG ||
		    err == GETK_ERR_NOMEM);
		ASSERT(url == NULL && host[0] == '\0');
		return;
	}
	ASSERT(at != NULL && at > mailbox);
	ASSERT(strlen(host) > 0 && strlen(host) <= 253);
	ASSERT(!advanced || strncmp(host, "openpgpkey.", 11) == 0);
	ASSERT(getk_wkd_redirect_ok(url, host));
	ASSERT(getk_wkd_redirect_ok(url, at + 1));
	ASSERT(strncmp(url, "https://", 8) == 0 &&
	    strncmp(url + 8, host, strlen(host)) == 0 &&
	    url[8 + strlen(host)] == '/');

	/* l= holds the local part, percent-encoded. */
	l = strstr(url, "?l=");
	ASSERT(l != NULL);
	l += 3;
	for (i = 0, k = 0; l[i]; i++, k++) {
		int c = (unsigned char)l[i];

		if (c == '%') {
			ASSERT(hexval(l[i + 1]) >= 0 && hexval(l[i + 2]) >= 0);
			c = hexval(l[i + 1]) * 16 + hexval(l[i + 2]);
			i += 2;
		}
		ASSERT(mailbox + k < at && (unsigned char)mailbox[k] == c);
	}
	ASSERT(mailbox + k == at);
	free(url);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	check_dearmor(data, size);
	check_is_armored(data, size);

	s = fuzz_strndup(data, size);
	if (!s)
		return 0;
	check_redirect(s);
	check_url(s, 1);
	check_url(s, 0);
	free(s);
	return 0;
}
