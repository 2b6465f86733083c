/*
 * getk-sendmail: a sendmail that encrypts every message to its
 * recipients, or does not send it.
 *
 * This file parses the sendmail command line and the configuration,
 * reads the message, and drives the library: lookups (src/lookup.c), the
 * PGP/MIME writer (src/pgpmime.c) and submission (src/submit.c); then it
 * writes the log line and maps the outcome to a sysexits(3) status.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sysexits.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../src/addr.h"
#include "../src/buf.h"
#include "../src/clock.h"
#include "../src/conf.h"
#include "../src/host.h"
#include "../src/key.h"
#include "../src/lookup.h"
#include "../src/message.h"
#include "../src/pgpmime.h"
#include "../src/spool.h"
#include "../src/store.h"
#include "../src/submit.h"

#define PROG "getk-sendmail"

struct opts {
	const char *config_path;
	const char *account;
	const char *from;		/* -f / -r */
	const char *fullname;		/* -F */
	char dsn_notify[32];		/* -N, as NOTIFY= wants it, or "" */
	char dsn_ret[8];		/* -R, as RET= wants it, or "" */
	int read_headers;		/* -t */
	int verbose;
};

/* A recipient and what became of it. */
struct rcpt {
	char *mailbox;
	int bcc;			/* not in To or Cc */
	const struct getk_result *res;	/* its lookup */
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [-t] [-i] [-f ADDR] [-F NAME] [-C FILE] [-a ACCOUNT]\n"
	    "                     [-v] [-N DSN] [-R RET] [-oXXX] [--] [RECIPIENT...]\n"
	    "\n"
	    "Reads a message on standard input, encrypts it with PGP/MIME to the\n"
	    "verified key of every recipient and submits it to the relay of the\n"
	    "account; a message that cannot be encrypted is not sent.\n"
	    "\n"
	    "Exit status: 0 submitted, 64 usage, 65 message unreadable,\n"
	    "69 a recipient has no usable key or the relay refused it,\n"
	    "75 temporary failure, 77 relay authentication failed,\n"
	    "78 configuration error.\n");
}

static void
log_stderr(void *arg, int level, const char *msg)
{
	(void)arg;
	(void)level;
	flockfile(stderr);
	fprintf(stderr, PROG ": %s\n", msg);
	funlockfile(stderr);
}

