/*
 * server.c: the session process's event loop.
 */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/listener.h>

#include "buf.h"
#include "keydir.h"
#include "peers.h"
#include "proxy.h"
#include "server.h"

/* Addresses the rate limiter remembers at most. */
#define PEERS_MAX 100000

struct server {
	struct getk_proxy_env env;
	struct evconnlistener **listeners;
	size_t nlisten;
	struct event *sigterm, *sigint, *ctl_ev, *drain_timer;
	struct evbuffer *ctl_in;
	int ctl_fd;
	long drain_ticks;
};

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int salen, void *arg)
{
	struct server *sv = arg;

	(void)l;
	getk_proxy_start(&sv->env, fd, sa, (socklen_t)salen);
}

static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct server *sv = arg;

	(void)l;
	/* EMFILE and the like: this one client waits in the backlog. */
	getk_log(sv->env.log, GETK_LOG_ERROR, "accept: %s",
	    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
close_listeners(struct server *sv)
{
	size_t i;

	for (i = 0; i < sv->nlisten; i++)
		if (sv->listeners[i])
			evconnlistener_free(sv->listeners[i]);
	sv->nlisten = 0;
}

static void
drain_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *sv = arg;

	(void)fd;
	(void)what;
	sv->drain_ticks++;
	if (sv->env.nsessions == 0 ||
	    sv->drain_ticks > GETK_SERVER_DRAIN_SECONDS * 10L) {
		if (sv->env.nsessions)
			getk_log(sv->env.log, GETK_LOG_ERROR, "drain: %zu "
			    "sessions still open after %d s, closed",
			    sv->env.nsessions, GETK_SERVER_DRAIN_SECONDS);
		getk_proxy_close_all(&sv->env);
		event_base_loopexit(sv->env.base, NULL);
	}
}

/* SIGTERM: no new sessions, open ones finish their transactions. */
static void
start_drain(struct server *sv)
{
	struct timeval tick = { 0, 100000 };

	if (sv->env.draining)
		return;
	getk_log(sv->env.log, GETK_LOG_ERROR, "stopping: listeners closed, "
	    "%zu sessions finishing (at most %d s)", sv->env.nsessions,
	    GETK_SERVER_DRAIN_SECONDS);
	close_listeners(sv);
	getk_proxy_drain_all(&sv->env);
	sv->drain_timer = event_new(sv->env.base, -1, EV_PERSIST, drain_tick,
	    sv);
	if (!sv->drain_timer || event_add(sv->drain_timer, &tick) != 0) {
		getk_proxy_close_all(&sv->env);
		event_base_loopexit(sv->env.base, NULL);
	}
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	start_drain(arg);
}

/* New certificate and key from the parent: a new TLS context for new
 * sessions (open ones keep theirs), and key_dir listed again. */
static void
reload(struct server *sv, struct getk_creds *c)
{
	const struct getk_server_config *cfg = sv->env.cfg;
	struct getk_keydir *kd = NULL;
	SSL_CTX *ctx = NULL;
	char why[256];

	if (c->certlen) {
		if (getk_tls_ctx_new(c, &ctx, why, sizeof(why)) != GETK_OK) {
			getk_log(sv->env.log, GETK_LOG_ERROR, "reload: the new "
			    "certificate is not used: %s", why);
		} else {
			SSL_CTX_free(sv->env.ssl_ctx);
			sv->env.ssl_ctx = ctx;
		}
	}
	if (getk_keydir_new(cfg->key_dir, cfg->domains, &kd) != GETK_OK) {
		getk_log(sv->env.log, GETK_LOG_ERROR, "reload: cannot list "
		    "key_dir %s: %s", cfg->key_dir, strerror(errno));
	} else {
		getk_keydir_free(sv->env.keydir);
		sv->env.keydir = kd;
	}
	getk_log(sv->env.log, GETK_LOG_ERROR, "reloaded: %s, %zu domains",
	    ctx ? "new certificate" : "certificate unchanged",
	    sv->env.keydir ? getk_keydir_ndomains(sv->env.keydir) : 0);
}

static void
ctl_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *sv = arg;
	struct getk_creds c;
	size_t used;
	int n;

	(void)what;
	n = evbuffer_read(sv->ctl_in, fd, 65536);
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		/* The parent is gone: nobody can reload or stop us. */
		event_del(sv->ctl_ev);
		start_drain(sv);
		return;
	}
	for (;;) {
		size_t len = evbuffer_get_length(sv->ctl_in);
		const char *p = (const char *)evbuffer_pullup(sv->ctl_in, -1);

		if (len == 0)
			return;
		if (getk_creds_unpack(p, len, &c, &used) != GETK_OK) {
			getk_log(sv->env.log, GETK_LOG_ERROR, "reload: a bad "
			    "message from the parent");
			evbuffer_drain(sv->ctl_in, len);
			return;
		}
		if (used == 0)
			return;
		/* The key's bytes are in the buffer too: wipe them. */
		explicit_bzero((char *)p, used);
		evbuffer_drain(sv->ctl_in, used);
		reload(sv, &c);
		getk_creds_clear(&c);
	}
}

