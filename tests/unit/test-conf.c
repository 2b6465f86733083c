/*
 * test-conf.c: unit tests of src/conf.c, the getk.conf(5) parser
 * (msmtp syntax; INTERFACE.md "Configuration file").
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "unit.h"

#define HOME "/home/tester"

/* Parses TEXT (LEN bytes) as file "t.conf"; NULL on failure with *R_MSG. */
static struct getk_config *
parse_len(const char *text, size_t len, char **r_msg)
{
	struct getk_config *cfg = NULL;
	enum getk_err err;

	char why[1024];

	*r_msg = NULL;
	memset(why, 'x', sizeof(why));
	err = getk_config_parse(text, len, "t.conf", HOME, &cfg, why,
	    sizeof(why));
	if (err != GETK_OK && err != GETK_ERR_CONFIG)
		BAIL_OUT("getk_config_parse returned %d", (int)err);
	if ((err == GETK_OK) != (cfg != NULL) ||
	    (err == GETK_OK) != (why[0] == '\0'))
		BAIL_OUT("getk_config_parse: result and message disagree");
	if (err && !(*r_msg = strdup(why)))
		BAIL_OUT("out of memory");
	return cfg;
}

/* Parses TEXT and checks that it is accepted. */
static struct getk_config *
parse_ok(const char *text, const char *desc)
{
	char *msg = NULL;
	struct getk_config *cfg = parse_len(text, strlen(text), &msg);

	if (!CHECK(cfg != NULL, "accepted: %s", desc))
		DIAG("message: %s", msg);
	free(msg);
	return cfg;
}

/*
 * Parses the LEN bytes of TEXT and checks that they are refused with a
 * message "t.conf:LINE: ..." that contains PART.
 */
static void
parse_bad_len(const char *text, size_t len, int line, const char *part,
    const char *desc)
{
	char *msg = NULL, prefix[64];
	struct getk_config *cfg = parse_len(text, len, &msg);

	snprintf(prefix, sizeof(prefix), "t.conf:%d: ", line);
	CHECK(cfg == NULL, "refused: %s", desc);
	if (!CHECK(msg[0] && strncmp(msg, prefix, strlen(prefix)) == 0 &&
	    strstr(msg + strlen(prefix), part),
	    "%s: message is \"%s...%s...\"", desc, prefix, part))
		DIAG("message: %s", msg ? msg : "(null)");
	free(msg);
	getk_config_free(cfg);
}

static void
parse_bad(const char *text, int line, const char *part, const char *desc)
{
	parse_bad_len(text, strlen(text), line, part, desc);
}

/* "KEYWORD ARG" in a defaults section must be refused naming PART. */
static void
bad_value(const char *kw, const char *arg, const char *part)
{
	char text[1024], desc[1024];

	snprintf(text, sizeof(text), "# comment\ndefaults\n%s %s\n", kw, arg);
	snprintf(desc, sizeof(desc), "%s %.60s", kw, arg);
	parse_bad(text, 3, part, desc);
}

/* "KEYWORD ARG" must be accepted. */
static struct getk_config *
good_value(const char *kw, const char *arg)
{
	char text[512], desc[512];

	snprintf(text, sizeof(text), "account a\n%s %s\n", kw, arg);
	snprintf(desc, sizeof(desc), "%s %s", kw, arg);
	return parse_ok(text, desc);
}

/* The account named NAME, bailing out when there is none. */
static const struct getk_account *
acc(const struct getk_config *cfg, const char *name)
{
	const struct getk_account *a;

	if (!cfg)
		BAIL_OUT("no configuration to look up %s in", name);
	a = getk_config_account(cfg, name);
	if (!a)
		BAIL_OUT("no account %s", name ? name : "(default)");
	return a;
}

static size_t
list_len(char *const *list)
{
	size_t n = 0;

	while (list && list[n])
		n++;
	return n;
}

/* Checks that LIST holds the NULL-terminated strings of WANT. */
static void
check_list(char *const *list, const char *const *want, const char *desc)
{
	size_t i, n = 0;
	int ok;

	while (want[n])
		n++;
	ok = list_len(list) == n;
	for (i = 0; ok && i < n; i++)
		ok = strcmp(list[i], want[i]) == 0;
	if (!CHECK(ok, "%s", desc)) {
		for (i = 0; list && list[i]; i++)
			DIAG("got [%zu] %s", i, list[i]);
	}
}

#define LIST(...) ((const char *const []){ __VA_ARGS__, NULL })
#define EMPTY ((const char *const []){ NULL })

/* Checks every field of A against the built-in defaults. */
static void
check_builtin(const struct getk_account *a, const char *what)
{
	CHECK(a->nsources == 5 && a->sources[0] == GETK_SOURCE_KEYRING &&
	    a->sources[1] == GETK_SOURCE_RELAY &&
	    a->sources[2] == GETK_SOURCE_GETK &&
	    a->sources[3] == GETK_SOURCE_WKD &&
	    a->sources[4] == GETK_SOURCE_DANE,
	    "%s: sources keyring,relay,getk,wkd,dane", what);
	CHECK_INT(a->key_trust_any, 0, "%s: key_trust authenticated", what);
	CHECK(a->dns_servers == NULL || a->dns_servers[0] == NULL,
	    "%s: no dns_server", what);
	CHECK_STR(a->dns_trust_anchor, "/usr/share/dns/root.key",
	    "%s: dns_trust_anchor", what);
	CHECK(a->connect_to == NULL || a->connect_to[0] == NULL,
	    "%s: no connect_to", what);
	CHECK_STR(a->tls_trust_file, NULL, "%s: tls_trust_file", what);
	CHECK_INT(a->getk_port, 25, "%s: getk_port", what);
	CHECK_INT(a->timeout, 30, "%s: timeout", what);
	CHECK_STR(a->state_dir, NULL, "%s: state_dir", what);
	CHECK_STR(a->keyring_home, NULL, "%s: keyring_home", what);
	CHECK_INT(a->refresh_after, 7 * 86400, "%s: refresh_after 7d", what);
	CHECK_INT(a->negative_ttl, 3600, "%s: negative_ttl 1h", what);
	CHECK_STR(a->host, NULL, "%s: host", what);
	CHECK_INT(a->port, 0, "%s: port by tls_starttls", what);
	CHECK_INT(a->tls, 1, "%s: tls on", what);
	CHECK_INT(a->tls_starttls, 1, "%s: tls_starttls on", what);
	CHECK_STR(a->auth, NULL, "%s: auth by user", what);
	CHECK_STR(a->user, NULL, "%s: user", what);
	CHECK_STR(a->password, NULL, "%s: password", what);
	CHECK_STR(a->passwordeval, NULL, "%s: passwordeval", what);
	CHECK_STR(a->from, NULL, "%s: from", what);
	CHECK_INT(a->missing_key_plaintext, 0, "%s: missing_key refuse", what);
	CHECK_INT(a->encrypt_to_self, 1, "%s: encrypt_to_self on", what);
	CHECK_STR(a->self_key, NULL, "%s: self_key", what);
	CHECK_INT(a->protect_subject, 1, "%s: protect_subject on", what);
	CHECK_STR(a->logfile, NULL, "%s: logfile", what);
	CHECK_STR(a->syslog, NULL, "%s: syslog off", what);
	CHECK_INT(a->queue, 0, "%s: queue off", what);
	CHECK_STR(a->queue_dir, NULL, "%s: queue_dir in the state_dir", what);
	CHECK_INT(a->queue_lifetime, 5 * 86400, "%s: queue_lifetime 5d", what);
}