static int
fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(int status, const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

/*
 * Turns sendmail's -N argument ("never", or a comma-separated list of
 * success, failure, delay) into RFC 3461's NOTIFY value.  -1 when it is
 * not one.
 */
static int
dsn_notify(const char *arg, char *out, size_t outsz)
{
	static const char *const words[] = { "success", "failure", "delay" };
	const char *p = arg;
	size_t i;

	out[0] = '\0';
	if (strcasecmp(arg, "never") == 0) {
		snprintf(out, outsz, "NEVER");
		return 0;
	}
	while (*p) {
		size_t len = strcspn(p, ",");

		for (i = 0; i < 3; i++)
			if (strlen(words[i]) == len &&
			    strncasecmp(p, words[i], len) == 0)
				break;
		if (i == 3 || strlen(out) + len + 2 > outsz)
			return -1;
		if (out[0])
			strncat(out, ",", outsz - strlen(out) - 1);
		for (size_t k = 0; k < len; k++) {
			size_t o = strlen(out);

			out[o] = (char)(p[k] >= 'a' && p[k] <= 'z' ?
			    p[k] - 'a' + 'A' : p[k]);
			out[o + 1] = '\0';
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return out[0] ? 0 : -1;
}

/*
 * Parses the sendmail command line.  Options take their argument attached
 * or as the next word (-fADDR, -f ADDR).  Returns EX_OK, or an exit
 * status; *R_FIRST is the index of the first recipient.
 */
static int
parse_args(int argc, char **argv, struct opts *o, int *r_first)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *arg = NULL;
		char c;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-' || a[1] == '\0')
			break;
		if (strcmp(a, "--help") == 0) {
			usage(stdout);
			return -1;
		}
		if (strcmp(a, "--version") == 0) {
			printf(PROG " (getk) " PACKAGE_VERSION "\n");
			return -1;
		}
		if (strncmp(a, "--config=", 9) == 0) {
			o->config_path = a + 9;
			continue;
		}
		if (strcmp(a, "--config") == 0) {
			if (++i >= argc)
				return fail(EX_USAGE, "--config needs a file");
			o->config_path = argv[i];
			continue;
		}
		c = a[1];
		/* Options with an argument, attached or separate. */
		if (strchr("fFrCaNRBhLOVXo", c)) {
			if (c == 'o') {
				/* -oXXX: sendmail's -o options; all ignored
				 * (-oi, -oem, -odb, ...). */
				if (a[2] == '\0' && ++i >= argc)
					return fail(EX_USAGE, "-o needs a value");
				continue;
			}
			if (a[2])
				arg = a + 2;
			else if (++i < argc)
				arg = argv[i];
			else
				return fail(EX_USAGE, "-%c needs an argument", c);
			switch (c) {
			case 'f':
			case 'r':
				o->from = arg;
				break;
			case 'F':
				o->fullname = arg;
				break;
			case 'C':
				o->config_path = arg;
				break;
			case 'a':
				o->account = arg;
				break;
			case 'N':
				if (dsn_notify(arg, o->dsn_notify,
				    sizeof(o->dsn_notify)))
					return fail(EX_USAGE, "-N takes never or "
					    "a list of success, failure, delay");
				break;
			case 'R':
				if (strcasecmp(arg, "full") == 0)
					snprintf(o->dsn_ret, sizeof(o->dsn_ret),
					    "FULL");
				else if (strcasecmp(arg, "hdrs") == 0)
					snprintf(o->dsn_ret, sizeof(o->dsn_ret),
					    "HDRS");
				else
					return fail(EX_USAGE, "-R takes full or "
					    "hdrs");
				break;
			default:
				/* -B, -h, -L, -O, -V, -X: accepted and
				 * ignored. */
				break;
			}
			continue;
		}
		if (c == 'b') {
			if (strcmp(a, "-bm") == 0)
				continue;
			return fail(EX_USAGE, "mode %s is not supported (only "
			    "-bm, sending a message)", a);
		}
		/* Flag options, possibly grouped (-ti). */
		for (const char *p = a + 1; *p; p++) {
			switch (*p) {
			case 't':
				o->read_headers = 1;
				break;
			case 'v':
				o->verbose++;
				break;
			case 'i': case 'G': case 'm': case 'n': case 'U':
				break;
			default:
				usage(stderr);
				return fail(EX_USAGE, "unknown option -%c", *p);
			}
		}
	}
	*r_first = i;
	return EX_OK;
}

/*
 * Reads FD to its end and throws it away, so that a caller that pipes a
 * message in is not killed by SIGPIPE when the options were wrong.  A
 * terminal is left alone.
 */
static void
drain(int fd)
{
	char buf[65536];

	if (isatty(fd))
		return;
	while (read(fd, buf, sizeof(buf)) > 0 || errno == EINTR)
		errno = 0;
}

/*
 * Reads the whole message from FD: the header section into *R_HEADERS,
 * everything after it into the spool BODY.  The header reader is fed
 * each piece as it comes; once the section has ended, the rest goes
 * straight to the spool, whatever its size.  EX_DATAERR on a message
 * that cannot be read as RFC 5322.
 */
static int
read_message(int fd, struct getk_spool *body, struct getk_headers **r_headers)
{
	struct getk_header_reader *rd = NULL;
	char chunk[65536];
	const char *why = NULL, *rest;
	size_t used = 0, restlen;
	int done = 0, status = EX_OK;
	enum getk_err err = GETK_OK;

	*r_headers = NULL;
	if (getk_header_reader_new(&rd))
		return fail(EX_OSERR, "out of memory");
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = fail(EX_IOERR, "cannot read the message: %s",
			    strerror(errno));
			goto leave;
		}
		if (done) {
			if (n == 0)
				break;
			err = getk_spool_write(body, chunk, (size_t)n);
		} else {
			err = getk_header_reader_feed(rd, chunk, (size_t)n, n == 0,
			    &used, &done, &why);
			if (err) {
				status = fail(err == GETK_ERR_NOMEM ? EX_OSERR :
				    EX_DATAERR, "the message cannot be read: %s",
				    why ? why : getk_strerror(err));
				goto leave;
			}
			if (done) {
				rest = getk_header_reader_rest(rd, &restlen);
				err = getk_spool_write(body, rest, restlen);
				if (!err)
					err = getk_spool_write(body, chunk + used,
					    (size_t)n - used);
			}
			if (n == 0)
				break;
		}
		if (err) {
			status = fail(EX_TEMPFAIL, "cannot spool the message: %s",
			    strerror(errno));
			goto leave;
		}
	}
	*r_headers = getk_header_reader_take(rd);
leave:
	getk_header_reader_free(rd);
	return status;
}

/* Non-zero when LIST (N entries) holds MAILBOX. */
static int
list_has(char *const *list, size_t n, const char *mailbox)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (getk_mailbox_match(list[i], mailbox) &&
		    getk_mailbox_match(mailbox, list[i]))
			return 1;
	return 0;
}

