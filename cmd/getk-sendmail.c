/*
 * getk-sendmail: a sendmail that encrypts every message to its
 * recipients, or does not send it.
 *
 * This file parses the sendmail command line, reads the message on
 * standard input and the configuration, hands the message to the send
 * pipeline of the library (src/outgoing.c) and, when it met a temporary
 * failure under "queue on", to the queue (src/queue.c); -q runs the
 * queue, -bp (or the name mailq) lists it.  Then it writes the log line
 * and maps the outcome to a sysexits(3) status (exit_for).
 */
#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "../src/addr.h"
#include "cli.h"
#include "../src/buf.h"
#include "../src/clock.h"
#include "../src/conf.h"
#include "../src/key.h"
#include "../src/log.h"
#include "../src/message.h"
#include "../src/outgoing.h"
#include "../src/queue.h"
#include "../src/spool.h"

#define PROG "getk-sendmail"

/* What the command line asks for. */
enum mode {
	MODE_SEND,		/* send the message on stdin (-bm) */
	MODE_QUEUE,		/* -q: deliver what is due; -qf: everything */
	MODE_LIST		/* -bp, or the name mailq: list the queue */
};

struct opts {
	enum mode mode;
	int force;			/* -qf */
	const char *config_path;
	const char *account;
	const char *from;		/* -f / -r */
	const char *fullname;		/* -F */
	char dsn_notify[32];		/* -N, as NOTIFY= wants it, or "" */
	char dsn_ret[8];		/* -R, as RET= wants it, or "" */
	int read_headers;		/* -t */
	int verbose;
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [-t] [-i] [-f ADDR] [-F NAME] [-C FILE] [-a ACCOUNT]\n"
	    "                     [-v] [-N DSN] [-R RET] [-oXXX] [--] [RECIPIENT...]\n"
	    "       " PROG " -q | -qf [-v] [-C FILE]\n"
	    "       " PROG " -bp [-C FILE]    (or: mailq [-C FILE])\n"
	    "\n"
	    "Reads a message on standard input, encrypts it with PGP/MIME to the\n"
	    "verified key of every recipient and submits it to the relay of the\n"
	    "account; a message that cannot be encrypted is not sent.  With\n"
	    "\"queue on\", a message that meets a temporary failure is queued.\n"
	    "-q delivers the queued messages that are due, -qf all of them;\n"
	    "-bp lists the queue.\n"
	    "\n"
	    "Exit status: 0 submitted (or queued), 64 usage, 65 message\n"
	    "unreadable, 69 a recipient has no usable key or the relay refused\n"
	    "it, 75 temporary failure, 77 relay authentication failed,\n"
	    "78 configuration error.  -q: 0, 69 a message was given up,\n"
	    "74 the queue could not be read.\n");
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
	const char *name;
	int i;

	memset(o, 0, sizeof(*o));
	/* Called as mailq, it lists the queue, as sendmail -bp. */
	name = strrchr(argv[0], '/');
	if (strcmp(name ? name + 1 : argv[0], "mailq") == 0)
		o->mode = MODE_LIST;
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
				return getk_cli_fail(PROG, EX_USAGE,
				    "--config needs a file");
			o->config_path = argv[i];
			continue;
		}
		c = a[1];
		if (c == 'q') {
			/* -q: the due messages, -qf: all (no -qINTERVAL
			 * daemon, no -qI/-qR/-qS selection). */
			if (strcmp(a, "-q") != 0 && strcmp(a, "-qf") != 0)
				return getk_cli_fail(PROG, EX_USAGE,
				    "%s is not supported (only "
				    "-q and -qf)", a);
			o->mode = MODE_QUEUE;
			o->force = a[2] == 'f';
			continue;
		}
		/* Options with an argument, attached or separate. */
		if (strchr("fFrCaNRBhLOVXo", c)) {
			if (c == 'o') {
				/* -oXXX: sendmail's -o options; all ignored
				 * (-oi, -oem, -odb, ...). */
				if (a[2] == '\0' && ++i >= argc)
					return getk_cli_fail(PROG, EX_USAGE,
					    "-o needs a value");
				continue;
			}
			if (a[2])
				arg = a + 2;
			else if (++i < argc)
				arg = argv[i];
			else
				return getk_cli_fail(PROG, EX_USAGE,
				    "-%c needs an argument", c);
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
					return getk_cli_fail(PROG, EX_USAGE,
					    "-N takes never or a list of "
					    "success, failure, delay");
				break;
			case 'R':
				if (strcasecmp(arg, "full") == 0)
					snprintf(o->dsn_ret, sizeof(o->dsn_ret),
					    "FULL");
				else if (strcasecmp(arg, "hdrs") == 0)
					snprintf(o->dsn_ret, sizeof(o->dsn_ret),
					    "HDRS");
				else
					return getk_cli_fail(PROG, EX_USAGE,
					    "-R takes full or "
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
			if (strcmp(a, "-bm") == 0 || strcmp(a, "-bp") == 0) {
				o->mode = a[2] == 'p' ? MODE_LIST : MODE_SEND;
				continue;
			}
			return getk_cli_fail(PROG, EX_USAGE,
			    "mode %s is not supported (only "
			    "-bm, sending a message, and -bp, listing the "
			    "queue)", a);
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
				return getk_cli_fail(PROG, EX_USAGE,
				    "unknown option -%c", *p);
			}
		}
	}
	if (o->mode != MODE_SEND && i < argc)
		return getk_cli_fail(PROG, EX_USAGE,
		    "%s takes no recipients", o->mode ==
		    MODE_LIST ? "-bp" : "-q");
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
		return getk_cli_fail(PROG, EX_OSERR, "out of memory");
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			status = getk_cli_fail(PROG, EX_IOERR,
			    "cannot read the message: %s",
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
				status = getk_cli_fail(PROG, err ==
				    GETK_ERR_NOMEM ? EX_OSERR : EX_DATAERR,
				    "the message cannot be read: %s", why ? why :
				    getk_strerror(err));
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
			status = getk_cli_fail(PROG, EX_TEMPFAIL,
			    "cannot spool the message: %s",
			    strerror(errno));
			goto leave;
		}
	}
	*r_headers = getk_header_reader_take(rd);
