/*
 * server.h: getkd's session process: the listeners, the libevent loop
 * its sessions (src/proxy.c) run on, reloads from the privileged parent
 * and the SIGTERM drain.
 *
 * It runs as the unprivileged user: the parent bound the listening
 * sockets and reads the certificate and key, and sends new ones on
 * SIGHUP over a socket (src/servertls.h); this process never opens them.
 */
#ifndef GETK_SERVER_H
#define GETK_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "error.h"
#include "log.h"
#include "servertls.h"
#include "serverconf.h"

/* How long SIGTERM lets open mail transactions go on. */
#define GETK_SERVER_DRAIN_SECONDS 30

struct getk_server_settings {
	const struct getk_server_config *cfg;
	const char *hostname;		/* in getkd's own replies */
	const int *listen_fds;		/* bound and listening */
	size_t nlisten;
	struct sockaddr_storage backend;	/* the MTA, resolved */
	socklen_t backend_len;
	struct getk_creds creds;	/* the first certificate and key;
					   empty: no TLS.  Wiped once used */
	int ctl_fd;			/* messages from the parent, or -1 */
	const struct getk_logger *log;
};

/*
 * Serves until SIGTERM (or the parent's end of CTL_FD closing) and the
 * drain that follows are over: GETK_OK.  GETK_ERR_TLS, GETK_ERR_SYSTEM or
 * GETK_ERR_NOMEM with WHY (WHYSZ bytes) when it cannot start.
 */
enum getk_err getk_server_run(struct getk_server_settings *s, char *why,
    size_t whysz);

#endif