/* Adds MAILBOX (a new string, taken) to the recipients unless there. */
static int
add_rcpt(struct rcpt **list, size_t *n, char *mailbox, int bcc)
{
	struct rcpt *l;
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp((*list)[i].mailbox, mailbox) == 0) {
			if (!bcc)
				(*list)[i].bcc = 0;
			free(mailbox);
			return EX_OK;
		}
	}
	l = realloc(*list, (*n + 1) * sizeof(*l));
	if (!l) {
		free(mailbox);
		return fail(EX_OSERR, "out of memory");
	}
	*list = l;
	l[*n].mailbox = mailbox;
	l[*n].bcc = bcc;
	l[*n].res = NULL;
	(*n)++;
	return EX_OK;
}

/*
 * The recipients: the command-line ones (a word may hold a list) and with
 * -t those of the header.  A command-line recipient that is not in To or
 * Cc is a Bcc recipient.
 */
static int
collect_rcpts(const struct opts *o, int argc, char **argv, int first,
    const struct getk_headers *h, struct rcpt **r_list, size_t *r_n)
{
	char **tocc = NULL, **bcc = NULL, **words = NULL;
	size_t ntocc = 0, nbcc = 0, nwords = 0, i, k;
	const char *why = NULL;
	int status = EX_OK;
	enum getk_err err;

	*r_list = NULL;
	*r_n = 0;
	err = getk_headers_recipients(h, &tocc, &ntocc, &bcc, &nbcc, &why);
	if (err)
		return fail(EX_DATAERR, "recipients in the header: %s",
		    why ? why : getk_strerror(err));
	for (i = (size_t)first; status == EX_OK && i < (size_t)argc; i++) {
		err = getk_addrlist_parse(argv[i], strlen(argv[i]), &words,
		    &nwords, &why);
		if (err) {
			status = fail(EX_USAGE, "recipient %s: %s", argv[i],
			    why ? why : getk_strerror(err));
			break;
		}
		for (k = 0; status == EX_OK && k < nwords; k++) {
			int is_bcc = !list_has(tocc, ntocc, words[k]);

			status = add_rcpt(r_list, r_n, words[k], is_bcc);
			words[k] = NULL;
		}
		getk_strv_free(words);
		words = NULL;
	}
	if (o->read_headers) {
		for (i = 0; status == EX_OK && i < ntocc; i++) {
			status = add_rcpt(r_list, r_n, tocc[i], 0);
			tocc[i] = NULL;
		}
		for (i = 0; status == EX_OK && i < nbcc; i++) {
			status = add_rcpt(r_list, r_n, bcc[i], 1);
			bcc[i] = NULL;
		}
	}
	getk_strv_free(tocc);
	getk_strv_free(bcc);
	if (status == EX_OK && *r_n == 0)
		status = fail(EX_USAGE, "no recipients");
	return status;
}

/* The first mailbox of the From field, or NULL. */
static char *
header_from(const struct getk_headers *h)
{
	const struct getk_header *f;
	char **list = NULL, *m = NULL;
	size_t n = 0, pos = 0;
	const char *why;

	f = getk_headers_find(h, "From", &pos);
	if (!f || getk_addrlist_parse(f->value, strlen(f->value), &list, &n,
	    &why) || n == 0) {
		getk_strv_free(list);
		return NULL;
	}
	m = list[0];
	list[0] = NULL;
	getk_strv_free(list);
	return m;
}

/*
 * The account: -a, else the one whose "from" is the envelope sender,
 * else the default.
 */
static const struct getk_account *
pick_account(const struct getk_config *cfg, const char *name,
    const char *from)
{
	size_t i;

	if (name)
		return getk_config_account(cfg, name);
	for (i = 0; from && i < cfg->naccounts; i++)
		if (cfg->accounts[i]->from &&
		    strcasecmp(cfg->accounts[i]->from, from) == 0)
			return cfg->accounts[i];
	return getk_config_account(cfg, NULL);
}

