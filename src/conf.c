/*
 * conf.c: the configuration file parser.
 *
 * Keywords are described by one table; each entry names the field of
 * struct getk_account it sets and how its argument is checked, so that
 * parsing, copying (inheritance) and freeing all walk the same table.
 */
#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "conflex.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

enum kw_type {
	KW_STR,		/* any string */
	KW_PATH,	/* a path, '~' expanded */
	KW_PATH_NONE,	/* a path, or "none" for NULL */
	KW_LIST,	/* repeatable string, checked by a function */
	KW_PORT,	/* 1 to 65535 */
	KW_SECONDS,	/* 1 to 3600 */
	KW_DURATION,	/* a duration */
	KW_BOOL,	/* on/off */
	KW_SOURCES,	/* a source list */
	KW_TRUST,	/* authenticated/any */
	KW_MISSING,	/* refuse/plaintext */
	KW_AUTH,	/* on/off/method */
	KW_SYSLOG	/* on/off/facility */
};

struct keyword {
	const char *name;
	enum kw_type type;
	size_t offset;
	const char *(*check)(const char *arg);	/* KW_LIST only */
};

static const char *check_dns_server(const char *arg);
static const char *check_connect_to(const char *arg);

#define F(field) offsetof(struct getk_account, field)
static const struct keyword keywords[] = {
	{ "sources", KW_SOURCES, F(sources), NULL },
	{ "key_trust", KW_TRUST, F(key_trust_any), NULL },
	{ "dns_server", KW_LIST, F(dns_servers), check_dns_server },
	{ "dns_trust_anchor", KW_PATH_NONE, F(dns_trust_anchor), NULL },
	{ "connect_to", KW_LIST, F(connect_to), check_connect_to },
	{ "tls_trust_file", KW_PATH, F(tls_trust_file), NULL },
	{ "getk_port", KW_PORT, F(getk_port), NULL },
	{ "timeout", KW_SECONDS, F(timeout), NULL },
	{ "lookup_timeout", KW_SECONDS, F(lookup_timeout), NULL },
	{ "state_dir", KW_PATH, F(state_dir), NULL },
	{ "keyring_home", KW_PATH, F(keyring_home), NULL },
	{ "refresh_after", KW_DURATION, F(refresh_after), NULL },
	{ "negative_ttl", KW_DURATION, F(negative_ttl), NULL },
	{ "host", KW_STR, F(host), NULL },
	{ "port", KW_PORT, F(port), NULL },
	{ "tls", KW_BOOL, F(tls), NULL },
	{ "tls_starttls", KW_BOOL, F(tls_starttls), NULL },
	{ "auth", KW_AUTH, F(auth), NULL },
	{ "user", KW_STR, F(user), NULL },
	{ "password", KW_STR, F(password), NULL },
	{ "passwordeval", KW_STR, F(passwordeval), NULL },
	{ "from", KW_STR, F(from), NULL },
	{ "missing_key", KW_MISSING, F(missing_key_plaintext), NULL },
	{ "encrypt_to_self", KW_BOOL, F(encrypt_to_self), NULL },
	{ "self_key", KW_STR, F(self_key), NULL },
	{ "protect_subject", KW_BOOL, F(protect_subject), NULL },
	{ "logfile", KW_PATH, F(logfile), NULL },
	{ "syslog", KW_SYSLOG, F(syslog), NULL },
	{ "queue", KW_BOOL, F(queue), NULL },
	{ "queue_dir", KW_PATH, F(queue_dir), NULL },
	{ "queue_lifetime", KW_DURATION, F(queue_lifetime), NULL },
};
#undef F
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

enum getk_err
getk_duration_parse(const char *s, long *r_seconds)
{
	long n = 0, unit = 1;
	const char *p = s;

	*r_seconds = 0;
	if (*p < '0' || *p > '9')
		return GETK_ERR_SYNTAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > 100000000L)
			return GETK_ERR_SYNTAX;
		n = n * 10 + (*p - '0');
	}
	switch (*p) {
	case '\0': case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: return GETK_ERR_SYNTAX;
	}
	if (*p && p[1])
		return GETK_ERR_SYNTAX;
	if (n > LONG_MAX / unit)
		return GETK_ERR_SYNTAX;
	*r_seconds = n * unit;
	return GETK_OK;
}