leave:
	getk_header_reader_free(rd);
	return status;
}

/*
 * The sysexits(3) status of a library result, as getk-sendmail(8) EXIT
 * STATUS has them.
 */
static int
exit_for(enum getk_err err)
{
	switch (err) {
	case GETK_OK:
		return EX_OK;
	case GETK_ERR_INVAL:
		return EX_USAGE;
	case GETK_ERR_SYNTAX:
	case GETK_ERR_TOOBIG:
		return EX_DATAERR;
	case GETK_ERR_NOKEY:
	case GETK_ERR_BADKEY:
	case GETK_ERR_PERMFAIL:
		return EX_UNAVAILABLE;
	case GETK_ERR_AUTH:
		return EX_NOPERM;
	case GETK_ERR_CONFIG:
		return EX_CONFIG;
	case GETK_ERR_NOMEM:
		return EX_OSERR;
	case GETK_ERR_CRYPTO:
	case GETK_ERR_INTERNAL:
		return EX_SOFTWARE;
	default:
		return EX_TEMPFAIL;
	}
}

/* The sysexits name of STATUS, for the log line. */
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

/*
 * The recipients of the command line: each of the N words may hold a
 * list.  A new NULL-terminated array in *R_BOXES, or EX_USAGE.
 */
static int
parse_rcpts(char *const *words, size_t n, char ***r_boxes, size_t *r_n)
{
	char **boxes = NULL, **list = NULL, **v;
	size_t nboxes = 0, nlist = 0, i, k;
	const char *why = NULL;

	*r_boxes = NULL;
	*r_n = 0;
	for (i = 0; i < n; i++) {
		if (getk_addrlist_parse(words[i], strlen(words[i]), &list,
		    &nlist, &why)) {
			getk_strv_free(boxes);
			return getk_cli_fail(PROG, why ? EX_USAGE : EX_OSERR,
			    "recipient %s: %s",
			    words[i], why ? why : "out of memory");
		}
		v = realloc(boxes, (nboxes + nlist + 1) * sizeof(*v));
		if (!v) {
			getk_strv_free(list);
			getk_strv_free(boxes);
			return getk_cli_fail(PROG, EX_OSERR, "out of memory");
		}
		boxes = v;
		for (k = 0; k < nlist; k++) {
			boxes[nboxes++] = list[k];
			list[k] = NULL;
		}
		boxes[nboxes] = NULL;
		getk_strv_free(list);
		list = NULL;
	}
	*r_boxes = boxes;
	*r_n = nboxes;
	return EX_OK;
}