/* Appends one line to the log file and/or syslog, as msmtp does. */
static void
log_message(const struct getk_account *acct, const char *line)
{
	if (acct->logfile) {
		/* The log names who wrote to whom: the user's alone. */
		int fd = open(acct->logfile, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOCTTY, 0600);
		FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
		char t[64];
		time_t now = getk_now();
		struct tm tm;

		if (fd >= 0 && !f)
			close(fd);
		if (f) {
			localtime_r(&now, &tm);
			strftime(t, sizeof(t), "%b %d %H:%M:%S", &tm);
			fprintf(f, "%s %s\n", t, line);
			fclose(f);
		}
	}
	if (acct->syslog) {
		static const struct { const char *name; int fac; } facs[] = {
			{ "LOG_USER", LOG_USER }, { "LOG_MAIL", LOG_MAIL },
			{ "LOG_LOCAL0", LOG_LOCAL0 }, { "LOG_LOCAL1", LOG_LOCAL1 },
			{ "LOG_LOCAL2", LOG_LOCAL2 }, { "LOG_LOCAL3", LOG_LOCAL3 },
			{ "LOG_LOCAL4", LOG_LOCAL4 }, { "LOG_LOCAL5", LOG_LOCAL5 },
			{ "LOG_LOCAL6", LOG_LOCAL6 }, { "LOG_LOCAL7", LOG_LOCAL7 },
		};
		int fac = LOG_USER;
		size_t i;

		for (i = 0; i < sizeof(facs) / sizeof(facs[0]); i++)
			if (strcmp(facs[i].name, acct->syslog) == 0)
				fac = facs[i].fac;
		openlog(PROG, LOG_PID, fac);
		syslog(LOG_INFO, "%s", line);
		closelog();
	}
}

static const char *
exit_name(int status)
{
	switch (status) {
	case EX_OK: return "EX_OK";
	case EX_USAGE: return "EX_USAGE";
	case EX_DATAERR: return "EX_DATAERR";
	case EX_UNAVAILABLE: return "EX_UNAVAILABLE";
	case EX_TEMPFAIL: return "EX_TEMPFAIL";
	case EX_NOPERM: return "EX_NOPERM";
	case EX_CONFIG: return "EX_CONFIG";
	case EX_OSERR: return "EX_OSERR";
	case EX_IOERR: return "EX_IOERR";
	default: return "EX_SOFTWARE";
	}
}

/* The sysexits status for a failed submission. */
static int
submit_status(enum getk_err err)
{
	switch (err) {
	case GETK_ERR_AUTH:
		return EX_NOPERM;
	case GETK_ERR_PERMFAIL:
		return EX_UNAVAILABLE;
	case GETK_ERR_NOMEM:
		return EX_OSERR;
	default:
		return EX_TEMPFAIL;
	}
}

/* Whether a lookup result gives a key getk-sendmail may use. */
static int
usable(const struct getk_account *acct, const struct getk_result *r)
{
	const char *why;

	return r && r->key && getk_trust_send(r->status, r->trust,
	    acct->key_trust_any, 0, &why) == GETK_SEND_ENCRYPT;
}

/* Everything main() owns, so that one function can free it. */
struct run {
	struct opts o;
	struct getk_config *cfg;
	const struct getk_account *acct;
	struct getk_headers *headers;
	struct getk_spool *body;
	struct getk_spool **out;	/* one per transaction */
	struct getk_submission *subs;
	const char ***sub_rcpts;
	size_t nsubs;
	struct rcpt *rcpts;
	size_t nrcpts;
	const char **boxes;		/* lookup input */
	struct getk_result *results;
	size_t nresults;
	enum getk_send *sends;		/* what each recipient allows */
	struct getk_key *self;		/* from self_key */
	struct getk_store *store;
	char *from;			/* envelope sender */
	char *password;
	struct getk_logger logger;
	struct getk_buf logline;
};

static void
run_free(struct run *r)
{
	size_t i;

	getk_config_free(r->cfg);
	getk_headers_free(r->headers);
	getk_spool_free(r->body);
	for (i = 0; i < r->nsubs; i++) {
		getk_spool_free(r->out[i]);
		free(r->sub_rcpts[i]);
	}
	free(r->out);
	free(r->subs);
	free(r->sub_rcpts);
	for (i = 0; i < r->nrcpts; i++)
		free(r->rcpts[i].mailbox);
	free(r->rcpts);
	free(r->boxes);
	getk_results_free(r->results, r->nresults);
	free(r->sends);
	getk_key_free(r->self);
	getk_store_close(r->store);
	free(r->from);
	if (r->password) {
		explicit_bzero(r->password, strlen(r->password));
		free(r->password);
	}
	getk_buf_free(&r->logline);
}

/*
 * Opens the key cache for the lookups.  One that exists but cannot be
 * used is an error (its pins could not be held against what is
 * offered); one that cannot be made where none exists costs only the
 * cache.  An exit status, or EX_OK with *R_STORE possibly NULL.
 */
