/*
 * source-wkd.c: the wkd source (draft-koch-openpgp-webkey-service): one
 * HTTPS request per address, advanced or direct method, redirects only
 * within the domain, binary or armored keys.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "wkd.h"

/* Largest WKD answer (GnuPG's limit too). */
#define WKD_MAX (256 * 1024)
/* Most redirects followed within the domain for one WKD lookup. */
#define WKD_MAX_REDIRECTS 3

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
			getk_source_offer(a, GETK_SOURCE_WKD, GETK_TRUST_WEBPKI, host,
			    (const unsigned char *)bin.data, bin.len);
	} else {
		getk_source_offer(a, GETK_SOURCE_WKD, GETK_TRUST_WEBPKI, host,
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

	getk_source_https_settings(a->e, WKD_MAX, &hs);
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
