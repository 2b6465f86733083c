/*
 * queue.h: getk-sendmail's queue: messages that met a temporary failure,
 * kept whole until "getk-sendmail -q" delivers them.
 *
 * A queue directory (queue_dir, 0700) holds one directory per entry,
 * named by its id, "YYYYMMDD-HHMMSS-XXXXXXXX" (the UTC time it was queued
 * and 32 random bits), mode 0700:
 *
 *     ID/message    the header and body as read (0600), written once
 *     ID/envelope   the envelope, the account, each copy and its state,
 *                   the tries, the next try and the last error (0600),
 *                   text; replaced whole, never changed in place
 *     .new-XXXXXX/  an entry being written, renamed to ID when whole
 *     .done-ID/     an entry delivered, being removed
 *     failed/ID/    an entry given up or set aside damaged, kept for
 *                   the user to read and delete
 *
 * Crash safety: every file is written under a name no reader takes,
 * synced, and renamed into place, the directory synced after; an entry
 * appears by one rename of its whole directory.  So an entry is whole or
 * absent, and its envelope the old one or the new one, whatever moment
 * a process dies.  The state of a copy is written (and synced) as soon
 * as the relay has accepted it, before the next copy is sent.
 *
 * Locking: whoever works on an entry holds flock(LOCK_EX) on its
 * directory, and passes by an entry whose lock it cannot take at once,
 * so that runs at the same time never deliver a copy twice; a lock dies
 * with its process.
 */
#ifndef GETK_QUEUE_H
#define GETK_QUEUE_H

#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "conf.h"
#include "error.h"
#include "log.h"
#include "outgoing.h"

/* The subdirectory of given-up entries. */
#define GETK_QUEUE_FAILED "failed"
/* Room for an entry's id and its NUL. */
#define GETK_QUEUE_ID_SIZE 32

/* What the queue knows of an entry besides its message. */
struct getk_queue_meta {
	time_t created;			/* when it was queued */
	unsigned tries;			/* attempts so far, the first one,
					   before it was queued, included */
	time_t next;			/* when the next one is due */
	long long size;			/* bytes of its message file */
	char error[1024];		/* why the last attempt failed, or
					   "" */
};

/*
 * The delay after attempt number TRIES (1 for the first): 5 minutes,
 * doubling with each attempt, at most 4 hours.
 */
long getk_queue_delay(unsigned tries);

/*
 * The text of an envelope for OUT (its envelope and copies; the message
 * is not in it) and M, appended to B.  Values are one line each; a
 * control character in one becomes '?'.  GETK_ERR_NOMEM, GETK_ERR_TOOBIG.
 */
enum getk_err getk_queue_envelope_format(const struct getk_outgoing *out,
    const struct getk_queue_meta *m, struct getk_buf *b);

/*
 * Reads the LEN bytes of an envelope at TEXT into OUT (which must have
 * no copies yet; its header and body are not touched) and *M.  The text
 * must be one that getk_queue_envelope_format writes: its first line,
 * its keywords, every required one, valid mailboxes, at least one copy
 * with a recipient, and its last line "end".  GETK_ERR_SYNTAX with WHY
 * ("line N: what is wrong"), GETK_ERR_NOMEM.
 */
enum getk_err getk_queue_envelope_parse(const char *text, size_t len,
    struct getk_outgoing *out, struct getk_queue_meta *m, char *why,
    size_t whysz);

/*
 * The queue directories of CFG: that of every account and of the
 * defaults section, each once, as a new NULL-terminated array of *R_N
 * new strings (free it with getk_strv_free).  Accounts without a
 * state directory are left out.  GETK_ERR_NOMEM.
 */
enum getk_err getk_queue_dirs(const struct getk_config *cfg, char ***r_dirs,
    size_t *r_n);