void
getk_duration_format(long seconds, char *buf, size_t bufsz)
{
	static const struct { long secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' },
	};
	size_t i, len = 0, shown = 0;

	buf[0] = '\0';
	if (seconds <= 0) {
		snprintf(buf, bufsz, "0s");
		return;
	}
	for (i = 0; i < 4 && shown < 2; i++) {
		long n = seconds / units[i].secs;

		if (!n && !shown)
			continue;
		seconds %= units[i].secs;
		if (n)
			len += (size_t)snprintf(buf + len, len < bufsz ?
			    bufsz - len : 0, "%ld%c", n, units[i].unit);
		shown++;
		if (len >= bufsz)
			break;
	}
}

static const char *
check_dns_server(const char *arg)
{
	char addr[INET6_ADDRSTRLEN + 1];
	unsigned char bin[16];
	const char *at = strchr(arg, '@');
	size_t len = at ? (size_t)(at - arg) : strlen(arg);

	if (len == 0 || len >= sizeof(addr))
		return "expected an IP address, optionally with @PORT";
	memcpy(addr, arg, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		return "expected an IP address, optionally with @PORT";
	if (at) {
		const char *p = at + 1;
		long port = 0;

		if (!*p)
			return "expected a port number after @";
		for (; *p; p++) {
			if (*p < '0' || *p > '9' || port > 65535)
				return "expected a port number after @";
			port = port * 10 + (*p - '0');
		}
		if (port < 1 || port > 65535)
			return "port out of range";
	}
	return NULL;
}

/*
 * Checks curl's --connect-to syntax HOST1:PORT1:HOST2:PORT2; IPv6
 * addresses in brackets.  Empty parts are allowed, as curl allows them.
 */
static const char *
check_connect_to(const char *arg)
{
	int colons = 0, bracket = 0;
	const char *p;

	for (p = arg; *p; p++) {
		if (*p == '[')
			bracket++;
		else if (*p == ']')
			bracket--;
		else if (*p == ':' && bracket == 0)
			colons++;
		else if ((unsigned char)*p <= ' ')
			return "white space or control character";
		if (bracket < 0 || bracket > 1)
			return "unbalanced brackets";
	}
	if (colons != 3 || bracket)
		return "expected HOST1:PORT1:HOST2:PORT2";
	/* The ports: fields 2 and 4, each empty or 1 to 65535. */
	colons = 0;
	bracket = 0;
	for (p = arg; *p; p++) {
		if (*p == '[')
			bracket++;
		else if (*p == ']')
			bracket--;
		else if (*p == ':' && bracket == 0 && (++colons == 1 ||
		    colons == 3)) {
			long port = 0;
			const char *q = p + 1;

			for (; *q && *q != ':'; q++) {
				if (*q < '0' || *q > '9' || port > 65535)
					return "ports must be numbers from 1 "
					    "to 65535";
				port = port * 10 + (*q - '0');
			}
			if (q > p + 1 && (port < 1 || port > 65535))
				return "ports must be numbers from 1 to 65535";
		}
	}
	return NULL;
}

static void
account_init(struct getk_account *a)
{
	memset(a, 0, sizeof(*a));
	a->sources[0] = GETK_SOURCE_KEYRING;
	a->sources[1] = GETK_SOURCE_RELAY;
	a->sources[2] = GETK_SOURCE_GETK;
	a->sources[3] = GETK_SOURCE_WKD;
	a->sources[4] = GETK_SOURCE_DANE;
	a->nsources = 5;
	a->getk_port = 25;
	a->timeout = 30;
	a->refresh_after = 7 * 86400L;
	a->negative_ttl = 3600;
	a->queue_lifetime = 5 * 86400L;
	a->tls = 1;
	a->tls_starttls = 1;
	a->encrypt_to_self = 1;
	a->protect_subject = 1;
}

static void
account_clear(struct getk_account *a)
{
	size_t i;

	free(a->name);
	for (i = 0; i < NKEYWORDS; i++) {
		void *field = (char *)a + keywords[i].offset;

		switch (keywords[i].type) {
		case KW_STR: case KW_PATH: case KW_PATH_NONE: case KW_AUTH:
		case KW_SYSLOG:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case KW_LIST:
			getk_strv_free(*(char ***)field);
			*(char ***)field = NULL;
			break;
		default:
			break;
		}
	}
	a->name = NULL;
}

/* Makes DST a deep copy of SRC's settings (not its name). */
static enum getk_err
account_copy(struct getk_account *dst, const struct getk_account *src)
{
	char *name = dst->name;
	size_t i, k;

	dst->name = NULL;
	account_clear(dst);
	memcpy(dst, src, sizeof(*dst));
	dst->name = name;
	/* Null every pointer first so that a failure can clean up. */
	for (i = 0; i < NKEYWORDS; i++) {
		void *field = (char *)dst + keywords[i].offset;

		if (keywords[i].type == KW_LIST)
			*(char ***)field = NULL;
		else if (keywords[i].type == KW_STR ||
		    keywords[i].type == KW_PATH ||
		    keywords[i].type == KW_PATH_NONE ||
		    keywords[i].type == KW_AUTH ||
		    keywords[i].type == KW_SYSLOG)
			*(char **)field = NULL;
	}
	for (i = 0; i < NKEYWORDS; i++) {
		const void *from = (const char *)src + keywords[i].offset;
		void *to = (char *)dst + keywords[i].offset;

		if (keywords[i].type == KW_LIST) {
			char *const *list = *(char *const *const *)from;

			for (k = 0; list && list[k]; k++)
				if (getk_strv_add((char ***)to, list[k]))
					return GETK_ERR_NOMEM;
		} else if (keywords[i].type == KW_STR ||
		    keywords[i].type == KW_PATH ||
		    keywords[i].type == KW_PATH_NONE ||
		    keywords[i].type == KW_AUTH ||
		    keywords[i].type == KW_SYSLOG) {
			const char *s = *(char *const *)from;

			if (s && !(*(char **)to = strdup(s)))
				return GETK_ERR_NOMEM;
		}
	}
	return GETK_OK;
}

/*
 * Copies into DST the settings that SRC was given (its "set" bits), as
 * msmtp does for "account NAME : PARENT": a parent overrides only what it
 * sets itself or inherited from its own parents.
 */
static enum getk_err
account_merge(struct getk_account *dst, const struct getk_account *src)
{
	size_t i, k;

	for (i = 0; i < NKEYWORDS; i++) {
		const void *from = (const char *)src + keywords[i].offset;
		void *to = (char *)dst + keywords[i].offset;

		if (!(src->set & (1ULL << i)))
			continue;
		dst->set |= 1ULL << i;
		switch (keywords[i].type) {
		case KW_STR: case KW_PATH: case KW_PATH_NONE: case KW_AUTH:
		case KW_SYSLOG: {
			const char *str = *(char *const *)from;
			char *copy = NULL;

			if (str && !(copy = strdup(str)))
				return GETK_ERR_NOMEM;
			free(*(char **)to);
			*(char **)to = copy;
			break;
		}
		case KW_LIST: {
			char *const *list = *(char *const *const *)from;

			getk_strv_free(*(char ***)to);
			*(char ***)to = NULL;
			for (k = 0; list && list[k]; k++)
				if (getk_strv_add((char ***)to, list[k]))
					return GETK_ERR_NOMEM;
			break;
		}
		case KW_SOURCES:
			memcpy(dst->sources, src->sources, sizeof(dst->sources));
			dst->nsources = src->nsources;
			break;
		case KW_SECONDS: case KW_DURATION:
			*(long *)to = *(const long *)from;
			break;
		case KW_PORT: case KW_BOOL: case KW_TRUST: case KW_MISSING:
			*(int *)to = *(const int *)from;
			break;
		}
	}
	return GETK_OK;
}

enum getk_err
getk_config_new(struct getk_config **r_cfg)
{
	struct getk_config *cfg;

	*r_cfg = NULL;
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg)
		return GETK_ERR_NOMEM;
	account_init(&cfg->defaults);
	cfg->defaults.dns_trust_anchor = strdup(GETK_DEFAULT_TRUST_ANCHOR);
	if (!cfg->defaults.dns_trust_anchor) {
		free(cfg);
		return GETK_ERR_NOMEM;
	}
	*r_cfg = cfg;
	return GETK_OK;
}

