/*
 * source-smtp.c: the two sources that ask GETK over SMTP (GETK.md 6 and
 * 7): getk, at the MX hosts of each domain in preference order, with the
 * authentication DANE or MTA-STS gives them, and relay, at the user's
 * submission server after AUTH.  Both read the replies with one exchange.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "getkreply.h"
#include "smtp.h"

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
			getk_source_offer(a[i], src, trust, host, data, len);
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
	/* The submission may go on with the session (lookup.h): written
	 * here alone, read once the engine's tasks have ended. */
	if (!err && s->relay_session && !*s->relay_session &&
	    getk_smtp_sound(smtp)) {
		*s->relay_session = smtp;
		smtp = NULL;
	}
	getk_smtp_close(smtp);
	for (i = 0; all && i < e->naddrs; i++)
		getk_source_done(all[i]);
	free(all);
}
