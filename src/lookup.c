/*
 * lookup.c: the lookup engine.
 *
 * Phases, for one batch of addresses:
 *   1. the MX records of every distinct domain, in one DNS batch;
 *   2. domains whose MX host lists are equal form one group, so that
 *      their addresses share each SMTP connection;
 *   3. groups run in parallel worker threads (at most settings->jobs):
 *      each tries its MX hosts in preference order, asking GETK for the
 *      addresses still open, and verifies the keys it was offered.
 * Every address belongs to exactly one group, so workers write disjoint
 * results and need no lock but the one that hands out groups.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "clock.h"
#include "dns.h"
#include "getk.h"
#include "lookup.h"
#include "smtp.h"

/* Most MX hosts tried for one domain. */
#define MAX_MX 16

struct mx_host {
	unsigned pref;
	char name[GETK_DNS_NAME_MAX];
};

/* A domain and what its MX lookup said. */
struct domain {
	const char *name;
	struct mx_host mx[MAX_MX];
	size_t nmx;
	enum getk_status status;	/* FOUND: MX hosts to ask */
	char why[200];
	struct group *group;
};

/* Addresses whose domains share one MX host list. */
struct group {
	struct mx_host *mx;		/* the first domain's list */
	size_t nmx;
	size_t *addrs;			/* indices into the results */
	size_t naddrs;
};

struct engine {
	const struct getk_lookup_settings *s;
	/* What the cache knew of each address, or NULL (read only). */
	struct getk_store_entry *const *known;
	const char *const *mailboxes;
	struct getk_result *results;
	struct group *groups;
	size_t ngroups;
	size_t next_group;		/* guarded by lock */
	size_t settled;			/* guarded by lock */
	size_t total;			/* addresses asked on the network */
	pthread_mutex_t lock;
};

const char *
getk_trust_name(enum getk_trust trust)
{
	switch (trust) {
	case GETK_TRUST_NONE: return "none";
	case GETK_TRUST_DNSSEC: return "dnssec";
	case GETK_TRUST_MTA_STS: return "mta-sts";
	case GETK_TRUST_WEBPKI: return "webpki";
	case GETK_TRUST_RELAY: return "relay";
	}
	return "none";
}

int
getk_source_available(enum getk_source src)
{
	return src == GETK_SOURCE_GETK;
}

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

/* Sets a result's status and reason (formatted). */
static void set_result(struct getk_result *r, enum getk_status status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_result(struct getk_result *r, enum getk_status status, const char *fmt,
    ...)
{
	char msg[512];
	va_list ap;

	r->status = status;
	free(r->reason);
	r->reason = NULL;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->reason = strdup(msg);
}

/* Orders MX hosts by preference, then by name (a canonical order). */
static int
mx_cmp(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;

	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Shuffles hosts of equal preference in a sorted list (RFC 5321 5.1), so
 * that load spreads as the domain intends.
 */
static void
shuffle_mx(struct mx_host *mx, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && mx[j].pref == mx[i].pref; j++)
			;
		for (size_t k = j - 1; k > i; k--) {
			unsigned int r = 0;
			size_t pick;
			struct mx_host tmp;

			if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
				r = (unsigned int)time(NULL);
			pick = i + r % (k - i + 1);
			tmp = mx[k];
			mx[k] = mx[pick];
			mx[pick] = tmp;
		}
	}
}