void
getk_config_free(struct getk_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	account_clear(&cfg->defaults);
	for (i = 0; i < cfg->naccounts; i++) {
		account_clear(cfg->accounts[i]);
		free(cfg->accounts[i]);
	}
	free(cfg->accounts);
	free(cfg->default_account);
	free(cfg);
}

const struct getk_account *
getk_config_account(const struct getk_config *cfg, const char *name)
{
	size_t i;

	if (!name)
		name = cfg->default_account;
	if (!name)
		return &cfg->defaults;
	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i]->name, name) == 0)
			return cfg->accounts[i];
	return NULL;
}

static struct getk_account *
find_account(struct getk_config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i]->name, name) == 0)
			return cfg->accounts[i];
	return NULL;
}

/* The parser's state while it walks the text. */
struct parse {
	struct getk_conflex lx;		/* the lines, messages, '~' */
	struct getk_config *cfg;
	struct getk_account *cur;	/* section being filled */
	/* Which list keywords the current section set itself, so that its
	 * first use replaces the inherited list and later ones append. */
	unsigned char list_set[NKEYWORDS];
};

static enum getk_err parse_fail(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum getk_err
parse_fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;
	enum getk_err err;

	va_start(ap, fmt);
	err = getk_conflex_vfail(&ps->lx, fmt, ap);
	va_end(ap);
	return err;
}

