/*
 * sources.c: what each source does for an address (DESIGN.md, Data
 * flow): relay and getk ask GETK over SMTP, wkd fetches over HTTPS, dane
 * reads the OPENPGPKEY answers of DNS round 1.  Every key offered is
 * verified at once, in the task that received it, so gpg runs overlap
 * the other sources' waits; bytes that another source of the same
 * address offered already are verified only once.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "clock.h"
#include "engine.h"
#include "getkreply.h"
#include "smtp.h"
#include "wkd.h"

/* Largest WKD answer (GnuPG's limit too). */
#define WKD_MAX (256 * 1024)
/* Most redirects followed within the domain for one WKD lookup. */
#define WKD_MAX_REDIRECTS 3

void
getk_finding_set(struct finding *f, enum finding_state state, const char *fmt,
    ...)
{
	va_list ap;

	f->state = state;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
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
static void
offer(struct address *a, enum getk_source src, enum getk_trust trust,
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

static enum getk_trust
mode_trust(enum mx_mode mode)
{
	switch (mode) {
	case MX_DANE: return GETK_TRUST_DNSSEC;
	case MX_MTA_STS: return GETK_TRUST_MTA_STS;
	default: return GETK_TRUST_NONE;
	}
}

static const char *
mode_name(enum mx_mode mode)
{
	switch (mode) {
	case MX_DANE: return "DANE";
	case MX_MTA_STS: return "MTA-STS";
	case MX_FAIL: return "authentication failed";
	default: return "not authenticated";
	}
}

/* Open for the next host: not yet answered, or only temporarily. */
static int
still_open(const struct finding *f)
{
	return f->state == F_UNASKED || f->state == F_TEMP;
}

/*
 * Asks the session SMTP at HOST for the N addresses of A and records each
 * answer as source SRC, trust TRUST: 250 is a key to verify, 5yz no key,
 * 4yz a temporary failure (the next MX may answer, GETK.md 6.8).
 */
static void
exchange(struct getk_smtp *smtp, const char *host, struct address **a,
    size_t n, enum getk_source src, enum getk_trust trust)
{
	struct getk_reply **replies = NULL;
	const char **boxes = NULL;
	size_t done = 0, i;
	char why[300];
	enum getk_err err;

	replies = calloc(n, sizeof(*replies));
	boxes = calloc(n, sizeof(*boxes));
	if (!replies || !boxes) {
		for (i = 0; i < n; i++)
			getk_finding_set(&a[i]->f[src], F_TEMP, "out of memory");
		goto leave;
	}
	for (i = 0; i < n; i++)
		boxes[i] = a[i]->mailbox;
	err = getk_smtp_getk(smtp, boxes, n, a[0]->e->s->max_octets, replies,
	    &done, why, sizeof(why));
	for (i = 0; i < done; i++) {
		struct finding *f = &a[i]->f[src];
		struct getk_reply *r = replies[i];
		int code = getk_reply_code(r);
		const unsigned char *data;
		size_t len;

		if (code == 250) {
			data = getk_reply_data(r, &len);
			offer(a[i], src, trust, host, data, len);
			continue;
		}
		/* 5yz is final: this host, and so the domain, has no key
		 * for the address, whatever other MX hosts said. */
		getk_finding_set(f, code / 100 == 5 ? F_NOKEY : F_TEMP,
		    "%s: %d%s%s %s", host, code, *getk_reply_enhanced(r) ?
		    " " : "", getk_reply_enhanced(r), getk_reply_text(r));
	}
	if (err == GETK_ERR_TOOBIG && done < n) {
		/* The key is over the limit: offered, but not usable. */
		getk_finding_set(&a[done]->f[src], F_BAD, "a key was offered by %s "
		    "but failed verification: %s", host, why);
		done++;
	}
	if (err) {
		getk_log(a[0]->e->s->log, GETK_LOG_INFO, "%s", why);
		for (i = done; i < n; i++)
			getk_finding_set(&a[i]->f[src], F_TEMP, "%s", why);
	}
leave:
	for (i = 0; replies && i < n; i++)
		getk_reply_free(replies[i]);
	free(replies);
	free(boxes);
}

/* Common SMTP session settings for the engine's GETK sessions. */
static void
smtp_settings(const struct engine *e, struct getk_smtp_settings *ss)
{
	const struct getk_lookup_settings *s = e->s;

	memset(ss, 0, sizeof(*ss));
	ss->ca_file = s->tls_trust_file;
	ss->connect_to = s->connect_to;
	ss->timeout_ms = s->timeout_ms;
	ss->deadline_ms = e->deadline;
	ss->ehlo_name = s->ehlo_name;
	ss->log = s->log;
}

/*
 * Notes that a host had no GETK to offer: the address stays open for the
 * next host, and ends as "no key" (WHY) if none answers.  A temporary
 * failure at an earlier host is not forgotten.
 */
static void
no_getk(struct finding *f, const char *why)
{
	if (f->state == F_UNASKED)
		snprintf(f->why, sizeof(f->why), "%s", why);
}

/* Asks one MX host for the open addresses of a group. */
static void
ask_mx(struct group *g, const struct mx_host *mx)
{
	struct engine *e = g->e;
	const struct getk_lookup_settings *s = e->s;
	struct getk_smtp_settings ss;
	struct getk_smtp *smtp = NULL;
	struct address **open = NULL;
	size_t nopen = 0, i;
	char why[300], *resolve[2];
	enum getk_err err;

	open = calloc(g->naddrs, sizeof(*open));
	if (!open) {
		for (i = 0; i < g->naddrs; i++)
			if (still_open(&g->addrs[i]->f[GETK_SOURCE_GETK]))
				getk_finding_set(
				    &g->addrs[i]->f[GETK_SOURCE_GETK], F_TEMP,
				    "out of memory");
		return;
	}
	for (i = 0; i < g->naddrs; i++)
		if (still_open(&g->addrs[i]->f[GETK_SOURCE_GETK]))
			open[nopen++] = g->addrs[i];
	if (!nopen)
		goto leave;
	if (mx->mode == MX_FAIL) {
		for (i = 0; i < nopen; i++)
			getk_finding_set(&open[i]->f[GETK_SOURCE_GETK], F_TEMP,
			    "%s: not used: %s", mx->name, mx->info->why);
		goto leave;
	}
	if (getk_engine_op_timeout(e) <= 0) {
		/* The lookup's time is up: what is still open is a
		 * temporary failure, not a host skipped in silence. */
		for (i = 0; i < nopen; i++)
			getk_finding_set(&open[i]->f[GETK_SOURCE_GETK], F_TEMP,
			    "the lookup took longer than lookup_timeout "
			    "(%lds); MX host %s not asked",
			    s->lookup_timeout_ms / 1000, mx->name);
		goto leave;
	}
	smtp_settings(e, &ss);
	ss.host = mx->name;
	ss.port = s->getk_port;
	if (mx->mode == MX_DANE) {
		ss.tlsa = mx->info->rr;
		ss.ntlsa = mx->info->n;
	}
	resolve[0] = mx->info && mx->info->resolve[0] ?
	    (char *)mx->info->resolve : NULL;
	resolve[1] = NULL;
	ss.resolve = resolve;
	getk_log(s->log, GETK_LOG_INFO, "asking %s (MX %u, %s) for %zu "
	    "address%s", mx->name, mx->pref, mode_name(mx->mode), nopen,
	    nopen == 1 ? "" : "es");
	err = getk_smtp_open(&ss, &smtp, why, sizeof(why));
	if (!err && !getk_smtp_getk_verb(smtp)) {
		/* The host has no key to give; the next one may. */
		snprintf(why, sizeof(why), "%s does not offer GETK after "
		    "STARTTLS", mx->name);
		getk_log(s->log, GETK_LOG_INFO, "%s", why);
		for (i = 0; i < nopen; i++)
			no_getk(&open[i]->f[GETK_SOURCE_GETK], why);
		goto leave;
	}
	if (err) {
		getk_log(s->log, GETK_LOG_INFO, "%s", why);
		for (i = 0; i < nopen; i++) {
			struct finding *f = &open[i]->f[GETK_SOURCE_GETK];

			/* A host without STARTTLS that nobody authenticated
			 * has no key to give; where the host is
			 * authenticated, that is a downgrade (RFC 7672 2.2,
			 * RFC 8461 5), and any other failure may pass. */
			if (err == GETK_ERR_NOTSUPP && mx->mode == MX_NONE)
				no_getk(f, why);
			else
				getk_finding_set(f, F_TEMP, "%s", why);
		}
		goto leave;
	}
	exchange(smtp, mx->name, open, nopen, GETK_SOURCE_GETK,
	    mode_trust(mx->mode));
leave:
	getk_smtp_close(smtp);
	free(open);
}

void
getk_source_getk(void *arg)
{
	struct group *g = arg;
	size_t i, m;

	for (m = 0; m < g->nmx; m++)
		ask_mx(g, &g->mx[m]);
	for (i = 0; i < g->naddrs; i++) {
		struct finding *f = &g->addrs[i]->f[GETK_SOURCE_GETK];

		if (f->state == F_UNASKED) {
			f->state = F_NOKEY;
			if (!f->why[0])
				snprintf(f->why, sizeof(f->why), "no MX host "
				    "answered");
		}
		getk_source_done(g->addrs[i]);
	}
}

/* The relay source: GETK at the user's relay after AUTH (GETK.md 7). */
void
getk_source_relay(void *arg)
{
	struct engine *e = arg;
	const struct getk_lookup_settings *s = e->s;
	const struct getk_relay *rl = &s->relay;
	struct getk_smtp_settings ss;
	struct getk_smtp *smtp = NULL;
	struct address **all = NULL;
	char why[300];
	size_t i;
	enum getk_err err;

	all = calloc(e->naddrs, sizeof(*all));
	if (!all) {
		for (i = 0; i < e->naddrs; i++) {
			getk_finding_set(&e->addrs[i].f[GETK_SOURCE_RELAY],
			    F_TEMP, "out of memory");
			getk_source_done(&e->addrs[i]);
		}
		return;
	}
	for (i = 0; i < e->naddrs; i++)
		all[i] = &e->addrs[i];
	smtp_settings(e, &ss);
	getk_smtp_settings_relay(&ss, rl, s->relay_password);
	getk_log(s->log, GETK_LOG_INFO, "asking the relay %s for %zu "
	    "address%s", rl->host, e->naddrs, e->naddrs == 1 ? "" : "es");
	err = getk_smtp_open(&ss, &smtp, why, sizeof(why));
	if (!err && !getk_smtp_getk_verb(smtp)) {
		for (i = 0; i < e->naddrs; i++)
			getk_finding_set(&all[i]->f[GETK_SOURCE_RELAY], F_NOKEY,
			    "the relay %s does not offer GETK", rl->host);
		goto leave;
	}
	if (err) {
		e->relay_auth_failed = err == GETK_ERR_AUTH;
		getk_log(s->log, GETK_LOG_INFO, "relay: %s", why);
		for (i = 0; i < e->naddrs; i++)
			getk_finding_set(&all[i]->f[GETK_SOURCE_RELAY], F_TEMP,
			    "%s", why);
		goto leave;
	}
	exchange(smtp, rl->host, all, e->naddrs, GETK_SOURCE_RELAY,
	    GETK_TRUST_RELAY);
leave:
	getk_smtp_close(smtp);
	for (i = 0; all && i < e->naddrs; i++)
		getk_source_done(all[i]);
	free(all);
}

/* HTTPS settings for WKD and MTA-STS. */
static void
https_settings(const struct engine *e, size_t max,
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

/* Takes a WKD answer body: binary or armored key data. */
static void
wkd_take(struct address *a, const char *host, struct getk_buf *body)
{
	struct finding *f = &a->f[GETK_SOURCE_WKD];
	struct getk_buf bin;

	getk_buf_init(&bin, WKD_MAX);
	if (body->len == 0) {
		getk_finding_set(f, F_BAD, "a key was offered by %s but failed "
		    "verification: the answer is empty", host);
	} else if (getk_wkd_is_armored((const unsigned char *)body->data,
	    body->len)) {
		if (getk_wkd_dearmor(body->data, body->len, &bin) != GETK_OK)
			getk_finding_set(f, F_BAD, "a key was offered by %s but "
			    "failed verification: malformed ASCII armor",
			    host);
		else
			offer(a, GETK_SOURCE_WKD, GETK_TRUST_WEBPKI, host,
			    (const unsigned char *)bin.data, bin.len);
	} else {
		offer(a, GETK_SOURCE_WKD, GETK_TRUST_WEBPKI, host,
		    (const unsigned char *)body->data, body->len);
	}
	getk_buf_free(&bin);
}

/* The wkd source for one address: advanced or direct method. */
void
getk_source_wkd(void *arg)
{
	struct address *a = arg;
	struct finding *f = &a->f[GETK_SOURCE_WKD];
	const char *domain = a->domain->name;
	struct getk_https_settings hs;
	struct getk_https_reply reply;
	char *url = NULL, host[256], why[300];
	int hop;
	enum getk_err err;

	https_settings(a->e, WKD_MAX, &hs);
	if (getk_wkd_url(a->mailbox, a->domain->wkd_advanced, &url, host)) {
		getk_finding_set(f, F_NOKEY, "no WKD URL for %s", a->mailbox);
		goto leave;
	}
	for (hop = 0; hop <= WKD_MAX_REDIRECTS; hop++) {
		err = getk_https_get(&hs, url, &reply, why, sizeof(why));
		if (err == GETK_ERR_TOOBIG) {
			getk_finding_set(f, F_BAD, "a key was offered by %s but "
			    "failed verification: %s", host, why);
			goto leave;
		}
		if (err == GETK_ERR_NOSERVER) {
			/* No WKD server: most domains have none.  Only a
			 * host that does not exist or refuses the connection
			 * says so; a connection cut after it opened may be an
			 * attacker hiding a key, and is temporary. */
			getk_finding_set(f, F_NOKEY, "%s", why);
			goto leave;
		}
		if (err) {
			getk_finding_set(f, F_TEMP, "%s", why);
			goto leave;
		}
		if (reply.status == 200) {
			wkd_take(a, host, &reply.body);
			getk_https_reply_clear(&reply);
			goto leave;
		}
		getk_https_reply_clear(&reply);
		if (reply.status / 100 == 3 && reply.location[0]) {
			if (!getk_wkd_redirect_ok(reply.location, domain)) {
				getk_finding_set(f, F_NOKEY, "%s redirects "
				    "off the domain, to %s; not followed", url,
				    reply.location);
				goto leave;
			}
			getk_log(a->e->s->log, GETK_LOG_DEBUG, "%s "
			    "redirects to %s", url, reply.location);
			free(url);
			url = strdup(reply.location);
			if (!url) {
				getk_finding_set(f, F_TEMP, "out of memory");
				goto leave;
			}
			continue;
		}
		getk_finding_set(f, reply.status >= 500 ? F_TEMP : F_NOKEY,
		    "%s: HTTP %ld", url, reply.status);
		goto leave;
	}
	getk_finding_set(f, F_NOKEY, "more than %d redirects",
	    WKD_MAX_REDIRECTS);
leave:
	free(url);
	getk_source_done(a);
}

/*
 * The dane source for one address: the DNSSEC-secure OPENPGPKEY answer,
 * for the local part as given, else ASCII-lower-cased (RFC 7929 3).
 */
void
getk_source_dane(void *arg)
{
	struct address *a = arg;
	struct finding *f = &a->f[GETK_SOURCE_DANE];
	struct getk_buf keys;
	size_t k, i;

	getk_buf_init(&keys, a->e->s->max_octets);
	getk_finding_set(f, F_NOKEY, "no OPENPGPKEY record");
	for (k = 0; k < a->ndane; k++) {
		const struct getk_dns_query *q = &a->e->q[a->q_dane[k]];

		if (q->err == GETK_ERR_DNS_BOGUS) {
			/* An attack or a broken zone, never "no key". */
			getk_finding_set(f, F_TEMP, "OPENPGPKEY %s: %s", q->name,
			    q->why);
			goto leave;
		}
		if (q->err) {
			getk_finding_set(f, F_TEMP, "OPENPGPKEY %s: %s", q->name,
			    q->why);
			continue;
		}
		if (q->nrr == 0)
			continue;
		if (!q->secure) {
			getk_finding_set(f, F_NOKEY, "OPENPGPKEY %s is not "
			    "DNSSEC-signed; ignored", q->name);
			continue;
		}
		for (i = 0; i < q->nrr; i++)
			if (getk_buf_add(&keys, q->rdata[i], q->rdlen[i])) {
				getk_finding_set(f, F_BAD, "a key was offered by "
				    "DNS but failed verification: larger "
				    "than %zu octets", a->e->s->max_octets);
				goto leave;
			}
		offer(a, GETK_SOURCE_DANE, GETK_TRUST_DNSSEC, "DNS",
		    (const unsigned char *)keys.data, keys.len);
		goto leave;
	}
leave:
	getk_buf_free(&keys);
	getk_source_done(a);
}

/*
 * Fetches the MTA-STS policy of a domain (RFC 8461 3.3): HTTPS with a
 * valid certificate, status 200 and no redirect, text/plain.
 */
void
getk_source_policy(void *arg)
{
	struct domain *d = arg;
	const struct getk_lookup_settings *s = d->e->s;
	struct getk_https_settings hs;
	struct getk_https_reply reply;
	struct getk_mtasts_policy p;
	char url[GETK_DNS_NAME_MAX + 64], why[300];
	enum getk_err err;

	https_settings(d->e, GETK_MTASTS_MAX_POLICY, &hs);
	snprintf(url, sizeof(url), "https://mta-sts.%s/.well-known/"
	    "mta-sts.txt", d->name);
	err = getk_https_get(&hs, url, &reply, why, sizeof(why));
	if (err)
		goto fail;
	if (reply.status != 200 || strcasecmp(reply.content_type,
	    "text/plain") != 0) {
		snprintf(why, sizeof(why), "%.100s: HTTP %ld, %.60s", url,
		    reply.status, reply.content_type[0] ?
		    reply.content_type : "no content type");
		getk_https_reply_clear(&reply);
		goto fail;
	}
	err = getk_mtasts_parse_policy(reply.body.data ? reply.body.data : "",
	    reply.body.len, &p, why, sizeof(why));
	getk_https_reply_clear(&reply);
	if (err)
		goto fail;
	d->policy = p;
	d->have_policy = 1;
	d->policy_fetched = 1;
	d->policy_expires = getk_now() + p.max_age;
	getk_log(s->log, GETK_LOG_INFO, "%s: MTA-STS policy %s, mode %s, "
	    "%zu mx pattern%s, max_age %ld", d->name, d->sts_id,
	    getk_mtasts_mode_name(p.mode), p.nmx, p.nmx == 1 ? "" : "s",
	    p.max_age);
	return;
fail:
	/* RFC 8461 5.1: a cached policy still in force stays; without
	 * one, the domain is taken to have none. */
	getk_log(s->log, GETK_LOG_INFO, "%s: no MTA-STS policy fetched: %s%s",
	    d->name, why, d->have_policy ? "; the cached one stays" : "");
}
