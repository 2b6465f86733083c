/*
 * trust.c: getk's trust rules (trust.h): names, corroboration, the cache
 * and the pin, and what may be sent.  Pure decisions: the engine, the
 * cache code and getk-sendmail gather the facts and carry the verdicts
 * out.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "trust.h"

static const char *const source_names[] = { "relay", "getk", "wkd", "dane",
    "keyring", "cache" };

static const char *const trust_names[] = { "none", "dnssec", "mta-sts",
    "webpki", "relay", "keyring" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* NAMES[I] of the N NAMES, or DFLT when I is not one of them. */
static const char *
name_of(const char *const *names, size_t n, size_t i, const char *dflt)
{
	return i < n ? names[i] : dflt;
}

/* The index of NAME (may be NULL) in the N NAMES, or DFLT. */
static size_t
index_of(const char *const *names, size_t n, const char *name, size_t dflt)
{
	size_t i;

	for (i = 0; name && i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return dflt;
}

const char *
getk_source_name(enum getk_source src)
{
	return name_of(source_names, NELEM(source_names), (size_t)src,
	    "unknown");
}

enum getk_err
getk_sources_parse(const char *s, enum getk_source *sources, size_t *r_n)
{
	size_t n = 0;
	const char *p = s;

	*r_n = 0;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p), i, k;
		int found = -1;

		for (i = 0; i < GETK_NSOURCES; i++)
			if (strlen(source_names[i]) == len &&
			    strncmp(source_names[i], p, len) == 0)
				found = (int)i;
		if (found < 0)
			return GETK_ERR_SYNTAX;
		for (k = 0; k < n; k++)
			if (sources[k] == (enum getk_source)found)
				return GETK_ERR_SYNTAX;
		sources[n++] = (enum getk_source)found;
		if (!e)
			break;
		p = e + 1;
		if (!*p)
			return GETK_ERR_SYNTAX;
	}
	if (n == 0)
		return GETK_ERR_SYNTAX;
	*r_n = n;
	return GETK_OK;
}

const char *
getk_trust_name(enum getk_trust trust)
{
	return name_of(trust_names, NELEM(trust_names), (size_t)trust, "none");
}

enum getk_trust
getk_trust_parse(const char *name)
{
	return (enum getk_trust)index_of(trust_names, NELEM(trust_names), name,
	    GETK_TRUST_NONE);
}

/* --- corroboration ----------------------------------------------------- */

/* Appends "SRC: WHY" to the reasons in BUF (SZ bytes). */
static void
add_reason(char *buf, size_t sz, enum getk_source src, const char *why)
{
	size_t len = strlen(buf);

	if (len + 4 >= sz)
		return;
	snprintf(buf + len, sz - len, "%s%s: %s", len ? "; " : "",
	    getk_source_name(src), why ? why : "");
}

void
getk_trust_corroborate(const struct getk_finding_view *f,
    const enum getk_source *order, size_t norder,
    struct getk_corroboration *r)
{
	const struct getk_finding_view *auth = NULL, *chosen = NULL, *x;
	enum getk_source asrc = GETK_SOURCE_GETK, src;
	char reasons[sizeof(r->reason) - 16] = "";
	size_t i;
	int bad = 0, temp = 0;

