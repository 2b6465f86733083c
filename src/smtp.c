/*
 * smtp.c: an SMTP client session over libcurl, for GETK and submission.
 *
 * The session's life is a state machine: CONNECTING while libcurl does
 * greeting, EHLO, TLS, EHLO and AUTH; READY between commands, when the
 * server owes us nothing; GETK_SEND, GETK_REPLY and GETK_END while a GETK
 * pipeline runs (commands written, replies owed, and the proof that no
 * reply follows the last one); BROKEN once the framing of the connection
 * is lost (timeout, malformed reply, a reply out of turn, connection
 * closed), after which nothing more is sent; CLOSED after QUIT.
 * set_state() is the one place the state changes, and it logs.
 *
 * Every reply is the reply to the command it answers: replies are
 * counted, and a line that arrives when no reply is owed (buffered or
 * readable before a command is sent) is a protocol error.  A GETK
 * pipeline ends with NOOP, pipelined after the last GETK: a server that
 * sent one reply too many shows it there, whenever its bytes arrive,
 * because the reply to NOOP is a single 2yz line and no GETK reply is
 * (GETK.md sections 3 and 4).  Every byte from the server is made
 * printable (getk_printable) before it is logged or handed on.
 */
#include <config.h>

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "curlx.h"
#include "codec.h"
#include "dane.h"
#include "reply.h"
#include "smtp.h"

/* Longest server line accepted, without its CRLF (RFC 5321 4.5.3.1.5). */
#define SMTP_MAX_LINE (GETK_REPLY_LINE_MAX - 2)
/* Room for one server line made printable. */
#define SMTP_SHOWN (SMTP_MAX_LINE * 4 + 1)
/* Most capability text kept from one EHLO reply. */
#define SMTP_MAX_CAPS 16384
/* Most GETK commands written ahead of their replies (PIPELINING). */
#define SMTP_PIPELINE_MAX 32

enum smtp_state {
	SMTP_CONNECTING,	/* libcurl: greeting, EHLO, TLS, EHLO, AUTH */
	SMTP_READY,		/* between commands: no reply is owed */
	SMTP_GETK_SEND,		/* GETK: commands to write, up to the window */
	SMTP_GETK_REPLY,	/* GETK: the next reply is owed */
	SMTP_GETK_END,		/* GETK: all replies read; nothing may follow */
	SMTP_BROKEN,		/* framing lost: nothing more is sent */
	SMTP_CLOSED		/* after QUIT */
};

static const char *const state_names[] = {
	"CONNECTING", "READY", "GETK_SEND", "GETK_REPLY", "GETK_END",
	"BROKEN", "CLOSED"
};
#define SMTP_NSTATES (sizeof(state_names) / sizeof(state_names[0]))

struct getk_smtp {
	CURL *curl;
	enum smtp_state state;
	const struct getk_logger *log;
	char *host;
	long timeout_ms;
	long deadline;			/* getk_mono_ms() of the caller's
					   deadline, or 0 */
	/* Capabilities of the latest complete 250 reply: NUL-separated. */
	struct getk_buf caps;
	struct getk_buf caps_next;	/* the 250 reply being read */
	struct getk_multiline hdr;	/* the reply libcurl is reading */
	/* Why a line that libcurl read was refused (printable), or "". */
	char bad[GETK_REPLY_TEXT_MAX];
	/* Bytes received but not yet consumed as lines. */
	char in[SMTP_MAX_LINE * 8];
	size_t inlen;
};

void
getk_smtp_settings_relay(struct getk_smtp_settings *ss,
    const struct getk_relay *r, const char *password)
{
	ss->host = r->host;
	ss->port = r->port;
	ss->no_tls = r->no_tls;
	ss->implicit_tls = r->implicit_tls;
	ss->user = r->user;
	ss->password = r->user ? password : NULL;
	ss->auth_method = r->auth_method;
}

/*
 * The deadline of the next operation: TIMEOUT_MS from now, or the
 * caller's deadline when that comes first.
 */
static long
op_deadline(const struct getk_smtp *s, long timeout_ms)
{
	long d = getk_mono_ms() + timeout_ms;

	return s->deadline && s->deadline < d ? s->deadline : d;
}

static void
set_state(struct getk_smtp *s, enum smtp_state state)
{
	if (s->state == state)
		return;
	getk_log(s->log, GETK_LOG_PROTO, "smtp %s: %s -> %s", s->host,
	    state_names[s->state], state_names[state]);
	s->state = state;
}