/* The configuration of -C, or the user's, into *R_CFG; an exit status. */
static int
read_config(const struct opts *o, struct getk_config **r_cfg)
{
	char why[1024];
	enum getk_err err;
	int status = EX_OK;

	err = getk_config_read(o->config_path, r_cfg, why, sizeof(why));
	if (err)
		status = getk_cli_fail(PROG, err == GETK_ERR_NOMEM ? EX_OSERR :
		    EX_CONFIG, "%s", why[0] ? why : getk_strerror(err));
	return status;
}

/*
 * Writes the log line of an attempt, when the account keeps a log; with
 * QUEUE (what the queue did: queued, delivered, deferred, failed), also
 * the entry ID and the REASON.
 */
static void
log_attempt(const struct getk_outgoing *out, const struct getk_account *acct,
    const struct getk_send_report *r, int status, const char *queue,
    const char *id, const char *reason)
{
	struct getk_log_facts f;
	struct getk_buf b;

	if (!acct || (!acct->logfile && !acct->syslog))
		return;
	memset(&f, 0, sizeof(f));
	f.out = out;
	f.account = acct;
	f.report = r;
	f.exitcode = exit_name(status);
	f.queue = queue;
	f.queue_id = id;
	f.reason = reason;
	getk_buf_init(&b, 64 * 1024);
	if (getk_outgoing_log_line(&f, &b) == GETK_OK)
		getk_log_record(acct->logfile, acct->syslog, PROG, b.data);
	getk_buf_free(&b);
}

/* The relay password of ACCT into *R_PASSWORD; an exit status. */
static int
get_password(const struct getk_account *acct, char **r_password)
{
	char why[512];
	enum getk_err err;

	*r_password = NULL;
	if (!acct->user)
		return EX_OK;
	why[0] = '\0';
	err = getk_account_password(acct, r_password, why, sizeof(why));
	if (err)
		return getk_cli_fail(PROG, exit_for(err), "%s", why[0] ? why :
		    "out of memory");
	return EX_OK;
}

static void
free_password(char *password)
{
	if (password) {
		explicit_bzero(password, strlen(password));
		free(password);
	}
}

/*
 * Queues OUT, whose attempt met the temporary failure that R tells, in
 * its account's queue: EX_OK and the entry's id in ID, or EX_TEMPFAIL.
 */
static int
enqueue(const struct getk_outgoing *out, const struct getk_account *acct,
    const struct getk_send_report *r, char *id, size_t idsz)
{
	char *dir = NULL, why[1024];
	enum getk_err err;

	err = getk_account_queue_dir(acct, &dir);
	if (err) {
		snprintf(why, sizeof(why), "no queue_dir, state_dir, "
		    "XDG_STATE_HOME or HOME");
	} else {
		err = getk_queue_add(dir, out, r->why, id, idsz, why,
		    sizeof(why));
	}
	free(dir);
	if (err)
		return getk_cli_fail(PROG, EX_TEMPFAIL,
		    "cannot queue the message: %s", why);
	fprintf(stderr, PROG ": queued as %s (%s)%s; getk-sendmail -q "
	    "delivers it\n", id, r->why, r->submitted ? ": the copies the "
	    "relay took are not sent again" : "");
	return EX_OK;
}

/*
 * Sends the message on standard input to the N recipients WORDS of the
 * command line (and, with -t, those of its header); an exit status.
 */
