/*
 * lookup.c: the library's lookup interface (lookup.h) and the key cache
 * around the engine: a fresh cached answer needs no network; a network
 * answer is held against the pin, and stored.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "engine.h"
#include "getkreply.h"
#include "host.h"
#include "keyring.h"
#include "net.h"

void
getk_results_free(struct getk_result *results, size_t n)
{
	size_t i;

	if (!results)
		return;
	for (i = 0; i < n; i++) {
		free(results[i].address);
		free(results[i].reason);
		getk_key_free(results[i].key);
	}
	free(results);
}

void
getk_lookup_settings_init(struct getk_lookup_settings *ls,
    const struct getk_account *a, char *host, size_t hostsz)
{
	memset(ls, 0, sizeof(*ls));
	ls->sources = a->sources;
	ls->nsources = a->nsources;
	ls->dns_servers = a->dns_servers;
	ls->dns_trust_anchor = a->dns_trust_anchor;
	ls->connect_to = a->connect_to;
	ls->tls_trust_file = a->tls_trust_file;
	ls->getk_port = a->getk_port;
	ls->timeout_ms = a->timeout * 1000;
	ls->lookup_timeout_ms = (a->lookup_timeout ? a->lookup_timeout :
	    2 * a->timeout) * 1000;
	ls->max_octets = GETK_MAX_OCTETS;
	ls->jobs = GETK_JOBS;
	getk_local_name(host, hostsz);
	ls->ehlo_name = host;
	ls->key_trust_any = a->key_trust_any;
	ls->keyring_home = a->keyring_home;
	ls->refresh_after = a->refresh_after;
	ls->negative_ttl = a->negative_ttl;
	getk_account_relay(a, &ls->relay);
	ls->relay_password = a->password;
}

/*
 * Fills R's list of agreeing sources from the stored form
 * "SOURCE:TRUST,..." (a bare SOURCE takes the key's TRUST).
 */
static void
parse_agreed(const char *text, enum getk_trust trust, struct getk_result *r)
{
	char item[64];
	enum getk_source src[GETK_NSOURCES];
	size_t n;

	r->nagreed = 0;
	while (text && *text && r->nagreed < GETK_NSOURCES) {
		size_t len = strcspn(text, ","), c;

		if (len < sizeof(item)) {
			memcpy(item, text, len);
			item[len] = '\0';
			c = strcspn(item, ":");
			item[c] = '\0';
			if (getk_sources_parse(item, src, &n) == GETK_OK &&
			    n == 1) {
				r->agreed[r->nagreed].source = src[0];
				r->agreed[r->nagreed++].trust = c < len ?
				    getk_trust_parse(item + c + 1) : trust;
			}
		}
		text += len + (text[len] == ',');
	}
}

/* The network half of S's program, or NULL with WHY. */
static const struct getk_net *
get_net(const struct getk_lookup_settings *s, char *why, size_t whysz)
{
	if (!s->net) {
		snprintf(why, whysz, "the key cache alone is asked");
		return NULL;
	}
	return s->net(why, whysz);
}

/*
 * When a gpg run of the lookup must end: after timeout, and never past
 * DEADLINE, the end of the whole lookup (lookup_timeout), unless 0.
 */
static long
op_until(const struct getk_lookup_settings *s, long deadline)
{
	long until = getk_mono_ms() + s->timeout_ms;

	return deadline && deadline < until ? deadline : until;
}

/* Makes R a FOUND result from the cached key of CE. */
static enum getk_err
from_cache(struct getk_result *r, const struct getk_store_entry *ce,
    enum getk_cache_event event)
{
	struct getk_key *key = NULL;
	enum getk_err err;

	err = getk_key_from_data(ce->key->data, ce->key->len,
	    ce->key->fingerprint, ce->key->first_seen, ce->key->expires, &key);
	if (err)
		return err;
	getk_key_free(r->key);
	r->key = key;
	getk_result_set(r, GETK_STATUS_FOUND, NULL);
	r->source = GETK_SOURCE_CACHE;
	r->trust = getk_trust_parse(ce->key->trust);
	r->fetched = ce->key->fetched;
	r->cache = event;
	parse_agreed(ce->key->sources, r->trust, r);
	return GETK_OK;
}