static enum getk_err
setup(struct server *sv, struct getk_server_settings *s, char *why,
    size_t whysz)
{
	const struct getk_server_config *cfg = s->cfg;
	struct event_config *evcfg;
	size_t i;

	sv->env.cfg = cfg;
	sv->env.hostname = s->hostname;
	sv->env.backend = s->backend;
	sv->env.backend_len = s->backend_len;
	sv->env.log = s->log;
	evcfg = event_config_new();
	if (evcfg) {
		/* epoll: the event changes of one turn of the loop go to the
		 * kernel together, and a write event added and removed in the
		 * same turn costs no system call at all. */
		event_config_set_flag(evcfg,
		    EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
		sv->env.base = event_base_new_with_config(evcfg);
		event_config_free(evcfg);
	}
	if (!sv->env.base) {
		snprintf(why, whysz, "cannot make an event loop");
		return GETK_ERR_SYSTEM;
	}
	if (s->creds.certlen && getk_tls_ctx_new(&s->creds, &sv->env.ssl_ctx,
	    why, whysz) != GETK_OK)
		return GETK_ERR_TLS;
	getk_creds_clear(&s->creds);
	if (getk_keydir_new(cfg->key_dir, cfg->domains, &sv->env.keydir) !=
	    GETK_OK)
		getk_log(s->log, GETK_LOG_ERROR, "cannot list key_dir %s: %s; "
		    "GETK answers 451 until a reload lists it",
		    cfg->key_dir, strerror(errno));
	if (getk_peers_new(PEERS_MAX, cfg->lookup_rate,
	    cfg->lookup_period * 1000L, &sv->env.peers) != GETK_OK) {
		snprintf(why, whysz, "out of memory");
		return GETK_ERR_NOMEM;
	}
	sv->listeners = calloc(s->nlisten ? s->nlisten : 1,
	    sizeof(*sv->listeners));
	if (!sv->listeners) {
		snprintf(why, whysz, "out of memory");
		return GETK_ERR_NOMEM;
	}
	for (i = 0; i < s->nlisten; i++) {
		evutil_make_socket_nonblocking(s->listen_fds[i]);
		sv->listeners[i] = evconnlistener_new(sv->env.base, accept_cb,
		    sv, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0,
		    s->listen_fds[i]);
		if (!sv->listeners[i]) {
			snprintf(why, whysz, "cannot listen: %s",
			    strerror(errno));
			return GETK_ERR_SYSTEM;
		}
		evconnlistener_set_error_cb(sv->listeners[i], accept_error_cb);
		sv->nlisten = i + 1;
	}
	sv->sigterm = evsignal_new(sv->env.base, SIGTERM, signal_cb, sv);
	sv->sigint = evsignal_new(sv->env.base, SIGINT, signal_cb, sv);
	sv->ctl_in = evbuffer_new();
	if (!sv->sigterm || !sv->sigint || !sv->ctl_in ||
	    evsignal_add(sv->sigterm, NULL) != 0 ||
	    evsignal_add(sv->sigint, NULL) != 0) {
		snprintf(why, whysz, "cannot set up signals");
		return GETK_ERR_SYSTEM;
	}
	if (s->ctl_fd >= 0) {
		evutil_make_socket_nonblocking(s->ctl_fd);
		sv->ctl_fd = s->ctl_fd;
		sv->ctl_ev = event_new(sv->env.base, s->ctl_fd,
		    EV_READ | EV_PERSIST, ctl_cb, sv);
		if (!sv->ctl_ev || event_add(sv->ctl_ev, NULL) != 0) {
			snprintf(why, whysz, "cannot watch the parent");
			return GETK_ERR_SYSTEM;
		}
	}
	return GETK_OK;
}

static void
teardown(struct server *sv)
{
	getk_proxy_close_all(&sv->env);
	close_listeners(sv);
	free(sv->listeners);
	if (sv->sigterm)
		event_free(sv->sigterm);
	if (sv->sigint)
		event_free(sv->sigint);
	if (sv->ctl_ev)
		event_free(sv->ctl_ev);
	if (sv->drain_timer)
		event_free(sv->drain_timer);
	if (sv->ctl_in)
		evbuffer_free(sv->ctl_in);
	getk_peers_free(sv->env.peers);
	getk_keydir_free(sv->env.keydir);
	SSL_CTX_free(sv->env.ssl_ctx);
	if (sv->env.base)
		event_base_free(sv->env.base);
}

enum getk_err
getk_server_run(struct getk_server_settings *s, char *why, size_t whysz)
{
	struct server sv;
	enum getk_err err;

	memset(&sv, 0, sizeof(sv));
	sv.ctl_fd = -1;
	why[0] = '\0';
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	err = setup(&sv, s, why, whysz);
	if (!err) {
		getk_log(s->log, GETK_LOG_ERROR, "ready: %zu listeners, "
		    "backend %s (%s), %s, %zu domains", sv.nlisten,
		    s->cfg->backend, getk_client_info_name(s->cfg->client_info),
		    sv.env.ssl_ctx ? "STARTTLS and GETK" : "no TLS, no GETK",
		    sv.env.keydir ? getk_keydir_ndomains(sv.env.keydir) : 0);
		event_base_dispatch(sv.env.base);
	}
	getk_creds_clear(&s->creds);
	teardown(&sv);
	return err;
}