static int
send_message(const struct opts *o, char *const *words, size_t n,
    const struct getk_logger *lg)
{
	struct getk_outgoing *out = NULL;
	struct getk_config *cfg = NULL;
	const struct getk_account *acct = NULL;
	struct getk_headers *headers = NULL;
	struct getk_spool *body = NULL;
	struct getk_envelope_options eo;
	struct getk_send_settings ss;
	struct getk_send_report report;
	char **boxes = NULL, *from = NULL, *password = NULL;
	char why[1024], id[GETK_QUEUE_ID_SIZE] = "";
	const char *w;
	size_t nboxes = 0;
	int status;
	enum getk_err err;

	memset(&report, 0, sizeof(report));
	/* Read the message first: whatever happens, stdin is drained. */
	if (getk_spool_new(NULL, &body))
		return getk_cli_fail(PROG, EX_TEMPFAIL,
		    "cannot make a spool file: %s",
		    strerror(errno));
	status = read_message(STDIN_FILENO, body, &headers);
	if (status) {
		getk_spool_free(body);
		return status;
	}
	if (getk_outgoing_new(headers, body, 0, &out))
		return getk_cli_fail(PROG, EX_OSERR, "out of memory");
	status = parse_rcpts(words, n, &boxes, &nboxes);
	if (status)
		goto leave;
	err = getk_outgoing_recipients(out, boxes, nboxes, o->read_headers,
	    why, sizeof(why));
	if (err) {
		status = getk_cli_fail(PROG, exit_for(err), "%s", why);
		goto leave;
	}
	status = read_config(o, &cfg);
	if (status)
		goto leave;
	/* Envelope sender: -f, else the account's from, else From. */
	if (o->from && *o->from && strcmp(o->from, "<>") != 0 &&
	    getk_addr_parse(o->from, &from, &w)) {
		status = getk_cli_fail(PROG, EX_USAGE, "-f %s: %s", o->from, w);
		goto leave;
	}
	memset(&eo, 0, sizeof(eo));
	eo.account = o->account;
	eo.from = o->from ? from ? from : "" : NULL;
	eo.fullname = o->fullname;
	eo.dsn_notify = o->dsn_notify[0] ? o->dsn_notify : NULL;
	eo.dsn_ret = o->dsn_ret[0] ? o->dsn_ret : NULL;
	err = getk_outgoing_envelope(out, cfg, &eo, &acct, why, sizeof(why));
	if (err) {
		status = getk_cli_fail(PROG, exit_for(err), "%s", why);
		goto leave;
	}
	/* One password for the relay lookup and the submission. */
	status = get_password(acct, &password);
	if (status)
		goto leave;
	memset(&ss, 0, sizeof(ss));
	ss.account = acct;
	ss.password = password;
	ss.log = lg;
	/* What the relay took is recorded in the copies: with a queue to
	 * keep the rest, one failed copy need not stop the others. */
	ss.keep_going = acct->queue;
	err = getk_outgoing_send(out, &ss, &report);
	status = exit_for(err);
	if (err && acct->queue && getk_err_is_temporary(err)) {
		status = enqueue(out, acct, &report, id, sizeof(id));
		if (status == EX_OK)
			goto leave;
		status = exit_for(err);
	}
	if (err) {
		if (report.submitted)
			fprintf(stderr, PROG ": %zu of %zu copies were "
			    "submitted before the failure\n", report.submitted,
			    report.tried);
		getk_cli_fail(PROG, status, "not sent: %s", report.why);
	}
leave:
	/* One log line per message, as msmtp writes it. */
	log_attempt(out, acct, &report, status, id[0] ? "queued" : NULL, id,
	    report.why);
	getk_send_report_clear(&report);
	getk_outgoing_free(out);
	getk_config_free(cfg);
	getk_strv_free(boxes);
	free_password(password);
	free(from);
	return status;
}

/* --- -q ------------------------------------------------------------------ */

/*
 * A run of the queue: the warnings of the entry in progress are kept
 * (the lookup engine may write from several threads), and shown only
 * when that entry is given up or the failure needs the user, so that
 * cron mails nothing while the queue merely waits.
 */
struct qrun {
	const struct opts *o;
	const struct getk_config *cfg;
	pthread_mutex_t lock;
	struct getk_buf notes;
};

static void
log_queue(void *arg, int level, const char *msg)
{
	struct qrun *q = arg;

	if (q->o->verbose) {
		getk_cli_log_stderr((void *)PROG, level, msg);
		return;
	}
	pthread_mutex_lock(&q->lock);
	(void)getk_buf_printf(&q->notes, PROG ": %s\n", msg);
	pthread_mutex_unlock(&q->lock);
}

