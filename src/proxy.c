/*
 * proxy.c: the getkd session, a state machine between a client and the
 * MTA.
 *
 * The client's input is read one command line at a time (cut at LF,
 * checked by cmdline.c); a command for the MTA is written to it at once
 * and a "the MTA's reply" entry goes into the queue of replies; one that
 * getkd answers itself (GETK, STARTTLS, XCLIENT, a bad line) puts its own
 * entry there.  The queue goes out in order, each entry when it is ready:
 * that is all PIPELINING needs.  The MTA's replies are gathered by
 * mtareply.c and attached to the oldest entry waiting for one.
 *
 * Message content (DATA, BDAT) is moved from the client's input buffer
 * to the MTA's output buffer in libevent's chains, never gathered: the
 * client is not read while the MTA's output is over a high-water mark,
 * and the queue and the buffers have fixed limits, so a session's memory
 * stays flat whatever the client sends.  For DATA getkd follows the
 * lines only to find the end of the message; a bare LF in the content is
 * sent as CRLF, so that getkd and the MTA always agree where the message
 * ends (no command can be smuggled past getkd inside a message).
 */
#include <config.h>

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/bufferevent_struct.h>
#include <openssl/err.h>

#include "buf.h"
#include "clock.h"
#include "cmdline.h"
#include "codec.h"
#include "mtareply.h"
#include "proxy.h"
#include "proxyproto.h"
#include "reply.h"

/* Limits that keep one session's memory flat. */
#define MAX_PENDING 64			/* replies owed at once */
#define OUT_HIGH (256 * 1024)		/* stop feeding an output over this */
#define OUT_LOW (64 * 1024)		/* and go on below this */
#define IN_HIGH (64 * 1024)		/* read no more input ahead */
#define MAX_CONSECUTIVE_550 10		/* SERVER.md: the 11th GETK gets 421 */

enum state {
	ST_CONNECT,		/* connecting to the MTA */
	ST_XCLIENT_GREET,	/* xclient: the MTA's greeting to getkd */
	ST_XCLIENT_EHLO,	/* xclient: getkd's EHLO sent */
	ST_COMMAND,		/* reading client commands */
	ST_DATA_WAIT,		/* DATA passed on: 354 or not? */
	ST_DATA,		/* message content passing through */
	ST_BDAT,		/* a BDAT chunk passing through */
	ST_STARTTLS,		/* STARTTLS read: its turn to be answered */
	ST_HANDSHAKE,		/* TLS handshake with the client */
	ST_CLOSING,		/* the last replies going out */
	ST_NSTATES
};

static const char *const state_names[ST_NSTATES] = {
	"connect", "xclient-greeting", "xclient-ehlo", "command",
	"data-wait", "data", "bdat", "starttls", "handshake", "closing"
};

/* What a reply in the queue answers. */
enum answers {
	A_GREETING,
	A_EHLO,
	A_HELO,
	A_MAIL,
	A_DATA,			/* 354 or a refusal */
	A_DATA_END,		/* the verdict on the message */
	A_BDAT,
	A_BDAT_LAST,		/* the verdict on the message */
	A_RSET,
	A_QUIT,
	A_OTHER,
	A_LOCAL			/* getkd's own */
};

enum pend_kind {
	PK_MTA,			/* the MTA's reply */
	PK_LOCAL,		/* getkd's reply, in TEXT */
	PK_GETK,		/* a GETK, looked up when its turn comes */
	PK_STARTTLS		/* getkd's 220, then the handshake */
};

struct pending {
	struct pending *next;
	enum pend_kind kind;
	enum answers answers;
	int ready;		/* PK_MTA: the reply is in TEXT */
	int code;		/* PK_MTA: its code */
	int close;		/* end the session after this reply */
	struct getk_buf text;	/* the reply; PK_GETK: the command line */
};

struct getk_proxy {
	struct getk_proxy *prev, *next;	/* env->sessions */
	struct getk_proxy_env *env;
	unsigned long id;
	enum state state;
	struct bufferevent *client;	/* a socket, or the TLS filter */
	struct bufferevent *mta;	/* NULL once gone */
	struct sockaddr_storage addr;	/* the client's */
	socklen_t addrlen;
	char addrtext[46];
	int port;
	int counted;			/* in env->peers */
	int tls;			/* STARTTLS done */
	int ehlo;			/* EHLO answered 250 since */
	struct getk_ehlo_caps caps;	/* of the last EHLO reply */
	int in_txn;			/* MAIL accepted, no verdict yet */
	struct pending *head, *tail;
	size_t npending;
	struct getk_mtareply reply;	/* the MTA's, being gathered */
	int skipping;			/* discarding an over-long line */
	long line_start_ms;		/* a partial line began; 0: none */
	int data_line;			/* DATA: 0 line start, 1 ".", 2 ".\r",
					   3 elsewhere in a line */
	int data_cr;			/* DATA: the last byte was CR */
	unsigned long long bdat_left;
	long lookups;			/* GETKs answered from key_dir */
	long consecutive_550;
	long started_ms;
	unsigned long ncommands, ngetk;
	unsigned long long msg_octets;	/* content passed on */
	const char *end_why;		/* for the session's log line */
	struct event *linger;		/* closing: until the TLS layer's
					   output is sent too */
	long lingered;			/* times it looked */
	int running;			/* in run() */
	int again;			/* run() was called meanwhile */
	int dead;			/* free at the end of the callback */
};

static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);
static void mta_read_cb(struct bufferevent *bev, void *arg);
static void mta_write_cb(struct bufferevent *bev, void *arg);
static void mta_event_cb(struct bufferevent *bev, short what, void *arg);
static void run(struct getk_proxy *p);

/*
 * Replies and commands are small writes that wait for an answer: Nagle's
 * algorithm would hold each back for the peer's delayed ACK (40 ms).
 */
static void
no_delay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void
set_state(struct getk_proxy *p, enum state st)
{
	if (p->state == st)
		return;
	getk_log(p->env->log, GETK_LOG_DEBUG, "session %lu: %s -> %s", p->id,
	    state_names[p->state], state_names[st]);
	p->state = st;
}

/* --- the queue of replies ------------------------------------------------ */

