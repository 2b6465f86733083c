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
#include <sys/random.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "../src/addr.h"
#include "cli.h"
#include "../src/buf.h"
#include "../src/clock.h"
#include "../src/codec.h"
#include "../src/conf.h"
#include "../src/lookup.h"
#include "../src/net.h"
#include "../src/store.h"

#define PROG "getk-fetch"

enum output { OUT_ARMOR, OUT_BINARY, OUT_FINGERPRINT, OUT_JSON };

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [-v] [-C FILE] [-a ACCOUNT] [-o FORMAT] [-s SOURCES]\n"
	    "                  [-j JOBS] [--no-cache] ADDRESS...\n"
	    "       " PROG " --refresh [--all] [--spread DURATION] [-j JOBS] [-v]\n"
	    "       " PROG " --list [-v] | --history ADDRESS\n"
	    "       " PROG " --forget ADDRESS | --accept ADDRESS | --reject ADDRESS\n"
	    "\n"
	    "Looks up, verifies and prints the OpenPGP keys of mail addresses.\n"
	    "\n"
	    "  -C, --config FILE     read only this configuration file\n"
	    "  -a, --account NAME    use this account of the configuration\n"
	    "  -o, --output FORMAT   armor (default), binary, fingerprint, json\n"
	    "  -s, --sources LIST    sources in order: keyring,relay,getk,wkd,dane\n"
	    "  -j, --jobs N          at most N connections at once (default 16)\n"
	    "      --no-cache        neither read nor write the key cache\n"
	    "      --refresh         re-fetch cached addresses that are due\n"
	    "      --all             with --refresh: every cached address\n"
	    "      --spread DURATION with --refresh: start after a random delay\n"
	    "      --list            list the cache (-v: with history)\n"
	    "      --history ADDRESS show the key history of an address\n"
	    "      --forget ADDRESS  drop an address's cached key and pin\n"
	    "      --accept ADDRESS  accept the key offered in place of the pin\n"
	    "      --reject ADDRESS  keep the pinned key, drop the one offered\n"
	    "  -v, --verbose         tell what is done (repeat for more)\n"
	    "  -h, --help            show this help\n"
	    "  -V, --version         show the version\n"
	    "\n"
	    "Exit status: 0 all keys found, 65 a key failed verification or\n"
	    "changed, 75 temporary failure, 67 no key, 64 usage, 73 cache not\n"
	    "writable, 78 configuration.\n");
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
	size_t i;
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
		/* Every source that offered this key, with its trust. */
		fputs(",\"sources\":[", f);
		for (i = 0; i < r->nagreed; i++)
			fprintf(f, "%s{\"source\":\"%s\",\"trust\":\"%s\"}",
			    i ? "," : "", getk_source_name(r->agreed[i].source),
			    getk_trust_name(r->agreed[i].trust));
		fputs("]}\n", f);
		return 1;
	}
	return 0;
}

/* What the command line asks for. */
enum mode { MODE_FETCH, MODE_REFRESH, MODE_LIST, MODE_HISTORY, MODE_FORGET,
	MODE_ACCEPT, MODE_REJECT };

struct opts {
	enum mode mode;
	const char *config_path;
	const char *account;
	const char *mode_arg;		/* address of --history and the like */
	enum getk_source sources[GETK_NSOURCES];
	size_t nsources;
	enum output out;
	size_t jobs;
	int no_cache;
	int all;
	long spread;			/* seconds */
	int verbose;
};

/*
 * The exit status for a library error ERR (getk-fetch(1) EXIT STATUS).
 * SYSTEM_STATUS is what a failed system call means where ERR came from:
 * the cache file not made (73), the cache not read or written (70),
 * threads or memory (71).
 */
static int
exit_for(enum getk_err err, int system_status)
{
	if (getk_err_is_temporary(err) && err != GETK_ERR_NOMEM &&
	    err != GETK_ERR_SYSTEM)
		return EX_TEMPFAIL;
	switch (err) {
	case GETK_OK:
		return EX_OK;
	case GETK_ERR_NOMEM:
		return EX_OSERR;
	case GETK_ERR_SYSTEM:
		return system_status;
	case GETK_ERR_CONFIG:
		return EX_CONFIG;
	case GETK_ERR_INVAL:
	case GETK_ERR_SYNTAX:
		return EX_USAGE;
	case GETK_ERR_NOKEY:
		return EX_NOUSER;
	case GETK_ERR_BADKEY:
	case GETK_ERR_DAMAGED:
		return EX_DATAERR;
	default:
		return EX_SOFTWARE;
	}
}

