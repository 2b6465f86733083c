/*
 * fuzz-headers.c: libFuzzer target for the header section reader and the
 * "sendmail -t" recipients (src/message.c).
 *
 * The input is a message, fed to the push reader in one piece with AT_EOF
 * set.  When it is accepted:
 * consumed <= len, and the body starts at a line start; at most
 * GETK_MAX_HEADER_FIELDS fields, each with a non-empty name of printable
 * ASCII other than ':', a raw form that starts with the name and a colon,
 * ends in CRLF and has no other CR or LF than CRLF pairs, and a value
 * without CR or LF or white space at its ends; getk_headers_find() finds
 * each name.  The header section alone gives the same fields.  Fed
 * without AT_EOF, the input gives "not ended yet" or exactly the same
 * answer.  Fed in pieces (of sizes taken from the input), it gives the
 * same answer, and the bytes held back plus the rest are the same body.
 * The recipients, when found, are valid mailboxes without duplicates,
 * none both To/Cc and Bcc, at most GETK_MAX_ADDRESSES.
 */
#include <config.h>

#include <strings.h>

#include "fuzz.h"
#include "addr.h"
#include "buf.h"
#include "message.h"

static void
check_field(const struct getk_headers *h, size_t i)
{
	const struct getk_header *f = &h->fields[i], *found;
	size_t nlen, rlen, vlen, k, pos = 0;

	nlen = strlen(f->name);
	ASSERT(nlen > 0);
	for (k = 0; k < nlen; k++)
		ASSERT(f->name[k] >= 33 && f->name[k] <= 126 &&
		    f->name[k] != ':');
	rlen = strlen(f->raw);
	ASSERT(rlen >= nlen + 3);
	ASSERT(memcmp(f->raw, f->name, nlen) == 0 && f->raw[nlen] == ':');
	ASSERT(f->raw[rlen - 2] == '\r' && f->raw[rlen - 1] == '\n');
	for (k = 0; k < rlen; k++) {
		if (f->raw[k] == '\r')
			ASSERT(f->raw[k + 1] == '\n');
		if (f->raw[k] == '\n') {
			ASSERT(k > 0 && f->raw[k - 1] == '\r');
			/* A line after the first is a continuation. */
			if (k + 1 < rlen)
				ASSERT(f->raw[k + 1] == ' ' ||
				    f->raw[k + 1] == '\t');
		}
	}
	vlen = strlen(f->value);
	ASSERT(vlen <= GETK_MAX_HEADER_FIELD);
	ASSERT(!strchr(f->value, '\r') && !strchr(f->value, '\n'));
	if (vlen) {
		ASSERT(f->value[0] != ' ' && f->value[0] != '\t');
		ASSERT(f->value[vlen - 1] != ' ' && f->value[vlen - 1] != '\t');
	}
	found = getk_headers_find(h, f->name, &pos);
	ASSERT(found != NULL && found <= f && pos <= i + 1);
	ASSERT(strcasecmp(found->name, f->name) == 0);
}

/* Whether two successful answers are the same. */
static void
check_same(const struct getk_headers *a, size_t ca,
    const struct getk_headers *b, size_t cb)
{
	size_t i;

	ASSERT(ca == cb && a->n == b->n);
	for (i = 0; i < a->n; i++) {
		ASSERT(strcmp(a->fields[i].name, b->fields[i].name) == 0);
		ASSERT(strcmp(a->fields[i].raw, b->fields[i].raw) == 0);
		ASSERT(strcmp(a->fields[i].value, b->fields[i].value) == 0);
	}
}

static int
in_list(char **list, size_t n, const char *box)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], box) == 0)
			return 1;
	return 0;
}

static void
check_recipients(const struct getk_headers *h)
{
	char **tocc = NULL, **bcc = NULL;
	size_t ntocc = 0, nbcc = 0, i;
	const char *why = NULL;
	enum getk_err err;

	err = getk_headers_recipients(h, &tocc, &ntocc, &bcc, &nbcc, &why);
	if (err != GETK_OK) {
		ASSERT(tocc == NULL && bcc == NULL && ntocc == 0 && nbcc == 0);
		ASSERT(err == GETK_ERR_NOMEM || (why != NULL && *why));
		return;
	}
	ASSERT(tocc && bcc && !tocc[ntocc] && !bcc[nbcc]);
	ASSERT(ntocc + nbcc <= GETK_MAX_ADDRESSES);
	for (i = 0; i < ntocc; i++) {
		ASSERT(getk_mailbox_check(tocc[i], strlen(tocc[i])) == NULL);
		ASSERT(!in_list(tocc, i, tocc[i]));
	}
	for (i = 0; i < nbcc; i++) {
		ASSERT(getk_mailbox_check(bcc[i], strlen(bcc[i])) == NULL);
		ASSERT(!in_list(bcc, i, bcc[i]));
		ASSERT(!in_list(tocc, ntocc, bcc[i]));
	}
	getk_strv_free(tocc);
	getk_strv_free(bcc);
}

/*
 * Feeds the SIZE bytes at BUF to a new reader in one piece (AT_EOF): the
 * section in *R_HEADERS (NULL while it goes on) and its length.
 */
