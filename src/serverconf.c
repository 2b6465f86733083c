/*
 * serverconf.c: getkd.conf(5), one keyword table over the shared lexer.
 *
 * Each entry of the table names the field of struct getk_server_config
 * it sets and the kind of argument it takes; parsing and freeing walk the
 * same table, as conf.c does for getk.conf.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "conflex.h"
#include "conf.h"
#include "serverconf.h"

enum kw_type {
	KW_STR,		/* any string */
	KW_PATH,	/* a path, '~' expanded */
	KW_HOSTPORT,	/* HOST:PORT */
	KW_LISTEN,	/* repeatable HOST:PORT */
	KW_DOMAIN,	/* repeatable domain name */
	KW_COUNT,	/* 1 to 1000000 */
	KW_SECONDS,	/* 1 to 3600 */
	KW_RATE,	/* N/DURATION */
	KW_CLIENT_INFO,	/* proxy-v2, proxy-v1, xclient, none */
	KW_SYSLOG	/* on, off or a facility */
};

struct keyword {
	const char *name;
	enum kw_type type;
	size_t offset;
};

#define F(field) offsetof(struct getk_server_config, field)
static const struct keyword keywords[] = {
	{ "listen", KW_LISTEN, F(listen) },
	{ "backend", KW_HOSTPORT, F(backend) },
	{ "backend_client_info", KW_CLIENT_INFO, F(client_info) },
	{ "hostname", KW_STR, F(hostname) },
	{ "tls_cert_file", KW_PATH, F(tls_cert_file) },
	{ "tls_key_file", KW_PATH, F(tls_key_file) },
	{ "key_dir", KW_PATH, F(key_dir) },
	{ "domain", KW_DOMAIN, F(domains) },
	{ "user", KW_STR, F(user) },
	{ "max_sessions", KW_COUNT, F(max_sessions) },
	{ "max_sessions_per_ip", KW_COUNT, F(max_sessions_per_ip) },
	{ "lookup_rate", KW_RATE, F(lookup_rate) },
	{ "max_lookups_per_session", KW_COUNT, F(max_lookups_per_session) },
	{ "timeout", KW_SECONDS, F(timeout) },
	{ "log", KW_PATH, F(log) },
	{ "syslog", KW_SYSLOG, F(syslog) },
};
#undef F
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

static const char *const client_info_names[] = { "proxy-v2", "proxy-v1",
    "xclient", "none" };

const char *
getk_client_info_name(enum getk_client_info ci)
{
	if ((size_t)ci < sizeof(client_info_names) /
	    sizeof(client_info_names[0]))
		return client_info_names[ci];
	return "unknown";
}

enum getk_err
getk_hostport_parse(const char *s, char host[256], int *r_port,
    const char **r_why)
{
	const char *colon, *p;
	size_t hlen;
	long port = 0;

	host[0] = '\0';
	*r_port = 0;
	*r_why = "expected HOST:PORT or [ADDRESS]:PORT";
	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || close == s + 1)
			return GETK_ERR_SYNTAX;
		hlen = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || colon == s || memchr(s, ':',
		    (size_t)(colon - s)))
			return GETK_ERR_SYNTAX;
		hlen = (size_t)(colon - s);
	}
	if (hlen >= 256)
		return GETK_ERR_SYNTAX;
	for (p = s; p < s + hlen; p++)
		if ((unsigned char)*p <= ' ' || *p == '/' || *p == '[' ||
		    *p == ']')
			return GETK_ERR_SYNTAX;
	if (!colon[1]) {
		*r_why = "expected a port number after the colon";
		return GETK_ERR_SYNTAX;
	}
	for (p = colon + 1; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535) {
			*r_why = "expected a port number after the colon";
			return GETK_ERR_SYNTAX;
		}
		port = port * 10 + (*p - '0');
	}
	if (port < 1 || port > 65535) {
		*r_why = "port out of range";
		return GETK_ERR_SYNTAX;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	*r_port = (int)port;
	*r_why = NULL;
	return GETK_OK;
}

