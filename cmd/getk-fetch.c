/*
 * getk-fetch: look up, verify and print recipients' OpenPGP keys.
 *
 * This file parses the command line and the configuration, hands the
 * addresses to the lookup engine in src/, prints what it found and maps
 * the outcome to a sysexits(3) exit status.  Nothing else.
 */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../src/addr.h"
#include "../src/buf.h"
#include "../src/codec.h"
#include "../src/conf.h"
#include "../src/lookup.h"

#define PROG "getk-fetch"

enum output { OUT_ARMOR, OUT_BINARY, OUT_FINGERPRINT, OUT_JSON };

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [-v] [-C FILE] [-a ACCOUNT] [-o FORMAT] [-s SOURCES]\n"
	    "                  [-j JOBS] [--no-cache] ADDRESS...\n"
	    "\n"
	    "Looks up, verifies and prints the OpenPGP keys of mail addresses.\n"
	    "\n"
	    "  -C, --config FILE     read only this configuration file\n"
	    "  -a, --account NAME    use this account of the configuration\n"
	    "  -o, --output FORMAT   armor (default), binary, fingerprint, json\n"
	    "  -s, --sources LIST    sources in order: getk,relay,wkd,dane\n"
	    "  -j, --jobs N          at most N connections at once (default 8)\n"
	    "      --no-cache        neither read nor write the key cache\n"
	    "  -v, --verbose         tell what is done (repeat for more)\n"
	    "  -h, --help            show this help\n"
	    "  -V, --version         show the version\n"
	    "\n"
	    "Exit status: 0 all keys found, 65 a key failed verification,\n"
	    "75 temporary failure, 67 no key, 64 usage, 78 configuration.\n");
}

/* The library's log callback: one line on stderr per message. */
static void
log_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	flockfile(stderr);
	fprintf(stderr, PROG ": %s\n", msg);
	funlockfile(stderr);
}

/* RFC 3339 UTC time. */
static void
format_time(time_t t, char *buf, size_t sz)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, sz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes S as a JSON string. */
static void
json_string(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			putc(c, f);
	}
	putc('"', f);
}

static int
print_result(FILE *f, enum output out, const struct getk_result *r)
{
	const struct getk_key *k = r->key;
	char fetched[32], expires[32];
	struct getk_buf b;
	int ok = 1;

	switch (out) {
	case OUT_ARMOR:
		getk_buf_init(&b, 0);
		if (getk_armor_pubkey(k->data, k->len, &b))
			return 0;
		ok = fwrite(b.data, 1, b.len, f) == b.len;
		getk_buf_free(&b);
		return ok;
	case OUT_BINARY:
		return fwrite(k->data, 1, k->len, f) == k->len;
	case OUT_FINGERPRINT:
		fprintf(f, "%s %s %s %s\n", r->address, k->fpr,
		    getk_source_name(r->source), getk_trust_name(r->trust));
		return 1;
	case OUT_JSON:
		format_time(r->fetched, fetched, sizeof(fetched));
		fputs("{\"address\":", f);
		json_string(f, r->address);
		fprintf(f, ",\"fingerprint\":\"%s\",\"source\":\"%s\","
		    "\"trust\":\"%s\",\"fetched\":\"%s\",\"expires\":",
		    k->fpr, getk_source_name(r->source),
		    getk_trust_name(r->trust), fetched);
		if (k->expires) {
			format_time(k->expires, expires, sizeof(expires));
			fprintf(f, "\"%s\"", expires);
		} else {
			fputs("null", f);
		}
		fprintf(f, ",\"sources\":[{\"source\":\"%s\",\"trust\":\"%s\"}]}\n",
		    getk_source_name(r->source), getk_trust_name(r->trust));
		return 1;
	}
	return 0;
}

