/*
 * codec.c: strict base64, OpenPGP ASCII armor, printable text.
 *
 * The armor reader is strict on purpose: what a WKD server sends, and
 * what a message claims to be, is untrusted, and a block that arrives
 * mangled is better refused than guessed at.  It decodes base64 as the
 * lines come, four characters at a time, so it keeps no more than three
 * characters and one line's worth of octets, whatever the block's size.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Decodes one group of four base64 characters at Q into *R_N (1 to 3)
 * octets at OUT.  '=' may only end the group (one or two of them), and
 * the bits that padding leaves unused must be zero.  GETK_ERR_SYNTAX.
 */
static enum getk_err
decode_group(const char *q, unsigned char out[3], size_t *r_n)
{
	int v[4], k, pad = 0;
	unsigned long n;

	for (k = 0; k < 4; k++) {
		unsigned char c = (unsigned char)q[k];

		if (c == '=') {
			if (k < 2)
				return GETK_ERR_SYNTAX;
			pad++;
			v[k] = 0;
			continue;
		}
		if (pad)
			return GETK_ERR_SYNTAX;
		v[k] = b64val(c);
		if (v[k] < 0)
			return GETK_ERR_SYNTAX;
	}
	n = ((unsigned long)v[0] << 18) | ((unsigned long)v[1] << 12) |
	    ((unsigned long)v[2] << 6) | (unsigned long)v[3];
	/* Non-canonical encodings (stray low bits) are refused. */
	if ((pad == 1 && (n & 0xff)) || (pad == 2 && (n & 0xffff)))
		return GETK_ERR_SYNTAX;
	out[0] = (unsigned char)(n >> 16);
	out[1] = (unsigned char)(n >> 8);
	out[2] = (unsigned char)n;
	*r_n = 3 - (size_t)pad;
	return GETK_OK;
}

enum getk_err
getk_base64_decode(const char *in, size_t len, struct getk_buf *out)
{
	unsigned char bytes[3];
	size_t i, n;
	enum getk_err err;

	if (len % 4)
		return GETK_ERR_SYNTAX;
	for (i = 0; i < len; i += 4) {
		err = decode_group(in + i, bytes, &n);
		/* Padding only in the last group. */
		if (!err && n < 3 && i + 4 != len)
			err = GETK_ERR_SYNTAX;
		if (!err)
			err = getk_buf_add(out, bytes, n);
		if (err)
			return err;
	}
	return GETK_OK;
}

/* Writes the base64 of the N whole groups of three octets at IN to Q. */
static char *
encode_groups(const unsigned char *in, size_t n, char *q)
{
	for (; n; n--, in += 3, q += 4) {
		unsigned long v = (unsigned long)in[0] << 16 |
		    (unsigned long)in[1] << 8 | in[2];

		q[0] = b64chars[v >> 18];
		q[1] = b64chars[(v >> 12) & 63];
		q[2] = b64chars[(v >> 6) & 63];
		q[3] = b64chars[v & 63];
	}
	return q;
}

enum getk_err
getk_base64_encode(const unsigned char *in, size_t len, size_t wrap,
    struct getk_buf *out)
{
	size_t groups = len / 3, rest = len % 3, quads = (len + 2) / 3;
	size_t need = quads * 4, per_line;
	enum getk_err err;
	char *q;

	/* The whole text at once: one check of the limit, no growing.  A
	 * line holds whole groups: WRAP rounded up to a multiple of 4. */
	per_line = wrap ? (wrap + 3) / 4 : groups + 1;
	if (wrap && len)
		need += (quads + per_line - 1) / per_line;
	err = getk_buf_reserve(out, need);
	if (err)
		return err;
	q = out->data + out->len;
	while (groups) {
		size_t n = groups < per_line ? groups : per_line;

		q = encode_groups(in, n, q);
		in += 3 * n;
		groups -= n;
		if (wrap && n == per_line && (groups || rest))
			*q++ = '\n';
	}
	if (rest) {
		unsigned long v = (unsigned long)in[0] << 16;

		if (rest > 1)
			v |= (unsigned long)in[1] << 8;
		*q++ = b64chars[v >> 18];
		*q++ = b64chars[(v >> 12) & 63];
		*q++ = rest > 1 ? b64chars[(v >> 6) & 63] : '=';
		*q++ = '=';
	}
	if (wrap && len)
		*q++ = '\n';
	out->len = (size_t)(q - out->data);
	out->data[out->len] = '\0';
	return GETK_OK;
}