static struct pending *
pend_push(struct getk_proxy *p, enum pend_kind kind, enum answers answers)
{
	struct pending *e = calloc(1, sizeof(*e));

	if (!e) {
		p->end_why = "out of memory";
		p->dead = 1;
		return NULL;
	}
	e->kind = kind;
	e->answers = answers;
	getk_buf_init(&e->text, 0);
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	p->npending++;
	return e;
}

static void
pend_free(struct pending *e)
{
	getk_buf_free(&e->text);
	free(e);
}

/* Takes the oldest entry out of the queue; the caller frees it. */
static struct pending *
pend_shift(struct getk_proxy *p)
{
	struct pending *e = p->head;

	p->head = e->next;
	if (!p->head)
		p->tail = NULL;
	p->npending--;
	e->next = NULL;
	return e;
}

/* Drops the entries after E (all of them when E is NULL). */
static void
pend_truncate(struct getk_proxy *p, struct pending *e)
{
	struct pending **link = e ? &e->next : &p->head;

	while (*link) {
		struct pending *next = (*link)->next;

		pend_free(*link);
		*link = next;
		p->npending--;
	}
	p->tail = e;
}

/* Queues getkd's own reply TEXT (with CRLF). */
static void
reply_local(struct getk_proxy *p, const char *text, int close)
{
	struct pending *e = pend_push(p, PK_LOCAL, A_LOCAL);

	if (!e)
		return;
	if (getk_buf_adds(&e->text, text)) {
		p->end_why = "out of memory";
		p->dead = 1;
		return;
	}
	e->ready = 1;
	e->close = close;
}

/*
 * Ends the session with the reply TEXT (with CRLF) after the replies that
 * are ready: the ones still waiting for the MTA are dropped.
 */
static void
fail_text(struct getk_proxy *p, const char *text, const char *why)
{
	struct pending *e, *keep = NULL;

	for (e = p->head; e && (e->kind != PK_MTA || e->ready); e = e->next)
		keep = e;
	pend_truncate(p, keep);
	reply_local(p, text, 1);
	if (!p->end_why)
		p->end_why = why;
	if (p->state != ST_HANDSHAKE)
		set_state(p, ST_CLOSING);
}

/* As fail_text, with the reply "CODE HOSTNAME WHAT". */
static void
fail(struct getk_proxy *p, const char *code, const char *what,
    const char *why)
{
	char line[512];

	snprintf(line, sizeof(line), "%s %s %s\r\n", code, p->env->hostname,
	    what);
	fail_text(p, line, why);
}

/* --- the MTA ------------------------------------------------------------- */

static void
mta_close(struct getk_proxy *p)
{
	if (p->mta) {
		bufferevent_free(p->mta);
		p->mta = NULL;
	}
}

/*
 * Sends what BEV's output holds now rather than at the loop's next turn,
 * the step libevent's own write callback takes (the output is frozen at
 * its start for everyone else).  Under TLS the filter has made its
 * records already, in the socket bufferevent below it.  When all is
 * sent, the write event that adding the data scheduled has nothing left
 * to do: removed now, as the write callback would remove it, the epoll
 * changelist drops the pair of epoll_ctl calls and the turn itself;
 * libevent adds it again when data comes.  What the socket does not
 * take, and any error, the bufferevent meets at its next turn as usual;
 * a plain socket, which is not watched for writing until then, is
 * watched from now on.
 */
static void
send_now(struct bufferevent *bev)
{
	struct bufferevent *under = bufferevent_get_underlying(bev);
	evutil_socket_t fd;
	struct evbuffer *out;

	if (under)
		bev = under;
	fd = bufferevent_getfd(bev);
	out = bufferevent_get_output(bev);
	if (fd < 0 || evbuffer_get_length(out) == 0)
		return;
	evbuffer_unfreeze(out, 1);
	evbuffer_write(out, fd);
	evbuffer_freeze(out, 1);
	if (evbuffer_get_length(out) == 0)
		event_del(&bev->ev_write);
	else if (!(bufferevent_get_enabled(bev) & EV_WRITE))
		bufferevent_enable(bev, EV_WRITE);
}

/*
 * Writes LEN bytes at DATA to BEV: on a plain socket with nothing queued
 * straight to the socket, so that a command or a reply costs one system
 * call and no write event to add and remove again; what the socket does
 * not take (and everything under TLS) through the bufferevent.  Zero when
 * out of memory.
 */
static int
out_write(struct bufferevent *bev, const char *data, size_t len)
{
	evutil_socket_t fd = bufferevent_getfd(bev);
	ssize_t n = -1;

	if (fd >= 0 && !bufferevent_get_underlying(bev) &&
	    evbuffer_get_length(bufferevent_get_output(bev)) == 0)
		n = send(fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n > 0) {
		data += n;
		len -= (size_t)n;
	}
	return len == 0 || bufferevent_write(bev, data, len) == 0;
}

/* Writes LEN bytes at DATA to the MTA. */
static void
to_mta(struct getk_proxy *p, const char *data, size_t len)
{
	if (p->mta && !out_write(p->mta, data, len)) {
		p->end_why = "out of memory";
		p->dead = 1;
	}
}

static void
ehlo_to_mta(struct getk_proxy *p)
{
	char line[300];
	int n = snprintf(line, sizeof(line), "EHLO %s\r\n", p->env->hostname);

	to_mta(p, line, (size_t)n);
}

/* xclient mode: the MTA greeted getkd with 220; introduce the client. */
static void
on_xclient_greeting(struct getk_proxy *p)
{
	ehlo_to_mta(p);
	getk_mtareply_reset(&p->reply);
	set_state(p, ST_XCLIENT_EHLO);
}

static void
on_xclient_ehlo(struct getk_proxy *p)
{
	struct getk_buf line, scratch;
	struct getk_ehlo_caps caps;

	getk_buf_init(&scratch, 0);
	getk_ehlo_rewrite(&p->reply, 0, 0, &scratch, &caps);
	getk_buf_free(&scratch);
	getk_mtareply_reset(&p->reply);
	if (!caps.xclient) {
		getk_log(p->env->log, GETK_LOG_ERROR, "session %lu: the MTA "
		    "does not offer XCLIENT to getkd (Postfix: "
		    "smtpd_authorized_xclient_hosts)", p->id);
		fail(p, "421 4.3.0", "Service not available, try again later",
		    "backend without XCLIENT");
		return;
	}
	getk_buf_init(&line, 0);
	if (getk_xclient_line((const struct sockaddr *)&p->addr, &line) ==
	    GETK_OK)
		to_mta(p, line.data, line.len);
	getk_buf_free(&line);
	/* The MTA answers XCLIENT with a new greeting: the client's. */
	set_state(p, ST_COMMAND);
}