static enum getk_err
parse_onoff(struct parse *ps, const char *kw, const char *arg, int *r)
{
	if (strcmp(arg, "on") == 0 || *arg == '\0')
		*r = 1;
	else if (strcmp(arg, "off") == 0)
		*r = 0;
	else
		return parse_fail(ps, "%s: expected on or off", kw);
	return GETK_OK;
}

static enum getk_err
set_string(char **field, const char *arg)
{
	char *copy = strdup(arg);

	if (!copy)
		return GETK_ERR_NOMEM;
	free(*field);
	*field = copy;
	return GETK_OK;
}

static enum getk_err
set_keyword(struct parse *ps, size_t idx, const char *kw, const char *arg)
{
	const struct keyword *k = &keywords[idx];
	struct getk_account *a = ps->cur;
	void *field = (char *)a + k->offset;
	const char *why;
	enum getk_err err;
	long n;
	char *path;

	a->set |= 1ULL << idx;

	if (*arg == '\0' && k->type != KW_BOOL && k->type != KW_AUTH &&
	    k->type != KW_SYSLOG && k->type != KW_STR)
		return parse_fail(ps, "%s needs an argument", kw);
	switch (k->type) {
	case KW_STR:
		return set_string((char **)field, arg);
	case KW_PATH:
	case KW_PATH_NONE:
		if (k->type == KW_PATH_NONE && strcmp(arg, "none") == 0) {
			free(*(char **)field);
			*(char **)field = NULL;
			return GETK_OK;
		}
		err = getk_conflex_path(&ps->lx, arg, &path);
		if (err)
			return err;
		free(*(char **)field);
		*(char **)field = path;
		return GETK_OK;
	case KW_LIST:
		why = k->check(arg);
		if (why)
			return parse_fail(ps, "%s: %s", kw, why);
		if (!ps->list_set[idx]) {
			getk_strv_free(*(char ***)field);
			*(char ***)field = NULL;
			ps->list_set[idx] = 1;
		}
		return getk_strv_add((char ***)field, arg);
	case KW_PORT:
	case KW_SECONDS:
		n = 0;
		for (const char *p = arg; *p; p++) {
			if (*p < '0' || *p > '9' || n > 100000)
				return parse_fail(ps, "%s: expected a number", kw);
			n = n * 10 + (*p - '0');
		}
		if (k->type == KW_PORT && (n < 1 || n > 65535))
			return parse_fail(ps, "%s: port out of range", kw);
		if (k->type == KW_SECONDS && (n < 1 || n > 3600))
			return parse_fail(ps, "%s: expected 1 to 3600 seconds",
			    kw);
		if (k->type == KW_PORT)
			*(int *)field = (int)n;
		else
			*(long *)field = n;
		return GETK_OK;
	case KW_DURATION:
		if (getk_duration_parse(arg, &n))
			return parse_fail(ps, "%s: expected a duration such as "
			    "30m, 12h or 7d", kw);
		*(long *)field = n;
		return GETK_OK;
	case KW_BOOL:
		return parse_onoff(ps, kw, arg, (int *)field);
	case KW_SOURCES:
		if (getk_sources_parse(arg, a->sources, &a->nsources))
			return parse_fail(ps, "%s: expected a comma-separated "
			    "list of relay, getk, wkd, dane", kw);
		return GETK_OK;
	case KW_TRUST:
		if (strcmp(arg, "authenticated") == 0)
			a->key_trust_any = 0;
		else if (strcmp(arg, "any") == 0)
			a->key_trust_any = 1;
		else
			return parse_fail(ps, "%s: expected authenticated or any",
			    kw);
		return GETK_OK;
	case KW_MISSING:
		if (strcmp(arg, "refuse") == 0)
			a->missing_key_plaintext = 0;
		else if (strcmp(arg, "plaintext") == 0)
			a->missing_key_plaintext = 1;
		else
			return parse_fail(ps, "%s: expected refuse or plaintext",
			    kw);
		return GETK_OK;
	case KW_AUTH:
		if (*arg == '\0')
			arg = "on";
		for (const char *p = arg; *p; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '-' ||
			    (*p >= '0' && *p <= '9')))
				return parse_fail(ps, "%s: expected on, off or "
				    "a method name", kw);
		return set_string((char **)field, arg);
	case KW_SYSLOG:
		if (strcmp(arg, "off") == 0) {
			free(*(char **)field);
			*(char **)field = NULL;
			return GETK_OK;
		}
		if (*arg == '\0' || strcmp(arg, "on") == 0)
			arg = "LOG_USER";
		if (strcmp(arg, "LOG_USER") != 0 && strcmp(arg, "LOG_MAIL") != 0 &&
		    !(strncmp(arg, "LOG_LOCAL", 9) == 0 && arg[9] >= '0' &&
		    arg[9] <= '7' && arg[10] == '\0'))
			return parse_fail(ps, "%s: expected on, off, LOG_USER, "
			    "LOG_MAIL or LOG_LOCAL0 to LOG_LOCAL7", kw);
		return set_string((char **)field, arg);
	}
	return GETK_ERR_INTERNAL;
}

