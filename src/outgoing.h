/*
 * outgoing.h: one message on its way to the relay, and the one send
 * pipeline that getk-sendmail's immediate send and its queue runner
 * share.
 *
 * A message is its header and body as read, its envelope and its
 * copies: one for the To/Cc recipients and one for each Bcc recipient,
 * so that no Bcc recipient's key ID shows in another copy.  Each copy is
 * pending until the relay accepts it, and is never sent again after
 * that.  getk_outgoing_send() takes every pending copy through the same
 * steps, whenever it runs: the lookup of its recipients' keys (and the
 * sender's), the trust rules' verdict on each (trust.h), the copy
 * written (encrypted, in clear, or unchanged), and its submission, every
 * copy over one connection, each copy's outcome recorded in the message.
 * The queue (queue.h) stores exactly this structure.
 */
#ifndef GETK_OUTGOING_H
#define GETK_OUTGOING_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "conf.h"
#include "error.h"
#include "log.h"
#include "message.h"
#include "spool.h"
#include "trust.h"

/* What became of one copy. */
enum getk_copy_state {
	GETK_COPY_PENDING,	/* not submitted yet */
	GETK_COPY_SUBMITTED,	/* the relay accepted it: never sent again */
	GETK_COPY_REFUSED	/* refused for good (a 5yz of the relay) */
};

/* One copy: one SMTP transaction. */
struct getk_copy {
	char **rcpts;			/* envelope recipients; NULL-terminated */
	size_t nrcpts;
	enum getk_copy_state state;
};

/*
 * A message to send.  Every string is the message's own; getk_outgoing_
 * free() frees them all.
 */
struct getk_outgoing {
	struct getk_headers *headers;	/* the header as read */
	struct getk_spool *body;	/* holds the body, from body_off */
	off_t body_off;
	char *account;			/* its account's name; NULL: the
					   defaults section */
	char *from;			/* envelope sender; "" for <> */
	char *fullname;			/* -F, or NULL */
	char *dsn_notify;		/* NOTIFY= value, or NULL */
	char *dsn_ret;			/* RET= value, or NULL */
	char *date;			/* Date for a message without one */
	char *message_id;		/* Message-ID likewise, the same for
					   every copy */
	struct getk_copy *copies;	/* the To/Cc copy first, when there
					   are To/Cc recipients */
	size_t ncopies;
};

/*
 * A new message of HEADERS and BODY, the body starting at BODY_OFF; both
 * are taken, also on failure.  Nothing else is set.  GETK_ERR_NOMEM.
 */
enum getk_err getk_outgoing_new(struct getk_headers *headers,
    struct getk_spool *body, off_t body_off, struct getk_outgoing **r_out);

/* Frees a message and everything it holds; NULL is a no-op. */
void getk_outgoing_free(struct getk_outgoing *out);

/*
 * Adds copy of the N recipients RCPTS (copied) in STATE.  For the
 * queue, which reads copies back.  GETK_ERR_NOMEM.
 */
enum getk_err getk_outgoing_add_copy(struct getk_outgoing *out,
    const char *const *rcpts, size_t n, enum getk_copy_state state);

/*
 * The recipients and the copies: the N normalised MAILBOXES (those of
 * the command line) and, with READ_HEADERS, those of the To, Cc and Bcc
 * fields (getk_headers_recipients); an address given twice counts once,
 * and one of MAILBOXES that is in no To or Cc field is a Bcc recipient.
 * Errors, with WHY: those of getk_headers_recipients (a field that cannot
 * be read: GETK_ERR_SYNTAX, GETK_ERR_TOOBIG), GETK_ERR_INVAL when there
 * is no recipient at all, GETK_ERR_NOMEM.
 */
enum getk_err getk_outgoing_recipients(struct getk_outgoing *out,
    char *const *mailboxes, size_t n, int read_headers, char *why,
    size_t whysz);

/* What the command line says of the envelope. */
struct getk_envelope_options {
	const char *account;		/* -a, or NULL */
	const char *from;		/* -f as a normalised mailbox, "" for
					   the null sender, or NULL */
	const char *fullname;		/* -F, or NULL */
	const char *dsn_notify;		/* NOTIFY= value, or NULL */
	const char *dsn_ret;		/* RET= value, or NULL */
};

/*
 * Chooses the account of CFG and the envelope: the account named by
 * OPTS->account, else the one whose from is OPTS->from (ASCII case
 * ignored), else the default one, into *R_ACCOUNT (it belongs to CFG;
 * set as soon as it is known, also when a later check fails); the sender
 * OPTS->from, else the account's from, else the first mailbox of the From
 * field; a Date and a Message-ID (of the sender's domain) for copies of a
 * message without them.  Errors, with WHY: GETK_ERR_CONFIG (no such
 * account, an account without host, a from that cannot be parsed, auth
 * without user), GETK_ERR_SYNTAX (no sender at all), GETK_ERR_NOMEM.
 */
enum getk_err getk_outgoing_envelope(struct getk_outgoing *out,
    const struct getk_config *cfg, const struct getk_envelope_options *opts,
    const struct getk_account **r_account, char *why, size_t whysz);

/*
 * Whether ACCOUNT can send at all: it names a relay (host), and a user
 * when auth asks for one.  GETK_ERR_CONFIG with WHY.
 */