static void
test_defaults(void)
{
	struct getk_config *cfg = NULL;

	CHECK(getk_config_new(&cfg) == GETK_OK && cfg, "getk_config_new");
	if (cfg) {
		check_builtin(&cfg->defaults, "config_new");
		CHECK(cfg->naccounts == 0 && cfg->default_account == NULL,
		    "config_new: no accounts");
		CHECK(getk_config_account(cfg, NULL) == &cfg->defaults,
		    "config_new: the default account is the defaults");
	}
	getk_config_free(cfg);

	cfg = parse_ok("", "an empty file");
	if (cfg) {
		check_builtin(&cfg->defaults, "empty file");
		CHECK(cfg->defaults.name == NULL, "the defaults have no name");
		CHECK(getk_config_account(cfg, NULL) == &cfg->defaults,
		    "empty file: the default account is the defaults");
		CHECK(getk_config_account(cfg, "x") == NULL,
		    "empty file: no account x");
	}
	getk_config_free(cfg);

	cfg = parse_ok("# only a comment\n\n   \n\t# indented comment\n",
	    "comments and blank lines");
	if (cfg)
		check_builtin(&cfg->defaults, "comments only");
	getk_config_free(cfg);

	cfg = parse_ok("account plain\n", "one empty account");
	if (cfg) {
		check_builtin(acc(cfg, "plain"), "empty account");
		CHECK_STR(acc(cfg, "plain")->name, "plain", "account name");
		CHECK(getk_config_account(cfg, NULL) == &cfg->defaults,
		    "without account default, the default is the defaults");
	}
	getk_config_free(cfg);

	getk_config_free(NULL);
	CHECK(1, "getk_config_free(NULL) is a no-op");
}

/* Every keyword set in one account. */
static void
test_every_keyword(void)
{
	static const char text[] =
	    "# every keyword\n"
	    "account all\n"
	    "sources getk,dane\n"
	    "key_trust any\n"
	    "dns_server 127.0.0.1@5353\n"
	    "dns_server ::1\n"
	    "dns_trust_anchor ~/root.key\n"
	    "connect_to mx.example.org:25:127.0.0.1:2525\n"
	    "connect_to ::[::1]:443\n"
	    "tls_trust_file /etc/ca.pem\n"
	    "getk_port 2525\n"
	    "timeout 3600\n"
	    "state_dir ~/state\n"
	    "keyring_home ~/.gnupg-mail\n"
	    "refresh_after 12h\n"
	    "negative_ttl 30m\n"
	    "host smtp.example.org\n"
	    "port 465\n"
	    "tls off\n"
	    "tls_starttls off\n"
	    "auth plain\n"
	    "user alice\n"
	    "password \"secret with spaces\"\n"
	    "passwordeval \"pass show mail\"\n"
	    "from alice@example.org\n"
	    "missing_key plaintext\n"
	    "encrypt_to_self off\n"
	    "self_key 0123456789ABCDEF0123456789ABCDEF01234567\n"
	    "protect_subject off\n"
	    "logfile ~/getk.log\n"
	    "syslog LOG_MAIL\n"
	    "queue on\n"
	    "queue_dir ~/queue\n"
	    "queue_lifetime 12h\n";
	struct getk_config *cfg = parse_ok(text, "every keyword");
	const struct getk_account *a;

	if (!cfg)
		return;
	a = acc(cfg, "all");
	CHECK(a->nsources == 2 && a->sources[0] == GETK_SOURCE_GETK &&
	    a->sources[1] == GETK_SOURCE_DANE, "sources getk,dane");
	CHECK_INT(a->key_trust_any, 1, "key_trust any");
	check_list(a->dns_servers, LIST("127.0.0.1@5353", "::1"),
	    "dns_server twice");
	CHECK_STR(a->dns_trust_anchor, HOME "/root.key", "dns_trust_anchor");
	check_list(a->connect_to, LIST("mx.example.org:25:127.0.0.1:2525",
	    "::[::1]:443"), "connect_to twice");
	CHECK_STR(a->tls_trust_file, "/etc/ca.pem", "tls_trust_file");
	CHECK_INT(a->getk_port, 2525, "getk_port");
	CHECK_INT(a->timeout, 3600, "timeout");
	CHECK_STR(a->state_dir, HOME "/state", "state_dir");
	CHECK_STR(a->keyring_home, HOME "/.gnupg-mail", "keyring_home");
	CHECK_INT(a->refresh_after, 12 * 3600, "refresh_after");
	CHECK_INT(a->negative_ttl, 30 * 60, "negative_ttl");
	CHECK_STR(a->host, "smtp.example.org", "host");
	CHECK_INT(a->port, 465, "port");
	CHECK_INT(a->tls, 0, "tls");
	CHECK_INT(a->tls_starttls, 0, "tls_starttls");
	CHECK_STR(a->auth, "plain", "auth");
	CHECK_STR(a->user, "alice", "user");
	CHECK_STR(a->password, "secret with spaces", "password");
	CHECK_STR(a->passwordeval, "pass show mail", "passwordeval");
	CHECK_STR(a->from, "alice@example.org", "from");
	CHECK_INT(a->missing_key_plaintext, 1, "missing_key");
	CHECK_INT(a->encrypt_to_self, 0, "encrypt_to_self");
	CHECK_STR(a->self_key, "0123456789ABCDEF0123456789ABCDEF01234567",
	    "self_key");
	CHECK_INT(a->protect_subject, 0, "protect_subject");
	CHECK_STR(a->logfile, HOME "/getk.log", "logfile");
	CHECK_STR(a->syslog, "LOG_MAIL", "syslog");
	CHECK_INT(a->queue, 1, "queue");
	CHECK_STR(a->queue_dir, HOME "/queue", "queue_dir");
	CHECK_INT(a->queue_lifetime, 12 * 3600, "queue_lifetime");
	check_builtin(&cfg->defaults, "defaults untouched by the account");
	getk_config_free(cfg);
}

