/*
 * passthrough.c: is the message OpenPGP ciphertext already?
 *
 * The header decides between the two forms that may pass (PGP/MIME and
 * inline, see passthrough.h) or none; then the body is read line by line
 * through one state machine, the armored block's lines go to codec.c's
 * strict armor reader and its octets to packet.c's message check.  Any
 * doubt ends in "no": a message wrongly thought to be clear text is only
 * encrypted once more, but one wrongly thought to be ciphertext goes out
 * in clear.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "codec.h"
#include "packet.h"
#include "passthrough.h"

/* Where the check is in the body. */
enum pt_state {
	PT_NO,			/* decided: not ciphertext */
	PT_INLINE_BEFORE,	/* inline: blank lines, then BEGIN */
	PT_INLINE_ARMOR,	/* inline: inside the armored block */
	PT_INLINE_AFTER,	/* inline: blank lines only */
	PT_PREAMBLE,		/* PGP/MIME: up to the first delimiter */
	PT_PART1_HEAD,		/* the header of the control part */
	PT_PART1_BODY,		/* its body: "Version: 1" */
	PT_PART2_HEAD,		/* the header of the data part */
	PT_PART2_BEFORE,	/* blank lines, then BEGIN */
	PT_PART2_ARMOR,		/* inside the armored block */
	PT_PART2_AFTER,		/* blank lines, then the close delimiter */
	PT_EPILOGUE		/* after the close delimiter */
};

/* What a body line is to the multipart: RFC 2046 5.1.1. */
enum delim_kind {
	DL_NONE,		/* not a boundary line */
	DL_DELIMITER,		/* "--BOUNDARY" */
	DL_CLOSE,		/* "--BOUNDARY--" */
	DL_AMBIGUOUS		/* starts with "--BOUNDARY" but is neither */
};

/* Longest boundary (RFC 2046 5.1.1) and parameter value kept. */
#define BOUNDARY_MAX 70
#define VALUE_MAX 128

struct getk_passthrough {
	enum pt_state state;
	const char *form;		/* "PGP/MIME" or "inline" */
	char boundary[BOUNDARY_MAX + 1];
	size_t blen;
	char line[GETK_PASSTHROUGH_MAX_LINE + 2];	/* and a CR */
	size_t nline;
	int overlong;			/* the line did not fit */
	unsigned long long lineno;	/* body lines seen */
	struct getk_buf head;		/* a part's header section */
	int version_seen;		/* "Version: 1" in the first part */
	int claims;			/* it looks like ciphertext */
	struct getk_armor_reader *armor;
	struct getk_packet_msg *msg;
	char why[200];
};

static void
pt_set_state(struct getk_passthrough *pt, enum pt_state s)
{
	pt->state = s;
}

static void pt_no(struct getk_passthrough *pt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Decides "not ciphertext", saying why. */
static void
pt_no(struct getk_passthrough *pt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pt->why, sizeof(pt->why), fmt, ap);
	va_end(ap);
	pt_set_state(pt, PT_NO);
}

/* --- Content-Type and Content-Transfer-Encoding ------------------------ */

/* The parts of a Content-Type field body that matter here. */
struct ctype {
	char type[VALUE_MAX];		/* "type/subtype", lower case */
	char boundary[BOUNDARY_MAX + 1];
	int has_boundary;
	char protocol[VALUE_MAX];
	int has_protocol;
};

static int
is_ws(int c)
{
	return c == ' ' || c == '\t';
}

/* RFC 2045 5.1: a token character (no tspecials, space or controls). */
static int
is_token(int c)
{
	return c > ' ' && c < 0x7f && !strchr("()<>@,;:\\\"/[]?=", c);
}

/* Reads a token at *IO_P into OUT (OUTSZ, lower-cased); 0 if none fits. */
static int
read_token(const char **io_p, char *out, size_t outsz)
{
	const char *p = *io_p;
	size_t n = 0;

	while (is_token((unsigned char)*p)) {
		if (n + 1 >= outsz)
			return 0;
		out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		p++;
	}
	out[n] = '\0';
	*io_p = p;
	return n > 0;
}