/* Opens the key cache of ACCT; an exit status on failure. */
static int
open_store(const struct getk_account *acct, struct getk_store **r_store)
{
	char *dir = NULL, why[512];
	enum getk_err err;

	*r_store = NULL;
	err = getk_account_state_dir(acct, &dir);
	if (err) {
		fprintf(stderr, PROG ": %s\n", err == GETK_ERR_CONFIG ?
		    "no state_dir, XDG_STATE_HOME or HOME: cannot find the key "
		    "cache" : getk_strerror(err));
		return exit_for(err, EX_OSERR);
	}
	err = getk_store_open(dir, 0, r_store, why, sizeof(why));
	free(dir);
	if (err) {
		fprintf(stderr, PROG ": %s\n", why[0] ? why : getk_strerror(err));
		return exit_for(err, EX_CANTCREAT);
	}
	return EX_OK;
}

/* Prints a progress line on a terminal; the engine calls it. */
static void
show_progress(void *arg, size_t done, size_t total)
{
	(void)arg;
	flockfile(stderr);
	fprintf(stderr, "\r" PROG ": refreshing %zu/%zu", done, total);
	if (done == total)
		fputc('\n', stderr);
	funlockfile(stderr);
}

/* Non-zero when the options select SRC. */
static int
uses_source(const struct opts *o, enum getk_source src)
{
	size_t i;

	for (i = 0; i < o->nsources; i++)
		if (o->sources[i] == src)
			return 1;
	return 0;
}

/* Fills LS from the account and the options. */
static void
lookup_settings(const struct opts *o, const struct getk_account *acct,
    struct getk_logger *logger, char *host, size_t hostsz,
    struct getk_lookup_settings *ls)
{
	getk_lookup_settings_init(ls, acct, host, hostsz);
	/* The network half is loaded only by a lookup that needs it. */
	ls->net = getk_net_load;
	ls->sources = o->sources;
	ls->nsources = o->nsources;
	ls->jobs = o->jobs;
	ls->log = logger;
}

/* The exit status for a set of results (INTERFACE.md: 65, 75, 67). */
static int
results_status(const struct getk_result *results, size_t n)
{
	int bad = 0, temp = 0, nokey = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		switch (results[i].status) {
		case GETK_STATUS_FOUND:
			break;
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
	}
	return bad ? EX_DATAERR : temp ? EX_TEMPFAIL : nokey ? EX_NOUSER :
	    EX_OK;
}