/* A complete reply of the MTA, in p->reply: it answers the oldest entry
 * that waits for one. */
static void
on_mta_reply(struct getk_proxy *p)
{
	struct pending *e;
	struct getk_ehlo_caps caps;
	enum getk_err err;
	int code = p->reply.code;

	if (p->state == ST_XCLIENT_GREET && code == 220) {
		on_xclient_greeting(p);
		return;
	}
	if (p->state == ST_XCLIENT_GREET) {
		/* Not 220: the MTA's verdict on the client, which gets it
		 * as its greeting. */
		set_state(p, ST_COMMAND);
	}
	if (p->state == ST_XCLIENT_EHLO) {
		on_xclient_ehlo(p);
		return;
	}
	for (e = p->head; e && (e->kind != PK_MTA || e->ready); e = e->next)
		;
	if (!e) {
		if (code == 421) {
			/* The MTA ends the session (its own timeout): the
			 * client gets its 421. */
			fail_text(p, p->reply.raw.data, "the MTA sent 421");
		} else {
			getk_log(p->env->log, GETK_LOG_ERROR, "session %lu: a "
			    "reply from the MTA to no command", p->id);
			fail(p, "421 4.4.2", "Error: mail server protocol error",
			    "the MTA replied to no command");
		}
		getk_mtareply_reset(&p->reply);
		return;
	}
	if (e->answers == A_EHLO) {
		err = getk_ehlo_rewrite(&p->reply, p->env->ssl_ctx && !p->tls,
		    p->tls && p->env->ssl_ctx, &e->text, &caps);
		p->caps = caps;
		p->ehlo = caps.ok;
		if (caps.ok)
			p->in_txn = 0;
	} else {
		err = getk_buf_add(&e->text, p->reply.raw.data,
		    p->reply.raw.len);
	}
	if (err) {
		p->end_why = "out of memory";
		p->dead = 1;
		return;
	}
	e->ready = 1;
	e->code = code;
	switch (e->answers) {
	case A_MAIL:
		if (code / 100 == 2)
			p->in_txn = 1;
		break;
	case A_HELO:
		/* HELO: a session without extensions, and no GETK. */
		if (code / 100 == 2) {
			memset(&p->caps, 0, sizeof(p->caps));
			p->ehlo = 0;
		}
		p->in_txn = 0;
		break;
	case A_RSET:
	case A_DATA_END:
	case A_BDAT_LAST:
		p->in_txn = 0;
		break;
	case A_DATA:
		/* Unless the session is ending meanwhile. */
		if (p->state == ST_DATA_WAIT)
			set_state(p, code == 354 ? ST_DATA : ST_COMMAND);
		p->data_line = 0;
		p->data_cr = 0;
		break;
	case A_QUIT:
		e->close = 1;
		break;
	default:
		break;
	}
	getk_mtareply_reset(&p->reply);
}

static void
mta_read_cb(struct bufferevent *bev, void *arg)
{
	struct getk_proxy *p = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char line[GETK_REPLY_LINE_MAX];
	const char *why;

	while (!p->dead && p->mta) {
		struct evbuffer_ptr eol = evbuffer_search_eol(in, NULL, NULL,
		    EVBUFFER_EOL_LF);
		size_t n;

		if (eol.pos < 0) {
			if (evbuffer_get_length(in) >= GETK_REPLY_LINE_MAX) {
				fail(p, "421 4.4.2", "Error: mail server "
				    "protocol error", "MTA reply line too long");
				mta_close(p);
			}
			break;
		}
		n = (size_t)eol.pos;
		if (n + 1 > sizeof(line)) {
			fail(p, "421 4.4.2", "Error: mail server protocol "
			    "error", "MTA reply line too long");
			mta_close(p);
			break;
		}
		evbuffer_remove(in, line, n + 1);
		if (n && line[n - 1] == '\r')
			n--;
		if (getk_mtareply_feed(&p->reply, line, n, &why) != GETK_OK) {
			getk_log(p->env->log, GETK_LOG_ERROR, "session %lu: "
			    "the MTA's reply: %s", p->id, why ? why :
			    "out of memory");
			fail(p, "421 4.4.2", "Error: mail server protocol error",
			    "MTA protocol error");
			mta_close(p);
			break;
		}
		if (p->reply.done)
			on_mta_reply(p);
	}
	run(p);
}

static void
mta_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	/* The MTA took content: read more of the client's. */
	run(arg);
}

/* Whether an MTA reply is owed (so silence from the MTA is a failure). */
static int
waiting_for_mta(const struct getk_proxy *p)
{
	const struct pending *e;

	if (p->state == ST_CONNECT || p->state == ST_XCLIENT_GREET ||
	    p->state == ST_XCLIENT_EHLO)
		return 1;
	for (e = p->head; e; e = e->next)
		if (e->kind == PK_MTA && !e->ready)
			return 1;
	return 0;
}

/* The connection to the MTA is up: the session can begin. */
static void
mta_connected(struct getk_proxy *p)
{
	getk_log(p->env->log, GETK_LOG_DEBUG, "session %lu: connected to "
	    "the MTA", p->id);
	set_state(p, p->env->cfg->client_info == GETK_CLIENT_INFO_XCLIENT ?
	    ST_XCLIENT_GREET : ST_COMMAND);
}

static void
mta_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct getk_proxy *p = arg;

	if (what & BEV_EVENT_CONNECTED) {
		mta_connected(p);
		run(p);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (!waiting_for_mta(p)) {
			bufferevent_enable(bev, EV_READ);
			return;
		}
		fail(p, "421 4.4.2", "Error: timeout waiting for the mail "
		    "server", "MTA timeout");
	} else if (p->state == ST_CONNECT) {
		getk_log(p->env->log, GETK_LOG_ERROR, "session %lu: cannot "
		    "connect to the MTA: %s", p->id,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		fail(p, "421 4.3.0", "Service not available, try again later",
		    "MTA unreachable");
	} else if (waiting_for_mta(p) || p->state == ST_DATA ||
	    p->state == ST_BDAT || p->in_txn) {
		fail(p, "421 4.4.2", "Error: lost connection to the mail "
		    "server", "MTA closed the connection");
	} else {
		/* After QUIT, or idle: the session ends with it. */
		p->end_why = p->end_why ? p->end_why : "MTA closed";
		set_state(p, ST_CLOSING);
	}
	mta_close(p);
	run(p);
}

