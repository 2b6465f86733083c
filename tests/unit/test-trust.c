/*
 * test-trust.c: unit tests of src/trust.c, getk's trust rules, as tables
 * of findings and the verdicts they must give: names, corroboration,
 * answers from the cache, the pin, and what may be sent.
 */
#include <config.h>

#include <string.h>

#include "trust.h"
#include "unit.h"

/* The tables leave the fields a row does not need zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define C "CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC"

static void
test_names(void)
{
	enum getk_source src[GETK_NSOURCES];
	size_t n = 99;
	static const char *const bad[] = { "", "getk,", ",getk", "getk,getk",
	    "cache", "GETK", "getk wkd", "keys", "relay,getk,wkd,dane,relay",
	    "Keyring", "keyring,keyring", "gnupg" };
	size_t i;

	CHECK(getk_sources_parse("dane,getk", src, &n) == GETK_OK && n == 2 &&
	    src[0] == GETK_SOURCE_DANE && src[1] == GETK_SOURCE_GETK,
	    "sources parse in their order");
	CHECK(getk_sources_parse("relay,getk,wkd,dane", src, &n) == GETK_OK &&
	    n == 4, "all four network sources");
	CHECK(getk_sources_parse("keyring,relay,getk,wkd,dane", src, &n) ==
	    GETK_OK && n == 5 && src[0] == GETK_SOURCE_KEYRING,
	    "the keyring and the four network sources");
	CHECK_STR(getk_source_name(GETK_SOURCE_KEYRING), "keyring",
	    "keyring name");
	CHECK_STR(getk_trust_name(GETK_TRUST_KEYRING), "keyring",
	    "trust keyring name");
	CHECK(getk_trust_parse("keyring") == GETK_TRUST_KEYRING,
	    "trust keyring parse");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(getk_sources_parse(bad[i], src, &n) == GETK_ERR_SYNTAX &&
		    n == 0, "source list \"%s\" refused", bad[i]);
	CHECK_STR(getk_source_name(GETK_SOURCE_CACHE), "cache", "cache name");
	CHECK_STR(getk_source_name((enum getk_source)77), "unknown",
	    "name of no source");
	CHECK_STR(getk_trust_name(GETK_TRUST_MTA_STS), "mta-sts",
	    "trust name");
	CHECK(getk_trust_parse("webpki") == GETK_TRUST_WEBPKI, "trust parse");
	CHECK(getk_trust_parse("bogus") == GETK_TRUST_NONE &&
	    getk_trust_parse(NULL) == GETK_TRUST_NONE,
	    "an unknown trust counts as none");
}

/* One source's finding in a table row: state letter, trust, key. */
struct f {
	char state;		/* '-' unasked, 'k' key, 'n' no key, 't' temp,
				   'b' bad */
	enum getk_trust trust;
	const char *fpr;
};

struct corr_case {
	const char *name;
	struct f f[GETK_NSOURCES];	/* relay, getk, wkd, dane, keyring */
	const char *order;		/* e.g. "relay,getk,wkd,dane" */
	enum getk_status status;
	int chosen;			/* source, or -1 */
	size_t nagreed, ndropped;
	const char *reason;		/* a substring of the reason, or NULL */
};

#define N GETK_TRUST_NONE
#define D GETK_TRUST_DNSSEC
#define S GETK_TRUST_MTA_STS
#define W GETK_TRUST_WEBPKI
#define R GETK_TRUST_RELAY
#define ALL "relay,getk,wkd,dane"
#define KALL "keyring,relay,getk,wkd,dane"

