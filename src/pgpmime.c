/*
 * pgpmime.c: PGP/MIME messages (RFC 3156) with protected headers.
 *
 * The plaintext entity is never built in memory: gpgme reads it through
 * a callback that produces the inner header and then the spooled body
 * with CRLF line ends, and writes the armored ciphertext through another
 * callback into a spool.  Each encryption runs in a throw-away GnuPG home
 * holding only the recipients' keys, with trust decided by getk, and
 * through gpg.c, under the caller's deadline.
 */
#include <config.h>

#include <errno.h>
#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "buf.h"
#include "gpg.h"
#include "passthrough.h"
#include "pgpmime.h"

/* Outer header fields that transport needs (the list, plus the
 * Resent- block, Sender and the automatic-mail markers). */
static const char *const outer_fields[] = {
	"From", "Sender", "To", "Cc", "Reply-To", "Date", "Message-ID",
	"In-Reply-To", "References", "Auto-Submitted", "Precedence", NULL
};
static int
in_list(const char *name, const char *const *list)
{
	for (; *list; list++)
		if (strcasecmp(name, *list) == 0)
			return 1;
	return 0;
}

static int
has_prefix(const char *name, const char *prefix)
{
	return strncasecmp(name, prefix, strlen(prefix)) == 0;
}

static const struct getk_header *
find(const struct getk_headers *h, const char *name)
{
	size_t pos = 0;

	return getk_headers_find(h, name, &pos);
}

/*
 * Copies the body from the spool to OUT with every line ending in CRLF:
 * LF alone becomes CRLF, CRLF stays.
 */
static enum getk_err
copy_crlf(struct getk_spool *src, off_t off, struct getk_spool *out)
{
	char in[32768], o[65536 + 2];
	size_t got, i, n;
	int prev_cr = 0;
	enum getk_err err;

	for (;;) {
		err = getk_spool_read(src, off, in, sizeof(in), &got);
		if (err || got == 0)
			return err;
		off += (off_t)got;
		for (i = 0, n = 0; i < got; i++) {
			if (in[i] == '\n' && !prev_cr)
				o[n++] = '\r';
			o[n++] = in[i];
			prev_cr = in[i] == '\r';
		}
		err = getk_spool_write(out, o, n);
		if (err)
			return err;
	}
}

int
getk_pgpmime_is_encrypted(const struct getk_pgpmime *m, char *why,
    size_t whysz, int *r_claims)
{
	struct getk_passthrough *pt = NULL;
	char buf[32768];
	const char *w = "out of memory";
	off_t off = m->body_off;
	size_t got;
	int yes = 0;

	*r_claims = 0;
	if (getk_passthrough_new(m->headers, &pt) == GETK_OK) {
		for (;;) {
			if (getk_spool_read(m->body, off, buf, sizeof(buf),
			    &got) != GETK_OK) {
				w = "the spooled message cannot be read";
				break;
			}
			if (got == 0) {
				yes = getk_passthrough_end(pt, &w);
				break;
			}
			getk_passthrough_feed(pt, buf, got);
			off += (off_t)got;
		}
		*r_claims = getk_passthrough_claims(pt);
	}
	snprintf(why, whysz, "%s", w);
	getk_passthrough_free(pt);
	return yes;
}

/* Writes the missing Date and Message-ID fields. */
static enum getk_err
write_added(const struct getk_pgpmime *m, struct getk_spool *out)
{
	enum getk_err err = GETK_OK;

	if (m->date && !find(m->headers, "Date")) {
		err = getk_spool_puts(out, "Date: ");
		if (!err)
			err = getk_spool_puts(out, m->date);
		if (!err)
			err = getk_spool_puts(out, "\r\n");
	}
	if (!err && m->from && !find(m->headers, "From")) {
		err = getk_spool_puts(out, "From: ");
		if (!err)
			err = getk_spool_puts(out, m->from);
		if (!err)
			err = getk_spool_puts(out, "\r\n");
	}
	if (!err && m->message_id && !find(m->headers, "Message-ID")) {
		err = getk_spool_puts(out, "Message-ID: ");
		if (!err)
			err = getk_spool_puts(out, m->message_id);
		if (!err)
			err = getk_spool_puts(out, "\r\n");
	}
	return err;
}

enum getk_err
getk_pgpmime_plain(const struct getk_pgpmime *m, struct getk_spool *out)
{
	size_t i;
	enum getk_err err = GETK_OK;

	for (i = 0; !err && i < m->headers->n; i++) {
		const struct getk_header *f = &m->headers->fields[i];

		if (strcasecmp(f->name, "Bcc") == 0 ||
		    strcasecmp(f->name, "Resent-Bcc") == 0)
			continue;
		err = getk_spool_puts(out, f->raw);
	}
	if (!err)
		err = write_added(m, out);
	if (!err)
		err = getk_spool_puts(out, "\r\n");
	if (!err)
		err = copy_crlf(m->body, m->body_off, out);
	return err;
}

