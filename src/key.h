/*
 * key.h: checking an offered OpenPGP key with gpgme (GETK.md 6.5).
 *
 * The key is examined in a temporary GnuPG home of its own, never the
 * user's keyring: only User IDs whose addr-spec is the queried mailbox
 * are kept, and a key must be neither revoked nor expired and must have a
 * usable encryption subkey.
 */
#ifndef GETK_KEY_H
#define GETK_KEY_H

#include <stddef.h>
#include <time.h>

#include "error.h"

/* A verified key. */
struct getk_key {
	unsigned char *data;	/* binary transferable public key, other
				   User IDs removed */
	size_t len;
	char fpr[41];		/* primary key fingerprint, upper-case hex */
	time_t created;		/* newest self-signature on a kept UID */
	time_t expires;		/* primary key expiry; 0: never */
};

/*
 * Initialises libgcrypt.  Call once, from the main thread, before any
 * other function of this module.  Cheap: it starts no process.
 */
enum getk_err getk_key_init(void);

/*
 * Initialises gpgme, which runs gpgconf and gpg a few times: call it from
 * the main thread (or from any, once getk_key_lib_init has run there)
 * before the first key is verified, and only then, so that answers
 * from the cache start no process.  May be called again.
 * GETK_ERR_CRYPTO when GnuPG is unusable.
 */
enum getk_err getk_key_engine_init(void);

/*
 * The part of getk_key_engine_init that starts no process (gpgme's
 * version check): call it from the main thread before threads that may
 * call getk_key_homes_new.  GETK_ERR_CRYPTO when gpgme is unusable.
 */
enum getk_err getk_key_lib_init(void);

/*
 * A throw-away GnuPG home with its gpgme session, made ready ahead of
 * getk_key_verify_batch: gpgme's probe of GnuPG (getk_key_engine_init)
 * and the gpg that gpgme runs for a session of its own home are then
 * done while the network is asked, not after it.
 */
struct getk_key_home;

/* The most homes a batch is judged in at once. */
#define GETK_KEY_MAX_HOMES 4

/*
 * How many homes getk_key_verify_batch judges NOFFERS offers in at
 * once: one per 8 offers, no more than the CPUs this process may run
 * on, nor GETK_KEY_MAX_HOMES.
 */
size_t getk_key_homes_for(size_t noffers);

/*
 * Makes COUNT (at least one) such homes under TMPDIR (NULL: $TMPDIR or
 * /tmp), after getk_key_engine_init, into the list *R_HOMES.  May run in
 * any thread once getk_key_lib_init has.  Succeeds when one home at
 * least was made; else GETK_ERR_CRYPTO (GnuPG is unusable) or
 * GETK_ERR_SYSTEM with WHY (WHYSZ bytes) set, GETK_ERR_NOMEM.
 */
enum getk_err getk_key_homes_new(const char *tmpdir, size_t count,
    struct getk_key_home **r_homes, char *why, size_t whysz);
/* Removes every home of the list HOMES and frees it; NULL: no-op. */
void getk_key_home_free(struct getk_key_home *homes);

/* One offer of keys for a mailbox, and the verdict on it. */
struct getk_key_offer {
	const char *mailbox;		/* the address the keys are for */
	const unsigned char *data;	/* one or more transferable public
					   keys, LEN octets */
	size_t len;
	/* The verdict: GETK_OK with KEY, a new key for getk_key_free;
	 * GETK_ERR_BADKEY, no key passed, WHY says why (e.g. "key has no
	 * usable encryption subkey", "not a transferable public key: a
	 * compressed data packet (type 8) at octet 51, which no public key
	 * holds"); GETK_ERR_TIMEOUT, gpg was killed at the deadline, and
	 * GETK_ERR_CRYPTO, GETK_ERR_SYSTEM, gpg could not judge: temporary,
	 * never a verdict on the key. */
	enum getk_err err;
	struct getk_key *key;
	char why[300];
	/* Whatever the verdict: a revoked key among the offered ones with
	 * a User ID for MAILBOX (the owner withdrew it), or "". */
	char revoked[41];
};