static const struct corr_case corr_cases[] = {
	{ "one key, trust none", { {'-'}, {'k', N, A}, {'n'}, {'n'} }, ALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_GETK, 1, 0, NULL },
	{ "authenticated key preferred over an earlier unauthenticated one",
	    { {'-'}, {'k', N, A}, {'k', W, A}, {'n'} }, ALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_WKD, 2, 0, NULL },
	{ "unauthenticated key that disagrees is dropped",
	    { {'-'}, {'k', N, B}, {'k', W, A}, {'n'} }, ALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_WKD, 1, 1, NULL },
	{ "authenticated sources that disagree: conflict",
	    { {'k', R, A}, {'-'}, {'k', W, B}, {'-'} }, ALL,
	    GETK_STATUS_CONFLICT, -1, 0, 0, "authenticated sources disagree: "
	    "relay (trust relay) offers " A ", wkd (trust webpki) offers " B },
	{ "three authenticated that agree", { {'k', R, A}, {'k', D, A},
	    {'k', W, A}, {'t'} }, ALL, GETK_STATUS_FOUND, GETK_SOURCE_RELAY,
	    3, 0, NULL },
	{ "order decides the preferred one", { {'k', R, A}, {'-'},
	    {'k', W, A}, {'-'} }, "wkd,relay", GETK_STATUS_FOUND,
	    GETK_SOURCE_WKD, 2, 0, NULL },
	{ "a source not in the order is not heard", { {'k', R, B}, {'-'},
	    {'k', W, A}, {'-'} }, "wkd", GETK_STATUS_FOUND, GETK_SOURCE_WKD,
	    1, 0, NULL },
	{ "two unauthenticated keys: the preferred one, the other dropped",
	    { {'-'}, {'k', N, A}, {'-'}, {'k', N, B} }, ALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_GETK, 1, 1, NULL },
	{ "bad before temp before no key", { {'t', N, NULL}, {'b'}, {'n'},
	    {'t'} }, ALL, GETK_STATUS_BADKEY, -1, 0, 0, "getk: why" },
	{ "temp before no key", { {'t'}, {'n'}, {'n'}, {'-'} }, ALL,
	    GETK_STATUS_TEMPFAIL, -1, 0, 0, "relay: why" },
	{ "no key from all", { {'n'}, {'n'}, {'-'}, {'n'} }, ALL,
	    GETK_STATUS_NOKEY, -1, 0, 0, "no key: relay: why; getk: why; "
	    "dane: why" },
	{ "nothing asked", { {'-'}, {'-'}, {'-'}, {'-'} }, ALL,
	    GETK_STATUS_NOKEY, -1, 0, 0, "no configured source has a key" },
	{ "a key beats failures", { {'t'}, {'b'}, {'k', N, C}, {'n'} }, ALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_WKD, 1, 0, NULL },
	{ "a lesser keyring key that agrees corroborates",
	    { {'-'}, {'n'}, {'k', W, A}, {'n'}, {'k', N, A} }, KALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_WKD, 2, 0, NULL },
	{ "an authenticated key beats a lesser keyring key that disagrees",
	    { {'-'}, {'n'}, {'k', W, A}, {'n'}, {'k', N, B} }, KALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_WKD, 1, 1, NULL },
	{ "a lesser keyring key alone is found, trust none",
	    { {'-'}, {'n'}, {'n'}, {'n'}, {'k', N, B} }, KALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_KEYRING, 1, 0, NULL },
	{ "the keyring first among keys of trust none",
	    { {'-'}, {'k', N, A}, {'n'}, {'n'}, {'k', N, B} }, KALL,
	    GETK_STATUS_FOUND, GETK_SOURCE_KEYRING, 1, 1, NULL },
	{ "an unusable keyring key is no key",
	    { {'-'}, {'n'}, {'n'}, {'n'}, {'n'} }, KALL,
	    GETK_STATUS_NOKEY, -1, 0, 0, "keyring: why" },
};

static enum getk_finding_state
state_of(char c)
{
	switch (c) {
	case 'k': return GETK_FINDING_KEY;
	case 'n': return GETK_FINDING_NOKEY;
	case 't': return GETK_FINDING_TEMP;
	case 'b': return GETK_FINDING_BAD;
	default: return GETK_FINDING_UNASKED;
	}
}