static int
open_cache(struct run *r)
{
	char *state = NULL, why[512];
	int status = EX_OK;

	if (getk_account_state_dir(r->acct, &state) != GETK_OK) {
		getk_log(&r->logger, GETK_LOG_WARN, "no state_dir, "
		    "XDG_STATE_HOME or HOME: going on without the key cache");
		return EX_OK;
	}
	if (getk_store_open(state, 0, &r->store, why, sizeof(why)) != GETK_OK) {
		if (getk_store_exists(state))
			status = fail(EX_TEMPFAIL, "not sent: %s; its pins "
			    "cannot be checked. Make it readable and writable "
			    "for you, or move %s/%s aside (its pins are then "
			    "lost)", why, state, GETK_STORE_FILE);
		else
			getk_log(&r->logger, GETK_LOG_WARN, "%s; going on "
			    "without the key cache", why);
	}
	free(state);
	return status;
}

/* Adds a transaction: the message in OUT for the N recipients RCPTS. */
static int
add_sub(struct run *r, struct getk_spool *out, const char **rcpts, size_t n)
{
	struct getk_spool **o;
	struct getk_submission *s;
	const char ***sr;

	o = realloc(r->out, (r->nsubs + 1) * sizeof(*o));
	if (o)
		r->out = o;
	s = realloc(r->subs, (r->nsubs + 1) * sizeof(*s));
	if (s)
		r->subs = s;
	sr = realloc(r->sub_rcpts, (r->nsubs + 1) * sizeof(*sr));
	if (sr)
		r->sub_rcpts = sr;
	if (!o || !s || !sr) {
		getk_spool_free(out);
		free(rcpts);
		return fail(EX_OSERR, "out of memory");
	}
	r->out[r->nsubs] = out;
	r->sub_rcpts[r->nsubs] = rcpts;
	r->subs[r->nsubs].from = r->from;
	r->subs[r->nsubs].rcpts = rcpts;
	r->subs[r->nsubs].nrcpts = n;
	r->subs[r->nsubs].message = out;
	r->nsubs++;
	return EX_OK;
}