	memset(r, 0, sizeof(*r));
	/* Authenticated keys must agree among themselves. */
	for (i = 0; i < norder; i++) {
		src = order[i];
		if ((size_t)src >= GETK_NSOURCES)
			continue;
		x = &f[src];
		if (x->state != GETK_FINDING_KEY || x->trust == GETK_TRUST_NONE)
			continue;
		if (!auth) {
			auth = x;
			asrc = src;
		} else if (strcmp(auth->fpr, x->fpr) != 0) {
			r->status = GETK_STATUS_CONFLICT;
			snprintf(r->reason, sizeof(r->reason), "authenticated "
			    "sources disagree: %s (trust %s) offers %s, %s "
			    "(trust %s) offers %s; neither is used",
			    getk_source_name(asrc), getk_trust_name(auth->trust),
			    auth->fpr, getk_source_name(src),
			    getk_trust_name(x->trust), x->fpr);
			return;
		}
	}
	chosen = auth;
	r->chosen = asrc;
	for (i = 0; !chosen && i < norder; i++) {
		src = order[i];
		if ((size_t)src < GETK_NSOURCES &&
		    f[src].state == GETK_FINDING_KEY) {
			chosen = &f[src];
			r->chosen = src;
		}
	}
	if (chosen) {
		r->status = GETK_STATUS_FOUND;
		for (i = 0; i < norder; i++) {
			src = order[i];
			if ((size_t)src >= GETK_NSOURCES ||
			    f[src].state != GETK_FINDING_KEY)
				continue;
			if (strcmp(f[src].fpr, chosen->fpr) == 0) {
				r->agreed[r->nagreed].source = src;
				r->agreed[r->nagreed++].trust = f[src].trust;
			} else {
				r->dropped[r->ndropped++] = src;
			}
		}
		return;
	}
	/* No key: the gravest failure speaks (65 before 75 before 67). */
	for (i = 0; i < norder; i++) {
		if ((size_t)order[i] >= GETK_NSOURCES)
			continue;
		bad |= f[order[i]].state == GETK_FINDING_BAD;
		temp |= f[order[i]].state == GETK_FINDING_TEMP;
	}
	for (i = 0; i < norder; i++) {
		if ((size_t)order[i] >= GETK_NSOURCES)
			continue;
		x = &f[order[i]];
		if (x->state == GETK_FINDING_UNASKED ||
		    (bad && x->state != GETK_FINDING_BAD) ||
		    (!bad && temp && x->state != GETK_FINDING_TEMP))
			continue;
		add_reason(reasons, sizeof(reasons), order[i], x->why);
	}
	r->status = bad ? GETK_STATUS_BADKEY : temp ? GETK_STATUS_TEMPFAIL :
	    GETK_STATUS_NOKEY;
	if (bad || temp)
		snprintf(r->reason, sizeof(r->reason), "%s", reasons);
	else if (reasons[0])
		snprintf(r->reason, sizeof(r->reason), "no key: %s", reasons);
	else
		snprintf(r->reason, sizeof(r->reason), "no configured source "
		    "has a key");
}

/* --- the cache and the pin --------------------------------------------- */

/* Non-zero when the account may pin and use keys of TRUST unasked. */
static int
accepted(enum getk_trust trust, int key_trust_any)
{
	return key_trust_any || trust != GETK_TRUST_NONE;
}

/* Non-zero when the cached key is the pinned one and still valid. */
static int
pinned_usable(const struct getk_pin_view *pv, time_t now)
{
	return pv->pin && pv->key_fpr && strcmp(pv->pin, pv->key_fpr) == 0 &&
	    (pv->key_expires == 0 || pv->key_expires > now);
}

enum getk_cache_answer
getk_trust_cache_answer(const struct getk_pin_view *pv, time_t now,
    long refresh_after, int key_trust_any)
{
	int usable = pinned_usable(pv, now);

	if (pv->offered_fpr)
		return GETK_ANSWER_CONFLICT;
	if (usable && now - pv->key_fetched < refresh_after &&
	    accepted(pv->key_trust, key_trust_any))
		return GETK_ANSWER_KEY;
	if (!usable && pv->negative && pv->negative_expires > now)
		return GETK_ANSWER_NOKEY;
	return GETK_ANSWER_NETWORK;
}

/*
 * Non-zero when a pin exists that binds: under key_trust authenticated a
 * pin whose key came by no authenticated path (pinned by an older getk)
 * binds nothing.  A pin without its key (dropped when revoked) binds.
 */
static int
pin_binds(const struct getk_pin_view *pv, int key_trust_any)
{
	if (!pv->pin)
		return 0;
	if (pv->key_fpr && strcmp(pv->key_fpr, pv->pin) == 0)
		return accepted(pv->key_trust, key_trust_any);
	return 1;
}

int
getk_trust_wants_certification(const struct getk_pin_view *pv,
    const struct getk_pin_input *in, int key_trust_any)
{
	return in->status == GETK_STATUS_FOUND && !in->from_keyring &&
	    !pv->offered_fpr &&
	    accepted(in->trust, key_trust_any) &&
	    pin_binds(pv, key_trust_any) && pv->key_fpr &&
	    strcmp(pv->key_fpr, pv->pin) == 0 &&
	    strcmp(in->fpr, pv->pin) != 0;
}