/*
 * The charset of a body without MIME headers: us-ascii when it is 7-bit,
 * utf-8 when it is valid UTF-8, else iso-8859-1 (every byte is a
 * character there).  *R_8BIT is set when any byte is over 127.
 */
static const char *
body_charset(struct getk_spool *body, off_t off, int *r_8bit)
{
	unsigned char buf[32768];
	size_t got, i;
	int need = 0, valid = 1, eight = 0;

	while (getk_spool_read(body, off, buf, sizeof(buf), &got) == GETK_OK &&
	    got) {
		off += (off_t)got;
		for (i = 0; i < got; i++) {
			unsigned char c = buf[i];

			if (c < 0x80) {
				if (need)
					valid = 0;
				need = 0;
				continue;
			}
			eight = 1;
			if (need) {
				if ((c & 0xC0) != 0x80)
					valid = 0;
				need--;
			} else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
				need = 1;
			} else if ((c & 0xF0) == 0xE0) {
				need = 2;
			} else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
				need = 3;
			} else {
				valid = 0;
			}
		}
	}
	if (need)
		valid = 0;
	*r_8bit = eight;
	if (!eight)
		return "us-ascii";
	return valid ? "utf-8" : "iso-8859-1";
}

/* Builds the header of the encrypted entity into B. */
static enum getk_err
inner_header(const struct getk_pgpmime *m, struct getk_buf *b)
{
	const struct getk_headers *h = m->headers;
	const struct getk_header *ct = find(h, "Content-Type");
	size_t i;
	enum getk_err err = GETK_OK;

	if (ct) {
		/* The original Content-Type, its CRLF cut, a parameter
		 * added on a folded line. */
		size_t len = strlen(ct->raw);

		err = getk_buf_add(b, ct->raw, len >= 2 ? len - 2 : len);
		if (!err)
			err = getk_buf_adds(b, m->protect_subject ?
			    ";\r\n protected-headers=\"v1\"\r\n" : "\r\n");
	} else {
		int eight;
		const char *cs = body_charset(m->body, m->body_off, &eight);

		err = getk_buf_printf(b, "Content-Type: text/plain; "
		    "charset=\"%s\"%s\r\n", cs,
		    m->protect_subject ? "; protected-headers=\"v1\"" : "");
		/* A transfer encoding the message names stays; else the
		 * one that fits the bytes. */
		if (!err && !find(h, "Content-Transfer-Encoding"))
			err = getk_buf_printf(b, "Content-Transfer-Encoding: "
			    "%s\r\n", eight ? "8bit" : "7bit");
	}
	for (i = 0; !err && i < h->n; i++) {
		const struct getk_header *f = &h->fields[i];

		if (has_prefix(f->name, "Content-") &&
		    strcasecmp(f->name, "Content-Type") != 0)
			err = getk_buf_adds(b, f->raw);
	}
	if (m->protect_subject) {
		/* Inside goes the whole original header but for Bcc and
		 * what is written above: the outer header only carries
		 * what transport needs. */
		for (i = 0; !err && i < h->n; i++) {
			const struct getk_header *f = &h->fields[i];

			if (!has_prefix(f->name, "Content-") &&
			    strcasecmp(f->name, "MIME-Version") != 0 &&
			    strcasecmp(f->name, "Bcc") != 0 &&
			    strcasecmp(f->name, "Resent-Bcc") != 0)
				err = getk_buf_adds(b, f->raw);
		}
		if (!err && m->date && !find(h, "Date"))
			err = getk_buf_printf(b, "Date: %s\r\n", m->date);
		if (!err && m->from && !find(h, "From"))
			err = getk_buf_printf(b, "From: %s\r\n", m->from);
		if (!err && m->message_id && !find(h, "Message-ID"))
			err = getk_buf_printf(b, "Message-ID: %s\r\n",
			    m->message_id);
	}
	if (!err)
		err = getk_buf_adds(b, "\r\n");
	return err;
}

/* The state of the plaintext callback: header, then the body. */
struct plain_src {
	const char *head;
	size_t headlen, headpos;
	struct getk_spool *body;
	off_t off;
	int prev_cr;		/* the last body byte given was CR */
	int pending_lf;		/* an LF is owed after a CR we inserted */
	enum getk_err err;
};