/* Reads a value (token or quoted-string) at *IO_P into OUT, as it is. */
static int
read_value(const char **io_p, char *out, size_t outsz)
{
	const char *p = *io_p;
	size_t n = 0;

	if (*p != '"') {
		while (is_token((unsigned char)*p)) {
			if (n + 1 >= outsz)
				return 0;
			out[n++] = *p++;
		}
		out[n] = '\0';
		*io_p = p;
		return n > 0;
	}
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		if (n + 1 >= outsz || (unsigned char)*p < ' ')
			return 0;
		out[n++] = *p;
	}
	if (*p != '"')
		return 0;
	out[n] = '\0';
	*io_p = p + 1;
	return 1;
}

/*
 * Parses a Content-Type field body (RFC 2045 5.1) into CT.  Comments,
 * RFC 2231 continuations of the parameters kept and repeated parameters
 * are refused: a reader that takes them otherwise could see another
 * boundary.  Zero when the field cannot be read.
 */
static int
parse_ctype(const char *v, struct ctype *ct)
{
	char type[VALUE_MAX / 2], sub[VALUE_MAX / 2];
	char name[VALUE_MAX], value[VALUE_MAX];
	const char *p = v;

	memset(ct, 0, sizeof(*ct));
	while (is_ws(*p))
		p++;
	if (!read_token(&p, type, sizeof(type)) || *p++ != '/' ||
	    !read_token(&p, sub, sizeof(sub)))
		return 0;
	snprintf(ct->type, sizeof(ct->type), "%s/%s", type, sub);
	for (;;) {
		while (is_ws(*p))
			p++;
		if (!*p)
			return 1;
		if (*p++ != ';')
			return 0;
		while (is_ws(*p))
			p++;
		if (!*p)
			return 1;
		if (!read_token(&p, name, sizeof(name)))
			return 0;
		while (is_ws(*p))
			p++;
		if (*p++ != '=')
			return 0;
		while (is_ws(*p))
			p++;
		if (!read_value(&p, value, sizeof(value)))
			return 0;
		if (strncmp(name, "boundary", 8) == 0 && (!name[8] ||
		    name[8] == '*')) {
			size_t n = strlen(value);

			if (ct->has_boundary || name[8] || n > BOUNDARY_MAX)
				return 0;
			memcpy(ct->boundary, value, n + 1);
			ct->has_boundary = 1;
		} else if (strncmp(name, "protocol", 8) == 0 && (!name[8] ||
		    name[8] == '*')) {
			if (ct->has_protocol || name[8])
				return 0;
			snprintf(ct->protocol, sizeof(ct->protocol), "%s", value);
			ct->has_protocol = 1;
		}
	}
}

/* RFC 2046 5.1.1: 1 to 70 bchars, the last not a space. */
static int
boundary_ok(const char *b)
{
	size_t n = strlen(b), i;

	if (n == 0 || n > BOUNDARY_MAX || b[n - 1] == ' ')
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)b[i];

		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
		    (c >= 'a' && c <= 'z') || strchr("'()+_,-./:=? ", c)))
			return 0;
	}
	return 1;
}

/*
 * Checks the Content-Type and Content-Transfer-Encoding fields of H: one
 * Content-Type at most, of WANT_TYPE when given (*CT is it, or its type
 * is "" when there is none), and an encoding that leaves the octets as
 * they are.  Zero with the reason given to PT when they fail; WHAT names
 * the header ("the header", "the first part").
 */
static int
check_fields(struct getk_passthrough *pt, const struct getk_headers *h,
    const char *what, const char *want_type, int allow_binary,
    struct ctype *ct)
{
	const struct getk_header *f, *ctf = NULL, *cte = NULL;
	size_t pos = 0, nct = 0, ncte = 0;

	memset(ct, 0, sizeof(*ct));
	while ((f = getk_headers_find(h, "Content-Type", &pos)) != NULL) {
		ctf = f;
		nct++;
	}
	pos = 0;
	while ((f = getk_headers_find(h, "Content-Transfer-Encoding",
	    &pos)) != NULL) {
		cte = f;
		ncte++;
	}
	if (nct > 1) {
		pt_no(pt, "%s has %zu Content-Type fields", what, nct);
		return 0;
	}
	if (ncte > 1) {
		pt_no(pt, "%s has %zu Content-Transfer-Encoding fields", what,
		    ncte);
		return 0;
	}
	if (cte && strcasecmp(cte->value, "7bit") != 0 &&
	    strcasecmp(cte->value, "8bit") != 0 &&
	    !(allow_binary && strcasecmp(cte->value, "binary") == 0)) {
		pt_no(pt, "%s has Content-Transfer-Encoding %.40s", what,
		    cte->value);
		return 0;
	}
	if (ctf && !parse_ctype(ctf->value, ct)) {
		pt_no(pt, "%s has a Content-Type field that cannot be read",
		    what);
		return 0;
	}
	if (want_type && strcmp(ct->type, want_type) != 0) {
		pt_no(pt, "%s is %.60s, not %s", what, ctf ? ct->type :
		    "without Content-Type", want_type);
		return 0;
	}
	return 1;
}

