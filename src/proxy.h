/*
 * proxy.h: one getkd session: a client on one side, the MTA on the
 * other, GETK and STARTTLS answered in between (SERVER.md "Behaviour").
 *
 * The session runs on the libevent loop of the session process
 * (src/server.c); the client's connection is a socket bufferevent, with
 * an OpenSSL filter bufferevent put on top of it by STARTTLS, the MTA's
 * a socket bufferevent.  Every reply the client is owed sits in one
 * queue in the order of the commands, whoever answers it, so that
 * PIPELINING holds.
 */
#ifndef GETK_PROXY_H
#define GETK_PROXY_H

#include <sys/socket.h>

#include <event2/event.h>
#include <openssl/ssl.h>

#include "error.h"
#include "keydir.h"
#include "log.h"
#include "peers.h"
#include "serverconf.h"

struct getk_proxy;

/* What every session of a session process shares (server.c owns it). */
struct getk_proxy_env {
	struct event_base *base;
	const struct getk_server_config *cfg;
	const char *hostname;		/* in getkd's own replies */
	struct sockaddr_storage backend;	/* the MTA */
	socklen_t backend_len;
	SSL_CTX *ssl_ctx;		/* NULL: no STARTTLS, no GETK */
	struct getk_keydir *keydir;	/* NULL: GETK answers 451 */
	struct getk_peers *peers;
	const struct getk_logger *log;
	size_t nsessions;		/* open sessions */
	int draining;			/* SIGTERM: no new transactions */
	struct getk_proxy *sessions;	/* the open ones, a list */
	unsigned long next_id;		/* for the log */
};

/*
 * Starts a session for the client socket FD (non-blocking, accepted from
 * SA), owning FD from now on, whatever happens.  Over max_sessions or
 * max_sessions_per_ip the client gets a 421 greeting and the session
 * ends once it is written.  The session frees itself when it ends.
 * GETK_ERR_NOMEM (FD is closed then).
 */
enum getk_err getk_proxy_start(struct getk_proxy_env *env, int fd,
    const struct sockaddr *sa, socklen_t salen);

/*
 * SIGTERM: every session finishes its mail transaction, then gets "421
 * 4.3.2 ... shutting down" and ends; idle ones at once.
 */
void getk_proxy_drain_all(struct getk_proxy_env *env);

/* Ends every session at once (the drain took too long, or exit). */
void getk_proxy_close_all(struct getk_proxy_env *env);

#endif
