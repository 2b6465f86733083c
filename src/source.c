/*
 * source.c: what every source of the engine shares (DESIGN.md, Data
 * flow): findings, the end of a source's work for an address, and the
 * verification of what a source offered.  Every key offered is verified
 * at once, in the task that received it, so gpg runs overlap the other
 * sources' waits; bytes that another source of the same address offered
 * already are verified only once.  The sources themselves are in
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
 * Verifies the LEN bytes at DATA that ORIGIN offered for A as source SRC
 * by a path of trust TRUST, and records the finding.  Bytes verified
 * before (by another source now, or in the cache) are not verified again.
 */
void
getk_source_offer(struct address *a, enum getk_source src, enum getk_trust trust,
    const char *origin, const unsigned char *data, size_t len)
{
	struct engine *e = a->e;
	struct finding *f = &a->f[src];
	const struct getk_store_entry *ce = e->known ? e->known[a->idx] : NULL;
	struct getk_key *key = NULL;
	char why[200];
	enum getk_err err;

	pthread_mutex_lock(&a->verify_lock);
	getk_key_free(f->key);
	f->key = NULL;
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
	err = getk_key_verify(a->mailbox, data, len, e->s->tmpdir,
	    getk_mono_ms() + getk_engine_op_timeout(e), &key, why, sizeof(why),
	    f->revoked);
	if (err == GETK_ERR_BADKEY) {
		snprintf(f->verdict, sizeof(f->verdict), "%s", why);
		getk_finding_set(f, F_BAD, "a key was offered by %s but failed "
		    "verification: %s", origin, why);
		goto leave;
	}
	if (err) {
		/* Not a verdict on the bytes: another source may retry. */
		f->sha256[0] = '\0';
		getk_finding_set(f, F_TEMP, "cannot verify the key from %s: %s",
		    origin, why[0] ? why : getk_strerror(err));
		goto leave;
	}
	getk_log(e->s->log, GETK_LOG_INFO, "%s: key %s from %s (%s, trust %s) "
	    "verified", a->mailbox, key->fpr, origin, getk_source_name(src),
	    getk_trust_name(trust));
found:
	f->key = key;
	f->trust = trust;
	f->state = F_KEY;
	f->why[0] = '\0';
leave:
	pthread_mutex_unlock(&a->verify_lock);
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
