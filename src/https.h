/*
 * https.h: one HTTPS GET through libcurl, for WKD and MTA-STS.
 *
 * The certificate is always checked against the Web PKI (or the
 * configured CA file) and the host name; redirects are never followed
 * here but handed back, so that each caller applies its own rule (WKD:
 * only within the domain; MTA-STS: never).  The body is capped.
 */
#ifndef GETK_HTTPS_H
#define GETK_HTTPS_H

#include <stddef.h>

#include "buf.h"
#include "error.h"
#include "log.h"

struct getk_https_share;

struct getk_https_settings {
	const char *ca_file;		/* CA certificates; NULL: system */
	char *const *connect_to;	/* curl --connect-to rules,
					   NULL-terminated; or NULL */
	long timeout_ms;		/* the whole request */
	long deadline_ms;		/* getk_mono_ms() after which the
					   request is given up, or 0 */
	size_t max_body;		/* larger bodies: GETK_ERR_TOOBIG */
	const struct getk_logger *log;	/* or NULL */
	/* Connections and TLS sessions kept between requests, from any
	 * thread; or NULL: each request connects anew. */
	struct getk_https_share *share;
};

/* What a server answered. */
struct getk_https_reply {
	long status;			/* HTTP status code */
	struct getk_buf body;		/* the body, at most max_body */
	/* The server's header values, made printable (getk_printable):
	 * safe to quote in messages as they are. */
	char content_type[128];		/* "" when none; parameters cut */
	char location[2048];		/* a redirect's target, or "" */
};

/*
 * GETs URL (https only).  *R gets the answer whatever its status; free
 * its body with getk_https_reply_clear.  Errors, with *WHY (WHYSZ bytes)
 * saying what happened: GETK_ERR_NOSERVER (the host name does not
 * exist, or the host refused the TCP connection: no server there),
 * GETK_ERR_CONNECT (unreachable, or the connection was reset or closed
 * after it opened), GETK_ERR_TLS, GETK_ERR_TIMEOUT, GETK_ERR_TOOBIG,
 * GETK_ERR_PROTO, GETK_ERR_NOMEM.
 */
enum getk_err getk_https_get(const struct getk_https_settings *settings,
    const char *url, struct getk_https_reply *r, char *why, size_t whysz);

/*
 * A cache of connections, TLS sessions and DNS answers that requests in
 * several threads may share (a libcurl share handle with locks), so that
 * a batch of WKD lookups at one host costs one TLS handshake, not one per
 * address.  GETK_ERR_NOMEM.
 */
enum getk_err getk_https_share_new(struct getk_https_share **r_share);

/* Frees a share no request uses any more; NULL is a no-op. */
void getk_https_share_free(struct getk_https_share *share);

/* Frees the body of R; safe to call twice. */
void getk_https_reply_clear(struct getk_https_reply *r);

#endif
