/*
 * trust.h: getk's trust rules, in one place (DESIGN.md, Trust).
 *
 * The vocabulary (sources, trust levels, outcomes) and every decision
 * made about a key: how the findings of the sources become one verdict
 * (corroboration), what the cache may answer without the network, how a
 * verdict from the network meets the pin, and what getk-sendmail may do
 * with a recipient's verdict.  Findings in, a verdict out: no I/O, no
 * threads, no store handle.  The one fact that needs gpg (whether the
 * pinned key certified a new one) is computed by the caller beforehand.
 */
#ifndef GETK_TRUST_H
#define GETK_TRUST_H

#include <stddef.h>
#include <time.h>

#include "error.h"

/* Where a key came from (INTERFACE.md SOURCE). */
enum getk_source {
	GETK_SOURCE_RELAY,
	GETK_SOURCE_GETK,
	GETK_SOURCE_WKD,
	GETK_SOURCE_DANE,
	GETK_SOURCE_KEYRING,	/* the user's own GnuPG keyring */
	GETK_SOURCE_CACHE
};
#define GETK_NSOURCES 5		/* sources a lookup can use (not cache) */

/* How well the path a key came by is authenticated (INTERFACE.md). */
enum getk_trust {
	GETK_TRUST_NONE,
	GETK_TRUST_DNSSEC,
	GETK_TRUST_MTA_STS,
	GETK_TRUST_WEBPKI,
	GETK_TRUST_RELAY,
	GETK_TRUST_KEYRING	/* gpg rates the User ID full or ultimate in
				   the user's keyring */
};

/* The outcome of a lookup for one address. */
enum getk_status {
	GETK_STATUS_FOUND,	/* a verified key */
	GETK_STATUS_NOKEY,	/* no key exists (exit 67) */
	GETK_STATUS_BADKEY,	/* a key was offered but failed (exit 65) */
	GETK_STATUS_TEMPFAIL,	/* a lookup failed temporarily (exit 75) */
	GETK_STATUS_CONFLICT	/* sources or pin disagree (exit 65) */
};

/* A source that offered the key found, and the trust of its path. */
struct getk_agreement {
	enum getk_source source;
	enum getk_trust trust;
};

/* The INTERFACE.md name of a source ("getk", "cache", ...). */
const char *getk_source_name(enum getk_source src);

/*
 * Parses a source list "getk,wkd" into SOURCES (room for GETK_NSOURCES).
 * GETK_ERR_SYNTAX on an unknown, empty or repeated name.
 */
enum getk_err getk_sources_parse(const char *s, enum getk_source *sources,
    size_t *r_n);

/* The INTERFACE.md name of a trust level ("dnssec", "none", ...). */
const char *getk_trust_name(enum getk_trust trust);

/* The trust level named NAME; GETK_TRUST_NONE when unknown. */
enum getk_trust getk_trust_parse(const char *name);

/* --- corroboration ----------------------------------------------------- */

/* What one source said about one address. */
enum getk_finding_state {
	GETK_FINDING_UNASKED,	/* not asked (source off or not applicable) */
	GETK_FINDING_KEY,	/* a verified key */
	GETK_FINDING_NOKEY,	/* no key */
	GETK_FINDING_TEMP,	/* a temporary or authentication failure */
	GETK_FINDING_BAD	/* a key was offered but failed verification */
};

struct getk_finding_view {
	enum getk_finding_state state;
	enum getk_trust trust;		/* of the path (KEY) */
	const char *fpr;		/* KEY: the key's fingerprint */
	const char *why;		/* not KEY: the reason, or NULL */
};