/* Turns the MX answer for D into hosts to ask or a final status. */
static void
take_mx(const struct getk_lookup_settings *s, struct domain *d,
    const struct getk_dns_query *q)
{
	size_t i;

	d->status = GETK_STATUS_FOUND;
	if (q->err == GETK_ERR_DNS_BOGUS || q->err) {
		d->status = GETK_STATUS_TEMPFAIL;
		snprintf(d->why, sizeof(d->why), "%s", q->why);
		return;
	}
	if (q->nxdomain) {
		d->status = GETK_STATUS_NOKEY;
		snprintf(d->why, sizeof(d->why), "domain %s does not exist",
		    d->name);
		return;
	}
	for (i = 0; i < q->nrr; i++) {
		struct mx_host h;

		if (getk_dns_decode_mx(q->rdata[i], q->rdlen[i], &h.pref,
		    h.name)) {
			getk_log(s->log, GETK_LOG_INFO,
			    "%s: ignoring a malformed MX record", d->name);
			continue;
		}
		if (strcmp(h.name, ".") == 0) {
			/* RFC 7505: a null MX means no mail at all. */
			if (q->nrr == 1) {
				d->status = GETK_STATUS_NOKEY;
				snprintf(d->why, sizeof(d->why),
				    "domain %s accepts no mail (null MX)",
				    d->name);
				return;
			}
			continue;
		}
		if (d->nmx < MAX_MX)
			d->mx[d->nmx++] = h;
	}
	if (d->nmx == 0) {
		/* GETK asks only hosts named by MX records (GETK.md 6.1):
		 * no implicit MX. */
		d->status = GETK_STATUS_NOKEY;
		snprintf(d->why, sizeof(d->why), "domain %s has no MX records",
		    d->name);
		return;
	}
	/* Sorted, not yet shuffled, so that domains with the same hosts
	 * compare equal and share a group; the group shuffles. */
	qsort(d->mx, d->nmx, sizeof(*d->mx), mx_cmp);
}

static int
same_mx(const struct mx_host *a, size_t na, const struct mx_host *b,
    size_t nb)
{
	size_t i;

	if (na != nb)
		return 0;
	for (i = 0; i < na; i++)
		if (a[i].pref != b[i].pref || strcmp(a[i].name, b[i].name))
			return 0;
	return 1;
}

/* Per-address state while a group works through its MX hosts. */
struct pending {
	size_t idx;			/* into results */
	int open;			/* still to be asked */
	int temp;			/* some MX failed temporarily */
	char why[300];			/* the latest failure */
	unsigned char *offered;		/* key data from a 250 reply */
	size_t offered_len;
	char from_mx[GETK_DNS_NAME_MAX];
};

