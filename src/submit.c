/*
 * submit.c: SMTP submission over getk's own SMTP session.
 *
 * libcurl connects and does greeting, EHLO, STARTTLS or implicit TLS
 * with certificate checks, the second EHLO and AUTH (src/smtp.c); the
 * mail transaction itself is spoken here, so that its parameters are
 * ours to choose: libcurl 7.88 rebuilds MAIL FROM and RCPT TO from the
 * bare address and could carry neither DSN nor SIZE.  A session opened
 * with a user fails before MAIL FROM when the relay offers no AUTH after
 * TLS.  The message streams from its spool, dot-stuffed.
 *
 * The transaction is a state machine, one handler per state, and
 * tx_state() is the one place the state changes (and logs):
 *
 *     MAIL -> RCPT (once per recipient) -> DATA -> CONTENT -> DOT
 *          -> MAIL (the next message) or QUIT -> END
 *
 * A refusal (4yz, 5yz) of any command goes to RSET, then QUIT, or with
 * keep_going MAIL for the next message: one refused copy does not keep
 * the others from the relay.  After each accepted message the caller is
 * told at once (the accepted callback), before the next one is sent, so
 * that a queue can record it as submitted.  Each
 * command is sent alone and its reply read before the next one (no
 * PIPELINING), and every reply must be the one its command calls for:
 * 2yz to MAIL, RCPT and the final dot, 354 to DATA.  Anything else, or
 * a reply out of turn (smtp.c checks before each command, so also
 * before the final dot), is a protocol error that ends the submission
 * at once: a broken relay never receives a complete message, and
 * success is never reported without the relay's 2yz after the final
 * dot.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "reply.h"
#include "smtp.h"
#include "submit.h"

enum tx_state {
	TX_MAIL,	/* MAIL FROM for the message, awaiting 2yz */
	TX_RCPT,	/* RCPT TO for its next recipient, awaiting 2yz */
	TX_DATA,	/* DATA, awaiting 354 */
	TX_CONTENT,	/* the message, dot-stuffed, without the final dot */
	TX_DOT,		/* the final dot, awaiting the relay's verdict */
	TX_RSET,	/* after a refusal: RSET, then QUIT */
	TX_QUIT,	/* QUIT and close */
	TX_END		/* nothing more to say */
};

static const char *const tx_names[] = {
	"MAIL", "RCPT", "DATA", "CONTENT", "DOT", "RSET", "QUIT", "END"
};
#define TX_NSTATES (sizeof(tx_names) / sizeof(tx_names[0]))

/* One submission: what the state handlers share. */
struct tx {
	const struct getk_submit_settings *s;
	struct getk_smtp *smtp;
	const struct getk_submission *msgs;
	size_t n;			/* transactions */
	size_t i;			/* the one in progress */
	size_t k;			/* its next recipient */
	int dsn, size, eightbit;	/* what the relay offers */
	enum tx_state state;
	struct getk_multiline reply;	/* the last reply */
	int code;			/* the last transaction reply's code */
	size_t done;			/* transactions the relay accepted */
	struct getk_submit_result *res;	/* one per transaction */
};

/* Moves the transaction to NEXT and logs it. */
static void
tx_state(struct tx *t, enum tx_state next)
{
	if (t->state == next)
		return;
	getk_log(t->s->log, GETK_LOG_PROTO, "relay %s: %s -> %s", t->s->relay.host,
	    tx_names[t->state], tx_names[next]);
	t->state = next;
}

/* The error for a refusal with reply CODE. */
static enum getk_err
refusal(int code)
{
	if (code == 530 || code == 535)
		return GETK_ERR_AUTH;
	return code / 100 == 4 ? GETK_ERR_TEMPFAIL : GETK_ERR_PERMFAIL;
}

static void tx_fail(struct tx *t, enum getk_err err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The result of the transaction in progress. */
static struct getk_submit_result *
tx_result(struct tx *t)
{
	return &t->res[t->i];
}

/*
 * Ends the submission with ERR and the message FMT (or, with FMT NULL,
 * the one already in the current result), for the transaction in
 * progress and every later one.  Nothing of the transaction is sent any
 * more; smtp.c says QUIT only where the session's framing is intact
 * (a reply of the wrong code, but in turn).
 */
static void
tx_fail(struct tx *t, enum getk_err err, const char *fmt, ...)
{
	struct getk_submit_result *cur = tx_result(t);
	va_list ap;
	size_t k;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(cur->why, sizeof(cur->why), fmt, ap);
		va_end(ap);
	}
	for (k = t->i; k < t->n; k++) {
		t->res[k].err = err;
		t->res[k].refused = 0;
		if (k > t->i)
			snprintf(t->res[k].why, sizeof(t->res[k].why), "%s",
			    cur->why);
	}
	tx_state(t, TX_END);
}