/*
 * libcurl hands every server line to this callback while it connects.
 * The lines are read as whole replies by the one reply reader; the
 * capability list is that of the last complete 250 reply, which is the
 * EHLO that follows TLS: greeting (220), EHLO (250), STARTTLS (220), EHLO
 * (250), then AUTH replies (334/235) that are not 250.  A line that is no
 * reply line, or breaks its reply, stops libcurl at once: nothing more is
 * sent to such a server.
 */
static size_t
header_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct getk_smtp *s = arg;
	struct getk_reply_line rl;
	char shown[SMTP_SHOWN];
	size_t len = size * nitems, n = len;
	const char *why;

	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	getk_printable(shown, sizeof(shown), buf, n);
	getk_log(s->log, GETK_LOG_PROTO, "%s <- %s", s->host, shown);
	if (s->hdr.done)
		getk_multiline_init(&s->hdr);
	if (getk_multiline_feed(&s->hdr, buf, n, &rl, &why) != GETK_OK) {
		snprintf(s->bad, sizeof(s->bad), "%s: ", why);
		getk_printable(s->bad + strlen(s->bad), sizeof(s->bad) -
		    strlen(s->bad), buf, n);
		return 0;
	}
	if (s->hdr.lines == 1)
		getk_buf_free(&s->caps_next);
	/* A capability list too long to keep is cut (the lines that do
	 * not fit are left out), not an error. */
	if (s->hdr.code == 250 && rl.textlen) {
		getk_printable(shown, sizeof(shown), rl.text, rl.textlen);
		(void)getk_buf_add(&s->caps_next, shown, strlen(shown) + 1);
	}
	if (s->hdr.done && s->hdr.code == 250) {
		getk_buf_free(&s->caps);
		s->caps = s->caps_next;
		getk_buf_init(&s->caps_next, SMTP_MAX_CAPS);
	}
	return len;
}

static size_t
discard_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nitems;
}

/* Classifies a refusal by the server from its reply CODE. */
static enum getk_err
classify_reply(int code, enum getk_err dflt)
{
	if (code / 100 == 4)
		return GETK_ERR_TEMPFAIL;
	if (code / 100 == 5)
		return GETK_ERR_PERMFAIL;
	return dflt;
}

/*
 * Connects once.  With TLSA records and no ANCHOR (PEM), the certificate
 * is not checked but kept for dane_check(); with ANCHOR, it must chain to
 * that certificate and name the host (DANE-TA); otherwise it is checked
 * against the CA file and the host name.
 */
static enum getk_err
session_open(const struct getk_smtp_settings *settings, const char *anchor,
    struct getk_smtp **r_smtp, char *why, size_t whysz)
{
	struct getk_smtp *s = NULL;
	struct curl_slist *connect_to = NULL, *resolve = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct getk_buf url, login;
	enum getk_err err = GETK_OK;
	long connect_ms;
	CURLcode rc;

	*r_smtp = NULL;
	why[0] = '\0';
	getk_buf_init(&url, 1024);
	getk_buf_init(&login, 128);
	s = calloc(1, sizeof(*s));
	if (!s || !(s->host = strdup(settings->host))) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	s->state = SMTP_CONNECTING;
	s->log = settings->log;
	s->timeout_ms = settings->timeout_ms;
	s->deadline = settings->deadline_ms;
	getk_buf_init(&s->caps, SMTP_MAX_CAPS);
	getk_buf_init(&s->caps_next, SMTP_MAX_CAPS);
	s->curl = curl_easy_init();
	if (!s->curl) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	if (getk_buf_printf(&url, "%s://%s:%d/%s",
	    settings->implicit_tls ? "smtps" : "smtp", settings->host,
	    settings->port, settings->ehlo_name ? settings->ehlo_name :
	    "localhost")) {
		err = GETK_ERR_INVAL;
		goto leave;
	}
	err = getk_curl_list(settings->connect_to, &connect_to);
	if (!err)
		err = getk_curl_list(settings->resolve, &resolve);
	if (err)
		goto leave;