/* What the trust rules need to know of a cache entry. */
static void
pin_view(const struct getk_store_entry *ce, struct getk_pin_view *pv)
{
	memset(pv, 0, sizeof(*pv));
	if (!ce)
		return;
	pv->pin = ce->pin;
	if (ce->key) {
		pv->key_fpr = ce->key->fingerprint;
		pv->key_trust = getk_trust_parse(ce->key->trust);
		pv->key_fetched = ce->key->fetched;
		pv->key_expires = ce->key->expires;
	}
	pv->offered_fpr = ce->offered ? ce->offered->fingerprint : NULL;
	pv->negative = ce->negative != NULL;
	pv->negative_expires = ce->negative_expires;
}

/* Makes R the verdict of a standing conflict in CE. */
static void
standing_conflict(struct getk_result *r, const struct getk_store_entry *ce)
{
	getk_key_free(r->key);
	r->key = NULL;
	r->cache = GETK_CACHE_CONFLICT;
	getk_result_set(r, GETK_STATUS_CONFLICT, "the key changed: pinned %s, "
	    "offered %s; neither is used until you decide. If the change is "
	    "expected, run: getk-fetch --accept %s; to keep the pinned key: "
	    "getk-fetch --reject %s", ce->pin ? ce->pin : "none",
	    ce->offered->fingerprint, r->address, r->address);
}

/*
 * What the trust rules let the cache answer for CE at NOW; under
 * --refresh only a standing conflict counts.
 */
static enum getk_cache_answer
answer_of(const struct getk_lookup_settings *s,
    const struct getk_store_entry *ce, time_t now)
{
	struct getk_pin_view pv;
	enum getk_cache_answer a;

	if (!s->store || !ce)
		return GETK_ANSWER_NETWORK;
	pin_view(ce, &pv);
	a = getk_trust_cache_answer(&pv, now, s->refresh_after,
	    s->key_trust_any);
	return s->refresh && a != GETK_ANSWER_CONFLICT ? GETK_ANSWER_NETWORK :
	    a;
}

/*
 * Answers R from the cache entry CE as ANSWER (answer_of) says: a
 * standing conflict, a fresh pinned key, or a remembered "no key".
 * Returns 1 when it answered.
 */
static int
cache_answer(const struct getk_lookup_settings *s, struct getk_result *r,
    const struct getk_store_entry *ce, enum getk_cache_answer answer)
{
	switch (answer) {
	case GETK_ANSWER_CONFLICT:
		standing_conflict(r, ce);
		return 1;
	case GETK_ANSWER_KEY:
		if (from_cache(r, ce, GETK_CACHE_HIT))
			return 0;
		getk_log(s->log, GETK_LOG_INFO, "%s: key %s from the cache",
		    r->address, ce->key->fingerprint);
		return 1;
	case GETK_ANSWER_NOKEY:
		getk_result_set(r, GETK_STATUS_NOKEY, "%s (remembered)",
		    ce->negative);
		r->cache = GETK_CACHE_HIT;
		return 1;
	case GETK_ANSWER_NETWORK:
		break;
	}
	return 0;
}

/* A store record of the key in R; AGREED (AGREEDSZ bytes) holds its
 * sources. */
static void
store_key_of(const struct getk_result *r, time_t now,
    struct getk_store_key *sk, char *agreed, size_t agreedsz)
{
	size_t i, len = 0;