void
getk_server_config_free(struct getk_server_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	for (i = 0; i < NKEYWORDS; i++) {
		void *field = (char *)cfg + keywords[i].offset;

		switch (keywords[i].type) {
		case KW_STR: case KW_PATH: case KW_HOSTPORT: case KW_SYSLOG:
			free(*(char **)field);
			break;
		case KW_LISTEN: case KW_DOMAIN:
			getk_strv_free(*(char ***)field);
			break;
		default:
			break;
		}
	}
	free(cfg);
}

static enum getk_err
config_new(struct getk_server_config **r_cfg)
{
	struct getk_server_config *cfg;

	*r_cfg = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return GETK_ERR_NOMEM;
	cfg->client_info = GETK_CLIENT_INFO_PROXY_V2;
	cfg->max_sessions = 1000;
	cfg->max_sessions_per_ip = 20;
	cfg->lookup_rate = 60;
	cfg->lookup_period = 60;
	cfg->max_lookups_per_session = 100;
	cfg->timeout = 300;
	cfg->key_dir = strdup(GETK_SERVER_KEY_DIR);
	cfg->user = strdup(GETK_SERVER_USER);
	cfg->syslog = strdup("LOG_MAIL");
	if (!cfg->key_dir || !cfg->user || !cfg->syslog) {
		getk_server_config_free(cfg);
		return GETK_ERR_NOMEM;
	}
	*r_cfg = cfg;
	return GETK_OK;
}

static enum getk_err
set_string(char **field, char *value)
{
	if (!value)
		return GETK_ERR_NOMEM;
	free(*field);
	*field = value;
	return GETK_OK;
}

/* A number of 1 to MAX at P (to END or the first non-digit at *R_END). */
static int
parse_number(const char *p, long max, long *r_n, const char **r_end)
{
	long n = 0;

	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > max)
			return 0;
	}
	*r_n = n;
	*r_end = p;
	return n >= 1;
}