/*
 * Sends LINE, named WHAT in messages, and reads its reply into
 * t->reply.  Returns 0 when a reply came; otherwise the submission has
 * failed (smtp.c said why).
 */
static int
tx_command(struct tx *t, const char *line, const char *what)
{
	enum getk_err err;

	err = getk_smtp_command(t->smtp, line, what, &t->reply,
	    tx_result(t)->why, sizeof(tx_result(t)->why));
	if (err) {
		tx_fail(t, err, NULL);
		return -1;
	}
	return 0;
}

/*
 * Judges the reply to the command WHAT in t->reply: returns 1 when its
 * code is the one WANT calls for (a class, 2 for "2yz", or a code, 354).
 * A refusal (4yz, 5yz) of REFUSED (what the relay refuses: the command,
 * or the message) fails the transaction, which ends with RSET; any other
 * reply is a protocol error.
 */
static int
tx_expect(struct tx *t, const char *what, const char *refused, int want)
{
	struct getk_submit_result *cur = tx_result(t);
	int code = t->reply.code;

	t->code = code;
	if (want < 10 ? code / 100 == want : code == want)
		return 1;
	if (code / 100 == 4 || code / 100 == 5) {
		cur->err = refusal(code);
		cur->refused = 1;
		snprintf(cur->why, sizeof(cur->why), "relay refused %s: %s",
		    refused, t->reply.text);
		tx_state(t, TX_RSET);
		return 0;
	}
	tx_fail(t, GETK_ERR_PROTO, "relay answered %s with %s, not %s: a "
	    "broken relay; the message was not submitted", what,
	    t->reply.text, want == 354 ? "354" : "2yz");
	return 0;
}

/* MAIL: the envelope sender, with SIZE, BODY and RET where offered. */
static void
on_mail(struct tx *t)
{
	const struct getk_submission *m = &t->msgs[t->i];
	struct getk_buf cmd;
	char what[600];
	enum getk_err err;

	getk_log(t->s->log, GETK_LOG_DEBUG, "submitting %lld bytes to %s "
	    "port %d for %zu recipient%s", (long long)getk_spool_size(
	    m->message), t->s->relay.host, t->s->relay.port, m->nrcpts,
	    m->nrcpts == 1 ? "" : "s");
	/* SIZE lets the relay refuse a message too big before it is sent;
	 * BODY=8BITMIME announces what a clear-text message may hold (RFC
	 * 1870, RFC 6152). */
	getk_buf_init(&cmd, 2048);
	err = getk_buf_printf(&cmd, "MAIL FROM:<%s>", m->from);
	if (!err && t->size)
		err = getk_buf_printf(&cmd, " SIZE=%lld",
		    (long long)getk_spool_size(m->message));
	if (!err && t->eightbit)
		err = getk_buf_adds(&cmd, " BODY=8BITMIME");
	if (!err && t->dsn && t->s->dsn_ret)
		err = getk_buf_printf(&cmd, " RET=%s", t->s->dsn_ret);
	snprintf(what, sizeof(what), "MAIL FROM:<%s>", m->from);
	if (err)
		tx_fail(t, err, "%s: %s", what, getk_strerror(err));
	else if (tx_command(t, cmd.data, what) == 0 &&
	    tx_expect(t, what, what, 2)) {
		t->k = 0;
		tx_state(t, TX_RCPT);
	}
	getk_buf_free(&cmd);
}

/* RCPT: the next recipient, with NOTIFY where offered; then DATA. */
static void
on_rcpt(struct tx *t)
{
	const struct getk_submission *m = &t->msgs[t->i];
	struct getk_buf cmd;
	char what[600];
	enum getk_err err;

	if (t->k == m->nrcpts) {
		tx_state(t, TX_DATA);
		return;
	}
	getk_buf_init(&cmd, 2048);
	err = getk_buf_printf(&cmd, "RCPT TO:<%s>%s%s", m->rcpts[t->k],
	    t->dsn && t->s->dsn_notify ? " NOTIFY=" : "",
	    t->dsn && t->s->dsn_notify ? t->s->dsn_notify : "");
	snprintf(what, sizeof(what), "RCPT TO:<%s>", m->rcpts[t->k]);
	if (err)
		tx_fail(t, err, "%s: %s", what, getk_strerror(err));
	else if (tx_command(t, cmd.data, what) == 0 &&
	    tx_expect(t, what, what, 2))
		t->k++;
	getk_buf_free(&cmd);
}

