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
	ls->jobs = 8;
	getk_local_name(host, hostsz);
	ls->ehlo_name = host;
	ls->key_trust_any = a->key_trust_any;
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
 * Answers R from the cache when the trust rules allow it: a standing
 * conflict, a fresh pinned key, or a remembered "no key".  Returns 1 when
 * it answered.
 */
static int
cache_answer(const struct getk_lookup_settings *s, struct getk_result *r,
    const struct getk_store_entry *ce, time_t now)
{
	struct getk_pin_view pv;

	pin_view(ce, &pv);
	switch (getk_trust_cache_answer(&pv, now, s->refresh_after,
	    s->key_trust_any)) {
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
		if (r->agreed[i].source == r->source)
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
    const struct getk_store_entry *ce, time_t now)
{
	struct getk_store_key sk;
	struct getk_pin_view pv;
	struct getk_pin_input in;
	struct getk_pin_verdict v;
	char why[300], agreed[128];
	enum getk_err err = GETK_OK;
	int yes = 0;

	why[0] = '\0';
	pin_view(ce, &pv);
	memset(&in, 0, sizeof(in));
	in.status = r->status;
	in.fpr = r->key ? r->key->fpr : NULL;
	in.trust = r->trust;
	in.revoked_fpr = r->revoked_fpr;
	if (getk_trust_wants_certification(&pv, &in, s->key_trust_any) &&
	    getk_key_certifies(ce->key->data, ce->key->len,
	    ce->key->fingerprint, r->key->data, r->key->len, r->key->fpr,
	    s->tmpdir, getk_mono_ms() + s->timeout_ms, &yes) == GETK_OK)
		in.certified = yes;
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

enum getk_err
getk_lookup(const struct getk_lookup_settings *settings,
    const char *const *mailboxes, size_t n, struct getk_result **r_results,
    char **r_msg)
{
	struct getk_result *results = NULL, *net = NULL;
	struct getk_store_entry **entries = NULL, **known = NULL;
	const char **boxes = NULL;
	size_t *which = NULL, nnet = 0, i;
	time_t now = getk_now();
	char why[300];
	enum getk_err err = GETK_OK;

	*r_results = NULL;
	*r_msg = NULL;
	results = calloc(n ? n : 1, sizeof(*results));
	entries = calloc(n ? n : 1, sizeof(*entries));
	net = calloc(n ? n : 1, sizeof(*net));
	boxes = calloc(n + 1, sizeof(*boxes));
	which = calloc(n ? n : 1, sizeof(*which));
	known = calloc(n ? n : 1, sizeof(*known));
	if (!results || !entries || !net || !boxes || !which || !known) {
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
		    mailboxes[i], &entries[i], why, sizeof(why)) != GETK_OK) {
			/* Without the entry the pin cannot be held against
			 * what the network offers: no answer at all. */
			getk_result_set(&results[i], GETK_STATUS_TEMPFAIL,
			    "%s; the pin cannot be checked", why);
			continue;
		}
		if (settings->store && !settings->refresh &&
		    cache_answer(settings, &results[i], entries[i], now))
			continue;
		which[nnet] = i;
		boxes[nnet] = mailboxes[i];
		net[nnet].address = results[i].address;
		known[nnet] = entries[i];
		nnet++;
	}
	if (nnet && getk_key_engine_init() != GETK_OK) {
		for (i = 0; i < nnet; i++)
			getk_result_set(&results[which[i]], GETK_STATUS_TEMPFAIL,
			    "GnuPG (gpg) cannot be used to verify keys");
		nnet = 0;
	}
	err = getk_engine_run(settings, boxes, nnet, net, known, r_msg);
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
			    entries[which[i]], now);

			if (e2)
				err = e2;
		}
	}
	if (err)
		goto leave;
	*r_results = results;
	results = NULL;
leave:
	for (i = 0; entries && i < n; i++)
		getk_store_entry_free(entries[i]);
	free(entries);
	getk_results_free(results, n);
	free(net);
	free(boxes);
	free(which);
	free(known);
	return err;
}
