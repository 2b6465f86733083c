/*
 * message.c: the header section of a message, read line by line, and the
 * recipients "sendmail -t" finds in it.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"
#include "message.h"

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* One line of the input. */
struct line {
	const char *p;	/* its text, without the line end */
	size_t len;	/* the text's length */
	size_t next;	/* the offset of the next line */
};

enum line_status {
	LINE_OK,	/* a line was read */
	LINE_EOF,	/* no more input, and there will be none */
	LINE_MORE,	/* the line is not complete yet */
	LINE_TOOBIG	/* the line ends past GETK_MAX_HEADER_SECTION */
};

/*
 * Reads the line at offset POS of BUF into *LN.  Its end is LF or CRLF;
 * at the end of the input (AT_EOF), the last line may lack it, or have a
 * lone CR, which is taken as its end.
 */
static enum line_status
next_line(const char *buf, size_t len, size_t pos, int at_eof,
    struct line *ln)
{
	size_t lim;
	const char *lf = NULL;

	if (pos >= len)
		return at_eof ? LINE_EOF : LINE_MORE;
	lim = len < GETK_MAX_HEADER_SECTION ? len : GETK_MAX_HEADER_SECTION;
	if (pos < lim)
		lf = memchr(buf + pos, '\n', lim - pos);
	ln->p = buf + pos;
	if (lf) {
		ln->len = (size_t)(lf - ln->p);
		ln->next = (size_t)(lf - buf) + 1;
	} else {
		/* More bytes than the limit, yet no line end within it. */
		if (len > lim)
			return LINE_TOOBIG;
		if (!at_eof)
			return LINE_MORE;
		ln->len = len - pos;
		ln->next = len;
	}
	if (ln->len > 0 && ln->p[ln->len - 1] == '\r')
		ln->len--;
	return LINE_OK;
}

/* What a line of the header section is. */
enum line_kind {
	KIND_EMPTY,	/* the empty line that ends the section */
	KIND_FIELD,	/* the first line of a field */
	KIND_CONT,	/* a continuation line (starts with white space) */
	KIND_BAD,	/* a malformed field: refused */
	KIND_OTHER	/* anything else: the body's first line */
};

/*
 * Classifies LN; for a field, *R_NAME_LEN is the length of its name.
 * The name is what sendmail would see, so that a line we take for the
 * body is no field to sendmail either, and a field with white space
 * before its colon, which some readers take as a field and some do not,
 * is refused.
 */
static enum line_kind
classify(const struct line *ln, size_t *r_name_len)
{
	size_t i, j;

	*r_name_len = 0;
	if (ln->len == 0)
		return KIND_EMPTY;
	if (is_wsp(ln->p[0]))
		return KIND_CONT;
	for (i = 0; i < ln->len; i++) {
		unsigned char c = (unsigned char)ln->p[i];

		if (c < 33 || c > 126 || c == ':')
			break;
	}
	if (i < ln->len && ln->p[i] == ':') {
		if (i == 0)
			return KIND_BAD;
		*r_name_len = i;
		return KIND_FIELD;
	}
	for (j = i; j < ln->len && is_wsp(ln->p[j]); j++)
		continue;
	if (j > i && j < ln->len && ln->p[j] == ':')
		return KIND_BAD;
	return KIND_OTHER;
}

/*
 * The mbox "From " line some programs put before the header: "From "
 * but not "From :", which is a (malformed) field.
 */
static int
is_from_line(const struct line *ln)
{
	size_t i;

	if (ln->len < 5 || memcmp(ln->p, "From ", 5) != 0)
		return 0;
	for (i = 4; i < ln->len && is_wsp(ln->p[i]); i++)
		continue;
	return i >= ln->len || ln->p[i] != ':';
}

/* The state of getk_headers_parse(): the fields and the one being read. */
struct reader {
	struct getk_headers *h;	/* the fields read so far */
	size_t cap;		/* fields allocated in h->fields */
	int open;		/* a field is being read */
	size_t name_len;	/* its name's length: raw starts with it */
	size_t size;		/* its unfolded size so far */
	struct getk_buf raw;	/* its lines, each ending in CRLF */
	struct getk_buf body;	/* its body after the colon, unfolded */
};