/* --- the check ---------------------------------------------------------- */

/* The armor reader's octets go to the message check. */
static enum getk_err
armor_out(void *arg, const unsigned char *p, size_t len)
{
	struct getk_passthrough *pt = arg;

	return getk_packet_msg_feed(pt->msg, p, len);
}

enum getk_err
getk_passthrough_new(const struct getk_headers *h,
    struct getk_passthrough **r_pt)
{
	struct getk_passthrough *pt;
	const struct getk_header *f;
	struct ctype ct;
	size_t pos = 0;
	enum getk_err err;

	*r_pt = NULL;
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return GETK_ERR_NOMEM;
	getk_buf_init(&pt->head, GETK_PASSTHROUGH_MAX_PART_HEADER);
	err = getk_armor_reader_new("PGP MESSAGE", armor_out, pt, &pt->armor);
	if (!err)
		err = getk_packet_msg_new(&pt->msg);
	if (err) {
		getk_passthrough_free(pt);
		return err;
	}
	*r_pt = pt;
	while ((f = getk_headers_find(h, "Content-Type", &pos)) != NULL)
		if (strncasecmp(f->value, "multipart/encrypted", 19) == 0)
			pt->claims = 1;
	if (!check_fields(pt, h, "the header", NULL, 1, &ct))
		return GETK_OK;
	if (!ct.type[0] || strcmp(ct.type, "text/plain") == 0) {
		/* Binary is no encoding for text (RFC 2045 6.2). */
		if (!check_fields(pt, h, "the header", NULL, 0, &ct))
			return GETK_OK;
		pt->form = "inline";
		pt_set_state(pt, PT_INLINE_BEFORE);
		return GETK_OK;
	}
	if (strcmp(ct.type, "multipart/encrypted") != 0) {
		pt_no(pt, "the message is %.60s, neither multipart/encrypted "
		    "nor text/plain", ct.type);
		return GETK_OK;
	}
	if (!ct.has_protocol ||
	    strcasecmp(ct.protocol, "application/pgp-encrypted") != 0) {
		pt_no(pt, "multipart/encrypted without "
		    "protocol=\"application/pgp-encrypted\"");
		return GETK_OK;
	}
	if (!ct.has_boundary || !boundary_ok(ct.boundary)) {
		pt_no(pt, "multipart/encrypted without a valid boundary");
		return GETK_OK;
	}
	memcpy(pt->boundary, ct.boundary, sizeof(pt->boundary));
	pt->blen = strlen(pt->boundary);
	pt->form = "PGP/MIME";
	pt_set_state(pt, PT_PREAMBLE);
	return GETK_OK;
}

void
getk_passthrough_free(struct getk_passthrough *pt)
{
	if (!pt)
		return;
	getk_buf_free(&pt->head);
	getk_armor_reader_free(pt->armor);
	getk_packet_msg_free(pt->msg);
	free(pt);
}

/* The line without its trailing white space (CR included). */
static size_t
trimmed(const char *line, size_t len)
{
	while (len > 0 && (is_ws(line[len - 1]) || line[len - 1] == '\r'))
		len--;
	return len;
}

static enum delim_kind
delim_kind(const struct getk_passthrough *pt, const char *line, size_t len)
{
	size_t n = pt->blen + 2;

	if (len < n || line[0] != '-' || line[1] != '-' ||
	    memcmp(line + 2, pt->boundary, pt->blen) != 0)
		return DL_NONE;
	len = trimmed(line, len);
	if (len == n)
		return DL_DELIMITER;
	if (len == n + 2 && line[n] == '-' && line[n + 1] == '-')
		return DL_CLOSE;
	return DL_AMBIGUOUS;
}

