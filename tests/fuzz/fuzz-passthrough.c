/*
 * fuzz-passthrough.c: libFuzzer target for the check that a message is
 * OpenPGP ciphertext already (src/passthrough.c).
 *
 * The input is a whole message: its header section as getk-sendmail
 * reads it (getk_headers_parse_whole; an input that does not parse is a
 * body under an empty header), the rest the body.  The body is fed three
 * times: whole, one octet at a time, and in pieces whose sizes come from
 * the input; the verdict, its reason and the "looks encrypted" flag must
 * be the same each time.  When the message passes:
 *   - the body holds a "-----BEGIN PGP MESSAGE-----" line from which the
 *     one-shot strict decoder (getk_armor_decode) decodes an encrypted
 *     message by getk_packet_check_message();
 *   - the form is "PGP/MIME" exactly when the header has a Content-Type
 *     of multipart/encrypted, and the message then looks encrypted;
 *   - inline, the body is blank lines, that block and blank lines: the
 *     first non-blank line is its BEGIN line and the last its END line.
 *
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <config.h>

#include <strings.h>

#include "fuzz.h"
#include "buf.h"
#include "codec.h"
#include "message.h"
#include "packet.h"
#include "passthrough.h"

static const char begin[] = "-----BEGIN PGP MESSAGE-----";
static const char end[] = "-----END PGP MESSAGE-----";

/* One verdict: pass, reason, looks-encrypted. */
struct verdict {
	int pass;
	int claims;
	char why[256];
};

/* Feeds BODY in pieces: STEP octets (0: whole), or sizes from it. */
static int
judge(const struct getk_headers *h, const char *body, size_t len,
    size_t step, struct verdict *v)
{
	struct getk_passthrough *pt = NULL;
	const char *why = NULL;
	size_t off = 0, n, k = 0;

	if (getk_passthrough_new(h, &pt))
		return 0;
	while (off < len) {
		n = step == (size_t)-1 ? 1 + (unsigned char)body[k++ % len] % 61 :
		    step;
		if (n == 0 || n > len - off)
			n = len - off;
		getk_passthrough_feed(pt, body + off, n);
		off += n;
	}
	v->pass = getk_passthrough_end(pt, &why);
	ASSERT(why != NULL && why[0] != '\0');
	snprintf(v->why, sizeof(v->why), "%s", why);
	v->claims = getk_passthrough_claims(pt);
	getk_passthrough_free(pt);
	return 1;
}

/* Non-zero when the line of LEN octets at P is white space only. */
static int
blank(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return 0;
	return 1;
}

/* The line without trailing white space equals WANT. */
static int
line_is(const char *p, size_t len, const char *want)
{
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
	    p[len - 1] == '\r'))
		len--;
	return len == strlen(want) && memcmp(p, want, len) == 0;
}

/* Checks the inline form: blank lines, the block, blank lines. */
static void
check_inline(const char *body, size_t len)
{
	const char *p = body, *e = body + len, *nl;
	const char *first = NULL, *last = NULL;
	size_t flen = 0, llen = 0, n;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		n = nl ? (size_t)(nl - p) : (size_t)(e - p);
		if (!blank(p, n)) {
			if (!first) {
				first = p;
				flen = n;
			}
			last = p;
			llen = n;
		}
		p += n + (nl ? 1 : 0);
	}
	ASSERT(first && line_is(first, flen, begin));
	ASSERT(last && line_is(last, llen, end));
}

/*
 * Some armored block of BODY (in PGP/MIME the preamble may hold others)
 * decodes, and is an encrypted message.
 */
static void
check_block(const char *body, size_t len)
{
	const char *p = body, *e = body + len, *nl;
	struct getk_buf b;
	char why[256];
	size_t n;
	int found = 0;
	enum getk_err err;

	while (!found && p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		n = nl ? (size_t)(nl - p) : (size_t)(e - p);
		if (line_is(p, n, begin)) {
			getk_buf_init(&b, 0);
			err = getk_armor_decode("PGP MESSAGE", p, (size_t)(e - p),
			    &b);
			if (err == GETK_ERR_NOMEM) {
				getk_buf_free(&b);
				return;
			}
			if (err == GETK_OK && b.len > 0 &&
			    getk_packet_check_message((const unsigned char *)b.data,
			    b.len, why, sizeof(why)) == GETK_OK)
				found = 1;
			getk_buf_free(&b);
		}
		p += n + (nl ? 1 : 0);
	}
	ASSERT(found);
}

/* Whether H has a Content-Type field of multipart/encrypted. */
static int
says_encrypted(const struct getk_headers *h)
{
	const struct getk_header *f;
	size_t pos = 0;
	int yes = 0;

	while ((f = getk_headers_find(h, "Content-Type", &pos)) != NULL)
		if (strncasecmp(f->value, "multipart/encrypted", 19) == 0)
			yes = 1;
	return yes;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct getk_headers empty = { NULL, 0 };
	struct getk_headers *h = NULL;
	const struct getk_headers *hh = &empty;
	struct verdict v1, v2, v3;
	const char *why = NULL, *body = (const char *)data;
	size_t consumed = 0, len = size;

	if (getk_headers_parse_whole((const char *)data, size, &h, &consumed,
	    &why) == GETK_OK && h) {
		hh = h;
		body += consumed;
		len -= consumed;
	}
	if (!judge(hh, body, len, 0, &v1) || !judge(hh, body, len, 1, &v2) ||
	    !judge(hh, body, len, (size_t)-1, &v3))
		goto leave;
	ASSERT(v1.pass == v2.pass && v2.pass == v3.pass);
	ASSERT(v1.claims == v2.claims && v2.claims == v3.claims);
	ASSERT(strcmp(v1.why, v2.why) == 0 && strcmp(v2.why, v3.why) == 0);
	if (says_encrypted(hh))
		ASSERT(v1.claims);
	if (!v1.pass)
		goto leave;
	ASSERT(v1.claims);
	ASSERT(strcmp(v1.why, "PGP/MIME") == 0 || strcmp(v1.why, "inline") == 0);
	ASSERT((strcmp(v1.why, "PGP/MIME") == 0) == (says_encrypted(hh) != 0));
	if (strcmp(v1.why, "inline") == 0)
		check_inline(body, len);
	check_block(body, len);
leave:
	getk_headers_free(h);
	return 0;
}