/* Moves the field being read, if any, to the list of fields. */
static enum getk_err
reader_finish(struct reader *rd)
{
	struct getk_header f = { NULL, NULL, NULL };
	const char *start, *end;
	enum getk_err err;

	if (!rd->open)
		return GETK_OK;
	if (rd->h->n == rd->cap) {
		size_t cap = rd->cap ? rd->cap * 2 : 16;
		struct getk_header *v;

		v = realloc(rd->h->fields, cap * sizeof(*v));
		if (!v) {
			err = GETK_ERR_NOMEM;
			goto leave;
		}
		rd->h->fields = v;
		rd->cap = cap;
	}
	f.name = malloc(rd->name_len + 1);
	if (!f.name) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	memcpy(f.name, rd->raw.data, rd->name_len);
	f.name[rd->name_len] = '\0';
	start = rd->body.data ? rd->body.data : "";
	end = start + rd->body.len;
	while (start < end && is_wsp(*start))
		start++;
	while (end > start && is_wsp(end[-1]))
		end--;
	f.value = malloc((size_t)(end - start) + 1);
	if (!f.value) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	memcpy(f.value, start, (size_t)(end - start));
	f.value[end - start] = '\0';
	f.raw = getk_buf_take(&rd->raw, NULL);
	if (!f.raw) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	rd->h->fields[rd->h->n++] = f;
	f.name = f.value = f.raw = NULL;
	rd->open = 0;
	rd->body.len = 0;
	if (rd->body.data)
		rd->body.data[0] = '\0';
	err = GETK_OK;
leave:
	free(f.name);
	free(f.value);
	free(f.raw);
	return err;
}

/* Appends the line LN, ended with CRLF, to the field being read. */
static enum getk_err
reader_add(struct reader *rd, const struct line *ln, size_t body_start)
{
	enum getk_err err;

	err = getk_buf_add(&rd->raw, ln->p, ln->len);
	if (!err)
		err = getk_buf_add(&rd->raw, "\r\n", 2);
	if (!err)
		err = getk_buf_add(&rd->body, ln->p + body_start,
		    ln->len - body_start);
	return err;
}

/* Checks the bytes of a line that belongs to the section. */
static const char *
line_check(const struct line *ln)
{
	if (memchr(ln->p, '\0', ln->len))
		return "NUL byte in header section";
	if (memchr(ln->p, '\r', ln->len))
		return "bare CR in header section";
	return NULL;
}

enum getk_err
getk_headers_parse(const char *buf, size_t len, int at_eof,
    struct getk_headers **r_headers, size_t *r_consumed, const char **r_why)
{
	struct reader rd;
	struct line ln;
	size_t pos = 0, consumed = 0, name_len;
	enum line_status st;
	enum line_kind kind;
	enum getk_err err;
	const char *why;