static enum getk_err
set_keyword(struct getk_conflex *lx, struct getk_server_config *cfg,
    const struct keyword *k, const char *arg, int *list_set)
{
	void *field = (char *)cfg + k->offset;
	char host[256], *path;
	const char *why, *end;
	enum getk_err err;
	long n, secs;
	int port;

	if (*arg == '\0' && k->type != KW_SYSLOG)
		return getk_conflex_fail(lx, "%s needs an argument", k->name);
	switch (k->type) {
	case KW_STR:
		return set_string((char **)field, strdup(arg));
	case KW_PATH:
		err = getk_conflex_path(lx, arg, &path);
		return err ? err : set_string((char **)field, path);
	case KW_HOSTPORT:
	case KW_LISTEN:
		if (getk_hostport_parse(arg, host, &port, &why))
			return getk_conflex_fail(lx, "%s: %s", k->name, why);
		if (k->type == KW_HOSTPORT)
			return set_string((char **)field, strdup(arg));
		/* FALLTHROUGH */
	case KW_DOMAIN:
		if (k->type == KW_DOMAIN && (strlen(arg) > 253 ||
		    strspn(arg, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != strlen(arg) ||
		    arg[0] == '.' || arg[0] == '-' || strstr(arg, "..")))
			return getk_conflex_fail(lx, "%s: expected a domain "
			    "name", k->name);
		if (!*list_set) {
			getk_strv_free(*(char ***)field);
			*(char ***)field = NULL;
			*list_set = 1;
		}
		return getk_strv_add((char ***)field, arg);
	case KW_COUNT:
	case KW_SECONDS:
		if (!parse_number(arg, k->type == KW_COUNT ? 1000000 : 3600,
		    &n, &end) || *end)
			return getk_conflex_fail(lx, "%s: expected a number "
			    "from 1 to %d", k->name,
			    k->type == KW_COUNT ? 1000000 : 3600);
		*(long *)field = n;
		return GETK_OK;
	case KW_RATE:
		if (!parse_number(arg, 1000000, &n, &end) || *end != '/' ||
		    getk_duration_parse(end + 1, &secs) || secs < 1 ||
		    secs > 86400)
			return getk_conflex_fail(lx, "%s: expected N/DURATION "
			    "such as 60/1m", k->name);
		cfg->lookup_rate = n;
		cfg->lookup_period = secs;
		return GETK_OK;
	case KW_CLIENT_INFO:
		for (n = 0; n < 4; n++)
			if (strcmp(arg, client_info_names[n]) == 0) {
				cfg->client_info = (enum getk_client_info)n;
				return GETK_OK;
			}
		return getk_conflex_fail(lx, "%s: expected proxy-v2, proxy-v1, "
		    "xclient or none", k->name);
	case KW_SYSLOG:
		if (strcmp(arg, "off") == 0) {
			free(cfg->syslog);
			cfg->syslog = NULL;
			return GETK_OK;
		}
		if (*arg == '\0' || strcmp(arg, "on") == 0)
			arg = "LOG_MAIL";
		if (strcmp(arg, "LOG_MAIL") != 0 &&
		    strcmp(arg, "LOG_DAEMON") != 0 &&
		    !(strncmp(arg, "LOG_LOCAL", 9) == 0 && arg[9] >= '0' &&
		    arg[9] <= '7' && arg[10] == '\0'))
			return getk_conflex_fail(lx, "%s: expected on, off, "
			    "LOG_MAIL, LOG_DAEMON or LOG_LOCAL0 to LOG_LOCAL7",
			    k->name);
		return set_string(&cfg->syslog, strdup(arg));
	}
	return GETK_ERR_INTERNAL;
}

enum getk_err
getk_server_config_parse(const char *text, size_t len, const char *filename,
    const char *home, struct getk_server_config **r_cfg, char *why,
    size_t whysz)
{
	struct getk_server_config *cfg = NULL;
	struct getk_conflex lx;
	int list_set[NKEYWORDS];
	char *kw, *arg;
	enum getk_err err;
	size_t i;

	*r_cfg = NULL;
	why[0] = '\0';
	memset(list_set, 0, sizeof(list_set));
	err = getk_conflex_init(&lx, text, len, filename, home);
	if (!err)
		err = config_new(&cfg);
	for (;;) {
		if (err)
			break;
		err = getk_conflex_next(&lx, &kw, &arg);
		if (err || !kw)
			break;
		for (i = 0; i < NKEYWORDS; i++)
			if (strcmp(keywords[i].name, kw) == 0)
				break;
		if (i == NKEYWORDS)
			err = getk_conflex_fail(&lx, "unknown keyword %s", kw);
		else
			err = set_keyword(&lx, cfg, &keywords[i], arg,
			    &list_set[i]);
	}
	/* Whole-file rules, reported at the end of the file. */
	if (!err && !cfg->backend)
		err = getk_conflex_fail(&lx, "no backend: the MTA's "
		    "HOST:PORT is required");
	if (!err && !cfg->tls_cert_file != !cfg->tls_key_file)
		err = getk_conflex_fail(&lx, "tls_cert_file and tls_key_file "
		    "go together");
	if (!err) {
		*r_cfg = cfg;
		cfg = NULL;
	} else if (err == GETK_ERR_CONFIG) {
		snprintf(why, whysz, "%s", lx.msg);
	}
	getk_server_config_free(cfg);
	getk_conflex_free(&lx);
	return err;
}

enum getk_err
getk_server_config_load(const char *path, struct getk_server_config **r_cfg,
    char *why, size_t whysz)
{
	const char *home = getenv("HOME");
	struct getk_buf b;
	enum getk_err err;
	int fd;

	*r_cfg = NULL;
	why[0] = '\0';
	getk_buf_init(&b, GETK_CONFIG_MAX);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = GETK_ERR_SYSTEM;
	} else {
		err = getk_buf_read_fd(&b, fd);
		close(fd);
	}
	if (err == GETK_ERR_SYSTEM || err == GETK_ERR_TOOBIG) {
		snprintf(why, whysz, "%s: %s", path, err == GETK_ERR_TOOBIG ?
		    "larger than 1 MiB" : strerror(errno));
		err = GETK_ERR_CONFIG;
	}
	if (!err)
		err = getk_server_config_parse(b.data ? b.data : "", b.len,
		    path, home && *home ? home : NULL, r_cfg, why, whysz);
	getk_buf_free(&b);
	return err;
}
