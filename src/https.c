/*
 * https.c: one HTTPS GET through libcurl.
 */
#include <config.h>

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "curlx.h"
#include "https.h"

/* What the share holds, each under a lock of its own. */
static const curl_lock_data shared[] = {
	CURL_LOCK_DATA_CONNECT, CURL_LOCK_DATA_SSL_SESSION, CURL_LOCK_DATA_DNS
};
#define NSHARED (sizeof(shared) / sizeof(shared[0]))

struct getk_https_share {
	CURLSH *sh;
	/* One lock per curl_lock_data value libcurl may ask for. */
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
};

static void
share_lock(CURL *curl, curl_lock_data data, curl_lock_access access,
    void *arg)
{
	struct getk_https_share *s = arg;

	(void)curl;
	(void)access;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&s->locks[data]);
}

static void
share_unlock(CURL *curl, curl_lock_data data, void *arg)
{
	struct getk_https_share *s = arg;

	(void)curl;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&s->locks[data]);
}

enum getk_err
getk_https_share_new(struct getk_https_share **r_share)
{
	struct getk_https_share *s;
	size_t i;

	*r_share = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return GETK_ERR_NOMEM;
	s->sh = curl_share_init();
	if (!s->sh) {
		free(s);
		return GETK_ERR_NOMEM;
	}
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->locks[i], NULL);
	curl_share_setopt(s->sh, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->sh, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->sh, CURLSHOPT_USERDATA, s);
	for (i = 0; i < NSHARED; i++)
		curl_share_setopt(s->sh, CURLSHOPT_SHARE, shared[i]);
	*r_share = s;
	return GETK_OK;
}

void
getk_https_share_free(struct getk_https_share *share)
{
	size_t i;

	if (!share)
		return;
	curl_share_cleanup(share->sh);
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&share->locks[i]);
	free(share);
}

/* Stops the transfer at the body limit: the write callback refuses. */
struct sink {
	struct getk_buf *body;
	int toobig;
};

static size_t
body_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct sink *k = arg;
	size_t len = size * nitems;

	if (getk_buf_add(k->body, p, len) != GETK_OK) {
		k->toobig = 1;
		return 0;
	}
	return len;
}

void
getk_https_reply_clear(struct getk_https_reply *r)
{
	getk_buf_free(&r->body);
}

enum getk_err
getk_https_get(const struct getk_https_settings *settings, const char *url,
    struct getk_https_reply *r, char *why, size_t whysz)
{
	CURL *curl = NULL;
	struct curl_slist *connect_to = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink sink;
	const char *ct = NULL, *loc = NULL;
	enum getk_err err;
	long timeout_ms;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	getk_buf_init(&r->body, settings->max_body);
	why[0] = '\0';
	sink.body = &r->body;
	sink.toobig = 0;
	err = getk_curl_list(settings->connect_to, &connect_to);
	if (err)
		goto leave;
	curl = curl_easy_init();
	if (!curl) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_SSLVERSION,
	    (long)CURL_SSLVERSION_TLSv1_2);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (settings->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, settings->ca_file);
	if (connect_to)
		curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to);
	if (settings->share)
		curl_easy_setopt(curl, CURLOPT_SHARE, settings->share->sh);
	timeout_ms = settings->timeout_ms;
	if (settings->deadline_ms && settings->deadline_ms - getk_mono_ms() <
	    timeout_ms)
		timeout_ms = settings->deadline_ms - getk_mono_ms();
	if (timeout_ms <= 0) {
		err = GETK_ERR_TIMEOUT;
		snprintf(why, whysz, "%s: not asked: the lookup's deadline "
		    "passed", url);
		goto leave;
	}
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)settings->max_body);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, PACKAGE_NAME "/"
	    PACKAGE_VERSION);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, body_cb);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	getk_log(settings->log, GETK_LOG_DEBUG, "GET %s", url);
	rc = curl_easy_perform(curl);
	if (sink.toobig || rc == CURLE_FILESIZE_EXCEEDED) {
		err = GETK_ERR_TOOBIG;
		snprintf(why, whysz, "%s: the answer is larger than %zu bytes",
		    url, settings->max_body);
		goto leave;
	}
	if (rc != CURLE_OK) {
		/* libcurl's message may quote the server (a certificate's
		 * name): it is shown printable. */
		char shown[sizeof(errbuf) * 4];

		getk_printable(shown, sizeof(shown), errbuf, strlen(errbuf));
		err = getk_curl_conn_err(curl, rc);
		snprintf(why, whysz, "%s: %s", url, shown[0] ? shown :
		    curl_easy_strerror(rc));
		goto leave;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	/* Header values are the server's bytes: kept printable, so that
	 * they may be quoted in any message.  A Location with a byte that
	 * was escaped holds a backslash now, which no redirect rule takes. */
	if (curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK &&
	    ct)
		getk_printable(r->content_type, sizeof(r->content_type), ct,
		    strcspn(ct, "; \t"));
	if (curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &loc) ==
	    CURLE_OK && loc) {
		if (strlen(loc) >= sizeof(r->location)) {
			err = GETK_ERR_PROTO;
			snprintf(why, whysz, "%s: redirect target too long",
			    url);
			goto leave;
		}
		getk_printable(r->location, sizeof(r->location), loc,
		    strlen(loc));
	}
	getk_log(settings->log, GETK_LOG_DEBUG, "GET %s: %ld, %zu bytes", url,
	    r->status, r->body.len);
	err = GETK_OK;
leave:
	if (err)
		getk_buf_free(&r->body);
	curl_slist_free_all(connect_to);
	curl_easy_cleanup(curl);
	return err;
}
