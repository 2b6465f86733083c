/*
 * source-mtasts.c: the MTA-STS policy fetch (RFC 8461 3.3), not a source
 * of keys but of the MX hosts' authentication: it runs before the MX
 * hosts of a domain are judged.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "engine.h"

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

	getk_source_https_settings(d->e, GETK_MTASTS_MAX_POLICY, &hs);
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