/* The values each typed keyword accepts. */
static void
test_good_values(void)
{
	struct getk_config *cfg;
	static const struct {
		const char *arg;
		long seconds;
	} durations[] = {
		{ "0", 0 }, { "90", 90 }, { "30s", 30 }, { "15m", 900 },
		{ "12h", 43200 }, { "7d", 604800 }, { "2w", 1209600 },
	};
	size_t i;

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		cfg = good_value("refresh_after", durations[i].arg);
		if (cfg)
			CHECK_INT(acc(cfg, "a")->refresh_after,
			    durations[i].seconds, "refresh_after %s",
			    durations[i].arg);
		getk_config_free(cfg);
		cfg = good_value("queue_lifetime", durations[i].arg);
		if (cfg)
			CHECK_INT(acc(cfg, "a")->queue_lifetime,
			    durations[i].seconds, "queue_lifetime %s",
			    durations[i].arg);
		getk_config_free(cfg);
		cfg = good_value("negative_ttl", durations[i].arg);
		if (cfg)
			CHECK_INT(acc(cfg, "a")->negative_ttl,
			    durations[i].seconds, "negative_ttl %s",
			    durations[i].arg);
		getk_config_free(cfg);
	}

	cfg = good_value("timeout", "1");
	if (cfg)
		CHECK_INT(acc(cfg, "a")->timeout, 1, "timeout 1");
	getk_config_free(cfg);
	cfg = good_value("lookup_timeout", "90");
	if (cfg)
		CHECK_INT(acc(cfg, "a")->lookup_timeout, 90,
		    "lookup_timeout 90");
	getk_config_free(cfg);
	cfg = good_value("port", "1");
	if (cfg)
		CHECK_INT(acc(cfg, "a")->port, 1, "port 1");
	getk_config_free(cfg);
	cfg = good_value("port", "65535");
	if (cfg)
		CHECK_INT(acc(cfg, "a")->port, 65535, "port 65535");
	getk_config_free(cfg);
	cfg = good_value("getk_port", "65535");
	if (cfg)
		CHECK_INT(acc(cfg, "a")->getk_port, 65535, "getk_port 65535");
	getk_config_free(cfg);

	/* on/off keywords: an empty argument means on, as in msmtp. */
	cfg = parse_ok("defaults\ntls off\ntls_starttls off\nencrypt_to_self "
	    "off\nprotect_subject off\naccount a\ntls\ntls_starttls on\n"
	    "encrypt_to_self\nprotect_subject on\n", "on/off keywords");
	if (cfg) {
		const struct getk_account *a = acc(cfg, "a");

		CHECK(cfg->defaults.tls == 0 && cfg->defaults.tls_starttls == 0 &&
		    cfg->defaults.encrypt_to_self == 0 &&
		    cfg->defaults.protect_subject == 0, "on/off: off");
		CHECK(a->tls == 1 && a->tls_starttls == 1 &&
		    a->encrypt_to_self == 1 && a->protect_subject == 1,
		    "on/off: on, and empty for on");
	}
	getk_config_free(cfg);

	cfg = parse_ok("account a\nkey_trust any\nkey_trust authenticated\n"
	    "missing_key plaintext\nmissing_key refuse\n",
	    "key_trust and missing_key set back");
	if (cfg)
		CHECK(acc(cfg, "a")->key_trust_any == 0 &&
		    acc(cfg, "a")->missing_key_plaintext == 0,
		    "the last setting wins");
	getk_config_free(cfg);

	/* auth: on, off, a method, or empty for on. */
	cfg = parse_ok("account a\nauth\naccount b\nauth off\naccount c\n"
	    "auth scram-sha-256\naccount d\nauth on\n", "auth values");
	if (cfg) {
		CHECK_STR(acc(cfg, "a")->auth, "on", "auth alone is on");
		CHECK_STR(acc(cfg, "b")->auth, "off", "auth off");
		CHECK_STR(acc(cfg, "c")->auth, "scram-sha-256", "auth method");
		CHECK_STR(acc(cfg, "d")->auth, "on", "auth on");
	}
	getk_config_free(cfg);

	/* syslog: on is LOG_USER, off is NULL, or a facility. */
	cfg = parse_ok("defaults\nsyslog LOG_LOCAL3\naccount a\nsyslog\n"
	    "account b\nsyslog off\naccount c\nsyslog on\naccount d\n",
	    "syslog values");
	if (cfg) {
		CHECK_STR(cfg->defaults.syslog, "LOG_LOCAL3", "syslog facility");
		CHECK_STR(acc(cfg, "a")->syslog, "LOG_USER",
		    "syslog alone is LOG_USER");
		CHECK_STR(acc(cfg, "b")->syslog, NULL, "syslog off");
		CHECK_STR(acc(cfg, "c")->syslog, "LOG_USER", "syslog on");
		CHECK_STR(acc(cfg, "d")->syslog, "LOG_LOCAL3",
		    "syslog inherited");
	}
	getk_config_free(cfg);

	/* dns_server forms. */
	cfg = parse_ok("account a\ndns_server 192.0.2.1\ndns_server "
	    "192.0.2.2@53\ndns_server 2001:db8::1@65535\ndns_server "
	    "::ffff:192.0.2.3\n", "dns_server forms");
	if (cfg)
		check_list(acc(cfg, "a")->dns_servers, LIST("192.0.2.1",
		    "192.0.2.2@53", "2001:db8::1@65535", "::ffff:192.0.2.3"),
		    "dns_server forms kept in order");
	getk_config_free(cfg);

	/* connect_to forms, empty parts as curl allows them. */
	cfg = parse_ok("account a\nconnect_to a.example:25:b.example:2525\n"
	    "connect_to :25:127.0.0.1:\nconnect_to :::\n"
	    "connect_to [2001:db8::1]:443:[::1]:8443\n", "connect_to forms");
	if (cfg)
		check_list(acc(cfg, "a")->connect_to,
		    LIST("a.example:25:b.example:2525", ":25:127.0.0.1:",
		    ":::", "[2001:db8::1]:443:[::1]:8443"),
		    "connect_to forms kept in order");
	getk_config_free(cfg);

	/* dns_trust_anchor none. */
	cfg = parse_ok("defaults\ndns_trust_anchor none\naccount a\n"
	    "account b\ndns_trust_anchor /etc/root.key\naccount c : b\n"
	    "dns_trust_anchor none\n", "dns_trust_anchor none");
	if (cfg) {
		CHECK_STR(cfg->defaults.dns_trust_anchor, NULL,
		    "dns_trust_anchor none is NULL");
		CHECK_STR(acc(cfg, "a")->dns_trust_anchor, NULL,
		    "and is inherited as NULL");
		CHECK_STR(acc(cfg, "b")->dns_trust_anchor, "/etc/root.key",
		    "an account sets a path again");
		CHECK_STR(acc(cfg, "c")->dns_trust_anchor, NULL,
		    "and its child sets none again");
	}
	getk_config_free(cfg);

	/* Empty string keywords are kept as empty strings. */
	cfg = parse_ok("account a\npassword \"\"\nhost\n", "empty strings");
	if (cfg) {
		CHECK_STR(acc(cfg, "a")->password, "", "password \"\"");
		CHECK_STR(acc(cfg, "a")->host, "", "host without argument");
	}
	getk_config_free(cfg);
}