/* Date and Message-ID for messages that lack them. */
static void
make_ids(const struct run *r, char *date, size_t datesz, char *mid,
    size_t midsz)
{
	unsigned char rnd[10];
	char hex[21], host[256];
	const char *dom;
	time_t now = getk_now();
	struct tm tm;
	size_t i;

	localtime_r(&now, &tm);
	strftime(date, datesz, "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	getk_local_name(host, sizeof(host));
	dom = r->from && strchr(r->from, '@') ? getk_mailbox_domain(r->from) :
	    host;
	snprintf(mid, midsz, "<%lld.%s.getk@%s>", (long long)now, hex, dom);
}

/*
 * The deadline of one encryption: the account's timeout, and a second
 * more for every 10 MiB of message, which gpg encrypts in well under
 * that.
 */
static long
encrypt_deadline(const struct run *r)
{
	long size_mib = (long)(getk_spool_size(r->body) / (1024 * 1024));

	return getk_mono_ms() + r->acct->timeout * 1000L +
	    size_mib / 10 * 1000L;
}

/*
 * Builds the transactions: the message encrypted to To/Cc and the sender
 * for the To/Cc recipients, and one copy per Bcc recipient encrypted to
 * that recipient and the sender only, so that no Bcc key ID shows in
 * another recipient's copy.  PLAIN: everyone gets the clear message.
 */
static int
build(struct run *r, const struct getk_key *self, int plain)
{
	struct getk_pgpmime m;
	struct getk_buf fromhdr = { NULL, 0, 0, 0 };
	char date[64], mid[320], why[512];
	const struct getk_key **keys = NULL;
	const char **list;
	size_t i, nk, nl;
	int status = EX_OK;
	enum getk_err err;

	make_ids(r, date, sizeof(date), mid, sizeof(mid));
	/* A message without From gets one, with -F's name (quoted). */
	if (*r->from) {
		getk_buf_init(&fromhdr, 2048);
		if (r->o.fullname && *r->o.fullname) {
			const char *p;

			getk_buf_adds(&fromhdr, "\"");
			for (p = r->o.fullname; *p; p++) {
				if (*p == '\r' || *p == '\n')
					continue;
				if (*p == '"' || *p == '\\')
					getk_buf_add(&fromhdr, "\\", 1);
				getk_buf_add(&fromhdr, p, 1);
			}
			getk_buf_adds(&fromhdr, "\" ");
		}
		getk_buf_printf(&fromhdr, "<%s>", r->from);
	}
	memset(&m, 0, sizeof(m));
	m.headers = r->headers;
	m.body = r->body;
	m.body_off = 0;
	m.protect_subject = r->acct->protect_subject;
	m.date = date;
	m.message_id = mid;
	m.from = fromhdr.data;
	keys = calloc(r->nrcpts + 1, sizeof(*keys));
	if (!keys) {
		getk_buf_free(&fromhdr);
		return fail(EX_OSERR, "out of memory");
	}
	/* Pass 0: the To/Cc copy; then one pass per Bcc recipient. */
	for (i = 0; status == EX_OK && i <= r->nrcpts; i++) {
		struct getk_spool *out = NULL;
		size_t k;

		if (i > 0 && !r->rcpts[i - 1].bcc)
			continue;
		list = calloc(r->nrcpts, sizeof(*list));
		if (!list) {
			status = fail(EX_OSERR, "out of memory");
			break;
		}
		nl = nk = 0;
		for (k = 0; k < r->nrcpts; k++) {
			const struct rcpt *rc = &r->rcpts[k];

			if (i == 0 ? rc->bcc : k != i - 1)
				continue;
			list[nl++] = rc->mailbox;
			if (!plain)
				keys[nk++] = rc->res->key;
		}
		if (nl == 0) {
			free(list);
			continue;
		}
		if (self && !plain)
			keys[nk++] = self;
		if (getk_spool_new(NULL, &out)) {
			free(list);
			status = fail(EX_TEMPFAIL, "cannot make a spool file: %s",
			    strerror(errno));
			break;
		}
		why[0] = '\0';
		if (plain)
			err = getk_pgpmime_plain(&m, out);
		else
			err = getk_pgpmime_encrypt(&m, keys, nk, out,
			    encrypt_deadline(r), why, sizeof(why));
		if (err) {
			getk_spool_free(out);
			free(list);
			/* A gpg that ran out of time may do better later;
			 * one that failed will not. */
			status = fail(err == GETK_ERR_CRYPTO ||
			    err == GETK_ERR_BADKEY ? EX_SOFTWARE : EX_TEMPFAIL,
			    "cannot write the message: %s", why[0] ? why :
			    strerror(errno));
			break;
		}
		status = add_sub(r, out, list, nl);
	}
	free(keys);
	getk_buf_free(&fromhdr);
	return status;
}

int
main(int argc, char **argv)
{
	struct run r;
	struct getk_lookup_settings ls;
	struct getk_submit_settings ss;
	const struct getk_key *self = NULL;
	const struct getk_result *self_res = NULL;
	char *msg = NULL, host[256], why[512];
	size_t i, nboxes = 0, done = 0;
	int first = 1, status, plain = 0, code = 0;
	int passthrough = 0;
	enum getk_err err;

	memset(&r, 0, sizeof(r));
	getk_buf_init(&r.logline, 64 * 1024);
	r.logger.fn = log_stderr;
	status = parse_args(argc, argv, &r.o, &first);
	if (status > 0)
		drain(STDIN_FILENO);
	if (status)
		return status < 0 ? EX_OK : status;
	r.logger.level = r.o.verbose;

	/* Read the message first: whatever happens, stdin is drained. */
	if (getk_spool_new(NULL, &r.body)) {
		status = fail(EX_TEMPFAIL, "cannot make a spool file: %s",
		    strerror(errno));
		goto leave;
	}
	status = read_message(STDIN_FILENO, r.body, &r.headers);
	if (status)
		goto leave;
	status = collect_rcpts(&r.o, argc, argv, first, r.headers, &r.rcpts,
	    &r.nrcpts);
	if (status)
		goto leave;

	err = getk_config_read(r.o.config_path, &r.cfg, &msg);
	if (err) {
		status = fail(err == GETK_ERR_NOMEM ? EX_OSERR : EX_CONFIG, "%s",
		    msg ? msg : getk_strerror(err));
		goto leave;
	}
	/* Envelope sender: -f, else the account's from, else From. */
	if (r.o.from) {
		const char *w;

		if (*r.o.from == '\0' || strcmp(r.o.from, "<>") == 0) {
			r.from = strdup("");
		} else if (getk_addr_parse(r.o.from, &r.from, &w)) {
			status = fail(EX_USAGE, "-f %s: %s", r.o.from, w);
			goto leave;
		}
	}
	r.acct = pick_account(r.cfg, r.o.account, r.from);
	if (!r.acct) {
		status = fail(EX_CONFIG, "no account named %s", r.o.account);
		goto leave;
	}
	if (!r.acct->host) {
		status = fail(EX_CONFIG, "no relay: set host in the "
		    "configuration (see getk.conf(5))");
		goto leave;
	}
	if (!r.from && r.acct->from) {
		const char *w;

		if (getk_addr_parse(r.acct->from, &r.from, &w)) {
			status = fail(EX_CONFIG, "from %s: %s", r.acct->from, w);
			goto leave;
		}
	}
	if (!r.from)
		r.from = header_from(r.headers);
	if (!r.from) {
		status = fail(EX_DATAERR, "no sender: give -f, set from, or "
		    "put a From field in the message");
		goto leave;
	}
	if (r.acct->auth && strcmp(r.acct->auth, "off") != 0 && !r.acct->user) {
		status = fail(EX_CONFIG, "auth %s needs a user", r.acct->auth);
		goto leave;
	}
	/* One password for the relay lookup and the submission. */
	if (r.acct->user) {
		err = getk_account_password(r.acct, &r.password, why,
		    sizeof(why));
		if (err) {
			status = fail(err == GETK_ERR_CONFIG ? EX_CONFIG :
			    EX_OSERR, "%s", why[0] ? why : "out of memory");
			goto leave;
		}
	}

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    getk_key_init() != GETK_OK) {
		status = fail(EX_SOFTWARE, "cannot initialise libcurl or "
		    "libgcrypt");
		goto leave;
	}

	{
		struct getk_pgpmime probe;
		int claims;

		memset(&probe, 0, sizeof(probe));
		probe.headers = r.headers;
		probe.body = r.body;
		passthrough = getk_pgpmime_is_encrypted(&probe, why,
		    sizeof(why), &claims);
		if (!passthrough)
			getk_log(&r.logger, claims ? GETK_LOG_WARN :
			    GETK_LOG_DEBUG, "%s: %s; it is encrypted like any "
			    "message", claims ? "the message looks encrypted "
			    "but is no OpenPGP ciphertext" : "not ciphertext "
			    "already", why);
	}
	if (passthrough) {
		getk_log(&r.logger, GETK_LOG_INFO, "the message is OpenPGP "
		    "ciphertext already (%s): it goes out unchanged", why);
		plain = 1;
		goto submit;
	}

	/* Look up every recipient and, for encrypt_to_self, the sender. */
	r.boxes = calloc(r.nrcpts + 2, sizeof(*r.boxes));
	if (!r.boxes) {
		status = fail(EX_OSERR, "out of memory");
		goto leave;
	}
	for (i = 0; i < r.nrcpts; i++)
		r.boxes[nboxes++] = r.rcpts[i].mailbox;
	if (r.acct->encrypt_to_self && !r.acct->self_key && *r.from)
		r.boxes[nboxes++] = r.from;
	getk_lookup_settings_init(&ls, r.acct, host, sizeof(host));
	ls.log = &r.logger;
	ls.relay_password = r.password;
	status = open_cache(&r);
	if (status)
		goto leave;
	ls.store = r.store;
	err = getk_lookup(&ls, r.boxes, nboxes, &r.results, &msg);
	if (err) {
		status = fail(err == GETK_ERR_CONFIG ? EX_CONFIG : EX_TEMPFAIL,
		    "%s", msg ? msg : getk_strerror(err));
		goto leave;
	}
	r.nresults = nboxes;
	/* The relay that refused the credentials for GETK will refuse
	 * them for the submission too: say so now, not "try again". */
	if (nboxes && r.results[0].relay_auth_failed) {
		status = fail(EX_NOPERM, "not sent: the relay %s refused the "
		    "credentials of user %s", r.acct->host, r.acct->user ?
		    r.acct->user : "");
		goto leave;
	}
	/* The trust rules decide, recipient by recipient: only a
	 * recipient without any key may allow clear text; a key that
	 * failed, a conflict or a temporary failure never do. */
	r.sends = calloc(r.nrcpts ? r.nrcpts : 1, sizeof(*r.sends));
	if (!r.sends) {
		status = fail(EX_OSERR, "out of memory");
		goto leave;
	}
	for (i = 0; i < r.nrcpts; i++) {
		struct rcpt *rc = &r.rcpts[i];
		const struct getk_result *res = &r.results[i];
		const char *rule;

		rc->res = res;
		r.sends[i] = getk_trust_send(res->status, res->trust,
		    r.acct->key_trust_any, r.acct->missing_key_plaintext, &rule);
		if (res->status == GETK_STATUS_FOUND && rule)
			fprintf(stderr, PROG ": %s: key %s: %s\n", rc->mailbox,
			    res->key->fpr, rule);
		else if (res->status != GETK_STATUS_FOUND)
			fprintf(stderr, PROG ": %s: %s\n", rc->mailbox,
			    res->reason ? res->reason : rule);
	}
	switch (getk_trust_send_message(r.sends, r.nrcpts)) {
	case GETK_SEND_REFUSE:
		status = fail(EX_UNAVAILABLE, "not sent: some recipients have "
		    "no usable key (see above)%s", r.acct->missing_key_plaintext ?
		    "" : "; missing_key is refuse");
		goto leave;
	case GETK_SEND_LATER:
		/* An authentication or network failure never leads to clear
		 * text, whatever missing_key says (INTERFACE.md). */
		status = fail(EX_TEMPFAIL, "not sent: some lookups failed "
		    "temporarily; try again later");
		goto leave;
	case GETK_SEND_CLEAR:
		getk_log(&r.logger, GETK_LOG_WARN, "some recipients have no "
		    "key at all: the message goes in clear text "
		    "(missing_key plaintext)");
		plain = 1;
		break;
	case GETK_SEND_ENCRYPT:
		break;
	}
	if (!plain && r.acct->encrypt_to_self) {
		if (r.acct->self_key) {
			if (getk_key_engine_init() != GETK_OK) {
				status = fail(EX_SOFTWARE, "GnuPG cannot be used");
				goto leave;
			}
			err = getk_key_export_self(r.acct->self_key,
			    getk_mono_ms() + r.acct->timeout * 1000L, &r.self,
			    why, sizeof(why));
			if (err) {
				status = fail(err == GETK_ERR_TIMEOUT ||
				    err == GETK_ERR_NOMEM ? EX_TEMPFAIL :
				    EX_CONFIG, "self_key %s: %s",
				    r.acct->self_key, why);
				goto leave;
			}
			self = r.self;
		} else if (*r.from) {
			self_res = &r.results[nboxes - 1];
			if (usable(r.acct, self_res))
				self = self_res->key;
			else
				getk_log(&r.logger, GETK_LOG_WARN, "no usable "
				    "key for the sender %s: the message goes "
				    "without it (%s)", r.from, self_res->reason ?
				    self_res->reason : "trust none");
		}
	}
	if (!plain && getk_key_engine_init() != GETK_OK) {
		status = fail(EX_SOFTWARE, "GnuPG cannot be used");
		goto leave;
	}

submit:
	status = build(&r, self, plain);
	if (status)
		goto leave;
	memset(&ss, 0, sizeof(ss));
	getk_account_relay(r.acct, &ss.relay);
	ss.password = r.password;
	ss.ca_file = r.acct->tls_trust_file;
	ss.connect_to = r.acct->connect_to;
	ss.timeout_ms = r.acct->timeout * 1000;
	getk_local_name(host, sizeof(host));
	ss.ehlo_name = host;
	ss.log = &r.logger;
	ss.dsn_notify = r.o.dsn_notify[0] ? r.o.dsn_notify : NULL;
	ss.dsn_ret = r.o.dsn_ret[0] ? r.o.dsn_ret : NULL;
	err = getk_submit(&ss, r.subs, r.nsubs, NULL, &done, &code, why,
	    sizeof(why));
	if (err) {
		status = submit_status(err);
		if (done)
			fprintf(stderr, PROG ": %zu of %zu copies were "
			    "submitted before the failure\n", done, r.nsubs);
		fail(status, "not sent: %s", why);
	}

leave:
	/* One log line per message, as msmtp writes it. */
	if (r.acct && (r.acct->logfile || r.acct->syslog)) {
		struct getk_buf *b = &r.logline;
		off_t size;

		getk_buf_printf(b, "host=%s from=%s recipients=", r.acct->host ?
		    r.acct->host : "", r.from ? r.from : "");
		for (i = 0; i < r.nrcpts; i++)
			getk_buf_printf(b, "%s%s", i ? "," : "",
			    r.rcpts[i].mailbox);
		getk_buf_printf(b, " mode=%s keys=", r.nsubs == 0 ? "none" :
		    !plain ? "encrypted" : r.results ? "plaintext" : "unchanged");
		{
			const char *sep = "";

			for (i = 0; r.results && !plain && i < r.nrcpts; i++) {
				if (!r.rcpts[i].res || !r.rcpts[i].res->key)
					continue;
				getk_buf_printf(b, "%s%s:%s/%s", sep,
				    r.rcpts[i].mailbox, r.rcpts[i].res->key->fpr,
				    getk_trust_name(r.rcpts[i].res->trust));
				sep = ",";
			}
			/* Without the sender's key there is no self: entry
			 * (getk-sendmail(8) LOGGING). */
			if (r.nsubs && !plain && self)
				getk_buf_printf(b, "%sself:%s", sep, self->fpr);
		}
		for (i = 0, size = 0; i < r.nsubs; i++)
			size += getk_spool_size(r.out[i]);
		getk_buf_printf(b, " size=%lld smtpstatus=%d exitcode=%s",
		    (long long)size, code, exit_name(status));
		log_message(r.acct, b->data ? b->data : "");
	}
	free(msg);
	run_free(&r);
	curl_global_cleanup();
	return status;
}
