/*
 * message.c: the header section of a message, read line by line as the
 * bytes are pushed in, and the recipients "sendmail -t" finds in it.
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

/* One line of the header section, without its line end. */
struct line {
	const char *p;	/* its text */
	size_t len;	/* the text's length */
};

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

/*
 * A header reader: the fields read so far, the one being read, and the
 * line that has not ended yet.
 */
struct getk_header_reader {
	struct getk_headers *h;	/* the fields read so far */
	size_t cap;		/* fields allocated in h->fields */
	int open;		/* a field is being read */
	size_t name_len;	/* its name's length: raw starts with it */
	size_t size;		/* its unfolded size so far */
	struct getk_buf raw;	/* its lines, each ending in CRLF */
	struct getk_buf body;	/* its body after the colon, unfolded */
	struct getk_buf line;	/* a line not ended yet; once done, the
				   bytes taken that start the body */
	size_t total;		/* bytes of the section's whole lines */
	int first;		/* no line read yet */
	int done;		/* the section has ended */
	enum getk_err err;	/* a refusal, for every later feed */
	const char *why;	/* its reason */
};

/* Moves the field being read, if any, to the list of fields. */
static enum getk_err
reader_finish(struct getk_header_reader *rd)
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
reader_add(struct getk_header_reader *rd, const struct line *ln, size_t body_start)
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

/* What one line does to the section. */
enum line_verdict {
	LINE_TAKEN,		/* it is part of the section, which goes on */
	LINE_ENDS_AFTER,	/* the empty line: part of it, and its end */
	LINE_ENDS_BEFORE	/* the body's first line: the section ended
				   before it */
};

/* Refuses the rest of the input with ERR and WHY. */
static enum getk_err
reader_refuse(struct getk_header_reader *rd, enum getk_err err,
    const char *why)
{
	rd->err = err;
	rd->why = why;
	return err;
}

/*
 * Takes one line of the input: the LEN bytes at P, without the LF that
 * ends it (a CR before it is dropped here).  *R_V says what the line did
 * to the section.
 */
static enum getk_err
reader_line(struct getk_header_reader *rd, const char *p, size_t len,
    enum line_verdict *r_v)
{
	struct line ln = { p, len };
	enum line_kind kind;
	size_t name_len;
	const char *why;
	enum getk_err err;
	int first = rd->first;

	*r_v = LINE_TAKEN;
	rd->first = 0;
	if (ln.len > 0 && ln.p[ln.len - 1] == '\r')
		ln.len--;
	if (first && is_from_line(&ln)) {
		if (memchr(ln.p, '\0', ln.len))
			return reader_refuse(rd, GETK_ERR_SYNTAX,
			    "NUL byte in header section");
		return GETK_OK;
	}
	kind = classify(&ln, &name_len);
	if (kind == KIND_EMPTY) {
		*r_v = LINE_ENDS_AFTER;
		return GETK_OK;
	}
	if (kind == KIND_OTHER && rd->open) {
		/* The body starts here, without an empty line. */
		*r_v = LINE_ENDS_BEFORE;
		return GETK_OK;
	}
	if ((kind == KIND_BAD || !rd->open) && kind != KIND_FIELD)
		return reader_refuse(rd, GETK_ERR_SYNTAX,
		    "malformed header line");
	why = line_check(&ln);
	if (why)
		return reader_refuse(rd, GETK_ERR_SYNTAX, why);
	if (kind == KIND_CONT) {
		if (ln.len > GETK_MAX_HEADER_FIELD - rd->size)
			return reader_refuse(rd, GETK_ERR_TOOBIG,
			    "header field longer than 1 MiB");
		rd->size += ln.len;
		err = reader_add(rd, &ln, 0);
	} else {
		err = reader_finish(rd);
		if (err)
			return reader_refuse(rd, err, NULL);
		if (rd->h->n >= GETK_MAX_HEADER_FIELDS)
			return reader_refuse(rd, GETK_ERR_TOOBIG,
			    "more than 10000 header fields");
		if (ln.len > GETK_MAX_HEADER_FIELD)
			return reader_refuse(rd, GETK_ERR_TOOBIG,
			    "header field longer than 1 MiB");
		rd->open = 1;
		rd->name_len = name_len;
		rd->size = ln.len;
		err = reader_add(rd, &ln, name_len + 1);
	}
	return err ? reader_refuse(rd, err, NULL) : GETK_OK;
}

/* Keeps the first LEN bytes of the pending line: the body's start. */
static void
reader_hold(struct getk_header_reader *rd, size_t len)
{
	rd->line.len = len;
	if (rd->line.data)
		rd->line.data[len] = '\0';
}

/* Ends the section: the field being read joins the others. */
static enum getk_err
reader_end(struct getk_header_reader *rd)
{
	enum getk_err err;

	err = reader_finish(rd);
	if (err)
		return reader_refuse(rd, err, NULL);
	rd->done = 1;
	return GETK_OK;
}

