/*
 * source.c: what every source of the engine shares (DESIGN.md, Data
 * flow): findings, the end of a source's work for an address, and the
 * verification of what the sources offered.  The keys offered are
 * verified together once every source is done (getk_sources_verify): a
 * few gpg processes for the whole batch, not three per key; bytes that
 * another source of the same address offered are verified only once.
 * The sources themselves are in
 * source-smtp.c (relay and getk: GETK over SMTP), source-wkd.c,
 * source-dane.c and source-mtasts.c (the MTA-STS policy fetch).
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "engine.h"

long
getk_engine_op_timeout(const struct engine *e)
{
	long left;

	if (!e->deadline)
		return e->s->timeout_ms;
	left = e->deadline - getk_mono_ms();
	return left < e->s->timeout_ms ? left : e->s->timeout_ms;
}

/* One source of A is done: reports progress when it was the last. */
void
getk_source_done(struct address *a)
{
	struct engine *e = a->e;

	pthread_mutex_lock(&e->lock);
	if (a->pending && --a->pending == 0 && e->s->progress)
		e->s->progress(e->s->progress_arg, ++e->settled, e->naddrs);
	pthread_mutex_unlock(&e->lock);
}

/*
 * The verdict on the same bytes that another source of A offered, if one
 * was reached: copies it into F and returns 1.  Under A's verify_lock.
 */
static int
same_offer(struct address *a, struct finding *f, const char *origin)
{
	size_t k;

	for (k = 0; k < GETK_NSOURCES; k++) {
		const struct finding *o = &a->f[k];

		if (o == f || strcmp(o->sha256, f->sha256) != 0)
			continue;
		memcpy(f->revoked, o->revoked, sizeof(f->revoked));
		if (o->state == F_BAD) {
			memcpy(f->verdict, o->verdict, sizeof(f->verdict));
			getk_finding_set(f, F_BAD, "a key was offered by %s but "
			    "failed verification: %s", origin, o->verdict);
			return 1;
		}
		if (o->state == F_KEY && getk_key_from_data(o->key->data,
		    o->key->len, o->key->fpr, o->key->created,
		    o->key->expires, &f->key) == GETK_OK)
			return 1;
	}
	return 0;
}

/*
 * Takes the LEN bytes at DATA that ORIGIN offered for A as source SRC by
 * a path of trust TRUST: bytes judged before (by another source now, or
 * in the cache) have their verdict at once; others wait for
 * getk_sources_verify, which verifies every offer of the batch together.
 */
void
getk_source_offer(struct address *a, enum getk_source src, enum getk_trust trust,
    const char *origin, const unsigned char *data, size_t len)
{
	struct engine *e = a->e;
	struct finding *f = &a->f[src];
	const struct getk_store_entry *ce = e->known ? e->known[a->idx] : NULL;
	struct getk_key *key = NULL;

	pthread_mutex_lock(&a->verify_lock);
	getk_key_free(f->key);
	f->key = NULL;
	free(f->offered);
	f->offered = NULL;
	getk_key_digest(data, len, f->sha256);
	if (same_offer(a, f, origin)) {
		if (f->state == F_BAD)
			goto leave;
		key = f->key;
		f->key = NULL;
		goto found;
	}
	if (ce && ce->key) {
		const struct getk_store_key *k = ce->key;

		/* The very bytes verified before: the same verdict, unless
		 * the key has expired since; no gpg run needed. */
		if (strcmp(k->offered_hash, f->sha256) == 0 &&
		    (k->expires == 0 || k->expires > getk_now()) &&
		    getk_key_from_data(k->data, k->len, k->fingerprint,
		    k->first_seen, k->expires, &key) == GETK_OK) {
			getk_log(e->s->log, GETK_LOG_DEBUG, "%s: %s offered the "
			    "key verified before", a->mailbox, origin);
			goto found;
		}
	}
	f->offered = malloc(len ? len : 1);
	if (!f->offered) {
		f->sha256[0] = '\0';
		getk_finding_set(f, F_TEMP, "cannot verify the key from %s: out "
		    "of memory", origin);
		goto leave;
	}
	memcpy(f->offered, data, len);
	f->offered_len = len;
	snprintf(f->origin, sizeof(f->origin), "%s", origin);
	f->trust = trust;
	f->state = F_OFFERED;
	f->why[0] = '\0';
	goto leave;
found:
	f->key = key;
	f->trust = trust;
	f->state = F_KEY;
	f->why[0] = '\0';
leave:
	pthread_mutex_unlock(&a->verify_lock);
}

/* The offer of the batch that judges finding K of A: an earlier finding
 * of A with the same bytes shares it.  N_OF[K] holds each one's. */
static size_t
offer_of(const struct address *a, size_t k, const size_t *n_of, size_t next)
{
	size_t j;

	for (j = 0; j < k; j++)
		if (a->f[j].state == F_OFFERED &&
		    strcmp(a->f[j].sha256, a->f[k].sha256) == 0)
			return n_of[j];
	return next;
}