/* Asks one MX host for the open addresses of a group. */
static void
ask_mx(struct engine *e, const struct mx_host *mx, struct pending *p,
    size_t np)
{
	const struct getk_lookup_settings *s = e->s;
	struct getk_smtp_settings ss;
	struct getk_smtp *smtp = NULL;
	struct getk_reply **replies = NULL;
	const char **boxes = NULL;
	size_t *which = NULL, nopen = 0, done = 0, i;
	char why[300];
	enum getk_err err;

	for (i = 0; i < np; i++)
		nopen += p[i].open;
	if (!nopen)
		return;
	replies = calloc(nopen, sizeof(*replies));
	boxes = calloc(nopen, sizeof(*boxes));
	which = calloc(nopen, sizeof(*which));
	if (!replies || !boxes || !which) {
		snprintf(why, sizeof(why), "out of memory");
		err = GETK_ERR_NOMEM;
		goto fail_all;
	}
	nopen = 0;
	for (i = 0; i < np; i++) {
		if (!p[i].open)
			continue;
		which[nopen] = i;
		boxes[nopen++] = e->mailboxes[p[i].idx];
	}

	memset(&ss, 0, sizeof(ss));
	ss.host = mx->name;
	ss.port = s->getk_port;
	ss.ca_file = s->tls_trust_file;
	ss.connect_to = s->connect_to;
	ss.timeout_ms = s->timeout_ms;
	ss.ehlo_name = s->ehlo_name;
	ss.log = s->log;
	getk_log(s->log, GETK_LOG_INFO, "asking %s (MX %u) for %zu address%s",
	    mx->name, mx->pref, nopen, nopen == 1 ? "" : "es");
	err = getk_smtp_open(&ss, &smtp, why, sizeof(why));
	if (err)
		goto fail_all;
	if (!getk_smtp_getk_verb(smtp)) {
		err = GETK_ERR_NOTSUPP;
		snprintf(why, sizeof(why), "%s does not offer GETK after "
		    "STARTTLS", mx->name);
		goto fail_all;
	}
	err = getk_smtp_getk(smtp, boxes, nopen, s->max_octets, replies,
	    &done, why, sizeof(why));
	for (i = 0; i < done; i++) {
		struct pending *pp = &p[which[i]];
		struct getk_reply *r = replies[i];
		int code = getk_reply_code(r);
		const unsigned char *data;
		size_t len;

		if (code == 250) {
			data = getk_reply_data(r, &len);
			pp->offered = malloc(len);
			if (!pp->offered) {
				pp->temp = 1;
				snprintf(pp->why, sizeof(pp->why),
				    "out of memory");
				continue;
			}
			memcpy(pp->offered, data, len);
			pp->offered_len = len;
			pp->temp = 0;
			snprintf(pp->from_mx, sizeof(pp->from_mx), "%s",
			    mx->name);
			pp->open = 0;
		} else if (code / 100 == 5) {
			/* 5yz is final: this MX, and so the domain, has no key
			 * for the address, whatever other MX hosts said. */
			pp->open = 0;
			pp->temp = 0;
			snprintf(pp->why, sizeof(pp->why), "%s: %d%s%s %s",
			    mx->name, code, *getk_reply_enhanced(r) ? " " : "",
			    getk_reply_enhanced(r), getk_reply_text(r));
		} else {
			/* 4yz: the next MX may answer (GETK.md 6.8). */
			pp->temp = 1;
			snprintf(pp->why, sizeof(pp->why), "%s: %d%s%s %s",
			    mx->name, code, *getk_reply_enhanced(r) ? " " : "",
			    getk_reply_enhanced(r), getk_reply_text(r));
		}
	}
	if (err == GETK_ERR_TOOBIG && done < nopen) {
		/* The key is over the limit: offered, but not usable. */
		struct pending *pp = &p[which[done]];

		pp->open = 0;
		pp->offered_len = 0;
		snprintf(pp->why, sizeof(pp->why), "%s", why);
		snprintf(pp->from_mx, sizeof(pp->from_mx), "%s", mx->name);
		done++;
	}
	if (err) {
		getk_log(s->log, GETK_LOG_INFO, "%s", why);
		for (i = done; i < nopen; i++) {
			struct pending *pp = &p[which[i]];

			pp->temp = 1;
			snprintf(pp->why, sizeof(pp->why), "%s", why);
		}
	}
	goto leave;

fail_all:
	getk_log(s->log, GETK_LOG_INFO, "%s", why);
	for (i = 0; i < nopen; i++) {
		struct pending *pp = &p[which[i]];

		/* An MX without STARTTLS or GETK has no key to give; any
		 * other failure may pass. */
		if (err != GETK_ERR_NOTSUPP)
			pp->temp = 1;
		snprintf(pp->why, sizeof(pp->why), "%s", why);
	}
leave:
	for (i = 0; replies && i < nopen; i++)
		getk_reply_free(replies[i]);
	free(replies);
	free(boxes);
	free(which);
	getk_smtp_close(smtp);
}

/* Verifies what the MX offered and settles one address's result. */
static void
settle(struct engine *e, struct pending *pp)
{
	struct getk_result *r = &e->results[pp->idx];
	struct getk_key *key = NULL;
	char why[300];
	enum getk_err err;

	if (pp->from_mx[0] && !pp->offered_len) {
		set_result(r, GETK_STATUS_BADKEY, "a key was offered by %s "
		    "but failed verification: %s", pp->from_mx, pp->why);
		return;
	}
	if (!pp->offered) {
		if (pp->temp)
			set_result(r, GETK_STATUS_TEMPFAIL, "%s", pp->why);
		else if (pp->why[0])
			set_result(r, GETK_STATUS_NOKEY, "no key: %s", pp->why);
		else
			set_result(r, GETK_STATUS_NOKEY, "no key");
		return;
	}
	getk_key_digest(pp->offered, pp->offered_len, r->offered_sha256);
	if (e->known && e->known[pp->idx] && e->known[pp->idx]->key) {
		const struct getk_store_key *k = e->known[pp->idx]->key;

		/* The very bytes verified before: the same verdict, unless
		 * the key has expired since; no gpg run needed. */
		if (strcmp(k->offered_hash, r->offered_sha256) == 0 &&
		    (k->expires == 0 || k->expires > getk_now()) &&
		    getk_key_from_data(k->data, k->len, k->fingerprint,
		    k->first_seen, k->expires, &key) == GETK_OK) {
			getk_log(e->s->log, GETK_LOG_DEBUG, "%s: %s offered the "
			    "key verified before", r->address, pp->from_mx);
			goto found;
		}
	}
	err = getk_key_verify(r->address, pp->offered, pp->offered_len,
	    e->s->tmpdir, &key, why, sizeof(why), r->revoked_fpr);
	if (err == GETK_ERR_BADKEY) {
		set_result(r, GETK_STATUS_BADKEY, "a key was offered by %s but "
		    "failed verification: %s", pp->from_mx, why);
		return;
	}
	if (err) {
		set_result(r, GETK_STATUS_TEMPFAIL, "cannot verify the key "
		    "from %s: %s", pp->from_mx, why[0] ? why :
		    getk_strerror(err));
		return;
	}
	getk_log(e->s->log, GETK_LOG_INFO, "%s: key %s from %s verified",
	    r->address, key->fpr, pp->from_mx);
found:
	set_result(r, GETK_STATUS_FOUND, NULL);
	r->key = key;
	r->source = GETK_SOURCE_GETK;
	r->trust = GETK_TRUST_NONE;
	r->fetched = getk_now();
}