/* --- GETK ---------------------------------------------------------------- */

/* The code at the start of one of getkd's reply texts. */
static int
reply_code(const char *text)
{
	return (text[0] - '0') * 100 + (text[1] - '0') * 10 + (text[2] - '0');
}

static void
getk_log_line(struct getk_proxy *p, const struct getk_cmd *cmd, int code,
    const char *what)
{
	char mbox[300];

	getk_printable(mbox, sizeof(mbox), cmd ? cmd->mailbox : "",
	    cmd ? cmd->mailboxlen : 0);
	getk_log(p->env->log, GETK_LOG_ERROR, "getk %lu from %s: <%s> %d %s",
	    p->id, p->addrtext, mbox, code, what);
}

/*
 * Appends the multi-line 250 reply of GETK.md 3 for KEY to OUT: room for
 * all of it made once, each line's base64 written in place.
 */
static enum getk_err
success_reply(const struct getk_proxy *p, const struct getk_buf *key,
    struct getk_buf *out)
{
	const unsigned char *k = (const unsigned char *)key->data;
	const char *enh = p->caps.enhanced ? "250-2.0.0 " : "250-";
	const char *end = p->caps.enhanced ? "250 2.0.0 END\r\n" :
	    "250 END\r\n";
	size_t elen = strlen(enh), i, lines = (key->len + 56) / 57;
	enum getk_err err;

	/* 57 octets of key make a line of 76 characters. */
	err = getk_buf_reserve(out, elen + 32 + lines * (elen + 78) +
	    strlen(end));
	if (!err) {
		/* "OPENPGP LEN", LEN at most 65536: no printf needed. */
		char num[24], *d = num + sizeof(num);
		size_t v = key->len;

		do
			*--d = (char)('0' + v % 10);
		while ((v /= 10) != 0);
		err = getk_buf_add(out, enh, elen);
		if (!err)
			err = getk_buf_add(out, "OPENPGP ", 8);
		if (!err)
			err = getk_buf_add(out, d, (size_t)(num + sizeof(num) - d));
		if (!err)
			err = getk_buf_add(out, "\r\n", 2);
	}
	for (i = 0; !err && i < key->len; i += 57) {
		size_t n = key->len - i < 57 ? key->len - i : 57;

		err = getk_buf_add(out, enh, elen);
		if (!err)
			err = getk_base64_encode(k + i, n, 0, out);
		if (!err)
			err = getk_buf_add(out, "\r\n", 2);
	}
	if (!err)
		err = getk_buf_adds(out, end);
	return err;
}

/*
 * Answers the GETK in E (its command line) into OUT, now that its turn
 * came: the checks of GETK.md 4 and SERVER.md in order, then key_dir.
 */
static void
answer_getk(struct getk_proxy *p, struct pending *e, struct getk_buf *out)
{
	const struct getk_server_config *cfg = p->env->cfg;
	struct getk_cmd cmd;
	struct getk_buf key;
	const char *reply = NULL, *why = NULL;
	enum getk_err err;
	int code;

	p->ngetk++;
	err = getk_cmdline_parse(e->text.data, e->text.len, &cmd, &reply);
	if (!p->tls || !p->env->ssl_ctx)
		reply = "530 5.7.0 Must issue a STARTTLS command first\r\n";
	else if (!p->ehlo)
		reply = "503 5.5.1 Send EHLO first\r\n";
	else if (err)
		;	/* the parser's reply */
	else if (cmd.smtputf8 && !p->caps.smtputf8)
		reply = "501 5.5.4 Unknown parameter\r\n";
	else if (cmd.utf8 && !cmd.smtputf8)
		reply = "553 5.6.7 Non-ASCII address not permitted\r\n";
	else if (p->lookups >= cfg->max_lookups_per_session ||
	    p->consecutive_550 >= MAX_CONSECUTIVE_550) {
		reply = "421 4.7.0 Too many lookups, closing connection\r\n";
		e->close = 1;
		p->end_why = "too many lookups";
	}
	if (reply) {
		getk_buf_adds(out, reply);
		getk_log_line(p, err ? NULL : &cmd, reply_code(reply), "refused");
		return;
	}
	if (!p->env->keydir) {
		getk_buf_adds(out, "451 4.4.3 Key directory temporarily "
		    "unavailable\r\n");
		getk_log_line(p, &cmd, 451, "key_dir unavailable");
		return;
	}
	if (!getk_keydir_serves(p->env->keydir, cmd.domain, cmd.domainlen)) {
		p->lookups++;
		p->consecutive_550++;
		getk_buf_adds(out, "550 5.1.2 Domain not served here\r\n");
		getk_log_line(p, &cmd, 550, "domain not served");
		return;
	}
	if (!getk_peers_take(p->env->peers, (struct sockaddr *)&p->addr,
	    getk_mono_ms())) {
		getk_buf_adds(out, "450 4.7.0 Rate exceeded, try later\r\n");
		getk_log_line(p, &cmd, 450, "rate exceeded");
		return;
	}
	p->lookups++;
	getk_buf_init(&key, 0);
	err = getk_keydir_lookup(p->env->keydir, cmd.local, cmd.locallen,
	    cmd.domain, cmd.domainlen, &key, &why);
	if (err == GETK_OK)
		err = success_reply(p, &key, out);
	getk_buf_free(&key);
	switch (err) {
	case GETK_OK:
		p->consecutive_550 = 0;
		code = 250;
		break;
	case GETK_ERR_NOKEY:
		p->consecutive_550++;
		getk_buf_adds(out, "550 5.7.0 No key available\r\n");
		code = 550;
		break;
	default:
		getk_log(p->env->log, GETK_LOG_ERROR, "session %lu: key_dir: "
		    "%s: %s", p->id, getk_strerror(err), strerror(errno));
		getk_buf_adds(out, "451 4.4.3 Key directory temporarily "
		    "unavailable\r\n");
		code = 451;
		break;
	}
	getk_log_line(p, &cmd, code, why ? why : code == 250 ? "key sent" :
	    code == 550 ? "no key" : "key_dir unavailable");
}