/* Values each typed keyword refuses. */
static void
test_bad_values(void)
{
	char big[700];

	/* Keywords and sections. */
	parse_bad("defaults\nhots smtp.example.org\n", 2,
	    "unknown keyword hots", "an unknown keyword");
	parse_bad("account a\nHOST x\n", 2, "unknown keyword HOST",
	    "keywords are case-sensitive");
	parse_bad("defaults x\n", 1, "defaults takes no argument",
	    "defaults with an argument");
	parse_bad("\n\n\n\naccount\n", 5, "account", "account without a name");
	parse_bad("account a b\n", 1, "account", "an account name with a space");
	parse_bad("account a\naccount a\n", 2, "defined twice",
	    "an account defined twice");
	parse_bad("account b : a\naccount a\n", 1, "no account named a",
	    "a parent defined later");
	parse_bad("account a : a\n", 1, "no account named a",
	    "an account inheriting from itself");
	parse_bad("account a\naccount b : a, nope\n", 2, "no account named nope",
	    "one unknown parent among several");
	parse_bad("account default\n", 1, "account default",
	    "account default without a target");
	parse_bad("account default :\n", 1, "account default",
	    "account default with an empty target");
	parse_bad("account default : nope\n", 1, "no account named nope",
	    "account default naming an unknown account");
	parse_bad("account a\naccount default : a\nhost x\n", 3,
	    "no account or defaults section",
	    "a keyword after account default");

	/* Missing arguments. */
	bad_value("port", "", "needs an argument");
	bad_value("getk_port", "", "needs an argument");
	bad_value("timeout", "", "needs an argument");
	bad_value("refresh_after", "", "needs an argument");
	bad_value("negative_ttl", "", "needs an argument");
	bad_value("sources", "", "needs an argument");
	bad_value("key_trust", "", "needs an argument");
	bad_value("missing_key", "", "needs an argument");
	bad_value("dns_server", "", "needs an argument");
	bad_value("connect_to", "", "needs an argument");
	bad_value("dns_trust_anchor", "", "needs an argument");
	bad_value("tls_trust_file", "", "needs an argument");
	bad_value("state_dir", "", "needs an argument");
	bad_value("logfile", "", "needs an argument");
	bad_value("logfile", "\"\"", "needs an argument");

	/* Ports. */
	bad_value("port", "0", "port out of range");
	bad_value("port", "65536", "port out of range");
	bad_value("port", "99999999999", "port");
	bad_value("port", "-1", "expected a number");
	bad_value("port", "+25", "expected a number");
	bad_value("port", "25x", "expected a number");
	bad_value("port", "0x19", "expected a number");
	bad_value("port", "smtp", "expected a number");
	bad_value("getk_port", "0", "port out of range");
	bad_value("getk_port", "70000", "port out of range");
	bad_value("getk_port", "2 5", "expected a number");

	/* Timeout: 1 to 3600 seconds. */
	bad_value("lookup_timeout", "0", "expected 1 to 3600");
	bad_value("lookup_timeout", "2m", "expected a number");
	bad_value("timeout", "0", "expected 1 to 3600");
	bad_value("timeout", "3601", "expected 1 to 3600");
	bad_value("timeout", "30s", "expected a number");
	bad_value("timeout", "-5", "expected a number");
	bad_value("timeout", "1e3", "expected a number");

	/* Durations. */
	bad_value("refresh_after", "7x", "expected a duration");
	bad_value("refresh_after", "d", "expected a duration");
	bad_value("refresh_after", "7dd", "expected a duration");
	bad_value("refresh_after", "7D", "expected a duration");
	bad_value("refresh_after", "-7d", "expected a duration");
	bad_value("refresh_after", "1h30m", "expected a duration");
	bad_value("refresh_after", "7 d", "expected a duration");
	bad_value("negative_ttl", "1.5h", "expected a duration");
	bad_value("negative_ttl", "99999999999999999999w", "expected a duration");

	/* Sources. */
	bad_value("sources", "getk,foo", "sources");
	bad_value("sources", "getk,getk", "sources");
	bad_value("sources", "wkd,dane,wkd", "sources");
	bad_value("sources", "cache", "sources");
	bad_value("sources", "getk,", "sources");
	bad_value("sources", ",getk", "sources");
	bad_value("sources", "getk,,wkd", "sources");
	bad_value("sources", "getk, wkd", "sources");
	bad_value("sources", "GETK", "sources");

	/* Enumerations. */
	bad_value("key_trust", "none", "expected authenticated or any");
	bad_value("key_trust", "Any", "expected authenticated or any");
	bad_value("missing_key", "send", "expected refuse or plaintext");
	bad_value("tls", "yes", "expected on or off");
	bad_value("tls", "1", "expected on or off");
	bad_value("tls_starttls", "ON", "expected on or off");
	bad_value("encrypt_to_self", "true", "expected on or off");
	bad_value("protect_subject", "no", "expected on or off");
	bad_value("auth", "PLAIN", "expected on, off or a method");
	bad_value("auth", "plain login", "expected on, off or a method");
	bad_value("auth", "x;y", "expected on, off or a method");

	/* syslog takes on, off or a facility, as msmtp: LOG_USER, LOG_MAIL,
	 * LOG_LOCAL0 to LOG_LOCAL7. */
	bad_value("syslog", "foo", "syslog");
	bad_value("syslog", "LOG_LOCAL8", "syslog");
	bad_value("syslog", "/dev/log", "syslog");

	/* dns_server ADDR[@PORT]. */
	bad_value("dns_server", "dns.example.org", "expected an IP address");
	bad_value("dns_server", "192.0.2", "expected an IP address");
	bad_value("dns_server", "192.0.2.256", "expected an IP address");
	bad_value("dns_server", "@53", "expected an IP address");
	bad_value("dns_server", "[::1]@53", "expected an IP address");
	bad_value("dns_server", "192.0.2.1:53", "expected an IP address");
	bad_value("dns_server", "192.0.2.1#53", "expected an IP address");
	bad_value("dns_server", "192.0.2.1@", "expected a port number");
	bad_value("dns_server", "192.0.2.1@dns", "expected a port number");
	bad_value("dns_server", "192.0.2.1@53@54", "expected a port number");
	bad_value("dns_server", "192.0.2.1@-1", "expected a port number");
	bad_value("dns_server", "192.0.2.1@0", "port out of range");
	bad_value("dns_server", "192.0.2.1@65536", "port out of range");
	bad_value("dns_server", "192.0.2.1@9999999999", "port");
	memset(big, '1', 600);
	big[600] = '\0';
	bad_value("dns_server", big, "expected an IP address");

	/* connect_to HOST1:PORT1:HOST2:PORT2. */
	bad_value("connect_to", "a:25:b", "expected HOST1:PORT1:HOST2:PORT2");
	bad_value("connect_to", "a:25:b:25:c", "expected HOST1:PORT1:HOST2:PORT2");
	bad_value("connect_to", "a", "expected HOST1:PORT1:HOST2:PORT2");
	bad_value("connect_to", "::1:25:b:25", "expected HOST1:PORT1:HOST2:PORT2");
	bad_value("connect_to", "[::1:25:b:25", "expected HOST1:PORT1:HOST2:PORT2");
	bad_value("connect_to", "::1]:25:b:25", "unbalanced brackets");
	bad_value("connect_to", "[[::1]]:25:b:25", "unbalanced brackets");
	bad_value("connect_to", "a:25:b\tc:25", "white space");
	bad_value("connect_to", "\"a:25:b c:25\"", "white space");
	/* The ports are numbers, as curl's --connect-to wants them. */
	bad_value("connect_to", "a:smtp:b:25", "connect_to");
	bad_value("connect_to", "a:25:b:x", "connect_to");
	bad_value("connect_to", "a:25:b:65536", "connect_to");
	bad_value("connect_to", "a:-1:b:25", "connect_to");

	/* Paths have a limit (PATH_MAX). */
	{
		char *text = malloc(9000);

		if (!text)
			BAIL_OUT("out of memory");
		memcpy(text, "account a\nlogfile /", 19);
		memset(text + 19, 'p', 8000);
		memcpy(text + 8019, "\n", 2);
		parse_bad(text, 2, "path too long", "an 8001-octet path");
		memcpy(text, "account a\nlogfile ~/", 20);
		parse_bad(text, 2, "path too long",
		    "an 8000-octet path after ~/");
		free(text);
	}

	/* Quoting. */
	parse_bad("account a\nhost \"unterminated\n", 2,
	    "unterminated quoted argument", "an unterminated quote");
	parse_bad("account a\nhost \"a\" b\n", 2, "text after the quoted",
	    "text after a quoted argument");
	parse_bad("account a\nhost \"a\\\"\n", 2, "unterminated",
	    "an escaped closing quote");
}

