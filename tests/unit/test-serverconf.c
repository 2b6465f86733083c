/*
 * test-serverconf.c: unit tests of src/serverconf.c, getkd.conf(5), and
 * through it of the lexer it shares with getk.conf (src/conflex.c).
 */
#include <config.h>

#include <string.h>

#include "serverconf.h"
#include "unit.h"

/* Parses TEXT; the message of a failure in MSG (or ""). */
static struct getk_server_config *
parse(const char *text, char *msg, size_t msgsz)
{
	struct getk_server_config *cfg = NULL;

	getk_server_config_parse(text, strlen(text), "getkd.conf", "/home/x",
	    &cfg, msg, msgsz);
	return cfg;
}

static void
test_defaults(void)
{
	struct getk_server_config *cfg;
	char msg[256];

	cfg = parse("backend 127.0.0.1:10025\n", msg, sizeof(msg));
	CHECK(cfg != NULL, "a backend is all it needs (%s)", msg);
	if (!cfg)
		return;
	CHECK(cfg->listen == NULL, "listen: the built-in defaults");
	CHECK_INT(cfg->client_info, GETK_CLIENT_INFO_PROXY_V2,
	    "backend_client_info proxy-v2");
	CHECK_STR(cfg->key_dir, "/var/lib/gnupg/wks", "key_dir");
	CHECK_STR(cfg->user, "getkd", "user");
	CHECK_INT(cfg->max_sessions, 1000, "max_sessions");
	CHECK_INT(cfg->max_sessions_per_ip, 20, "max_sessions_per_ip");
	CHECK(cfg->lookup_rate == 60 && cfg->lookup_period == 60,
	    "lookup_rate 60/1m");
	CHECK_INT(cfg->max_lookups_per_session, 100, "max_lookups_per_session");
	CHECK_INT(cfg->timeout, 300, "timeout");
	CHECK_STR(cfg->syslog, "LOG_MAIL", "syslog");
	CHECK(cfg->tls_cert_file == NULL && cfg->log == NULL &&
	    cfg->hostname == NULL && cfg->domains == NULL, "unset ones");
	getk_server_config_free(cfg);
}

static void
test_keywords(void)
{
	struct getk_server_config *cfg;
	char msg[256];

	cfg = parse("# getkd\n"
	    "listen 0.0.0.0:25\r\n"
	    "listen [::]:25\n"
	    "  backend   \"localhost:10025\"  \n"
	    "backend_client_info xclient\n"
	    "hostname mx.example.org\n"
	    "tls_cert_file ~/cert.pem\n"
	    "tls_key_file /etc/key.pem\n"
	    "key_dir ~/wks\n"
	    "domain example.org\n"
	    "domain Example.NET\n"
	    "user getkd2\n"
	    "max_sessions 10\n"
	    "max_sessions_per_ip 2\n"
	    "lookup_rate 30/2h\n"
	    "max_lookups_per_session 5\n"
	    "timeout 60\n"
	    "log /var/log/getkd.log\n"
	    "syslog LOG_LOCAL3\n", msg, sizeof(msg));
	CHECK(cfg != NULL, "every keyword (%s)", msg);
	if (!cfg)
		return;
	CHECK(cfg->listen && strcmp(cfg->listen[0], "0.0.0.0:25") == 0 &&
	    strcmp(cfg->listen[1], "[::]:25") == 0 && !cfg->listen[2],
	    "listen, repeated");
	CHECK_STR(cfg->backend, "localhost:10025", "backend, quoted");
	CHECK_INT(cfg->client_info, GETK_CLIENT_INFO_XCLIENT, "xclient");
	CHECK_STR(cfg->tls_cert_file, "/home/x/cert.pem", "~ expanded");
	CHECK_STR(cfg->key_dir, "/home/x/wks", "key_dir");
	CHECK(cfg->domains && strcmp(cfg->domains[1], "Example.NET") == 0,
	    "domain, repeated");
	CHECK(cfg->lookup_rate == 30 && cfg->lookup_period == 7200,
	    "lookup_rate 30/2h");
	CHECK(cfg->max_sessions == 10 && cfg->max_sessions_per_ip == 2 &&
	    cfg->max_lookups_per_session == 5 && cfg->timeout == 60,
	    "the numbers");
	CHECK_STR(cfg->syslog, "LOG_LOCAL3", "syslog facility");
	getk_server_config_free(cfg);
	cfg = parse("backend a:1\nsyslog off\n", msg, sizeof(msg));
	CHECK(cfg && cfg->syslog == NULL, "syslog off");
	getk_server_config_free(cfg);
}