static ssize_t
plain_read(void *handle, void *buffer, size_t size)
{
	struct plain_src *ps = handle;
	char *out = buffer, in[16384];
	size_t n = 0, got, i, want;

	if (ps->headpos < ps->headlen) {
		n = ps->headlen - ps->headpos;
		if (n > size)
			n = size;
		memcpy(out, ps->head + ps->headpos, n);
		ps->headpos += n;
		return (ssize_t)n;
	}
	if (ps->pending_lf && size) {
		out[n++] = '\n';
		ps->pending_lf = 0;
		ps->prev_cr = 0;
	}
	/* Each input byte makes at most two output bytes; with room for
	 * one byte only, a CR goes now and its LF is owed. */
	want = (size - n) / 2;
	if (want > sizeof(in))
		want = sizeof(in);
	if (want == 0 && n == 0) {
		if (getk_spool_read(ps->body, ps->off, in, 1, &got)) {
			ps->err = GETK_ERR_SYSTEM;
			gpgme_err_set_errno(EIO);
			return -1;
		}
		if (got == 0)
			return 0;
		ps->off++;
		if (in[0] == '\n' && !ps->prev_cr) {
			out[0] = '\r';
			ps->pending_lf = 1;
		} else {
			out[0] = in[0];
			ps->prev_cr = in[0] == '\r';
		}
		return 1;
	}
	if (want == 0)
		return (ssize_t)n;
	if (getk_spool_read(ps->body, ps->off, in, want, &got)) {
		ps->err = GETK_ERR_SYSTEM;
		gpgme_err_set_errno(EIO);
		return -1;
	}
	ps->off += (off_t)got;
	for (i = 0; i < got; i++) {
		if (in[i] == '\n' && !ps->prev_cr)
			out[n++] = '\r';
		out[n++] = in[i];
		ps->prev_cr = in[i] == '\r';
	}
	return (ssize_t)n;
}

/* Ciphertext sink: armor lines (LF from gpg) become CRLF lines. */
struct cipher_sink {
	struct getk_spool *out;
	enum getk_err err;
};

static ssize_t
cipher_write(void *handle, const void *buffer, size_t size)
{
	struct cipher_sink *cs = handle;
	const char *p = buffer;
	char o[8192 * 2];
	size_t i, n = 0;

	for (i = 0; i < size; i++) {
		if (p[i] == '\n')
			o[n++] = '\r';
		o[n++] = p[i];
		if (n >= sizeof(o) - 2) {
			if ((cs->err = getk_spool_write(cs->out, o, n)) != 0)
				break;
			n = 0;
		}
	}
	if (!cs->err && n)
		cs->err = getk_spool_write(cs->out, o, n);
	if (cs->err) {
		gpgme_err_set_errno(EIO);
		return -1;
	}
	return (ssize_t)size;
}

/* Writes the outer header of the PGP/MIME message. */
static enum getk_err
outer_header(const struct getk_pgpmime *m, const char *boundary,
    struct getk_spool *out)
{
	const struct getk_headers *h = m->headers;
	size_t i;
	enum getk_err err = GETK_OK;

	for (i = 0; !err && i < h->n; i++) {
		const struct getk_header *f = &h->fields[i];

		if (strcasecmp(f->name, "Bcc") == 0 ||
		    strcasecmp(f->name, "Resent-Bcc") == 0 ||
		    has_prefix(f->name, "Content-") ||
		    strcasecmp(f->name, "MIME-Version") == 0)
			continue;
		/* Without header protection the header stays outside. */
		if (!m->protect_subject || in_list(f->name, outer_fields) ||
		    has_prefix(f->name, "Resent-") ||
		    has_prefix(f->name, "List-"))
			err = getk_spool_puts(out, f->raw);
	}
	if (!err)
		err = write_added(m, out);
	if (!err && m->protect_subject)
		err = getk_spool_puts(out, "Subject: ...\r\n");
	if (!err)
		err = getk_spool_puts(out, "MIME-Version: 1.0\r\n"
		    "Content-Type: multipart/encrypted;\r\n"
		    " protocol=\"application/pgp-encrypted\";\r\n"
		    " boundary=\"");
	if (!err)
		err = getk_spool_puts(out, boundary);
	if (!err)
		err = getk_spool_puts(out, "\"\r\n\r\n"
		    "This is an OpenPGP/MIME encrypted message (RFC 4880 and "
		    "3156)\r\n--");
	if (!err)
		err = getk_spool_puts(out, boundary);
	if (!err)
		err = getk_spool_puts(out, "\r\n"
		    "Content-Type: application/pgp-encrypted\r\n"
		    "Content-Description: PGP/MIME version identification\r\n"
		    "\r\n"
		    "Version: 1\r\n"
		    "\r\n--");
	if (!err)
		err = getk_spool_puts(out, boundary);
	if (!err)
		err = getk_spool_puts(out, "\r\n"
		    "Content-Type: application/octet-stream; "
		    "name=\"encrypted.asc\"\r\n"
		    "Content-Description: OpenPGP encrypted message\r\n"
		    "Content-Disposition: inline; filename=\"encrypted.asc\"\r\n"
		    "\r\n");
	return err;
}