/* DATA: only 354 lets the message go. */
static void
on_data(struct tx *t)
{
	if (tx_command(t, "DATA", "DATA") == 0 &&
	    tx_expect(t, "DATA", "DATA", 354))
		tx_state(t, TX_CONTENT);
}

/*
 * CONTENT: the spooled message, dot-stuffed, ended by a CRLF (added when
 * it lacks one); the final dot is the next state's, so that smtp.c can
 * check first that the relay has said nothing meanwhile.
 */
static void
on_content(struct tx *t)
{
	struct getk_spool *msg = t->msgs[t->i].message;
	char in[32768], out[65536 + 8];
	size_t got, i, n;
	off_t off = 0;
	int bol = 1;		/* at the beginning of a line */
	char last[2] = { '\r', '\n' };
	enum getk_err err;

	for (;;) {
		err = getk_spool_read(msg, off, in, sizeof(in), &got);
		if (err) {
			tx_fail(t, err, "cannot read the message to send: %s",
			    getk_strerror(err));
			return;
		}
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
		err = getk_smtp_send(t->smtp, out, n);
		if (err)
			break;
	}
	if (!err && (last[0] != '\r' || last[1] != '\n'))
		err = getk_smtp_send(t->smtp, "\r\n", 2);
	if (err) {
		tx_fail(t, err, "%s: %s while sending the message", t->s->relay.host,
		    getk_strerror(err));
		return;
	}
	getk_log(t->s->log, GETK_LOG_PROTO, "%s -> (%lld octets of message)",
	    t->s->relay.host, (long long)off);
	tx_state(t, TX_DOT);
}

/*
 * DOT: the final dot; only the relay's 2yz after it means "submitted",
 * and the caller hears of it before anything more is sent.
 */
static void
on_dot(struct tx *t)
{
	struct getk_submit_result *cur = tx_result(t);
	enum getk_err err;
	size_t len;

	err = getk_smtp_command(t->smtp, ".", "the final dot", &t->reply,
	    cur->why, sizeof(cur->why));
	if (err) {
		/* Once the dot is out, silence may also mean that the relay
		 * has the message: say so, for the caller who retries. */
		len = strlen(cur->why);
		if (err == GETK_ERR_TIMEOUT || err == GETK_ERR_CONNECT)
			snprintf(cur->why + len, sizeof(cur->why) - len,
			    "; the relay may have the message nonetheless");
		tx_fail(t, err, NULL);
		return;
	}
	if (!tx_expect(t, "the final dot", "the message after the final dot",
	    2))
		return;
	cur->err = GETK_OK;
	cur->why[0] = '\0';
	t->done++;
	err = t->s->accepted ? t->s->accepted(t->s->accepted_arg, t->i) :
	    GETK_OK;
	t->i++;
	if (err && t->i < t->n) {
		tx_fail(t, err, "not sent: %s before it", getk_strerror(err));
		return;
	}
	tx_state(t, t->i < t->n ? TX_MAIL : TX_QUIT);
}

/*
 * RSET: a refused transaction leaves nothing half-done at the relay.
 * Its reply does not change the verdict.  With keep_going the next
 * transaction follows; a session that RSET found broken fails them all.
 */
static void
on_rset(struct tx *t)
{
	struct getk_multiline reply;
	char why[GETK_REPLY_TEXT_MAX + 128];
	enum getk_err err;

	err = getk_smtp_command(t->smtp, "RSET", NULL, &reply, why,
	    sizeof(why));
	if (err)
		getk_log(t->s->log, GETK_LOG_INFO, "%s", why);
	if (!t->s->keep_going || t->i + 1 == t->n) {
		tx_state(t, TX_QUIT);
		return;
	}
	t->i++;
	if (err)
		tx_fail(t, err, "%s", why);
	else
		tx_state(t, TX_MAIL);
}

/* QUIT: the session ends (smtp.c says QUIT where it is still sound). */
static void
on_quit(struct tx *t)
{
	getk_smtp_close(t->smtp);
	t->smtp = NULL;
	tx_state(t, TX_END);
}