static void
test_corroborate(void)
{
	size_t i, k;

	for (i = 0; i < sizeof(corr_cases) / sizeof(corr_cases[0]); i++) {
		const struct corr_case *c = &corr_cases[i];
		struct getk_finding_view v[GETK_NSOURCES];
		struct getk_corroboration r;
		enum getk_source order[GETK_NSOURCES];
		size_t norder;

		if (getk_sources_parse(c->order, order, &norder))
			BAIL_OUT("bad order in the table: %s", c->order);
		for (k = 0; k < GETK_NSOURCES; k++) {
			v[k].state = state_of(c->f[k].state);
			v[k].trust = c->f[k].trust;
			v[k].fpr = c->f[k].fpr;
			v[k].why = "why";
		}
		getk_trust_corroborate(v, order, norder, &r);
		CHECK_INT(r.status, c->status, "%s: status", c->name);
		if (c->chosen >= 0)
			CHECK_INT(r.chosen, c->chosen, "%s: chosen", c->name);
		CHECK_INT(r.nagreed, c->nagreed, "%s: agreeing sources",
		    c->name);
		CHECK_INT(r.ndropped, c->ndropped, "%s: dropped keys", c->name);
		if (c->reason && !CHECK(strstr(r.reason, c->reason) != NULL,
		    "%s: reason", c->name))
			DIAG("reason: %s", r.reason);
		for (k = 0; k < r.nagreed; k++)
			CHECK(strcmp(v[r.agreed[k].source].fpr,
			    v[r.chosen].fpr) == 0, "%s: agreed %zu has the key",
			    c->name, k);
	}
}

/* A cache entry in a table row. */
struct pv {
	const char *pin, *key;
	enum getk_trust trust;
	long fetched_ago;	/* seconds before NOW */
	long expires_in;	/* 0: never; negative: expired */
	const char *offered;
	long negative_in;	/* 0: none; else expires in */
};

#define NOW 1000000000L
#define DAY 86400L

static void
make_view(const struct pv *p, struct getk_pin_view *v)
{
	memset(v, 0, sizeof(*v));
	v->pin = p->pin;
	v->key_fpr = p->key;
	v->key_trust = p->trust;
	v->key_fetched = NOW - p->fetched_ago;
	v->key_expires = p->expires_in ? NOW + p->expires_in : 0;
	v->offered_fpr = p->offered;
	v->negative = p->negative_in != 0;
	v->negative_expires = NOW + p->negative_in;
}

struct answer_case {
	const char *name;
	struct pv pv;
	int any;
	enum getk_cache_answer want;
};

static const struct answer_case answer_cases[] = {
	{ "nothing cached", { NULL }, 0, GETK_ANSWER_NETWORK },
	{ "fresh authenticated pin", { A, A, W, 60 }, 0, GETK_ANSWER_KEY },
	{ "stale pin", { A, A, W, 8 * DAY }, 0, GETK_ANSWER_NETWORK },
	{ "expired pin", { A, A, W, 60, -1 }, 0, GETK_ANSWER_NETWORK },
	{ "pin of trust none under authenticated", { A, A, N, 60 }, 0,
	    GETK_ANSWER_NETWORK },
	{ "pin of trust none under any", { A, A, N, 60 }, 1, GETK_ANSWER_KEY },
	{ "standing conflict beats a fresh pin", { A, A, W, 60, 0, B }, 0,
	    GETK_ANSWER_CONFLICT },
	{ "remembered no key", { NULL, NULL, N, 0, 0, NULL, 60 }, 0,
	    GETK_ANSWER_NOKEY },
	{ "expired no key", { NULL, NULL, N, 0, 0, NULL, -60 }, 0,
	    GETK_ANSWER_NETWORK },
	{ "a usable pin beats a no key", { A, A, W, 8 * DAY, 0, NULL, 60 }, 0,
	    GETK_ANSWER_NETWORK },
	{ "cached key is not the pin", { A, B, W, 60 }, 0, GETK_ANSWER_NETWORK },
};

static void
test_cache_answer(void)
{
	size_t i;

	for (i = 0; i < sizeof(answer_cases) / sizeof(answer_cases[0]); i++) {
		const struct answer_case *c = &answer_cases[i];
		struct getk_pin_view v;

		make_view(&c->pv, &v);
		CHECK_INT(getk_trust_cache_answer(&v, NOW, 7 * DAY, c->any),
		    c->want, "cache answer: %s", c->name);
	}
}

struct pin_case {
	const char *name;
	struct pv pv;
	enum getk_status status;
	const char *fpr;
	enum getk_trust trust;
	const char *revoked;
	int certified;
	int any;
	enum getk_pin_action want;
	int drop;
	int wants_cert;
	const char *why;
};