	/* The source that supplied the key first, then the others. */
	snprintf(agreed, agreedsz, "%s:%s", getk_source_name(r->source),
	    getk_trust_name(r->trust));
	len = strlen(agreed);
	for (i = 0; i < r->nagreed; i++) {
		/* The keyring's word is asked anew each time, never kept. */
		if (r->agreed[i].source == r->source ||
		    r->agreed[i].source == GETK_SOURCE_KEYRING)
			continue;
		snprintf(agreed + len, agreedsz - len, ",%s:%s",
		    getk_source_name(r->agreed[i].source),
		    getk_trust_name(r->agreed[i].trust));
		len += strlen(agreed + len);
	}
	memset(sk, 0, sizeof(*sk));
	sk->address = r->address;
	sk->fingerprint = (char *)r->key->fpr;
	sk->data = r->key->data;
	sk->len = r->key->len;
	sk->sources = agreed;
	sk->trust = (char *)getk_trust_name(r->trust);
	sk->first_seen = now;
	sk->fetched = now;
	sk->expires = r->key->expires;
	sk->offered_hash = (char *)r->offered_sha256;
}

/*
 * Holds a network result against the pin (getk_trust_pin) and records
 * what the rules decide: a new pin, a refreshed or rotated key, a refused
 * change kept on offer, a revoked pin dropped, a remembered "no key"; or
 * the cached key in place of the network's answer.
 */
static enum getk_err
cache_merge(const struct getk_lookup_settings *s, struct getk_result *r,
    const struct getk_store_entry *ce, time_t now, long deadline)
{
	struct getk_store_key sk;
	struct getk_pin_view pv;
	struct getk_pin_input in;
	struct getk_pin_verdict v;
	const struct getk_net *net;
	char why[300], agreed[128];
	enum getk_err err = GETK_OK, cerr;
	int yes = 0;

	why[0] = '\0';
	pin_view(ce, &pv);
	memset(&in, 0, sizeof(in));
	in.status = r->status;
	in.fpr = r->key ? r->key->fpr : NULL;
	in.trust = r->trust;
	in.revoked_fpr = r->revoked_fpr;
	in.from_keyring = r->status == GETK_STATUS_FOUND &&
	    r->source == GETK_SOURCE_KEYRING;
	if (getk_trust_wants_certification(&pv, &in, s->key_trust_any)) {
		net = get_net(s, why, sizeof(why));
		cerr = net ? net->key_certifies(ce->key->data, ce->key->len,
		    ce->key->fingerprint, r->key->data, r->key->len,
		    r->key->fpr, s->tmpdir, op_until(s, deadline), &yes) :
		    GETK_ERR_CRYPTO;
		if (cerr == GETK_ERR_NOMEM)
			return cerr;
		/* Bytes that are no key (a cache damaged or tampered with)
		 * certify nothing: the change is judged uncertified.  But no
		 * answer from gpg is no verdict on the change: neither a
		 * rotation nor a refusal, a temporary failure of the lookup,
		 * as if the network had failed (so the pinned key may stand
		 * in). */
		if (cerr == GETK_ERR_BADKEY) {
			cerr = GETK_OK;
			yes = 0;
		}
		if (cerr) {
			getk_result_set(r, GETK_STATUS_TEMPFAIL, "cannot check "
			    "whether the pinned key %s certifies the offered "
			    "%s: %s", ce->pin ? ce->pin : ce->key->fingerprint,
			    r->key->fpr, net ? getk_strerror(cerr) : why);
			getk_key_free(r->key);
			r->key = NULL;
			why[0] = '\0';
			in.status = r->status;
			in.fpr = NULL;
			in.from_keyring = 0;
		}
		in.certified = !cerr && yes;
	}
	getk_trust_pin(&pv, &in, now, s->key_trust_any, &v);
	if (r->key)
		store_key_of(r, now, &sk, agreed, sizeof(agreed));
	if (v.drop_pinned)
		err = getk_store_drop_key(s->store, r->address, "revoked",
		    ce->pin, now, why, sizeof(why));
	switch (v.action) {
	case GETK_PIN_KEEP:
		break;
	case GETK_PIN_NEW:
		r->cache = GETK_CACHE_NEW;
		err = getk_store_put_key(s->store, &sk, 1, "new", NULL, now,
		    why, sizeof(why));
		break;
	case GETK_PIN_SAME:
		r->cache = GETK_CACHE_SAME;
		err = getk_store_put_key(s->store, &sk, 0, "refreshed", NULL,
		    now, why, sizeof(why));
		break;
	case GETK_PIN_ROTATED:
		r->cache = GETK_CACHE_ROTATED;
		getk_log(s->log, GETK_LOG_WARN, "%s: key changed from %s to %s "
		    "(%s)", r->address, ce->pin, r->key->fpr, v.why);
		err = getk_store_put_key(s->store, &sk, 1, "rotated", v.why,
		    now, why, sizeof(why));
		break;
	case GETK_PIN_REFUSED:
		if (!err)
			err = getk_store_put_offered(s->store, &sk, ce->pin, now,
			    why, sizeof(why));
		getk_result_set(r, GETK_STATUS_CONFLICT, "the key changed: "
		    "pinned %s, offered %s; neither is used until you decide. "
		    "If the change is expected, run: getk-fetch --accept %s; "
		    "to keep the pinned key: getk-fetch --reject %s",
		    ce->pin ? ce->pin : "none", r->key->fpr, r->address,
		    r->address);
		getk_key_free(r->key);
		r->key = NULL;
		r->cache = GETK_CACHE_REFUSED;
		break;
	case GETK_PIN_CONFLICT:
		standing_conflict(r, ce);
		break;
	case GETK_PIN_REVOKED:
		getk_result_set(r, GETK_STATUS_BADKEY, "the pinned key %s was "
		    "revoked by its owner", ce->pin);
		break;
	case GETK_PIN_FALLBACK:
		getk_log(s->log, GETK_LOG_INFO, "%s: %s; using the cached key "
		    "%s", r->address, v.why ? v.why : r->reason ? r->reason :
		    "no answer", ce->key->fingerprint);
		err = from_cache(r, ce, GETK_CACHE_FALLBACK);
		break;
	case GETK_PIN_NEGATIVE:
		err = getk_store_put_negative(s->store, r->address,
		    r->reason ? r->reason : "no key", now,
		    now + s->negative_ttl, why, sizeof(why));
		break;
	}
	if (err && why[0])
		getk_log(s->log, GETK_LOG_WARN, "%s", why);
	/* A cache that cannot be written costs the cache, not the key. */
	return err == GETK_ERR_NOMEM ? err : GETK_OK;
}