/* The verdict of the sources on one address. */
struct getk_corroboration {
	enum getk_status status;
	enum getk_source chosen;	/* FOUND: the source whose key counts */
	/* FOUND: every source that offered that very key, in order. */
	struct getk_agreement agreed[GETK_NSOURCES];
	size_t nagreed;
	/* FOUND: sources whose key disagreed and was dropped (a key of
	 * trust none beside an authenticated one): worth a warning. */
	enum getk_source dropped[GETK_NSOURCES];
	size_t ndropped;
	char reason[1024];		/* not FOUND: why, by source */
};

/*
 * Corroborates the findings of one address, F (indexed by enum
 * getk_source), asking the NORDER sources of ORDER (in preference):
 * authenticated sources that disagree make a CONFLICT; a key of trust
 * none that disagrees with an authenticated one is dropped; the key that
 * counts is the preferred authenticated one, else the preferred one.
 * Without a key, the gravest failure speaks: BADKEY before TEMPFAIL
 * before NOKEY, with the reasons of the sources that had it.
 */
void getk_trust_corroborate(const struct getk_finding_view *f,
    const enum getk_source *order, size_t norder,
    struct getk_corroboration *r);

/* --- the cache and the pin --------------------------------------------- */

/* What the cache holds for one address. */
struct getk_pin_view {
	const char *pin;		/* the pinned fingerprint, or NULL */
	const char *key_fpr;		/* the cached key's, or NULL */
	enum getk_trust key_trust;	/* the cached key's */
	time_t key_fetched;
	time_t key_expires;		/* 0: never */
	const char *offered_fpr;	/* a refused change waiting for
					   --accept or --reject, or NULL */
	int negative;			/* a "no key" entry */
	time_t negative_expires;
};

/* What a lookup may take from the cache. */
enum getk_cache_answer {
	GETK_ANSWER_NETWORK,	/* nothing: ask the network */
	GETK_ANSWER_KEY,	/* the cached key, fresh and usable */
	GETK_ANSWER_NOKEY,	/* the remembered "no key" */
	GETK_ANSWER_CONFLICT	/* a standing conflict: no key, exit 65 */
};

/*
 * What the cache may answer for an address at NOW without the network:
 * a standing conflict always; the pinned key while it is valid, fetched
 * less than REFRESH_AFTER seconds ago and of a trust the account accepts
 * (KEY_TRUST_ANY, else not none); else an unexpired "no key".
 */
enum getk_cache_answer getk_trust_cache_answer(const struct getk_pin_view *pv,
    time_t now, long refresh_after, int key_trust_any);

/* The verdict of the network for one address, as the pin sees it. */
struct getk_pin_input {
	enum getk_status status;
	const char *fpr;		/* FOUND: the key's fingerprint */
	enum getk_trust trust;		/* FOUND */
	const char *revoked_fpr;	/* a revoked key offered, or "" */
	int certified;			/* the pinned key certified FPR (see
					   getk_trust_wants_certification) */
	int from_keyring;		/* FOUND: the key is the user's
					   keyring's (SOURCE keyring) */
};

/* What a verdict from the network does to the pin. */
enum getk_pin_action {
	GETK_PIN_KEEP,		/* nothing is recorded; the verdict stands
				   (a failure, or a key of a trust the
				   account does not pin) */
	GETK_PIN_NEW,		/* the first key: pin it */
	GETK_PIN_SAME,		/* the pinned key again */
	GETK_PIN_ROTATED,	/* a new key replaces the pin, as allowed */
	GETK_PIN_REFUSED,	/* a change refused: the key is kept as the
				   offered one; the verdict is CONFLICT */
	GETK_PIN_CONFLICT,	/* a standing conflict: the verdict is
				   CONFLICT, whatever the network said */
	GETK_PIN_FALLBACK,	/* the cached pinned key stands in */
	GETK_PIN_REVOKED,	/* the pinned key was revoked by its owner:
				   the verdict is BADKEY */
	GETK_PIN_NEGATIVE	/* remember "no key" */
};

struct getk_pin_verdict {
	enum getk_pin_action action;
	int drop_pinned;	/* drop the cached pinned key: revoked */
	const char *why;	/* ROTATED: why the change is allowed;
				   FALLBACK: why the network's key is not
				   used, or NULL */
};