/* The CRC-24 of RFC 4880 6.1 before any data. */
#define CRC24_INIT 0xB704CEUL

/* CRC, the CRC-24 so far, carried on over LEN more bytes at P. */
static unsigned long
crc24_update(unsigned long crc, const unsigned char *p, size_t len)
{
	size_t i;
	int k;

	for (i = 0; i < len; i++) {
		crc ^= (unsigned long)p[i] << 16;
		for (k = 0; k < 8; k++) {
			crc <<= 1;
			if (crc & 0x1000000UL)
				crc ^= 0x1864CFBUL;
		}
	}
	return crc & 0xFFFFFFUL;
}

unsigned long
getk_crc24(const unsigned char *p, size_t len)
{
	return crc24_update(CRC24_INIT, p, len);
}

enum getk_err
getk_armor_pubkey(const unsigned char *key, size_t len, struct getk_buf *out)
{
	unsigned long crc = getk_crc24(key, len);
	unsigned char c[3];
	enum getk_err err;

	c[0] = (unsigned char)(crc >> 16);
	c[1] = (unsigned char)(crc >> 8);
	c[2] = (unsigned char)crc;
	err = getk_buf_adds(out, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n");
	if (!err)
		err = getk_base64_encode(key, len, 64, out);
	if (!err)
		err = getk_buf_adds(out, "=");
	if (!err)
		err = getk_base64_encode(c, 3, 0, out);
	if (!err)
		err = getk_buf_adds(out, "\n-----END PGP PUBLIC KEY BLOCK-----\n");
	return err;
}

char *
getk_printable(char *out, size_t outsz, const char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else if (c == '\\') {
			if (o + 2 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = '\\';
		} else {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return out;
}

/* Where an armor reader is in its block. */
enum armor_state {
	AR_BEGIN,	/* expecting the BEGIN line */
	AR_HEADERS,	/* armor headers, up to a blank line */
	AR_DATA,	/* base64 lines, the checksum line or END */
	AR_CRC,		/* after the checksum line: END */
	AR_DONE,	/* the END line was read */
	AR_FAILED	/* an error was returned; spent */
};

/* Octets decoded before they are handed on. */
#define ARMOR_OUT 768

struct getk_armor_reader {
	enum armor_state state;
	char begin[80];			/* "-----BEGIN LABEL-----" */
	char end[80];			/* "-----END LABEL-----" */
	getk_armor_fn fn;
	void *arg;
	char group[4];			/* base64 characters of a group */
	size_t ngroup;
	int padded;			/* a group with padding was read */
	unsigned long crc;		/* CRC-24 of the data so far */
	unsigned long long octets;	/* data octets so far */
	char want_crc[4];		/* the checksum line's characters */
	int have_crc;
	unsigned char out[ARMOR_OUT];	/* decoded, not yet handed on */
	size_t nout;
};

static void
armor_set_state(struct getk_armor_reader *r, enum armor_state s)
{
	r->state = s;
}

enum getk_err
getk_armor_reader_new(const char *label, getk_armor_fn fn, void *arg,
    struct getk_armor_reader **r_reader)
{
	struct getk_armor_reader *r;

	*r_reader = NULL;
	if (strlen(label) > 60)
		return GETK_ERR_INVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return GETK_ERR_NOMEM;
	snprintf(r->begin, sizeof(r->begin), "-----BEGIN %s-----", label);
	snprintf(r->end, sizeof(r->end), "-----END %s-----", label);
	r->fn = fn;
	r->arg = arg;
	r->crc = CRC24_INIT;
	armor_set_state(r, AR_BEGIN);
	*r_reader = r;
	return GETK_OK;
}

void
getk_armor_reader_free(struct getk_armor_reader *r)
{
	free(r);
}

int
getk_armor_reader_done(const struct getk_armor_reader *r)
{
	return r->state == AR_DONE;
}

static int
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
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

/* Hands the decoded octets on. */
static enum getk_err
armor_flush(struct getk_armor_reader *r)
{
	enum getk_err err = GETK_OK;

	if (r->nout) {
		r->crc = crc24_update(r->crc, r->out, r->nout);
		err = r->fn(r->arg, r->out, r->nout);
		r->nout = 0;
	}
	return err;
}

/* Decodes the base64 characters of one data line. */
static enum getk_err
armor_data(struct getk_armor_reader *r, const char *line, size_t len)
{
	size_t i, n;
	enum getk_err err;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		/* Padding ends the data: nothing may follow it. */
		if (r->padded || (c != '=' && b64val(c) < 0))
			return GETK_ERR_SYNTAX;
		r->group[r->ngroup++] = (char)c;
		if (r->ngroup < 4)
			continue;
		r->ngroup = 0;
		if (r->nout + 3 > sizeof(r->out) && (err = armor_flush(r)) != 0)
			return err;
		err = decode_group(r->group, r->out + r->nout, &n);
		if (err)
			return err;
		r->nout += n;
		r->octets += n;
		r->padded = n < 3;
	}
	return armor_flush(r);
}

/* The END line: the data must be complete and match its checksum. */
static enum getk_err
armor_end(struct getk_armor_reader *r)
{
	unsigned char want[3];
	size_t n;

	if (r->ngroup || r->octets == 0)
		return GETK_ERR_SYNTAX;
	if (r->have_crc) {
		if (decode_group(r->want_crc, want, &n) != GETK_OK || n != 3 ||
		    (((unsigned long)want[0] << 16) |
		    ((unsigned long)want[1] << 8) | want[2]) != r->crc)
			return GETK_ERR_SYNTAX;
	}
	armor_set_state(r, AR_DONE);
	return GETK_OK;
}

/* One line, without its line end and trailing white space. */
static enum getk_err
armor_line(struct getk_armor_reader *r, const char *line, size_t n)
{
	size_t i;

	switch (r->state) {
	case AR_BEGIN:
		if (!line_is(line, n, r->begin))
			return GETK_ERR_SYNTAX;
		armor_set_state(r, AR_HEADERS);
		return GETK_OK;
	case AR_HEADERS:
		if (n == 0)
			armor_set_state(r, AR_DATA);
		else if (!header_ok(line, n))
			return GETK_ERR_SYNTAX;
		return GETK_OK;
	case AR_DATA:
		if (line_is(line, n, r->end))
			return armor_end(r);
		if (n == 0)
			return GETK_ERR_SYNTAX;
		if (line[0] != '=')
			return armor_data(r, line, n);
		/* "=XXXX": 24 bits of checksum, then END. */
		if (n != 5)
			return GETK_ERR_SYNTAX;
		for (i = 1; i < n; i++)
			if (b64val((unsigned char)line[i]) < 0)
				return GETK_ERR_SYNTAX;
		memcpy(r->want_crc, line + 1, 4);
		r->have_crc = 1;
		armor_set_state(r, AR_CRC);
		return GETK_OK;
	case AR_CRC:
		if (!line_is(line, n, r->end))
			return GETK_ERR_SYNTAX;
		return armor_end(r);
	default:
		return GETK_ERR_SYNTAX;
	}
}

enum getk_err
getk_armor_reader_line(struct getk_armor_reader *r, const char *line,
    size_t len)
{
	enum getk_err err;

	if (r->state == AR_FAILED)
		return GETK_ERR_SYNTAX;
	while (len > 0 && is_blank((unsigned char)line[len - 1]))
		len--;
	err = armor_line(r, line, len);
	if (err)
		armor_set_state(r, AR_FAILED);
	return err;
}

/* The armor reader's sink for getk_armor_decode(): a buffer. */
static enum getk_err
append_to_buf(void *arg, const unsigned char *p, size_t len)
{
	return getk_buf_add(arg, p, len);
}

enum getk_err
getk_armor_decode(const char *label, const char *in, size_t len,
    struct getk_buf *out)
{
	struct getk_armor_reader *r = NULL;
	size_t old_len = out->len, pos = 0, n;
	const char *nl;
	enum getk_err err;

	err = getk_armor_reader_new(label, append_to_buf, out, &r);
	while (pos < len && (is_blank((unsigned char)in[pos]) ||
	    in[pos] == '\n'))
		pos++;
	while (!err && pos < len && !getk_armor_reader_done(r)) {
		nl = memchr(in + pos, '\n', len - pos);
		n = nl ? (size_t)(nl - (in + pos)) : len - pos;
		err = getk_armor_reader_line(r, in + pos, n);
		pos += n + (nl ? 1 : 0);
	}
	if (!err && !getk_armor_reader_done(r))
		err = GETK_ERR_SYNTAX;
	/* On error, take back what was appended. */
	if (err && out->data) {
		out->len = old_len;
		out->data[old_len] = '\0';
	}
	getk_armor_reader_free(r);
	return err;
}