/* --- the keyring ------------------------------------------------------ */

/* How the keyring spoke for one address of a batch. */
enum kr_how {
	KR_SILENT,		/* not asked: not a source, no keyring, or a
				   standing conflict */
	KR_LISTED,		/* gpg listed its keys now */
	KR_REMEMBERED,		/* unchanged since the verdict the store
				   remembers */
	KR_FAILED		/* the keyring could not be read: a temporary
				   failure of this source */
};

/* The keyring source in one batch: the rules are trust.c's, gpg is
 * keyring.c's; this carries them out. */
struct kr_batch {
	char *home;
	char state[65];
	const struct getk_net *net;	/* once gpg is needed */
	struct getk_keyring *kr;	/* the copy, once gpg is needed */
	struct getk_keyring_find *finds;	/* by address */
	enum kr_how *how;		/* by address */
	char why[300];			/* KR_FAILED: why */
	long deadline;			/* the lookup's end, or 0 */
};

static int
uses_keyring(const struct getk_lookup_settings *s)
{
	size_t i;

	for (i = 0; i < s->nsources; i++)
		if (s->sources[i] == GETK_SOURCE_KEYRING)
			return 1;
	return 0;
}

/* Opens the copy of the keyring for KB, once. */
static enum getk_err
kr_open(const struct getk_lookup_settings *s, struct kr_batch *kb)
{
	if (kb->kr)
		return GETK_OK;
	kb->net = get_net(s, kb->why, sizeof(kb->why));
	if (!kb->net)
		return GETK_ERR_CRYPTO;
	if (kb->net->key_engine_init() != GETK_OK) {
		snprintf(kb->why, sizeof(kb->why), "keyring: GnuPG (gpg) cannot "
		    "be used");
		return GETK_ERR_CRYPTO;
	}
	return kb->net->keyring_open(kb->home, s->tmpdir, &kb->kr, kb->why,
	    sizeof(kb->why));
}