static void
test_syntax(void)
{
	struct getk_config *cfg;
	char msg[1024];

	/* Quoting and white space. */
	cfg = parse_ok("account a\n"
	    "  host   \t smtp.example.org \t \n"
	    "\tuser \"  spaced  \"\n"
	    "password \"with \\\"quotes\\\" and \\\\ backslash\"\n"
	    "passwordeval \"a\\nb\"\n"
	    "from  \"x@example.org\"   \n"
	    "self_key a \"b\" c\n", "quoting and white space");
	if (cfg) {
		const struct getk_account *a = acc(cfg, "a");

		CHECK_STR(a->host, "smtp.example.org",
		    "white space around an argument is dropped");
		CHECK_STR(a->user, "  spaced  ",
		    "quotes keep white space inside");
		CHECK_STR(a->password, "with \"quotes\" and \\ backslash",
		    "backslash escapes quote and backslash");
		CHECK_STR(a->passwordeval, "a\\nb",
		    "other backslashes are kept");
		CHECK_STR(a->from, "x@example.org",
		    "white space after a quoted argument is dropped");
		CHECK_STR(a->self_key, "a \"b\" c",
		    "quotes not at the start are literal");
	}
	getk_config_free(cfg);

	cfg = parse_ok("# a comment with a \"quote\n  # and \"another\n"
	    "account a\n\t#\"\n", "quotes in comments");
	getk_config_free(cfg);

	/* '~' expansion. */
	cfg = parse_ok("account a\n"
	    "logfile ~\n"
	    "state_dir ~/state/getk\n"
	    "tls_trust_file ~other/ca.pem\n"
	    "dns_trust_anchor /x/~/root.key\n"
	    "host ~/not-a-path\n", "tilde expansion");
	if (cfg) {
		const struct getk_account *a = acc(cfg, "a");

		CHECK_STR(a->logfile, HOME, "~ alone is HOME");
		CHECK_STR(a->state_dir, HOME "/state/getk", "~/ is HOME/");
		CHECK_STR(a->tls_trust_file, "~other/ca.pem",
		    "~user is not expanded");
		CHECK_STR(a->dns_trust_anchor, "/x/~/root.key",
		    "~ inside a path is not expanded");
		CHECK_STR(a->host, "~/not-a-path",
		    "~ is not expanded outside paths");
	}
	getk_config_free(cfg);
	cfg = parse_ok("account a\nlogfile \"~/quoted log\"\n",
	    "tilde in a quoted path");
	if (cfg)
		CHECK_STR(acc(cfg, "a")->logfile, HOME "/quoted log",
		    "a quoted path is expanded too");
	getk_config_free(cfg);

	CHECK_INT(getk_config_parse("account a\nlogfile ~/x\n", 22, "t.conf",
	    NULL, &cfg, msg, sizeof(msg)), GETK_ERR_CONFIG,
	    "~ without a home is refused");
	CHECK(msg[0] && strncmp(msg, "t.conf:2: ", 10) == 0 && strstr(msg, "~"),
	    "and the message names the line");
	CHECK_INT(getk_config_parse("account a\nlogfile /x\n", 21, "t.conf",
	    NULL, &cfg, msg, sizeof(msg)), GETK_OK, "no home is fine without ~");
	getk_config_free(cfg);
	cfg = NULL;
	CHECK_INT(getk_config_parse("x y\n", 4, NULL, HOME, &cfg, msg, sizeof(msg)),
	    GETK_ERR_CONFIG, "a file name of NULL");
	CHECK(msg[0] && strstr(msg, ":1: unknown keyword x"),
	    "still gives the line in the message");

	/* CRLF line ends and a missing final newline. */
	cfg = parse_ok("account a\r\nhost smtp.example.org\r\nport 587\r\n"
	    "user \"bob\"\r\nfrom bob@example.org", "CRLF line ends");
	if (cfg) {
		CHECK_STR(acc(cfg, "a")->host, "smtp.example.org",
		    "CRLF: no CR in the value");
		CHECK_INT(acc(cfg, "a")->port, 587, "CRLF: port");
		CHECK_STR(acc(cfg, "a")->user, "bob", "CRLF: quoted value");
		CHECK_STR(acc(cfg, "a")->from, "bob@example.org",
		    "the last line needs no newline");
	}
	getk_config_free(cfg);
	parse_bad("account a\r\nport 587x\r\n", 2, "expected a number",
	    "CRLF: errors name the right line");

	/* NUL bytes. */
	parse_bad_len("account a\nhost smtp\0.example.org\n", 33, 2,
	    "NUL", "a NUL byte in a line");
	parse_bad_len("\0", 1, 1, "NUL", "a lone NUL byte");
	parse_bad_len("account a\n\n\n# comment \0\n", 24, 4, "NUL",
	    "a NUL byte in a comment");

	/* Only LEN bytes are read. */
	cfg = NULL;
	CHECK_INT(getk_config_parse("account a\nhost x\nbogus", 17, "t.conf",
	    HOME, &cfg, msg, sizeof(msg)), GETK_OK, "parse reads only LEN bytes");
	getk_config_free(cfg);

	/* The line number counts every line. */
	parse_bad("# 1\n\n# 3\naccount a\n\n  \nport 0\n", 7, "port",
	    "the line number counts blank and comment lines");
}

