/*
 * fuzz-getk-reply.c: libFuzzer target for the GETK reply parser
 * (src/getkreply.c).
 *
 * Input: one byte that picks the parser's size limit, then reply lines
 * separated by '\n' (one '\r' before it is dropped, as the SMTP reader
 * drops CRLF).  The lines are fed until the parser says the reply is done
 * or refuses a line, and then what the parser reports is checked against
 * what the lines said:
 *
 * - a complete 250 reply holds exactly the announced number of octets,
 *   within the limit, and its data lines are the canonical base64 of the
 *   data (76 characters a line), since the parser is strict;
 * - a complete failure reply has a code of 4yz or 5yz, no data, an
 *   enhanced code, when there is one, of the reply's class, and a text
 *   of printable ASCII only;
 * - a refused line leaves a problem text, no data, and a spent parser;
 * - GETK_ERR_TOOBIG only when the announced size is over the limit.
 *
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <config.h>

#include "fuzz.h"
#include "buf.h"
#include "codec.h"
#include "getkreply.h"

/* The limit selected by the first input byte: 0 is the default. */
static size_t
pick_limit(uint8_t b)
{
	if (b == 0)
		return 0;
	if (b < 128)
		return b;			/* tiny limits: TOOBIG is easy */
	return (size_t)(b - 127) * 520;		/* 520 to 66560, clamped */
}

/* The length of an enhanced code "d.d.d " at P, else 0. */
static size_t
skip_enhanced(const char *p, size_t len)
{
	size_t i;

	if (len < 2 || p[0] < '0' || p[0] > '9' || p[1] != '.')
		return 0;
	for (i = 0; i < len && p[i] != ' '; i++)
		if (!(p[i] == '.' || (p[i] >= '0' && p[i] <= '9')))
			return 0;
	return i < len ? i + 1 : 0;
}

/*
 * The octet count announced by a first line "250-[d.d.d ]OPENPGP N"
 * (counts past ten times the maximum are not exact, only as large), or
 * (size_t)-1 when the line announces none that this simple reading finds.
 */
static size_t
announced(const char *line, size_t len)
{
	const char *p = line + 4;
	size_t n = 0, i, rest;
	static const char word[] = "openpgp ";

	if (len < 4)
		return (size_t)-1;
	rest = len - 4;
	i = skip_enhanced(p, rest);
	p += i;
	rest -= i;
	if (rest < 9)
		return (size_t)-1;
	for (i = 0; i < 8; i++)
		if (fuzz_lower((unsigned char)p[i]) != word[i])
			return (size_t)-1;
	for (i = 8; i < rest; i++) {
		if (p[i] < '0' || p[i] > '9')
			return (size_t)-1;
		/* Saturate: any count this large is over every limit. */
		if (n <= 10 * GETK_MAX_OCTETS)
			n = n * 10 + (size_t)(p[i] - '0');
	}
	return n;
}

/* The base64 part of a data line: after the code and any enhanced code. */
static void
payload(const char *line, size_t len, const char **r_p, size_t *r_len)
{
	const char *p = line + 4;
	size_t rest = len - 4, skip = skip_enhanced(p, rest);

	*r_p = p + skip;
	*r_len = rest - skip;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct getk_reply *reply = NULL;
	struct getk_buf joined, canon;
	const char *text = (const char *)data;
	size_t limit, pos, nlines = 0, want = (size_t)-1;
	enum getk_err err = GETK_OK;
	int done = 0;

	if (size == 0)
		return 0;
	limit = pick_limit(data[0]);
	text++;
	size--;
	if (getk_reply_new(limit, &reply) != GETK_OK)
		return 0;
	if (limit == 0 || limit > GETK_MAX_OCTETS)
		limit = GETK_MAX_OCTETS;
	getk_buf_init(&joined, 0);
	getk_buf_init(&canon, 0);

	for (pos = 0; pos < size && !done;) {
		const char *nl = memchr(text + pos, '\n', size - pos);
		const char *line = text + pos;
		size_t len = nl ? (size_t)(nl - line) : size - pos;

		pos += len + (nl ? 1 : 0);
		if (len && line[len - 1] == '\r')
			len--;
		err = getk_reply_feed(reply, line, len, &done);
		nlines++;
		if (nlines == 1)
			want = announced(line, len);
		if (err) {
			ASSERT(!done);
			break;
		}
		if (nlines > 1 && !done && getk_reply_code(reply) == 250) {
			const char *p;
			size_t plen;

			payload(line, len, &p, &plen);
			getk_buf_add(&joined, p, plen);
			getk_buf_add(&joined, "\n", 1);
		}
	}

	if (err) {
		size_t dlen = 1;
		int d2 = 1;

		ASSERT(err == GETK_ERR_PROTO || err == GETK_ERR_TOOBIG ||
		    err == GETK_ERR_NOMEM);
		ASSERT(*getk_reply_problem(reply) != '\0');
		ASSERT(getk_reply_data(reply, &dlen) == NULL && dlen == 0);
		if (err == GETK_ERR_TOOBIG) {
			/* Only the first line announces a size. */
			ASSERT(nlines == 1);
			ASSERT(want != (size_t)-1 && want > limit);
		}
		ASSERT(getk_reply_feed(reply, "250 END", 7, &d2) ==
		    GETK_ERR_PROTO && d2 == 0);
	} else if (done) {
		int code = getk_reply_code(reply);
		const char *enh = getk_reply_enhanced(reply);
		size_t dlen = 0;
		const unsigned char *d = getk_reply_data(reply, &dlen);
		const char *p;
		int d2 = 1;

		ASSERT(code >= 200 && code <= 599);
		for (p = getk_reply_text(reply); *p; p++)
			ASSERT(*p >= 0x20 && *p < 0x7f);
		ASSERT(p - getk_reply_text(reply) < GETK_REPLY_TEXT_MAX);
		if (*enh)
			ASSERT(enh[0] - '0' == code / 100);
		if (code == 250) {
			ASSERT(nlines >= 3);
			ASSERT(d != NULL);
			ASSERT(dlen >= 1 && dlen <= limit);
			ASSERT(want == dlen);
			ASSERT(getk_base64_encode(d, dlen, 76, &canon) ==
			    GETK_OK);
			ASSERT(canon.len == joined.len &&
			    memcmp(canon.data, joined.data, canon.len) == 0);
		} else {
			ASSERT(code / 100 == 4 || code / 100 == 5);
			ASSERT(d == NULL && dlen == 0);
			ASSERT(nlines <= GETK_MAX_ERROR_LINES);
		}
		ASSERT(*getk_reply_problem(reply) == '\0');
		ASSERT(getk_reply_feed(reply, "250 END", 7, &d2) ==
		    GETK_ERR_PROTO && d2 == 0);
	} else {
		size_t dlen = 1;

		/* The input ended in the middle of a reply. */
		ASSERT(getk_reply_data(reply, &dlen) == NULL && dlen == 0);
		ASSERT(*getk_reply_problem(reply) == '\0');
	}

	getk_buf_free(&joined);
	getk_buf_free(&canon);
	getk_reply_free(reply);
	return 0;
}