	curl_easy_setopt(s->curl, CURLOPT_URL, url.data);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(s->curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_USE_SSL, settings->no_tls ?
	    (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
	curl_easy_setopt(s->curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	if (settings->ntlsa && !anchor) {
		/* DANE: the TLSA records, not the Web PKI, judge the
		 * certificate, after the handshake (RFC 7672 3.1). */
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(s->curl, CURLOPT_CERTINFO, 1L);
	} else if (anchor) {
		struct curl_blob blob;

		blob.data = (void *)anchor;
		blob.len = strlen(anchor);
		blob.flags = CURL_BLOB_COPY;
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(s->curl, CURLOPT_CAINFO_BLOB, &blob);
	} else {
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 2L);
		if (settings->ca_file)
			curl_easy_setopt(s->curl, CURLOPT_CAINFO,
			    settings->ca_file);
	}
	if (connect_to)
		curl_easy_setopt(s->curl, CURLOPT_CONNECT_TO, connect_to);
	if (resolve)
		curl_easy_setopt(s->curl, CURLOPT_RESOLVE, resolve);
	connect_ms = op_deadline(s, settings->timeout_ms) - getk_mono_ms();
	if (connect_ms <= 0) {
		err = GETK_ERR_TIMEOUT;
		snprintf(why, whysz, "%s: no time left to connect (the "
		    "lookup's deadline passed)", settings->host);
		goto leave;
	}
	curl_easy_setopt(s->curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, connect_ms);
	curl_easy_setopt(s->curl, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(s->curl, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, errbuf);
	if (settings->user) {
		curl_easy_setopt(s->curl, CURLOPT_USERNAME, settings->user);
		curl_easy_setopt(s->curl, CURLOPT_PASSWORD,
		    settings->password ? settings->password : "");
		/* curl takes the mechanism as the login option "AUTH=NAME". */
		if (settings->auth_method) {
			err = getk_buf_printf(&login, "AUTH=%s",
			    settings->auth_method);
			for (size_t i = 5; !err && i < login.len; i++)
				if (login.data[i] >= 'a' && login.data[i] <= 'z')
					login.data[i] = (char)(login.data[i] -
					    'a' + 'A');
			if (err)
				goto leave;
			curl_easy_setopt(s->curl, CURLOPT_LOGIN_OPTIONS,
			    login.data);
		}
	}

	getk_log(s->log, GETK_LOG_DEBUG, "connecting to %s port %d",
	    settings->host, settings->port);
	rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, NULL);
	if (s->bad[0]) {
		err = GETK_ERR_PROTO;
		snprintf(why, whysz, "%s: malformed reply: %s", settings->host,
		    s->bad);
		goto leave;
	}
	if (rc != CURLE_OK) {
		/* libcurl's message may quote the server (a certificate's
		 * name): it is shown printable too. */
		char shown[sizeof(errbuf) * 4];

		getk_printable(shown, sizeof(shown), errbuf, strlen(errbuf));
		err = getk_curl_err(rc);
		if (rc == CURLE_WEIRD_SERVER_REPLY)
			err = classify_reply(s->hdr.code, err);
		if (rc == CURLE_USE_SSL_FAILED)
			snprintf(why, whysz, "%s does not offer STARTTLS",
			    settings->host);
		else if (rc == CURLE_WEIRD_SERVER_REPLY && s->hdr.lines)
			snprintf(why, whysz, "%s said: %s", settings->host,
			    s->hdr.text);
		else
			snprintf(why, whysz, "%s: %s", settings->host,
			    shown[0] ? shown : curl_easy_strerror(rc));
		goto leave;
	}
	if (settings->user && !getk_smtp_has(s, "AUTH")) {
		/* libcurl silently skips AUTH when it is not offered. */
		err = GETK_ERR_AUTH;
		snprintf(why, whysz, "%s does not offer AUTH", settings->host);
		goto leave;
	}
	set_state(s, SMTP_READY);
	*r_smtp = s;
	s = NULL;
leave:
	curl_slist_free_all(connect_to);
	curl_slist_free_all(resolve);
	getk_buf_free(&url);
	getk_buf_free(&login);
	if (s && s->curl)
		set_state(s, SMTP_BROKEN);
	getk_smtp_close(s);
	return err;
}

/*
 * Holds the certificate chain of a DANE session against the TLSA records
 * (RFC 7672 3.1): a DANE-EE record must match the server's own
 * certificate; a DANE-TA record may match any certificate of the chain,
 * which *R_ANCHOR (a new PEM string) then receives, to anchor a second,
 * fully validated connection.  GETK_OK with *R_ANCHOR NULL: DANE-EE
 * matched.  GETK_ERR_TLS: nothing matched.
 */
static enum getk_err
dane_check(struct getk_smtp *s, const struct getk_smtp_settings *settings,
    char **r_anchor, char *why, size_t whysz)
{
	struct curl_certinfo *ci = NULL;
	struct getk_buf der;
	enum getk_err err = GETK_ERR_TLS;
	int i;

	*r_anchor = NULL;
	getk_buf_init(&der, 1 << 20);
	if (curl_easy_getinfo(s->curl, CURLINFO_CERTINFO, &ci) != CURLE_OK ||
	    !ci || ci->num_of_certs <= 0) {
		snprintf(why, whysz, "%s: no certificate to hold against its "
		    "TLSA records", settings->host);
		goto leave;
	}
	for (i = 0; i < ci->num_of_certs; i++) {
		const struct curl_slist *l;
		const char *pem = NULL;
		size_t t;

		for (l = ci->certinfo[i]; l; l = l->next)
			if (strncmp(l->data, "Cert:", 5) == 0)
				pem = l->data + 5;
		getk_buf_free(&der);
		if (!pem || getk_pem_cert_to_der(pem, strlen(pem), &der))
			continue;
		for (t = 0; t < settings->ntlsa; t++) {
			const struct getk_tlsa *r = &settings->tlsa[t];

			if (!getk_tlsa_usable(r) || !getk_tlsa_match(r,
			    (const unsigned char *)der.data, der.len))
				continue;
			if (r->usage == 3 && i == 0) {
				getk_log(s->log, GETK_LOG_INFO, "%s: "
				    "certificate matches TLSA %u %u %u "
				    "(DANE-EE)", settings->host, r->usage,
				    r->selector, r->mtype);
				free(*r_anchor);
				*r_anchor = NULL;
				err = GETK_OK;
				goto leave;
			}
			if (r->usage == 2 && !*r_anchor) {
				*r_anchor = strdup(pem);
				if (!*r_anchor) {
					err = GETK_ERR_NOMEM;
					goto leave;
				}
			}
		}
	}
	if (*r_anchor) {
		getk_log(s->log, GETK_LOG_INFO, "%s: chain holds the DANE-TA "
		    "trust anchor; validating against it", settings->host);
		err = GETK_OK;
		goto leave;
	}
	snprintf(why, whysz, "%s: certificate matches none of its %zu TLSA "
	    "record%s", settings->host, settings->ntlsa,
	    settings->ntlsa == 1 ? "" : "s");
leave:
	getk_buf_free(&der);
	return err;
}

enum getk_err
getk_smtp_open(const struct getk_smtp_settings *settings,
    struct getk_smtp **r_smtp, char *why, size_t whysz)
{
	struct getk_smtp *s = NULL;
	char *anchor = NULL;
	enum getk_err err;

	*r_smtp = NULL;
	err = session_open(settings, NULL, &s, why, whysz);
	if (err || !settings->ntlsa)
		goto leave;
	err = dane_check(s, settings, &anchor, why, whysz);
	if (err || !anchor)
		goto leave;
	/* DANE-TA: a connection whose chain is validated up to the
	 * anchor, with the MX host's name (RFC 7672 3.2.2). */
	getk_smtp_close(s);
	s = NULL;
	err = session_open(settings, anchor, &s, why, whysz);
	if (err)
		snprintf(why + strlen(why), whysz - strlen(why), " (validating "
		    "against the DANE-TA anchor)");
leave:
	free(anchor);
	if (err) {
		getk_smtp_close(s);
		s = NULL;
	}
	*r_smtp = s;
	return err;
}

/* The capability line for KEYWORD, or NULL. */
static const char *
find_cap(const struct getk_smtp *s, const char *keyword)
{
	size_t klen = strlen(keyword), pos = 0;

	while (s->caps.data && pos < s->caps.len) {
		const char *line = s->caps.data + pos;
		size_t len = strlen(line);

		if (len >= klen && strncasecmp(line, keyword, klen) == 0 &&
		    (line[klen] == '\0' || line[klen] == ' ' ||
		    line[klen] == '='))
			return line;
		pos += len + 1;
	}
	return NULL;
}

int
getk_smtp_has(const struct getk_smtp *smtp, const char *keyword)
{
	return find_cap(smtp, keyword) != NULL;
}

/* Non-zero when capability line LINE lists key format OPENPGP. */
static int
has_openpgp(const char *line)
{
	const char *p = strchr(line, ' ');

	while (p) {
		p++;
		if (strncasecmp(p, "OPENPGP", 7) == 0 &&
		    (p[7] == '\0' || p[7] == ' '))
			return 1;
		p = strchr(p, ' ');
	}
	return 0;
}

const char *
getk_smtp_getk_verb(const struct getk_smtp *smtp)
{
	const char *line;

	line = find_cap(smtp, "GETK");
	if (line && has_openpgp(line))
		return "GETK";
	line = find_cap(smtp, "XGETK");
	if (line && has_openpgp(line))
		return "XGETK";
	return NULL;
}

/* Waits until the socket is readable (or writable) or the deadline. */
static enum getk_err
wait_socket(struct getk_smtp *s, int for_write, long deadline)
{
	curl_socket_t sock;
	struct pollfd pfd;
	long left;
	int ret;

	if (curl_easy_getinfo(s->curl, CURLINFO_ACTIVESOCKET, &sock) !=
	    CURLE_OK || sock == CURL_SOCKET_BAD)
		return GETK_ERR_CONNECT;
	for (;;) {
		left = deadline - getk_mono_ms();
		if (left <= 0)
			return GETK_ERR_TIMEOUT;
		pfd.fd = sock;
		pfd.events = for_write ? POLLOUT : POLLIN;
		pfd.revents = 0;
		ret = poll(&pfd, 1, (int)left);
		if (ret > 0)
			return GETK_OK;
		if (ret == 0)
			return GETK_ERR_TIMEOUT;
		if (errno != EINTR)
			return GETK_ERR_SYSTEM;
	}
}

static enum getk_err
send_all(struct getk_smtp *s, const char *p, size_t len)
{
	long deadline = op_deadline(s, s->timeout_ms);
	enum getk_err err;

	while (len) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(s->curl, p, len, &n);

		if (rc == CURLE_AGAIN) {
			err = wait_socket(s, 1, deadline);
			if (err)
				return err;
			continue;
		}
		if (rc != CURLE_OK)
			return GETK_ERR_CONNECT;
		p += n;
		len -= n;
	}
	return GETK_OK;
}

/*
 * Reads one line (without its CRLF) into LINE, of at most SMTP_MAX_LINE
 * bytes, by DEADLINE.  A line that does not end in CRLF within the limit
 * is a protocol error.
 */
static enum getk_err
read_line(struct getk_smtp *s, char *line, size_t *r_len, long deadline)
{
	for (;;) {
		char *nl = memchr(s->in, '\n', s->inlen);
		CURLcode rc;
		size_t n = 0;
		enum getk_err err;

		if (nl) {
			size_t len = (size_t)(nl - s->in), used = len + 1;

			if (len && s->in[len - 1] == '\r')
				len--;
			if (len > SMTP_MAX_LINE)
				return GETK_ERR_PROTO;
			memcpy(line, s->in, len);
			line[len] = '\0';
			memmove(s->in, s->in + used, s->inlen - used);
			s->inlen -= used;
			*r_len = len;
			return GETK_OK;
		}
		if (s->inlen > SMTP_MAX_LINE + 1)
			return GETK_ERR_PROTO;
		rc = curl_easy_recv(s->curl, s->in + s->inlen,
		    sizeof(s->in) - s->inlen, &n);
		if (rc == CURLE_AGAIN) {
			err = wait_socket(s, 0, deadline);
			if (err)
				return err;
			continue;
		}
		if (rc != CURLE_OK || n == 0)
			return GETK_ERR_CONNECT;
		s->inlen += n;
	}
}

/*
 * Checks, when no reply is owed, that the server said nothing: no byte
 * is buffered and none can be read now.  WHEN ("before RCPT TO:<x>")
 * goes into the message.  GETK_ERR_PROTO, with *WHY quoting what came,
 * for a line out of turn: every later reply would be read as the reply
 * to the wrong command.  GETK_ERR_CONNECT when the server closed the
 * connection.
 */
static enum getk_err
expect_silence(struct getk_smtp *s, const char *when, char *why,
    size_t whysz)
{
	char shown[GETK_REPLY_TEXT_MAX];
	const char *nl;
	size_t n = 0, len;
	CURLcode rc;

	if (s->inlen == 0) {
		rc = curl_easy_recv(s->curl, s->in, sizeof(s->in), &n);
		if (rc == CURLE_AGAIN)
			return GETK_OK;
		if (rc != CURLE_OK || n == 0) {
			snprintf(why, whysz, "%s closed the connection %s",
			    s->host, when);
			return GETK_ERR_CONNECT;
		}
		s->inlen = n;
	}
	nl = memchr(s->in, '\n', s->inlen);
	len = nl ? (size_t)(nl - s->in) : s->inlen;
	if (len && s->in[len - 1] == '\r')
		len--;
	getk_printable(shown, sizeof(shown), s->in, len);
	getk_log(s->log, GETK_LOG_PROTO, "%s <- %s (out of turn)", s->host,
	    shown);
	snprintf(why, whysz, "%s sent a reply out of turn, %s: %s", s->host,
	    when, shown);
	return GETK_ERR_PROTO;
}

/*
 * Reads the whole reply to WHAT ("DATA", "the final dot") into *M by
 * DEADLINE, with *WHY saying what went wrong: GETK_ERR_TIMEOUT,
 * GETK_ERR_CONNECT (the connection closed), GETK_ERR_PROTO (a malformed
 * reply).
 */
static enum getk_err
read_whole(struct getk_smtp *s, struct getk_multiline *m, const char *what,
    long deadline, char *why, size_t whysz)
{
	char line[SMTP_MAX_LINE + 1], shown[SMTP_SHOWN];
	const char *bad;
	size_t len;
	enum getk_err err;

	getk_multiline_init(m);
	while (!m->done) {
		err = read_line(s, line, &len, deadline);
		if (err == GETK_ERR_TIMEOUT) {
			snprintf(why, whysz, "%s: timed out waiting for the "
			    "reply to %s", s->host, what);
			return err;
		}
		if (err == GETK_ERR_PROTO) {
			snprintf(why, whysz, "%s: reply line too long, in the "
			    "reply to %s", s->host, what);
			return err;
		}
		if (err) {
			snprintf(why, whysz, "%s closed the connection instead "
			    "of answering %s", s->host, what);
			return GETK_ERR_CONNECT;
		}
		getk_printable(shown, sizeof(shown), line, len);
		getk_log(s->log, GETK_LOG_PROTO, "%s <- %s", s->host, shown);
		err = getk_multiline_feed(m, line, len, NULL, &bad);
		if (err) {
			snprintf(why, whysz, "%s: malformed reply to %s: %s: "
			    "%.200s", s->host, what, bad, shown);
			return err;
		}
	}
	return GETK_OK;
}

/* Reads one whole GETK reply into the parser REPLY. */
static enum getk_err
read_reply(struct getk_smtp *s, struct getk_reply *reply, char *why,
    size_t whysz)
{
	long deadline = op_deadline(s, s->timeout_ms);
	char line[SMTP_MAX_LINE + 1], shown[SMTP_SHOWN];
	size_t len, lines = 0;
	int done = 0;
	enum getk_err err;

	while (!done) {
		err = read_line(s, line, &len, deadline);
		if (err == GETK_ERR_TIMEOUT) {
			snprintf(why, whysz, "%s: timed out waiting for the "
			    "GETK reply", s->host);
			return err;
		}
		if (err == GETK_ERR_PROTO) {
			snprintf(why, whysz, "%s: reply line too long",
			    s->host);
			return err;
		}
		if (err) {
			snprintf(why, whysz, "%s: connection lost during the "
			    "GETK reply", s->host);
			return err;
		}
		if (lines++ == 0 || len < 80) {
			getk_printable(shown, sizeof(shown), line, len);
			getk_log(s->log, GETK_LOG_PROTO, "%s <- %s", s->host,
			    shown);
		}
		err = getk_reply_feed(reply, line, len, &done);
		if (err) {
			snprintf(why, whysz, "%s: %s", s->host,
			    getk_reply_problem(reply));
			return err;
		}
	}
	return GETK_OK;
}

/*
 * One GETK pipeline, shared by the handlers of the GETK_* states: at
 * most WINDOW commands are owed a reply at a time, and the replies are
 * counted against the commands sent.
 */
struct getk_run {
	const char *verb;
	const char *const *mailboxes;
	size_t n;			/* commands to send in all */
	size_t window;			/* most replies owed at once */
	size_t max_octets;		/* for each reply parser */
	struct getk_reply **replies;	/* reply i answers mailboxes[i] */
	size_t sent;			/* commands written */
	size_t done;			/* replies read */
	int noop_sent;			/* the closing NOOP is written */
	enum getk_err err;
	char *why;
	size_t whysz;
};

/* Ends the pipeline with ERR; the session's framing is lost. */
static void
getk_fail(struct getk_smtp *s, struct getk_run *g, enum getk_err err)
{
	g->err = err;
	set_state(s, SMTP_BROKEN);
}

/*
 * GETK_SEND: writes commands until WINDOW replies are owed, and after the
 * last GETK the closing NOOP when the server pipelines.  When no reply
 * is owed yet, the server must have been silent.
 */
static void
on_getk_send(struct getk_smtp *s, struct getk_run *g)
{
	struct getk_buf cmd;
	enum getk_err err = GETK_OK;

	if (g->sent == g->done) {
		err = expect_silence(s, "before GETK was sent", g->why,
		    g->whysz);
		if (err) {
			getk_fail(s, g, err);
			return;
		}
	}
	getk_buf_init(&cmd, 0);
	for (; !err && g->sent < g->n && g->sent - g->done < g->window;
	    g->sent++) {
		getk_log(s->log, GETK_LOG_PROTO, "%s -> %s <%s>", s->host,
		    g->verb, g->mailboxes[g->sent]);
		err = getk_buf_printf(&cmd, "%s <%s>\r\n", g->verb,
		    g->mailboxes[g->sent]);
	}
	if (!err && g->sent == g->n && g->window > 1) {
		getk_log(s->log, GETK_LOG_PROTO, "%s -> NOOP", s->host);
		err = getk_buf_adds(&cmd, "NOOP\r\n");
		g->noop_sent = 1;
	}
	if (!err && cmd.len) {
		err = send_all(s, cmd.data, cmd.len);
		if (err)
			snprintf(g->why, g->whysz, "%s: %s while sending GETK",
			    s->host, getk_strerror(err));
	}
	getk_buf_free(&cmd);
	if (err) {
		getk_fail(s, g, err);
		return;
	}
	set_state(s, SMTP_GETK_REPLY);
}

/*
 * GETK_REPLY: reads the reply owed to the oldest command.  421 ends the
 * session (the server closes it); otherwise more commands go out while
 * the window allows, and after the last reply the pipeline ends.
 */
static void
on_getk_reply(struct getk_smtp *s, struct getk_run *g)
{
	struct getk_reply *r;
	enum getk_err err;

	err = getk_reply_new(g->max_octets, &g->replies[g->done]);
	if (err) {
		getk_fail(s, g, err);
		return;
	}
	r = g->replies[g->done];
	err = read_reply(s, r, g->why, g->whysz);
	if (err) {
		getk_fail(s, g, err);
		return;
	}
	g->done++;
	if (getk_reply_code(r) == 421) {
		if (g->done < g->n)
			snprintf(g->why, g->whysz, "%s closed the session: "
			    "421 %s", s->host, getk_reply_text(r));
		getk_fail(s, g, g->done < g->n ? GETK_ERR_TEMPFAIL : GETK_OK);
		return;
	}
	if (g->done == g->n)
		set_state(s, SMTP_GETK_END);
	else if (g->sent < g->n)
		set_state(s, SMTP_GETK_SEND);
}

/*
 * GETK_END: every GETK has its reply; the next reply must be NOOP's, a
 * single 2yz line, and nothing may follow it.  Anything else means that
 * the server answered some GETK twice, so that some reply seemed to
 * answer another command than its own: none of them is used, and the
 * session is over.
 */
static void
on_getk_end(struct getk_smtp *s, struct getk_run *g)
{
	struct getk_multiline noop;
	enum getk_err err = GETK_OK;

	if (!g->noop_sent) {
		err = expect_silence(s, "after the last GETK reply", g->why,
		    g->whysz);
		if (!err) {
			getk_log(s->log, GETK_LOG_PROTO, "%s -> NOOP", s->host);
			err = send_all(s, "NOOP\r\n", 6);
			if (err)
				snprintf(g->why, g->whysz, "%s: %s while "
				    "sending NOOP", s->host,
				    getk_strerror(err));
		}
	}
	if (!err)
		err = read_whole(s, &noop, "NOOP", op_deadline(s,
		    s->timeout_ms), g->why, g->whysz);
	if (!err && (noop.lines != 1 || noop.code / 100 != 2)) {
		snprintf(g->why, g->whysz, "%s sent a reply too many: "
		    "\"%.60s%s\" came where the reply to NOOP was due",
		    s->host, noop.text, strlen(noop.text) > 60 ? "..." : "");
		err = GETK_ERR_PROTO;
	}
	if (!err)
		err = expect_silence(s, "after the reply to NOOP", g->why,
		    g->whysz);
	if (err == GETK_ERR_PROTO) {
		/* Framing lost after the last GETK reply: no reply of the
		 * batch can be trusted to answer its own command. */
		snprintf(g->why + strlen(g->why), g->whysz - strlen(g->why),
		    "; none of the %zu GETK replies is used", g->n);
		g->done = 0;
		getk_fail(s, g, err);
		return;
	}
	if (err) {
		/* Silence or a closed connection, not a reply too many: the
		 * replies stand, the session is over. */
		getk_log(s->log, GETK_LOG_INFO, "%s", g->why);
		g->why[0] = '\0';
		set_state(s, SMTP_BROKEN);
		return;
	}
	set_state(s, SMTP_READY);
}

/* The handler of each GETK pipeline state; NULL for the others. */
static void (*const getk_handlers[SMTP_NSTATES])(struct getk_smtp *,
    struct getk_run *) = {
	[SMTP_GETK_SEND] = on_getk_send,
	[SMTP_GETK_REPLY] = on_getk_reply,
	[SMTP_GETK_END] = on_getk_end,
};

enum getk_err
getk_smtp_getk(struct getk_smtp *smtp, const char *const *mailboxes,
    size_t n, size_t max_octets, struct getk_reply **replies,
    size_t *r_done, char *why, size_t whysz)
{
	struct getk_run g;
	size_t i;

	*r_done = 0;
	why[0] = '\0';
	for (i = 0; i < n; i++)
		replies[i] = NULL;
	memset(&g, 0, sizeof(g));
	g.verb = getk_smtp_getk_verb(smtp);
	if (smtp->state != SMTP_READY || !g.verb) {
		snprintf(why, whysz, "%s: session cannot take GETK",
		    smtp->host);
		return GETK_ERR_INTERNAL;
	}
	if (n == 0)
		return GETK_OK;
	g.mailboxes = mailboxes;
	g.n = n;
	g.window = getk_smtp_has(smtp, "PIPELINING") ? SMTP_PIPELINE_MAX : 1;
	g.max_octets = max_octets;
	g.replies = replies;
	g.why = why;
	g.whysz = whysz;
	set_state(smtp, SMTP_GETK_SEND);
	while (getk_handlers[smtp->state])
		getk_handlers[smtp->state](smtp, &g);
	*r_done = g.done;
	return g.err;
}

enum getk_err
getk_smtp_send(struct getk_smtp *smtp, const void *p, size_t len)
{
	enum getk_err err;

	if (smtp->state != SMTP_READY)
		return GETK_ERR_CONNECT;
	err = send_all(smtp, p, len);
	if (err)
		set_state(smtp, SMTP_BROKEN);
	return err;
}

enum getk_err
getk_smtp_command(struct getk_smtp *smtp, const char *line, const char *what,
    struct getk_multiline *reply, char *why, size_t whysz)
{
	struct getk_buf cmd;
	char when[GETK_REPLY_TEXT_MAX];
	enum getk_err err;

