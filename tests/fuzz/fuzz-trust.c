/*
 * fuzz-trust.c: libFuzzer target for getk's trust rules (src/trust.c).
 *
 * The input bytes pick the findings of the five sources (state, trust and
 * one of three fingerprints), the order the sources are asked in, a cache
 * entry (pin, cached key, its trust and age, a key on offer, a "no key"),
 * a network verdict and the account's key_trust and missing_key.  The
 * verdicts must keep the promises of trust.h:
 *   - corroboration reports a key only from a source that offered it,
 *     prefers an authenticated key, lists only sources that offered that
 *     very key, and reports CONFLICT exactly when two authenticated
 *     sources disagree;
 *   - a key of trust none under key_trust authenticated is never pinned,
 *     never replaces a pin and never makes a conflict;
 *   - a standing conflict is never ended by the network;
 *   - the cache answers a key only for a valid, fresh, accepted pin;
 *   - clear text is allowed only for a recipient without any key, and a
 *     message goes in clear only when no recipient refused or deferred;
 *   - the keyring's rules (check_keyring).
 */
#include <config.h>

#include "fuzz.h"
#include "trust.h"

/* Trust levels, none to keyring. */
#define NTRUST (GETK_TRUST_KEYRING + 1)

static const char *const fprs[] = {
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	"BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
	"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
};

/* The next input byte, or 0 when the input is spent. */
static unsigned
next(const uint8_t **p, const uint8_t *end)
{
	return *p < end ? *(*p)++ : 0;
}

/* A fingerprint of the pool, or NULL (one value in four). */
static const char *
maybe_fpr(unsigned b)
{
	return b % 4 == 3 ? NULL : fprs[b % 4];
}

static int
same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void
check_corroboration(const struct getk_finding_view *v,
    const enum getk_source *order, size_t norder)
{
	struct getk_corroboration r;
	size_t i, k;
	int has_auth = 0, disagree = 0, has_key = 0;
	const char *auth = NULL;

	getk_trust_corroborate(v, order, norder, &r);
	for (i = 0; i < norder; i++) {
		const struct getk_finding_view *x = &v[order[i]];

		if (x->state != GETK_FINDING_KEY)
			continue;
		has_key = 1;
		if (x->trust == GETK_TRUST_NONE)
			continue;
		if (auth && strcmp(auth, x->fpr) != 0)
			disagree = 1;
		auth = x->fpr;
		has_auth = 1;
	}
	ASSERT((r.status == GETK_STATUS_CONFLICT) == disagree);
	ASSERT((r.status == GETK_STATUS_FOUND) == (has_key && !disagree));
	if (r.status != GETK_STATUS_FOUND) {
		ASSERT(r.reason[0] != '\0');
		ASSERT(r.nagreed == 0);
		return;
	}
	ASSERT(v[r.chosen].state == GETK_FINDING_KEY);
	ASSERT(!has_auth || v[r.chosen].trust != GETK_TRUST_NONE);
	ASSERT(r.nagreed >= 1 && r.nagreed + r.ndropped <= norder);
	for (k = 0; k < r.nagreed; k++) {
		ASSERT(v[r.agreed[k].source].state == GETK_FINDING_KEY);
		ASSERT(strcmp(v[r.agreed[k].source].fpr, v[r.chosen].fpr) == 0);
		ASSERT(r.agreed[k].trust == v[r.agreed[k].source].trust);
	}
	for (k = 0; k < r.ndropped; k++) {
		ASSERT(strcmp(v[r.dropped[k]].fpr, v[r.chosen].fpr) != 0);
		/* Only keys of trust none are dropped. */
		ASSERT(v[r.dropped[k]].trust == GETK_TRUST_NONE ||
		    v[r.chosen].trust == GETK_TRUST_NONE);
	}
}

static void
check_pin(const struct getk_pin_view *pv, const struct getk_pin_input *in,
    time_t now, int any)
{
	struct getk_pin_verdict r;
	int none = in->status == GETK_STATUS_FOUND &&
	    in->trust == GETK_TRUST_NONE && !any;
	int usable = pv->pin && same(pv->pin, pv->key_fpr) &&
	    (pv->key_expires == 0 || pv->key_expires > now);

	getk_trust_pin(pv, in, now, any, &r);
	if (none) {
		/* A key of trust none neither pins, replaces nor blocks. */
		ASSERT(r.action != GETK_PIN_NEW && r.action != GETK_PIN_SAME &&
		    r.action != GETK_PIN_ROTATED &&
		    r.action != GETK_PIN_REFUSED);
		ASSERT(r.action != GETK_PIN_CONFLICT || pv->offered_fpr);
	}
	if (pv->offered_fpr)
		ASSERT(r.action == GETK_PIN_CONFLICT ||
		    r.action == GETK_PIN_REFUSED);
	if (r.action == GETK_PIN_REFUSED)
		ASSERT(in->status == GETK_STATUS_FOUND && pv->pin &&
		    !same(in->fpr, pv->pin));
	if (r.action == GETK_PIN_ROTATED)
		ASSERT(in->status == GETK_STATUS_FOUND && pv->pin &&
		    !same(in->fpr, pv->pin) && r.why);
	if (r.action == GETK_PIN_NEW)
		ASSERT(in->status == GETK_STATUS_FOUND);
	if (r.action == GETK_PIN_SAME)
		ASSERT(same(in->fpr, pv->pin));
	if (r.action == GETK_PIN_FALLBACK)
		ASSERT(usable);
	if (r.action == GETK_PIN_NEGATIVE)
		ASSERT(in->status == GETK_STATUS_NOKEY);
	if (r.drop_pinned)
		ASSERT(same(in->revoked_fpr, pv->pin));
	if (getk_trust_wants_certification(pv, in, any))
		ASSERT(in->status == GETK_STATUS_FOUND && pv->pin &&
		    !same(in->fpr, pv->pin));
}

