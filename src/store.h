/*
 * store.h: the key cache and pins, in SQLite (getk-fetch(1) FILES).
 *
 * One database file, getk.db, in the state directory (created 0700; the
 * file 0600), in WAL mode so that readers never wait for a writer.  Per
 * address it keeps the verified key, the pin (the fingerprint that may
 * be used without the user's say), a negative entry ("no key" until it
 * expires), a key offered in place of the pinned one (for --accept), a
 * history of changes, and what the user's keyring held for it when last
 * asked (never the keyring's keys).  Every change is one transaction: a
 * process killed at any point leaves the previous state readable.
 *
 * The schema carries a version (PRAGMA user_version) and an application
 * id; a file that is not a getk database is refused, never overwritten.
 */
#ifndef GETK_STORE_H
#define GETK_STORE_H

#include <stddef.h>
#include <time.h>

#include "error.h"

/* The database file's name in the state directory. */
#define GETK_STORE_FILE "getk.db"

struct getk_store;

/* A cached key, or an offered one. */
struct getk_store_key {
	char *address;
	char *fingerprint;	/* upper-case hex */
	unsigned char *data;	/* binary key as verified */
	size_t len;
	char *sources;		/* comma-separated sources that agreed */
	char *trust;		/* INTERFACE.md TRUST name */
	time_t first_seen;	/* when this fingerprint was first stored */
	time_t fetched;		/* last fetch that returned it */
	time_t expires;		/* key expiry; 0: never */
	char *offered_hash;	/* SHA-256 (hex) of the bytes the source
				   offered, so that the same bytes need no
				   second verification; "" when unknown */
};

/* What the store holds for one address. */
struct getk_store_entry {
	struct getk_store_key *key;	/* cached key, or NULL */
	char *pin;			/* pinned fingerprint, or NULL */
	time_t pinned;
	char *negative;			/* "no key" reason, or NULL */
	time_t negative_expires;
	struct getk_store_key *offered;	/* refused key, or NULL */
	/* What the user's keyring held for the address when last asked:
	 * the keyring's state then (getk_keyring_state), the verdict's
	 * name (trust.h) and the key's expiry; NULL when nothing is
	 * remembered.  The keyring's keys are never stored. */
	char *keyring_state;
	char *keyring_verdict;
	time_t keyring_expires;
};

/*
 * Opens (creating when needed) the store in directory DIR, made 0700
 * with its parents.  READONLY: do not create anything; a missing
 * database is then GETK_ERR_NOKEY.  Errors, with *WHY set: GETK_ERR_SYSTEM
 * (directory or file), GETK_ERR_DAMAGED (the file is damaged or not a
 * getk database, or of a newer schema), GETK_ERR_NOMEM.
 */
enum getk_err getk_store_open(const char *dir, int readonly,
    struct getk_store **r_store, char *why, size_t whysz);

/*
 * Non-zero when directory DIR may hold a store: its database file exists,
 * or cannot be looked at (a directory we may not search).  A store that
 * exists but cannot be opened holds pins that cannot be checked.
 */
int getk_store_exists(const char *dir);

/* Closes the store; NULL is a no-op. */
void getk_store_close(struct getk_store *store);

/*
 * Reads what the store holds for ADDRESS into a new entry (all members
 * NULL when nothing).  GETK_ERR_SYSTEM (database error, *WHY set).
 */
enum getk_err getk_store_get(struct getk_store *store, const char *address,
    struct getk_store_entry **r_entry, char *why, size_t whysz);

/* Frees an entry; NULL is a no-op. */
void getk_store_entry_free(struct getk_store_entry *entry);

/* Frees a key record; NULL is a no-op. */
void getk_store_key_free(struct getk_store_key *key);

/*
 * Stores KEY as the address's cached key, in one transaction: pins it when
 * the address has no pin or when REPIN is set, removes any negative entry
 * and offered key, and records EVENT ("new", "refreshed", "rotated",
 * "accepted") in the history when the fingerprint changed or EVENT is not
 * "refreshed".  KEY->first_seen is kept from the old entry when the
 * fingerprint is the same.
 */
enum getk_err getk_store_put_key(struct getk_store *store,
    const struct getk_store_key *key, int repin, const char *event,
    const char *detail, time_t now, char *why, size_t whysz);

/*
 * Drops the cached key of ADDRESS (its pin stays) and records EVENT with
 * the fingerprint FPR: the key must not be used any more.
 */