static void
test_inheritance(void)
{
	struct getk_config *cfg;

	/* Settings before any section go to the defaults. */
	cfg = parse_ok("timeout 10\naccount a\n", "keywords before a section");
	if (cfg) {
		CHECK_INT(cfg->defaults.timeout, 10,
		    "keywords before a section set the defaults");
		CHECK_INT(acc(cfg, "a")->timeout, 10, "and are inherited");
	}
	getk_config_free(cfg);

	/* The defaults apply to the accounts after them. */
	cfg = parse_ok("defaults\nport 587\nfrom a@example.org\n"
	    "account first\nhost one.example.org\n"
	    "defaults\nport 465\n"
	    "account second\nhost two.example.org\nport 2525\n",
	    "defaults before accounts");
	if (cfg) {
		const struct getk_account *f = acc(cfg, "first");
		const struct getk_account *s = acc(cfg, "second");

		CHECK_INT(f->port, 587, "first: defaults at its start");
		CHECK_STR(f->from, "a@example.org", "first: inherited from");
		CHECK_INT(s->port, 2525, "second: its own port");
		CHECK_STR(s->from, "a@example.org", "second: inherited from");
		CHECK_INT(cfg->defaults.port, 465, "defaults: last value");
		CHECK_INT(cfg->naccounts, 2, "two accounts");
		CHECK(cfg->accounts[0] == f && cfg->accounts[1] == s,
		    "accounts in file order");
	}
	getk_config_free(cfg);

	/* account b : a. */
	cfg = parse_ok("defaults\ntimeout 20\n"
	    "account a\nhost a.example.org\nuser alice\nport 465\n"
	    "tls_starttls off\n"
	    "account b : a\nuser bob\n"
	    "account c:b\n"
	    "account d : c\nhost d.example.org\n", "account b : a");
	if (cfg) {
		const struct getk_account *b = acc(cfg, "b");
		const struct getk_account *c = acc(cfg, "c");
		const struct getk_account *d = acc(cfg, "d");

		CHECK_STR(b->host, "a.example.org", "b inherits host from a");
		CHECK_STR(b->user, "bob", "b overrides user");
		CHECK_INT(b->port, 465, "b inherits port");
		CHECK_INT(b->tls_starttls, 0, "b inherits tls_starttls");
		CHECK_INT(b->timeout, 20, "b inherits the defaults' timeout");
		CHECK_STR(b->name, "b", "b keeps its name");
		CHECK_STR(c->user, "bob", "c (c:b, no spaces) inherits from b");
		CHECK_STR(c->name, "c", "c keeps its name");
		CHECK_STR(d->host, "d.example.org", "d overrides host");
		CHECK_STR(d->user, "bob", "d inherits through c and b");
		CHECK_STR(acc(cfg, "a")->user, "alice",
		    "a is unchanged by its children");
	}
	getk_config_free(cfg);

	/*
	 * Several parents, as msmtp: each parent passes on what it set
	 * itself, later parents winning; what no parent set comes from the
	 * defaults.
	 */
	cfg = parse_ok("account a\nhost a.example.org\nuser alice\n"
	    "account b\nport 2525\nuser bob\n"
	    "account c : a, b\n", "account c : a, b");
	if (cfg) {
		const struct getk_account *c = acc(cfg, "c");

		CHECK_STR(c->host, "a.example.org",
		    "c : a, b keeps the host only a set");
		CHECK_INT(c->port, 2525, "c : a, b takes the port only b set");
		CHECK_STR(c->user, "bob", "c : a, b: the later parent wins");
	}
	getk_config_free(cfg);

	cfg = parse_ok("account a\nhost a.example.org\n"
	    "account b\nport 2525\n"
	    "account c : a ,\tb\n", "parents with white space");
	if (cfg)
		CHECK_INT(acc(cfg, "c")->port, 2525,
		    "white space around parent names is dropped");
	getk_config_free(cfg);

	/* account default : NAME. */
	cfg = parse_ok("account a\nhost a.example.org\n"
	    "account b\nhost b.example.org\n"
	    "account default : b\n", "account default : b");
	if (cfg) {
		CHECK_STR(cfg->default_account, "b", "default_account is b");
		CHECK(getk_config_account(cfg, NULL) == acc(cfg, "b"),
		    "the default account is b");
		CHECK(getk_config_account(cfg, "a") == acc(cfg, "a"),
		    "a is still found by name");
		CHECK(getk_config_account(cfg, "default") == NULL,
		    "no account is named default");
		CHECK_INT(cfg->naccounts, 2, "account default adds no account");
	}
	getk_config_free(cfg);
	cfg = parse_ok("account a\naccount b\naccount default: a\n"
	    "account default :b\n", "account default twice");
	if (cfg)
		CHECK_STR(cfg->default_account, "b",
		    "the last account default wins");
	getk_config_free(cfg);
	cfg = parse_ok("account a\naccount default : a\naccount c\nport 1\n",
	    "accounts after account default");
	if (cfg)
		CHECK_INT(acc(cfg, "c")->port, 1,
		    "an account after account default takes settings");
	getk_config_free(cfg);
}