static void
test_errors(void)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "backend a:1\nfrobnicate\n", "getkd.conf:2: unknown keyword "
		    "frobnicate" },
		{ "listen 1.2.3.4\nbackend a:1\n", "getkd.conf:1: listen: " },
		{ "backend a:0\n", "getkd.conf:1: backend: port out of range" },
		{ "backend a:99999\n", "getkd.conf:1: backend: " },
		{ "backend [::1:25\n", "getkd.conf:1: backend: " },
		{ "backend\n", "getkd.conf:1: backend needs an argument" },
		{ "listen *:25\n", "getkd.conf:1: no backend" },
		{ "backend a:1\ntls_cert_file /c\n", "tls_key_file go together" },
		{ "backend a:1\nbackend_client_info haproxy\n",
		    "getkd.conf:2: backend_client_info: expected" },
		{ "backend a:1\nmax_sessions 0\n", "getkd.conf:2: max_sessions: "
		    "expected a number from 1" },
		{ "backend a:1\ntimeout 3601\n", "getkd.conf:2: timeout: " },
		{ "backend a:1\nlookup_rate 60\n", "getkd.conf:2: lookup_rate: " },
		{ "backend a:1\nlookup_rate 60/1y\n", "lookup_rate: expected" },
		{ "backend a:1\ndomain ../etc\n", "domain: expected a domain" },
		{ "backend a:1\nsyslog LOG_USER\n", "getkd.conf:2: syslog: " },
		{ "backend \"a:1\n", "getkd.conf:1: unterminated quoted" },
		{ "backend a:1\naccount x\n", "unknown keyword account" },
	};
	struct getk_server_config *cfg;
	char msg[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cfg = parse(cases[i].text, msg, sizeof(msg));
		CHECK(!cfg && strstr(msg, cases[i].msg) != NULL,
		    "refused: \"%s\" (%s)", cases[i].msg, msg);
		getk_server_config_free(cfg);
	}
	cfg = NULL;
	{
		char m[1024];

		CHECK(getk_server_config_parse("backend a:1\n\0x\n", 14, "f",
		    NULL, &cfg, m, sizeof(m)) == GETK_ERR_CONFIG &&
		    strstr(m, "f:2: NUL byte") != NULL, "a NUL byte");
	}
}

static void
test_hostport(void)
{
	char host[256];
	const char *why;
	int port;

	CHECK(getk_hostport_parse("[::]:25", host, &port, &why) == GETK_OK &&
	    strcmp(host, "::") == 0 && port == 25, "[::]:25");
	CHECK(getk_hostport_parse("mx.example.org:10025", host, &port, &why) ==
	    GETK_OK && strcmp(host, "mx.example.org") == 0 && port == 10025,
	    "name:port");
	CHECK(getk_hostport_parse("::1:25", host, &port, &why) ==
	    GETK_ERR_SYNTAX, "IPv6 without brackets");
	CHECK(getk_hostport_parse(":25", host, &port, &why) == GETK_ERR_SYNTAX,
	    "no host");
	CHECK(getk_hostport_parse("a:", host, &port, &why) == GETK_ERR_SYNTAX,
	    "no port");
	CHECK_STR(getk_client_info_name(GETK_CLIENT_INFO_PROXY_V1), "proxy-v1",
	    "names of backend_client_info");
}

int
main(void)
{
	test_defaults();
	test_keywords();
	test_errors();
	test_hostport();
	return done_testing();
}
