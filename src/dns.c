/*
 * dns.c: batches of DNS queries through libunbound.
 *
 * libunbound is driven asynchronously (ub_resolve_async, ub_fd, poll,
 * ub_process) so that the batch keeps its own deadline and cancels what
 * is still open when it passes.  Answers are checked for "bogus" before
 * anything else: a bogus answer still carries data, and must never be
 * used.
 */
#include <config.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unbound.h>

#include "buf.h"
#include "clock.h"
#include "codec.h"
#include "dns.h"

struct getk_dns {
	struct ub_ctx *ctx;
};

/* What a pending query needs in libunbound's callback. */
struct pending {
	struct getk_dns_query *q;
	int async_id;
	int done;
};

static enum getk_err
dns_fail(char *why, size_t whysz, const char *what, const char *arg,
    int ubret)
{
	snprintf(why, whysz, "%s %s: %s", what, arg, ub_strerror(ubret));
	return GETK_ERR_CONFIG;
}

enum getk_err
getk_dns_new(const struct getk_dns_settings *settings, struct getk_dns **r_dns,
    char *why, size_t whysz)
{
	struct getk_dns *dns = NULL;
	enum getk_err err = GETK_OK;
	int ret;
	size_t i;

	*r_dns = NULL;
	why[0] = '\0';
	dns = calloc(1, sizeof(*dns));
	if (!dns)
		return GETK_ERR_NOMEM;
	dns->ctx = ub_ctx_create();
	if (!dns->ctx) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	/* Threads, not a forked process, serve the asynchronous queries. */
	ret = ub_ctx_async(dns->ctx, 1);
	if (ret) {
		err = dns_fail(why, whysz, "resolver", "threads", ret);
		goto leave;
	}
	if (settings->servers && settings->servers[0]) {
		for (i = 0; settings->servers[i]; i++) {
			ret = ub_ctx_set_fwd(dns->ctx, settings->servers[i]);
			if (ret) {
				err = dns_fail(why, whysz, "dns_server",
				    settings->servers[i], ret);
				goto leave;
			}
		}
	} else {
		ret = ub_ctx_resolvconf(dns->ctx, NULL);
		if (ret) {
			err = dns_fail(why, whysz, "resolver", "/etc/resolv.conf", ret);
			goto leave;
		}
	}
	if (settings->trust_anchor) {
		ret = ub_ctx_add_ta_file(dns->ctx, settings->trust_anchor);
		if (ret) {
			err = dns_fail(why, whysz, "dns_trust_anchor",
			    settings->trust_anchor, ret);
			goto leave;
		}
	}
	*r_dns = dns;
	dns = NULL;
leave:
	getk_dns_free(dns);
	return err;
}

void
getk_dns_free(struct getk_dns *dns)
{
	if (!dns)
		return;
	if (dns->ctx)
		ub_ctx_delete(dns->ctx);
	free(dns);
}

void
getk_dns_query_clear(struct getk_dns_query *q)
{
	size_t i;

	for (i = 0; i < q->nrr; i++)
		free(q->rdata[i]);
	q->nrr = 0;
	q->err = GETK_OK;
	q->nxdomain = q->secure = q->rcode = 0;
	q->why[0] = '\0';
}

static void
take_answer(struct getk_dns_query *q, int status, struct ub_result *res)
{
	size_t i;

	if (status != 0 || !res) {
		q->err = GETK_ERR_DNS_TEMP;
		snprintf(q->why, sizeof(q->why), "DNS lookup of %s failed: %s",
		    q->name, ub_strerror(status));
		return;
	}
	q->rcode = res->rcode;
	if (res->bogus) {
		/* libunbound's reason quotes names and data from the answer:
		 * kept printable, as every text from the network. */
		const char *bogus = res->why_bogus ? res->why_bogus :
		    "bogus answer";
		size_t used;

		q->err = GETK_ERR_DNS_BOGUS;
		snprintf(q->why, sizeof(q->why),
		    "DNSSEC validation of %s failed: ", q->name);
		used = strlen(q->why);
		getk_printable(q->why + used, sizeof(q->why) - used, bogus,
		    strlen(bogus));
		return;
	}
	q->secure = res->secure;
	if (res->nxdomain) {
		q->nxdomain = 1;
		return;
	}
	if (res->rcode != 0) {
		q->err = GETK_ERR_DNS_TEMP;
		snprintf(q->why, sizeof(q->why),
		    "DNS lookup of %s failed: rcode %d", q->name, res->rcode);
		return;
	}
	if (!res->havedata)
		return;
	for (i = 0; res->data[i] && i < GETK_DNS_MAX_RR; i++) {
		size_t len = (size_t)res->len[i];

		q->rdata[i] = malloc(len ? len : 1);
		if (!q->rdata[i]) {
			q->err = GETK_ERR_NOMEM;
			return;
		}
		memcpy(q->rdata[i], res->data[i], len);
		q->rdlen[i] = len;
		q->nrr = i + 1;
	}
}