/* Records the verdict O on finding F of A (source SRC). */
static void
take_verdict(struct address *a, enum getk_source src, struct finding *f,
    struct getk_key_offer *o)
{
	memcpy(f->revoked, o->revoked, sizeof(f->revoked));
	if (o->err == GETK_ERR_BADKEY) {
		snprintf(f->verdict, sizeof(f->verdict), "%.*s",
		    (int)sizeof(f->verdict) - 1, o->why);
		getk_finding_set(f, F_BAD, "a key was offered by %s but failed "
		    "verification: %s", f->origin, f->verdict);
		return;
	}
	if (o->err || getk_key_from_data(o->key->data, o->key->len,
	    o->key->fpr, o->key->created, o->key->expires, &f->key)) {
		/* Not a verdict on the bytes: another lookup may retry. */
		f->sha256[0] = '\0';
		getk_finding_set(f, F_TEMP, "cannot verify the key from %s: %s",
		    f->origin, o->err ? (o->why[0] ? o->why :
		    getk_strerror(o->err)) : "out of memory");
		return;
	}
	f->state = F_KEY;
	f->why[0] = '\0';
	getk_log(a->e->s->log, GETK_LOG_INFO, "%s: key %s from %s (%s, trust "
	    "%s) verified", a->mailbox, f->key->fpr, f->origin,
	    getk_source_name(src), getk_trust_name(f->trust));
}

void
getk_sources_warm(void *engine)
{
	struct engine *e = engine;

	e->ready_err = getk_key_homes_new(e->s->tmpdir,
	    getk_key_homes_for(e->naddrs), &e->ready, e->ready_why,
	    sizeof(e->ready_why));
}

void
getk_sources_verify(struct engine *e)
{
	struct getk_key_offer *offers = NULL;
	size_t *n_of = NULL, n = 0, i, k, o;
	enum getk_err err;

	for (i = 0; i < e->naddrs; i++)
		for (k = 0; k < GETK_NSOURCES; k++)
			n += e->addrs[i].f[k].state == F_OFFERED;
	if (!n)
		return;
	offers = calloc(n, sizeof(*offers));
	n_of = calloc(e->naddrs * GETK_NSOURCES, sizeof(*n_of));
	err = offers && n_of ? GETK_OK : GETK_ERR_NOMEM;
	for (i = 0, n = 0; !err && i < e->naddrs; i++) {
		struct address *a = &e->addrs[i];
		size_t *mine = n_of + i * GETK_NSOURCES;

		for (k = 0; k < GETK_NSOURCES; k++) {
			if (a->f[k].state != F_OFFERED)
				continue;
			mine[k] = offer_of(a, k, mine, n);
			if (mine[k] < n)
				continue;
			offers[n].mailbox = a->mailbox;
			offers[n].data = a->f[k].offered;
			offers[n++].len = a->f[k].offered_len;
		}
	}
	if (!err && e->ready_err == GETK_ERR_CRYPTO)
		/* gpg is not there, or unusable: a second try would only
		 * say so again. */
		err = GETK_ERR_CRYPTO;
	if (!err) {
		err = getk_key_verify_batch(offers, n, e->s->tmpdir,
		    getk_mono_ms() + getk_engine_op_timeout(e), e->ready);
		e->ready = NULL;
	}
	for (i = 0; i < e->naddrs; i++) {
		struct address *a = &e->addrs[i];

		for (k = 0; k < GETK_NSOURCES; k++) {
			struct finding *f = &a->f[k];

			if (f->state != F_OFFERED)
				continue;
			if (err) {
				f->sha256[0] = '\0';
				getk_finding_set(f, F_TEMP, "cannot verify the "
				    "key from %s: %s", f->origin,
				    err == GETK_ERR_CRYPTO ? e->ready_why :
				    getk_strerror(err));
			} else {
				o = n_of[i * GETK_NSOURCES + k];
				take_verdict(a, (enum getk_source)k, f, &offers[o]);
			}
		}
		for (k = 0; k < GETK_NSOURCES; k++) {
			free(a->f[k].offered);
			a->f[k].offered = NULL;
		}
	}
	for (o = 0; offers && o < n; o++)
		getk_key_free(offers[o].key);
	free(offers);
	free(n_of);
}

void
getk_source_https_settings(const struct engine *e, size_t max,
    struct getk_https_settings *hs)
{
	const struct getk_lookup_settings *s = e->s;

	memset(hs, 0, sizeof(*hs));
	hs->share = e->https;
	hs->ca_file = s->tls_trust_file;
	hs->connect_to = s->connect_to;
	hs->timeout_ms = s->timeout_ms;
	hs->deadline_ms = e->deadline;
	hs->max_body = max;
	hs->log = s->log;
}
