/*
 * test-queue.c: unit tests of src/queue.c and of the message it stores
 * (src/outgoing.c): the delays between tries, the envelope written and
 * read back, every way an envelope can be damaged, an entry added and
 * listed in a fresh directory under $TMPDIR, the queue directories of a
 * configuration; and the recipients and copies of a message, its
 * envelope and its log line.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "conf.h"
#include "file.h"
#include "message.h"
#include "outgoing.h"
#include "queue.h"
#include "spool.h"
#include "unit.h"

static char top[4096];

/* A message of the header and body in TEXT (LF line ends), no copies. */
static struct getk_outgoing *
message(const char *text)
{
	struct getk_header_reader *rd = NULL;
	struct getk_headers *h;
	struct getk_spool *body = NULL;
	struct getk_outgoing *o = NULL;
	size_t used, restlen;
	const char *why, *rest;
	int done;

	if (getk_header_reader_new(&rd) || getk_header_reader_feed(rd, text,
	    strlen(text), 1, &used, &done, &why) || !done ||
	    getk_spool_new(NULL, &body))
		BAIL_OUT("cannot read a test message");
	rest = getk_header_reader_rest(rd, &restlen);
	if (getk_spool_write(body, rest, restlen) ||
	    getk_spool_write(body, text + used, strlen(text) - used))
		BAIL_OUT("cannot spool a test message");
	h = getk_header_reader_take(rd);
	getk_header_reader_free(rd);
	if (getk_outgoing_new(h, body, 0, &o))
		BAIL_OUT("out of memory");
	return o;
}

/* A new message of only an envelope, for the envelope's tests. */
static struct getk_outgoing *
bare(void)
{
	struct getk_outgoing *o = NULL;

	if (getk_outgoing_new(NULL, NULL, 0, &o))
		BAIL_OUT("out of memory");
	return o;
}

static char *
dup_or_die(const char *s)
{
	char *d = strdup(s);

	if (!d)
		BAIL_OUT("out of memory");
	return d;
}

static void
test_delays(void)
{
	static const struct { unsigned tries; long delay; } d[] = {
		{ 0, 300 }, { 1, 300 }, { 2, 600 }, { 3, 1200 }, { 4, 2400 },
		{ 5, 4800 }, { 6, 9600 }, { 7, 14400 }, { 8, 14400 },
		{ 1000, 14400 },
	};
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++)
		CHECK_INT(getk_queue_delay(d[i].tries), d[i].delay,
		    "the delay after try %u: %ld s", d[i].tries, d[i].delay);
}