	*r_headers = NULL;
	*r_consumed = 0;
	*r_why = NULL;
	memset(&rd, 0, sizeof(rd));
	getk_buf_init(&rd.raw, 0);
	getk_buf_init(&rd.body, 0);
	rd.h = calloc(1, sizeof(*rd.h));
	if (!rd.h) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (;;) {
		st = next_line(buf, len, pos, at_eof, &ln);
		if (st == LINE_MORE) {
			/* Need more data: OK, no headers, nothing consumed. */
			getk_headers_free(rd.h);
			rd.h = NULL;
			err = GETK_OK;
			goto leave;
		}
		if (st == LINE_TOOBIG) {
			*r_why = "header section larger than 8 MiB";
			err = GETK_ERR_TOOBIG;
			goto leave;
		}
		if (st == LINE_EOF) {
			consumed = len;
			break;
		}
		if (pos == 0 && is_from_line(&ln)) {
			if (memchr(ln.p, '\0', ln.len)) {
				*r_why = "NUL byte in header section";
				err = GETK_ERR_SYNTAX;
				goto leave;
			}
			pos = ln.next;
			continue;
		}
		kind = classify(&ln, &name_len);
		if (kind == KIND_EMPTY) {
			consumed = ln.next;
			break;
		}
		if (kind == KIND_OTHER && rd.open) {
			/* The body starts here, without an empty line. */
			consumed = pos;
			break;
		}
		if (kind == KIND_BAD || !rd.open) {
			if (kind != KIND_FIELD) {
				*r_why = "malformed header line";
				err = GETK_ERR_SYNTAX;
				goto leave;
			}
		}
		why = line_check(&ln);
		if (why) {
			*r_why = why;
			err = GETK_ERR_SYNTAX;
			goto leave;
		}
		if (kind == KIND_CONT) {
			if (ln.len > GETK_MAX_HEADER_FIELD - rd.size) {
				*r_why = "header field longer than 1 MiB";
				err = GETK_ERR_TOOBIG;
				goto leave;
			}
			rd.size += ln.len;
			err = reader_add(&rd, &ln, 0);
			if (err)
				goto leave;
		} else {
			err = reader_finish(&rd);
			if (err)
				goto leave;
			if (rd.h->n >= GETK_MAX_HEADER_FIELDS) {
				*r_why = "more than 10000 header fields";
				err = GETK_ERR_TOOBIG;
				goto leave;
			}
			if (ln.len > GETK_MAX_HEADER_FIELD) {
				*r_why = "header field longer than 1 MiB";
				err = GETK_ERR_TOOBIG;
				goto leave;
			}
			rd.open = 1;
			rd.name_len = name_len;
			rd.size = ln.len;
			err = reader_add(&rd, &ln, name_len + 1);
			if (err)
				goto leave;
		}
		pos = ln.next;
	}
	err = reader_finish(&rd);
	if (err)
		goto leave;
	*r_headers = rd.h;
	rd.h = NULL;
	*r_consumed = consumed;
leave:
	getk_headers_free(rd.h);
	getk_buf_free(&rd.raw);
	getk_buf_free(&rd.body);
	return err;
}

const struct getk_header *
getk_headers_find(const struct getk_headers *h, const char *name,
    size_t *io_pos)
{
	size_t i;

	if (!h)
		return NULL;
	for (i = *io_pos; i < h->n; i++) {
		if (strcasecmp(h->fields[i].name, name) == 0) {
			*io_pos = i + 1;
			return &h->fields[i];
		}
	}
	*io_pos = h->n;
	return NULL;
}

void
getk_headers_free(struct getk_headers *h)
{
	size_t i;

	if (!h)
		return;
	for (i = 0; i < h->n; i++) {
		free(h->fields[i].name);
		free(h->fields[i].raw);
		free(h->fields[i].value);
	}
	free(h->fields);
	free(h);
}

/* A growing NULL-terminated array of mailboxes. */
struct rcpts {
	char **v;	/* the mailboxes and a NULL */
	size_t n;	/* mailboxes in v */
	size_t cap;	/* slots allocated in v */
};

static enum getk_err
rcpts_init(struct rcpts *r)
{
	r->n = 0;
	r->cap = 8;
	r->v = calloc(r->cap, sizeof(*r->v));
	return r->v ? GETK_OK : GETK_ERR_NOMEM;
}

/* Appends a copy of MAILBOX. */
static enum getk_err
rcpts_add(struct rcpts *r, const char *mailbox)
{
	char *copy;

	if (r->n + 2 > r->cap) {
		size_t cap = r->cap * 2;
		char **v = realloc(r->v, cap * sizeof(*v));

		if (!v)
			return GETK_ERR_NOMEM;
		r->v = v;
		r->cap = cap;
	}
	copy = strdup(mailbox);
	if (!copy)
		return GETK_ERR_NOMEM;
	r->v[r->n++] = copy;
	r->v[r->n] = NULL;
	return GETK_OK;
}

/*
 * Whether two normalised mailboxes are the same recipient: the local
 * part exactly, the domain ASCII case-insensitively.
 */