/*
 * Non-zero when the pinned key's certification of the key found could
 * change the verdict of getk_trust_pin (a key change of a trust that may
 * be pinned), so that the caller asks gpg, and only then.
 */
int getk_trust_wants_certification(const struct getk_pin_view *pv,
    const struct getk_pin_input *in, int key_trust_any);

/*
 * Holds the network's verdict IN against what the cache holds, PV, at
 * NOW (DESIGN.md Trust, getk-fetch(1) Pins):
 *   - a standing conflict stands until --accept, --reject or --forget,
 *     even when the network offers the pinned key again;
 *   - a key is pinned only when its trust is one the account accepts
 *     (KEY_TRUST_ANY, else not none); a key of trust none never blocks,
 *     replaces or is compared with an authenticated pin;
 *   - a pinned key is replaced only by a key it certified, or, when it
 *     expired, was revoked or came by no authenticated path, by a key of
 *     an authenticated path; any other change is refused;
 *   - a failure or a "no key" does not undo a valid pinned key, but a
 *     revocation of the pinned key does;
 *   - a key from the user's keyring is never pinned, cached or kept on
 *     offer (the keyring is its record): one of TRUST keyring stands as
 *     it is, one of trust none meets the pin as a key of trust none does
 *     under key_trust authenticated, whatever KEY_TRUST_ANY says.
 */
void getk_trust_pin(const struct getk_pin_view *pv,
    const struct getk_pin_input *in, time_t now, int key_trust_any,
    struct getk_pin_verdict *r);

/* --- the keyring ------------------------------------------------------ */

/* gpg's validity of a User ID in the user's keyring (gpgme's order). */
enum getk_validity {
	GETK_VALIDITY_UNKNOWN,
	GETK_VALIDITY_UNDEFINED,
	GETK_VALIDITY_NEVER,		/* gpg says it is not valid (e.g. the
					   TOFU policy bad) */
	GETK_VALIDITY_MARGINAL,
	GETK_VALIDITY_FULL,
	GETK_VALIDITY_ULTIMATE
};

/* What the keyring holds for one address, from worst to best. */
enum getk_keyring_verdict {
	GETK_KEYRING_NONE,	/* no key with a User ID for the address */
	GETK_KEYRING_UNUSABLE,	/* keys for it, none usable: no key from
				   this source */
	GETK_KEYRING_LESSER,	/* a usable key below full validity: a key
				   of trust none beside the other sources */
	GETK_KEYRING_FULL	/* a usable key gpg rates full or ultimate:
				   used as it is, TRUST keyring */
};

/* One key of the keyring as the rules see it; the caller asks gpg. */
struct getk_keyring_key {
	int has_uid;			/* a User ID whose addr-spec is the
					   address (GETK.md 6.5) */
	const char *problem;		/* why the key cannot be used
					   (revoked, expired, that User ID
					   revoked, no usable encryption
					   subkey), or NULL */
	enum getk_validity validity;	/* the best of those User IDs' */
	time_t created;			/* of the primary key */
};

/* The name of a verdict ("none", "unusable", "lesser", "full"). */
const char *getk_keyring_verdict_name(enum getk_keyring_verdict v);

/* The verdict named NAME; GETK_KEYRING_NONE when unknown. */
enum getk_keyring_verdict getk_keyring_verdict_parse(const char *name);

/*
 * The verdict on one key for the address: NONE without a User ID for
 * it; UNUSABLE when the key has a problem or gpg rates the User ID never
 * valid; FULL for full or ultimate validity (the user's own signatures,
 * the web of trust or TOFU, as the user's trust model decides); else
 * LESSER.
 */
enum getk_keyring_verdict getk_trust_keyring_rate(
    const struct getk_keyring_key *k);

