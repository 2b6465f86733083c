/*
 * lookup.c: the lookup engine.
 *
 * For one batch of addresses, every enabled source of every address is
 * in flight at once (DESIGN.md, Data flow):
 *
 *   at once     relay: one GETK session at the user's relay, after AUTH
 *   DNS round 1 MX and _mta-sts TXT of every domain, the WKD host's
 *               address records, every address's OPENPGPKEY names
 *   then        wkd: one HTTPS task per address; dane: verification of
 *               the DNSSEC-secure OPENPGPKEY answers; MTA-STS policy
 *               fetches for domains whose cached policy is stale
 *   DNS round 2 addresses of every MX host (libcurl connects to them),
 *               and TLSA where the MX set is DNSSEC-secure (while the
 *               tasks above run)
 *   then        getk: domains whose MX hosts and their authentication
 *               are the same form a group that shares each SMTP
 *               session; each group is one task
 *
 * Tasks run on a pool of worker threads and verify what they were offered
 * at once, so gpg runs overlap the other sources' waits.  Each source of
 * an address writes only its own finding; when all are in, the main
 * thread corroborates them into the address's result.
 */
#include <config.h>

#include <arpa/inet.h>
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
#include "dane.h"
#include "dns.h"
#include "getk.h"
#include "https.h"
#include "lookup.h"
#include "mtasts.h"
#include "pool.h"
#include "smtp.h"
#include "wkd.h"

/* Most MX hosts tried for one domain. */
#define MAX_MX 16
/* Largest WKD answer (GnuPG's limit too). */
#define WKD_MAX (256 * 1024)
/* Most redirects followed within the domain for one WKD lookup. */
#define WKD_MAX_REDIRECTS 3

/* Room for an owner name made from a domain name and a prefix; names
 * over 255 octets fail in the resolver. */
#define QNAME_MAX (GETK_DNS_NAME_MAX + 32)

/* Pool tags: the policy fetches are waited for on their own. */
enum { TAG_SOURCE, TAG_POLICY };

/* What one source said about one address. */
enum finding_state {
	F_UNASKED,		/* not asked (source off or not applicable) */
	F_KEY,			/* a verified key */
	F_NOKEY,		/* no key */
	F_TEMP,			/* a temporary or authentication failure */
	F_BAD			/* a key was offered but failed verification */
};

struct finding {
	enum finding_state state;
	enum getk_trust trust;		/* of the path (F_KEY) */
	struct getk_key *key;		/* F_KEY */
	char sha256[65];		/* of the bytes offered, or "" */
	char revoked[41];		/* a revoked key offered, or "" */
	char why[300];			/* the latest failure */
	char verdict[200];		/* F_BAD: gpg's reason alone */
};

/* How an MX host is authenticated for a domain (RFC 7672, RFC 8461). */
enum mx_mode {
	MX_NONE,		/* Web PKI checked, but the MX name is not
				   authenticated: trust none */
	MX_MTA_STS,		/* listed by an enforce policy: trust mta-sts */
	MX_DANE,		/* TLSA records: trust dnssec */
	MX_FAIL			/* authentication required but broken (bogus
				   or failed TLSA lookup): never used */
};

/* Most addresses of one MX host handed to libcurl. */
#define MX_MAX_ADDRS 8
/* "HOST:PORT:[ADDR],..." for CURLOPT_RESOLVE. */
#define RESOLVE_MAX (GETK_DNS_NAME_MAX + 8 + MX_MAX_ADDRS * 48)

/* What DNS round 2 said of one MX host. */
struct mx_info {
	char host[GETK_DNS_NAME_MAX];
	/* Its addresses from getk's own resolver, so that libcurl connects
	 * where this resolver (dns_server, DNSSEC) says, not where the
	 * system's would; "" leaves resolving to libcurl. */
	char resolve[RESOLVE_MAX];
	int addr_insecure;		/* an address answer not secure */
	int want_tlsa;			/* some secure MX set names it */
	struct getk_tlsa rr[GETK_TLSA_MAX];
	size_t n;			/* usable TLSA records */
	int tlsa_secure;
	enum getk_err err;		/* a failed or bogus answer */
	char why[200];
	size_t q_a, q_aaaa, q_tlsa;
};

struct mx_host {
	unsigned pref;
	char name[GETK_DNS_NAME_MAX];
	enum mx_mode mode;
	const struct mx_info *info;	/* from DNS round 2 */
};

struct group;
struct engine;

/* A domain and what DNS and MTA-STS said of it. */
struct domain {
	struct engine *e;
	const char *name;
	struct mx_host mx[MAX_MX];
	size_t nmx;
	int mx_secure;			/* the MX RRset is DNSSEC-secure */
	enum finding_state status;	/* F_UNASKED: MX hosts to ask */
	char why[300];
	struct group *group;

	/* MTA-STS (RFC 8461). */
	char sts_id[33];		/* from the TXT record, or "" */
	struct getk_mtasts_policy policy;
	int have_policy;		/* policy is valid */
	int policy_fetched;		/* ... and new: store it */
	time_t policy_expires;

	int wkd_advanced;		/* openpgpkey.DOMAIN exists */
	size_t q_mx, q_txt, q_a, q_aaaa;	/* DNS round 1 queries */
};

/* One address and what each source found. */
struct address {
	struct engine *e;
	size_t idx;			/* into results and mailboxes */
	const char *mailbox;
	struct domain *domain;
	struct finding f[GETK_NSOURCES];	/* by enum getk_source */
	size_t pending;			/* sources still at work (lock) */
	/* Held while a key for this address is verified, so that the same
	 * bytes offered by several sources are verified once. */
	pthread_mutex_t verify_lock;
	size_t q_dane[2];		/* OPENPGPKEY as given, lower-cased */
	size_t ndane;
};