#define F GETK_STATUS_FOUND
#define NK GETK_STATUS_NOKEY
#define TF GETK_STATUS_TEMPFAIL
#define BK GETK_STATUS_BADKEY

static const struct pin_case pin_cases[] = {
	{ "first authenticated key", { NULL }, F, A, W, "", 0, 0,
	    GETK_PIN_NEW },
	{ "first key of trust none, authenticated", { NULL }, F, A, N, "", 0,
	    0, GETK_PIN_KEEP },
	{ "first key of trust none, any", { NULL }, F, A, N, "", 0, 1,
	    GETK_PIN_NEW },
	{ "the pinned key again", { A, A, W, 60 }, F, A, D, "", 0, 0,
	    GETK_PIN_SAME },
	{ "a change refused", { A, A, W, 60 }, F, B, W, "", 0, 0,
	    GETK_PIN_REFUSED, 0, 1 },
	{ "a change certified by the pin", { A, A, W, 60 }, F, B, W, "", 1, 0,
	    GETK_PIN_ROTATED, 0, 1, "certified by the pinned key" },
	{ "the pin expired, new key authenticated", { A, A, W, 60, -1 }, F, B,
	    D, "", 0, 0, GETK_PIN_ROTATED, 0, 1, "pinned key expired" },
	{ "the pin expired, new key of trust none (any)", { A, A, N, 60, -1 },
	    F, B, N, "", 0, 1, GETK_PIN_REFUSED, 0, 1 },
	{ "the pin revoked, new key authenticated", { A, A, W, 60 }, F, B, W,
	    A, 0, 0, GETK_PIN_ROTATED, 0, 1, "pinned key revoked" },
	{ "the pin revoked, new key of trust none (any)", { A, A, W, 60 }, F,
	    B, N, A, 0, 1, GETK_PIN_REFUSED, 1, 1 },
	{ "a pin of trust none replaced by an authenticated key (any)",
	    { A, A, N, 60 }, F, B, S, "", 0, 1, GETK_PIN_ROTATED, 0, 1,
	    "no authenticated path" },
	{ "a pin of trust none binds nothing (authenticated)",
	    { A, A, N, 60 }, F, B, S, "", 0, 0, GETK_PIN_ROTATED, 0, 0,
	    "no authenticated path" },
	{ "a pin of trust none, the same key authenticated now",
	    { A, A, N, 60 }, F, A, W, "", 0, 0, GETK_PIN_SAME },
	{ "trust none never blocks an authenticated pin", { A, A, W, 60 }, F,
	    B, N, "", 0, 0, GETK_PIN_FALLBACK, 0, 0, "differs" },
	{ "trust none bringing the pinned key: the pin stands", { A, A, W, 60 },
	    F, A, N, "", 0, 0, GETK_PIN_FALLBACK, 0, 0, "the pinned key" },
	{ "trust none beside an expired pin: reported, nothing stored",
	    { A, A, W, 60, -1 }, F, B, N, "", 0, 0, GETK_PIN_KEEP },
	{ "trust none, and the pin revoked: dropped, nothing pinned",
	    { A, A, W, 60 }, F, B, N, A, 0, 0, GETK_PIN_KEEP, 1 },
	{ "standing conflict, the offered key again", { A, A, W, 60, 0, B }, F,
	    B, W, "", 0, 0, GETK_PIN_CONFLICT },
	{ "standing conflict, the pinned key again", { A, A, W, 60, 0, B }, F,
	    A, W, "", 0, 0, GETK_PIN_CONFLICT },
	{ "standing conflict, a third key: the new offer", { A, A, W, 60, 0, B },
	    F, C, W, "", 0, 0, GETK_PIN_REFUSED },
	{ "standing conflict, a third certified key: still refused",
	    { A, A, W, 60, 0, B }, F, C, W, "", 1, 0, GETK_PIN_REFUSED },
	{ "standing conflict, no key", { A, A, W, 60, 0, B }, NK, NULL, N, "",
	    0, 0, GETK_PIN_CONFLICT },
	{ "standing conflict, temporary failure", { A, A, W, 60, 0, B }, TF,
	    NULL, N, "", 0, 0, GETK_PIN_CONFLICT },
	{ "standing conflict, trust none", { A, A, W, 60, 0, B }, F, C, N, "",
	    0, 0, GETK_PIN_CONFLICT },
	{ "no key, usable pin: fallback", { A, A, W, 60 }, NK, NULL, N, "", 0,
	    0, GETK_PIN_FALLBACK },
	{ "temporary failure, usable pin: fallback", { A, A, W, 60 }, TF, NULL,
	    N, "", 0, 0, GETK_PIN_FALLBACK },
	{ "bad key, usable pin: fallback", { A, A, W, 60 }, BK, NULL, N, "", 0,
	    0, GETK_PIN_FALLBACK },
	{ "no key, no pin: remembered", { NULL }, NK, NULL, N, "", 0, 0,
	    GETK_PIN_NEGATIVE },
	{ "no key, expired pin: remembered", { A, A, W, 60, -1 }, NK, NULL, N,
	    "", 0, 0, GETK_PIN_NEGATIVE },
	{ "temporary failure, no pin: nothing", { NULL }, TF, NULL, N, "", 0,
	    0, GETK_PIN_KEEP },
	{ "no key, the pin revoked", { A, A, W, 60 }, NK, NULL, N, A, 0, 0,
	    GETK_PIN_REVOKED, 1 },
	{ "revoked pin whose key is gone", { A, NULL, N, 0 }, NK, NULL, N, A, 0,
	    0, GETK_PIN_REVOKED, 0 },
	{ "a pin whose key is gone binds", { A, NULL, N, 0 }, F, B, W, "", 0, 0,
	    GETK_PIN_REFUSED, 0, 0 },
};

