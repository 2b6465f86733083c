/*
 * keyring.h: the keyring source, the user's own GnuPG keyring
 * (getk-fetch(1), Sources), read and never written.
 *
 * gpg 2.2 writes to the home it is given even when it only lists keys: a
 * listing whose trustdb is due for a check runs the check and rewrites
 * trustdb.gpg (and waits, without end, for another gpg's lock on it);
 * every run registers pubring.kbx, which takes its lock and, three hours
 * after the last maintenance, writes a compacted copy beside it; under
 * trust-model tofu+pgp the listing records bindings in tofu.db.  gpgme
 * 1.18 cannot pass --no-auto-check-trustdb, and that option would leave
 * the validities stale anyway.  So gpg never sees the user's home: each
 * batch copies the files that decide what gpg lists (the public keyring,
 * trustdb.gpg, tofu.db and the trust options of gpg.conf) into a private
 * temporary home, and gpg lists and exports there.  Whatever gpg writes
 * goes to the copy, which is removed; the user's files are only read.
 *
 * Costs: a handful of stat(2) calls for the state; when gpg is needed,
 * the copy, one gpg process for the listing of every address of the
 * batch and one more for the export of the keys used, each run through
 * gpg.c under a deadline.  gpg never waits for the user's locks (they
 * are not in its home), and a gpg that outlives its deadline is killed.
 */
#ifndef GETK_KEYRING_H
#define GETK_KEYRING_H

#include <stddef.h>
#include <time.h>

#include "error.h"
#include "key.h"
#include "trust.h"

/*
 * The files of a GnuPG home that decide what gpg lists (the public
 * keyring, the trustdb, the TOFU database, gpg.conf): the state is made
 * of them, and the copy takes them.  keyringstate.c.
 */
extern const char *const getk_keyring_files[];
extern const size_t getk_keyring_nfiles;

/* Non-zero when HOME holds a public keyring (pubring.kbx or
 * pubring.gpg). */
int getk_keyring_present(const char *home);

/*
 * The keyring's home: HOME when given, else $GNUPGHOME, else
 * $HOME/.gnupg, as a new string in *R_HOME.  GETK_ERR_CONFIG when none
 * can be found, GETK_ERR_NOMEM.
 */
enum getk_err getk_keyring_home(const char *home, char **r_home);

/*
 * The state of the keyring at HOME, cheap to find: the SHA-256, as 64
 * hex digits and a NUL in R_STATE, of the identity, size and times
 * (stat(2)) of every file the copy takes (the public keyring, the
 * trustdb, the TOFU database, gpg.conf).  Any change gpg makes to them
 * changes the state.  *R_PRESENT is 1 when HOME holds a public keyring
 * (pubring.kbx or pubring.gpg), else 0: then there is no keyring and
 * the source is silent.
 */
void getk_keyring_state(const char *home, char r_state[65], int *r_present);

/* A private copy of a keyring, for the batch that opened it. */
struct getk_keyring;

/*
 * Copies the keyring at HOME into a new private GnuPG home,
 * TMPDIR/getk-keyring-XXXXXX (TMPDIR NULL: $TMPDIR or /tmp), for *R_KR.
 * Errors,
 * with WHY (WHYSZ bytes) set: GETK_ERR_NOKEY when HOME holds no public
 * keyring; GETK_ERR_TEMPFAIL when another process holds the lock of
 * the keyring or the trustdb (a gpg changing them: the copy could catch
 * it half done); GETK_ERR_SYSTEM when a file cannot be read or copied;
 * GETK_ERR_CRYPTO when gpgme is unusable; GETK_ERR_NOMEM.
 */
enum getk_err getk_keyring_open(const char *home, const char *tmpdir,
    struct getk_keyring **r_kr, char *why, size_t whysz);

/* Removes the copy and frees KR; NULL is a no-op. */
void getk_keyring_close(struct getk_keyring *kr);

/* What the keyring holds for one address. */
struct getk_keyring_find {
	enum getk_keyring_verdict verdict;
	char fpr[41];			/* LESSER, FULL: the key's, upper-case
					   hex */
	time_t created;			/* LESSER, FULL */
	time_t expires;			/* LESSER, FULL; 0: never */
	char revoked[41];		/* a revoked key with a User ID for the
					   address, or "" */
	char why[200];			/* UNUSABLE: why no key is usable */
};

/*
 * Lists, in one gpg process that must end by DEADLINE_MS (getk_mono_ms();
 * gpg.c kills it then), the keys of KR for the N MAILBOXES and rates them
 * (getk_trust_keyring_rate: the address match of GETK.md 6.5, gpg's
 * validity of the User ID, expiry, revocation, encryption subkey);
 * FINDS[i] gets the verdict on MAILBOXES[i] and the best key's facts.
 * GETK_ERR_CRYPTO with WHY set when gpg cannot read the keyring (it is
 * damaged) or fails, GETK_ERR_TIMEOUT at the deadline, GETK_ERR_NOMEM.
 */
enum getk_err getk_keyring_list(struct getk_keyring *kr, long deadline_ms,
    const char *const *mailboxes, size_t n, struct getk_keyring_find *finds,
    char *why, size_t whysz);

/*
 * Exports, in one gpg process that must end by DEADLINE_MS, the N keys
 * of KR whose fingerprints are FPRS, minimal (the newest self-signatures
 * only, as encryption needs, within packet.c's limits), binary; KEYS[i]
 * gets a new key record for FPRS[i] (getk_key_free), with CREATED[i] and
 * EXPIRES[i] when those are not NULL.  GETK_ERR_NOKEY with WHY set when
 * one of them is not in the keyring, GETK_ERR_CRYPTO when gpg fails or
 * exports what cannot be split into keys, GETK_ERR_TIMEOUT,
 * GETK_ERR_NOMEM; on error no KEYS[i] is set.
 */
enum getk_err getk_keyring_export(struct getk_keyring *kr, long deadline_ms,
    const char *const *fprs, size_t n, const time_t *created,
    const time_t *expires, struct getk_key **keys, char *why, size_t whysz);

/*
 * The key of fingerprint FPR from the keyring at HOME (self_key,
 * getk-sendmail(8)), exported as getk_keyring_export does, into a new
 * key record *R_KEY: two gpg processes on a copy, as for the lookups,
 * both ending by DEADLINE_MS.  GETK_ERR_NOKEY when HOME has no keyring
 * or no such key, GETK_ERR_BADKEY when the key cannot be encrypted to
 * (revoked, expired, no usable encryption subkey), GETK_ERR_TIMEOUT
 * ("gpg key listing did not end before its deadline and was killed"),
 * and getk_keyring_open's errors, all with WHY set.
 */
enum getk_err getk_keyring_self_key(const char *home, const char *fpr,
    const char *tmpdir, long deadline_ms, struct getk_key **r_key, char *why,
    size_t whysz);

#endif