/* Addresses whose domains share one MX host list and its modes. */
struct group {
	struct engine *e;
	struct mx_host *mx;		/* the first domain's list */
	size_t nmx;
	struct address **addrs;
	size_t naddrs;
};

struct engine {
	const struct getk_lookup_settings *s;
	/* What the cache knew of each address, or NULL (read only). */
	struct getk_store_entry *const *known;
	const char *const *mailboxes;
	struct getk_result *results;
	struct address *addrs;
	size_t naddrs;
	struct domain *domains;
	size_t ndomains;
	struct group *groups;
	size_t ngroups;
	struct mx_info *mxi;		/* one per distinct MX host */
	size_t nmxi;
	int use[GETK_NSOURCES];		/* sources enabled */
	struct getk_pool *pool;
	int relay_auth_failed;		/* written by the relay task */
	struct getk_https_share *https;	/* WKD and MTA-STS connections */
	struct getk_dns_query *q;	/* round 1 */
	size_t nq;
	size_t settled;			/* guarded by lock */
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
	char msg[1024];
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

/* Sets a finding's state and reason (formatted). */
static void set_finding(struct finding *f, enum finding_state state,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
set_finding(struct finding *f, enum finding_state state, const char *fmt,
    ...)
{
	va_list ap;

	f->state = state;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}

/* One source of A is done: reports progress when it was the last. */
static void
source_done(struct address *a)
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
			set_finding(f, F_BAD, "a key was offered by %s but "
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
	err = getk_key_verify(a->mailbox, data, len, e->s->tmpdir, &key, why,
	    sizeof(why), f->revoked);
	if (err == GETK_ERR_BADKEY) {
		snprintf(f->verdict, sizeof(f->verdict), "%s", why);
		set_finding(f, F_BAD, "a key was offered by %s but failed "
		    "verification: %s", origin, why);
		goto leave;
	}
	if (err) {
		/* Not a verdict on the bytes: another source may retry. */
		f->sha256[0] = '\0';
		set_finding(f, F_TEMP, "cannot verify the key from %s: %s",
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

	d->status = F_UNASKED;
	if (q->err) {
		/* A bogus answer is an attack or a broken zone: never taken
		 * for "no key" (RFC 7672 2.2). */
		d->status = F_TEMP;
		snprintf(d->why, sizeof(d->why), "%s", q->why);
		return;
	}
	if (q->nxdomain) {
		d->status = F_NOKEY;
		snprintf(d->why, sizeof(d->why), "domain %s does not exist",
		    d->name);
		return;
	}
	d->mx_secure = q->secure;
	for (i = 0; i < q->nrr; i++) {
		struct mx_host h;

		memset(&h, 0, sizeof(h));
		if (getk_dns_decode_mx(q->rdata[i], q->rdlen[i], &h.pref,
		    h.name)) {
			getk_log(s->log, GETK_LOG_INFO,
			    "%s: ignoring a malformed MX record", d->name);
			continue;
		}
		if (strcmp(h.name, ".") == 0) {
			/* RFC 7505: a null MX means no mail at all. */
			if (q->nrr == 1) {
				d->status = F_NOKEY;
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
		d->status = F_NOKEY;
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
		if (a[i].pref != b[i].pref || a[i].mode != b[i].mode ||
		    strcmp(a[i].name, b[i].name))
			return 0;
	return 1;
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
			set_finding(&a[i]->f[src], F_TEMP, "out of memory");
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
		set_finding(f, code / 100 == 5 ? F_NOKEY : F_TEMP,
		    "%s: %d%s%s %s", host, code, *getk_reply_enhanced(r) ?
		    " " : "", getk_reply_enhanced(r), getk_reply_text(r));
	}
	if (err == GETK_ERR_TOOBIG && done < n) {
		/* The key is over the limit: offered, but not usable. */
		set_finding(&a[done]->f[src], F_BAD, "a key was offered by %s "
		    "but failed verification: %s", host, why);
		done++;
	}
	if (err) {
		getk_log(a[0]->e->s->log, GETK_LOG_INFO, "%s", why);
		for (i = done; i < n; i++)
			set_finding(&a[i]->f[src], F_TEMP, "%s", why);
	}
leave:
	for (i = 0; replies && i < n; i++)
		getk_reply_free(replies[i]);
	free(replies);
	free(boxes);
}

/* Common SMTP session settings for the engine's GETK sessions. */
static void
smtp_settings(const struct getk_lookup_settings *s,
    struct getk_smtp_settings *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ca_file = s->tls_trust_file;
	ss->connect_to = s->connect_to;
	ss->timeout_ms = s->timeout_ms;
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
	if (!open)
		return;
	for (i = 0; i < g->naddrs; i++)
		if (still_open(&g->addrs[i]->f[GETK_SOURCE_GETK]))
			open[nopen++] = g->addrs[i];
	if (!nopen)
		goto leave;
	if (mx->mode == MX_FAIL) {
		for (i = 0; i < nopen; i++)
			set_finding(&open[i]->f[GETK_SOURCE_GETK], F_TEMP,
			    "%s: not used: %s", mx->name, mx->info->why);
		goto leave;
	}
	smtp_settings(s, &ss);
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
				set_finding(f, F_TEMP, "%s", why);
		}
		goto leave;
	}
	exchange(smtp, mx->name, open, nopen, GETK_SOURCE_GETK,
	    mode_trust(mx->mode));
leave:
	getk_smtp_close(smtp);
	free(open);
}

static void
getk_task(void *arg)
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
		source_done(g->addrs[i]);
	}
}

/* The relay source: GETK at the user's relay after AUTH (GETK.md 7). */
static void
relay_task(void *arg)
{
	struct engine *e = arg;
	const struct getk_lookup_settings *s = e->s;
	const struct getk_lookup_relay *rl = &s->relay;
	struct getk_smtp_settings ss;
	struct getk_smtp *smtp = NULL;
	struct address **all = NULL;
	char why[300];
	size_t i;
	enum getk_err err;

	all = calloc(e->naddrs, sizeof(*all));
	if (!all)
		goto leave;
	for (i = 0; i < e->naddrs; i++)
		all[i] = &e->addrs[i];
	smtp_settings(s, &ss);
	ss.host = rl->host;
	ss.port = rl->port;
	ss.implicit_tls = rl->implicit_tls;
	ss.user = rl->user;
	ss.password = rl->password;
	ss.auth_method = rl->auth_method;
	getk_log(s->log, GETK_LOG_INFO, "asking the relay %s for %zu "
	    "address%s", rl->host, e->naddrs, e->naddrs == 1 ? "" : "es");
	err = getk_smtp_open(&ss, &smtp, why, sizeof(why));
	if (!err && !getk_smtp_getk_verb(smtp)) {
		for (i = 0; i < e->naddrs; i++)
			set_finding(&all[i]->f[GETK_SOURCE_RELAY], F_NOKEY,
			    "the relay %s does not offer GETK", rl->host);
		goto leave;
	}
	if (err) {
		e->relay_auth_failed = err == GETK_ERR_AUTH;
		getk_log(s->log, GETK_LOG_INFO, "relay: %s", why);
		for (i = 0; i < e->naddrs; i++)
			set_finding(&all[i]->f[GETK_SOURCE_RELAY], F_TEMP,
			    "%s", why);
		goto leave;
	}
	exchange(smtp, rl->host, all, e->naddrs, GETK_SOURCE_RELAY,
	    GETK_TRUST_RELAY);
leave:
	getk_smtp_close(smtp);
	for (i = 0; all && i < e->naddrs; i++)
		source_done(all[i]);
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
		set_finding(f, F_BAD, "a key was offered by %s but failed "
		    "verification: the answer is empty", host);
	} else if (getk_wkd_is_armored((const unsigned char *)body->data,
	    body->len)) {
		if (getk_wkd_dearmor(body->data, body->len, &bin) != GETK_OK)
			set_finding(f, F_BAD, "a key was offered by %s but "
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
static void
wkd_task(void *arg)
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
		set_finding(f, F_NOKEY, "no WKD URL for %s", a->mailbox);
		goto leave;
	}
	for (hop = 0; hop <= WKD_MAX_REDIRECTS; hop++) {
		err = getk_https_get(&hs, url, &reply, why, sizeof(why));
		if (err == GETK_ERR_TOOBIG) {
			set_finding(f, F_BAD, "a key was offered by %s but "
			    "failed verification: %s", host, why);
			goto leave;
		}
		if (err == GETK_ERR_CONNECT) {
			/* No WKD server: most domains have none. */
			set_finding(f, F_NOKEY, "%s", why);
			goto leave;
		}
		if (err) {
			set_finding(f, F_TEMP, "%s", why);
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
				set_finding(f, F_NOKEY, "%s redirects "
				    "off the domain, to %s; not followed", url,
				    reply.location);
				goto leave;
			}
			getk_log(a->e->s->log, GETK_LOG_DEBUG, "%s "
			    "redirects to %s", url, reply.location);
			free(url);
			url = strdup(reply.location);
			if (!url) {
				set_finding(f, F_TEMP, "out of memory");
				goto leave;
			}
			continue;
		}
		set_finding(f, reply.status >= 500 ? F_TEMP : F_NOKEY,
		    "%s: HTTP %ld", url, reply.status);
		goto leave;
	}
	set_finding(f, F_NOKEY, "more than %d redirects",
	    WKD_MAX_REDIRECTS);
leave:
	free(url);
	source_done(a);
}

/*
 * The dane source for one address: the DNSSEC-secure OPENPGPKEY answer,
 * for the local part as given, else ASCII-lower-cased (RFC 7929 3).
 */
static void
dane_task(void *arg)
{
	struct address *a = arg;
	struct finding *f = &a->f[GETK_SOURCE_DANE];
	struct getk_buf keys;
	size_t k, i;

	getk_buf_init(&keys, a->e->s->max_octets);
	set_finding(f, F_NOKEY, "no OPENPGPKEY record");
	for (k = 0; k < a->ndane; k++) {
		const struct getk_dns_query *q = &a->e->q[a->q_dane[k]];

		if (q->err == GETK_ERR_DNS_BOGUS) {
			/* An attack or a broken zone, never "no key". */
			set_finding(f, F_TEMP, "OPENPGPKEY %s: %s", q->name,
			    q->why);
			goto leave;
		}
		if (q->err) {
			set_finding(f, F_TEMP, "OPENPGPKEY %s: %s", q->name,
			    q->why);
			continue;
		}
		if (q->nrr == 0)
			continue;
		if (!q->secure) {
			set_finding(f, F_NOKEY, "OPENPGPKEY %s is not "
			    "DNSSEC-signed; ignored", q->name);
			continue;
		}
		for (i = 0; i < q->nrr; i++)
			if (getk_buf_add(&keys, q->rdata[i], q->rdlen[i])) {
				set_finding(f, F_BAD, "a key was offered by "
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
	source_done(a);
}

/*
 * Fetches the MTA-STS policy of a domain (RFC 8461 3.3): HTTPS with a
 * valid certificate, status 200 and no redirect, text/plain.
 */
static void
policy_task(void *arg)
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

/* The id of a domain's MTA-STS TXT answer (RFC 8461 3.1), or "". */
static void
take_sts_txt(struct domain *d, const struct getk_dns_query *q)
{
	char text[1024], id[33] = "";
	size_t i, found = 0;

	d->sts_id[0] = '\0';
	for (i = 0; !q->err && i < q->nrr; i++) {
		const unsigned char *p = q->rdata[i];
		size_t len = q->rdlen[i], pos = 0, tl = 0;

		/* Character strings, concatenated. */
		while (pos < len) {
			size_t n = p[pos++];

			if (n > len - pos || tl + n >= sizeof(text))
				break;
			memcpy(text + tl, p + pos, n);
			tl += n;
			pos += n;
		}
		if (pos != len || tl < 8 || strncmp(text, "v=STSv1;", 8) != 0)
			continue;
		/* Every STSv1 record counts, valid or not. */
		found++;
		if (getk_mtasts_parse_txt(text, tl, id) == GETK_OK)
			memcpy(d->sts_id, id, sizeof(id));
		else
			id[0] = '\0';
	}
	/* Several STSv1 records, or one that does not parse: as if there
	 * were none (RFC 8461 3.1). */
	if (found != 1 || !id[0])
		d->sts_id[0] = '\0';
}

/* The cached MTA-STS policy of D, when it is still in force. */
static void
cached_policy(const struct getk_lookup_settings *s, struct domain *d,
    char *cached_id, size_t idsz)
{
	struct getk_store_policy sp;
	char why[300];

	cached_id[0] = '\0';
	if (!s->store || getk_store_get_policy(s->store, d->name, &sp, why,
	    sizeof(why)) != GETK_OK || !sp.text)
		return;
	if (sp.expires > getk_now() && getk_mtasts_parse_policy(sp.text,
	    strlen(sp.text), &d->policy, why, sizeof(why)) == GETK_OK) {
		d->have_policy = 1;
		d->policy_expires = sp.expires;
		snprintf(cached_id, idsz, "%s", sp.id);
	}
	getk_store_policy_clear(&sp);
}

/* Adds a query for NAME (copied into the engine) to round 1. */
static size_t
add_query(struct engine *e, char (*names)[QNAME_MAX],
    const char *name, int type)
{
	size_t i = e->nq++;

	snprintf(names[i], QNAME_MAX, "%s", name);
	e->q[i].name = names[i];
	e->q[i].type = type;
	return i;
}

/* The domains of the batch, each once. */
static enum getk_err
find_domains(struct engine *e)
{
	size_t i, k;

	e->domains = calloc(e->naddrs ? e->naddrs : 1, sizeof(*e->domains));
	if (!e->domains)
		return GETK_ERR_NOMEM;
	for (i = 0; i < e->naddrs; i++) {
		const char *dom = getk_mailbox_domain(e->addrs[i].mailbox);

		for (k = 0; k < e->ndomains; k++)
			if (strcmp(e->domains[k].name, dom) == 0)
				break;
		if (k == e->ndomains) {
			e->domains[k].e = e;
			e->domains[k].name = dom;
			e->domains[k].status = F_UNASKED;
			e->ndomains++;
		}
		e->addrs[i].domain = &e->domains[k];
	}
	return GETK_OK;
}

/*
 * DNS round 1: MX and _mta-sts TXT (getk), the advanced WKD host (wkd),
 * OPENPGPKEY as given and lower-cased (dane).  NAMES holds the owner
 * names.
 */
static enum getk_err
round1(struct engine *e, struct getk_dns *dns, char (*names)[QNAME_MAX])
{
	char name[QNAME_MAX];
	size_t i;

	for (i = 0; i < e->ndomains; i++) {
		struct domain *d = &e->domains[i];

		if (e->use[GETK_SOURCE_GETK]) {
			d->q_mx = add_query(e, names, d->name, GETK_RR_MX);
			snprintf(name, sizeof(name), "_mta-sts.%s", d->name);
			d->q_txt = add_query(e, names, name, GETK_RR_TXT);
		}
		if (e->use[GETK_SOURCE_WKD]) {
			snprintf(name, sizeof(name), "openpgpkey.%s", d->name);
			d->q_a = add_query(e, names, name, GETK_RR_A);
			d->q_aaaa = add_query(e, names, name, GETK_RR_AAAA);
		}
	}
	for (i = 0; e->use[GETK_SOURCE_DANE] && i < e->naddrs; i++) {
		struct address *a = &e->addrs[i];
		size_t len = (size_t)(a->domain->name - 1 - a->mailbox), k;
		char local[GETK_DNS_NAME_MAX];
		int upper = 0;

		if (len >= sizeof(local))
			continue;
		memcpy(local, a->mailbox, len);
		local[len] = '\0';
		if (getk_dane_openpgpkey_name(local, len, a->domain->name, name,
		    sizeof(name)) != GETK_OK || strlen(name) >=
		    GETK_DNS_NAME_MAX)
			continue;
		a->q_dane[a->ndane++] = add_query(e, names, name,
		    GETK_RR_OPENPGPKEY);
		for (k = 0; k < len; k++)
			if (local[k] >= 'A' && local[k] <= 'Z') {
				local[k] = (char)(local[k] - 'A' + 'a');
				upper = 1;
			}
		if (upper && getk_dane_openpgpkey_name(local, len,
		    a->domain->name, name, sizeof(name)) == GETK_OK &&
		    strlen(name) < GETK_DNS_NAME_MAX)
			a->q_dane[a->ndane++] = add_query(e, names, name,
			    GETK_RR_OPENPGPKEY);
	}
	return getk_dns_resolve(dns, e->q, e->nq, e->s->timeout_ms);
}

/* Non-zero when the answer says the name has no such records. */
static int
no_records(const struct getk_dns_query *q)
{
	return !q->err && (q->nxdomain || q->nrr == 0);
}

/* What round 2 said of HOST, or NULL. */
static struct mx_info *
find_info(struct engine *e, const char *host)
{
	size_t i;

	for (i = 0; i < e->nmxi; i++)
		if (strcmp(e->mxi[i].host, host) == 0)
			return &e->mxi[i];
	return NULL;
}

/* Adds the addresses of an A or AAAA answer to I's resolve list. */
static void
take_addrs(struct mx_info *in, const struct getk_dns_query *q, int port)
{
	char addr[INET6_ADDRSTRLEN];
	size_t i, len;

	if (q->err) {
		/* A bogus address is an attack: never connect there.  A
		 * failed lookup leaves resolving to libcurl. */
		if (q->err == GETK_ERR_DNS_BOGUS && !in->err) {
			in->err = q->err;
			snprintf(in->why, sizeof(in->why), "%s", q->why);
		}
		return;
	}
	if (q->nrr && !q->secure)
		in->addr_insecure = 1;
	for (i = 0; i < q->nrr && i < MX_MAX_ADDRS; i++) {
		int af = q->type == GETK_RR_A ? AF_INET : AF_INET6;

		if (q->rdlen[i] != (af == AF_INET ? 4u : 16u) ||
		    !inet_ntop(af, q->rdata[i], addr, sizeof(addr)))
			continue;
		len = strlen(in->resolve);
		if (!len)
			len = (size_t)snprintf(in->resolve, sizeof(in->resolve),
			    "%s:%d:", in->host, port);
		else if (len < sizeof(in->resolve) - 1)
			in->resolve[len++] = ',';
		if (len < sizeof(in->resolve))
			snprintf(in->resolve + len, sizeof(in->resolve) - len,
			    af == AF_INET ? "%s" : "[%s]", addr);
	}
}

/* Takes a TLSA answer (RFC 7672 2.2): the usable records, if secure. */
static void
take_tlsa(const struct getk_lookup_settings *s, struct mx_info *in,
    const struct getk_dns_query *q)
{
	size_t m;

	if (q->err) {
		/* Bogus or failed: the host cannot be authenticated, and is
		 * not used in its place (RFC 7672 2.2). */
		in->err = q->err;
		snprintf(in->why, sizeof(in->why), "TLSA %s: %s", q->name,
		    q->why);
		return;
	}
	in->tlsa_secure = q->secure;
	for (m = 0; in->tlsa_secure && m < q->nrr && in->n < GETK_TLSA_MAX;
	    m++) {
		if (getk_tlsa_parse(q->rdata[m], q->rdlen[m],
		    &in->rr[in->n]) != GETK_OK)
			continue;
		if (getk_tlsa_usable(&in->rr[in->n]))
			in->n++;
		else
			getk_tlsa_clear(&in->rr[in->n]);
	}
	getk_log(s->log, GETK_LOG_DEBUG, "%s: %s, %zu usable TLSA record%s",
	    q->name, in->tlsa_secure ? "secure" : "insecure", in->n,
	    in->n == 1 ? "" : "s");
}

/*
 * DNS round 2, for every MX host to be asked: its addresses, and, where a
 * DNSSEC-secure MX set names it, its TLSA records (RFC 7672 2.2).
 */
static enum getk_err
round2(struct engine *e, struct getk_dns *dns)
{
	const struct getk_lookup_settings *s = e->s;
	struct getk_dns_query *q = NULL;
	char (*names)[QNAME_MAX] = NULL;
	size_t i, m, max = 0, nq = 0;
	enum getk_err err = GETK_OK;

	for (i = 0; i < e->ndomains; i++)
		if (e->domains[i].status == F_UNASKED)
			max += e->domains[i].nmx;
	if (!max)
		return GETK_OK;
	e->mxi = calloc(max, sizeof(*e->mxi));
	q = calloc(3 * max, sizeof(*q));
	names = calloc(max, sizeof(*names));
	if (!e->mxi || !q || !names) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < e->ndomains; i++) {
		struct domain *d = &e->domains[i];

		if (d->status != F_UNASKED)
			continue;
		for (m = 0; m < d->nmx; m++) {
			struct mx_info *in = find_info(e, d->mx[m].name);

			if (!in) {
				in = &e->mxi[e->nmxi++];
				snprintf(in->host, sizeof(in->host), "%s",
				    d->mx[m].name);
				in->q_a = nq;
				q[nq].name = in->host;
				q[nq++].type = GETK_RR_A;
				in->q_aaaa = nq;
				q[nq].name = in->host;
				q[nq++].type = GETK_RR_AAAA;
			}
			if (d->mx_secure && !in->want_tlsa) {
				in->want_tlsa = 1;
				in->q_tlsa = nq;
				snprintf(names[in - e->mxi], sizeof(names[0]),
				    "_%d._tcp.%s", s->getk_port, in->host);
				q[nq].name = names[in - e->mxi];
				q[nq++].type = GETK_RR_TLSA;
			}
		}
	}
	err = getk_dns_resolve(dns, q, nq, s->timeout_ms);
	if (err)
		goto leave;
	for (i = 0; i < e->nmxi; i++) {
		struct mx_info *in = &e->mxi[i];

		if (in->want_tlsa)
			take_tlsa(s, in, &q[in->q_tlsa]);
		take_addrs(in, &q[in->q_a], s->getk_port);
		take_addrs(in, &q[in->q_aaaa], s->getk_port);
	}
leave:
	for (i = 0; q && i < nq; i++)
		getk_dns_query_clear(&q[i]);
	free(q);
	free(names);
	return err;
}

/*
 * Decides how each MX host of D is authenticated: DANE where the MX,
 * address and TLSA answers are secure and a TLSA record is usable (RFC
 * 7672 2.2; it takes precedence over MTA-STS, RFC 8461 2), else an
 * MTA-STS policy in enforce mode, under which hosts it does not list are
 * dropped.  A bogus answer, or a failed TLSA lookup where DANE may
 * apply, leaves the host unusable.
 */
static void
assign_modes(struct engine *e, struct domain *d)
{
	size_t m, kept = 0;
	int enforce = d->have_policy && d->policy.mode == GETK_MTASTS_ENFORCE;

	if (d->have_policy && d->policy.mode == GETK_MTASTS_TESTING)
		getk_log(e->s->log, GETK_LOG_INFO, "%s: MTA-STS policy in "
		    "testing mode: MX hosts not authenticated by it",
		    d->name);
	for (m = 0; m < d->nmx; m++) {
		struct mx_host *h = &d->mx[m];
		const struct mx_info *in = find_info(e, h->name);

		h->info = in;
		if (in && in->err == GETK_ERR_DNS_BOGUS) {
			h->mode = MX_FAIL;
		} else if (in && d->mx_secure && in->err) {
			h->mode = MX_FAIL;
		} else if (in && d->mx_secure && in->tlsa_secure && in->n &&
		    !in->addr_insecure) {
			h->mode = MX_DANE;
		} else if (enforce) {
			if (!getk_mtasts_mx_match(&d->policy, h->name)) {
				getk_log(e->s->log, GETK_LOG_INFO, "%s: MX %s "
				    "is not in the MTA-STS policy; not used",
				    d->name, h->name);
				continue;
			}
			h->mode = MX_MTA_STS;
		} else {
			h->mode = MX_NONE;
		}
		d->mx[kept++] = *h;
	}
	d->nmx = kept;
	if (!kept) {
		d->status = F_TEMP;
		snprintf(d->why, sizeof(d->why), "the MTA-STS policy of %s "
		    "(mode enforce) lists none of its MX hosts", d->name);
	}
}

/* Domains with equal MX hosts and modes form groups; each is a task. */
static enum getk_err
start_groups(struct engine *e)
{
	size_t i, k;

	e->groups = calloc(e->naddrs ? e->naddrs : 1, sizeof(*e->groups));
	if (!e->groups)
		return GETK_ERR_NOMEM;
	for (i = 0; i < e->naddrs; i++) {
		struct address *a = &e->addrs[i];
		struct domain *d = a->domain;
		struct group *g;

		if (d->status != F_UNASKED) {
			set_finding(&a->f[GETK_SOURCE_GETK], d->status, "%s",
			    d->why);
			source_done(a);
			continue;
		}
		for (k = 0; !d->group && k < e->ngroups; k++)
			if (same_mx(e->groups[k].mx, e->groups[k].nmx, d->mx,
			    d->nmx))
				d->group = &e->groups[k];
		if (!d->group) {
			g = &e->groups[e->ngroups++];
			g->e = e;
			g->mx = d->mx;
			g->nmx = d->nmx;
			g->addrs = calloc(e->naddrs, sizeof(*g->addrs));
			if (!g->addrs)
				return GETK_ERR_NOMEM;
			d->group = g;
		}
		g = d->group;
		g->addrs[g->naddrs++] = a;
	}
	for (k = 0; k < e->ngroups; k++) {
		shuffle_mx(e->groups[k].mx, e->groups[k].nmx);
		getk_pool_add(e->pool, TAG_SOURCE, getk_task, &e->groups[k]);
	}
	return GETK_OK;
}

/* Appends "SRC: WHY" to a list of reasons. */
static void
add_reason(char *buf, size_t sz, enum getk_source src, const char *why)
{
	size_t len = strlen(buf);

	if (len + 4 >= sz)
		return;
	snprintf(buf + len, sz - len, "%s%s: %s", len ? "; " : "",
	    getk_source_name(src), why);
}

/*
 * Makes A's result from its findings (DESIGN.md Trust): authenticated
 * sources that disagree fail the lookup; an unauthenticated key that
 * disagrees with an authenticated one is dropped; the key reported is
 * the preferred authenticated one, else the preferred one; every source
 * that offered the same key is listed as agreeing.
 */
static void
corroborate(struct engine *e, struct address *a, struct getk_result *r)
{
	const struct getk_lookup_settings *s = e->s;
	struct finding *chosen = NULL, *f;
	enum getk_source src, csrc = GETK_SOURCE_GETK, asrc = GETK_SOURCE_GETK;
	struct finding *auth = NULL;
	char reasons[1024] = "";
	size_t i;
	int bad = 0, temp = 0;

	for (i = 0; i < s->nsources; i++) {
		src = s->sources[i];
		f = &a->f[src];
		if (f->revoked[0] && !r->revoked_fpr[0])
			memcpy(r->revoked_fpr, f->revoked, 41);
		if (f->state != F_KEY || f->trust == GETK_TRUST_NONE)
			continue;
		if (!auth) {
			auth = f;
			asrc = src;
		} else if (strcmp(auth->key->fpr, f->key->fpr) != 0) {
			set_result(r, GETK_STATUS_CONFLICT, "authenticated "
			    "sources disagree: %s (trust %s) offers %s, %s "
			    "(trust %s) offers %s; neither is used",
			    getk_source_name(asrc), getk_trust_name(auth->trust),
			    auth->key->fpr, getk_source_name(src),
			    getk_trust_name(f->trust), f->key->fpr);
			return;
		}
	}
	chosen = auth;
	csrc = asrc;
	for (i = 0; !chosen && i < s->nsources; i++)
		if (a->f[s->sources[i]].state == F_KEY) {
			csrc = s->sources[i];
			chosen = &a->f[csrc];
		}
	if (chosen) {
		r->nagreed = 0;
		for (i = 0; i < s->nsources; i++) {
			src = s->sources[i];
			f = &a->f[src];
			if (f->state != F_KEY)
				continue;
			if (strcmp(f->key->fpr, chosen->key->fpr) == 0) {
				r->agreed[r->nagreed].source = src;
				r->agreed[r->nagreed++].trust = f->trust;
				continue;
			}
			getk_log(s->log, GETK_LOG_WARN, "%s: the key %s from %s "
			    "(trust %s) disagrees with %s from %s (trust %s); "
			    "dropped", a->mailbox, f->key->fpr,
			    getk_source_name(src), getk_trust_name(f->trust),
			    chosen->key->fpr, getk_source_name(csrc),
			    getk_trust_name(chosen->trust));
		}
		set_result(r, GETK_STATUS_FOUND, NULL);
		r->key = chosen->key;
		chosen->key = NULL;
		r->source = csrc;
		r->trust = chosen->trust;
		r->fetched = getk_now();
		memcpy(r->offered_sha256, chosen->sha256, 65);
		return;
	}
	/* No key: the gravest failure speaks (65 before 75 before 67). */
	for (i = 0; i < s->nsources; i++) {
		f = &a->f[s->sources[i]];
		bad |= f->state == F_BAD;
		temp |= f->state == F_TEMP;
	}
	for (i = 0; i < s->nsources; i++) {
		f = &a->f[s->sources[i]];
		if (f->state == F_UNASKED || (bad && f->state != F_BAD) ||
		    (!bad && temp && f->state != F_TEMP))
			continue;
		add_reason(reasons, sizeof(reasons), s->sources[i], f->why);
	}
	if (bad)
		set_result(r, GETK_STATUS_BADKEY, "%s", reasons);
	else if (temp)
		set_result(r, GETK_STATUS_TEMPFAIL, "%s", reasons);
	else if (reasons[0])
		set_result(r, GETK_STATUS_NOKEY, "no key: %s", reasons);
	else
		set_result(r, GETK_STATUS_NOKEY, "no configured source has a "
		    "key");
}

/* The DNS resolver of the engine's settings. */
static enum getk_err
open_dns(const struct getk_lookup_settings *s, struct getk_dns **r_dns,
    char **r_msg)
{
	struct getk_dns_settings ds;

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
	return getk_dns_new(&ds, r_dns, r_msg);
}

/* Starts the tasks that round 1 made possible. */
static void
after_round1(struct engine *e)
{
	const struct getk_lookup_settings *s = e->s;
	char cached_id[64];
	size_t i;

	for (i = 0; i < e->ndomains; i++) {
		struct domain *d = &e->domains[i];

		if (e->use[GETK_SOURCE_WKD])
			d->wkd_advanced = !(no_records(&e->q[d->q_a]) &&
			    no_records(&e->q[d->q_aaaa]));
		if (!e->use[GETK_SOURCE_GETK])
			continue;
		take_mx(s, d, &e->q[d->q_mx]);
		getk_log(s->log, GETK_LOG_DEBUG, "%s: %zu MX host%s (%s)%s%s",
		    d->name, d->nmx, d->nmx == 1 ? "" : "s", d->mx_secure ?
		    "secure" : "insecure", d->why[0] ? ": " : "", d->why);
		if (d->status != F_UNASKED)
			continue;
		take_sts_txt(d, &e->q[d->q_txt]);
		cached_policy(s, d, cached_id, sizeof(cached_id));
		/* A TXT id that changed, or no policy in force: fetch.
		 * Without a TXT record, a cached policy stays in force
		 * (RFC 8461 5.1). */
		if (d->sts_id[0] && (!d->have_policy ||
		    strcmp(cached_id, d->sts_id) != 0))
			getk_pool_add(e->pool, TAG_POLICY, policy_task, d);
	}
	for (i = 0; i < e->naddrs; i++) {
		if (e->use[GETK_SOURCE_WKD])
			getk_pool_add(e->pool, TAG_SOURCE, wkd_task,
			    &e->addrs[i]);
		if (e->use[GETK_SOURCE_DANE])
			getk_pool_add(e->pool, TAG_SOURCE, dane_task,
			    &e->addrs[i]);
	}
}

/* Stores the MTA-STS policies fetched in this batch. */
static void
store_policies(struct engine *e)
{
	struct getk_store_policy sp;
	char why[300];
	size_t i;

	for (i = 0; e->s->store && i < e->ndomains; i++) {
		struct domain *d = &e->domains[i];

		if (!d->policy_fetched)
			continue;
		memset(&sp, 0, sizeof(sp));
		sp.id = d->sts_id;
		sp.fetched = getk_now();
		sp.expires = d->policy_expires;
		if (getk_mtasts_policy_text(&d->policy, &sp.text) != GETK_OK)
			continue;
		if (getk_store_put_policy(e->s->store, d->name, &sp, why,
		    sizeof(why)) != GETK_OK)
			getk_log(e->s->log, GETK_LOG_WARN, "%s", why);
		free(sp.text);
	}
}

/*
 * Asks the network about the N addresses of BOXES and fills RESULTS,
 * whose address members are set already.
 */
static enum getk_err
network_lookup(const struct getk_lookup_settings *settings,
    const char **boxes, size_t n, struct getk_result *results,
    struct getk_store_entry *const *known, char **r_msg)
{
	struct engine e;
	struct getk_dns *dns = NULL;
	char (*names)[QNAME_MAX] = NULL;
	size_t i, k, nsrc = 0;
	enum getk_err err = GETK_OK;

	memset(&e, 0, sizeof(e));
	e.s = settings;
	e.results = results;
	e.mailboxes = boxes;
	e.known = known;
	e.naddrs = n;
	pthread_mutex_init(&e.lock, NULL);
	for (i = 0; i < n; i++)
		set_result(&results[i], GETK_STATUS_NOKEY,
		    "no configured source has a key");
	for (i = 0; i < settings->nsources; i++) {
		enum getk_source src = settings->sources[i];

		if (src == GETK_SOURCE_RELAY && (!settings->relay.host ||
		    settings->relay.no_tls)) {
			getk_log(settings->log, GETK_LOG_DEBUG, "source relay: "
			    "%s", settings->relay.host ? "the relay is used "
			    "without TLS: no GETK there" : "no relay host");
			continue;
		}
		if (src < GETK_NSOURCES && !e.use[src]) {
			e.use[src] = 1;
			nsrc++;
		}
	}
	if (!nsrc || n == 0)
		goto leave;

	e.addrs = calloc(n, sizeof(*e.addrs));
	e.q = calloc(4 * n + 2 * n, sizeof(*e.q));
	names = calloc(4 * n + 2 * n, sizeof(*names));
	if (!e.addrs || !e.q || !names) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < n; i++) {
		e.addrs[i].e = &e;
		e.addrs[i].idx = i;
		e.addrs[i].mailbox = boxes[i];
		e.addrs[i].pending = nsrc;
		pthread_mutex_init(&e.addrs[i].verify_lock, NULL);
	}
	err = find_domains(&e);
	if (!err && (e.use[GETK_SOURCE_WKD] || e.use[GETK_SOURCE_GETK]))
		err = getk_https_share_new(&e.https);
	if (!err)
		err = getk_pool_new(settings->jobs ? settings->jobs : 8,
		    &e.pool);
	if (err)
		goto leave;
	if (e.use[GETK_SOURCE_RELAY])
		getk_pool_add(e.pool, TAG_SOURCE, relay_task, &e);
	if (e.use[GETK_SOURCE_GETK] || e.use[GETK_SOURCE_WKD] ||
	    e.use[GETK_SOURCE_DANE]) {
		err = open_dns(settings, &dns, r_msg);
		if (!err)
			err = round1(&e, dns, names);
		if (err)
			goto leave;
		after_round1(&e);
	}
	if (e.use[GETK_SOURCE_GETK]) {
		err = round2(&e, dns);
		getk_pool_wait(e.pool, TAG_POLICY);
		if (err)
			goto leave;
		for (k = 0; k < e.ndomains; k++)
			if (e.domains[k].status == F_UNASKED)
				assign_modes(&e, &e.domains[k]);
		err = start_groups(&e);
		if (err)
			goto leave;
	}
	getk_pool_wait(e.pool, TAG_SOURCE);
	for (i = 0; i < n; i++) {
		corroborate(&e, &e.addrs[i], &results[i]);
		results[i].relay_auth_failed = e.relay_auth_failed;
	}
	store_policies(&e);
leave:
	/* Every task is done before anything it uses is freed. */
	getk_pool_free(e.pool);
	getk_https_share_free(e.https);
	for (i = 0; e.addrs && i < n; i++) {
		for (k = 0; k < GETK_NSOURCES; k++)
			getk_key_free(e.addrs[i].f[k].key);
		pthread_mutex_destroy(&e.addrs[i].verify_lock);
	}
	for (i = 0; i < e.nq; i++)
		getk_dns_query_clear(&e.q[i]);
	for (i = 0; i < e.nmxi; i++)
		for (k = 0; k < e.mxi[i].n; k++)
			getk_tlsa_clear(&e.mxi[i].rr[k]);
	for (i = 0; i < e.ngroups; i++)
		free(e.groups[i].addrs);
	free(e.groups);
	free(e.mxi);
	free(e.domains);
	free(e.addrs);
	free(e.q);
	free(names);
	getk_dns_free(dns);
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
	ls->relay.host = a->host;
	ls->relay.no_tls = !a->tls;
	ls->relay.implicit_tls = a->tls && !a->tls_starttls;
	ls->relay.port = a->port ? a->port : ls->relay.implicit_tls ? 465 :
	    587;
	if (a->user && !(a->auth && strcmp(a->auth, "off") == 0)) {
		ls->relay.user = a->user;
		ls->relay.password = a->password;
		if (a->auth && strcmp(a->auth, "on") != 0)
			ls->relay.auth_method = a->auth;
	}
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
	set_result(r, GETK_STATUS_FOUND, NULL);
	r->source = GETK_SOURCE_CACHE;
	r->trust = getk_trust_parse(ce->key->trust);
	r->fetched = ce->key->fetched;
	r->cache = event;
	parse_agreed(ce->key->sources, r->trust, r);
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
	char why[300], agreed[128];
	enum getk_err err = GETK_OK;

	why[0] = '\0';
	if (r->status == GETK_STATUS_FOUND) {
		store_key_of(r, now, &sk, agreed, sizeof(agreed));
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