/* Feeds a line of the armored block; PART2 says where it is. */
static void
armor_line(struct getk_passthrough *pt, const char *line, size_t len,
    int part2)
{
	enum getk_err err;

	if (pt->overlong) {
		pt_no(pt, "body line %llu is longer than %d octets", pt->lineno,
		    GETK_PASSTHROUGH_MAX_LINE);
		return;
	}
	err = getk_armor_reader_line(pt->armor, line, len);
	if (err && getk_packet_msg_why(pt->msg)) {
		pt_no(pt, "the PGP MESSAGE block is no encrypted message: %s",
		    getk_packet_msg_why(pt->msg));
		return;
	}
	if (err) {
		pt_no(pt, "body line %llu: %s", pt->lineno, pt->state ==
		    PT_INLINE_BEFORE || pt->state == PT_PART2_BEFORE ?
		    "not blank and not -----BEGIN PGP MESSAGE-----" :
		    "the PGP MESSAGE block is malformed here");
		return;
	}
	if (pt->state == PT_INLINE_BEFORE || pt->state == PT_PART2_BEFORE)
		pt_set_state(pt, part2 ? PT_PART2_ARMOR : PT_INLINE_ARMOR);
	if (!getk_armor_reader_done(pt->armor))
		return;
	if (getk_packet_msg_end(pt->msg) != GETK_OK) {
		pt_no(pt, "the PGP MESSAGE block is no encrypted message: %s",
		    getk_packet_msg_why(pt->msg));
		return;
	}
	pt_set_state(pt, part2 ? PT_PART2_AFTER : PT_INLINE_AFTER);
}

/*
 * A part's header line (without its line end), or the empty line that
 * ends the section: then the section is checked against WANT_TYPE.
 */
static void
part_header_line(struct getk_passthrough *pt, const char *line, size_t len,
    const char *what, const char *want_type, enum pt_state next)
{
	struct getk_headers *h = NULL;
	struct ctype ct;
	const char *why;
	size_t consumed = 0;

	if (pt->overlong) {
		pt_no(pt, "%s has a header line longer than %d octets", what,
		    GETK_PASSTHROUGH_MAX_LINE);
		return;
	}
	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (getk_buf_add(&pt->head, line, len) ||
	    getk_buf_add(&pt->head, "\n", 1)) {
		pt_no(pt, "%s has a header over %d octets", what,
		    GETK_PASSTHROUGH_MAX_PART_HEADER);
		return;
	}
	if (len > 0)
		return;
	/* The whole section must be fields; no "From " line either. */
	if (pt->head.len == 1 || strncmp(pt->head.data, "From ", 5) == 0 ||
	    getk_headers_parse_whole(pt->head.data, pt->head.len, &h,
	    &consumed, &why) != GETK_OK || consumed != pt->head.len) {
		pt_no(pt, "%s has no header, or one that cannot be read", what);
	} else if (check_fields(pt, h, what, want_type, 0, &ct)) {
		pt_set_state(pt, next);
	}
	getk_headers_free(h);
	getk_buf_free(&pt->head);
	getk_buf_init(&pt->head, GETK_PASSTHROUGH_MAX_PART_HEADER);
}

/* Non-zero when the line holds white space only. */
static int
blank(const char *line, size_t len)
{
	return trimmed(line, len) == 0;
}

