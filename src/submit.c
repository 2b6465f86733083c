/*
 * submit.c: SMTP submission over getk's own SMTP session.
 *
 * libcurl connects and does greeting, EHLO, STARTTLS or implicit TLS
 * with certificate checks, the second EHLO and AUTH (src/smtp.c); the
 * mail transaction itself (MAIL, RCPT, DATA) is spoken here, so that its
 * parameters are ours to choose: libcurl 7.88 rebuilds MAIL FROM and RCPT
 * TO from the bare address and could carry neither DSN nor SIZE.  A
 * session opened with a user fails before MAIL FROM when the relay offers
 * no AUTH after TLS.  The message streams from its spool, dot-stuffed.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "smtp.h"
#include "submit.h"

/* The error for a refusal with reply CODE. */
static enum getk_err
refusal(int code)
{
	if (code == 530 || code == 535)
		return GETK_ERR_AUTH;
	return code / 100 == 4 ? GETK_ERR_TEMPFAIL : GETK_ERR_PERMFAIL;
}

/* Sends the spooled message as DATA content, dot-stuffed, and the end. */
static enum getk_err
send_data(struct getk_smtp *smtp, struct getk_spool *msg)
{
	char in[32768], out[65536 + 8];
	size_t got, i, n;
	off_t off = 0;
	int bol = 1;		/* at the beginning of a line */
	char last[2] = { '\r', '\n' };
	enum getk_err err;

	for (;;) {
		err = getk_spool_read(msg, off, in, sizeof(in), &got);
		if (err)
			return err;
		if (got == 0)
			break;
		off += (off_t)got;
		for (i = 0, n = 0; i < got; i++) {
			if (bol && in[i] == '.')
				out[n++] = '.';
			out[n++] = in[i];
			bol = in[i] == '\n';
		}
		last[0] = got > 1 ? in[got - 2] : last[1];
		last[1] = in[got - 1];
		err = getk_smtp_send(smtp, out, n);
		if (err)
			return err;
	}
	if (last[0] != '\r' || last[1] != '\n')
		return getk_smtp_send(smtp, "\r\n.\r\n", 5);
	return getk_smtp_send(smtp, ".\r\n", 3);
}

enum getk_err
getk_submit(const struct getk_submit_settings *s,
    const struct getk_submission *msgs, size_t n, size_t *r_done,
    int *r_code, char *why, size_t whysz)
{
	struct getk_smtp_settings ss;
	struct getk_smtp *smtp = NULL;
	struct getk_buf cmd;
	char text[1024];
	int code = 0, dsn, size, eightbit;
	size_t i, k;
	enum getk_err err;

	*r_done = 0;
	*r_code = 0;
	why[0] = '\0';
	memset(&ss, 0, sizeof(ss));
	ss.host = s->host;
	ss.port = s->port;
	ss.implicit_tls = s->implicit_tls;
	ss.no_tls = !s->tls;
	ss.ca_file = s->ca_file;
	ss.connect_to = s->connect_to;
	ss.timeout_ms = s->timeout_ms;
	ss.ehlo_name = s->ehlo_name;
	ss.user = s->user;
	ss.password = s->password;
	ss.log = s->log;
	getk_buf_init(&cmd, 2048);
	if (s->auth_method) {
		char *up;

		if (getk_buf_printf(&cmd, "AUTH=%s", s->auth_method))
			return GETK_ERR_INVAL;
		for (up = cmd.data + 5; *up; up++)
			if (*up >= 'a' && *up <= 'z')
				*up = (char)(*up - 'a' + 'A');
		ss.auth_method = cmd.data;
	}
	getk_log(s->log, GETK_LOG_DEBUG, "connecting to the relay %s port %d",
	    s->host, s->port);
	err = getk_smtp_open(&ss, &smtp, why, whysz);
	getk_buf_free(&cmd);
	if (err) {
		if (err == GETK_ERR_NOTSUPP)
			err = GETK_ERR_TLS;
		return err;
	}
	dsn = getk_smtp_has(smtp, "DSN");
	if (!dsn && (s->dsn_notify || s->dsn_ret))
		getk_log(s->log, GETK_LOG_WARN, "%s does not offer DSN: no "
		    "delivery status notification is requested", s->host);
	size = getk_smtp_has(smtp, "SIZE");
	eightbit = getk_smtp_has(smtp, "8BITMIME");
	for (i = 0; i < n; i++) {
		const struct getk_submission *m = &msgs[i];

		getk_log(s->log, GETK_LOG_DEBUG, "submitting %lld bytes to %s "
		    "port %d for %zu recipient%s", (long long)getk_spool_size(
		    m->message), s->host, s->port, m->nrcpts,
		    m->nrcpts == 1 ? "" : "s");
		/* SIZE lets the relay refuse a message too big before it is
		 * sent; BODY=8BITMIME announces what a clear-text message may
		 * hold (RFC 1870, RFC 6152). */
		err = getk_buf_printf(&cmd, "MAIL FROM:<%s>", m->from);
		if (!err && size)
			err = getk_buf_printf(&cmd, " SIZE=%lld",
			    (long long)getk_spool_size(m->message));
		if (!err && eightbit)
			err = getk_buf_adds(&cmd, " BODY=8BITMIME");
		if (!err && dsn && s->dsn_ret)
			err = getk_buf_printf(&cmd, " RET=%s", s->dsn_ret);
		if (!err)
			err = getk_smtp_command(smtp, cmd.data, &code, text,
			    sizeof(text));
		getk_buf_free(&cmd);
		for (k = 0; !err && code == 250 && k < m->nrcpts; k++) {
			err = getk_buf_printf(&cmd, "RCPT TO:<%s>%s%s",
			    m->rcpts[k], dsn && s->dsn_notify ? " NOTIFY=" :
			    "", dsn && s->dsn_notify ? s->dsn_notify : "");
			if (!err)
				err = getk_smtp_command(smtp, cmd.data, &code,
				    text, sizeof(text));
			getk_buf_free(&cmd);
			if (!err && code / 100 == 2)
				code = 250;
		}
		if (!err && code == 250)
			err = getk_smtp_command(smtp, "DATA", &code, text,
			    sizeof(text));
		if (!err && code == 354) {
			err = send_data(smtp, m->message);
			if (!err)
				err = getk_smtp_reply(smtp, &code, text,
				    sizeof(text));
		}
		if (err) {
			snprintf(why, whysz, "%s: %s", s->host,
			    getk_strerror(err));
			break;
		}
		*r_code = code;
		if (code / 100 != 2) {
			char rtext[512];
			int rc;

			/* A refused transaction leaves nothing half-done. */
			getk_smtp_command(smtp, "RSET", &rc, rtext, sizeof(rtext));
			snprintf(why, whysz, "%s said: %s", s->host, text);
			err = refusal(code);
			break;
		}
		*r_done = i + 1;
	}
	getk_buf_free(&cmd);
	getk_smtp_close(smtp);
	return err;
}