/* The verdict for a key found that the account may pin. */
static void
pin_found(const struct getk_pin_view *pv, const struct getk_pin_input *in,
    time_t now, int key_trust_any, struct getk_pin_verdict *r)
{
	int have_key = pv->pin && pv->key_fpr &&
	    strcmp(pv->key_fpr, pv->pin) == 0;
	int authenticated = in->trust != GETK_TRUST_NONE;
	int revoked = pv->pin && in->revoked_fpr &&
	    strcmp(in->revoked_fpr, pv->pin) == 0;

	if (pv->offered_fpr) {
		/* Until the user decides, nothing but the decision ends
		 * the conflict; a third key becomes the one on offer. */
		r->action = strcmp(in->fpr, pv->offered_fpr) != 0 &&
		    (!pv->pin || strcmp(in->fpr, pv->pin) != 0) ?
		    GETK_PIN_REFUSED : GETK_PIN_CONFLICT;
		r->drop_pinned = revoked && have_key;
		return;
	}
	if (pv->pin && strcmp(in->fpr, pv->pin) == 0) {
		r->action = GETK_PIN_SAME;
		return;
	}
	if (!pin_binds(pv, key_trust_any)) {
		r->action = pv->pin ? GETK_PIN_ROTATED : GETK_PIN_NEW;
		if (pv->pin)
			r->why = "the pinned key came by no authenticated path";
		return;
	}
	r->action = GETK_PIN_ROTATED;
	if (have_key && pv->key_trust == GETK_TRUST_NONE && authenticated) {
		r->why = "the pinned key came by no authenticated path; the "
		    "new key did";
		return;
	}
	if (have_key && in->certified) {
		r->why = "certified by the pinned key";
		return;
	}
	if (have_key && pv->key_expires && pv->key_expires <= now &&
	    authenticated) {
		r->why = "pinned key expired; new key authenticated";
		return;
	}
	if (revoked && authenticated) {
		r->why = "pinned key revoked; new key authenticated";
		return;
	}
	/* A revoked pin is never used again, even while its successor
	 * waits for --accept. */
	r->action = GETK_PIN_REFUSED;
	r->drop_pinned = revoked && have_key;
}

void
getk_trust_pin(const struct getk_pin_view *pv, const struct getk_pin_input *in,
    time_t now, int key_trust_any, struct getk_pin_verdict *r)
{
	int revoked = pv->pin && in->revoked_fpr &&
	    strcmp(in->revoked_fpr, pv->pin) == 0;
	int have_key = pv->pin && pv->key_fpr &&
	    strcmp(pv->key_fpr, pv->pin) == 0;

	memset(r, 0, sizeof(*r));
	if (in->status == GETK_STATUS_FOUND && in->from_keyring) {
		/* The keyring is the record of its keys: nothing of them is
		 * pinned, cached or kept on offer. */
		if (in->trust != GETK_TRUST_NONE) {
			r->action = pv->offered_fpr ? GETK_PIN_CONFLICT :
			    GETK_PIN_KEEP;
			return;
		}
		key_trust_any = 0;
	}
	if (in->status == GETK_STATUS_FOUND &&
	    accepted(in->trust, key_trust_any)) {
		pin_found(pv, in, now, key_trust_any, r);
		return;
	}
	if (pv->offered_fpr) {
		r->action = GETK_PIN_CONFLICT;
		r->drop_pinned = revoked && have_key;
		return;
	}
	if (revoked) {
		/* The owner withdrew the pinned key: the cached copy,
		 * verified before, must not stand in for it. */
		r->action = in->status == GETK_STATUS_FOUND ? GETK_PIN_KEEP :
		    GETK_PIN_REVOKED;
		r->drop_pinned = have_key;
		return;
	}
	if (pinned_usable(pv, now) && (in->status != GETK_STATUS_FOUND ||
	    pin_binds(pv, key_trust_any))) {
		/* A failure, a "no key" that anyone on the path could forge,
		 * or a key of no authenticated path, does not undo a valid
		 * pinned key. */
		r->action = GETK_PIN_FALLBACK;
		if (in->status == GETK_STATUS_FOUND)
			r->why = strcmp(in->fpr, pv->pin) == 0 ?
			    "the pinned key, offered by no authenticated "
			    "path this time" : "a key of no authenticated "
			    "path differs from the pinned key; it is not used";
		return;
	}
	r->action = in->status == GETK_STATUS_NOKEY ? GETK_PIN_NEGATIVE :
	    GETK_PIN_KEEP;
}

/* --- the keyring ------------------------------------------------------ */

static const char *const verdict_names[] = { "none", "unusable", "lesser",
    "full" };

const char *
getk_keyring_verdict_name(enum getk_keyring_verdict v)
{
	return name_of(verdict_names, NELEM(verdict_names), (size_t)v, "none");
}

enum getk_keyring_verdict
getk_keyring_verdict_parse(const char *name)
{
	return (enum getk_keyring_verdict)index_of(verdict_names,
	    NELEM(verdict_names), name, GETK_KEYRING_NONE);
}

enum getk_keyring_verdict
getk_trust_keyring_rate(const struct getk_keyring_key *k)
{
	if (!k->has_uid)
		return GETK_KEYRING_NONE;
	/* A User ID that gpg calls never valid is one the user (or TOFU)
	 * refused: not a key of trust none to offer beside the others. */
	if (k->problem || k->validity == GETK_VALIDITY_NEVER)
		return GETK_KEYRING_UNUSABLE;
	if (k->validity == GETK_VALIDITY_FULL ||
	    k->validity == GETK_VALIDITY_ULTIMATE)
		return GETK_KEYRING_FULL;
	return GETK_KEYRING_LESSER;
}

