/*
 * conf.h: the configuration file (getk.conf(5)).
 *
 * The syntax is msmtp's: one "keyword argument" per line, '#' comments,
 * arguments optionally in double quotes, '~' at the start of a path
 * expanded to $HOME; "defaults" starts the section whose settings every
 * later account inherits, "account NAME [: NAME...]" starts an account
 * (inheriting from the named ones), "account default : NAME" names the
 * default account.  The parser is pure: text in, structure out.
 */
#ifndef GETK_CONF_H
#define GETK_CONF_H

#include <stddef.h>

#include "error.h"
#include "trust.h"

/* Largest configuration file read. */
#define GETK_CONFIG_MAX (1024 * 1024)

/* One account: every keyword of getk.conf(5), inherited or set. */
struct getk_account {
	char *name;			/* NULL for the defaults */

	/* Lookup and trust. */
	enum getk_source sources[GETK_NSOURCES];	/* in order */
	size_t nsources;
	int key_trust_any;		/* key_trust any */
	char **dns_servers;		/* "ADDR[@PORT]"; NULL-terminated */
	char *dns_trust_anchor;		/* path, or NULL for none */
	char **connect_to;		/* "H1:P1:H2:P2"; NULL-terminated */
	char *tls_trust_file;		/* path, or NULL: system store */
	int getk_port;			/* port asked at an MX */
	long timeout;			/* seconds per network operation */
	long lookup_timeout;		/* seconds a lookup may take in all;
					   0: twice timeout */
	char *state_dir;		/* path, or NULL: XDG default */
	char *keyring_home;		/* GnuPG home of the keyring source,
					   or NULL: $GNUPGHOME, else
					   ~/.gnupg */
	long refresh_after;		/* seconds */
	long negative_ttl;		/* seconds */

	/* Sending. */
	char *host;			/* relay host, or NULL */
	int port;			/* 0: by tls_starttls */
	int tls;			/* tls on/off */
	int tls_starttls;		/* STARTTLS (1) or implicit TLS */
	char *auth;			/* "on", "off" or a method; NULL: by user */
	char *user;
	char *password;
	char *passwordeval;
	char *from;
	int missing_key_plaintext;	/* missing_key plaintext */
	int encrypt_to_self;
	char *self_key;			/* fingerprint */
	int protect_subject;
	char *logfile;
	char *syslog;			/* facility, or NULL: off */
	int queue;			/* queue on: keep a message that met a
					   temporary failure */
	char *queue_dir;		/* path, or NULL: STATE/queue */
	long queue_lifetime;		/* seconds before a queued message
					   is given up */

	unsigned long long set;		/* for the parser: bit i set when
					   keyword i was given for this
					   account or an account it
					   inherits from */
};

struct getk_config {
	struct getk_account defaults;	/* the "defaults" section */
	struct getk_account **accounts;	/* the accounts, in file order */
	size_t naccounts;
	char *default_account;		/* "account default : NAME" */
};

/*
 * A configuration holding only the built-in defaults.  GETK_ERR_NOMEM.
 */
enum getk_err getk_config_new(struct getk_config **r_cfg);

/*
 * Parses LEN bytes of configuration text; FILENAME is used in messages
 * and HOME for '~' expansion (NULL: no expansion).  On GETK_ERR_CONFIG,
 * WHY (WHYSZ bytes) says "FILE:LINE: what is wrong".  GETK_ERR_NOMEM.
 */
enum getk_err getk_config_parse(const char *text, size_t len,
    const char *filename, const char *home, struct getk_config **r_cfg,
    char *why, size_t whysz);

/*
 * Reads and parses the file at PATH (at most GETK_CONFIG_MAX bytes).  A
 * missing file is GETK_ERR_SYSTEM with errno ENOENT; other errors as
 * getk_config_parse, with WHY set.  As msmtp does, a file that could
 * let someone else act as the user is refused with GETK_ERR_CONFIG and a
 * message that says how to fix it: a file owned by another user than the
 * caller or root, a file that group or others can write, and a file with
 * a password that group or others can read.
 */
enum getk_err getk_config_load(const char *path, const char *home,
    struct getk_config **r_cfg, char *why, size_t whysz);

