/*
 * submit.h: handing messages to the user's relay (SMTP submission).
 *
 * TLS is required unless the account says "tls off"; the certificate is
 * verified.  When a user is configured and the relay does not offer AUTH
 * after TLS, nothing is sent.  The message streams from its spool file.
 */
#ifndef GETK_SUBMIT_H
#define GETK_SUBMIT_H

#include <stddef.h>

#include "conf.h"
#include "error.h"
#include "log.h"
#include "smtp.h"
#include "spool.h"

struct getk_submit_settings {
	struct getk_relay relay;	/* where and how to log in */
	const char *password;
	const char *ca_file;		/* NULL: system store */
	char *const *connect_to;	/* NULL-terminated, or NULL */
	long timeout_ms;
	const char *ehlo_name;		/* NULL: localhost */
	const char *dsn_notify;		/* RCPT NOTIFY= (RFC 3461), or NULL */
	const char *dsn_ret;		/* MAIL RET=, or NULL */
	const struct getk_logger *log;
	/* After a refusal (4yz, 5yz) of one transaction, RSET and go on
	 * with the next one; else QUIT at the first failure. */
	int keep_going;
	/* Called once the relay has accepted transaction I (its 2yz after
	 * the final dot), before anything more is said to it; an error
	 * return ends the submission there (each later transaction fails
	 * with that error).  NULL: none. */
	enum getk_err (*accepted)(void *arg, size_t i);
	void *accepted_arg;
	/* An open session to this very relay, authenticated as this
	 * account (the relay source's, lookup.h), or NULL.  getk_submit
	 * takes it over and closes it whatever happens; when the relay no
	 * longer answers NOOP on it, it connects anew. */
	struct getk_smtp *session;
};

/* One transaction: envelope and message. */
struct getk_submission {
	const char *from;		/* envelope sender (may be "") */
	const char *const *rcpts;	/* envelope recipients */
	size_t nrcpts;
	struct getk_spool *message;	/* CRLF line ends */
};

/* Room for the reason a transaction failed. */
#define GETK_SUBMIT_WHY 1024

/* What became of one transaction. */
struct getk_submit_result {
	/* GETK_OK: the relay accepted it.  Else the refusal of this very
	 * transaction (GETK_ERR_TEMPFAIL for 4yz, GETK_ERR_PERMFAIL for
	 * 5yz, GETK_ERR_AUTH for 530 and 535), or the failure that ended
	 * the session before it was accepted (the connection, TLS, a
	 * timeout, a broken relay, the accepted callback), or, when an
	 * earlier refusal ended the submission without keep_going,
	 * GETK_ERR_TEMPFAIL: not tried. */
	enum getk_err err;
	int refused;		/* 1: err is the relay's refusal of it */
	char why[GETK_SUBMIT_WHY];	/* err in English, or "" */
};

/*
 * Submits the N transactions in order over one connection.  DSN
 * parameters are sent only where the relay offers DSN, SIZE where it
 * offers SIZE.  R_RESULTS, when not NULL, receives what became of each
 * of the N (the caller's array).  *R_DONE is the number the relay
 * accepted; *R_CODE the relay's last reply code (0 when none).  The
 * return value and *WHY are those of the first transaction that failed:
 * GETK_ERR_AUTH (credentials refused, or AUTH not offered while a user
 * is set), GETK_ERR_TEMPFAIL (4yz), GETK_ERR_PERMFAIL (5yz),
 * GETK_ERR_CONNECT, GETK_ERR_TIMEOUT, GETK_ERR_TLS, GETK_ERR_PROTO,
 * GETK_ERR_SYSTEM, GETK_ERR_NOMEM, or the accepted callback's error.
 */
enum getk_err getk_submit(const struct getk_submit_settings *settings,
    const struct getk_submission *msgs, size_t n,
    struct getk_submit_result *r_results, size_t *r_done, int *r_code,
    char *why, size_t whysz);

#endif