/* Remembers the keyring's verdict F on the address of CE, when new. */
static void
kr_remember(const struct getk_lookup_settings *s, const struct kr_batch *kb,
    const char *address, const struct getk_store_entry *ce,
    const struct getk_keyring_find *f, time_t now)
{
	const char *verdict = getk_keyring_verdict_name(f->verdict);
	char why[300];

	if (!s->store || !ce || !kb->state[0])
		return;
	if (ce->keyring_state && strcmp(ce->keyring_state, kb->state) == 0 &&
	    ce->keyring_verdict && strcmp(ce->keyring_verdict, verdict) == 0 &&
	    ce->keyring_expires == f->expires)
		return;
	if (getk_store_put_keyring(s->store, address, kb->state, verdict,
	    f->expires, now, why, sizeof(why)) != GETK_OK)
		getk_log(s->log, GETK_LOG_WARN, "%s", why);
}

/*
 * The keyring's verdict on every address of the batch that needs it
 * (ANSWERS[i] is what the cache may answer; DONE[i] set: no lookup):
 * from what the store remembers of an unchanged keyring, else from one
 * gpg listing of all the others.  A keyring that cannot be read is a
 * temporary failure of this source alone, said on the log.
 */
static enum getk_err
kr_ask(const struct getk_lookup_settings *s, struct getk_result *results,
    struct getk_store_entry *const *entries,
    const enum getk_cache_answer *answers, const unsigned char *done,
    size_t n, time_t now, struct kr_batch *kb)
{
	struct getk_keyring_find *found = NULL;
	const char **boxes = NULL;
	size_t *ask = NULL, nask = 0, i, k;
	int present;
	enum getk_err err;

	kb->finds = calloc(n ? n : 1, sizeof(*kb->finds));
	kb->how = calloc(n ? n : 1, sizeof(*kb->how));
	if (!kb->finds || !kb->how)
		return GETK_ERR_NOMEM;
	if (!uses_keyring(s))
		return GETK_OK;
	err = getk_keyring_home(s->keyring_home, &kb->home);
	if (err) {
		if (err != GETK_ERR_NOMEM)
			getk_log(s->log, GETK_LOG_DEBUG, "source keyring: no "
			    "GnuPG home (keyring_home, GNUPGHOME or HOME)");
		return err == GETK_ERR_NOMEM ? err : GETK_OK;
	}
	getk_keyring_state(kb->home, kb->state, &present);
	if (!present) {
		getk_log(s->log, GETK_LOG_DEBUG, "source keyring: no keyring "
		    "at %s", kb->home);
		return GETK_OK;
	}
	ask = calloc(n ? n : 1, sizeof(*ask));
	boxes = calloc(n ? n : 1, sizeof(*boxes));
	found = calloc(n ? n : 1, sizeof(*found));
	if (!ask || !boxes || !found) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < n; i++) {
		const struct getk_store_entry *ce = entries[i];
		struct getk_keyring_memo m;

		if (done[i])
			continue;
		memset(&m, 0, sizeof(m));
		if (ce && ce->keyring_state) {
			m.state = ce->keyring_state;
			m.verdict = getk_keyring_verdict_parse(
			    ce->keyring_verdict);
			m.expires = ce->keyring_expires;
		}
		if (getk_trust_keyring_ask(&m, kb->state, answers[i], now)) {
			ask[nask] = i;
			boxes[nask++] = results[i].address;
		} else if (answers[i] != GETK_ANSWER_CONFLICT) {
			kb->how[i] = KR_REMEMBERED;
			kb->finds[i].verdict = m.verdict;
			kb->finds[i].expires = m.expires;
		}
	}
	if (!nask)
		goto leave;
	err = kr_open(s, kb);
	if (!err)
		err = kb->net->keyring_list(kb->kr, op_until(s, kb->deadline),
		    boxes, nask, found, kb->why, sizeof(kb->why));
	if (err == GETK_ERR_NOMEM || err == GETK_ERR_NOKEY) {
		/* NOKEY: the keyring went away meanwhile; it is silent. */
		err = err == GETK_ERR_NOKEY ? GETK_OK : err;
		goto leave;
	}
	if (err) {
		getk_log(s->log, GETK_LOG_WARN, "%s; the other sources are "
		    "asked", kb->why);
		for (k = 0; k < nask; k++)
			kb->how[ask[k]] = KR_FAILED;
		err = GETK_OK;
		goto leave;
	}
	for (k = 0; k < nask; k++) {
		i = ask[k];
		kb->finds[i] = found[k];
		kb->how[i] = KR_LISTED;
		getk_log(s->log, GETK_LOG_DEBUG, "%s: keyring: %s%s%s", boxes[k],
		    getk_keyring_verdict_name(found[k].verdict),
		    found[k].fpr[0] ? " " : "", found[k].fpr);
		kr_remember(s, kb, boxes[k], entries[i], &found[k], now);
	}