static int
do_fetch(const struct opts *o, struct getk_lookup_settings *ls,
    char **mailboxes, size_t n)
{
	struct getk_result *results = NULL;
	char why[1024];
	int status = EX_OK;
	size_t i;
	enum getk_err err;

	err = getk_lookup(ls, (const char *const *)mailboxes, n, &results,
	    why, sizeof(why));
	if (err) {
		fprintf(stderr, PROG ": %s\n", why[0] ? why : getk_strerror(err));
		return exit_for(err, EX_OSERR);
	}
	for (i = 0; i < n; i++) {
		const struct getk_result *r = &results[i];

		if (r->status == GETK_STATUS_FOUND) {
			if (!print_result(stdout, o->out, r)) {
				fprintf(stderr, PROG ": cannot write output\n");
				status = EX_IOERR;
			}
			continue;
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
		status = results_status(results, n);
	getk_results_free(results, n);
	return status;
}

/*
 * --refresh: re-fetches what is due, after a random delay of up to
 * --spread.  Quiet but for failures and changes, so that cron mails
 * only what matters; -v adds a summary.
 */
static int
do_refresh(const struct opts *o, struct getk_lookup_settings *ls)
{
	struct getk_result *results = NULL;
	char **due = NULL, why[1024];
	size_t n = 0, i, fresh = 0, same = 0, refused = 0, failed = 0;
	time_t now = getk_now();
	int status;
	enum getk_err err;

	err = getk_store_due(ls->store, o->all ? 0 : now - ls->refresh_after,
	    &due, &n, why, sizeof(why));
	if (err) {
		fprintf(stderr, PROG ": %s\n", why[0] ? why : getk_strerror(err));
		return exit_for(err, EX_SOFTWARE);
	}
	if (o->spread > 0 && n > 0) {
		unsigned int r = 0;

		if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
			r = (unsigned int)getpid();
		getk_log(ls->log, GETK_LOG_INFO, "waiting %lu s before the "
		    "refresh", (unsigned long)(r % (unsigned long)o->spread));
		sleep(r % (unsigned int)o->spread);
	}
	ls->refresh = 1;
	if (isatty(STDERR_FILENO) && n > 0) {
		ls->progress = show_progress;
		ls->progress_arg = NULL;
	}
	err = getk_lookup(ls, (const char *const *)due, n, &results, why,
	    sizeof(why));
	if (err) {
		fprintf(stderr, PROG ": %s\n", why[0] ? why : getk_strerror(err));
		getk_strv_free(due);
		return exit_for(err, EX_OSERR);
	}
	for (i = 0; i < n; i++) {
		const struct getk_result *r = &results[i];

		/* "No key" again is no news; a key gone from the network
		 * shows as a fallback on the cached key instead.  A key of
		 * the keyring answers without the network: nothing to
		 * refresh. */
		if (r->status == GETK_STATUS_NOKEY ||
		    (r->status == GETK_STATUS_FOUND &&
		    r->source == GETK_SOURCE_KEYRING)) {
			same++;
			continue;
		}
		switch (r->cache) {
		case GETK_CACHE_SAME:
			same++;
			continue;
		case GETK_CACHE_NEW:
		case GETK_CACHE_ROTATED:
			fresh++;
			fprintf(stderr, PROG ": %s: new key %s\n", r->address,
			    r->key->fpr);
			continue;
		case GETK_CACHE_REFUSED:
		case GETK_CACHE_CONFLICT:
			refused++;
			break;
		default:
			failed++;
			break;
		}
		fprintf(stderr, PROG ": %s: %s\n", r->address, r->reason ?
		    r->reason : r->status == GETK_STATUS_FOUND ?
		    "refresh failed; the cached key stays" : "no key");
	}
	getk_log(ls->log, GETK_LOG_INFO, "refresh: %zu address%s: %zu "
	    "refreshed, %zu unchanged, %zu changed (refused), %zu failed", n,
	    n == 1 ? "" : "es", fresh, same, refused, failed);
	status = EX_OK;
	for (i = 0; i < n; i++) {
		const struct getk_result *r = &results[i];

		if (r->status == GETK_STATUS_BADKEY ||
		    r->status == GETK_STATUS_CONFLICT)
			status = EX_DATAERR;
		else if (status == EX_OK && (r->status ==
		    GETK_STATUS_TEMPFAIL || r->cache == GETK_CACHE_FALLBACK))
			/* A refresh that fell back on the cache failed. */
			status = EX_TEMPFAIL;
	}
	getk_results_free(results, n);
	getk_strv_free(due);
	return status;
}

static int
print_event(void *arg, const char *address, time_t when, const char *event,
    const char *old_fpr, const char *new_fpr, const char *detail)
{
	char t[32];

	format_time(when, t, sizeof(t));
	printf("%s%s %s %s", arg ? "    " : "", t, address, event);
	if (old_fpr && new_fpr)
		printf(" %s -> %s", old_fpr, new_fpr);
	else if (new_fpr || old_fpr)
		printf(" %s", new_fpr ? new_fpr : old_fpr);
	if (detail)
		printf(" (%s)", detail);
	putchar('\n');
	return 0;
}

struct list_ctx {
	struct getk_store *store;
	int verbose;
};

static int
print_cached(void *arg, const struct getk_store_key *k, const char *offered)
{
	struct list_ctx *lc = arg;
	char t[32], why[256];

	format_time(k->fetched, t, sizeof(t));
	/* The stored sources start with the one that supplied the key. */
	printf("%s %s %.*s %s %s", k->address, k->fingerprint,
	    (int)strcspn(k->sources, ":,"), k->sources, k->trust, t);
	if (offered)
		printf(" conflict %s", offered);
	putchar('\n');
	if (lc->verbose)
		getk_store_each_event(lc->store, k->address, print_event,
		    lc, why, sizeof(why));
	return 0;
}

int
main(int argc, char **argv)
{
	enum { OPT_NO_CACHE = 256, OPT_REFRESH, OPT_ALL, OPT_SPREAD, OPT_LIST,
		OPT_HISTORY, OPT_FORGET, OPT_ACCEPT, OPT_REJECT };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'C' },
		{ "account", required_argument, NULL, 'a' },
		{ "output", required_argument, NULL, 'o' },
		{ "sources", required_argument, NULL, 's' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "no-cache", no_argument, NULL, OPT_NO_CACHE },
		{ "refresh", no_argument, NULL, OPT_REFRESH },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "spread", required_argument, NULL, OPT_SPREAD },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "history", required_argument, NULL, OPT_HISTORY },
		{ "forget", required_argument, NULL, OPT_FORGET },
		{ "accept", required_argument, NULL, OPT_ACCEPT },
		{ "reject", required_argument, NULL, OPT_REJECT },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o;
	struct getk_logger logger = { getk_cli_log_stderr, (void *)PROG, 0 };
	struct getk_config *cfg = NULL;
	const struct getk_account *acct;
	struct getk_lookup_settings ls;
	struct getk_store *store = NULL;
	char **mailboxes = NULL, *addr = NULL, host[256];
	char why[512], fpr[128], *password = NULL;
	const char *skip;
	int c, status = EX_OK, modes = 0;
	size_t n = 0, i;
	enum getk_err err;

	memset(&o, 0, sizeof(o));
	o.out = OUT_ARMOR;
	o.jobs = GETK_JOBS;
	while ((c = getopt_long(argc, argv, "C:a:o:s:j:vhV", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'C':
			o.config_path = optarg;
			break;
		case 'a':
			o.account = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "armor") == 0)
				o.out = OUT_ARMOR;
			else if (strcmp(optarg, "binary") == 0)
				o.out = OUT_BINARY;
			else if (strcmp(optarg, "fingerprint") == 0)
				o.out = OUT_FINGERPRINT;
			else if (strcmp(optarg, "json") == 0)
				o.out = OUT_JSON;
			else {
				fprintf(stderr, PROG ": unknown output format "
				    "%s (armor, binary, fingerprint, json)\n",
				    optarg);
				return EX_USAGE;
			}
			break;
		case 's':
			if (getk_sources_parse(optarg, o.sources, &o.nsources)) {
				fprintf(stderr, PROG ": bad source list %s "
				    "(comma-separated keyring, relay, getk, "
				    "wkd, dane)\n", optarg);
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
			o.jobs = (size_t)v;
			break;
		}
		case OPT_NO_CACHE:
			o.no_cache = 1;
			break;
		case OPT_REFRESH:
			o.mode = MODE_REFRESH;
			modes++;
			break;
		case OPT_ALL:
			o.all = 1;
			break;
		case OPT_SPREAD:
			if (getk_duration_parse(optarg, &o.spread) ||
			    o.spread > 7 * 86400L) {
				fprintf(stderr, PROG ": --spread takes a "
				    "duration up to 1w, such as 30m\n");
				return EX_USAGE;
			}
			break;
		case OPT_LIST:
			o.mode = MODE_LIST;
			modes++;
			break;
		case OPT_HISTORY:
		case OPT_FORGET:
		case OPT_ACCEPT:
		case OPT_REJECT:
			o.mode = c == OPT_HISTORY ? MODE_HISTORY :
			    c == OPT_FORGET ? MODE_FORGET : c == OPT_ACCEPT ?
			    MODE_ACCEPT : MODE_REJECT;
			o.mode_arg = optarg;
			modes++;
			break;
		case 'v':
			logger.level++;
			o.verbose++;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf(PROG " (getk) " PACKAGE_VERSION "%s\n",
			    getk_test_clock() ? " (test clock)" : "");
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (modes > 1 || (o.mode == MODE_FETCH && optind >= argc) ||
	    (o.mode != MODE_FETCH && optind < argc) ||
	    ((o.all || o.spread) && o.mode != MODE_REFRESH) ||
	    (o.no_cache && o.mode != MODE_FETCH)) {
		usage(stderr);
		return EX_USAGE;
	}

	/* Addresses first: a typo is a usage error before anything else. */
	n = o.mode == MODE_FETCH ? (size_t)(argc - optind) : 0;
	mailboxes = calloc(n + 1, sizeof(*mailboxes));
	if (!mailboxes) {
		fprintf(stderr, PROG ": out of memory\n");
		return EX_OSERR;
	}
	for (i = 0; i < n; i++) {
		const char *arg = argv[optind + (int)i], *w;

		err = getk_addr_parse(arg, &mailboxes[i], &w);
		if (err) {
			fprintf(stderr, PROG ": %s: %s\n", arg,
			    err == GETK_ERR_SYNTAX ? w : getk_strerror(err));
			status = exit_for(err, EX_OSERR);
			goto leave;
		}
	}
	if (o.mode_arg) {
		const char *w;

		err = getk_addr_parse(o.mode_arg, &addr, &w);
		if (err) {
			fprintf(stderr, PROG ": %s: %s\n", o.mode_arg,
			    err == GETK_ERR_SYNTAX ? w : getk_strerror(err));
			status = exit_for(err, EX_OSERR);
			goto leave;
		}
	}

	err = getk_config_read(o.config_path, &cfg, why, sizeof(why));
	if (err) {
		fprintf(stderr, PROG ": %s\n", why[0] ? why : getk_strerror(err));
		status = exit_for(err, EX_CONFIG);
		goto leave;
	}
	acct = getk_config_account(cfg, o.account);
	if (!acct) {
		fprintf(stderr, PROG ": no account named %s\n", o.account);
		status = EX_CONFIG;
		goto leave;
	}
	if (!o.nsources) {
		o.nsources = acct->nsources;
		memcpy(o.sources, acct->sources, o.nsources * sizeof(*o.sources));
	}
	if (!o.no_cache) {
		status = open_store(acct, &store);
		if (status)
			goto leave;
	}

	lookup_settings(&o, acct, &logger, host, sizeof(host), &ls);
	ls.store = store;
	/* passwordeval runs only when the relay will be asked. */
	if ((o.mode == MODE_FETCH || o.mode == MODE_REFRESH) &&
	    getk_relay_answers_getk(&ls.relay, &skip) &&
	    uses_source(&o, GETK_SOURCE_RELAY)) {
		err = getk_account_password(acct, &password, why, sizeof(why));
		if (err) {
			fprintf(stderr, PROG ": %s\n", why[0] ? why :
			    getk_strerror(err));
			status = exit_for(err, EX_OSERR);
			goto leave;
		}
		ls.relay_password = password;
	}

	switch (o.mode) {
	case MODE_FETCH:
		status = do_fetch(&o, &ls, mailboxes, n);
		break;
	case MODE_REFRESH:
		status = do_refresh(&o, &ls);
		break;
	case MODE_LIST: {
		struct list_ctx lc = { store, o.verbose };

		err = getk_store_each_key(store, print_cached, &lc, why,
		    sizeof(why));
		if (err) {
			fprintf(stderr, PROG ": %s\n", why);
			status = exit_for(err, EX_SOFTWARE);
		}
		break;
	}
	case MODE_HISTORY:
		err = getk_store_each_event(store, addr, print_event, NULL, why,
		    sizeof(why));
		if (err) {
			fprintf(stderr, PROG ": %s\n", why);
			status = exit_for(err, EX_SOFTWARE);
		}
		break;
	case MODE_FORGET:
	case MODE_ACCEPT:
	case MODE_REJECT:
		if (o.mode == MODE_FORGET)
			err = getk_store_forget(store, addr, getk_now(), why,
			    sizeof(why));
		else if (o.mode == MODE_ACCEPT)
			err = getk_store_accept(store, addr, getk_now(), fpr,
			    sizeof(fpr), why, sizeof(why));
		else
			err = getk_store_reject(store, addr, getk_now(), fpr,
			    sizeof(fpr), why, sizeof(why));
		if (err) {
			fprintf(stderr, PROG ": %s\n", why);
			status = exit_for(err, EX_SOFTWARE);
		} else if (o.mode == MODE_ACCEPT) {
			fprintf(stderr, PROG ": %s: key %s accepted and pinned\n",
			    addr, fpr);
		} else if (o.mode == MODE_REJECT) {
			fprintf(stderr, PROG ": %s: key %s rejected; the pinned key "
			    "stays\n", addr, fpr);
		}
		break;
	}
	if (fflush(stdout) != 0 && status == EX_OK)
		status = EX_IOERR;
leave:
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
	getk_store_close(store);
	for (i = 0; mailboxes && i < n; i++)
		free(mailboxes[i]);
	free(mailboxes);
	free(addr);
	getk_config_free(cfg);
	return status;
}