enum getk_err
getk_pgpmime_encrypt(const struct getk_pgpmime *m,
    const struct getk_key *const *keys, size_t n, struct getk_spool *out,
    long deadline_ms, char *why, size_t whysz)
{
	static struct gpgme_data_cbs plain_cbs = { plain_read, NULL, NULL,
	    NULL };
	static struct gpgme_data_cbs cipher_cbs = { NULL, cipher_write, NULL,
	    NULL };
	struct plain_src ps;
	struct cipher_sink cs;
	struct getk_buf head;
	struct getk_gpg_rcpt *rcpts = NULL;
	struct getk_gpg *g = NULL;
	gpgme_ctx_t ctx;
	gpgme_data_t plain = NULL, cipher = NULL;
	gpgme_encrypt_result_t eres;
	gpgme_error_t gerr;
	unsigned char rnd[12];
	char boundary[64], *home = NULL;
	size_t i;
	enum getk_err err;

	why[0] = '\0';
	getk_buf_init(&head, 0);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		err = GETK_ERR_SYSTEM;
		snprintf(why, whysz, "no random bytes: %s", strerror(errno));
		goto leave;
	}
	snprintf(boundary, sizeof(boundary), "getk-");
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(boundary + 5 + 2 * i, 3, "%02x", rnd[i]);
	err = inner_header(m, &head);
	if (err)
		goto leave;
	rcpts = calloc(n ? n : 1, sizeof(*rcpts));
	if (!rcpts) {
		err = GETK_ERR_NOMEM;
		snprintf(why, whysz, "out of memory");
		goto leave;
	}
	for (i = 0; i < n; i++) {
		rcpts[i].data = keys[i]->data;
		rcpts[i].len = keys[i]->len;
	}
	err = getk_key_tmphome(m->tmpdir, &home);
	if (err) {
		snprintf(why, whysz, "cannot make a GnuPG home: %s",
		    strerror(errno));
		goto leave;
	}
	err = getk_gpg_new(home, deadline_ms, &g, why, whysz);
	if (err)
		goto leave;
	ctx = getk_gpg_ctx(g);

	memset(&ps, 0, sizeof(ps));
	ps.head = head.data;
	ps.headlen = head.len;
	ps.body = m->body;
	ps.off = m->body_off;
	memset(&cs, 0, sizeof(cs));
	cs.out = out;
	err = outer_header(m, boundary, out);
	if (err)
		goto leave;
	gpgme_set_armor(ctx, 1);
	gerr = gpgme_data_new_from_cbs(&plain, &plain_cbs, &ps);
	if (!gerr)
		gerr = gpgme_data_new_from_cbs(&cipher, &cipher_cbs, &cs);
	if (gerr) {
		err = GETK_ERR_NOMEM;
		snprintf(why, whysz, "gpgme: %s", gpgme_strerror(gerr));
		goto leave;
	}
	/* Trust is getk's decision: the keys were verified and pinned.
	 * gpg reads them from files (--recipient-file): one gpg process,
	 * no import, as many as `gpg --encrypt` itself (issue 14). */
	err = getk_gpg_encrypt_to(g, rcpts, n, GPGME_ENCRYPT_ALWAYS_TRUST,
	    plain, cipher, why, whysz);
	if (ps.err || cs.err) {
		err = ps.err ? ps.err : cs.err;
		snprintf(why, whysz, "spool: %s", strerror(errno));
		goto leave;
	}
	if (err)
		goto leave;
	eres = gpgme_op_encrypt_result(ctx);
	if (eres && eres->invalid_recipients) {
		err = GETK_ERR_CRYPTO;
		snprintf(why, whysz, "gpg refused recipient %s",
		    eres->invalid_recipients->fpr ?
		    eres->invalid_recipients->fpr : "?");
		goto leave;
	}
	err = getk_spool_puts(out, "\r\n--");
	if (!err)
		err = getk_spool_puts(out, boundary);
	if (!err)
		err = getk_spool_puts(out, "--\r\n");
leave:
	gpgme_data_release(plain);
	gpgme_data_release(cipher);
	/* gpg has ended, or was killed and is gone: its home can go. */
	getk_gpg_free(g);
	getk_key_rmhome(home);
	getk_buf_free(&head);
	free(rcpts);
	return err;
}