static int
valid_account_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s == ':' || *s == ',' || *s == ' ' || *s == '\t')
			return 0;
	return 1;
}

/* "account NAME [: PARENT[, PARENT...]]" */
static enum getk_err
start_account(struct parse *ps, char *arg)
{
	struct getk_config *cfg = ps->cfg;
	struct getk_account *a = NULL, **list;
	char *colon = strchr(arg, ':'), *name = arg, *end;
	enum getk_err err;

	if (colon)
		*colon = '\0';
	end = name + strlen(name);
	while (end > name && (end[-1] == ' ' || end[-1] == '\t'))
		*--end = '\0';
	if (!valid_account_name(name))
		return parse_fail(ps, "account: expected a name");
	if (strcmp(name, "default") == 0) {
		/* "account default : NAME" names the default account. */
		char *target = colon ? colon + 1 : NULL;

		while (target && (*target == ' ' || *target == '\t'))
			target++;
		if (!target || !valid_account_name(target))
			return parse_fail(ps, "account default: expected "
			    "\"account default : NAME\"");
		if (!find_account(cfg, target))
			return parse_fail(ps, "account default: no account "
			    "named %s above", target);
		ps->cur = NULL;
		return set_string(&cfg->default_account, target);
	}
	if (find_account(cfg, name))
		return parse_fail(ps, "account %s is defined twice", name);
	a = calloc(1, sizeof(*a));
	if (!a)
		return GETK_ERR_NOMEM;
	err = account_copy(a, &cfg->defaults);
	if (!err && !(a->name = strdup(name)))
		err = GETK_ERR_NOMEM;
	if (!err && colon) {
		char *p = colon + 1;

		while (!err && *p) {
			char *comma = strchr(p, ','), *e;
			struct getk_account *parent;

			if (comma)
				*comma = '\0';
			while (*p == ' ' || *p == '\t')
				p++;
			e = p + strlen(p);
			while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
				*--e = '\0';
			parent = find_account(cfg, p);
			if (!parent) {
				err = parse_fail(ps, "account %s: no account "
				    "named %s above", name, p);
				break;
			}
			err = account_merge(a, parent);
			p = comma ? comma + 1 : p + strlen(p);
		}
	}
	if (!err) {
		list = realloc(cfg->accounts,
		    (cfg->naccounts + 1) * sizeof(*list));
		if (!list)
			err = GETK_ERR_NOMEM;
		else
			cfg->accounts = list;
	}
	if (err) {
		account_clear(a);
		free(a);
		return err;
	}
	cfg->accounts[cfg->naccounts++] = a;
	ps->cur = a;
	memset(ps->list_set, 0, sizeof(ps->list_set));
	return GETK_OK;
}