static void
check_answer(const struct getk_pin_view *pv, time_t now, long refresh,
    int any)
{
	enum getk_cache_answer a = getk_trust_cache_answer(pv, now, refresh,
	    any);

	if (pv->offered_fpr)
		ASSERT(a == GETK_ANSWER_CONFLICT);
	if (a == GETK_ANSWER_KEY)
		ASSERT(same(pv->pin, pv->key_fpr) &&
		    (pv->key_expires == 0 || pv->key_expires > now) &&
		    now - pv->key_fetched < refresh &&
		    (any || pv->key_trust != GETK_TRUST_NONE));
	if (a == GETK_ANSWER_NOKEY)
		ASSERT(pv->negative && pv->negative_expires > now);
}

/*
 * The keyring's rules: only a key with a User ID for the address and no
 * problem is used, and of TRUST keyring only at full or ultimate
 * validity; gpg is skipped only for an unchanged keyring whose verdict
 * gave nothing the cache answer lacks; the keyring answers alone only
 * with a key of full validity, or one of trust none where the cache
 * remembers "no key"; and its keys are never pinned, cached or offered.
 */
static void
check_keyring(const uint8_t **p, const uint8_t *end,
    const struct getk_pin_view *pv, time_t now, int any)
{
	static const char *const states[] = { "s0", "s1", NULL };
	struct getk_keyring_key k;
	struct getk_keyring_memo m;
	struct getk_pin_input in;
	struct getk_pin_verdict r;
	enum getk_keyring_verdict v;
	enum getk_cache_answer answer;
	enum getk_trust t;
	unsigned b = next(p, end);
	int ask;

	k.has_uid = b & 1;
	k.problem = (b >> 1) & 1 ? "key has expired" : NULL;
	k.validity = (enum getk_validity)((b >> 2) % 6);
	k.created = 0;
	v = getk_trust_keyring_rate(&k);
	ASSERT(k.has_uid || v == GETK_KEYRING_NONE);
	ASSERT(!k.problem || v <= GETK_KEYRING_UNUSABLE);
	ASSERT(v != GETK_KEYRING_FULL || k.validity == GETK_VALIDITY_FULL ||
	    k.validity == GETK_VALIDITY_ULTIMATE);
	ASSERT(getk_trust_keyring_finding(v, &t) != GETK_FINDING_KEY ||
	    (v >= GETK_KEYRING_LESSER &&
	    (t == GETK_TRUST_KEYRING) == (v == GETK_KEYRING_FULL)));

	b = next(p, end);
	m.state = states[b % 3];
	m.verdict = (enum getk_keyring_verdict)((b / 3) % 4);
	m.expires = (b / 12) % 3 == 0 ? 0 : (b / 12) % 3 == 1 ? now - 1 :
	    now + 1;
	answer = (enum getk_cache_answer)((b / 36) % 4);
	ask = getk_trust_keyring_ask(&m, "s1", answer, now);
	if (answer == GETK_ANSWER_CONFLICT)
		ASSERT(!ask);
	else if (!m.state || strcmp(m.state, "s1") != 0 ||
	    m.verdict == GETK_KEYRING_FULL)
		ASSERT(ask);
	if (!ask && answer != GETK_ANSWER_CONFLICT)
		ASSERT(m.verdict <= GETK_KEYRING_UNUSABLE ||
		    (m.verdict == GETK_KEYRING_LESSER &&
		    answer == GETK_ANSWER_KEY));
	if (getk_trust_keyring_use(v, answer) == GETK_KEYRING_ANSWERS)
		ASSERT(answer != GETK_ANSWER_CONFLICT &&
		    (v == GETK_KEYRING_FULL || (v == GETK_KEYRING_LESSER &&
		    answer == GETK_ANSWER_NOKEY)));

	memset(&in, 0, sizeof(in));
	in.status = GETK_STATUS_FOUND;
	in.from_keyring = 1;
	in.trust = b & 1 ? GETK_TRUST_KEYRING : GETK_TRUST_NONE;
	in.fpr = fprs[(b >> 1) % 3];
	in.revoked_fpr = "";
	getk_trust_pin(pv, &in, now, any, &r);
	ASSERT(r.action == GETK_PIN_KEEP || r.action == GETK_PIN_FALLBACK ||
	    r.action == GETK_PIN_CONFLICT);
	ASSERT(r.action != GETK_PIN_CONFLICT || pv->offered_fpr);
	ASSERT(!getk_trust_wants_certification(pv, &in, any));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	struct getk_finding_view v[GETK_NSOURCES];
	enum getk_source order[GETK_NSOURCES];
	struct getk_pin_view pv;
	struct getk_pin_input in;
	enum getk_send each[GETK_NSOURCES], msg;
	size_t i, k, norder = 0;
	time_t now = 1000000;
	unsigned b, used = 0;
	int any, plaintext;

	for (i = 0; i < GETK_NSOURCES; i++) {
		b = next(&p, end);
		v[i].state = (enum getk_finding_state)(b % 5);
		v[i].trust = (enum getk_trust)((b / 5) % NTRUST);
		v[i].fpr = v[i].state == GETK_FINDING_KEY ?
		    fprs[(b / (5 * NTRUST)) % 3] : NULL;
		v[i].why = "why";
	}
	/* The order: a subset of the sources, each at most once. */
	b = next(&p, end);
	b |= next(&p, end) << 8;
	for (i = 0; i < GETK_NSOURCES; i++) {
		k = ((b >> (3 * i)) & 7) % GETK_NSOURCES;
		if (!(used & (1u << k))) {
			used |= 1u << k;
			order[norder++] = (enum getk_source)k;
		}
	}
	check_corroboration(v, order, norder);

	memset(&pv, 0, sizeof(pv));
	b = next(&p, end);
	pv.pin = maybe_fpr(b);
	pv.key_fpr = maybe_fpr(b >> 2);
	pv.offered_fpr = (b >> 4) % 4 == 0 ? maybe_fpr(b >> 6) : NULL;
	if (pv.offered_fpr && (!pv.pin || same(pv.offered_fpr, pv.pin)))
		pv.offered_fpr = NULL;	/* not a state the store makes */
	b = next(&p, end);
	pv.key_trust = (enum getk_trust)(b % NTRUST);
	pv.key_fetched = now - (time_t)((b / NTRUST) % 3) * 400000;
	pv.key_expires = (b / (3 * NTRUST)) % 3 == 0 ? 0 :
	    (b / (3 * NTRUST)) % 3 == 1 ?
	    now - 10 : now + 10;
	pv.negative = (b >> 7) & 1;
	pv.negative_expires = now + (next(&p, end) % 3) * 10 - 10;

	memset(&in, 0, sizeof(in));
	b = next(&p, end);
	in.status = (enum getk_status)(b % 5);
	in.trust = (enum getk_trust)((b / 5) % NTRUST);
	in.fpr = in.status == GETK_STATUS_FOUND ?
	    fprs[(b / (5 * NTRUST)) % 3] : NULL;
	b = next(&p, end);
	in.revoked_fpr = b % 2 ? fprs[(b / 2) % 3] : "";
	in.certified = (b >> 4) & 1;
	any = (b >> 5) & 1;
	plaintext = (b >> 6) & 1;
	check_pin(&pv, &in, now, any);
	check_answer(&pv, now, 500000, any);
	check_keyring(&p, end, &pv, now, any);

	for (i = 0; i < GETK_NSOURCES; i++) {
		const char *why = NULL;

		b = next(&p, end);
		each[i] = getk_trust_send((enum getk_status)(b % 5),
		    (enum getk_trust)((b / 5) % NTRUST), any, plaintext, &why);
		if (each[i] == GETK_SEND_CLEAR)
			ASSERT(b % 5 == GETK_STATUS_NOKEY && plaintext);
		if (b % 5 == GETK_STATUS_BADKEY ||
		    b % 5 == GETK_STATUS_CONFLICT)
			ASSERT(each[i] == GETK_SEND_REFUSE);
		if (b % 5 == GETK_STATUS_TEMPFAIL)
			ASSERT(each[i] == GETK_SEND_LATER);
		ASSERT(each[i] == GETK_SEND_ENCRYPT || why);
	}
	msg = getk_trust_send_message(each, GETK_NSOURCES);
	for (i = 0; i < GETK_NSOURCES; i++) {
		if (each[i] == GETK_SEND_REFUSE)
			ASSERT(msg == GETK_SEND_REFUSE);
		if (msg == GETK_SEND_CLEAR)
			ASSERT(each[i] == GETK_SEND_ENCRYPT ||
			    each[i] == GETK_SEND_CLEAR);
	}
	return 0;
}