leave:
	free(ask);
	free(boxes);
	free(found);
	return err;
}

/* A key record for the keyring's key of F, without its data yet. */
static struct getk_key *
kr_key(const struct getk_keyring_find *f)
{
	struct getk_key *key = calloc(1, sizeof(*key));

	if (!key)
		return NULL;
	memcpy(key->fpr, f->fpr, sizeof(key->fpr));
	key->created = f->created;
	key->expires = f->expires;
	return key;
}

/* The keyring's finding on address I, for corroboration (engine.c). */
static enum getk_err
kr_finding(const struct kr_batch *kb, size_t i, struct finding *r)
{
	const struct getk_keyring_find *f = &kb->finds[i];
	enum getk_trust trust;

	memset(r, 0, sizeof(*r));
	switch (kb->how[i]) {
	case KR_SILENT:
		return GETK_OK;
	case KR_FAILED:
		getk_finding_set(r, F_TEMP, "%s", kb->why);
		return GETK_OK;
	case KR_LISTED:
	case KR_REMEMBERED:
		break;
	}
	memcpy(r->revoked, f->revoked, sizeof(r->revoked));
	if (getk_trust_keyring_finding(f->verdict, &trust) == GETK_FINDING_KEY) {
		r->state = F_KEY;
		r->trust = trust;
		r->key = kr_key(f);
		return r->key ? GETK_OK : GETK_ERR_NOMEM;
	}
	if (f->verdict == GETK_KEYRING_UNUSABLE && f->fpr[0])
		getk_finding_set(r, F_NOKEY, "no usable key in %s (%s: %s)",
		    kb->home, f->fpr, f->why);
	else if (f->verdict == GETK_KEYRING_UNUSABLE)
		getk_finding_set(r, F_NOKEY, "no usable key in %s", kb->home);
	else
		getk_finding_set(r, F_NOKEY, "no key in %s", kb->home);
	return GETK_OK;
}

/* Makes R the keyring's answer for its address I (its data follows). */
static enum getk_err
kr_answer(const struct getk_lookup_settings *s, const struct kr_batch *kb,
    size_t i, struct getk_result *r, time_t now)
{
	const struct getk_keyring_find *f = &kb->finds[i];
	enum getk_trust trust;

	getk_trust_keyring_finding(f->verdict, &trust);
	getk_key_free(r->key);
	r->key = kr_key(f);
	if (!r->key)
		return GETK_ERR_NOMEM;
	getk_result_set(r, GETK_STATUS_FOUND, NULL);
	r->source = GETK_SOURCE_KEYRING;
	r->trust = trust;
	r->agreed[0].source = GETK_SOURCE_KEYRING;
	r->agreed[0].trust = trust;
	r->nagreed = 1;
	r->fetched = now;
	memcpy(r->revoked_fpr, f->revoked, sizeof(r->revoked_fpr));
	getk_log(s->log, GETK_LOG_INFO, "%s: key %s from the keyring at %s "
	    "(%s validity%s)", r->address, f->fpr, kb->home,
	    f->verdict == GETK_KEYRING_FULL ? "full" : "less than full",
	    f->verdict == GETK_KEYRING_FULL ? "; the network is not asked" :
	    ", trust none");
	return GETK_OK;
}