static void
query_done(void *arg, int status, struct ub_result *res)
{
	struct pending *p = arg;

	p->done = 1;
	take_answer(p->q, status, res);
	if (res)
		ub_resolve_free(res);
}

enum getk_err
getk_dns_resolve(struct getk_dns *dns, struct getk_dns_query *q, size_t n,
    long timeout_ms)
{
	struct pending *pend;
	long deadline = getk_mono_ms() + timeout_ms;
	size_t i, open = 0;

	pend = calloc(n ? n : 1, sizeof(*pend));
	if (!pend)
		return GETK_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		int ret;

		getk_dns_query_clear(&q[i]);
		pend[i].q = &q[i];
		ret = ub_resolve_async(dns->ctx, q[i].name, q[i].type, 1,
		    &pend[i], query_done, &pend[i].async_id);
		if (ret) {
			pend[i].done = 1;
			q[i].err = GETK_ERR_DNS_TEMP;
			snprintf(q[i].why, sizeof(q[i].why),
			    "DNS lookup of %s failed: %s", q[i].name,
			    ub_strerror(ret));
			continue;
		}
		open++;
	}
	while (open) {
		struct pollfd pfd;
		long left = deadline - getk_mono_ms();
		int ret;

		if (left <= 0)
			break;
		pfd.fd = ub_fd(dns->ctx);
		pfd.events = POLLIN;
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno != EINTR)
			break;
		if (ret > 0)
			ub_process(dns->ctx);
		open = 0;
		for (i = 0; i < n; i++)
			if (!pend[i].done)
				open++;
	}
	for (i = 0; i < n; i++) {
		if (pend[i].done)
			continue;
		ub_cancel(dns->ctx, pend[i].async_id);
		q[i].err = GETK_ERR_DNS_TEMP;
		snprintf(q[i].why, sizeof(q[i].why),
		    "DNS lookup of %s timed out", q[i].name);
	}
	free(pend);
	return GETK_OK;
}

enum getk_err
getk_dns_decode_name(const unsigned char *p, size_t len, char *name,
    size_t *r_used)
{
	size_t pos = 0, out = 0;

	*r_used = 0;
	name[0] = '\0';
	for (;;) {
		size_t l, i;

		if (pos >= len)
			return GETK_ERR_SYNTAX;
		l = p[pos++];
		if (l == 0)
			break;
		/* Compression pointers never appear in decoded rdata. */
		if (l > 63 || pos + l > len)
			return GETK_ERR_SYNTAX;
		if (out + l + 2 > GETK_DNS_NAME_MAX - 1)
			return GETK_ERR_SYNTAX;
		for (i = 0; i < l; i++) {
			char c = (char)p[pos + i];

			if (c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			    c == '-' || c == '_'))
				return GETK_ERR_SYNTAX;
			name[out++] = c;
		}
		name[out++] = '.';
		pos += l;
	}
	if (out == 0)
		name[out++] = '.';
	else
		out--;	/* no trailing dot but for the root */
	name[out] = '\0';
	*r_used = pos;
	return GETK_OK;
}

enum getk_err
getk_dns_decode_mx(const unsigned char *rdata, size_t len, unsigned *r_pref,
    char *name)
{
	size_t used;
	enum getk_err err;

	*r_pref = 0;
	name[0] = '\0';
	if (len < 3)
		return GETK_ERR_SYNTAX;
	err = getk_dns_decode_name(rdata + 2, len - 2, name, &used);
	if (err)
		return err;
	if (used != len - 2)
		return GETK_ERR_SYNTAX;
	*r_pref = ((unsigned)rdata[0] << 8) | rdata[1];
	return GETK_OK;
}