static void
test_pin(void)
{
	size_t i;

	for (i = 0; i < sizeof(pin_cases) / sizeof(pin_cases[0]); i++) {
		const struct pin_case *c = &pin_cases[i];
		struct getk_pin_view v;
		struct getk_pin_input in;
		struct getk_pin_verdict r;

		make_view(&c->pv, &v);
		memset(&in, 0, sizeof(in));
		in.status = c->status;
		in.fpr = c->fpr;
		in.trust = c->trust;
		in.revoked_fpr = c->revoked;
		in.certified = c->certified;
		getk_trust_pin(&v, &in, NOW, c->any, &r);
		CHECK_INT(r.action, c->want, "pin: %s", c->name);
		CHECK_INT(r.drop_pinned, c->drop, "pin: %s: drop", c->name);
		if (c->why)
			CHECK(r.why && strstr(r.why, c->why), "pin: %s: why",
			    c->name);
		CHECK_INT(getk_trust_wants_certification(&v, &in, c->any),
		    c->wants_cert, "pin: %s: asks gpg for a certification",
		    c->name);
	}
}

/* Keys from the keyring meet the pin. */
struct kpin_case {
	const char *name;
	struct pv pv;
	const char *fpr;
	enum getk_trust trust;
	int any;
	enum getk_pin_action want;
};

static const struct kpin_case kpin_cases[] = {
	{ "full validity, nothing pinned: not pinned", { NULL }, A,
	    GETK_TRUST_KEYRING, 0, GETK_PIN_KEEP },
	{ "full validity, under key_trust any: not pinned", { NULL }, A,
	    GETK_TRUST_KEYRING, 1, GETK_PIN_KEEP },
	{ "full validity beside another pin: used, the pin untouched",
	    { A, A, W, 60 }, B, GETK_TRUST_KEYRING, 0, GETK_PIN_KEEP },
	{ "full validity during a standing conflict", { A, A, W, 60, 0, B }, C,
	    GETK_TRUST_KEYRING, 0, GETK_PIN_CONFLICT },
	{ "trust none, nothing pinned, any: not pinned", { NULL }, A, N, 1,
	    GETK_PIN_KEEP },
	{ "trust none against a pin, any: the pin stands", { A, A, N, 60 }, B,
	    N, 1, GETK_PIN_KEEP },
	{ "trust none against an authenticated pin: the pin stands",
	    { A, A, W, 60 }, B, N, 0, GETK_PIN_FALLBACK },
	{ "trust none against an authenticated pin, any: never refused",
	    { A, A, W, 60 }, B, N, 1, GETK_PIN_FALLBACK },
	{ "trust none, the pinned key: the pin stands", { A, A, W, 60 }, A, N,
	    0, GETK_PIN_FALLBACK },
};