/*
 * Exports, in one gpg run, the keyring's keys that the N RESULTS use, so
 * that each carries its data.  One that cannot be exported makes its
 * result a temporary failure.
 */
static enum getk_err
kr_export(const struct getk_lookup_settings *s, struct kr_batch *kb,
    struct getk_result *results, size_t n)
{
	const char **fprs = NULL;
	struct getk_key **keys = NULL;
	time_t *created = NULL, *expires = NULL;
	size_t *which = NULL, m = 0, i;
	enum getk_err err = GETK_OK;

	for (i = 0; i < n; i++)
		m += results[i].status == GETK_STATUS_FOUND &&
		    results[i].source == GETK_SOURCE_KEYRING;
	if (!m)
		return GETK_OK;
	fprs = calloc(m, sizeof(*fprs));
	keys = calloc(m, sizeof(*keys));
	created = calloc(m, sizeof(*created));
	expires = calloc(m, sizeof(*expires));
	which = calloc(m, sizeof(*which));
	if (!fprs || !keys || !created || !expires || !which) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0, m = 0; i < n; i++) {
		const struct getk_key *k = results[i].key;

		if (results[i].status != GETK_STATUS_FOUND ||
		    results[i].source != GETK_SOURCE_KEYRING)
			continue;
		which[m] = i;
		fprs[m] = k->fpr;
		created[m] = k->created;
		expires[m++] = k->expires;
	}
	err = kr_open(s, kb);
	if (!err)
		err = kb->net->keyring_export(kb->kr, op_until(s,
		    kb->deadline), fprs, m, created, expires, keys, kb->why,
		    sizeof(kb->why));
	if (err == GETK_ERR_NOMEM)
		goto leave;
	if (err)
		getk_log(s->log, GETK_LOG_WARN, "%s", kb->why);
	for (i = 0; i < m; i++) {
		struct getk_result *r = &results[which[i]];

		getk_key_free(r->key);
		r->key = keys[i];
		if (!err)
			continue;
		getk_result_set(r, GETK_STATUS_TEMPFAIL, "%s", kb->why);
	}
	err = GETK_OK;
leave:
	free(fprs);
	free(keys);
	free(created);
	free(expires);
	free(which);
	return err;
}

static void
kr_free(struct kr_batch *kb)
{
	if (kb->kr)
		kb->net->keyring_close(kb->kr);
	free(kb->home);
	free(kb->finds);
	free(kb->how);
}