/* The handler of each state; NULL for TX_END. */
static void (*const tx_handlers[TX_NSTATES])(struct tx *) = {
	[TX_MAIL] = on_mail,
	[TX_RCPT] = on_rcpt,
	[TX_DATA] = on_data,
	[TX_CONTENT] = on_content,
	[TX_DOT] = on_dot,
	[TX_RSET] = on_rset,
	[TX_QUIT] = on_quit,
};

/*
 * The session S hands over (the relay source's), when it is sound and
 * the relay still answers NOOP on it; else it is closed, and NULL.  A
 * relay may have dropped a session that waited while the message was
 * encrypted: one NOOP is cheaper than a connection, a TLS handshake and
 * an AUTH, and tells.
 */
static struct getk_smtp *
adopt(const struct getk_submit_settings *s)
{
	struct getk_smtp *smtp = s->session;
	struct getk_multiline reply;
	char why[GETK_REPLY_TEXT_MAX + 128];

	getk_smtp_adopt(smtp, s->log, s->timeout_ms, 0);
	if (getk_smtp_sound(smtp) && getk_smtp_command(smtp, "NOOP", NULL,
	    &reply, why, sizeof(why)) == GETK_OK && reply.code == 250) {
		getk_log(s->log, GETK_LOG_DEBUG, "the relay %s: going on with "
		    "the session of the lookup", s->relay.host);
		return smtp;
	}
	getk_log(s->log, GETK_LOG_INFO, "the relay %s: the session of the "
	    "lookup is gone, connecting anew", s->relay.host);
	getk_smtp_close(smtp);
	return NULL;
}

enum getk_err
getk_submit(const struct getk_submit_settings *s,
    const struct getk_submission *msgs, size_t n,
    struct getk_submit_result *r_results, size_t *r_done, int *r_code,
    char *why, size_t whysz)
{
	struct getk_smtp_settings ss;
	struct getk_submit_result *res = r_results, *mine = NULL;
	struct tx t;
	enum getk_err err;
	size_t k;

	*r_done = 0;
	*r_code = 0;
	why[0] = '\0';
	if (!res) {
		mine = calloc(n ? n : 1, sizeof(*mine));
		if (!mine) {
			getk_smtp_close(s->session);
			return GETK_ERR_NOMEM;
		}
		res = mine;
	}
	for (k = 0; k < n; k++) {
		res[k].err = GETK_ERR_TEMPFAIL;
		res[k].refused = 0;
		snprintf(res[k].why, sizeof(res[k].why), "not tried: the "
		    "submission stopped at an earlier failure");
	}
	memset(&ss, 0, sizeof(ss));
	getk_smtp_settings_relay(&ss, &s->relay, s->password);
	ss.ca_file = s->ca_file;
	ss.connect_to = s->connect_to;
	ss.timeout_ms = s->timeout_ms;
	ss.ehlo_name = s->ehlo_name;
	ss.log = s->log;
	memset(&t, 0, sizeof(t));
	if (s->session)
		t.smtp = adopt(s);
	if (!t.smtp) {
		getk_log(s->log, GETK_LOG_DEBUG, "connecting to the relay %s "
		    "port %d", s->relay.host, s->relay.port);
		err = getk_smtp_open(&ss, &t.smtp, why, whysz);
	} else {
		err = GETK_OK;
	}
	if (err) {
		if (err == GETK_ERR_NOTSUPP)
			err = GETK_ERR_TLS;
		for (k = 0; k < n; k++) {
			res[k].err = err;
			snprintf(res[k].why, sizeof(res[k].why), "%s", why);
		}
		free(mine);
		return err;
	}
	t.s = s;
	t.msgs = msgs;
	t.n = n;
	t.res = res;
	t.dsn = getk_smtp_has(t.smtp, "DSN");
	if (!t.dsn && (s->dsn_notify || s->dsn_ret))
		getk_log(s->log, GETK_LOG_WARN, "%s does not offer DSN: no "
		    "delivery status notification is requested", s->relay.host);
	t.size = getk_smtp_has(t.smtp, "SIZE");
	t.eightbit = getk_smtp_has(t.smtp, "8BITMIME");
	t.state = n ? TX_MAIL : TX_QUIT;
	while (tx_handlers[t.state])
		tx_handlers[t.state](&t);
	getk_smtp_close(t.smtp);
	*r_done = t.done;
	*r_code = t.code;
	/* The first failure speaks for the submission. */
	err = GETK_OK;
	for (k = 0; k < n && !err; k++) {
		err = res[k].err;
		if (err)
			snprintf(why, whysz, "%s", res[k].why);
	}
	free(mine);
	return err;
}