static void
test_durations(void)
{
	static const struct { long secs; const char *text; } d[] = {
		{ -5, "0s" }, { 0, "0s" }, { 45, "45s" }, { 300, "5m" },
		{ 310, "5m10s" }, { 3600, "1h" }, { 7800, "2h10m" },
		{ 7805, "2h10m" }, { 86400, "1d" }, { 90061, "1d1h" },
		{ 5 * 86400, "5d" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		getk_duration_format(d[i].secs, buf, sizeof(buf));
		CHECK_STR(buf, d[i].text, "%ld seconds are written %s",
		    d[i].secs, d[i].text);
	}
	getk_duration_format(90061, buf, 3);
	CHECK(strlen(buf) < 3, "a duration is cut to its buffer");
}

/* An envelope with everything in it. */
static struct getk_outgoing *
full_envelope(struct getk_queue_meta *m)
{
	static const char *const tocc[] = { "bob@example.org",
	    "\"a b\"@example.org" };
	static const char *const bcc1[] = { "carol@example.org" };
	static const char *const bcc2[] = { "heidi@example.org" };
	struct getk_outgoing *o = bare();

	o->account = dup_or_die("work");
	o->from = dup_or_die("alice@example.org");
	o->fullname = dup_or_die("Alice\r\nBcc: evil@example.net");
	o->dsn_notify = dup_or_die("SUCCESS,FAILURE");
	o->dsn_ret = dup_or_die("HDRS");
	o->date = dup_or_die("Sat, 28 Nov 2026 10:00:00 +0100");
	o->message_id = dup_or_die("<1.abc.getk@example.org>");
	if (getk_outgoing_add_copy(o, tocc, 2, GETK_COPY_SUBMITTED) ||
	    getk_outgoing_add_copy(o, bcc1, 1, GETK_COPY_PENDING) ||
	    getk_outgoing_add_copy(o, bcc2, 1, GETK_COPY_REFUSED))
		BAIL_OUT("out of memory");
	memset(m, 0, sizeof(*m));
	m->created = 1795000000;
	m->tries = 3;
	m->next = 1795001200;
	m->size = 12345;
	snprintf(m->error, sizeof(m->error), "relay refused RCPT "
	    "TO:<carol@example.org>: 451 4.2.1 Mailbox busy\n\033[2J");
	return o;
}

static void
test_envelope_round_trip(void)
{
	struct getk_queue_meta m, m2;
	struct getk_outgoing *o = full_envelope(&m), *o2 = bare();
	struct getk_buf b, b2;
	char why[256];
	size_t i, k;
	int same = 1;

	getk_buf_init(&b, 0);
	getk_buf_init(&b2, 0);
	CHECK(getk_queue_envelope_format(o, &m, &b) == GETK_OK,
	    "an envelope is written");
	CHECK(b.data && strncmp(b.data, "getk-queue 1\n", 13) == 0,
	    "... its first line names its format");
	CHECK(b.data && strstr(b.data, "\nfullname Alice??Bcc: evil@example.net\n"),
	    "... a line break in a value cannot make a line of its own");
	CHECK(b.data && strstr(b.data, "Mailbox busy??[2J\n"),
	    "... nor can an ESC");
	CHECK(b.len >= 4 && strcmp(b.data + b.len - 4, "end\n") == 0,
	    "... its last line is end");
	CHECK(getk_queue_envelope_parse(b.data, b.len, o2, &m2, why,
	    sizeof(why)) == GETK_OK, "... and read back");
	CHECK_STR(o2->account, "work", "... the account");
	CHECK_STR(o2->from, "alice@example.org", "... the sender");
	CHECK_STR(o2->fullname, "Alice??Bcc: evil@example.net", "... -F");
	CHECK_STR(o2->dsn_notify, "SUCCESS,FAILURE", "... -N");
	CHECK_STR(o2->dsn_ret, "HDRS", "... -R");
	CHECK_STR(o2->date, o->date, "... the Date");
	CHECK_STR(o2->message_id, o->message_id, "... the Message-ID");
	CHECK(m2.created == m.created && m2.tries == m.tries &&
	    m2.next == m.next && m2.size == m.size,
	    "... the times, the tries, the size");
	CHECK(strncmp(m2.error, "relay refused RCPT TO:<carol@example.org>: "
	    "451 4.2.1 Mailbox busy??[2J", 80) == 0, "... the last error");
	if (o2->ncopies != o->ncopies)
		same = 0;
	for (i = 0; same && i < o->ncopies; i++) {
		if (o2->copies[i].nrcpts != o->copies[i].nrcpts ||
		    o2->copies[i].state != o->copies[i].state)
			same = 0;
		for (k = 0; same && k < o->copies[i].nrcpts; k++)
			if (strcmp(o2->copies[i].rcpts[k], o->copies[i].rcpts[k]))
				same = 0;
	}
	CHECK(same, "... every copy, its recipients and its state");
	CHECK(getk_queue_envelope_format(o2, &m2, &b2) == GETK_OK &&
	    b2.len == b.len && memcmp(b.data, b2.data, b.len) == 0,
	    "... and written again, the same text");
	getk_buf_free(&b);
	getk_buf_free(&b2);
	getk_outgoing_free(o);
	getk_outgoing_free(o2);

	/* The least there is: the null sender, the defaults section. */
	o = bare();
	o->from = dup_or_die("");
	o->date = dup_or_die("d");
	o->message_id = dup_or_die("<m@example.org>");
	{
		static const char *const one[] = { "bob@example.org" };

		if (getk_outgoing_add_copy(o, one, 1, GETK_COPY_PENDING))
			BAIL_OUT("out of memory");
	}
	memset(&m, 0, sizeof(m));
	o2 = bare();
	getk_buf_init(&b, 0);
	CHECK(getk_queue_envelope_format(o, &m, &b) == GETK_OK &&
	    getk_queue_envelope_parse(b.data, b.len, o2, &m2, why,
	    sizeof(why)) == GETK_OK && o2->from && *o2->from == '\0' &&
	    o2->account == NULL && o2->fullname == NULL && m2.error[0] == '\0',
	    "the null sender and the defaults section read back as such");
	getk_buf_free(&b);
	getk_outgoing_free(o);
	getk_outgoing_free(o2);
}

/* Checks that TEXT is refused as damaged with a reason holding WANT. */
static void
damaged(const char *label, const char *text, size_t len, const char *want)
{
	struct getk_outgoing *o = bare();
	struct getk_queue_meta m;
	char why[256] = "";

	if (!CHECK(getk_queue_envelope_parse(text, len, o, &m, why,
	    sizeof(why)) == GETK_ERR_SYNTAX, "%s: damaged", label))
		return;
	if (!CHECK(strstr(why, want) != NULL, "%s: says \"%s\"", label, want))
		DIAG("it says: %s", why);
	getk_outgoing_free(o);
}

#define HEAD "getk-queue 1\nfrom a@example.org\ndate d\nmessage-id <m@x.org>\n" \
	"size 10\ncreated 1\ntries 1\nnext 2\n"
#define COPY "copy pending\nrcpt b@example.org\n"
#define DAMAGED(label, lit, want) damaged((label), (lit), sizeof(lit) - 1, (want))

static void
test_envelope_damaged(void)
{
	static const char good[] = HEAD COPY "end\n";
	char big[10000];
	struct getk_outgoing *o = bare();
	struct getk_queue_meta m;
	char why[256];
	size_t i;

	CHECK(getk_queue_envelope_parse(good, sizeof(good) - 1, o, &m, why,
	    sizeof(why)) == GETK_OK, "the smallest envelope reads");
	getk_outgoing_free(o);
	DAMAGED("empty", "", "no end");
	DAMAGED("another format", "getk-queue 2\n" COPY "end\n",
	    "line 1: not a getk-queue 1 envelope");
	DAMAGED("cut short", HEAD COPY, "no end: the envelope was cut short");
	DAMAGED("cut in a line", HEAD "copy pend", "line 9: no line end");
	DAMAGED("cut before its last line end", HEAD COPY "end",
	    "line 11: no line end");
	DAMAGED("after the end", HEAD COPY "end\nrcpt c@example.org\n",
	    "line 12: after the end");
	DAMAGED("an unknown keyword", HEAD "priority 1\n" COPY "end\n",
	    "line 9: an unknown keyword");
	DAMAGED("a keyword twice", HEAD "from c@example.org\n" COPY "end\n",
	    "line 9: given twice");
	DAMAGED("a recipient before a copy", HEAD "rcpt b@example.org\n" COPY
	    "end\n", "line 9: a recipient before any copy");
	DAMAGED("a copy without recipients", HEAD "copy pending\n" COPY "end\n",
	    "line 10: a copy without recipients");
	DAMAGED("the last copy without recipients", HEAD COPY "copy pending\n"
	    "end\n", "line 12: a copy without recipients");
	DAMAGED("an unknown copy state", HEAD "copy sent\nrcpt b@example.org\n"
	    "end\n", "line 9: an unknown copy state");
	DAMAGED("a bad recipient", HEAD "copy pending\nrcpt b@\nend\n",
	    "line 10: not a mailbox");
	DAMAGED("a recipient with a space", HEAD "copy pending\n"
	    "rcpt b@example.org x\nend\n", "line 10: not a mailbox");
	DAMAGED("a bad sender", "getk-queue 1\nfrom nobody\n", "line 2: not a "
	    "mailbox");
	DAMAGED("a bad number", "getk-queue 1\nsize -1\n", "line 2: not a "
	    "number");
	DAMAGED("a huge number", "getk-queue 1\nsize 99999999999999999999\n",
	    "line 2: not a number");
	DAMAGED("a bad time", "getk-queue 1\nnext soon\n", "line 2: not a time");
	DAMAGED("an empty date", "getk-queue 1\ndate\n", "line 2: empty");
	DAMAGED("no sender", "getk-queue 1\ndate d\nmessage-id <m@x.org>\n"
	    "size 10\ncreated 1\ntries 1\nnext 2\n" COPY "end\n",
	    "no from line");
	DAMAGED("no next try", "getk-queue 1\nfrom a@example.org\ndate d\n"
	    "message-id <m@x.org>\nsize 10\ncreated 1\ntries 1\n" COPY "end\n",
	    "no next line");
	DAMAGED("no copy", HEAD "end\n", "no copy");
	DAMAGED("a NUL", "getk-queue 1\nfrom a@exa\0mple.org\n",
	    "line 2: too long, or a NUL byte");
	memcpy(big, "getk-queue 1\nerror ", 19);
	for (i = 19; i < sizeof(big) - 1; i++)
		big[i] = 'x';
	big[sizeof(big) - 1] = '\n';
	damaged("a line of 10000 bytes", big, sizeof(big),
	    "line 2: too long, or a NUL byte");
}

/* Checks the mode of PATH. */
static int
mode_is(const char *path, unsigned mode)
{
	struct stat st;

	return stat(path, &st) == 0 && (st.st_mode & 07777) == mode;
}

/* What test_add_and_list's listing saw. */
struct seen {
	size_t n;
	char id[GETK_QUEUE_ID_SIZE];
	int failed;
	char damaged[1024];		/* why, or "" */
	unsigned tries;
	long long next_after;
	char error[1024];
	size_t ncopies;
	char rcpt[64];
};

static void
see(void *arg, const struct getk_queue_info *e)
{
	struct seen *s = arg;

	s->n++;
	snprintf(s->id, sizeof(s->id), "%s", e->id);
	s->failed = e->failed;
	snprintf(s->damaged, sizeof(s->damaged), "%s", e->damaged ? e->damaged :
	    "");
	s->tries = e->meta->tries;
	s->next_after = (long long)(e->meta->next - e->meta->created);
	snprintf(s->error, sizeof(s->error), "%s", e->meta->error);
	s->ncopies = e->out->ncopies;
	if (e->out->ncopies)
		snprintf(s->rcpt, sizeof(s->rcpt), "%s", e->out->copies[0].rcpts[0]);
}

static void
test_add_and_list(void)
{
	static const char text[] =
	    "From: alice@example.org\nTo: bob@example.org\nBcc: carol@example.org\n"
	    "Subject: s\n\nthe body\n.\nmore\n";
	static const char want[] =
	    "From: alice@example.org\r\nTo: bob@example.org\r\n"
	    "Bcc: carol@example.org\r\nSubject: s\r\n\r\nthe body\n.\nmore\n";
	struct getk_outgoing *o = message(text);
	struct seen s;
	char dir[4200], path[4400], id[GETK_QUEUE_ID_SIZE], why[512], got[256];
	char *words[] = { NULL };
	FILE *f;
	size_t n;

	snprintf(dir, sizeof(dir), "%s/a/b/queue", top);
	o->from = dup_or_die("alice@example.org");
	o->date = dup_or_die("d");
	o->message_id = dup_or_die("<m@example.org>");
	CHECK(getk_outgoing_recipients(o, words, 0, 1, why, sizeof(why)) ==
	    GETK_OK && o->ncopies == 2, "the To copy and the Bcc copy");
	CHECK(getk_queue_add(dir, o, "relay down", id, sizeof(id), why,
	    sizeof(why)) == GETK_OK, "an entry is added to a queue not yet made");
	CHECK(strlen(id) == 24 && id[8] == '-' && id[15] == '-',
	    "... its id: YYYYMMDD-HHMMSS-XXXXXXXX");
	CHECK(mode_is(dir, 0700), "... the queue directory is 0700");
	snprintf(path, sizeof(path), "%s/%s", dir, id);
	CHECK(mode_is(path, 0700), "... the entry is 0700");
	snprintf(path, sizeof(path), "%s/%s/message", dir, id);
	CHECK(mode_is(path, 0600), "... its message is 0600");
	f = fopen(path, "rb");
	n = f ? fread(got, 1, sizeof(got) - 1, f) : 0;
	got[n] = '\0';
	if (f)
		fclose(f);
	CHECK_STR(got, want, "... the message: the header as read, an empty "
	    "line, the body unchanged");
	snprintf(path, sizeof(path), "%s/%s/envelope", dir, id);
	CHECK(mode_is(path, 0600), "... its envelope is 0600");
	memset(&s, 0, sizeof(s));
	CHECK(getk_queue_list(dir, see, &s, why, sizeof(why)) == GETK_OK &&
	    s.n == 1 && strcmp(s.id, id) == 0 && !s.failed && !s.damaged[0],
	    "... it is listed, whole");
	CHECK(s.tries == 1 && s.next_after == 300,
	    "... one try, the next in 5 minutes");
	CHECK_STR(s.error, "relay down", "... the reason of the first try");
	CHECK(s.ncopies == 2 && strcmp(s.rcpt, "bob@example.org") == 0,
	    "... its copies");
	/* Nothing else is left in the queue directory. */
	snprintf(path, sizeof(path), "ls -A '%s' | grep -qv '^%s$'", dir, id);
	CHECK(system(path) != 0, "... and no temporary directory beside it");

	snprintf(path, sizeof(path), "%s/%s/message", dir, id);
	f = fopen(path, "ab");
	if (f) {
		fputs("x", f);
		fclose(f);
	}
	memset(&s, 0, sizeof(s));
	CHECK(getk_queue_list(dir, see, &s, why, sizeof(why)) == GETK_OK &&
	    s.n == 1 && strstr(s.damaged, "not the"),
	    "a message that is not the size its envelope says: damaged");
	snprintf(path, sizeof(path), "%s/missing", top);
	memset(&s, 0, sizeof(s));
	CHECK(getk_queue_list(path, see, &s, why, sizeof(why)) == GETK_OK &&
	    s.n == 0, "a queue directory that does not exist is empty");
	snprintf(path, sizeof(path), "%s/a/b/queue/%s/message", top, id);
	CHECK(getk_queue_list(path, see, &s, why, sizeof(why)) ==
	    GETK_ERR_SYSTEM && strstr(why, "cannot read the queue"),
	    "a queue that is no directory cannot be read");
	getk_outgoing_free(o);
}

static void
test_dirs(void)
{
	static const char text[] =
	    "state_dir /s\n"
	    "account a\n"
	    "account b\n"
	    "queue_dir /q\n"
	    "account c\n"
	    "state_dir /t\n";
	struct getk_config *cfg = NULL;
	char **dirs = NULL, msg[1024];
	size_t n = 0;

	if (!CHECK(getk_config_parse(text, strlen(text), "t", NULL, &cfg,
	    msg, sizeof(msg)) == GETK_OK, "a configuration of three accounts"))
		return;
	CHECK(getk_queue_dirs(cfg, &dirs, &n) == GETK_OK && n == 3 &&
	    strcmp(dirs[0], "/s/queue") == 0 && strcmp(dirs[1], "/q") == 0 &&
	    strcmp(dirs[2], "/t/queue") == 0 && dirs[3] == NULL,
	    "every account's queue directory, each once");
	getk_strv_free(dirs);
	getk_config_free(cfg);
}

/* The recipients of TEXT with the command line WORDS, copy by copy. */
static void
copies_ok(const char *label, const char *text, char *const *words,
    size_t nwords, int read_headers, const char *want)
{
	struct getk_outgoing *o = message(text);
	struct getk_buf b;
	char why[256];
	size_t i, k;

	getk_buf_init(&b, 0);
	if (CHECK(getk_outgoing_recipients(o, words, nwords, read_headers, why,
	    sizeof(why)) == GETK_OK, "%s: recipients", label)) {
		for (i = 0; i < o->ncopies; i++) {
			if (i)
				getk_buf_adds(&b, " | ");
			for (k = 0; k < o->copies[i].nrcpts; k++)
				getk_buf_printf(&b, "%s%s", k ? " " : "",
				    o->copies[i].rcpts[k]);
		}
		CHECK_STR(b.data, want, "%s: the copies", label);
	} else {
		DIAG("%s", why);
	}
	getk_buf_free(&b);
	getk_outgoing_free(o);
}

static void
test_copies(void)
{
	static const char hdr[] = "From: a@example.org\nTo: b@example.org, "
	    "c@example.org\nCc: d@example.org\nBcc: e@example.org, "
	    "b@example.org\n\nbody\n";
	char *cmdline[] = { (char *)"b@example.org", (char *)"x@example.org",
	    (char *)"c@example.org" };
	struct getk_outgoing *o;
	char why[256];

	copies_ok("-t", hdr, NULL, 0, 1,
	    "b@example.org c@example.org d@example.org | e@example.org");
	copies_ok("the command line, without -t", hdr, cmdline, 3, 0,
	    "b@example.org c@example.org | x@example.org");
	copies_ok("both", hdr, cmdline, 3, 1,
	    "b@example.org c@example.org d@example.org | x@example.org | "
	    "e@example.org");
	copies_ok("Bcc only", "Bcc: e@example.org, f@example.org\n\nbody\n",
	    NULL, 0, 1, "e@example.org | f@example.org");
	o = message("Subject: nobody\n\nbody\n");
	CHECK(getk_outgoing_recipients(o, NULL, 0, 1, why, sizeof(why)) ==
	    GETK_ERR_INVAL && strcmp(why, "no recipients") == 0,
	    "no recipient at all: GETK_ERR_INVAL");
	getk_outgoing_free(o);
	o = message("To: bad@\n\nbody\n");
	CHECK(getk_outgoing_recipients(o, NULL, 0, 1, why, sizeof(why)) ==
	    GETK_ERR_SYNTAX && strstr(why, "recipients in the header"),
	    "a To field that cannot be read: GETK_ERR_SYNTAX");
	getk_outgoing_free(o);
}

static void
test_envelope_choice(void)
{
	static const char text[] =
	    "account a\nhost relay.example.org\nfrom alice@example.org\n"
	    "account b\nhost relay.example.org\nfrom bob@example.org\n"
	    "account nohost\n"
	    "account default : a\n";
	struct getk_config *cfg = NULL;
	const struct getk_account *acct;
	struct getk_envelope_options eo;
	struct getk_outgoing *o;
	char msg[1024], why[256];

	if (!CHECK(getk_config_parse(text, strlen(text), "t", NULL, &cfg,
	    msg, sizeof(msg)) == GETK_OK, "a configuration of accounts"))
		return;
	memset(&eo, 0, sizeof(eo));
	o = message("From: Carol <carol@example.org>\nTo: x@example.org\n\nb\n");
	CHECK(getk_outgoing_envelope(o, cfg, &eo, &acct, why, sizeof(why)) ==
	    GETK_OK && acct == cfg->accounts[0] &&
	    strcmp(o->from, "alice@example.org") == 0 &&
	    strcmp(o->account, "a") == 0, "the default account and its from");
	CHECK(o->date && o->message_id && strstr(o->message_id,
	    ".getk@example.org>"), "... a Message-ID of the sender's domain");
	CHECK(getk_outgoing_account(o, cfg) == cfg->accounts[0],
	    "... the account read back by its name");
	getk_outgoing_free(o);
	eo.from = "BOB@example.org";
	o = message("To: x@example.org\n\nb\n");
	CHECK(getk_outgoing_envelope(o, cfg, &eo, &acct, why, sizeof(why)) ==
	    GETK_OK && acct == cfg->accounts[1],
	    "-f picks the account whose from it is, in any case");
	getk_outgoing_free(o);
	eo.from = NULL;
	eo.account = "nohost";
	o = message("From: carol@example.org\n\nb\n");
	CHECK(getk_outgoing_envelope(o, cfg, &eo, &acct, why, sizeof(why)) ==
	    GETK_ERR_CONFIG && acct == cfg->accounts[2] &&
	    strstr(why, "no relay"), "an account without host: known, refused");
	getk_outgoing_free(o);
	eo.account = "none";
	o = message("From: carol@example.org\n\nb\n");
	CHECK(getk_outgoing_envelope(o, cfg, &eo, &acct, why, sizeof(why)) ==
	    GETK_ERR_CONFIG && acct == NULL && strstr(why, "no account named"),
	    "an account that does not exist");
	free(o->account);
	o->account = dup_or_die("gone");
	CHECK(getk_outgoing_account(o, cfg) == NULL,
	    "a queued message of an account that is gone has none");
	free(o->account);
	o->account = NULL;
	CHECK(getk_outgoing_account(o, cfg) == &cfg->defaults,
	    "one of the defaults section has the defaults section");
	getk_outgoing_free(o);
	getk_config_free(cfg);
}

static void
test_log_line(void)
{
	struct getk_queue_meta m;
	struct getk_outgoing *o = full_envelope(&m);
	struct getk_send_report r;
	struct getk_send_rcpt rc[2];
	struct getk_log_facts f;
	struct getk_account a;
	struct getk_buf b;

	memset(&a, 0, sizeof(a));
	a.host = (char *)"relay.example.org";
	memset(&r, 0, sizeof(r));
	memset(rc, 0, sizeof(rc));
	rc[0].mailbox = "carol@example.org";
	snprintf(rc[0].fpr, sizeof(rc[0].fpr), "%s",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	rc[0].trust = GETK_TRUST_DNSSEC;
	rc[1].mailbox = "x@example.org";
	r.rcpts = rc;
	r.nrcpts = 2;
	r.mode = GETK_MODE_ENCRYPTED;
	r.size = 100;
	r.smtp_code = 451;
	memset(&f, 0, sizeof(f));
	f.out = o;
	f.account = &a;
	f.report = &r;
	f.exitcode = "EX_TEMPFAIL";
	f.queue = "deferred";
	f.queue_id = "20261128-101500-1a2b3c4d";
	f.reason = "relay refused it";
	getk_buf_init(&b, 0);
	CHECK(getk_outgoing_log_line(&f, &b) == GETK_OK, "a log line");
	CHECK_STR(b.data, "host=relay.example.org from=alice@example.org "
	    "recipients=carol@example.org,x@example.org mode=encrypted "
	    "keys=carol@example.org:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/"
	    "dnssec size=100 smtpstatus=451 exitcode=EX_TEMPFAIL "
	    "queue=deferred id=20261128-101500-1a2b3c4d reason=relay refused it",
	    "... the attempt's recipients, keys and what the queue did");
	b.len = 0;
	r.nrcpts = 0;
	r.size = 0;
	f.queue = NULL;
	CHECK(getk_outgoing_log_line(&f, &b) == GETK_OK, "a log line before "
	    "any attempt");
	CHECK_STR(b.data, "host=relay.example.org from=alice@example.org "
	    "recipients=bob@example.org,\"a b\"@example.org,carol@example.org,"
	    "heidi@example.org mode=none keys= size=0 smtpstatus=451 "
	    "exitcode=EX_TEMPFAIL", "... every recipient, mode none, no queue");
	getk_buf_free(&b);
	getk_outgoing_free(o);
}

int
main(void)
{
	unit_tmpdir(top, sizeof(top), "getk-test-queue");
	test_delays();
	test_durations();
	test_envelope_round_trip();
	test_envelope_damaged();
	test_add_and_list();
	test_dirs();
	test_copies();
	test_envelope_choice();
	test_log_line();
	getk_remove_tree(top);
	return done_testing();
}