/* --- STARTTLS ------------------------------------------------------------ */

static void
set_client_callbacks(struct getk_proxy *p)
{
	struct timeval tv = { p->env->cfg->timeout, 0 };

	bufferevent_setcb(p->client, client_read_cb, client_write_cb,
	    client_event_cb, p);
	bufferevent_setwatermark(p->client, EV_READ, 0, IN_HIGH);
	bufferevent_setwatermark(p->client, EV_WRITE, OUT_LOW / 4, 0);
	bufferevent_set_timeouts(p->client, &tv, &tv);
	/* A plain socket is watched for writing only when send_now()
	 * leaves output behind; the TLS filter needs EV_WRITE to write. */
	bufferevent_enable(p->client, bufferevent_get_underlying(p->client) ?
	    EV_READ | EV_WRITE : EV_READ);
}

/*
 * STARTTLS's turn: the 220 goes out in clear text, whatever the client
 * sent after STARTTLS is thrown away (RFC 3207 5: it could be an
 * injection), and the OpenSSL filter takes over the connection.
 */
static void
start_tls(struct getk_proxy *p, struct getk_buf *out)
{
	struct bufferevent *filter;
	SSL *ssl;

	if (p->in_txn) {
		getk_buf_adds(out, "503 5.5.1 Error: MAIL transaction in "
		    "progress\r\n");
		set_state(p, ST_COMMAND);
		return;
	}
	if (bufferevent_write(p->client, "220 2.0.0 Ready to start TLS\r\n",
	    30) != 0)
		goto fail;
	evbuffer_drain(bufferevent_get_input(p->client),
	    evbuffer_get_length(bufferevent_get_input(p->client)));
	ssl = SSL_new(p->env->ssl_ctx);
	if (!ssl)
		goto fail;
	filter = bufferevent_openssl_filter_new(p->env->base, p->client, ssl,
	    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	if (!filter) {
		SSL_free(ssl);
		goto fail;
	}
	bufferevent_openssl_set_allow_dirty_shutdown(filter, 1);
	p->client = filter;
	set_client_callbacks(p);
	set_state(p, ST_HANDSHAKE);
	return;
fail:
	p->end_why = "cannot start TLS";
	p->dead = 1;
}

/* --- replies to the client ----------------------------------------------- */

/*
 * Sends the replies whose turn has come, as long as the client reads
 * them.  Non-zero when it sent any.
 */
static int
flush(struct getk_proxy *p)
{
	struct getk_buf text;
	int sent = 0;

	while (p->head && !p->dead && p->state != ST_HANDSHAKE &&
	    evbuffer_get_length(bufferevent_get_output(p->client)) <
	    OUT_HIGH) {
		struct pending *e = p->head;
		int close;

		if (e->kind == PK_MTA && !e->ready)
			break;
		/* Out of the queue before anything is written: a write to
		 * the TLS filter can call back into the session. */
		e = pend_shift(p);
		getk_buf_init(&text, 0);
		if (e->kind == PK_GETK) {
			answer_getk(p, e, &text);
		} else if (e->kind == PK_STARTTLS) {
			start_tls(p, &text);
		} else {
			text = e->text;
			getk_buf_init(&e->text, 0);
		}
		close = e->close;
		pend_free(e);
		if (text.len && !out_write(p->client, text.data, text.len)) {
			p->end_why = "out of memory";
			p->dead = 1;
		}
		getk_buf_free(&text);
		sent = 1;
		if (close) {
			pend_truncate(p, NULL);
			if (!p->end_why)
				p->end_why = "client quit";
			set_state(p, ST_CLOSING);
		}
	}
	return sent;
}

/* --- the client's input -------------------------------------------------- */

/* Passes a command line (LEN bytes with CRLF) on and queues its reply. */
static void
pass_on(struct getk_proxy *p, const char *line, size_t len,
    enum answers answers)
{
	to_mta(p, line, len);
	pend_push(p, PK_MTA, answers);
}

/* One command line of LEN bytes, with its line end. */
static void
on_command(struct getk_proxy *p, const char *line, size_t len)
{
	enum getk_cmdline_check check = getk_cmdline_check(line, len);
	struct getk_cmd cmd;
	struct pending *e;
	const char *reply;
	enum getk_err err;

	p->ncommands++;
	if (check != GETK_CMDLINE_OK) {
		getk_log(p->env->log, GETK_LOG_INFO, "session %lu from %s: "
		    "refused a line: %s", p->id, p->addrtext,
		    getk_cmdline_check_reply(check) + 10);
		reply_local(p, getk_cmdline_check_reply(check), 0);
		return;
	}
	err = getk_cmdline_parse(line, len - 2, &cmd, &reply);
	if (p->env->draining && !p->in_txn && cmd.verb != GETK_VERB_QUIT) {
		reply_local(p, "421 4.3.2 Service shutting down, closing "
		    "connection\r\n", 1);
		p->end_why = "shutting down";
		return;
	}
	switch (cmd.verb) {
	case GETK_VERB_GETK:
		e = pend_push(p, PK_GETK, A_LOCAL);
		if (e && getk_buf_add(&e->text, line, len - 2)) {
			p->end_why = "out of memory";
			p->dead = 1;
		}
		break;
	case GETK_VERB_STARTTLS:
		if (!p->env->ssl_ctx)
			reply_local(p, "502 5.5.1 Error: command not "
			    "implemented\r\n", 0);
		else if (p->tls)
			reply_local(p, "503 5.5.1 Error: TLS already active\r\n",
			    0);
		else if (cmd.argslen)
			reply_local(p, "501 5.5.4 Syntax: STARTTLS\r\n", 0);
		else {
			pend_push(p, PK_STARTTLS, A_LOCAL);
			set_state(p, ST_STARTTLS);
		}
		break;
	case GETK_VERB_XCLIENT:
	case GETK_VERB_XFORWARD:
		/* Never for the MTA from a client: only getkd may. */
		reply_local(p, "502 5.5.2 Error: command not recognized\r\n", 0);
		break;
	case GETK_VERB_BDAT:
		if (err) {
			reply_local(p, reply, 0);
		} else if (!p->caps.chunking) {
			reply_local(p, "502 5.5.1 Error: command not "
			    "implemented\r\n", 0);
		} else {
			pass_on(p, line, len, cmd.last ? A_BDAT_LAST : A_BDAT);
			p->bdat_left = cmd.chunk;
			if (cmd.chunk)
				set_state(p, ST_BDAT);
		}
		break;
	case GETK_VERB_DATA:
		pass_on(p, line, len, A_DATA);
		set_state(p, ST_DATA_WAIT);
		break;
	case GETK_VERB_EHLO:
		pass_on(p, line, len, A_EHLO);
		break;
	case GETK_VERB_HELO:
		pass_on(p, line, len, A_HELO);
		break;
	case GETK_VERB_MAIL:
		pass_on(p, line, len, A_MAIL);
		break;
	case GETK_VERB_RSET:
		pass_on(p, line, len, A_RSET);
		break;
	case GETK_VERB_QUIT:
		pass_on(p, line, len, A_QUIT);
		break;
	default:
		pass_on(p, line, len, A_OTHER);
		break;
	}
}

/* Whether the session may take in more: replies and outputs in bounds. */
static int
room(const struct getk_proxy *p)
{
	return p->npending < MAX_PENDING && p->mta &&
	    evbuffer_get_length(bufferevent_get_output(p->mta)) < OUT_HIGH &&
	    evbuffer_get_length(bufferevent_get_output(p->client)) < OUT_HIGH;
}

/* ST_COMMAND: the next command line, if a whole one is there. */
static int
input_command(struct getk_proxy *p, struct evbuffer *in)
{
	char line[GETK_CMDLINE_MAX + 1];
	struct evbuffer_ptr eol;
	size_t n;

	if (!room(p))
		return 0;
	eol = evbuffer_search_eol(in, NULL, NULL, EVBUFFER_EOL_LF);
	if (eol.pos < 0) {
		n = evbuffer_get_length(in);
		if (n >= GETK_CMDLINE_MAX) {
			/* Too long already: throw it away up to its LF. */
			evbuffer_drain(in, n);
			p->skipping = 1;
		}
		if (n && !p->line_start_ms) {
			p->line_start_ms = getk_mono_ms();
		} else if (n && getk_mono_ms() - p->line_start_ms >
		    p->env->cfg->timeout * 1000L) {
			/* A line dribbled in byte by byte: slowloris. */
			fail(p, "421 4.4.2", "Error: timeout exceeded",
			    "command line too slow");
		}
		return 0;
	}
	n = (size_t)eol.pos + 1;
	p->line_start_ms = 0;
	if (p->skipping || n > GETK_CMDLINE_MAX) {
		evbuffer_drain(in, n);
		p->skipping = 0;
		p->ncommands++;
		getk_log(p->env->log, GETK_LOG_INFO, "session %lu from %s: "
		    "refused a line over %d octets", p->id, p->addrtext,
		    GETK_CMDLINE_MAX);
		reply_local(p, getk_cmdline_check_reply(GETK_CMDLINE_TOO_LONG),
		    0);
		return 1;
	}
	evbuffer_remove(in, line, n);
	on_command(p, line, n);
	return 1;
}

/*
 * ST_DATA: moves message content to the MTA up to the end of the
 * message, a bare LF sent as CRLF.
 */
static int
input_data(struct getk_proxy *p, struct evbuffer *in)
{
	struct evbuffer *out = bufferevent_get_output(p->mta);
	struct evbuffer_iovec v;
	const unsigned char *b;
	size_t i;

	if (evbuffer_get_length(out) >= OUT_HIGH ||
	    evbuffer_peek(in, -1, NULL, &v, 1) < 1 || v.iov_len == 0)
		return 0;
	b = v.iov_base;
	for (i = 0; i < v.iov_len; i++) {
		unsigned char c = b[i];

		if (c == '\n') {
			int end = p->data_line == 1 || p->data_line == 2;

			if (!p->data_cr) {
				/* A bare LF: what comes before it, CR, LF. */
				evbuffer_remove_buffer(in, out, i);
				evbuffer_add(out, "\r", 1);
				evbuffer_remove_buffer(in, out, 1);
				p->msg_octets += i + 1;
				p->data_cr = 0;
				p->data_line = 0;
				if (end)
					goto message_end;
				return 1;
			}
			p->data_cr = 0;
			p->data_line = 0;
			if (end) {
				evbuffer_remove_buffer(in, out, i + 1);
				p->msg_octets += i + 1;
				goto message_end;
			}
			continue;
		}
		if (c == '\r') {
			p->data_line = p->data_line == 1 ? 2 : 3;
			p->data_cr = 1;
			continue;
		}
		p->data_line = p->data_line == 0 && c == '.' ? 1 : 3;
		p->data_cr = 0;
	}
	evbuffer_remove_buffer(in, out, v.iov_len);
	p->msg_octets += v.iov_len;
	return 1;
message_end:
	pend_push(p, PK_MTA, A_DATA_END);
	set_state(p, ST_COMMAND);
	return 1;
}

/* ST_BDAT: moves the chunk's octets to the MTA as they are. */
static int
input_bdat(struct getk_proxy *p, struct evbuffer *in)
{
	struct evbuffer *out = bufferevent_get_output(p->mta);
	size_t n = evbuffer_get_length(in);
	int moved;

	if (evbuffer_get_length(out) >= OUT_HIGH || n == 0)
		return 0;
	if (n > p->bdat_left)
		n = (size_t)p->bdat_left;
	if (n > OUT_HIGH)
		n = OUT_HIGH;
	moved = evbuffer_remove_buffer(in, out, n);
	if (moved <= 0)
		return 0;
	p->bdat_left -= (size_t)moved;
	p->msg_octets += (size_t)moved;
	if (p->bdat_left == 0)
		set_state(p, ST_COMMAND);
	return 1;
}

/* Takes in what the state allows; non-zero when it did anything. */
static int
take_input(struct getk_proxy *p)
{
	struct evbuffer *in = bufferevent_get_input(p->client);

	switch (p->state) {
	case ST_COMMAND:
		return input_command(p, in);
	case ST_DATA:
		return p->mta ? input_data(p, in) : 0;
	case ST_BDAT:
		return p->mta ? input_bdat(p, in) : 0;
	case ST_CLOSING:
		evbuffer_drain(in, evbuffer_get_length(in));
		return 0;
	default:
		/* Connecting, xclient, waiting for DATA's or STARTTLS's
		 * turn, handshaking: the input waits. */
		return 0;
	}
}

/*
 * SIGTERM: a session idle at a command boundary, outside a mail
 * transaction, ends now.  Non-zero when it queued the 421.
 */
static int
check_drain(struct getk_proxy *p)
{
	if (!p->env->draining || p->state != ST_COMMAND || p->head ||
	    p->in_txn || evbuffer_get_length(bufferevent_get_input(
	    p->client)) != 0)
		return 0;
	reply_local(p, "421 4.3.2 Service shutting down, closing "
	    "connection\r\n", 1);
	p->end_why = "shutting down";
	return 1;
}

/*
 * Bytes still to go to the client: in the client's bufferevent and, with
 * TLS, in the socket bufferevent under the filter (the filter empties its
 * own output as soon as it has encrypted it).
 */
static size_t
client_output(const struct getk_proxy *p)
{
	struct bufferevent *under = bufferevent_get_underlying(p->client);
	size_t n = evbuffer_get_length(bufferevent_get_output(p->client));

	if (under)
		n += evbuffer_get_length(bufferevent_get_output(under));
	return n;
}

static void
linger_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	run(arg);
}