/* What a run did with one entry: on stderr when it matters, in the log. */
static void
queue_event(void *arg, const struct getk_queue_event *ev)
{
	static const char *const words[] = {
		"delivered", "deferred", "failed", "failed"
	};
	struct qrun *q = arg;
	const struct getk_account *acct = ev->account;
	char next[32];
	int status = exit_for(ev->err);
	int show = ev->fate == GETK_QUEUE_GAVE_UP ||
	    ev->fate == GETK_QUEUE_DAMAGED || (ev->fate == GETK_QUEUE_DEFERRED &&
	    !getk_err_is_temporary(ev->err));

	pthread_mutex_lock(&q->lock);
	if (show && q->notes.len)
		fputs(q->notes.data, stderr);
	q->notes.len = 0;
	pthread_mutex_unlock(&q->lock);
	getk_duration_format((long)(ev->meta->next - getk_now()), next,
	    sizeof(next));
	switch (ev->fate) {
	case GETK_QUEUE_DELIVERED:
		if (q->o->verbose)
			fprintf(stderr, PROG ": %s: delivered\n", ev->id);
		break;
	case GETK_QUEUE_DEFERRED:
		if (show || q->o->verbose)
			fprintf(stderr, PROG ": %s: not delivered (%s); next try "
			    "in %s\n", ev->id, ev->why, next);
		break;
	case GETK_QUEUE_GAVE_UP:
		fprintf(stderr, PROG ": %s: given up, from %s to %s%s: %s; the "
		    "message is kept in %s (delete it when done with it)\n",
		    ev->id, ev->out->from, ev->out->copies[0].rcpts[0],
		    ev->out->ncopies > 1 || ev->out->copies[0].nrcpts > 1 ?
		    " and others" : "", ev->why, ev->moved_to);
		break;
	case GETK_QUEUE_DAMAGED:
		fprintf(stderr, PROG ": queue entry %s is damaged (%s): set "
		    "aside in %s; the others are delivered\n", ev->id, ev->why,
		    ev->moved_to);
		/* The damaged entry's account is not known: the default
		 * account's log gets the line. */
		acct = getk_config_account(q->cfg, NULL);
		break;
	}
	if (ev->out)
		log_attempt(ev->out, acct, ev->report, status,
		    words[ev->fate], ev->id, ev->why);
	else if (acct && (acct->logfile || acct->syslog)) {
		char line[2048];

		snprintf(line, sizeof(line), "queue=damaged id=%s reason=%s",
		    ev->id, ev->why);
		getk_log_record(acct->logfile, acct->syslog, PROG, line);
	}
}

/* -q, -qf: runs the queue of every account; an exit status. */
static int
run_queue(const struct opts *o)
{
	struct getk_config *cfg = NULL;
	struct getk_queue_run_settings rs;
	struct getk_logger lg;
	struct qrun q;
	char why[1024];
	size_t gave_up = 0;
	enum getk_err err;
	int status;

	status = read_config(o, &cfg);
	if (status)
		return status;
	memset(&q, 0, sizeof(q));
	q.o = o;
	q.cfg = cfg;
	pthread_mutex_init(&q.lock, NULL);
	getk_buf_init(&q.notes, 256 * 1024);
	memset(&lg, 0, sizeof(lg));
	lg.fn = log_queue;
	lg.arg = &q;
	lg.level = o->verbose;
	memset(&rs, 0, sizeof(rs));
	rs.cfg = cfg;
	rs.force = o->force;
	rs.log = &lg;
	rs.event = queue_event;
	rs.arg = &q;
	err = getk_queue_run(&rs, &gave_up, why, sizeof(why));
	if (err)
		getk_cli_fail(PROG, EX_IOERR,
		    "%s", why[0] ? why : getk_strerror(err));
	status = err == GETK_ERR_SYSTEM ? EX_IOERR : err ? exit_for(err) :
	    gave_up ? EX_UNAVAILABLE : EX_OK;
	getk_buf_free(&q.notes);
	pthread_mutex_destroy(&q.lock);
	getk_config_free(cfg);
	return status;
}

/* --- -bp ------------------------------------------------------------------ */