static void
run_group(struct engine *e, struct group *g)
{
	struct pending *p;
	size_t i, m;

	p = calloc(g->naddrs, sizeof(*p));
	if (!p) {
		for (i = 0; i < g->naddrs; i++)
			set_result(&e->results[g->addrs[i]],
			    GETK_STATUS_TEMPFAIL, "out of memory");
		return;
	}
	for (i = 0; i < g->naddrs; i++) {
		p[i].idx = g->addrs[i];
		p[i].open = 1;
	}
	for (m = 0; m < g->nmx; m++)
		ask_mx(e, &g->mx[m], p, g->naddrs);
	for (i = 0; i < g->naddrs; i++) {
		settle(e, &p[i]);
		free(p[i].offered);
		if (e->s->progress) {
			pthread_mutex_lock(&e->lock);
			e->s->progress(e->s->progress_arg, ++e->settled,
			    e->total);
			pthread_mutex_unlock(&e->lock);
		}
	}
	free(p);
}

static void *
worker(void *arg)
{
	struct engine *e = arg;

	for (;;) {
		struct group *g = NULL;

		pthread_mutex_lock(&e->lock);
		if (e->next_group < e->ngroups)
			g = &e->groups[e->next_group++];
		pthread_mutex_unlock(&e->lock);
		if (!g)
			return NULL;
		run_group(e, g);
	}
}