/*
 * Verifies the N OFFERS (GETK.md 6.5), each as it would be verified
 * alone: its packets must pass getk_packet_check_key() (packet.h)
 * before gpg sees them; the User IDs whose addr-spec is not the
 * offer's mailbox are dropped (as gpg's import filter "keep-uid=mbox"
 * drops them, getk_uid_mbox), the key must be neither revoked nor
 * expired, have a valid self-signed User ID for the mailbox and a usable
 * encryption subkey; of several that pass, the one with the newest
 * self-signature wins.  The offers share temporary GnuPG homes under
 * TMPDIR (NULL: $TMPDIR or /tmp), but two offers of the same primary
 * key never share one, so that gpg never merges them, and a large
 * batch is spread over getk_key_homes_for(N) homes, judged at once:
 * each home costs three gpg processes (import, listing, export).  gpg
 * imports without its repair-keys, which checks every signature twice;
 * an offer of which gpg kept fewer signatures than it was given is
 * judged again in a home with repair-keys, whose verdict it gets.  The
 * homes of READY (NULL: none), made by getk_key_homes_new, serve
 * first; they are freed here in every case.  Every gpg run must end by
 * DEADLINE_MS (getk_mono_ms(); 0: no deadline), else it is killed.
 * Fails only with GETK_ERR_NOMEM; the verdicts are in OFFERS.
 */
enum getk_err getk_key_verify_batch(struct getk_key_offer *offers, size_t n,
    const char *tmpdir, long deadline_ms, struct getk_key_home *ready);

/*
 * The fingerprint of the version 4 public key packet body BODY (LEN
 * octets) into FPR, upper-case hex: SHA-1 of 0x99, the two-octet body
 * length and the body (RFC 4880 12.2).  Non-zero when it is no version 4
 * key.
 */
int getk_key_v4_fpr(const unsigned char *body, size_t len, char fpr[41]);

/*
 * Splits the LEN octets at P, gpg's export of several keys, at each
 * public key packet (the packet walker of packet.c), and gives each key
 * whose fingerprint is one of the N FPRS to KEYS at its index, with the
 * times CREATED and EXPIRES at that index (either may be NULL: 0).
 * GETK_ERR_CRYPTO with WHY when the export is not made of version 4
 * keys, GETK_ERR_NOMEM.
 */
enum getk_err getk_key_split(const unsigned char *p, size_t len,
    const char *const *fprs, size_t n, const time_t *created,
    const time_t *expires, struct getk_key **keys, char *why, size_t whysz);

/*
 * Sets *R_YES to 1 when the key NEW_KEY carries a valid certification by
 * the key OLD_KEY on one of its User IDs (a key rotation that the old key
 * vouches for), else 0.  Both are binary transferable public keys, and
 * both must pass getk_packet_check_key() first (GETK_ERR_BADKEY).  Every
 * gpg run must end by DEADLINE_MS, as for getk_key_verify()
 * (GETK_ERR_TIMEOUT).  GETK_ERR_CRYPTO, GETK_ERR_SYSTEM, GETK_ERR_NOMEM.
 */
enum getk_err getk_key_certifies(const unsigned char *old_key, size_t old_len,
    const char *old_fpr, const unsigned char *new_key, size_t new_len,
    const char *new_fpr, const char *tmpdir, long deadline_ms, int *r_yes);

/*
 * Why the key KEY, as gpgme lists it, cannot be used for MAILBOX (GETK.md
 * 6.5: revoked, expired, invalid or disabled, no valid User ID for the
 * mailbox, no usable encryption subkey), or NULL when it can.  With
 * MAILBOX NULL no User ID is required.  The string is static.
 */
struct _gpgme_key;
const char *getk_key_problem(const char *mailbox, struct _gpgme_key *key);

/*
 * Non-zero when the addr-spec of the User ID UID, as the User ID spells
 * it, matches MAILBOX (getk_mailbox_match, GETK.md 6.5), whether or not
 * it is revoked.
 */
struct _gpgme_user_id;
int getk_key_uid_matches(const char *mailbox, struct _gpgme_user_id *uid);

/* A new key record holding a copy of LEN bytes at DATA. */
enum getk_err getk_key_from_data(const unsigned char *data, size_t len,
    const char *fpr, time_t created, time_t expires, struct getk_key **r_key);

/*
 * Writes the SHA-256 of LEN bytes at DATA as 64 lower-case hex digits and
 * a NUL into HEX.
 */
void getk_key_digest(const unsigned char *data, size_t len, char hex[65]);

/*
 * Makes a private temporary GnuPG home under TMPDIR (NULL: $TMPDIR or
 * /tmp) whose gpg.conf starts no agent; *R_HOME is new.  Remove it with
 * getk_key_rmhome.  GETK_ERR_SYSTEM, GETK_ERR_NOMEM.
 */
enum getk_err getk_key_tmphome(const char *tmpdir, char **r_home);

/*
 * As getk_key_tmphome, but named getk-NAME-XXXXXX, so that a home of
 * one purpose can be told from the others (the copy of the user's
 * keyring is "keyring").
 */
enum getk_err getk_key_tmphome_named(const char *tmpdir, const char *name,
    char **r_home);

/* Removes a home made by getk_key_tmphome and frees HOME; NULL: no-op. */
void getk_key_rmhome(char *home);

/* Frees a key; NULL is a no-op. */
void getk_key_free(struct getk_key *key);

#endif