/* The listing of one queue directory, built while it is read. */
struct listing {
	struct getk_buf text;
	size_t queued, failed;
	time_t now;
};

/* Appends one entry to the listing. */
static void
list_entry(void *arg, const struct getk_queue_info *e)
{
	static const char *const states[] = { "", " (submitted)", " (refused)" };
	struct listing *l = arg;
	struct getk_buf *b = &l->text;
	const struct getk_outgoing *out = e->out;
	char age[32], next[32];
	const char *sep = "";
	size_t i, k;

	*(e->failed ? &l->failed : &l->queued) += 1;
	if (e->damaged) {
		getk_buf_printf(b, "%s %s damaged: %s\n", e->id, e->failed ?
		    "failed," : "queued,", e->damaged);
		return;
	}
	getk_duration_format((long)(l->now - e->meta->created), age,
	    sizeof(age));
	getk_duration_format((long)(e->meta->next - l->now), next,
	    sizeof(next));
	getk_buf_printf(b, "%s %s age=%s tries=%u", e->id, e->failed ?
	    "failed" : "queued", age, e->meta->tries);
	if (!e->failed)
		getk_buf_printf(b, " next=%s", e->meta->next > l->now ? next :
		    "now");
	getk_buf_printf(b, "\n  from: %s\n  to:", *out->from ? out->from :
	    "<>");
	for (i = 0; i < out->ncopies; i++)
		for (k = 0; k < out->copies[i].nrcpts; k++) {
			getk_buf_printf(b, "%s %s%s", sep, out->copies[i].rcpts[k],
			    states[out->copies[i].state]);
			sep = ",";
		}
	getk_buf_printf(b, "\n");
	if (e->meta->error[0])
		getk_buf_printf(b, "  last error: %s\n", e->meta->error);
}

/* -bp, mailq: lists the queue of every account; an exit status. */
static int
list_queue(const struct opts *o)
{
	struct getk_config *cfg = NULL;
	struct listing l;
	char **dirs = NULL, why[1024];
	size_t n = 0, i;
	int status = EX_OK;
	enum getk_err err;

	status = read_config(o, &cfg);
	if (status)
		return status;
	err = getk_queue_dirs(cfg, &dirs, &n);
	if (err)
		status = getk_cli_fail(PROG, exit_for(err),
		    "%s", getk_strerror(err));
	for (i = 0; !err && i < n; i++) {
		memset(&l, 0, sizeof(l));
		getk_buf_init(&l.text, 0);
		l.now = getk_now();
		err = getk_queue_list(dirs[i], list_entry, &l, why, sizeof(why));
		if (err) {
			status = getk_cli_fail(PROG, EX_IOERR,
			    "%s", why[0] ? why :
			    getk_strerror(err));
		} else if (l.queued + l.failed == 0) {
			printf("%s: empty\n", dirs[i]);
		} else {
			printf("%s: %zu queued, %zu failed (kept in %s/%s)\n%s",
			    dirs[i], l.queued, l.failed, dirs[i],
			    GETK_QUEUE_FAILED, l.text.data ? l.text.data : "");
		}
		getk_buf_free(&l.text);
		err = GETK_OK;
	}
	getk_strv_free(dirs);
	getk_config_free(cfg);
	return status;
}

int
main(int argc, char **argv)
{
	struct opts o;
	struct getk_logger lg;
	int first = 1, status;

	status = parse_args(argc, argv, &o, &first);
	if (status > 0)
		drain(STDIN_FILENO);
	if (status)
		return status < 0 ? EX_OK : status;
	memset(&lg, 0, sizeof(lg));
	lg.fn = getk_cli_log_stderr;
	lg.arg = (void *)PROG;
	lg.level = o.verbose;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    getk_key_init() != GETK_OK) {
		if (o.mode == MODE_SEND)
			drain(STDIN_FILENO);
		return getk_cli_fail(PROG, EX_SOFTWARE,
		    "cannot initialise libcurl or "
		    "libgcrypt");
	}
	if (o.mode == MODE_LIST)
		status = list_queue(&o);
	else if (o.mode == MODE_QUEUE)
		status = run_queue(&o);
	else
		status = send_message(&o, argv + first, (size_t)(argc - first),
		    &lg);
	curl_global_cleanup();
	return status;
}