enum getk_err getk_store_drop_key(struct getk_store *store,
    const char *address, const char *event, const char *fpr, time_t now,
    char *why, size_t whysz);

/* Marks the cached key as fetched again at NOW (nothing else changed). */
enum getk_err getk_store_touch(struct getk_store *store, const char *address,
    time_t now, char *why, size_t whysz);

/* Remembers "no key" for ADDRESS with REASON until EXPIRES. */
enum getk_err getk_store_put_negative(struct getk_store *store,
    const char *address, const char *reason, time_t now, time_t expires,
    char *why, size_t whysz);

/*
 * Remembers that the user's keyring, in STATE at NOW, gave VERDICT for
 * ADDRESS, of a key expiring at EXPIRES (0: never, or no key), in place
 * of what was remembered before.  GETK_ERR_SYSTEM.
 */
enum getk_err getk_store_put_keyring(struct getk_store *store,
    const char *address, const char *state, const char *verdict,
    time_t expires, time_t now, char *why, size_t whysz);

/*
 * Keeps KEY as offered in place of the pinned key (for --accept) and
 * records the refusal in the history.
 */
enum getk_err getk_store_put_offered(struct getk_store *store,
    const struct getk_store_key *key, const char *pinned_fpr, time_t now,
    char *why, size_t whysz);

/*
 * Makes the offered key the cached and pinned one.  GETK_ERR_NOKEY when
 * no key is on offer for ADDRESS.
 */
enum getk_err getk_store_accept(struct getk_store *store, const char *address,
    time_t now, char *r_fpr, size_t fprsz, char *why, size_t whysz);

/*
 * Drops the key on offer for ADDRESS, so that the pinned key stays and
 * the conflict ends; *R_FPR (FPRSZ bytes) receives the dropped key's
 * fingerprint.  GETK_ERR_NOKEY when no key is on offer.
 */
enum getk_err getk_store_reject(struct getk_store *store, const char *address,
    time_t now, char *r_fpr, size_t fprsz, char *why, size_t whysz);

/*
 * Drops everything about ADDRESS but its history (where "forgotten" is
 * recorded).  GETK_ERR_NOKEY when there was nothing.
 */
enum getk_err getk_store_forget(struct getk_store *store, const char *address,
    time_t now, char *why, size_t whysz);

/*
 * Calls FN for every cached key, ordered by address, with the
 * fingerprint of the key on offer in its place (a standing conflict), or
 * NULL.  FN returns non-zero to stop.
 */
enum getk_err getk_store_each_key(struct getk_store *store,
    int (*fn)(void *arg, const struct getk_store_key *key,
    const char *offered), void *arg, char *why, size_t whysz);

/*
 * Calls FN for each history record of ADDRESS (NULL: all), oldest first.
 */
enum getk_err getk_store_each_event(struct getk_store *store,
    const char *address,
    int (*fn)(void *arg, const char *address, time_t when, const char *event,
    const char *old_fpr, const char *new_fpr, const char *detail),
    void *arg, char *why, size_t whysz);

/*
 * The addresses whose cached key or negative entry was fetched before
 * BEFORE (all of them when BEFORE is 0): a new NULL-terminated array of
 * new strings in *R_ADDRS.
 */
enum getk_err getk_store_due(struct getk_store *store, time_t before,
    char ***r_addrs, size_t *r_n, char *why, size_t whysz);

/* A cached MTA-STS policy (RFC 8461 5.1). */
struct getk_store_policy {
	char *id;		/* the TXT record's id when it was fetched */
	char *text;		/* the policy, as getk_mtasts_policy_text */
	time_t fetched;
	time_t expires;		/* fetched + max_age */
};

/*
 * The policy cached for DOMAIN into *R_POLICY (members NULL when there
 * is none); free with getk_store_policy_clear.  GETK_ERR_SYSTEM,
 * GETK_ERR_NOMEM.
 */
enum getk_err getk_store_get_policy(struct getk_store *store,
    const char *domain, struct getk_store_policy *r_policy, char *why,
    size_t whysz);

/* Stores POLICY for DOMAIN in place of any older one.  GETK_ERR_SYSTEM. */
enum getk_err getk_store_put_policy(struct getk_store *store,
    const char *domain, const struct getk_store_policy *policy, char *why,
    size_t whysz);

/* Frees the members of POLICY; safe to call twice. */
void getk_store_policy_clear(struct getk_store_policy *policy);

#endif