/* Finds the domains, resolves their MX records, forms the groups. */
static enum getk_err
plan(struct engine *e, struct domain **r_domains, size_t *r_nd, char **r_msg)
{
	const struct getk_lookup_settings *s = e->s;
	struct getk_dns_settings ds;
	struct getk_dns *dns = NULL;
	struct getk_dns_query *q = NULL;
	struct domain *d = NULL;
	size_t n = 0, i, k, nd = 0;
	enum getk_err err;

	for (n = 0; e->mailboxes[n]; n++)
		;
	d = calloc(n ? n : 1, sizeof(*d));
	q = calloc(n ? n : 1, sizeof(*q));
	e->groups = calloc(n ? n : 1, sizeof(*e->groups));
	if (!d || !q || !e->groups) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < n; i++) {
		const char *dom = getk_mailbox_domain(e->mailboxes[i]);

		for (k = 0; k < nd; k++)
			if (strcmp(d[k].name, dom) == 0)
				break;
		if (k == nd) {
			d[nd].name = dom;
			q[nd].name = dom;
			q[nd].type = GETK_RR_MX;
			nd++;
		}
	}
	memset(&ds, 0, sizeof(ds));
	ds.servers = s->dns_servers;
	ds.trust_anchor = s->dns_trust_anchor;
	/* The built-in anchor is optional: without it nothing validates,
	 * which only means that no answer counts as DNSSEC-secure. */
	if (ds.trust_anchor && strcmp(ds.trust_anchor,
	    GETK_DEFAULT_TRUST_ANCHOR) == 0 && access(ds.trust_anchor,
	    R_OK) != 0) {
		getk_log(s->log, GETK_LOG_INFO, "no DNSSEC trust anchor at %s: "
		    "answers are not validated", GETK_DEFAULT_TRUST_ANCHOR);
		ds.trust_anchor = NULL;
	}
	err = getk_dns_new(&ds, &dns, r_msg);
	if (err)
		goto leave;
	err = getk_dns_resolve(dns, q, nd, s->timeout_ms);
	if (err)
		goto leave;
	for (k = 0; k < nd; k++) {
		take_mx(s, &d[k], &q[k]);
		getk_log(s->log, GETK_LOG_DEBUG, "%s: %zu MX host%s%s%s",
		    d[k].name, d[k].nmx, d[k].nmx == 1 ? "" : "s",
		    d[k].why[0] ? ": " : "", d[k].why);
	}

	/* Every address either settles now or joins its domain's group. */
	for (i = 0; i < n; i++) {
		const char *dom = getk_mailbox_domain(e->mailboxes[i]);
		struct domain *dd = NULL;
		struct group *g;

		for (k = 0; k < nd; k++)
			if (strcmp(d[k].name, dom) == 0)
				dd = &d[k];
		if (dd->status != GETK_STATUS_FOUND) {
			set_result(&e->results[i], dd->status, "%s", dd->why);
			continue;
		}
		if (!dd->group) {
			for (k = 0; k < e->ngroups; k++)
				if (same_mx(e->groups[k].mx, e->groups[k].nmx,
				    dd->mx, dd->nmx))
					dd->group = &e->groups[k];
		}
		if (!dd->group) {
			dd->group = &e->groups[e->ngroups++];
			dd->group->mx = dd->mx;
			dd->group->nmx = dd->nmx;
			dd->group->addrs = calloc(n, sizeof(size_t));
			if (!dd->group->addrs) {
				err = GETK_ERR_NOMEM;
				goto leave;
			}
		}
		g = dd->group;
		g->addrs[g->naddrs++] = i;
	}
	for (k = 0; k < e->ngroups; k++)
		shuffle_mx(e->groups[k].mx, e->groups[k].nmx);
	*r_domains = d;
	*r_nd = nd;
	d = NULL;
leave:
	for (k = 0; q && k < nd; k++)
		getk_dns_query_clear(&q[k]);
	free(q);
	free(d);
	getk_dns_free(dns);
	return err;
}

/*
 * Asks the network about the N addresses of BOXES (NULL-terminated) and
 * fills RESULTS, whose address members are set already.
 */
static enum getk_err
network_lookup(const struct getk_lookup_settings *settings,
    const char **boxes, size_t n, struct getk_result *results,
    struct getk_store_entry *const *known, char **r_msg)
{
	struct engine e;
	struct domain *domains = NULL;
	pthread_t *threads = NULL;
	size_t nd = 0, nthreads = 0, i, started = 0;
	int use_getk = 0;
	enum getk_err err = GETK_OK;

	memset(&e, 0, sizeof(e));
	e.s = settings;
	e.results = results;
	e.mailboxes = boxes;
	e.known = known;
	e.total = n;
	pthread_mutex_init(&e.lock, NULL);
	for (i = 0; i < n; i++)
		set_result(&results[i], GETK_STATUS_NOKEY,
		    "no configured source has a key");
	for (i = 0; i < settings->nsources; i++) {
		if (settings->sources[i] == GETK_SOURCE_GETK)
			use_getk = 1;
		else
			getk_log(settings->log, GETK_LOG_DEBUG, "source %s is "
			    "not available in this version",
			    getk_source_name(settings->sources[i]));
	}
	if (!use_getk || n == 0)
		goto leave;