/* One body line, without its LF. */
static void
pt_line(struct getk_passthrough *pt, const char *line, size_t len)
{
	enum delim_kind k = DL_NONE;

	pt->lineno++;
	/* The states from PT_PREAMBLE on are those of a multipart. */
	if (pt->state >= PT_PREAMBLE)
		k = delim_kind(pt, line, len);
	if (k == DL_AMBIGUOUS) {
		pt_no(pt, "body line %llu starts with the boundary but is no "
		    "delimiter", pt->lineno);
		return;
	}
	switch (pt->state) {
	case PT_NO:
		return;
	case PT_INLINE_BEFORE:
		if (blank(line, len))
			return;
		if (len >= 22 && memcmp(line, "-----BEGIN PGP MESSAGE", 22) == 0)
			pt->claims = 1;
		armor_line(pt, line, len, 0);
		return;
	case PT_INLINE_ARMOR:
		armor_line(pt, line, len, 0);
		return;
	case PT_INLINE_AFTER:
		if (!blank(line, len))
			pt_no(pt, "body line %llu: text after the PGP MESSAGE "
			    "block", pt->lineno);
		return;
	case PT_PREAMBLE:
		if (k == DL_DELIMITER)
			pt_set_state(pt, PT_PART1_HEAD);
		else if (k == DL_CLOSE)
			pt_no(pt, "the multipart has no parts");
		return;
	case PT_PART1_HEAD:
	case PT_PART2_HEAD:
		if (k != DL_NONE) {
			pt_no(pt, "body line %llu: a delimiter inside a part "
			    "header", pt->lineno);
			return;
		}
		if (pt->state == PT_PART1_HEAD)
			part_header_line(pt, line, len, "the first part",
			    "application/pgp-encrypted", PT_PART1_BODY);
		else
			part_header_line(pt, line, len, "the second part",
			    "application/octet-stream", PT_PART2_BEFORE);
		return;
	case PT_PART1_BODY:
		if (k == DL_DELIMITER && pt->version_seen)
			pt_set_state(pt, PT_PART2_HEAD);
		else if (k != DL_NONE)
			pt_no(pt, "the first part lacks \"Version: 1\", or the "
			    "second part is missing");
		else if (!pt->version_seen && !pt->overlong &&
		    trimmed(line, len) == 10 && memcmp(line, "Version: 1",
		    10) == 0)
			pt->version_seen = 1;
		else if (!blank(line, len) || pt->overlong)
			pt_no(pt, "body line %llu: the first part holds more "
			    "than \"Version: 1\"", pt->lineno);
		return;
	case PT_PART2_BEFORE:
		if (k != DL_NONE)
			pt_no(pt, "the second part holds no PGP MESSAGE block");
		else if (!blank(line, len))
			armor_line(pt, line, len, 1);
		return;
	case PT_PART2_ARMOR:
		if (k != DL_NONE)
			pt_no(pt, "body line %llu: a delimiter inside the PGP "
			    "MESSAGE block", pt->lineno);
		else
			armor_line(pt, line, len, 1);
		return;
	case PT_PART2_AFTER:
		if (k == DL_CLOSE)
			pt_set_state(pt, PT_EPILOGUE);
		else if (k == DL_DELIMITER)
			pt_no(pt, "the multipart has a third part");
		else if (!blank(line, len))
			pt_no(pt, "body line %llu: text after the PGP MESSAGE "
			    "block", pt->lineno);
		return;
	case PT_EPILOGUE:
		if (k != DL_NONE)
			pt_no(pt, "body line %llu: a delimiter after the close "
			    "delimiter", pt->lineno);
		return;
	}
}

void
getk_passthrough_feed(struct getk_passthrough *pt, const char *p,
    size_t len)
{
	const char *nl;
	size_t n;

	while (len > 0 && pt->state != PT_NO) {
		nl = memchr(p, '\n', len);
		n = nl ? (size_t)(nl - p) : len;
		if (n > sizeof(pt->line) - pt->nline) {
			memcpy(pt->line + pt->nline, p,
			    sizeof(pt->line) - pt->nline);
			pt->nline = sizeof(pt->line);
			pt->overlong = 1;
		} else {
			memcpy(pt->line + pt->nline, p, n);
			pt->nline += n;
		}
		if (!nl)
			return;
		/* A line of the maximum and its CR still fits. */
		if (pt->nline > GETK_PASSTHROUGH_MAX_LINE + 1 ||
		    (pt->nline == GETK_PASSTHROUGH_MAX_LINE + 1 &&
		    pt->line[pt->nline - 1] != '\r'))
			pt->overlong = 1;
		pt_line(pt, pt->line, pt->nline);
		pt->nline = 0;
		pt->overlong = 0;
		p = nl + 1;
		len -= n + 1;
	}
}

int
getk_passthrough_end(struct getk_passthrough *pt, const char **r_why)
{
	/* A last line without its line end is a line too. */
	if (pt->state != PT_NO && (pt->nline || pt->overlong)) {
		if (pt->nline > GETK_PASSTHROUGH_MAX_LINE)
			pt->overlong = 1;
		pt_line(pt, pt->line, pt->nline);
		pt->nline = 0;
	}
	switch (pt->state) {
	case PT_INLINE_AFTER:
	case PT_EPILOGUE:
		*r_why = pt->form;
		return 1;
	case PT_NO:
		break;
	case PT_INLINE_BEFORE:
		pt_no(pt, "the body holds no PGP MESSAGE block");
		break;
	case PT_INLINE_ARMOR:
	case PT_PART2_ARMOR:
		pt_no(pt, "the PGP MESSAGE block has no END line");
		break;
	default:
		pt_no(pt, "the multipart has no close delimiter after its two "
		    "parts");
		break;
	}
	*r_why = pt->why;
	return 0;
}

int
getk_passthrough_claims(const struct getk_passthrough *pt)
{
	return pt->claims;
}