static enum getk_err
parse_line(struct parse *ps, char *kw, char *arg)
{
	size_t i;

	if (strcmp(kw, "defaults") == 0) {
		if (*arg)
			return parse_fail(ps, "defaults takes no argument");
		ps->cur = &ps->cfg->defaults;
		memset(ps->list_set, 0, sizeof(ps->list_set));
		return GETK_OK;
	}
	if (strcmp(kw, "account") == 0)
		return start_account(ps, arg);
	if (!ps->cur)
		return parse_fail(ps, "%s: no account or defaults section "
		    "to apply it to", kw);
	for (i = 0; i < NKEYWORDS; i++)
		if (strcmp(keywords[i].name, kw) == 0)
			return set_keyword(ps, i, kw, arg);
	return parse_fail(ps, "unknown keyword %s", kw);
}

enum getk_err
getk_config_parse(const char *text, size_t len, const char *filename,
    const char *home, struct getk_config **r_cfg, char *why, size_t whysz)
{
	struct parse ps;
	struct getk_config *cfg = NULL;
	char *kw, *arg;
	enum getk_err err;

	*r_cfg = NULL;
	why[0] = '\0';
	memset(&ps, 0, sizeof(ps));
	err = getk_conflex_init(&ps.lx, text, len, filename, home);
	if (!err)
		err = getk_config_new(&cfg);
	if (err)
		goto leave;
	ps.cfg = cfg;
	ps.cur = &cfg->defaults;
	for (;;) {
		err = getk_conflex_next(&ps.lx, &kw, &arg);
		if (err || !kw)
			break;
		err = parse_line(&ps, kw, arg);
		if (err)
			break;
	}
	if (err)
		goto leave;
	*r_cfg = cfg;
	cfg = NULL;
leave:
	getk_config_free(cfg);
	if (err == GETK_ERR_CONFIG)
		snprintf(why, whysz, "%s", ps.lx.msg);
	getk_conflex_free(&ps.lx);
	return err;
}

/* Writes "PATH: WHAT" into WHY; GETK_ERR_CONFIG. */
static enum getk_err
config_msg(char *why, size_t whysz, const char *path, const char *what)
{
	snprintf(why, whysz, "%s: %s", path, what);
	return GETK_ERR_CONFIG;
}

/* As config_msg, with the file's name once more at the end, for the
 * command that fixes it. */