	err = plan(&e, &domains, &nd, r_msg);
	if (err)
		goto leave;
	nthreads = settings->jobs ? settings->jobs : 8;
	if (nthreads > e.ngroups)
		nthreads = e.ngroups;
	threads = calloc(nthreads ? nthreads : 1, sizeof(*threads));
	if (!threads) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (started = 0; started < nthreads; started++)
		if (pthread_create(&threads[started], NULL, worker, &e))
			break;
	if (started == 0 && nthreads > 0)
		worker(&e);	/* no thread could start: do it here */
	for (i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
leave:
	for (i = 0; i < e.ngroups; i++)
		free(e.groups[i].addrs);
	free(e.groups);
	free(domains);
	free(threads);
	pthread_mutex_destroy(&e.lock);
	return err;
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
	ls->max_octets = GETK_MAX_OCTETS;
	ls->jobs = 8;
	getk_local_name(host, hostsz);
	ls->ehlo_name = host;
	ls->refresh_after = a->refresh_after;
	ls->negative_ttl = a->negative_ttl;
}

enum getk_trust
getk_trust_parse(const char *name)
{
	enum getk_trust t;

	for (t = GETK_TRUST_NONE; t <= GETK_TRUST_RELAY; t++)
		if (strcmp(getk_trust_name(t), name) == 0)
			return t;
	return GETK_TRUST_NONE;
}

/* Non-zero when a cached key may still be used at NOW. */
static int
cached_usable(const struct getk_store_entry *ce, time_t now)
{
	return ce && ce->key && ce->pin &&
	    strcmp(ce->key->fingerprint, ce->pin) == 0 &&
	    (ce->key->expires == 0 || ce->key->expires > now);
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
	set_result(r, GETK_STATUS_FOUND, NULL);
	r->source = GETK_SOURCE_CACHE;
	r->trust = getk_trust_parse(ce->key->trust);
	r->fetched = ce->key->fetched;
	r->cache = event;
	return GETK_OK;
}

/*
 * Answers R from the cache when the entry is fresh: a usable key fetched
 * less than refresh_after ago, or an unexpired "no key".  Returns 1 when
 * it answered.
 */
static int
cache_answer(const struct getk_lookup_settings *s, struct getk_result *r,
    const struct getk_store_entry *ce, time_t now)
{
	if (cached_usable(ce, now) && now - ce->key->fetched <
	    s->refresh_after) {
		if (from_cache(r, ce, GETK_CACHE_HIT))
			return 0;
		getk_log(s->log, GETK_LOG_INFO, "%s: key %s from the cache",
		    r->address, ce->key->fingerprint);
		return 1;
	}
	if (ce && ce->negative && ce->negative_expires > now &&
	    !cached_usable(ce, now)) {
		set_result(r, GETK_STATUS_NOKEY, "%s (remembered)",
		    ce->negative);
		r->cache = GETK_CACHE_HIT;
		return 1;
	}
	return 0;
}

/* A store record of the key in R. */
static void
store_key_of(const struct getk_result *r, time_t now,
    struct getk_store_key *sk)
{
	memset(sk, 0, sizeof(*sk));
	sk->address = r->address;
	sk->fingerprint = (char *)r->key->fpr;
	sk->data = r->key->data;
	sk->len = r->key->len;
	sk->sources = (char *)getk_source_name(r->source);
	sk->trust = (char *)getk_trust_name(r->trust);
	sk->first_seen = now;
	sk->fetched = now;
	sk->expires = r->key->expires;
	sk->offered_hash = (char *)r->offered_sha256;
}

/*
 * Whether a key other than the pinned one may replace it (DESIGN.md
 * Trust): the pinned key certified the new one, or the pinned key has
 * expired and the new one came by an authenticated path.  *WHY says which.
 */
static int
rotation_allowed(const struct getk_lookup_settings *s,
    const struct getk_result *r, const struct getk_store_entry *ce,
    time_t now, const char **why)
{
	int yes = 0;

	*why = NULL;
	if (!ce->key || strcmp(ce->key->fingerprint, ce->pin) != 0)
		return 0;
	if (getk_key_certifies(ce->key->data, ce->key->len,
	    ce->key->fingerprint, r->key->data, r->key->len, r->key->fpr,
	    s->tmpdir, &yes) == GETK_OK && yes) {
		*why = "certified by the pinned key";
		return 1;
	}
	if (ce->key->expires && ce->key->expires <= now &&
	    r->trust != GETK_TRUST_NONE) {
		*why = "pinned key expired; new key authenticated";
		return 1;
	}
	if (strcmp(r->revoked_fpr, ce->pin) == 0 &&
	    r->trust != GETK_TRUST_NONE) {
		*why = "pinned key revoked; new key authenticated";
		return 1;
	}
	return 0;
}

/*
 * Applies the pins to a network result and records it: the first key is
 * pinned; a changed key is refused unless rotation_allowed(); when the
 * network had no answer, a cached key that is still valid is used.
 */
static enum getk_err
cache_merge(const struct getk_lookup_settings *s, struct getk_result *r,
    const struct getk_store_entry *ce, time_t now)
{
	struct getk_store_key sk;
	const char *how;
	char why[300];
	enum getk_err err = GETK_OK;

	why[0] = '\0';
	if (r->status == GETK_STATUS_FOUND) {
		store_key_of(r, now, &sk);
		if (!ce->pin) {
			r->cache = GETK_CACHE_NEW;
			err = getk_store_put_key(s->store, &sk, 1, "new", NULL,
			    now, why, sizeof(why));
		} else if (strcmp(ce->pin, r->key->fpr) == 0) {
			r->cache = GETK_CACHE_SAME;
			err = getk_store_put_key(s->store, &sk, 0, "refreshed",
			    NULL, now, why, sizeof(why));
		} else if (rotation_allowed(s, r, ce, now, &how)) {
			r->cache = GETK_CACHE_ROTATED;
			getk_log(s->log, GETK_LOG_WARN, "%s: key changed from %s "
			    "to %s (%s)", r->address, ce->pin, r->key->fpr, how);
			err = getk_store_put_key(s->store, &sk, 1, "rotated", how,
			    now, why, sizeof(why));
		} else {
			r->cache = GETK_CACHE_REFUSED;
			err = getk_store_put_offered(s->store, &sk, ce->pin, now,
			    why, sizeof(why));
			/* A revoked pin is never used again, even while its
			 * successor waits for --accept. */
			if (!err && ce->key && strcmp(r->revoked_fpr,
			    ce->pin) == 0)
				err = getk_store_drop_key(s->store, r->address,
				    "revoked", ce->pin, now, why, sizeof(why));
			set_result(r, GETK_STATUS_CONFLICT, "the key changed: "
			    "pinned %s, offered %s; the new key is not used. If "
			    "the change is expected, run: getk-fetch --accept %s",
			    ce->pin, r->key->fpr, r->address);
			getk_key_free(r->key);
			r->key = NULL;
		}
	} else if (ce->pin && strcmp(r->revoked_fpr, ce->pin) == 0) {
		/* The owner revoked the pinned key: the cached copy, verified
		 * before the revocation, must not stand in for it. */
		if (ce->key)
			err = getk_store_drop_key(s->store, r->address,
			    "revoked", ce->pin, now, why, sizeof(why));
		set_result(r, GETK_STATUS_BADKEY, "the pinned key %s was "
		    "revoked by its owner", ce->pin);
	} else if (cached_usable(ce, now)) {
		/* A failure, or a "no key" that anyone on the path could
		 * forge, does not undo a verified key that is still valid. */
		getk_log(s->log, GETK_LOG_INFO, "%s: %s; using the cached key "
		    "%s", r->address, r->reason ? r->reason : "no answer",
		    ce->key->fingerprint);
		err = from_cache(r, ce, GETK_CACHE_FALLBACK);
	} else if (r->status == GETK_STATUS_NOKEY) {
		err = getk_store_put_negative(s->store, r->address,
		    r->reason ? r->reason : "no key", now,
		    now + s->negative_ttl, why, sizeof(why));
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
		    mailboxes[i], &entries[i], why, sizeof(why)) != GETK_OK)
			getk_log(settings->log, GETK_LOG_WARN, "%s", why);
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
			set_result(&results[which[i]], GETK_STATUS_TEMPFAIL,
			    "GnuPG (gpg) cannot be used to verify keys");
		nnet = 0;
	}
	err = network_lookup(settings, boxes, nnet, net, known, r_msg);
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