static void
test_keyring_pin(void)
{
	size_t i;

	for (i = 0; i < sizeof(kpin_cases) / sizeof(kpin_cases[0]); i++) {
		const struct kpin_case *c = &kpin_cases[i];
		struct getk_pin_view v;
		struct getk_pin_input in;
		struct getk_pin_verdict r;

		make_view(&c->pv, &v);
		memset(&in, 0, sizeof(in));
		in.status = F;
		in.fpr = c->fpr;
		in.trust = c->trust;
		in.revoked_fpr = "";
		in.from_keyring = 1;
		getk_trust_pin(&v, &in, NOW, c->any, &r);
		CHECK_INT(r.action, c->want, "keyring pin: %s", c->name);
		CHECK_INT(getk_trust_wants_certification(&v, &in, c->any), 0,
		    "keyring pin: %s: no certification asked", c->name);
	}
}

/* The keyring's rating of one key. */
struct rate_case {
	const char *name;
	struct getk_keyring_key k;
	enum getk_keyring_verdict want;
};

#define V(x) GETK_VALIDITY_##x
#define KR(x) GETK_KEYRING_##x

static const struct rate_case rate_cases[] = {
	{ "signed by the user (full)", { 1, NULL, V(FULL) }, KR(FULL) },
	{ "the user's own key (ultimate)", { 1, NULL, V(ULTIMATE) }, KR(FULL) },
	{ "marginal", { 1, NULL, V(MARGINAL) }, KR(LESSER) },
	{ "unknown validity", { 1, NULL, V(UNKNOWN) }, KR(LESSER) },
	{ "undefined validity", { 1, NULL, V(UNDEFINED) }, KR(LESSER) },
	{ "never valid (TOFU policy bad)", { 1, NULL, V(NEVER) },
	    KR(UNUSABLE) },
	{ "expired, even if full", { 1, "key has expired", V(FULL) },
	    KR(UNUSABLE) },
	{ "revoked, even if ultimate", { 1, "key is revoked", V(ULTIMATE) },
	    KR(UNUSABLE) },
	{ "no encryption subkey", { 1, "key has no usable encryption subkey",
	    V(MARGINAL) }, KR(UNUSABLE) },
	{ "no User ID for the address", { 0, NULL, V(ULTIMATE) }, KR(NONE) },
	{ "no User ID, and expired", { 0, "key has expired", V(FULL) },
	    KR(NONE) },
};

/* Whether gpg is asked, from what the store remembers. */
struct ask_case {
	const char *name;
	const char *memo_state;
	enum getk_keyring_verdict verdict;
	long expires_in;	/* 0: never */
	enum getk_cache_answer answer;
	int want;
};

#define AK GETK_ANSWER_KEY
#define AN GETK_ANSWER_NOKEY
#define AW GETK_ANSWER_NETWORK
#define AC GETK_ANSWER_CONFLICT

static const struct ask_case ask_cases[] = {
	{ "nothing remembered", NULL, KR(NONE), 0, AK, 1 },
	{ "unchanged, no key then: a cache hit needs no gpg", "s1", KR(NONE), 0,
	    AK, 0 },
	{ "unchanged, no key then: nor a remembered no key", "s1", KR(NONE), 0,
	    AN, 0 },
	{ "unchanged, no key then: nor the network", "s1", KR(NONE), 0, AW, 0 },
	{ "unchanged, unusable then", "s1", KR(UNUSABLE), 0, AK, 0 },
	{ "changed since no key", "s0", KR(NONE), 0, AK, 1 },
	{ "unchanged, a lesser key then, a cached key", "s1", KR(LESSER), 0,
	    AK, 0 },
	{ "unchanged, a lesser key then, no key cached", "s1", KR(LESSER), 0,
	    AN, 1 },
	{ "unchanged, a lesser key then, the network", "s1", KR(LESSER), 0,
	    AW, 1 },
	{ "unchanged, a lesser key that expired since", "s1", KR(LESSER), -10,
	    AK, 1 },
	{ "unchanged, a lesser key that expires later", "s1", KR(LESSER), 10,
	    AK, 0 },
	{ "unchanged, a full key then: the keyring is its record", "s1",
	    KR(FULL), 0, AK, 1 },
	{ "a standing conflict needs no keyring", NULL, KR(NONE), 0, AC, 0 },
	{ "a standing conflict, keyring changed", "s0", KR(FULL), 0, AC, 0 },
};