/*
 * Non-zero when key A is to be used rather than key B for the address:
 * the better verdict, and between equals the newer key.
 */
int getk_trust_keyring_better(const struct getk_keyring_key *a,
    const struct getk_keyring_key *b);

/* What the store remembers of the keyring's last verdict on an address. */
struct getk_keyring_memo {
	const char *state;		/* the keyring's state then (see
					   getk_keyring_state), or NULL when
					   nothing is remembered */
	enum getk_keyring_verdict verdict;
	time_t expires;			/* LESSER or FULL: the key's expiry;
					   0: never */
};

/*
 * Non-zero when gpg must be asked what the keyring holds for an address
 * whose cache answer (getk_trust_cache_answer) is ANSWER, the keyring
 * being in STATE now.  A standing conflict needs no keyring; a keyring
 * unchanged since it had no key or only unusable ones for the address
 * has none now; one unchanged since it had only a key of trust none
 * that has not expired since changes nothing where the cache answers a
 * key.  Anything else is asked: a changed keyring, one of which nothing
 * is remembered, and one that had a key of full validity (the keyring is
 * the record of such keys, not getk's cache).
 */
int getk_trust_keyring_ask(const struct getk_keyring_memo *m,
    const char *state, enum getk_cache_answer answer, time_t now);

/* What the keyring's verdict does to the cache's answer. */
enum getk_keyring_use {
	GETK_KEYRING_BESIDE,	/* nothing by itself: the cache answers, or
				   the keyring's finding goes to
				   corroboration beside the network's */
	GETK_KEYRING_ANSWERS	/* the keyring's key is the answer, and the
				   network is not asked */
};

/*
 * The keyring's verdict V on an address against the cache's ANSWER: a
 * standing conflict stands; a key of full validity answers; a key of
 * trust none answers where the cache remembers "no key" (as it would
 * beside network sources that all said "no key"), and is only beside
 * the others anywhere else: a cached key the account accepts stands.
 */
enum getk_keyring_use getk_trust_keyring_use(enum getk_keyring_verdict v,
    enum getk_cache_answer answer);

/*
 * The keyring's verdict as a finding for corroboration: FULL a key of
 * TRUST keyring, LESSER a key of trust none, UNUSABLE and NONE no key.
 */
enum getk_finding_state getk_trust_keyring_finding(enum getk_keyring_verdict v,
    enum getk_trust *r_trust);

/* --- sending ----------------------------------------------------------- */

/* What getk-sendmail may do for one recipient. */
enum getk_send {
	GETK_SEND_ENCRYPT,	/* encrypt to the recipient's key */
	GETK_SEND_CLEAR,	/* no key anywhere: clear text is allowed
				   (missing_key plaintext) */
	GETK_SEND_REFUSE,	/* the message must not go (exit 69) */
	GETK_SEND_LATER		/* a temporary failure (exit 75, queue) */
};

/*
 * The rule of missing_key and key_trust (getk.conf(5)) for one
 * recipient whose lookup gave STATUS and, when FOUND, TRUST: a key of a
 * trust key_trust accepts is used; under missing_key plaintext a key it
 * refuses is used rather than sending clear text, and only a recipient
 * without any key allows clear text; a key that failed verification and
 * a conflict refuse the message under either value, a temporary failure
 * defers it.  *R_WHY (a fixed string) says why when not ENCRYPT.
 */
enum getk_send getk_trust_send(enum getk_status status, enum getk_trust trust,
    int key_trust_any, int missing_key_plaintext, const char **r_why);

/*
 * The message's fate from its N recipients' verdicts: REFUSE when any is
 * refused (even when another failed temporarily: it would be refused
 * later too), else LATER when any is deferred, else CLEAR when any
 * allows only clear text, else ENCRYPT.  N == 0 is ENCRYPT.
 */
enum getk_send getk_trust_send_message(const enum getk_send *each, size_t n);

#endif