static int
same_mailbox(const char *a, const char *b)
{
	const char *da = strrchr(a, '@'), *db = strrchr(b, '@');

	if (!da || !db || da - a != db - b)
		return 0;
	return memcmp(a, b, (size_t)(da - a)) == 0 &&
	    strcasecmp(da, db) == 0;
}

static int
rcpts_has(const struct rcpts *r, const char *mailbox)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (same_mailbox(r->v[i], mailbox))
			return 1;
	return 0;
}

static int
is_resent(const char *name)
{
	return strncasecmp(name, "Resent-", 7) == 0;
}

static int
is_resent_dest(const char *name)
{
	return strcasecmp(name, "Resent-To") == 0 ||
	    strcasecmp(name, "Resent-Cc") == 0 ||
	    strcasecmp(name, "Resent-Bcc") == 0;
}

enum getk_err
getk_headers_recipients(const struct getk_headers *h, char ***r_to_cc,
    size_t *r_ntocc, char ***r_bcc, size_t *r_nbcc, const char **r_why)
{
	struct rcpts tocc = { NULL, 0, 0 }, bcc = { NULL, 0, 0 };
	const char *to_name = "To", *cc_name = "Cc", *bcc_name = "Bcc";
	char **boxes = NULL;
	size_t begin, end, first, i, k, nboxes, nread = 0;
	int pass;
	enum getk_err err;

	*r_to_cc = NULL;
	*r_ntocc = 0;
	*r_bcc = NULL;
	*r_nbcc = 0;
	*r_why = NULL;
	if (!h) {
		*r_why = "no header";
		err = GETK_ERR_INVAL;
		goto leave;
	}
	err = rcpts_init(&tocc);
	if (!err)
		err = rcpts_init(&bcc);
	if (err)
		goto leave;

	/* The fields to read: all, or the first Resent- block's. */
	begin = 0;
	end = h->n;
	for (first = 0; first < h->n; first++)
		if (is_resent_dest(h->fields[first].name))
			break;
	if (first < h->n) {
		begin = first;
		while (begin > 0 && is_resent(h->fields[begin - 1].name))
			begin--;
		end = first;
		while (end < h->n && is_resent(h->fields[end].name))
			end++;
		to_name = "Resent-To";
		cc_name = "Resent-Cc";
		bcc_name = "Resent-Bcc";
	}

	/* To and Cc first, so that Bcc ones already there can be left out. */
	for (pass = 0; pass < 2; pass++) {
		for (i = begin; i < end; i++) {
			const struct getk_header *f = &h->fields[i];
			struct rcpts *into = pass == 0 ? &tocc : &bcc;

			if (pass == 0 && strcasecmp(f->name, to_name) != 0 &&
			    strcasecmp(f->name, cc_name) != 0)
				continue;
			if (pass == 1 && strcasecmp(f->name, bcc_name) != 0)
				continue;
			err = getk_addrlist_parse(f->value, strlen(f->value),
			    &boxes, &nboxes, r_why);
			if (err)
				goto leave;
			nread += nboxes;
			if (nread > GETK_MAX_HEADER_ADDRESSES) {
				*r_why = "more than 10000 addresses in the "
				    "recipient fields";
				err = GETK_ERR_TOOBIG;
				goto leave;
			}
			for (k = 0; k < nboxes; k++) {
				if (rcpts_has(&tocc, boxes[k]) ||
				    rcpts_has(&bcc, boxes[k]))
					continue;
				if (tocc.n + bcc.n >= GETK_MAX_ADDRESSES) {
					*r_why = "more than 1000 recipients";
					err = GETK_ERR_TOOBIG;
					goto leave;
				}
				err = rcpts_add(into, boxes[k]);
				if (err)
					goto leave;
			}
			getk_strv_free(boxes);
			boxes = NULL;
		}
	}
	*r_to_cc = tocc.v;
	*r_ntocc = tocc.n;
	tocc.v = NULL;
	*r_bcc = bcc.v;
	*r_nbcc = bcc.n;
	bcc.v = NULL;
	err = GETK_OK;
leave:
	getk_strv_free(boxes);
	getk_strv_free(tocc.v);
	getk_strv_free(bcc.v);
	return err;
}