enum getk_err
getk_header_reader_new(struct getk_header_reader **r_rd)
{
	struct getk_header_reader *rd;

	*r_rd = NULL;
	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return GETK_ERR_NOMEM;
	rd->h = calloc(1, sizeof(*rd->h));
	if (!rd->h) {
		free(rd);
		return GETK_ERR_NOMEM;
	}
	getk_buf_init(&rd->raw, 0);
	getk_buf_init(&rd->body, 0);
	getk_buf_init(&rd->line, GETK_MAX_HEADER_SECTION);
	rd->first = 1;
	*r_rd = rd;
	return GETK_OK;
}

void
getk_header_reader_free(struct getk_header_reader *rd)
{
	if (!rd)
		return;
	getk_headers_free(rd->h);
	getk_buf_free(&rd->raw);
	getk_buf_free(&rd->body);
	getk_buf_free(&rd->line);
	free(rd);
}

enum getk_err
getk_header_reader_feed(struct getk_header_reader *rd, const char *buf,
    size_t len, int at_eof, size_t *r_used, int *r_done, const char **r_why)
{
	enum line_verdict v = LINE_TAKEN;
	size_t pos = 0, held = rd->line.len, tail = 0;
	enum getk_err err;

	*r_used = 0;
	*r_done = 0;
	*r_why = NULL;
	if (rd->err) {
		*r_why = rd->why;
		return rd->err;
	}
	if (rd->done)
		return GETK_ERR_INVAL;
	while (pos < len) {
		const char *lf = memchr(buf + pos, '\n', len - pos);
		size_t end = lf ? (size_t)(lf - buf) + 1 : len;

		/* Every line must end within the section's limit. */
		if (end - pos > GETK_MAX_HEADER_SECTION - rd->total -
		    rd->line.len) {
			err = reader_refuse(rd, GETK_ERR_TOOBIG,
			    "header section larger than 8 MiB");
			goto leave;
		}
		held = rd->line.len;
		tail = pos;
		if (!lf || held) {
			err = getk_buf_add(&rd->line, buf + pos, end - pos);
			if (err) {
				reader_refuse(rd, err, NULL);
				goto leave;
			}
		}
		if (!lf)
			break;
		if (held)
			err = reader_line(rd, rd->line.data, rd->line.len - 1,
			    &v);
		else
			err = reader_line(rd, buf + pos, end - pos - 1, &v);
		if (err)
			goto leave;
		if (v == LINE_ENDS_BEFORE) {
			/* What was held of the line starts the body. */
			reader_hold(rd, held);
			*r_used = pos;
			err = reader_end(rd);
			goto leave;
		}
		rd->total += held + (end - pos);
		reader_hold(rd, 0);
		pos = end;
		if (v == LINE_ENDS_AFTER) {
			*r_used = pos;
			err = reader_end(rd);
			goto leave;
		}
	}
	*r_used = len;
	if (!at_eof) {
		err = GETK_OK;
		goto leave;
	}
	/* The input ends in the section: the last line may lack its end,
	 * and the message has no body (unless that line starts it). */
	if (rd->line.len) {
		err = reader_line(rd, rd->line.data, rd->line.len, &v);
		if (err)
			goto leave;
		reader_hold(rd, v == LINE_ENDS_BEFORE ? held : 0);
		if (v == LINE_ENDS_BEFORE)
			*r_used = tail;
	}
	err = reader_end(rd);
leave:
	if (err) {
		*r_used = 0;
		*r_why = rd->why;
	}
	*r_done = rd->done;
	return err;
}

const char *
getk_header_reader_rest(const struct getk_header_reader *rd, size_t *r_len)
{
	*r_len = rd->done ? rd->line.len : 0;
	return rd->done && rd->line.data ? rd->line.data : "";
}

struct getk_headers *
getk_header_reader_take(struct getk_header_reader *rd)
{
	struct getk_headers *h;

	if (!rd->done)
		return NULL;
	h = rd->h;
	rd->h = NULL;
	return h;
}

enum getk_err
getk_headers_parse_whole(const char *buf, size_t len,
    struct getk_headers **r_headers, size_t *r_consumed, const char **r_why)
{
	struct getk_header_reader *rd = NULL;
	int done = 0;
	enum getk_err err;

	*r_headers = NULL;
	*r_consumed = 0;
	*r_why = NULL;
	err = getk_header_reader_new(&rd);
	if (!err)
		err = getk_header_reader_feed(rd, buf, len, 1, r_consumed, &done,
		    r_why);
	/* In one piece at the end of the input, the section has ended and
	 * nothing was held back. */
	if (!err)
		*r_headers = getk_header_reader_take(rd);
	getk_header_reader_free(rd);
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
