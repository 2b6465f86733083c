/*
 * engine.c: the lookup engine.
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
 * Tasks run on a pool of worker threads.  Each source of an address
 * writes only its own finding; when all are in, the main thread verifies
 * every key offered in the batch together (a few gpg processes, not
 * three per key: on two cores those cost more than the network's
 * waits), then corroborates the findings into each address's result.
 */
#include <config.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "engine.h"

/* Room for an owner name made from a domain name and a prefix; names
 * over 255 octets fail in the resolver. */
#define QNAME_MAX (GETK_DNS_NAME_MAX + 32)
/* The niceness of the thread that makes the GnuPG homes. */
#define WARM_NICE 10

/* Pool tags: the policy fetches are waited for on their own. */
enum { TAG_SOURCE, TAG_POLICY };

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

/*
 * The id of a domain's MTA-STS TXT answer, or "": every record that
 * starts with "v=STSv1;" counts, and anything but exactly one, valid, is
 * as if there were none (RFC 8461 3.1).
 */
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
		found++;
		if (getk_mtasts_parse_txt(text, tl, id) != GETK_OK)
			id[0] = '\0';
	}
	if (found == 1)
		memcpy(d->sts_id, id, sizeof(id));
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
	return getk_dns_resolve(dns, e->q, e->nq, getk_engine_op_timeout(e));
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
	err = getk_dns_resolve(dns, q, nq, getk_engine_op_timeout(e));
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
			getk_finding_set(&a->f[GETK_SOURCE_GETK], d->status, "%s",
			    d->why);
			getk_source_done(a);
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
		getk_pool_add(e->pool, TAG_SOURCE, getk_source_getk, &e->groups[k]);
	}
	return GETK_OK;
}

/* The trust rules' view of a finding (trust.h). */
static enum getk_finding_state
view_state(enum finding_state st)
{
	switch (st) {
	case F_KEY: return GETK_FINDING_KEY;
	case F_NOKEY: return GETK_FINDING_NOKEY;
	case F_TEMP: return GETK_FINDING_TEMP;
	case F_BAD: return GETK_FINDING_BAD;
	case F_OFFERED: return GETK_FINDING_TEMP;	/* never by now */
	case F_UNASKED: break;
	}
	return GETK_FINDING_UNASKED;
}

/*
 * Makes A's result from its findings by the trust rules
 * (getk_trust_corroborate), and warns of keys dropped because they
 * disagree with an authenticated one: that may be an attack.
 */
static void
corroborate(struct engine *e, struct address *a, struct getk_result *r)
{
	const struct getk_lookup_settings *s = e->s;
	struct getk_finding_view v[GETK_NSOURCES];
	struct getk_corroboration c;
	struct finding *chosen;
	size_t i;

	for (i = 0; i < GETK_NSOURCES; i++) {
		v[i].state = view_state(a->f[i].state);
		v[i].trust = a->f[i].trust;
		v[i].fpr = a->f[i].key ? a->f[i].key->fpr : NULL;
		v[i].why = a->f[i].why;
	}
	/* A revoked key offered by any source: the owner withdrew it. */
	for (i = 0; i < s->nsources && !r->revoked_fpr[0]; i++)
		if (s->sources[i] < GETK_NSOURCES &&
		    a->f[s->sources[i]].revoked[0])
			memcpy(r->revoked_fpr, a->f[s->sources[i]].revoked, 41);
	getk_trust_corroborate(v, s->sources, s->nsources, &c);
	if (c.status != GETK_STATUS_FOUND) {
		getk_result_set(r, c.status, "%s", c.reason);
		return;
	}
	chosen = &a->f[c.chosen];
	for (i = 0; i < c.ndropped; i++) {
		const struct finding *f = &a->f[c.dropped[i]];

		getk_log(s->log, GETK_LOG_WARN, "%s: the key %s from %s (trust "
		    "%s) disagrees with %s from %s (trust %s); dropped",
		    a->mailbox, f->key->fpr, getk_source_name(c.dropped[i]),
		    getk_trust_name(f->trust), chosen->key->fpr,
		    getk_source_name(c.chosen), getk_trust_name(chosen->trust));
	}
	memcpy(r->agreed, c.agreed, sizeof(r->agreed));
	r->nagreed = c.nagreed;
	getk_result_set(r, GETK_STATUS_FOUND, NULL);
	r->key = chosen->key;
	chosen->key = NULL;
	r->source = c.chosen;
	r->trust = chosen->trust;
	r->fetched = getk_now();
	memcpy(r->offered_sha256, chosen->sha256, 65);
}