enum getk_err
getk_lookup(const struct getk_lookup_settings *settings,
    const char *const *mailboxes, size_t n, struct getk_result **r_results,
    char *why, size_t whysz)
{
	struct getk_result *results = NULL, *net = NULL;
	struct getk_store_entry **entries = NULL, **known = NULL;
	struct finding *kfind = NULL;
	enum getk_cache_answer *answers = NULL;
	unsigned char *done = NULL;
	const char **boxes = NULL;
	size_t *which = NULL, nnet = 0, i;
	struct kr_batch kb;
	const struct getk_net *nw = NULL;
	time_t now = getk_now();
	char swhy[300];
	enum getk_err err = GETK_OK;

	*r_results = NULL;
	why[0] = '\0';
	memset(&kb, 0, sizeof(kb));
	/* One deadline for the whole lookup: the keyring's listing, the
	 * engine and the pin rules' gpg share lookup_timeout. */
	if (settings->lookup_timeout_ms > 0)
		kb.deadline = getk_mono_ms() + settings->lookup_timeout_ms;
	results = calloc(n ? n : 1, sizeof(*results));
	entries = calloc(n ? n : 1, sizeof(*entries));
	net = calloc(n ? n : 1, sizeof(*net));
	boxes = calloc(n + 1, sizeof(*boxes));
	which = calloc(n ? n : 1, sizeof(*which));
	known = calloc(n ? n : 1, sizeof(*known));
	kfind = calloc(n ? n : 1, sizeof(*kfind));
	answers = calloc(n ? n : 1, sizeof(*answers));
	done = calloc(n ? n : 1, sizeof(*done));
	if (!results || !entries || !net || !boxes || !which || !known ||
	    !kfind || !answers || !done) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < n; i++) {
		results[i].address = strdup(mailboxes[i]);
		if (!results[i].address) {
			err = GETK_ERR_NOMEM;
			goto leave;
		}
		if (settings->store && getk_store_get(settings->store,
		    mailboxes[i], &entries[i], swhy, sizeof(swhy)) != GETK_OK) {
			/* Without the entry the pin cannot be held against
			 * what the network offers: no answer at all. */
			getk_result_set(&results[i], GETK_STATUS_TEMPFAIL,
			    "%s; the pin cannot be checked", swhy);
			done[i] = 1;
			continue;
		}
		answers[i] = answer_of(settings, entries[i], now);
	}
	/* The keyring first: a key of full validity there answers, and the
	 * network is not asked for its address. */
	err = kr_ask(settings, results, entries, answers, done, n, now, &kb);
	if (err)
		goto leave;
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		if ((kb.how[i] == KR_LISTED || kb.how[i] == KR_REMEMBERED) &&
		    getk_trust_keyring_use(kb.finds[i].verdict, answers[i]) ==
		    GETK_KEYRING_ANSWERS) {
			err = kr_answer(settings, &kb, i, &results[i], now);
			if (err)
				goto leave;
			continue;
		}
		if (!settings->refresh && cache_answer(settings, &results[i],
		    entries[i], answers[i]))
			continue;
		err = kr_finding(&kb, i, &kfind[nnet]);
		if (err)
			goto leave;
		which[nnet] = i;
		boxes[nnet] = mailboxes[i];
		net[nnet].address = results[i].address;
		known[nnet] = entries[i];
		nnet++;
	}
	/* Only now, with addresses the cache cannot answer, is the network
	 * half loaded (net.h).  gpgme's probe of GnuPG runs in the engine,
	 * while the network is asked. */
	if (nnet && ((nw = get_net(settings, swhy, sizeof(swhy))) == NULL ||
	    nw->key_lib_init() != GETK_OK)) {
		for (i = 0; i < nnet; i++)
			getk_result_set(&results[which[i]], GETK_STATUS_TEMPFAIL,
			    "%s", nw ? "GnuPG (gpg) cannot be used to verify "
			    "keys" : swhy);
		nnet = 0;
	}
	if (nnet) {
		/* The engine works to the lookup's deadline: what the
		 * keyring used is not given again. */
		struct getk_lookup_settings es = *settings;

		es.deadline_ms = kb.deadline;
		err = nw->engine_run(&es, boxes, nnet, net, known,
		    uses_keyring(settings) ? kfind : NULL, why, whysz);
	}
	for (i = 0; i < nnet; i++) {
		struct getk_result *r = &results[which[i]];

		/* Move the answer over; the address stays R's own. */
		free(r->reason);
		getk_key_free(r->key);
		*r = net[i];
		net[i].address = NULL;
		net[i].reason = NULL;
		net[i].key = NULL;
		if (!err && settings->store && entries[which[i]]) {
			enum getk_err e2 = cache_merge(settings, r,
			    entries[which[i]], now, kb.deadline);

			if (e2)
				err = e2;
		}
	}
	/* Only now is it known which of the keyring's keys are used. */
	if (!err)
		err = kr_export(settings, &kb, results, n);
	if (err)
		goto leave;
	*r_results = results;
	results = NULL;
leave:
	for (i = 0; entries && i < n; i++)
		getk_store_entry_free(entries[i]);
	for (i = 0; kfind && i < n; i++)
		getk_key_free(kfind[i].key);
	free(entries);
	getk_results_free(results, n);
	free(net);
	free(boxes);
	free(which);
	free(known);
	free(kfind);
	free(answers);
	free(done);
	kr_free(&kb);
	return err;
}
