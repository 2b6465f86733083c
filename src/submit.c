/*
 * submit.c: SMTP submission through libcurl.
 *
 * libcurl's header callback sees every reply line.  It is used to find
 * the EHLO reply that follows TLS (the first 250 reply after the greeting
 * with implicit TLS or no TLS, after the second 220 with STARTTLS) and to
 * stop the transfer before MAIL FROM when a user is configured but that
 * reply offers no AUTH.  It also keeps the last reply line, whose first
 * digit tells a temporary refusal from a permanent one.
 */
#include <config.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "smtp.h"
#include "submit.h"

struct xfer {
	const struct getk_submit_settings *s;
	struct getk_spool *msg;
	off_t off;			/* read position in msg */
	int spool_error;
	int n220;			/* 220 replies seen */
	int need220;			/* 220s before the EHLO that counts */
	int ehlo_done;			/* that EHLO reply was read */
	int has_auth;			/* it offered AUTH */
	int no_auth;			/* stopped: AUTH missing */
	int in_reply;			/* a multi-line reply goes on */
	char last[512];			/* last reply line */
	char refusal[512];		/* last 4yz/5yz line, kept through the
					   RSET and QUIT that follow it */
};

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t len = size * nitems, n = len;
	int starts = !x->in_reply;

	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	if (n >= sizeof(x->last))
		n = sizeof(x->last) - 1;
	memcpy(x->last, buf, n);
	x->last[n] = '\0';
	getk_log(x->s->log, GETK_LOG_PROTO, "%s <- %s", x->s->host, x->last);
	x->in_reply = n > 3 && buf[3] == '-';
	if (n < 3)
		return len;
	if (buf[0] == '4' || buf[0] == '5')
		memcpy(x->refusal, x->last, n + 1);
	if (starts && strncmp(buf, "220", 3) == 0)
		x->n220++;
	if (!x->ehlo_done && x->n220 >= x->need220 &&
	    strncmp(buf, "250", 3) == 0) {
		if (n > 4 && strncasecmp(buf + 4, "AUTH", 4) == 0 &&
		    (n == 8 || buf[8] == ' ' || buf[8] == '='))
			x->has_auth = 1;
		if (!x->in_reply) {
			x->ehlo_done = 1;
			if (x->s->user && !x->has_auth) {
				x->no_auth = 1;
				return 0;	/* stop before MAIL FROM */
			}
		}
	}
	return len;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct xfer *x = arg;
	size_t got = 0;

	if (getk_spool_read(x->msg, x->off, buf, size * nitems, &got)) {
		x->spool_error = 1;
		return CURL_READFUNC_ABORT;
	}
	x->off += (off_t)got;
	return got;
}

static size_t
discard_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nitems;
}

/* Classifies a failed transfer. */
static enum getk_err
classify(const struct xfer *x, CURLcode rc)
{
	if (x->no_auth)
		return GETK_ERR_AUTH;
	if (x->spool_error)
		return GETK_ERR_SYSTEM;
	switch (rc) {
	case CURLE_LOGIN_DENIED:
		return GETK_ERR_AUTH;
	case CURLE_OUT_OF_MEMORY:
		return GETK_ERR_NOMEM;
	case CURLE_OPERATION_TIMEDOUT:
		return GETK_ERR_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return GETK_ERR_CONNECT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_USE_SSL_FAILED:
		return GETK_ERR_TLS;
	default:
		break;
	}
	if (x->refusal[0] == '4')
		return GETK_ERR_TEMPFAIL;
	if (x->refusal[0] == '5')
		return strncmp(x->refusal, "535", 3) == 0 ||
		    strncmp(x->refusal, "530", 3) == 0 ? GETK_ERR_AUTH :
		    GETK_ERR_PERMFAIL;
	return rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
	    rc == CURLE_GOT_NOTHING ? GETK_ERR_CONNECT : GETK_ERR_PROTO;
}

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

