/*
 * fuzz-reply.c: libFuzzer target for the SMTP reply-line parser and the
 * reader of whole replies (src/reply.c) and getk_printable (src/codec.c).
 *
 * The input is one reply line without its CRLF.  An accepted line must
 * have a code of 200 to 599 that is its first three bytes, a text that
 * is the rest of the line after the separator, an enhanced code that is
 * a prefix of the text of the reply's class, and a message that ends the
 * text; a refused one leaves *r zeroed and a reason.  The printable form
 * of any input holds no control or 8-bit byte and fits its buffer.  The
 * same input split at '\n' is then fed to a getk_multiline until it is
 * done or refuses a line: every line taken carries the first line's
 * code, no more than GETK_REPLY_MAX_LINES are taken, nothing after the
 * last, and the reply's text is printable and starts with its code.
 */
#include <config.h>

#include "fuzz.h"
#include "codec.h"
#include "reply.h"

/* Feeds the lines of the input to a whole-reply reader. */
static void
fuzz_multiline(const char *text, size_t size)
{
	struct getk_multiline m;
	struct getk_reply_line rl;
	const char *why;
	char code[8];
	size_t pos = 0, taken = 0, i;
	enum getk_err err = GETK_OK;

	getk_multiline_init(&m);
	while (pos < size && !err) {
		const char *line = text + pos, *nl;
		size_t len;
		int was_done = m.done;

		nl = memchr(line, '\n', size - pos);
		len = nl ? (size_t)(nl - line) : size - pos;
		pos += len + (nl ? 1 : 0);
		err = getk_multiline_feed(&m, line, len, &rl, &why);
		if (err) {
			ASSERT(err == GETK_ERR_PROTO && why && *why);
			ASSERT(m.lines == taken);
			break;
		}
		ASSERT(!was_done);
		taken++;
		ASSERT(m.lines == taken && m.lines <= GETK_REPLY_MAX_LINES);
		ASSERT(rl.code == m.code && m.done == rl.last);
	}
	if (!taken) {
		ASSERT(m.code == 0 && m.text[0] == '\0');
		return;
	}
	ASSERT(strlen(m.text) < sizeof(m.text));
	for (i = 0; m.text[i]; i++)
		ASSERT((unsigned char)m.text[i] >= 0x20 &&
		    (unsigned char)m.text[i] < 0x7f);
	snprintf(code, sizeof(code), "%d", m.code);
	ASSERT(strncmp(m.text, code, 3) == 0);
	ASSERT(!*m.enhanced || m.enhanced[0] == code[0]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data, *why = NULL;
	struct getk_reply_line r;
	char out[64];
	size_t i, elen;
	enum getk_err err;

	err = getk_reply_line_parse(line, size, &r, &why);
	if (err == GETK_OK) {
		ASSERT(why == NULL);
		ASSERT(size >= 3 && size <= GETK_REPLY_LINE_MAX - 2);
		ASSERT(r.code >= 200 && r.code <= 599);
		ASSERT(r.code == (line[0] - '0') * 100 + (line[1] - '0') * 10 +
		    (line[2] - '0'));
		ASSERT(memchr(line, '\0', size) == NULL);
		ASSERT(r.last == (size == 3 || line[3] == ' '));
		ASSERT(r.text == line + (size > 3 ? 4 : 3));
		ASSERT(r.text + r.textlen == line + size);
		ASSERT(r.msg >= r.text && r.msg + r.msglen == line + size);
		elen = strlen(r.enhanced);
		if (elen) {
			ASSERT(!r.enhanced_mismatch);
			ASSERT(r.enhanced[0] == line[0]);
			ASSERT(memcmp(r.text, r.enhanced, elen) == 0);
			ASSERT(r.text[elen] == ' ' && r.msg == r.text + elen + 1);
		} else {
			ASSERT(r.msg == r.text);
		}
	} else {
		ASSERT(err == GETK_ERR_PROTO && why && *why);
		ASSERT(r.code == 0 && r.text == NULL && r.msg == NULL);
	}

	getk_printable(out, 1 + (size ? data[0] % sizeof(out) : 0), line, size);
	ASSERT(strlen(out) < sizeof(out));
	for (i = 0; out[i]; i++)
		ASSERT((unsigned char)out[i] >= 0x20 &&
		    (unsigned char)out[i] < 0x7f);
	fuzz_multiline(line, size);
	return 0;
}