static enum getk_err
parse_once(const char *buf, size_t size, int at_eof,
    struct getk_headers **r_headers, size_t *r_consumed, const char **r_why)
{
	struct getk_header_reader *rd = NULL;
	size_t used = 0, restlen = 0;
	int done = 0;
	enum getk_err err;

	*r_headers = NULL;
	*r_consumed = 0;
	*r_why = NULL;
	err = getk_header_reader_new(&rd);
	if (err)
		return err;
	err = getk_header_reader_feed(rd, buf, size, at_eof, &used, &done,
	    r_why);
	if (err == GETK_OK && done) {
		getk_header_reader_rest(rd, &restlen);
		ASSERT(restlen == 0);
		*r_headers = getk_header_reader_take(rd);
		ASSERT(getk_header_reader_take(rd) == NULL);
		*r_consumed = used;
	} else if (err == GETK_OK) {
		ASSERT(used == size && !at_eof);
	} else {
		ASSERT(used == 0);
	}
	getk_header_reader_free(rd);
	return err;
}

/*
 * Feeds the input in pieces whose sizes come from its own bytes, and
 * checks the answer against the one-piece answer ERR, H, CONSUMED, WHY.
 */
static void
check_pieces(const char *buf, size_t size, enum getk_err err,
    const struct getk_headers *h, size_t consumed, const char *why)
{
	struct getk_header_reader *rd = NULL;
	struct getk_headers *h2 = NULL;
	struct getk_buf body;
	size_t off = 0, used = 0, restlen, k = 0;
	const char *why2 = NULL, *rest;
	int done = 0;
	enum getk_err err2 = GETK_OK;

	if (getk_header_reader_new(&rd))
		return;
	getk_buf_init(&body, 0);
	do {
		size_t step = size ? (unsigned char)buf[k++ % size] % 61 + 1 : 1;
		size_t n = size - off < step ? size - off : step;

		err2 = getk_header_reader_feed(rd, buf + off, n, off + n == size,
		    &used, &done, &why2);
		if (err2 == GETK_OK && !done)
			ASSERT(used == n);
		if (err2 == GETK_OK && done) {
			rest = getk_header_reader_rest(rd, &restlen);
			if (getk_buf_add(&body, rest, restlen) ||
			    getk_buf_add(&body, buf + off + used, size - off - used))
				err2 = GETK_ERR_NOMEM;
			h2 = getk_header_reader_take(rd);
		}
		off += n;
	} while (err2 == GETK_OK && !done && off < size);
	if (err2 != GETK_ERR_NOMEM && err != GETK_ERR_NOMEM) {
		ASSERT(err2 == err);
		if (err == GETK_OK) {
			ASSERT(done && h2 != NULL);
			check_same(h, consumed, h2, consumed);
			ASSERT(body.len == size - consumed);
			ASSERT(body.len == 0 || memcmp(body.data, buf + consumed,
			    body.len) == 0);
		} else {
			ASSERT(why2 && strcmp(why, why2) == 0);
		}
	}
	getk_headers_free(h2);
	getk_buf_free(&body);
	getk_header_reader_free(rd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct getk_headers *h = NULL, *h2 = NULL, *h3 = NULL;
	size_t consumed = 0, c2 = 0, c3 = 0, i;
	const char *why = NULL, *why2 = NULL, *why3 = NULL;
	enum getk_err err, err2, err3;

	err = parse_once(buf, size, 1, &h, &consumed, &why);
	if (err == GETK_OK) {
		ASSERT(h != NULL && why == NULL);
		ASSERT(consumed <= size);
		ASSERT(consumed == size || buf[consumed - 1] == '\n');
		ASSERT(h->n <= GETK_MAX_HEADER_FIELDS);
		ASSERT((h->n == 0) == (h->fields == NULL));
		for (i = 0; i < h->n; i++)
			check_field(h, i);
		/* The header section alone reads the same. */
		err3 = parse_once(buf, consumed, 1, &h3, &c3, &why3);
		ASSERT(err3 == GETK_OK || err3 == GETK_ERR_NOMEM);
		if (err3 == GETK_OK)
			check_same(h, consumed, h3, c3);
		check_recipients(h);
	} else {
		ASSERT(err == GETK_ERR_SYNTAX || err == GETK_ERR_TOOBIG ||
		    err == GETK_ERR_NOMEM);
		ASSERT(h == NULL && consumed == 0);
		if (err != GETK_ERR_NOMEM)
			ASSERT(why != NULL && *why);
	}
	check_pieces(buf, size, err, h, consumed, why);

	/* Without EOF: not ended yet, or the same answer. */
	err2 = parse_once(buf, size, 0, &h2, &c2, &why2);
	if (err2 == GETK_OK && h2 == NULL) {
		ASSERT(c2 == 0 && why2 == NULL);
	} else if (err2 != GETK_ERR_NOMEM && err != GETK_ERR_NOMEM) {
		ASSERT(err2 == err);
		if (err == GETK_OK)
			check_same(h, consumed, h2, c2);
		else
			ASSERT(strcmp(why, why2) == 0);
	}

	getk_headers_free(h);
	getk_headers_free(h2);
	getk_headers_free(h3);
	return 0;
}