static enum getk_err
config_msg2(char *why, size_t whysz, const char *path, const char *what)
{
	snprintf(why, whysz, "%s: %s %s", path, what, path);
	return GETK_ERR_CONFIG;
}

/* Non-zero when some section of CFG sets a password. */
static int
has_password(const struct getk_config *cfg)
{
	size_t i;

	if (cfg->defaults.password)
		return 1;
	for (i = 0; i < cfg->naccounts; i++)
		if (cfg->accounts[i]->password)
			return 1;
	return 0;
}

enum getk_err
getk_config_load(const char *path, const char *home,
    struct getk_config **r_cfg, char *why, size_t whysz)
{
	struct getk_buf b;
	struct stat st;
	enum getk_err err = GETK_OK;
	int fd;

	*r_cfg = NULL;
	why[0] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return GETK_ERR_SYSTEM;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return GETK_ERR_SYSTEM;
	}
	/* A file that someone else can change can make getk trust keys,
	 * relays and, through passwordeval, run commands as the user
	 * (msmtp refuses it too). */
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		close(fd);
		return config_msg(why, whysz, path, "owned by another user, who "
		    "could change it; it must be yours (chown) or root's");
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return config_msg2(why, whysz, path, "others can write to it; "
		    "run: chmod go-w");
	}
	getk_buf_init(&b, GETK_CONFIG_MAX);
	err = getk_buf_read_fd(&b, fd);
	close(fd);
	if (err == GETK_ERR_TOOBIG) {
		snprintf(why, whysz, "%s: larger than %d bytes", path,
		    GETK_CONFIG_MAX);
		err = GETK_ERR_CONFIG;
	}
	if (!err)
		err = getk_config_parse(b.data ? b.data : "", b.len, path, home,
		    r_cfg, why, whysz);
	getk_buf_free(&b);
	/* A password is a secret: nobody but the owner may read it. */
	if (!err && (st.st_mode & (S_IRWXG | S_IRWXO)) &&
	    has_password(*r_cfg)) {
		getk_config_free(*r_cfg);
		*r_cfg = NULL;
		err = config_msg2(why, whysz, path, "holds a password, and others "
		    "can read it; run: chmod 600");
	}
	return err;
}

enum getk_err
getk_config_read(const char *path, struct getk_config **r_cfg, char *why,
    size_t whysz)
{
	const char *home = getenv("HOME"), *xdg = getenv("XDG_CONFIG_HOME");
	struct getk_buf user;
	enum getk_err err;

	*r_cfg = NULL;
	why[0] = '\0';
	if (home && !*home)
		home = NULL;
	if (path) {
		err = getk_config_load(path, home, r_cfg, why, whysz);
		if (err == GETK_ERR_SYSTEM)
			return config_msg(why, whysz, path, strerror(errno));
		return err;
	}
	getk_buf_init(&user, PATH_MAX);
	if (xdg && *xdg == '/')
		err = getk_buf_printf(&user, "%s/getk/config", xdg);
	else if (home)
		err = getk_buf_printf(&user, "%s/.config/getk/config", home);
	else
		err = GETK_ERR_INVAL;
	if (!err) {
		err = getk_config_load(user.data, home, r_cfg, why, whysz);
		if (err == GETK_ERR_SYSTEM && errno != ENOENT)
			err = config_msg(why, whysz, user.data, strerror(errno));
		if (err != GETK_ERR_SYSTEM) {
			getk_buf_free(&user);
			return err;
		}
	}
	getk_buf_free(&user);
	err = getk_config_load(SYSCONFDIR "/getk.conf", home, r_cfg, why,
	    whysz);
	if (err == GETK_ERR_SYSTEM && errno == ENOENT)
		return getk_config_new(r_cfg);
	if (err == GETK_ERR_SYSTEM)
		return config_msg(why, whysz, SYSCONFDIR "/getk.conf",
		    strerror(errno));
	return err;
}

