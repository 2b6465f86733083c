/*
 * fuzz-mtareply.c: libFuzzer target for getkd's reader of the MTA's
 * replies and its EHLO rewriting (src/mtareply.c, on src/reply.c).
 *
 * The input is the MTA's output, cut at LF as getkd cuts it.  Lines are
 * fed until one is refused; each complete reply is rewritten as an EHLO
 * reply, before and after TLS.  Then: a reply holds at most
 * GETK_MTAREPLY_MAX_LINES lines of one code, each ending in CRLF; a
 * rewritten 250 reply is lines of "250-" and one last "250 ", the first
 * line the MTA's, never XCLIENT, XFORWARD or the MTA's STARTTLS, and
 * STARTTLS or GETK exactly where getkd adds them.
 */
#include <config.h>

#include "fuzz.h"
#include "mtareply.h"

static int
same_ascii_case(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fuzz_lower((unsigned char)a[i]) !=
		    fuzz_lower((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Whether a keyword line (not the first, the MTA's name) is TEXT. */
static int
has_line(const struct getk_buf *b, const char *text)
{
	const char *p = b->data, *end = b->data + b->len;
	size_t n = strlen(text), line;

	for (line = 0; p < end; line++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		ASSERT(nl && nl > p && nl[-1] == '\r');
		if (line > 0 && (size_t)(nl - 1 - p) == n + 4 &&
		    same_ascii_case(p + 4, text, n))
			return 1;
		p = nl + 1;
	}
	return 0;
}

static void
check_rewrite(const struct getk_mtareply *r, int tls)
{
	struct getk_ehlo_caps caps;
	struct getk_buf out;
	const char *p, *end;
	size_t lines = 0;

	getk_buf_init(&out, 0);
	if (getk_ehlo_rewrite(r, !tls, tls, &out, &caps) != GETK_OK) {
		getk_buf_free(&out);
		return;
	}
	if (r->code != 250) {
		ASSERT(!caps.ok);
		ASSERT(out.len == r->raw.len &&
		    memcmp(out.data, r->raw.data, out.len) == 0);
		getk_buf_free(&out);
		return;
	}
	ASSERT(caps.ok);
	for (p = out.data, end = out.data + out.len; p < end; lines++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		ASSERT(nl && nl - p >= 5 && nl[-1] == '\r');
		ASSERT(memcmp(p, "250", 3) == 0);
		ASSERT(p[3] == (nl + 1 == end ? ' ' : '-'));
		p = nl + 1;
	}
	ASSERT(lines >= 1 && lines <= r->nlines + 1);
	ASSERT(has_line(&out, "STARTTLS") == !tls || lines == 1);
	ASSERT(has_line(&out, "GETK OPENPGP") == tls || lines == 1);
	ASSERT(!has_line(&out, "XCLIENT") && !has_line(&out, "XFORWARD"));
	getk_buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *why;
	struct getk_mtareply r;

	getk_mtareply_init(&r);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		size_t before = r.nlines;
		enum getk_err err;

		if (len && p[len - 1] == '\r')
			len--;
		err = getk_mtareply_feed(&r, p, len, &why);
		if (err) {
			ASSERT(err == GETK_ERR_PROTO && why != NULL);
			ASSERT(r.nlines == before);
			break;
		}
		ASSERT(r.nlines == before + 1);
		ASSERT(r.nlines <= GETK_MTAREPLY_MAX_LINES);
		ASSERT(r.code >= 200 && r.code <= 599);
		if (r.done) {
			check_rewrite(&r, 0);
			check_rewrite(&r, 1);
			getk_mtareply_reset(&r);
		}
		p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
	}
	getk_mtareply_free(&r);
	return 0;
}
