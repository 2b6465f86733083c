/*
 * smtp.h: an SMTP client session over libcurl, for GETK and submission.
 *
 * libcurl does the greeting, EHLO, STARTTLS (or implicit TLS) with
 * certificate checks, the second EHLO and AUTH (CURLOPT_CONNECT_ONLY);
 * this module then speaks GETK and the commands of the mail transaction
 * itself over curl_easy_send/curl_easy_recv, because Debian's libcurl
 * 7.88 fails on multi-line replies of more than about 6 KB to custom
 * commands (see DESIGN.md).  The capability list is read from the EHLO
 * reply that follows TLS, never from the one before.
 *
 * Replies are counted: each is the reply to the command it answers, and
 * a line from the server when no reply is owed breaks the session
 * (GETK_ERR_PROTO).  Every text from the server that this module hands
 * on or logs is printable (getk_printable).
 */
#ifndef GETK_SMTP_H
#define GETK_SMTP_H

#include <stddef.h>

#include "conf.h"
#include "error.h"
#include "getkreply.h"
#include "log.h"
#include "reply.h"

struct getk_tlsa;

struct getk_smtp_settings {
	const char *host;		/* server name, checked against the
					   certificate */
	int port;
	int implicit_tls;		/* smtps (1) or STARTTLS (0) */
	int no_tls;			/* no TLS at all (relay "tls off") */
	const char *ca_file;		/* CA certificates; NULL: system */
	char *const *connect_to;	/* curl --connect-to rules,
					   NULL-terminated; or NULL */
	char *const *resolve;		/* curl --resolve entries
					   "HOST:PORT:ADDR,...",
					   NULL-terminated; or NULL */
	long timeout_ms;		/* per network operation */
	long deadline_ms;		/* getk_mono_ms() after which no
					   operation may go on, or 0 */
	const char *ehlo_name;		/* our name in EHLO; NULL: localhost */
	const char *user;		/* AUTH user, or NULL: no AUTH */
	const char *password;
	const char *auth_method;	/* SASL mechanism ("plain", "login"),
					   or NULL: any the server offers */
	const struct getk_logger *log;	/* or NULL */
	/* DANE (RFC 7672): when NTLSA > 0 the certificate is judged by
	 * these TLSA records, not by the CA file: DANE-EE records must
	 * match the server's certificate, DANE-TA records a certificate of
	 * its chain, which then anchors a validation with the host name. */
	const struct getk_tlsa *tlsa;
	size_t ntlsa;
};

struct getk_smtp;

/*
 * Fills the members of SS that say how to reach the relay R and log in,
 * with PASSWORD (which SS points to): host, port, TLS, user, mechanism.
 */
void getk_smtp_settings_relay(struct getk_smtp_settings *ss,
    const struct getk_relay *r, const char *password);

/*
 * Connects, does TLS and EHLO (and AUTH when a user is set).  On failure
 * *WHY (WHYSZ bytes) says what happened.  Errors: GETK_ERR_CONNECT,
 * GETK_ERR_TIMEOUT, GETK_ERR_TLS (handshake or certificate, or no TLSA
 * record matched),
 * GETK_ERR_NOTSUPP (no STARTTLS offered), GETK_ERR_AUTH (credentials
 * refused, or no AUTH offered while a user is set), GETK_ERR_PROTO, GETK_ERR_TEMPFAIL and
 * GETK_ERR_PERMFAIL (the server refused us), GETK_ERR_NOMEM.
 */
enum getk_err getk_smtp_open(const struct getk_smtp_settings *settings,
    struct getk_smtp **r_smtp, char *why, size_t whysz);

/*
 * The GETK verb the post-TLS EHLO advertised with format OPENPGP: "GETK",
 * "XGETK" (only when GETK is not there), or NULL.
 */
const char *getk_smtp_getk_verb(const struct getk_smtp *smtp);

/* Non-zero when the post-TLS EHLO advertised KEYWORD (case-insensitive). */
int getk_smtp_has(const struct getk_smtp *smtp, const char *keyword);

/*
 * Asks GETK for each of the N MAILBOXES (pipelined when the server
 * offers PIPELINING) and parses each reply with a parser limited to
 * MAX_OCTETS.  REPLIES[i] receives the parser holding reply i; *R_DONE
 * the number of replies read completely.  A NOOP follows the last GETK
 * (pipelined where the server pipelines): its reply proves that no GETK
 * was answered twice.  GETK_OK when all N were read (each may still be
 * a failure reply) and nothing but NOOP's reply followed them;
 * otherwise the session is broken: GETK_ERR_TIMEOUT, GETK_ERR_CONNECT
 * (connection lost), GETK_ERR_PROTO (a malformed reply: REPLIES[*R_DONE]
 * then holds the parser that failed; or a line out of turn before the
 * first command, or a reply too many after the last, with *R_DONE 0:
 * then no reply can be trusted to answer its own command),
 * GETK_ERR_TEMPFAIL (421 before the last reply) or GETK_ERR_TOOBIG,
 * with *WHY saying which.  The caller frees REPLIES.
 */
enum getk_err getk_smtp_getk(struct getk_smtp *smtp,
    const char *const *mailboxes, size_t n, size_t max_octets,
    struct getk_reply **replies, size_t *r_done, char *why, size_t whysz);

/*
 * Sends the command LINE (no CRLF) and reads its whole reply into
 * *REPLY (code, enhanced code, printable text).  WHAT names the command
 * in messages ("RCPT TO:<bob@example.org>", "the final dot"); NULL: LINE
 * itself.  Before LINE is sent, the server must have said nothing since
 * its last reply.  GETK_OK whatever the reply's code; otherwise, with
 * *WHY (WHYSZ bytes) saying what happened, the session is broken:
 * GETK_ERR_PROTO (a reply out of turn before LINE was sent, or a
 * malformed reply), GETK_ERR_TIMEOUT, GETK_ERR_CONNECT (the connection
 * closed, or the session was broken already), GETK_ERR_NOMEM.
 */
enum getk_err getk_smtp_command(struct getk_smtp *smtp, const char *line,
    const char *what, struct getk_multiline *reply, char *why, size_t whysz);

/*
 * Sends LEN raw bytes (message data, which the caller dot-stuffs).
 * GETK_ERR_TIMEOUT, GETK_ERR_CONNECT.
 */
enum getk_err getk_smtp_send(struct getk_smtp *smtp, const void *p,
    size_t len);

/*
 * Non-zero when the session is sound and between commands: nothing
 * broke it, no reply is owed, so that another owner may go on with it.
 */
int getk_smtp_sound(const struct getk_smtp *smtp);

/*
 * Hands the session to a new owner (the relay source's session to the
 * submission): from now on it logs to LOG, and each operation has
 * TIMEOUT_MS, within DEADLINE_MS (getk_mono_ms(); 0: none), instead of
 * the opener's.
 */
void getk_smtp_adopt(struct getk_smtp *smtp, const struct getk_logger *log,
    long timeout_ms, long deadline_ms);

/*
 * Sends QUIT when the session is still sound and the server has said
 * nothing out of turn, closes the connection and frees the session.
 * NULL is a no-op.
 */
void getk_smtp_close(struct getk_smtp *smtp);

#endif
