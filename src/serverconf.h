/*
 * serverconf.h: getkd's configuration file, getkd.conf(5).
 *
 * The syntax is getk.conf's (src/conflex.h), without sections: one
 * "keyword argument" per line.  The keywords are SERVER.md's.  The
 * parser is pure: text in, structure out.
 */
#ifndef GETK_SERVERCONF_H
#define GETK_SERVERCONF_H

#include <stddef.h>

#include "error.h"

/* How getkd tells the MTA the client's address (backend_client_info). */
enum getk_client_info {
	GETK_CLIENT_INFO_PROXY_V2,	/* HAProxy PROXY protocol v2 */
	GETK_CLIENT_INFO_PROXY_V1,	/* its text form */
	GETK_CLIENT_INFO_XCLIENT,	/* Postfix XCLIENT */
	GETK_CLIENT_INFO_NONE
};

/* Every setting of getkd.conf(5). */
struct getk_server_config {
	char **listen;			/* "ADDR:PORT"s, NULL-terminated;
					   NULL: 0.0.0.0:25 and [::]:25 */
	char *backend;			/* "HOST:PORT"; required */
	enum getk_client_info client_info;
	char *hostname;			/* NULL: the system's FQDN */
	char *tls_cert_file;		/* NULL: no STARTTLS, no GETK */
	char *tls_key_file;
	char *key_dir;
	char **domains;			/* NULL: every directory in key_dir */
	char *user;			/* the session process's user */
	long max_sessions;
	long max_sessions_per_ip;
	long lookup_rate;		/* GETK tokens ... */
	long lookup_period;		/* ... per this many seconds */
	long max_lookups_per_session;
	long timeout;			/* idle seconds */
	char *log;			/* a file, or NULL */
	char *syslog;			/* a facility ("LOG_MAIL"), NULL: off */
};

/* The defaults of SERVER.md. */
#define GETK_SERVER_CONFIG_FILE SYSCONFDIR "/getkd.conf"
#define GETK_SERVER_KEY_DIR "/var/lib/gnupg/wks"
#define GETK_SERVER_USER "getkd"

/*
 * Parses LEN bytes of getkd.conf text; FILENAME names it in messages and
 * HOME is what '~' expands to (NULL: no expansion).  A missing backend
 * or half of a certificate/key pair is an error.  On GETK_ERR_CONFIG,
 * WHY (WHYSZ bytes) says "FILE:LINE: what is wrong".  GETK_ERR_NOMEM.
 */
enum getk_err getk_server_config_parse(const char *text, size_t len,
    const char *filename, const char *home,
    struct getk_server_config **r_cfg, char *why, size_t whysz);

/*
 * Reads and parses the file at PATH (at most 1 MiB).  GETK_ERR_CONFIG
 * with WHY set for a file that cannot be read, too, and as
 * getk_server_config_parse.
 */
enum getk_err getk_server_config_load(const char *path,
    struct getk_server_config **r_cfg, char *why, size_t whysz);

/* Frees a configuration; NULL is a no-op. */
void getk_server_config_free(struct getk_server_config *cfg);

/*
 * Splits "HOST:PORT", "[IPV6]:PORT" or "*:PORT" into HOST (brackets
 * removed; "*" stays) and *R_PORT.  GETK_ERR_SYNTAX with *R_WHY.
 */
enum getk_err getk_hostport_parse(const char *s, char host[256],
    int *r_port, const char **r_why);

/* The name of a backend_client_info value ("proxy-v2", ...). */
const char *getk_client_info_name(enum getk_client_info ci);

#endif