	getk_multiline_init(reply);
	why[0] = '\0';
	if (!what)
		what = line;
	if (smtp->state != SMTP_READY) {
		snprintf(why, whysz, "%s: the session is broken; %s is not "
		    "sent", smtp->host, what);
		return GETK_ERR_CONNECT;
	}
	snprintf(when, sizeof(when), "before %s", what);
	err = expect_silence(smtp, when, why, whysz);
	if (err)
		goto leave;
	getk_log(smtp->log, GETK_LOG_PROTO, "%s -> %s", smtp->host, line);
	getk_buf_init(&cmd, SMTP_MAX_LINE + 2);
	err = getk_buf_printf(&cmd, "%s\r\n", line);
	if (!err)
		err = send_all(smtp, cmd.data, cmd.len);
	getk_buf_free(&cmd);
	if (err) {
		snprintf(why, whysz, "%s: %s while sending %s", smtp->host,
		    getk_strerror(err), what);
		goto leave;
	}
	err = read_whole(smtp, reply, what, op_deadline(smtp,
	    smtp->timeout_ms), why, whysz);
leave:
	if (err)
		set_state(smtp, SMTP_BROKEN);
	return err;
}

int
getk_smtp_sound(const struct getk_smtp *smtp)
{
	return smtp && smtp->state == SMTP_READY;
}

void
getk_smtp_adopt(struct getk_smtp *smtp, const struct getk_logger *log,
    long timeout_ms, long deadline_ms)
{
	smtp->log = log;
	smtp->timeout_ms = timeout_ms;
	smtp->deadline = deadline_ms;
}

void
getk_smtp_close(struct getk_smtp *smtp)
{
	struct getk_multiline reply;
	char why[GETK_REPLY_TEXT_MAX + 128];

	if (!smtp)
		return;
	if (smtp->state == SMTP_READY) {
		long deadline = op_deadline(smtp, smtp->timeout_ms < 2000 ?
		    smtp->timeout_ms : 2000);

		/* QUIT is a courtesy: a slow or rude server is not waited
		 * for long, and one that speaks out of turn gets none. */
		if (expect_silence(smtp, "before QUIT", why, sizeof(why))) {
			getk_log(smtp->log, GETK_LOG_INFO, "%s", why);
			set_state(smtp, SMTP_BROKEN);
		} else {
			getk_log(smtp->log, GETK_LOG_PROTO, "%s -> QUIT",
			    smtp->host);
			if (send_all(smtp, "QUIT\r\n", 6) == GETK_OK)
				read_whole(smtp, &reply, "QUIT", deadline,
				    why, sizeof(why));
			set_state(smtp, SMTP_CLOSED);
		}
	}
	if (smtp->curl)
		curl_easy_cleanup(smtp->curl);
	getk_buf_free(&smtp->caps);
	getk_buf_free(&smtp->caps_next);
	free(smtp->host);
	free(smtp);
}