/* What the keyring's verdict does to the cache's answer. */
struct use_case {
	enum getk_keyring_verdict v;
	enum getk_cache_answer answer;
	enum getk_keyring_use want;
};

static const struct use_case use_cases[] = {
	{ KR(FULL), AK, GETK_KEYRING_ANSWERS },
	{ KR(FULL), AN, GETK_KEYRING_ANSWERS },
	{ KR(FULL), AW, GETK_KEYRING_ANSWERS },
	{ KR(FULL), AC, GETK_KEYRING_BESIDE },
	{ KR(LESSER), AK, GETK_KEYRING_BESIDE },
	{ KR(LESSER), AN, GETK_KEYRING_ANSWERS },
	{ KR(LESSER), AW, GETK_KEYRING_BESIDE },
	{ KR(LESSER), AC, GETK_KEYRING_BESIDE },
	{ KR(UNUSABLE), AN, GETK_KEYRING_BESIDE },
	{ KR(UNUSABLE), AW, GETK_KEYRING_BESIDE },
	{ KR(NONE), AK, GETK_KEYRING_BESIDE },
	{ KR(NONE), AN, GETK_KEYRING_BESIDE },
};

static void
test_keyring(void)
{
	struct getk_keyring_key a, b;
	enum getk_trust t;
	size_t i;

	for (i = 0; i < sizeof(rate_cases) / sizeof(rate_cases[0]); i++)
		CHECK_INT(getk_trust_keyring_rate(&rate_cases[i].k),
		    rate_cases[i].want, "keyring rate: %s", rate_cases[i].name);

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.has_uid = b.has_uid = 1;
	a.validity = V(FULL);
	b.validity = V(MARGINAL);
	b.created = 200;
	a.created = 100;
	CHECK(getk_trust_keyring_better(&a, &b) &&
	    !getk_trust_keyring_better(&b, &a),
	    "keyring: an older full key beats a newer marginal one");
	b.validity = V(ULTIMATE);
	CHECK(getk_trust_keyring_better(&b, &a) &&
	    !getk_trust_keyring_better(&a, &b),
	    "keyring: between two of full validity, the newer");
	CHECK(!getk_trust_keyring_better(&a, &a), "keyring: a key is not "
	    "better than itself");
	b.problem = "key has expired";
	CHECK(getk_trust_keyring_better(&a, &b), "keyring: a usable key beats "
	    "a newer expired one");

	for (i = 0; i < sizeof(ask_cases) / sizeof(ask_cases[0]); i++) {
		const struct ask_case *c = &ask_cases[i];
		struct getk_keyring_memo m;

		m.state = c->memo_state;
		m.verdict = c->verdict;
		m.expires = c->expires_in ? NOW + c->expires_in : 0;
		CHECK_INT(getk_trust_keyring_ask(&m, "s1", c->answer, NOW),
		    c->want, "keyring ask: %s", c->name);
	}
	for (i = 0; i < sizeof(use_cases) / sizeof(use_cases[0]); i++)
		CHECK_INT(getk_trust_keyring_use(use_cases[i].v,
		    use_cases[i].answer), use_cases[i].want,
		    "keyring use: %s key, cache answer %d",
		    getk_keyring_verdict_name(use_cases[i].v),
		    use_cases[i].answer);

	CHECK(getk_trust_keyring_finding(KR(FULL), &t) == GETK_FINDING_KEY &&
	    t == GETK_TRUST_KEYRING, "keyring finding: full is TRUST keyring");
	CHECK(getk_trust_keyring_finding(KR(LESSER), &t) == GETK_FINDING_KEY &&
	    t == GETK_TRUST_NONE, "keyring finding: lesser is trust none");
	CHECK(getk_trust_keyring_finding(KR(UNUSABLE), &t) ==
	    GETK_FINDING_NOKEY, "keyring finding: unusable is no key");
	CHECK(getk_trust_keyring_finding(KR(NONE), &t) == GETK_FINDING_NOKEY,
	    "keyring finding: none is no key");
	for (i = 0; i <= KR(FULL); i++)
		CHECK_INT(getk_keyring_verdict_parse(getk_keyring_verdict_name(
		    (enum getk_keyring_verdict)i)), i, "keyring verdict name "
		    "%s round trip", getk_keyring_verdict_name(
		    (enum getk_keyring_verdict)i));
	CHECK_INT(getk_keyring_verdict_parse("bogus"), KR(NONE),
	    "keyring verdict: unknown name");
}