enum getk_err getk_outgoing_check_account(const struct getk_account *account,
    char *why, size_t whysz);

/*
 * The account of a message read back from the queue, in CFG as it is now:
 * the one it names, or the defaults section; NULL when CFG has no such
 * account.
 */
const struct getk_account *getk_outgoing_account(
    const struct getk_outgoing *out, const struct getk_config *cfg);

/* How the copies of one attempt were to go. */
enum getk_send_mode {
	GETK_MODE_NONE,		/* not decided: the attempt ended before */
	GETK_MODE_ENCRYPTED,	/* encrypted (also when then refused) */
	GETK_MODE_PLAINTEXT,	/* in clear, by missing_key plaintext */
	GETK_MODE_UNCHANGED	/* encrypted already: as they came */
};

/* The key found for one recipient of an attempt, for the log. */
struct getk_send_rcpt {
	const char *mailbox;		/* belongs to the message */
	char fpr[41];			/* "" when none was found */
	enum getk_trust trust;
};

/* What one attempt did: for the log line and the messages. */
struct getk_send_report {
	enum getk_send_mode mode;
	/* The recipients of the copies pending when the attempt began, in
	 * the order of the copies. */
	struct getk_send_rcpt *rcpts;
	size_t nrcpts;
	int looked_up;			/* the keys were looked up */
	char self_fpr[41];		/* the sender's key in the copies,
					   or "" */
	long long size;			/* bytes of the copies written; 0:
					   none was */
	int smtp_code;			/* the relay's last reply; 0: none */
	size_t tried;			/* copies pending at the start */
	size_t submitted;		/* of which the relay accepted */
	char why[1024];			/* why the attempt failed, or "" */
};

/* Frees what a report holds and empties it; it may be used again. */
void getk_send_report_clear(struct getk_send_report *report);

/* What getk_outgoing_send needs besides the message. */
struct getk_send_settings {
	const struct getk_account *account;	/* the message's account */
	const char *password;		/* the relay password, or NULL */
	const struct getk_logger *log;	/* or NULL */
	/* Go on with the next copy after one failed (the queue records
	 * which copies went); else stop at the first failure. */
	int keep_going;
	/* Called as soon as the relay has accepted COPY (its state is
	 * SUBMITTED already), before anything more is sent; an error
	 * return stops the submission there.  NULL: none. */
	enum getk_err (*submitted)(void *arg, const struct getk_outgoing *out,
	    size_t copy);
	void *arg;
};

/*
 * Sends every pending copy of OUT as the account of S says: looks up the
 * keys of their recipients (and, with encrypt_to_self, the sender's),
 * holds each verdict to the trust rules (getk_trust_send, and
 * getk_trust_send_message over all of them), writes each copy and
 * submits it.  A message that is OpenPGP ciphertext already goes
 * unchanged, without lookups.  Each copy the relay accepts is SUBMITTED,
 * each it refuses with 5yz REFUSED; the others stay pending.  Warnings
 * (a recipient's key and the rule it is used under, why a recipient has
 * none, a sender without a usable key) go to S->log.  *R_REPORT, cleared
 * first, says what was done; its why, what went wrong.
 *
 * GETK_OK when no copy is pending any more.  Errors: GETK_ERR_NOKEY (the
 * trust rules refuse some recipient: nothing was sent), GETK_ERR_TEMPFAIL
 * (some lookup failed temporarily and none refuses: nothing was sent),
 * GETK_ERR_PERMFAIL (the relay refused some copy for good), the
 * submission's other errors (getk_submit), GETK_ERR_AUTH (also: the
 * relay refused the credentials in the lookup), GETK_ERR_CONFIG (lookup
 * settings, self_key), GETK_ERR_CRYPTO, GETK_ERR_SYSTEM (a spool file, or
 * a key cache that exists but cannot be used), GETK_ERR_NOMEM.
 */
enum getk_err getk_outgoing_send(struct getk_outgoing *out,
    const struct getk_send_settings *s, struct getk_send_report *r_report);

/*
 * Non-zero when ERR, from getk_outgoing_send, refuses the message itself:
 * the relay's 5yz or the trust rules, which another try will not change.
 */
int getk_outgoing_refused(enum getk_err err);

/* What the log line of one attempt tells. */
struct getk_log_facts {
	const struct getk_outgoing *out;
	const struct getk_account *account;	/* NULL: not chosen */
	const struct getk_send_report *report;
	const char *exitcode;		/* the outcome's sysexits name */
	const char *queue;		/* what the queue did: "queued",
					   "delivered", "deferred", "failed";
					   NULL: the queue had no part */
	const char *queue_id;		/* the entry, with queue */
	const char *reason;		/* why queued, deferred or failed */
};

/*
 * Appends the log line of an attempt to B, as getk-sendmail(8) LOGGING
 * has it: "host= from= recipients= mode= keys= size= smtpstatus=
 * exitcode=", then with the queue "queue= id=" and "reason=" (its text
 * to the end of the line).  GETK_ERR_TOOBIG, GETK_ERR_NOMEM.
 */
enum getk_err getk_outgoing_log_line(const struct getk_log_facts *f,
    struct getk_buf *b);

#endif