/*
 * Closing under TLS: looks again in 20 ms whether the last bytes are out
 * (no callback tells), for at most the session timeout.
 */
static void
linger(struct getk_proxy *p)
{
	struct timeval tv = { 0, 20000 };

	if (!p->linger)
		p->linger = evtimer_new(p->env->base, linger_cb, p);
	if (!p->linger || ++p->lingered > p->env->cfg->timeout * 50L ||
	    evtimer_add(p->linger, &tv) != 0)
		p->dead = 1;
}

static void
session_free(struct getk_proxy *p)
{
	struct getk_proxy_env *env = p->env;
	long ms = getk_mono_ms() - p->started_ms;

	getk_log(env->log, GETK_LOG_ERROR, "session %lu from %s port %d: %s; "
	    "%ld.%03ld s, %s, %lu commands, %lu getk, %llu message octets",
	    p->id, p->addrtext, p->port, p->end_why ? p->end_why : "closed",
	    ms / 1000, ms % 1000, p->tls ? "tls" : "no tls", p->ncommands,
	    p->ngetk, p->msg_octets);
	if (p->counted)
		getk_peers_close(env->peers, (struct sockaddr *)&p->addr,
		    getk_mono_ms());
	pend_truncate(p, NULL);
	getk_mtareply_free(&p->reply);
	mta_close(p);
	if (p->linger)
		event_free(p->linger);
	if (p->client)
		bufferevent_free(p->client);
	if (p->prev)
		p->prev->next = p->next;
	else
		env->sessions = p->next;
	if (p->next)
		p->next->prev = p->prev;
	env->nsessions--;
	free(p);
}