/*
 * Reads the configuration a program uses: PATH when given (it must
 * exist), else $XDG_CONFIG_HOME/getk/config (~/.config/getk/config), else
 * SYSCONFDIR/getk.conf; the built-in defaults when neither exists.
 * Errors as getk_config_load; a missing PATH is GETK_ERR_CONFIG with
 * WHY set.
 */
enum getk_err getk_config_read(const char *path, struct getk_config **r_cfg,
    char *why, size_t whysz);

/* The built-in DNSSEC trust anchor; a missing file means no validation. */
#define GETK_DEFAULT_TRUST_ANCHOR "/usr/share/dns/root.key"

/*
 * The relay password of ACCOUNT as a new string in *R_PASSWORD: the
 * password keyword, else the first line printed by the passwordeval
 * command (run through /bin/sh), else NULL.  GETK_ERR_CONFIG with *WHY
 * (WHYSZ bytes) when the command cannot run or fails; GETK_ERR_NOMEM.
 */
enum getk_err getk_account_password(const struct getk_account *account,
    char **r_password, char *why, size_t whysz);

/*
 * The relay of an account: where getk-sendmail submits and where the
 * relay source asks GETK (getk.conf(5), Sending).  The strings are the
 * account's.
 */
struct getk_relay {
	const char *host;		/* NULL: none configured */
	int port;			/* port, else 465 with implicit TLS,
					   else 587 */
	int no_tls;			/* tls off */
	int implicit_tls;		/* tls_starttls off: smtps */
	const char *user;		/* NULL: no AUTH (no user, or auth
					   off) */
	const char *auth_method;	/* SASL mechanism ("plain", "login"),
					   or NULL: any the relay offers */
};

/* Fills R with the relay of ACCOUNT. */
void getk_account_relay(const struct getk_account *account,
    struct getk_relay *r);

/*
 * Non-zero when GETK may be asked of the relay R: it has a host, TLS
 * and a user to authenticate as, for a relay answers GETK only after
 * TLS and AUTH (GETK.md 7).  Otherwise *R_WHY (a fixed string) says
 * what is missing.
 */
int getk_relay_answers_getk(const struct getk_relay *r, const char **r_why);

/*
 * A path from the first of these that applies: CONFIGURED; $ENV, with
 * "/SUB" appended when SUB is not NULL, when ENV is set and not empty
 * (and, with ABSOLUTE, an absolute path); $HOME/HOMESUB.  A new string
 * in *R_PATH.  GETK_ERR_CONFIG when none applies, GETK_ERR_NOMEM.
 */
enum getk_err getk_default_path(const char *configured, const char *env,
    int absolute, const char *sub, const char *homesub, char **r_path);

/*
 * The state directory of ACCOUNT (cache and pins): state_dir, else
 * $XDG_STATE_HOME/getk, else $HOME/.local/state/getk, as a new string in
 * *R_DIR.  GETK_ERR_CONFIG when none can be found, GETK_ERR_NOMEM.
 */
enum getk_err getk_account_state_dir(const struct getk_account *account,
    char **r_dir);

/*
 * The queue directory of ACCOUNT: queue_dir, else the "queue" directory
 * in the state directory, as a new string in *R_DIR.  GETK_ERR_CONFIG
 * when there is no state directory, GETK_ERR_NOMEM.
 */
enum getk_err getk_account_queue_dir(const struct getk_account *account,
    char **r_dir);

/* Frees a configuration; NULL is a no-op. */
void getk_config_free(struct getk_config *cfg);

/*
 * The account named NAME, or with NAME NULL the default account (the one
 * "account default" names, else the defaults section).  NULL when there
 * is no such account.
 */
const struct getk_account *getk_config_account(const struct getk_config *cfg,
    const char *name);

/*
 * Parses a duration "90", "30s", "15m", "12h", "7d", "2w" into seconds.
 * GETK_ERR_SYNTAX.
 */
enum getk_err getk_duration_parse(const char *s, long *r_seconds);

/*
 * Writes SECONDS as getk_duration_parse reads it, in its two largest
 * units ("5d", "2h10m", "45s"; a negative time as 0s), into BUF.
 */
void getk_duration_format(long seconds, char *buf, size_t bufsz);

#endif