/* The DNS resolver of the engine's settings. */
static enum getk_err
open_dns(const struct getk_lookup_settings *s, struct getk_dns **r_dns,
    char *why, size_t whysz)
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
	return getk_dns_new(&ds, r_dns, why, whysz);
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
			getk_pool_add(e->pool, TAG_POLICY, getk_source_policy, d);
	}
	for (i = 0; i < e->naddrs; i++) {
		if (e->use[GETK_SOURCE_WKD])
			getk_pool_add(e->pool, TAG_SOURCE, getk_source_wkd,
			    &e->addrs[i]);
		if (e->use[GETK_SOURCE_DANE])
			getk_pool_add(e->pool, TAG_SOURCE, getk_source_dane,
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

static void *
warm_thread(void *engine)
{
#ifdef SYS_gettid
	/* Linux: of this thread alone, and of the gpgs it starts.  When it
	 * fails nothing is lost: the thread runs at the priority it has. */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WARM_NICE);
#endif
	getk_sources_warm(engine);
	return NULL;
}

/* Waits for E's homes to be made; makes them here when no thread did. */
static void
warm_done(struct engine *e)
{
	if (e->warming) {
		pthread_join(e->warm, NULL);
		e->warming = 0;
	} else if (!e->ready && !e->ready_err) {
		getk_sources_warm(e);
	}
}

/*
 * Asks the network sources of E about all its addresses, and waits for
 * them to be done.  *DNS receives the resolver (the caller frees it).
 */
static enum getk_err
ask_network(struct engine *e, struct getk_dns **dns,
    char (*names)[QNAME_MAX], char *why, size_t whysz)
{
	const struct getk_lookup_settings *s = e->s;
	enum getk_err err;
	size_t k;

	err = find_domains(e);
	if (!err && (e->use[GETK_SOURCE_WKD] || e->use[GETK_SOURCE_GETK]))
		err = getk_https_share_new(&e->https);
	if (!err)
		err = getk_pool_new(s->jobs ? s->jobs : 8, &e->pool);
	if (err)
		return err;
	/* gpgme's probe of GnuPG and the homes' gpgs run while the sources
	 * wait for the network (every source may offer a key), in a thread
	 * of their own whose low priority, which the gpgs inherit, leaves
	 * the CPUs to the TLS handshakes first. */
	e->warming = pthread_create(&e->warm, NULL, warm_thread, e) == 0;
	if (e->use[GETK_SOURCE_RELAY])
		getk_pool_add(e->pool, TAG_SOURCE, getk_source_relay, e);
	if (e->use[GETK_SOURCE_GETK] || e->use[GETK_SOURCE_WKD] ||
	    e->use[GETK_SOURCE_DANE]) {
		err = open_dns(s, dns, why, whysz);
		if (!err)
			err = round1(e, *dns, names);
		if (err)
			return err;
		after_round1(e);
	}
	if (e->use[GETK_SOURCE_GETK]) {
		err = round2(e, *dns);
		getk_pool_wait(e->pool, TAG_POLICY);
		if (err)
			return err;
		for (k = 0; k < e->ndomains; k++)
			if (e->domains[k].status == F_UNASKED)
				assign_modes(e, &e->domains[k]);
		err = start_groups(e);
		if (err)
			return err;
	}
	getk_pool_wait(e->pool, TAG_SOURCE);
	return GETK_OK;
}

/*
 * Asks the network about the N addresses of BOXES and fills RESULTS,
 * whose address members are set already.
 */
enum getk_err
getk_engine_run(const struct getk_lookup_settings *settings,
    const char **boxes, size_t n, struct getk_result *results,
    struct getk_store_entry *const *known, struct finding *keyring,
    char *why, size_t whysz)
{
	struct engine e;
	struct getk_dns *dns = NULL;
	char (*names)[QNAME_MAX] = NULL;
	const char *skip;
	size_t i, k, nsrc = 0;
	enum getk_err err = GETK_OK;

	why[0] = '\0';
	memset(&e, 0, sizeof(e));
	e.s = settings;
	if (settings->deadline_ms)
		e.deadline = settings->deadline_ms;
	else if (settings->lookup_timeout_ms > 0)
		e.deadline = getk_mono_ms() + settings->lookup_timeout_ms;
	e.known = known;
	e.naddrs = n;
	pthread_mutex_init(&e.lock, NULL);
	for (i = 0; i < n; i++)
		getk_result_set(&results[i], GETK_STATUS_NOKEY,
		    "no configured source has a key");
	for (i = 0; i < settings->nsources; i++) {
		enum getk_source src = settings->sources[i];

		/* The relay answers GETK only after TLS and AUTH (GETK.md
		 * 7): without either, asking it costs a connection and
		 * can only bring a refusal. */
		if (src == GETK_SOURCE_RELAY &&
		    !getk_relay_answers_getk(&settings->relay, &skip)) {
			getk_log(settings->log, GETK_LOG_DEBUG, "source relay: "
			    "%s", skip);
			continue;
		}
		/* The keyring is asked before the engine runs (lookup.c):
		 * its findings come in with the addresses. */
		if (src == GETK_SOURCE_KEYRING)
			continue;
		if (src < GETK_NSOURCES && !e.use[src]) {
			e.use[src] = 1;
			nsrc++;
		}
	}
	if (n == 0 || (!nsrc && !keyring))
		goto leave;

	/* Round 1 asks at most 4 names per domain and 2 per address. */
	e.addrs = calloc(n, sizeof(*e.addrs));
	e.q = calloc(6 * n, sizeof(*e.q));
	names = calloc(6 * n, sizeof(*names));
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
		if (keyring) {
			e.addrs[i].f[GETK_SOURCE_KEYRING] = keyring[i];
			keyring[i].key = NULL;
		}
	}
	if (nsrc) {
		err = ask_network(&e, &dns, names, why, whysz);
		if (err)
			goto leave;
		warm_done(&e);
		getk_sources_verify(&e);
	}
	for (i = 0; i < n; i++) {
		corroborate(&e, &e.addrs[i], &results[i]);
		results[i].relay_auth_failed = e.relay_auth_failed;
	}
	store_policies(&e);
leave:
	/* Every task is done before anything it uses is freed. */
	getk_pool_free(e.pool);
	if (e.warming)
		pthread_join(e.warm, NULL);
	getk_key_home_free(e.ready);
	getk_https_share_free(e.https);
	for (i = 0; e.addrs && i < n; i++) {
		for (k = 0; k < GETK_NSOURCES; k++) {
			getk_key_free(e.addrs[i].f[k].key);
			free(e.addrs[i].f[k].offered);
		}
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