/*
 * Does everything that can be done now: input, replies, again while
 * either made progress; then ends the session when it is over.  Every
 * callback ends here.
 */
static void
run(struct getk_proxy *p)
{
	int progress;

	/* A write to the TLS filter may call a callback of the session at
	 * once: the run already going on does the work again. */
	if (p->running) {
		p->again = 1;
		return;
	}
	p->running = 1;
	do {
		p->again = 0;
		progress = 0;
		if (!p->dead)
			progress |= take_input(p);
		if (!p->dead)
			progress |= flush(p);
		if (!p->dead && !progress)
			progress |= check_drain(p);
	} while ((progress || p->again) && !p->dead);
	p->running = 0;
	if (!p->dead && p->state != ST_CONNECT && p->mta)
		send_now(p->mta);
	if (!p->dead)
		send_now(p->client);
	if (!p->dead && p->state == ST_CLOSING && !p->head) {
		if (client_output(p) == 0)
			p->dead = 1;
		else if (bufferevent_get_underlying(p->client))
			linger(p);
	}
	if (p->dead)
		session_free(p);
}

static void
client_read_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	run(arg);
}

static void
client_write_cb(struct bufferevent *bev, void *arg)
{
	(void)bev;
	run(arg);
}

static void
client_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct getk_proxy *p = arg;

	(void)bev;
	if (what & BEV_EVENT_CONNECTED) {
		/* The TLS handshake is done. */
		SSL *ssl = bufferevent_openssl_get_ssl(p->client);

		getk_log(p->env->log, GETK_LOG_INFO, "session %lu from %s: "
		    "%s with %s", p->id, p->addrtext, SSL_get_version(ssl),
		    SSL_get_cipher_name(ssl));
		p->tls = 1;
		p->ehlo = 0;
		set_state(p, ST_COMMAND);
		run(p);
		return;
	}
	if (what & BEV_EVENT_TIMEOUT) {
		if (p->state == ST_HANDSHAKE || p->state == ST_CLOSING) {
			p->end_why = p->state == ST_HANDSHAKE ?
			    "TLS handshake timeout" : "client does not read";
			p->dead = 1;
		} else {
			/* The 421 goes out at once, not after replies that
			 * are still owed. */
			pend_truncate(p, NULL);
			fail(p, "421 4.4.2", "Error: timeout exceeded",
			    "client timeout");
			bufferevent_enable(p->client, EV_READ | EV_WRITE);
		}
	} else if (what & BEV_EVENT_ERROR) {
		unsigned long e = bufferevent_get_openssl_error(p->client);

		if (p->state == ST_HANDSHAKE || e) {
			char reason[128];

			ERR_error_string_n(e, reason, sizeof(reason));
			getk_log(p->env->log, GETK_LOG_INFO, "session %lu from "
			    "%s: TLS failed: %s", p->id, p->addrtext,
			    e ? reason : "connection closed");
			p->end_why = "TLS failed";
		} else {
			p->end_why = "client connection error";
		}
		p->dead = 1;
	} else if (what & BEV_EVENT_EOF) {
		p->end_why = p->state == ST_HANDSHAKE ? "client left during "
		    "the TLS handshake" : p->end_why ? p->end_why :
		    "client closed the connection";
		p->dead = 1;
	}
	run(p);
}

/* --- starting and ending --------------------------------------------------- */