/* The transactions over getk's own session, for DSN. */
static enum getk_err
submit_own(const struct getk_submit_settings *s,
    const struct getk_submission *msgs, size_t n, size_t *r_done,
    int *r_code, char *why, size_t whysz)
{
	struct getk_smtp_settings ss;
	struct getk_smtp *smtp = NULL;
	struct getk_buf cmd;
	char text[1024];
	int code = 0, dsn;
	size_t i, k;
	enum getk_err err;

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
	err = getk_smtp_open(&ss, &smtp, why, whysz);
	getk_buf_free(&cmd);
	if (err) {
		if (err == GETK_ERR_NOTSUPP)
			err = GETK_ERR_TLS;
		return err;
	}
	dsn = getk_smtp_has(smtp, "DSN");
	if (!dsn)
		getk_log(s->log, GETK_LOG_WARN, "%s does not offer DSN: no "
		    "delivery status notification is requested", s->host);
	for (i = 0; i < n; i++) {
		const struct getk_submission *m = &msgs[i];

		err = getk_buf_printf(&cmd, "MAIL FROM:<%s>%s%s", m->from,
		    dsn && s->dsn_ret ? " RET=" : "", dsn && s->dsn_ret ?
		    s->dsn_ret : "");
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

enum getk_err
getk_submit(const struct getk_submit_settings *s,
    const struct getk_submission *msgs, size_t n, size_t *r_done,
    int *r_code, char *why, size_t whysz)
{
	CURL *curl = NULL;
	struct curl_slist *connect_to = NULL, *rcpts = NULL;
	struct getk_buf url, from, login;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct xfer x;
	enum getk_err err = GETK_OK;
	size_t i, k;

	*r_done = 0;
	*r_code = 0;
	why[0] = '\0';
	if (s->dsn_notify || s->dsn_ret)
		return submit_own(s, msgs, n, r_done, r_code, why, whysz);
	getk_buf_init(&url, 2048);
	getk_buf_init(&from, 1024);
	getk_buf_init(&login, 256);
	memset(&x, 0, sizeof(x));
	x.s = s;
	x.need220 = s->tls && !s->implicit_tls ? 2 : 1;
	curl = curl_easy_init();
	if (!curl) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	if (getk_buf_printf(&url, "%s://%s:%d/%s",
	    s->tls && s->implicit_tls ? "smtps" : "smtp", s->host, s->port,
	    s->ehlo_name ? s->ehlo_name : "localhost")) {
		err = GETK_ERR_INVAL;
		goto leave;
	}
	for (i = 0; s->connect_to && s->connect_to[i]; i++) {
		struct curl_slist *l = curl_slist_append(connect_to,
		    s->connect_to[i]);

		if (!l) {
			err = GETK_ERR_NOMEM;
			goto leave;
		}
		connect_to = l;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url.data);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USE_SSL, s->tls ? (long)CURLUSESSL_ALL :
	    (long)CURLUSESSL_NONE);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (s->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, s->ca_file);
	if (connect_to)
		curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, s->timeout_ms);
	/* No overall limit: a large message takes what it takes; a stalled
	 * one is caught by the low-speed limit. */
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME,
	    s->timeout_ms / 1000 > 0 ? s->timeout_ms / 1000 : 1L);
	curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    s->timeout_ms / 1000 > 0 ? s->timeout_ms / 1000 : 1L);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(curl, CURLOPT_READDATA, &x);
	curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	if (s->user) {
		curl_easy_setopt(curl, CURLOPT_USERNAME, s->user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD,
		    s->password ? s->password : "");
		if (s->auth_method) {
			char *up;

			if (getk_buf_printf(&login, "AUTH=%s", s->auth_method)) {
				err = GETK_ERR_INVAL;
				goto leave;
			}
			for (up = login.data + 5; *up; up++)
				if (*up >= 'a' && *up <= 'z')
					*up = (char)(*up - 'a' + 'A');
			curl_easy_setopt(curl, CURLOPT_LOGIN_OPTIONS, login.data);
		}
	}

	for (i = 0; i < n; i++) {
		const struct getk_submission *m = &msgs[i];
		CURLcode rc;

		curl_slist_free_all(rcpts);
		rcpts = NULL;
		for (k = 0; k < m->nrcpts; k++) {
			struct getk_buf r;
			struct curl_slist *l;

			getk_buf_init(&r, 1024);
			if (getk_buf_printf(&r, "<%s>", m->rcpts[k])) {
				err = GETK_ERR_INVAL;
				goto leave;
			}
			l = curl_slist_append(rcpts, r.data);
			getk_buf_free(&r);
			if (!l) {
				err = GETK_ERR_NOMEM;
				goto leave;
			}
			rcpts = l;
		}
		getk_buf_free(&from);
		if (getk_buf_printf(&from, "<%s>", m->from)) {
			err = GETK_ERR_INVAL;
			goto leave;
		}
		curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.data);
		curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpts);
		curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)getk_spool_size(m->message));
		x.msg = m->message;
		x.off = 0;
		x.last[0] = '\0';
		x.refusal[0] = '\0';
		x.in_reply = 0;
		errbuf[0] = '\0';
		getk_log(s->log, GETK_LOG_DEBUG, "submitting %lld bytes to %s "
		    "port %d for %zu recipient%s", (long long)getk_spool_size(
		    m->message), s->host, s->port, m->nrcpts,
		    m->nrcpts == 1 ? "" : "s");
		rc = curl_easy_perform(curl);
		{
			const char *l = x.refusal[0] ? x.refusal : x.last;

			if (l[0] >= '1' && l[0] <= '5' && l[1] && l[2])
				*r_code = (l[0] - '0') * 100 + (l[1] - '0') * 10 +
				    (l[2] - '0');
		}
		if (rc != CURLE_OK) {
			err = classify(&x, rc);
			if (x.no_auth)
				snprintf(why, whysz, "%s does not offer AUTH "
				    "after TLS, but a user is configured; "
				    "nothing was sent", s->host);
			else if (x.refusal[0])
				snprintf(why, whysz, "%s said: %s", s->host,
				    x.refusal);
			else
				snprintf(why, whysz, "%s: %s", s->host,
				    errbuf[0] ? errbuf : curl_easy_strerror(rc));
			goto leave;
		}
		*r_done = i + 1;
	}
leave:
	if (curl)
		curl_easy_cleanup(curl);
	curl_slist_free_all(connect_to);
	curl_slist_free_all(rcpts);
	getk_buf_free(&url);
	getk_buf_free(&from);
	getk_buf_free(&login);
	return err;
}