/* Repeatable keywords: the first use in a section replaces the list. */
static void
test_lists(void)
{
	struct getk_config *cfg;

	cfg = parse_ok("defaults\n"
	    "dns_server 192.0.2.1\n"
	    "dns_server 192.0.2.2\n"
	    "connect_to a:1:b:2\n"
	    "account inherit\n"
	    "account replace\n"
	    "dns_server 198.51.100.1\n"
	    "dns_server 198.51.100.2@5353\n"
	    "account child : replace\n"
	    "account child2 : replace\n"
	    "dns_server 203.0.113.1\n"
	    "connect_to c:3:d:4\n"
	    "connect_to e:5:f:6\n"
	    "defaults\n"
	    "dns_server 203.0.113.9\n"
	    "account late\n", "repeatable keywords");
	if (!cfg)
		return;
	check_list(acc(cfg, "inherit")->dns_servers,
	    LIST("192.0.2.1", "192.0.2.2"),
	    "the defaults' list is inherited");
	check_list(acc(cfg, "inherit")->connect_to, LIST("a:1:b:2"),
	    "connect_to is inherited");
	check_list(acc(cfg, "replace")->dns_servers,
	    LIST("198.51.100.1", "198.51.100.2@5353"),
	    "an account's first dns_server replaces the list, later ones "
	    "append");
	check_list(acc(cfg, "replace")->connect_to, LIST("a:1:b:2"),
	    "connect_to not set is still inherited");
	check_list(acc(cfg, "child")->dns_servers,
	    LIST("198.51.100.1", "198.51.100.2@5353"),
	    "a child inherits its parent's list");
	check_list(acc(cfg, "child2")->dns_servers, LIST("203.0.113.1"),
	    "a child's first dns_server replaces the parent's list");
	check_list(acc(cfg, "child2")->connect_to,
	    LIST("c:3:d:4", "e:5:f:6"),
	    "a child's connect_to replaces and appends");
	check_list(acc(cfg, "replace")->dns_servers,
	    LIST("198.51.100.1", "198.51.100.2@5353"),
	    "the parent's list is not changed by its child");
	check_list(cfg->defaults.dns_servers, LIST("203.0.113.9"),
	    "a second defaults section replaces the list");
	check_list(acc(cfg, "late")->dns_servers, LIST("203.0.113.9"),
	    "and accounts after it inherit the new list");
	check_list(acc(cfg, "inherit")->dns_servers,
	    LIST("192.0.2.1", "192.0.2.2"),
	    "accounts before it keep the old list");
	getk_config_free(cfg);

	cfg = parse_ok("account a\ndns_server 192.0.2.1\naccount b\n"
	    "account a2 : a\n", "lists without defaults");
	if (cfg) {
		check_list(acc(cfg, "b")->dns_servers, EMPTY,
		    "a sibling does not see another account's list");
		check_list(acc(cfg, "a2")->dns_servers, LIST("192.0.2.1"),
		    "a child does");
	}
	getk_config_free(cfg);
}

static void
test_durations(void)
{
	static const struct {
		const char *s;
		long seconds;
	} good[] = {
		{ "0", 0 }, { "1", 1 }, { "90", 90 }, { "30s", 30 },
		{ "15m", 900 }, { "12h", 43200 }, { "7d", 604800 },
		{ "2w", 1209600 }, { "0w", 0 }, { "007", 7 },
		{ "100000000", 100000000 }, { "52w", 52 * 604800L },
	};
	static const char *const bad[] = {
		"", "s", "m", "-1", "+1", " 1", "1 ", "1x", "1S", "1M", "1hh",
		"1h30m", "1.5", "0x10", "99999999999999999999", "1000000000000w",
	};
	size_t i;
	long n;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		n = -1;
		CHECK(getk_duration_parse(good[i].s, &n) == GETK_OK &&
		    n == good[i].seconds, "duration \"%s\" is %ld s",
		    good[i].s, good[i].seconds);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = -1;
		CHECK(getk_duration_parse(bad[i], &n) == GETK_ERR_SYNTAX &&
		    n == 0, "duration \"%s\" is refused", bad[i]);
	}
}

static void
test_sources(void)
{
	enum getk_source s[GETK_NSOURCES];
	size_t n;

	n = 99;
	CHECK(getk_sources_parse("getk", s, &n) == GETK_OK && n == 1 &&
	    s[0] == GETK_SOURCE_GETK, "sources \"getk\"");
	CHECK(getk_sources_parse("dane,wkd,getk,relay", s, &n) == GETK_OK &&
	    n == 4 && s[0] == GETK_SOURCE_DANE && s[1] == GETK_SOURCE_WKD &&
	    s[2] == GETK_SOURCE_GETK && s[3] == GETK_SOURCE_RELAY,
	    "sources in any order");
	CHECK(getk_sources_parse("wkd,relay", s, &n) == GETK_OK && n == 2 &&
	    s[0] == GETK_SOURCE_WKD && s[1] == GETK_SOURCE_RELAY,
	    "sources \"wkd,relay\"");

	n = 99;
	CHECK(getk_sources_parse("", s, &n) == GETK_ERR_SYNTAX && n == 0,
	    "sources \"\" is refused");
	CHECK(getk_sources_parse("foo", s, &n) == GETK_ERR_SYNTAX && n == 0,
	    "an unknown source is refused");
	CHECK(getk_sources_parse("getk,getk", s, &n) == GETK_ERR_SYNTAX &&
	    n == 0, "a repeated source is refused");
	CHECK(getk_sources_parse("getk,wkd,getk", s, &n) == GETK_ERR_SYNTAX,
	    "a source repeated later is refused");
	CHECK(getk_sources_parse("cache", s, &n) == GETK_ERR_SYNTAX,
	    "cache is no lookup source");
	CHECK(getk_sources_parse("getk,", s, &n) == GETK_ERR_SYNTAX,
	    "a trailing comma is refused");
	CHECK(getk_sources_parse(",getk", s, &n) == GETK_ERR_SYNTAX,
	    "a leading comma is refused");
	CHECK(getk_sources_parse("getk,,wkd", s, &n) == GETK_ERR_SYNTAX,
	    "an empty name is refused");
	CHECK(getk_sources_parse("getk ", s, &n) == GETK_ERR_SYNTAX,
	    "white space is refused");
	CHECK(getk_sources_parse("getkk", s, &n) == GETK_ERR_SYNTAX,
	    "a longer name is refused");
	CHECK(getk_sources_parse("get", s, &n) == GETK_ERR_SYNTAX,
	    "a prefix of a name is refused");
	CHECK(getk_sources_parse("keyring,relay,getk,wkd,dane", s, &n) ==
	    GETK_OK && n == 5 && s[0] == GETK_SOURCE_KEYRING,
	    "all five sources, the keyring first");
	CHECK(getk_sources_parse("dane,wkd,getk,relay,keyring,dane", s, &n) ==
	    GETK_ERR_SYNTAX, "six sources (one repeated) are refused");

	CHECK_STR(getk_source_name(GETK_SOURCE_RELAY), "relay", "name relay");
	CHECK_STR(getk_source_name(GETK_SOURCE_GETK), "getk", "name getk");
	CHECK_STR(getk_source_name(GETK_SOURCE_WKD), "wkd", "name wkd");
	CHECK_STR(getk_source_name(GETK_SOURCE_DANE), "dane", "name dane");
	CHECK_STR(getk_source_name(GETK_SOURCE_KEYRING), "keyring",
	    "name keyring");
	CHECK_STR(getk_source_name(GETK_SOURCE_CACHE), "cache", "name cache");
	CHECK_STR(getk_source_name((enum getk_source)42), "unknown",
	    "name of an unknown source");
}