int
getk_trust_keyring_better(const struct getk_keyring_key *a,
    const struct getk_keyring_key *b)
{
	enum getk_keyring_verdict va = getk_trust_keyring_rate(a),
	    vb = getk_trust_keyring_rate(b);

	return va > vb || (va == vb && a->created > b->created);
}

int
getk_trust_keyring_ask(const struct getk_keyring_memo *m, const char *state,
    enum getk_cache_answer answer, time_t now)
{
	if (answer == GETK_ANSWER_CONFLICT)
		return 0;
	if (!m->state || !state || strcmp(m->state, state) != 0)
		return 1;
	switch (m->verdict) {
	case GETK_KEYRING_NONE:
	case GETK_KEYRING_UNUSABLE:
		return 0;
	case GETK_KEYRING_LESSER:
		/* A key of trust none leaves a cached key the account
		 * accepts as it is; anywhere else it may be the answer, and
		 * gpg must give it. */
		return answer != GETK_ANSWER_KEY ||
		    (m->expires != 0 && m->expires <= now);
	case GETK_KEYRING_FULL:
		break;
	}
	return 1;
}

enum getk_keyring_use
getk_trust_keyring_use(enum getk_keyring_verdict v,
    enum getk_cache_answer answer)
{
	if (answer == GETK_ANSWER_CONFLICT)
		return GETK_KEYRING_BESIDE;
	if (v == GETK_KEYRING_FULL)
		return GETK_KEYRING_ANSWERS;
	if (v == GETK_KEYRING_LESSER && answer == GETK_ANSWER_NOKEY)
		return GETK_KEYRING_ANSWERS;
	return GETK_KEYRING_BESIDE;
}

enum getk_finding_state
getk_trust_keyring_finding(enum getk_keyring_verdict v,
    enum getk_trust *r_trust)
{
	*r_trust = GETK_TRUST_NONE;
	switch (v) {
	case GETK_KEYRING_FULL:
		*r_trust = GETK_TRUST_KEYRING;
		return GETK_FINDING_KEY;
	case GETK_KEYRING_LESSER:
		return GETK_FINDING_KEY;
	case GETK_KEYRING_UNUSABLE:
	case GETK_KEYRING_NONE:
		break;
	}
	return GETK_FINDING_NOKEY;
}

/* --- sending ----------------------------------------------------------- */

enum getk_send
getk_trust_send(enum getk_status status, enum getk_trust trust,
    int key_trust_any, int missing_key_plaintext, const char **r_why)
{
	*r_why = NULL;
	switch (status) {
	case GETK_STATUS_FOUND:
		if (accepted(trust, key_trust_any))
			return GETK_SEND_ENCRYPT;
		if (missing_key_plaintext) {
			/* A key of no authenticated path is better than no
			 * encryption at all. */
			*r_why = "the key has trust none; used rather than "
			    "clear text (missing_key plaintext)";
			return GETK_SEND_ENCRYPT;
		}
		*r_why = "the key has trust none, and key_trust is "
		    "authenticated";
		return GETK_SEND_REFUSE;
	case GETK_STATUS_NOKEY:
		if (missing_key_plaintext) {
			*r_why = "no key: clear text (missing_key plaintext)";
			return GETK_SEND_CLEAR;
		}
		*r_why = "no key (missing_key refuse)";
		return GETK_SEND_REFUSE;
	case GETK_STATUS_BADKEY:
		*r_why = "the key offered failed verification";
		return GETK_SEND_REFUSE;
	case GETK_STATUS_CONFLICT:
		*r_why = "the keys found conflict";
		return GETK_SEND_REFUSE;
	case GETK_STATUS_TEMPFAIL:
		*r_why = "the lookup failed temporarily";
		return GETK_SEND_LATER;
	}
	*r_why = "unknown lookup status";
	return GETK_SEND_REFUSE;
}

enum getk_send
getk_trust_send_message(const enum getk_send *each, size_t n)
{
	int later = 0, clear = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (each[i] == GETK_SEND_REFUSE)
			return GETK_SEND_REFUSE;
		later |= each[i] == GETK_SEND_LATER;
		clear |= each[i] == GETK_SEND_CLEAR;
	}
	return later ? GETK_SEND_LATER : clear ? GETK_SEND_CLEAR :
	    GETK_SEND_ENCRYPT;
}