/* Our name for EHLO: the host name when it looks like one. */
static void
ehlo_name(char *buf, size_t sz)
{
	size_t i;

	if (gethostname(buf, sz) != 0 || !buf[0] || !strchr(buf, '.')) {
		snprintf(buf, sz, "localhost");
		return;
	}
	buf[sz - 1] = '\0';
	for (i = 0; buf[i]; i++) {
		char c = buf[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.')) {
			snprintf(buf, sz, "localhost");
			return;
		}
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "account", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "sources", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "no-cache", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = NULL, *account_name = NULL;
	enum getk_source sources[GETK_NSOURCES];
	size_t nsources = 0, n = 0, i, jobs = 8;
	enum output out = OUT_ARMOR;
	struct getk_logger logger = { log_stderr, NULL, 0 };
	struct getk_config *cfg = NULL;
	const struct getk_account *acct;
	struct getk_lookup_settings ls;
	struct getk_result *results = NULL;
	char **mailboxes = NULL, *msg = NULL, host[256];
	int c, status = EX_OK, bad = 0, temp = 0, nokey = 0, available = 0;
	enum getk_err err;

	while ((c = getopt_long(argc, argv, "C:a:o:s:j:vhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'C':
			config_path = optarg;
			break;
		case 'a':
			account_name = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "armor") == 0)
				out = OUT_ARMOR;
			else if (strcmp(optarg, "binary") == 0)
				out = OUT_BINARY;
			else if (strcmp(optarg, "fingerprint") == 0)
				out = OUT_FINGERPRINT;
			else if (strcmp(optarg, "json") == 0)
				out = OUT_JSON;
			else {
				fprintf(stderr, PROG ": unknown output format "
				    "%s (armor, binary, fingerprint, json)\n",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 's':
			if (getk_sources_parse(optarg, sources, &nsources)) {
				fprintf(stderr, PROG ": bad source list %s "
				    "(comma-separated relay, getk, wkd, "
				    "dane)\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'j': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 1 || v > 256) {
				fprintf(stderr, PROG ": --jobs takes 1 to "
				    "256\n");
				return EX_USAGE;
			}
			jobs = (size_t)v;
			break;
		}
		case 'n':
			/* There is no cache yet; the option is accepted so
			 * that scripts written for it keep working. */
			break;
		case 'v':
			logger.level++;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf(PROG " (getk) " PACKAGE_VERSION "\n");
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}

	/* Addresses first: a typo is a usage error before anything else. */
	n = (size_t)(argc - optind);
	mailboxes = calloc(n + 1, sizeof(*mailboxes));
	if (!mailboxes) {
		fprintf(stderr, PROG ": out of memory\n");
		return EX_OSERR;
	}
	for (i = 0; i < n; i++) {
		const char *why;

		err = getk_addr_parse(argv[optind + (int)i], &mailboxes[i], &why);
		if (err) {
			fprintf(stderr, PROG ": %s: %s\n", argv[optind + (int)i],
			    err == GETK_ERR_SYNTAX ? why : getk_strerror(err));
			status = err == GETK_ERR_SYNTAX ? EX_USAGE : EX_OSERR;
			goto leave;
		}
	}

	err = getk_config_read(config_path, &cfg, &msg);
	if (err) {
		fprintf(stderr, PROG ": %s\n", msg ? msg : getk_strerror(err));
		status = err == GETK_ERR_NOMEM ? EX_OSERR : EX_CONFIG;
		goto leave;
	}
	acct = getk_config_account(cfg, account_name);
	if (!acct) {
		fprintf(stderr, PROG ": no account named %s\n", account_name);
		status = EX_CONFIG;
		goto leave;
	}
	if (!nsources) {
		nsources = acct->nsources;
		memcpy(sources, acct->sources, nsources * sizeof(*sources));
	}
	for (i = 0; i < nsources; i++)
		available += getk_source_available(sources[i]);
	if (!available) {
		fprintf(stderr, PROG ": none of the selected sources is "
		    "available in this version (available: getk)\n");
		status = EX_USAGE;
		goto leave;
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    getk_key_init() != GETK_OK) {
		fprintf(stderr, PROG ": cannot initialise libcurl or GnuPG\n");
		status = EX_SOFTWARE;
		goto leave;
	}

	memset(&ls, 0, sizeof(ls));
	ls.sources = sources;
	ls.nsources = nsources;
	ls.dns_servers = acct->dns_servers;
	ls.dns_trust_anchor = acct->dns_trust_anchor;
	/* The built-in anchor is optional: without it nothing validates,
	 * which only means no key earns "dnssec" trust. */
	if (ls.dns_trust_anchor &&
	    strcmp(ls.dns_trust_anchor, "/usr/share/dns/root.key") == 0 &&
	    access(ls.dns_trust_anchor, R_OK) != 0) {
		logger.fn(logger.arg, 1, "no DNSSEC trust anchor at "
		    "/usr/share/dns/root.key: answers are not validated");
		ls.dns_trust_anchor = NULL;
	}
	ls.connect_to = acct->connect_to;
	ls.tls_trust_file = acct->tls_trust_file;
	ls.getk_port = acct->getk_port;
	ls.timeout_ms = acct->timeout * 1000;
	ls.max_octets = 65536;
	ls.jobs = jobs;
	ehlo_name(host, sizeof(host));
	ls.ehlo_name = host;
	ls.log = &logger;

	err = getk_lookup(&ls, (const char *const *)mailboxes, n, &results,
	    &msg);
	if (err) {
		fprintf(stderr, PROG ": %s\n", msg ? msg : getk_strerror(err));
		status = err == GETK_ERR_CONFIG ? EX_CONFIG : EX_OSERR;
		goto leave;
	}
	for (i = 0; i < n; i++) {
		const struct getk_result *r = &results[i];

		switch (r->status) {
		case GETK_STATUS_FOUND:
			if (!print_result(stdout, out, r)) {
				fprintf(stderr, PROG ": cannot write output\n");
				status = EX_IOERR;
			}
			continue;
		case GETK_STATUS_BADKEY:
		case GETK_STATUS_CONFLICT:
			bad = 1;
			break;
		case GETK_STATUS_TEMPFAIL:
			temp = 1;
			break;
		case GETK_STATUS_NOKEY:
			nokey = 1;
			break;
		}
		fprintf(stderr, PROG ": %s: %s\n", r->address,
		    r->reason ? r->reason : "no key");
	}
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, PROG ": cannot write output: %s\n",
		    strerror(errno));
		status = EX_IOERR;
	}
	if (status == EX_OK)
		status = bad ? EX_DATAERR : temp ? EX_TEMPFAIL :
		    nokey ? EX_NOUSER : EX_OK;
leave:
	getk_results_free(results, n);
	for (i = 0; mailboxes && i < n; i++)
		free(mailboxes[i]);
	free(mailboxes);
	free(msg);
	getk_config_free(cfg);
	curl_global_cleanup();
	return status;
}
