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
	struct f f[GETK_NSOURCES];	/* relay, getk, wkd, dane */
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
	test_send();
	return done_testing();
}