/*
 * Connects to the MTA, with the client's address in front (PROXY).  On
 * loopback the handshake is over when connect(2) returns, so the header
 * is sent at once: the MTA finds it there when it accepts, and reads it
 * without waiting for it (Postfix waits for the header before its
 * greeting).  When the send finds the connection still being made, the
 * header waits in the bufferevent, which tells when the connection is up.
 */
static enum getk_err
connect_mta(struct getk_proxy *p, int fd)
{
	const struct getk_server_config *cfg = p->env->cfg;
	const struct sockaddr *sa = (const struct sockaddr *)&p->env->backend;
	struct sockaddr_storage local;
	socklen_t locallen = sizeof(local);
	struct timeval tv = { cfg->timeout, 0 };
	struct getk_buf hdr;
	enum getk_err err = GETK_OK;
	ssize_t sent = -1;
	int mfd, connected = 0;

	getk_buf_init(&hdr, 0);
	if (cfg->client_info == GETK_CLIENT_INFO_PROXY_V1 ||
	    cfg->client_info == GETK_CLIENT_INFO_PROXY_V2) {
		if (getsockname(fd, (struct sockaddr *)&local, &locallen) != 0)
			memset(&local, 0, sizeof(local));
		err = getk_proxy_header(cfg->client_info ==
		    GETK_CLIENT_INFO_PROXY_V1 ? 1 : 2,
		    (struct sockaddr *)&p->addr, (struct sockaddr *)&local,
		    &hdr);
		if (err)
			goto leave;
	}
	mfd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (mfd < 0 || (connect(mfd, sa, p->env->backend_len) != 0 &&
	    errno != EINPROGRESS)) {
		if (mfd >= 0)
			close(mfd);
		getk_log(p->env->log, GETK_LOG_ERROR, "session %lu: cannot "
		    "connect to the MTA: %s", p->id, strerror(errno));
		fail(p, "421 4.3.0", "Service not available, try again later",
		    "MTA unreachable");
		goto leave;
	}
	no_delay(mfd);
	p->mta = bufferevent_socket_new(p->env->base, mfd,
	    BEV_OPT_CLOSE_ON_FREE);
	if (!p->mta) {
		close(mfd);
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	bufferevent_setcb(p->mta, mta_read_cb, mta_write_cb, mta_event_cb, p);
	bufferevent_setwatermark(p->mta, EV_WRITE, OUT_LOW, 0);
	bufferevent_set_timeouts(p->mta, &tv, &tv);
	/* Writing is send_now()'s, EV_WRITE only for what it leaves. */
	bufferevent_enable(p->mta, EV_READ);
	if (hdr.len) {
		/* Only an established connection takes data: a send that
		 * does is the news that the handshake is over. */
		sent = send(mfd, hdr.data, hdr.len, MSG_DONTWAIT |
		    MSG_NOSIGNAL);
		if (sent > 0) {
			connected = 1;
		} else if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOTCONN) {
			getk_log(p->env->log, GETK_LOG_ERROR, "session %lu: "
			    "cannot connect to the MTA: %s", p->id,
			    strerror(errno));
			mta_close(p);
			fail(p, "421 4.3.0", "Service not available, try again "
			    "later", "MTA unreachable");
			goto leave;
		}
		if (sent < 0)
			sent = 0;
		if ((size_t)sent < hdr.len && bufferevent_write(p->mta,
		    hdr.data + sent, hdr.len - (size_t)sent) != 0) {
			err = GETK_ERR_NOMEM;
			goto leave;
		}
	}
	if (connected)
		mta_connected(p);
	else if (bufferevent_socket_connect(p->mta, NULL, 0) != 0)
		err = GETK_ERR_NOMEM;
leave:
	getk_buf_free(&hdr);
	return err;
}

enum getk_err
getk_proxy_start(struct getk_proxy_env *env, int fd,
    const struct sockaddr *sa, socklen_t salen)
{
	struct getk_proxy *p;
	enum getk_err err;
	const char *refuse = NULL;

	p = calloc(1, sizeof(*p));
	if (!p) {
		close(fd);
		return GETK_ERR_NOMEM;
	}
	p->env = env;
	p->id = ++env->next_id;
	p->started_ms = getk_mono_ms();
	if (salen > sizeof(p->addr))
		salen = sizeof(p->addr);
	memcpy(&p->addr, sa, salen);
	p->addrlen = salen;
	getk_sockaddr_text(sa, p->addrtext, &p->port);
	getk_mtareply_init(&p->reply);
	p->state = ST_CONNECT;
	p->next = env->sessions;
	if (env->sessions)
		env->sessions->prev = p;
	env->sessions = p;
	env->nsessions++;
	no_delay(fd);
	p->client = bufferevent_socket_new(env->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->client) {
		close(fd);
		p->end_why = "out of memory";
		session_free(p);
		return GETK_ERR_NOMEM;
	}
	set_client_callbacks(p);
	/* The greeting is the MTA's: the first reply owed. */
	pend_push(p, PK_MTA, A_GREETING);
	if (env->nsessions > (size_t)env->cfg->max_sessions)
		refuse = "too many sessions";
	else if (getk_peers_open(env->peers, sa, getk_mono_ms(),
	    (size_t)env->cfg->max_sessions_per_ip) != GETK_OK)
		refuse = "too many sessions from this address";
	else
		p->counted = 1;
	if (refuse) {
		getk_log(env->log, GETK_LOG_INFO, "session %lu from %s: %s",
		    p->id, p->addrtext, refuse);
		fail(p, "421 4.7.0", "Error: too many connections, try again "
		    "later", refuse);
	} else {
		getk_log(env->log, GETK_LOG_INFO, "session %lu from %s port "
		    "%d: connected", p->id, p->addrtext, p->port);
		err = connect_mta(p, fd);
		if (err) {
			p->end_why = "out of memory";
			p->dead = 1;
		}
	}
	run(p);
	return GETK_OK;
}

void
getk_proxy_drain_all(struct getk_proxy_env *env)
{
	struct getk_proxy *p, *next;

	env->draining = 1;
	for (p = env->sessions; p; p = next) {
		next = p->next;
		run(p);
	}
}

void
getk_proxy_close_all(struct getk_proxy_env *env)
{
	while (env->sessions) {
		env->sessions->end_why = "closed at shutdown";
		session_free(env->sessions);
	}
}