/* getk_config_load: reading a file. */
static void
test_load(void)
{
	char path[256];
	struct getk_config *cfg = NULL;
	char msg[1024], *big;
	int fd;
	FILE *f;

	unit_tmp_template(path, sizeof(path), "getk-test-conf");
	fd = mkstemp(path);
	if (fd < 0)
		BAIL_OUT("mkstemp failed");
	f = fdopen(fd, "w");
	if (!f)
		BAIL_OUT("fdopen failed");
	fputs("account a\nhost smtp.example.org\nlogfile ~/log\n", f);
	fclose(f);
	CHECK_INT(getk_config_load(path, HOME, &cfg, msg, sizeof(msg)), GETK_OK,
	    "config_load of a good file");
	if (cfg) {
		CHECK_STR(acc(cfg, "a")->host, "smtp.example.org",
		    "config_load: contents");
		CHECK_STR(acc(cfg, "a")->logfile, HOME "/log",
		    "config_load: home");
	}
	getk_config_free(cfg);
	cfg = NULL;

	f = fopen(path, "w");
	if (!f)
		BAIL_OUT("fopen failed");
	fputs("account a\nbogus 1\n", f);
	fclose(f);
	CHECK_INT(getk_config_load(path, HOME, &cfg, msg, sizeof(msg)), GETK_ERR_CONFIG,
	    "config_load of a bad file");
	CHECK(msg[0] && strncmp(msg, path, strlen(path)) == 0 &&
	    strncmp(msg + strlen(path), ":2: unknown keyword bogus", 25) == 0,
	    "config_load: the message names the file and line");

	/* GETK_CONFIG_MAX bytes are read, one more is refused. */
	big = malloc(GETK_CONFIG_MAX + 1);
	if (!big)
		BAIL_OUT("out of memory");
	memset(big, '\n', GETK_CONFIG_MAX + 1);
	memcpy(big, "# big\n", 6);
	f = fopen(path, "w");
	if (!f || fwrite(big, 1, GETK_CONFIG_MAX, f) != GETK_CONFIG_MAX)
		BAIL_OUT("writing failed");
	fclose(f);
	CHECK_INT(getk_config_load(path, HOME, &cfg, msg, sizeof(msg)), GETK_OK,
	    "a file of GETK_CONFIG_MAX bytes is read");
	getk_config_free(cfg);
	cfg = NULL;
	f = fopen(path, "w");
	if (!f || fwrite(big, 1, GETK_CONFIG_MAX + 1, f) !=
	    GETK_CONFIG_MAX + 1)
		BAIL_OUT("writing failed");
	fclose(f);
	CHECK_INT(getk_config_load(path, HOME, &cfg, msg, sizeof(msg)), GETK_ERR_CONFIG,
	    "a file of GETK_CONFIG_MAX + 1 bytes is refused");
	CHECK(msg[0] && strstr(msg, "larger than"),
	    "and the message says it is too large");
	free(big);

	unlink(path);
	errno = 0;
	CHECK_INT(getk_config_load(path, HOME, &cfg, msg, sizeof(msg)), GETK_ERR_SYSTEM,
	    "config_load of a missing file is a system error");
	CHECK_INT(errno, ENOENT, "with errno ENOENT");
	CHECK(cfg == NULL && msg[0] == '\0', "and no result");
}

/* getk_config_read: which file a program reads. */
static void
test_read(void)
{
	char dir[256], sub[300], file[300];
	struct getk_config *cfg = NULL;
	char msg[1024];
	FILE *f;

	unit_tmp_template(dir, sizeof(dir), "getk-test-xdg");
	if (!mkdtemp(dir))
		BAIL_OUT("mkdtemp failed");
	snprintf(sub, sizeof(sub), "%s/getk", dir);
	snprintf(file, sizeof(file), "%s/getk/config", dir);
	if (mkdir(sub, 0700) != 0)
		BAIL_OUT("mkdir failed");
	f = fopen(file, "w");
	if (!f)
		BAIL_OUT("fopen failed");
	fputs("account xdg\nlogfile ~/xdg.log\naccount default : xdg\n", f);
	fclose(f);
	setenv("HOME", "/home/reader", 1);
	setenv("XDG_CONFIG_HOME", dir, 1);

	CHECK_INT(getk_config_read(NULL, &cfg, msg, sizeof(msg)), GETK_OK,
	    "config_read finds $XDG_CONFIG_HOME/getk/config");
	if (cfg) {
		CHECK_STR(acc(cfg, NULL)->name, "xdg",
		    "config_read: its default account");
		CHECK_STR(acc(cfg, NULL)->logfile, "/home/reader/xdg.log",
		    "config_read expands ~ with $HOME");
	}
	getk_config_free(cfg);
	cfg = NULL;

	CHECK_INT(getk_config_read(file, &cfg, msg, sizeof(msg)), GETK_OK,
	    "config_read of an explicit path");
	getk_config_free(cfg);
	cfg = NULL;

	CHECK_INT(getk_config_read("/nonexistent/getk.conf", &cfg, msg, sizeof(msg)),
	    GETK_ERR_CONFIG, "config_read of a missing explicit path fails");
	CHECK(msg[0] && strstr(msg, "/nonexistent/getk.conf"),
	    "and the message names the path");
	CHECK(cfg == NULL, "and there is no configuration");

	f = fopen(file, "w");
	if (!f)
		BAIL_OUT("fopen failed");
	fputs("defaults\nport x\n", f);
	fclose(f);
	CHECK_INT(getk_config_read(NULL, &cfg, msg, sizeof(msg)), GETK_ERR_CONFIG,
	    "config_read reports an error in the XDG file");
	CHECK(msg[0] && strncmp(msg, file, strlen(file)) == 0 &&
	    strncmp(msg + strlen(file), ":2: ", 4) == 0,
	    "with its path and line");
	getk_config_free(cfg);

	unlink(file);
	rmdir(sub);
	rmdir(dir);
}

/* Where the queue is: queue_dir, else STATE/queue. */
static void
test_queue_dir(void)
{
	struct getk_config *cfg = parse_ok("account a\nstate_dir /s/t\n"
	    "account b\nqueue_dir /q\n", "queue_dir");
	char *dir = NULL;

	if (!cfg)
		return;
	CHECK(getk_account_queue_dir(acc(cfg, "a"), &dir) == GETK_OK &&
	    dir && strcmp(dir, "/s/t/queue") == 0,
	    "queue_dir: the queue directory of the state_dir by default");
	free(dir);
	dir = NULL;
	CHECK(getk_account_queue_dir(acc(cfg, "b"), &dir) == GETK_OK &&
	    dir && strcmp(dir, "/q") == 0, "queue_dir: as given");
	free(dir);
	getk_config_free(cfg);
}

int
main(void)
{
	test_defaults();
	test_every_keyword();
	test_queue_dir();
	test_good_values();
	test_bad_values();
	test_syntax();
	test_inheritance();
	test_lists();
	test_durations();
	test_sources();
	test_load();
	test_read();
	return done_testing();
}