/*
 * Queues OUT, whose first attempt failed temporarily for REASON, in the
 * queue directory DIR (made 0700 when missing): its message, envelope
 * and copies as they are now, 1 try, the next one due after
 * getk_queue_delay(1).  Synced before it returns.  *R_ID (IDSZ bytes,
 * GETK_QUEUE_ID_SIZE) receives the entry's id.  GETK_ERR_SYSTEM with WHY
 * (the directory or a file cannot be written), GETK_ERR_NOMEM.
 */
enum getk_err getk_queue_add(const char *dir, const struct getk_outgoing *out,
    const char *reason, char *r_id, size_t idsz, char *why, size_t whysz);

/* One entry as getk_queue_list sees it. */
struct getk_queue_info {
	const char *dir;		/* the queue directory */
	const char *id;
	int failed;			/* given up: in DIR/failed */
	const char *damaged;		/* why it cannot be read, or NULL;
					   then out and meta are empty */
	const struct getk_outgoing *out;	/* envelope and copies only */
	const struct getk_queue_meta *meta;
};

/*
 * Calls FN for each entry of the queue directory DIR, those waiting
 * first, then those given up, each oldest first.  A missing directory is
 * an empty queue.  GETK_ERR_SYSTEM with WHY when DIR cannot be read,
 * GETK_ERR_NOMEM.
 */
enum getk_err getk_queue_list(const char *dir,
    void (*fn)(void *arg, const struct getk_queue_info *entry), void *arg,
    char *why, size_t whysz);

/* What a run did with one entry. */
enum getk_queue_fate {
	GETK_QUEUE_DELIVERED,	/* every copy submitted: removed */
	GETK_QUEUE_DEFERRED,	/* a temporary failure: tried again later */
	GETK_QUEUE_GAVE_UP,	/* refused, or past its lifetime: moved to
				   DIR/failed */
	GETK_QUEUE_DAMAGED	/* unreadable: moved to DIR/failed as it is */
};

/* One entry's outcome, for the caller's messages and log. */
struct getk_queue_event {
	const char *dir;
	const char *id;
	enum getk_queue_fate fate;
	const struct getk_outgoing *out;	/* NULL when damaged */
	const struct getk_account *account;	/* NULL: none (damaged, or
						   not in the configuration) */
	const struct getk_send_report *report;	/* the attempt */
	const struct getk_queue_meta *meta;	/* as recorded now */
	enum getk_err err;		/* the attempt's error, or GETK_OK */
	const char *why;		/* why deferred, given up or damaged */
	const char *moved_to;		/* GAVE_UP, DAMAGED: the entry's path
					   now */
};

struct getk_queue_run_settings {
	const struct getk_config *cfg;	/* the entries' accounts */
	int force;			/* -qf: every entry now, due or not */
	const struct getk_logger *log;	/* or NULL */
	/* Called once the run is done with an entry it tried; NULL: none.
	 * Called before the next entry is taken. */
	void (*event)(void *arg, const struct getk_queue_event *ev);
	void *arg;
};

/*
 * Runs every queue directory of S->cfg (getk_queue_dirs): each entry
 * that is due (or every entry, with force; and any past its account's
 * queue_lifetime) is locked and taken through the send pipeline under
 * its account, as the configuration has it now, keys looked up and the
 * message encrypted now; every pending copy is submitted, each recorded
 * as soon as the relay accepts it.  Then, with S->event told: delivered
 * entries are removed; an entry the relay or the trust rules refuse, or
 * that is past its lifetime and failed again, is moved to DIR/failed;
 * other failures are recorded with the next try after getk_queue_delay;
 * an entry that cannot be read is moved to DIR/failed as it is.  Entries
 * another process holds are passed by; left-overs of writers that died
 * (.new-*, over an hour old, and .done-*) are removed.  *R_GAVE_UP
 * counts the entries given up or set aside.  GETK_ERR_SYSTEM with WHY
 * when a queue directory could not be read (the others are run all the
 * same), GETK_ERR_NOMEM.
 */
enum getk_err getk_queue_run(const struct getk_queue_run_settings *s,
    size_t *r_gave_up, char *why, size_t whysz);

#endif