struct send_case {
	enum getk_status status;
	enum getk_trust trust;
	int any, plaintext;
	enum getk_send want;
};

static const struct send_case send_cases[] = {
	{ F, W, 0, 0, GETK_SEND_ENCRYPT },
	{ F, N, 1, 0, GETK_SEND_ENCRYPT },
	{ F, N, 0, 0, GETK_SEND_REFUSE },
	{ F, N, 0, 1, GETK_SEND_ENCRYPT },
	{ NK, N, 0, 0, GETK_SEND_REFUSE },
	{ NK, N, 0, 1, GETK_SEND_CLEAR },
	{ NK, N, 1, 1, GETK_SEND_CLEAR },
	{ BK, N, 0, 1, GETK_SEND_REFUSE },
	{ BK, N, 1, 1, GETK_SEND_REFUSE },
	{ GETK_STATUS_CONFLICT, N, 1, 1, GETK_SEND_REFUSE },
	{ GETK_STATUS_CONFLICT, W, 0, 0, GETK_SEND_REFUSE },
	{ TF, N, 0, 1, GETK_SEND_LATER },
	{ TF, N, 1, 0, GETK_SEND_LATER },
	{ F, GETK_TRUST_KEYRING, 0, 0, GETK_SEND_ENCRYPT },
};

static void
test_send(void)
{
	static const enum getk_send e_refuse_later[] = { GETK_SEND_LATER,
	    GETK_SEND_REFUSE, GETK_SEND_ENCRYPT };
	static const enum getk_send e_later_clear[] = { GETK_SEND_CLEAR,
	    GETK_SEND_LATER };
	static const enum getk_send e_clear[] = { GETK_SEND_ENCRYPT,
	    GETK_SEND_CLEAR };
	static const enum getk_send e_enc[] = { GETK_SEND_ENCRYPT,
	    GETK_SEND_ENCRYPT };
	size_t i;

	for (i = 0; i < sizeof(send_cases) / sizeof(send_cases[0]); i++) {
		const struct send_case *c = &send_cases[i];
		const char *why = "x";
		enum getk_send got;

		got = getk_trust_send(c->status, c->trust, c->any, c->plaintext,
		    &why);
		CHECK_INT(got, c->want, "send: status %d trust %s key_trust %s "
		    "missing_key %s", c->status, getk_trust_name(c->trust),
		    c->any ? "any" : "authenticated", c->plaintext ?
		    "plaintext" : "refuse");
		CHECK(got == GETK_SEND_ENCRYPT || why != NULL,
		    "send: a reason unless encrypted (%zu)", i);
	}
	CHECK(getk_trust_send_message(e_refuse_later, 3) == GETK_SEND_REFUSE,
	    "message: a refusal beats a temporary failure");
	CHECK(getk_trust_send_message(e_later_clear, 2) == GETK_SEND_LATER,
	    "message: a temporary failure beats clear text");
	CHECK(getk_trust_send_message(e_clear, 2) == GETK_SEND_CLEAR,
	    "message: one recipient without a key makes it clear");
	CHECK(getk_trust_send_message(e_enc, 2) == GETK_SEND_ENCRYPT,
	    "message: all keys: encrypted");
	CHECK(getk_trust_send_message(NULL, 0) == GETK_SEND_ENCRYPT,
	    "message: no recipients");
}

int
main(void)
{
	test_names();
	test_corroborate();
	test_cache_answer();
	test_pin();
	test_keyring_pin();
	test_keyring();
	test_send();
	return done_testing();
}