void
getk_account_relay(const struct getk_account *a, struct getk_relay *r)
{
	memset(r, 0, sizeof(*r));
	r->host = a->host;
	r->no_tls = !a->tls;
	r->implicit_tls = a->tls && !a->tls_starttls;
	r->port = a->port ? a->port : r->implicit_tls ? 465 : 587;
	if (a->user && !(a->auth && strcmp(a->auth, "off") == 0)) {
		r->user = a->user;
		if (a->auth && strcmp(a->auth, "on") != 0)
			r->auth_method = a->auth;
	}
}

int
getk_relay_answers_getk(const struct getk_relay *r, const char **r_why)
{
	*r_why = NULL;
	if (!r->host)
		*r_why = "no relay host";
	else if (r->no_tls)
		*r_why = "the relay is used without TLS: no GETK there";
	else if (!r->user)
		*r_why = "no user to authenticate as: no GETK there";
	return *r_why == NULL;
}

enum getk_err
getk_default_path(const char *configured, const char *env, int absolute,
    const char *sub, const char *homesub, char **r_path)
{
	const char *value = env ? getenv(env) : NULL, *home = getenv("HOME");
	struct getk_buf b;
	enum getk_err err;

	*r_path = NULL;
	getk_buf_init(&b, PATH_MAX);
	if (configured)
		err = getk_buf_adds(&b, configured);
	else if (value && *value && (!absolute || *value == '/'))
		err = getk_buf_printf(&b, "%s%s%s", value, sub ? "/" : "",
		    sub ? sub : "");
	else if (home && *home)
		err = getk_buf_printf(&b, "%s/%s", home, homesub);
	else
		return GETK_ERR_CONFIG;
	if (err) {
		getk_buf_free(&b);
		return err == GETK_ERR_TOOBIG ? GETK_ERR_CONFIG : err;
	}
	*r_path = getk_buf_take(&b, NULL);
	return *r_path ? GETK_OK : GETK_ERR_NOMEM;
}

enum getk_err
getk_account_state_dir(const struct getk_account *account, char **r_dir)
{
	return getk_default_path(account->state_dir, "XDG_STATE_HOME", 1,
	    "getk", ".local/state/getk", r_dir);
}

enum getk_err
getk_account_queue_dir(const struct getk_account *account, char **r_dir)
{
	struct getk_buf b;
	char *state = NULL;
	enum getk_err err;

	*r_dir = NULL;
	if (account->queue_dir) {
		*r_dir = strdup(account->queue_dir);
		return *r_dir ? GETK_OK : GETK_ERR_NOMEM;
	}
	err = getk_account_state_dir(account, &state);
	if (err)
		return err;
	getk_buf_init(&b, PATH_MAX);
	err = getk_buf_printf(&b, "%s/queue", state);
	free(state);
	if (err) {
		getk_buf_free(&b);
		return err == GETK_ERR_TOOBIG ? GETK_ERR_CONFIG : err;
	}
	*r_dir = getk_buf_take(&b, NULL);
	return *r_dir ? GETK_OK : GETK_ERR_NOMEM;
}

/* Longest line passwordeval may give. */
#define PASSWORD_MAX 4096

enum getk_err
getk_account_password(const struct getk_account *account,
    char **r_password, char *why, size_t whysz)
{
	char buf[PASSWORD_MAX + 2];
	FILE *p;
	size_t len;
	int rc;

	*r_password = NULL;
	why[0] = '\0';
	if (account->password || !account->passwordeval) {
		if (account->password && !(*r_password =
		    strdup(account->password)))
			return GETK_ERR_NOMEM;
		return GETK_OK;
	}
	p = popen(account->passwordeval, "r");
	if (!p) {
		snprintf(why, whysz, "passwordeval: cannot run: %s",
		    strerror(errno));
		return GETK_ERR_CONFIG;
	}
	if (!fgets(buf, sizeof(buf), p))
		buf[0] = '\0';
	while (fgetc(p) != EOF)
		;
	rc = pclose(p);
	if (rc != 0) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(why, whysz, "passwordeval: the command failed");
		return GETK_ERR_CONFIG;
	}
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
		buf[--len] = '\0';
	*r_password = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	return *r_password ? GETK_OK : GETK_ERR_NOMEM;
}
