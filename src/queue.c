/*
 * queue.c: the queue of getk-sendmail (queue.h): entries written whole,
 * listed, and delivered under a lock.
 *
 * One run of one entry is a state machine, one handler per state and
 * entry_state() the one place the state changes (and logs at -vv):
 *
 *     LOCK -> READ -> DUE -> LOAD -> SEND -> DONE
 *                                        \-> DEFER (-> GIVE_UP, too old)
 *                                        \-> GIVE_UP
 *                \-------------\-> DAMAGED
 *
 * LOCK takes the entry's lock at once or passes the entry by (END);
 * READ reads its envelope (DAMAGED when it cannot be, or the message
 * file is not as it says); DUE passes by an entry not due yet; LOAD reads
 * the message's header (DAMAGED when it cannot be); SEND runs the send
 * pipeline on its pending copies, each one recorded as the relay
 * accepts it; DONE removes a delivered entry, DEFER records a temporary
 * failure and the next try, GIVE_UP and DAMAGED move the entry to
 * failed/.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "clock.h"
#include "file.h"
#include "message.h"
#include "queue.h"
#include "spool.h"

/* The first line of an envelope: its format and version. */
#define ENVELOPE_MAGIC "getk-queue 1"
/* The largest envelope read: far more than 1000 recipients need. */
#define ENVELOPE_MAX (4 * 1024 * 1024)
/* A writer's left-over this old (seconds) died: it is removed. */
#define STALE_NEW 3600
/* The prefixes of what is no entry in a queue directory. */
#define NEW_PREFIX ".new-"
#define DONE_PREFIX ".done-"

static const char *const copy_states[] = { "pending", "submitted", "refused" };

long
getk_queue_delay(unsigned tries)
{
	long d = 300;

	while (tries > 1 && d < 4 * 3600) {
		d *= 2;
		tries--;
	}
	return d < 4 * 3600 ? d : 4 * 3600;
}

/* --- the envelope ------------------------------------------------------ */

/* Appends "KEY VALUE\n", the value's control characters made '?'. */
static enum getk_err
put(struct getk_buf *b, const char *key, const char *value)
{
	enum getk_err err;
	const char *p;

	err = getk_buf_adds(b, key);
	if (!err && *value)
		err = getk_buf_add(b, " ", 1);
	for (p = value; !err && *p; p++) {
		unsigned char c = (unsigned char)*p;

		err = getk_buf_add(b, c < 32 || c == 127 ? "?" : p, 1);
	}
	return err ? err : getk_buf_add(b, "\n", 1);
}

/* Appends "KEY N\n". */
static enum getk_err
put_num(struct getk_buf *b, const char *key, long long n)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", n);
	return put(b, key, num);
}

enum getk_err
getk_queue_envelope_format(const struct getk_outgoing *o,
    const struct getk_queue_meta *m, struct getk_buf *b)
{
	enum getk_err err;
	size_t i, k;

	err = getk_buf_adds(b, ENVELOPE_MAGIC "\n");
	if (!err && o->account)
		err = put(b, "account", o->account);
	if (!err)
		err = put(b, "from", o->from ? o->from : "");
	if (!err && o->fullname)
		err = put(b, "fullname", o->fullname);
	if (!err && o->dsn_notify)
		err = put(b, "notify", o->dsn_notify);
	if (!err && o->dsn_ret)
		err = put(b, "ret", o->dsn_ret);
	if (!err)
		err = put(b, "date", o->date ? o->date : "");
	if (!err)
		err = put(b, "message-id", o->message_id ? o->message_id : "");
	if (!err)
		err = put_num(b, "size", m->size);
	if (!err)
		err = put_num(b, "created", (long long)m->created);
	if (!err)
		err = put_num(b, "tries", m->tries);
	if (!err)
		err = put_num(b, "next", (long long)m->next);
	if (!err && m->error[0])
		err = put(b, "error", m->error);
	for (i = 0; !err && i < o->ncopies; i++) {
		err = put(b, "copy", copy_states[o->copies[i].state]);
		for (k = 0; !err && k < o->copies[i].nrcpts; k++)
			err = put(b, "rcpt", o->copies[i].rcpts[k]);
	}
	return err ? err : getk_buf_adds(b, "end\n");
}

/* The envelope parser's state. */
struct env_parse {
	struct getk_outgoing *o;
	struct getk_queue_meta *m;
	unsigned seen;			/* bit per keyword met */
	char **rcpts;			/* the copy being read */
	size_t nrcpts;
	int copy_state;			/* its state; -1: none yet */
};

/* The keywords of an envelope; the first ones are required. */
enum env_key {
	KEY_FROM, KEY_DATE, KEY_MID, KEY_SIZE, KEY_CREATED, KEY_TRIES,
	KEY_NEXT,
	KEY_ACCOUNT, KEY_FULLNAME, KEY_NOTIFY, KEY_RET, KEY_ERROR, KEY_COPY,
	KEY_RCPT, KEY_END
};
#define KEYS_REQUIRED 7

static const char *const env_keys[] = {
	"from", "date", "message-id", "size", "created", "tries", "next",
	"account", "fullname", "notify", "ret", "error", "copy", "rcpt", "end"
};
#define NKEYS (sizeof(env_keys) / sizeof(env_keys[0]))

/* Parses a non-negative decimal number no larger than MAX. */
static int
parse_num(const char *s, long long max, long long *r_n)
{
	long long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || n > (max - (*s - '0')) / 10)
			return -1;
		n = n * 10 + (*s - '0');
	}
	*r_n = n;
	return 0;
}

/* Ends the copy being read, which must have a recipient. */
static const char *
end_copy(struct env_parse *ps)
{
	enum getk_err err;

	if (ps->copy_state < 0)
		return NULL;
	if (ps->nrcpts == 0)
		return "a copy without recipients";
	err = getk_outgoing_add_copy(ps->o, (const char *const *)ps->rcpts,
	    ps->nrcpts, (enum getk_copy_state)ps->copy_state);
	getk_strv_free(ps->rcpts);
	ps->rcpts = NULL;
	ps->nrcpts = 0;
	ps->copy_state = -1;
	return err ? "out of memory" : NULL;
}

/* A new copy of VALUE into *R (freeing the old); NULL or a reason. */
static const char *
set_str(char **r, const char *value)
{
	free(*r);
	*r = strdup(value);
	return *r ? NULL : "out of memory";
}

/* Takes one line KEY VALUE; NULL, or what is wrong with it. */
static const char *
env_line(struct env_parse *ps, enum env_key key, const char *value)
{
	struct getk_outgoing *o = ps->o;
	long long n;
	char **v;
	size_t i;

	if (key != KEY_COPY && key != KEY_RCPT) {
		if (ps->seen & (1u << key))
			return "given twice";
		ps->seen |= 1u << key;
	}
	switch (key) {
	case KEY_FROM:
		if (*value && getk_mailbox_check(value, strlen(value)))
			return "not a mailbox";
		return set_str(&o->from, value);
	case KEY_RCPT:
		if (ps->copy_state < 0)
			return "a recipient before any copy";
		if (getk_mailbox_check(value, strlen(value)))
			return "not a mailbox";
		if (ps->nrcpts >= GETK_MAX_ADDRESSES)
			return "too many recipients";
		v = realloc(ps->rcpts, (ps->nrcpts + 2) * sizeof(*v));
		if (!v)
			return "out of memory";
		ps->rcpts = v;
		v[ps->nrcpts] = strdup(value);
		if (!v[ps->nrcpts])
			return "out of memory";
		v[++ps->nrcpts] = NULL;
		return NULL;
	case KEY_COPY:
		if (end_copy(ps))
			return "a copy without recipients";
		for (i = 0; i < 3; i++)
			if (strcmp(value, copy_states[i]) == 0)
				ps->copy_state = (int)i;
		return ps->copy_state < 0 ? "an unknown copy state" : NULL;
	case KEY_DATE:
		return *value ? set_str(&o->date, value) : "empty";
	case KEY_MID:
		return *value ? set_str(&o->message_id, value) : "empty";
	case KEY_ACCOUNT:
		return set_str(&o->account, value);
	case KEY_FULLNAME:
		return set_str(&o->fullname, value);
	case KEY_NOTIFY:
		return set_str(&o->dsn_notify, value);
	case KEY_RET:
		return set_str(&o->dsn_ret, value);
	case KEY_ERROR:
		snprintf(ps->m->error, sizeof(ps->m->error), "%s", value);
		return NULL;
	case KEY_SIZE:
		if (parse_num(value, LLONG_MAX, &n))
			return "not a number";
		ps->m->size = n;
		return NULL;
	case KEY_CREATED:
	case KEY_NEXT:
		if (parse_num(value, (long long)INT_MAX * 1000, &n))
			return "not a time";
		*(key == KEY_CREATED ? &ps->m->created : &ps->m->next) =
		    (time_t)n;
		return NULL;
	case KEY_TRIES:
		if (parse_num(value, 1000000, &n))
			return "not a number";
		ps->m->tries = (unsigned)n;
		return NULL;
	case KEY_END:
		return end_copy(ps);
	}
	return "unknown";
}

enum getk_err
getk_queue_envelope_parse(const char *text, size_t len,
    struct getk_outgoing *o, struct getk_queue_meta *m, char *why,
    size_t whysz)
{
	struct env_parse ps;
	const char *p = text, *end = text + len, *problem = NULL;
	char line[8192];
	size_t lineno = 0, k;
	int ended = 0;

	why[0] = '\0';
	memset(m, 0, sizeof(*m));
	memset(&ps, 0, sizeof(ps));
	ps.o = o;
	ps.m = m;
	ps.copy_state = -1;
	while (p < end && !problem) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *value;

		lineno++;
		if (!nl)
			problem = "no line end";
		else if (ended)
			problem = "after the end";
		else if (n >= sizeof(line) || memchr(p, '\0', n))
			problem = "too long, or a NUL byte";
		if (problem)
			break;
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl + 1;
		if (lineno == 1) {
			if (strcmp(line, ENVELOPE_MAGIC) != 0)
				problem = "not a getk-queue 1 envelope";
			continue;
		}
		value = strchr(line, ' ');
		if (value)
			*value++ = '\0';
		for (k = 0; k < NKEYS; k++)
			if (strcmp(line, env_keys[k]) == 0)
				break;
		if (k == NKEYS)
			problem = "an unknown keyword";
		else
			problem = env_line(&ps, (enum env_key)k, value ?
			    value : "");
		ended = k == KEY_END;
	}
	if (!problem && !ended) {
		lineno++;
		problem = "no end: the envelope was cut short";
	}
	if (!problem && (ps.seen & ((1u << KEYS_REQUIRED) - 1)) !=
	    (1u << KEYS_REQUIRED) - 1) {
		for (k = 0; k < KEYS_REQUIRED; k++)
			if (!(ps.seen & (1u << k)))
				break;
		snprintf(why, whysz, "no %s line", env_keys[k]);
		getk_strv_free(ps.rcpts);
		return GETK_ERR_SYNTAX;
	}
	if (!problem && o->ncopies == 0)
		problem = "no copy";
	getk_strv_free(ps.rcpts);
	if (problem) {
		snprintf(why, whysz, "envelope line %zu: %s", lineno, problem);
		return strcmp(problem, "out of memory") == 0 ? GETK_ERR_NOMEM :
		    GETK_ERR_SYNTAX;
	}
	return GETK_OK;
}

/* --- the directories --------------------------------------------------- */

enum getk_err
getk_queue_dirs(const struct getk_config *cfg, char ***r_dirs, size_t *r_n)
{
	char **v = NULL, *dir = NULL;
	size_t n = 0, i, k;
	enum getk_err err = GETK_OK;

	*r_dirs = NULL;
	*r_n = 0;
	v = calloc(cfg->naccounts + 2, sizeof(*v));
	if (!v)
		return GETK_ERR_NOMEM;
	for (i = 0; i <= cfg->naccounts; i++) {
		const struct getk_account *a = i == 0 ? &cfg->defaults :
		    cfg->accounts[i - 1];

		err = getk_account_queue_dir(a, &dir);
		if (err == GETK_ERR_CONFIG) {
			err = GETK_OK;
			continue;
		}
		if (err)
			break;
		for (k = 0; k < n && strcmp(v[k], dir) != 0; k++)
			continue;
		if (k < n)
			free(dir);
		else
			v[n++] = dir;
		dir = NULL;
	}
	if (err) {
		getk_strv_free(v);
		return err;
	}
	*r_dirs = v;
	*r_n = n;
	return GETK_OK;
}

/* Whether NAME is an entry's id: "YYYYMMDD-HHMMSS-" and 8 hex digits. */
static int
is_id(const char *name)
{
	static const char shape[] = "dddddddd-dddddd-xxxxxxxx";
	size_t i;

	if (strlen(name) != sizeof(shape) - 1)
		return 0;
	for (i = 0; shape[i]; i++) {
		char c = name[i];

		if (shape[i] == '-' ? c != '-' : shape[i] == 'd' ?
		    !(c >= '0' && c <= '9') : !((c >= '0' && c <= '9') ||
		    (c >= 'a' && c <= 'f')))
			return 0;
	}
	return 1;
}

/* A new id for an entry queued at NOW. */
static void
make_id(time_t now, char id[GETK_QUEUE_ID_SIZE])
{
	unsigned int rnd = 0;
	struct tm tm;
	char t[20];

	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (unsigned int)getpid() ^ (unsigned int)now;
	gmtime_r(&now, &tm);
	strftime(t, sizeof(t), "%Y%m%d-%H%M%S", &tm);
	snprintf(id, GETK_QUEUE_ID_SIZE, "%s-%08x", t, rnd);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The names in the directory open at DIRFD that PICK takes, sorted, as
 * a new NULL-terminated array.  GETK_ERR_SYSTEM, GETK_ERR_NOMEM.
 */
static enum getk_err
list_names(int dirfd, int (*pick)(const char *), char ***r_names,
    size_t *r_n)
{
	DIR *d;
	struct dirent *de = NULL;
	char **v = NULL, **nv;
	size_t n = 0;
	int fd;
	enum getk_err err = GETK_OK;

	*r_names = NULL;
	*r_n = 0;
	fd = dup(dirfd);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return GETK_ERR_SYSTEM;
	}
	rewinddir(d);
	v = calloc(1, sizeof(*v));
	while (v && (de = readdir(d)) != NULL) {
		if (!pick(de->d_name))
			continue;
		nv = realloc(v, (n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[n] = strdup(de->d_name);
		if (!v[n])
			break;
		v[++n] = NULL;
	}
	if (!v || de) {
		err = GETK_ERR_NOMEM;
		getk_strv_free(v);
		v = NULL;
		n = 0;
	}
	closedir(d);
	if (v)
		qsort(v, n, sizeof(*v), cmp_names);
	*r_names = v;
	*r_n = n;
	return err;
}

/*
 * Removes the entry directory NAME in DIRFD and the files in it (an
 * entry holds no directories).  Best effort: what is left is left for
 * the next run.
 */
static void
remove_entry(int dirfd, const char *name)
{
	DIR *d;
	struct dirent *de;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			(void)unlinkat(fd, de->d_name, 0);
	closedir(d);
	(void)unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Locks the directory open at FD at once: 0, or -1 when another has it. */
static int
lock_now(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) != 0)
		if (errno != EINTR)
			return -1;
	return 0;
}

static enum getk_err add_fail(char *why, size_t whysz, enum getk_err err,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets WHY to FMT and ": strerror(errno)"; returns ERR. */
static enum getk_err
add_fail(char *why, size_t whysz, enum getk_err err, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;
	size_t len;

	va_start(ap, fmt);
	vsnprintf(why, whysz, fmt, ap);
	va_end(ap);
	len = strlen(why);
	if (err == GETK_ERR_SYSTEM)
		snprintf(why + len, whysz - len, ": %s", strerror(saved));
	return err;
}

/*
 * Opens the queue directory DIR into *R_FD; -1 and GETK_OK when there is
 * none (an empty queue).  GETK_ERR_SYSTEM with WHY.
 */
static enum getk_err
open_queue(const char *dir, int *r_fd, char *why, size_t whysz)
{
	*r_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*r_fd < 0 && errno != ENOENT)
		return add_fail(why, whysz, GETK_ERR_SYSTEM, "cannot read the "
		    "queue %s", dir);
	return GETK_OK;
}

/* --- adding ------------------------------------------------------------- */

/*
 * Writes the message of O into a new file "message" in the directory
 * open at DIRFD: its header fields as read, an empty line, its body.
 * *R_SIZE is its size.
 */
static enum getk_err
write_message(int dirfd, const struct getk_outgoing *o, long long *r_size)
{
	char buf[65536];
	off_t off = o->body_off;
	size_t i, got;
	long long size = 0;
	int fd;
	enum getk_err err;

	err = getk_file_create(dirfd, "message", &fd);
	if (err)
		return err;
	for (i = 0; !err && o->headers && i < o->headers->n; i++) {
		const char *raw = o->headers->fields[i].raw;

		err = getk_file_write(fd, raw, strlen(raw));
		size += (long long)strlen(raw);
	}
	if (!err)
		err = getk_file_write(fd, "\r\n", 2);
	size += 2;
	while (!err) {
		err = getk_spool_read(o->body, off, buf, sizeof(buf), &got);
		if (err || got == 0)
			break;
		err = getk_file_write(fd, buf, got);
		off += (off_t)got;
		size += (long long)got;
	}
	if (err) {
		getk_file_abandon(fd);
		return err;
	}
	*r_size = size;
	return getk_file_close(fd);
}

/* Renames the directory FROM in DIRFD to a new entry id, as *ID. */
static int
rename_to_new_id(int dirfd, const char *from, time_t now,
    char id[GETK_QUEUE_ID_SIZE])
{
	int attempt;

	for (attempt = 0; attempt < 16; attempt++) {
		make_id(now, id);
		if (renameat2(dirfd, from, dirfd, id, RENAME_NOREPLACE) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

enum getk_err
getk_queue_add(const char *dir, const struct getk_outgoing *o,
    const char *reason, char *r_id, size_t idsz, char *why, size_t whysz)
{
	struct getk_queue_meta m;
	struct getk_buf env;
	char tmp[PATH_MAX], id[GETK_QUEUE_ID_SIZE];
	const char *tmpname;
	time_t now = getk_now();
	int dirfd = -1, tmpfd = -1, renamed = 0;
	enum getk_err err;

	r_id[0] = '\0';
	why[0] = '\0';
	getk_buf_init(&env, ENVELOPE_MAX);
	if (getk_mkdirs(dir)) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "cannot make the "
		    "queue directory %s", dir);
		goto leave;
	}
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/" NEW_PREFIX "XXXXXX", dir) >=
	    sizeof(tmp)) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "the queue "
		    "directory name is too long");
		goto leave;
	}
	if (dirfd < 0 || !mkdtemp(tmp)) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "cannot write in the "
		    "queue directory %s", dir);
		goto leave;
	}
	tmpname = strrchr(tmp, '/') + 1;
	/* Locked while it is written, so that no run takes it for the
	 * left-over of a writer that died. */
	tmpfd = openat(dirfd, tmpname, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tmpfd < 0 || lock_now(tmpfd)) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "cannot lock %s",
		    tmp);
		goto leave;
	}
	memset(&m, 0, sizeof(m));
	m.created = now;
	m.tries = 1;
	m.next = now + getk_queue_delay(1);
	snprintf(m.error, sizeof(m.error), "%s", reason ? reason : "");
	err = write_message(tmpfd, o, &m.size);
	if (err) {
		err = add_fail(why, whysz, err, "cannot write %s/message", tmp);
		goto leave;
	}
	err = getk_queue_envelope_format(o, &m, &env);
	if (!err)
		err = getk_write_file(tmpfd, "envelope", env.data, env.len);
	if (!err)
		err = getk_sync_dir(tmpfd);
	if (err) {
		err = add_fail(why, whysz, err, "cannot write %s/envelope", tmp);
		goto leave;
	}
	/* The one step that makes the entry: it is whole, or not there. */
	if (rename_to_new_id(dirfd, tmpname, now, id)) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "cannot rename %s",
		    tmp);
		goto leave;
	}
	renamed = 1;
	if (getk_sync_dir(dirfd)) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "cannot sync %s",
		    dir);
		goto leave;
	}
	snprintf(r_id, idsz, "%s", id);
	err = GETK_OK;
leave:
	if (err && dirfd >= 0 && tmpfd >= 0)
		remove_entry(dirfd, renamed ? id : tmpname);
	if (tmpfd >= 0)
		close(tmpfd);
	if (dirfd >= 0)
		close(dirfd);
	getk_buf_free(&env);
	return err;
}

/* --- reading ------------------------------------------------------------ */

/*
 * Reads the envelope of the entry open at FD into a new message *R_OUT
 * (no header, no body) and *M, and checks that its message file is
 * there and whole.  GETK_ERR_SYNTAX with WHY when the entry is damaged.
 */
static enum getk_err
read_envelope(int fd, struct getk_outgoing **r_out, struct getk_queue_meta *m,
    char *why, size_t whysz)
{
	struct getk_outgoing *o = NULL;
	struct getk_buf text;
	struct stat st;
	char chunk[65536];
	ssize_t n;
	int efd;
	enum getk_err err;

	*r_out = NULL;
	getk_buf_init(&text, ENVELOPE_MAX);
	efd = openat(fd, "envelope", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (efd < 0) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "its envelope "
		    "cannot be opened");
		goto leave;
	}
	for (;;) {
		n = read(efd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (getk_buf_add(&text, chunk, (size_t)n)) {
			snprintf(why, whysz, "its envelope is larger than 4 MiB");
			err = GETK_ERR_SYNTAX;
			goto leave;
		}
	}
	if (n < 0) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "its envelope "
		    "cannot be read");
		goto leave;
	}
	err = getk_outgoing_new(NULL, NULL, 0, &o);
	if (!err)
		err = getk_queue_envelope_parse(text.data ? text.data : "",
		    text.len, o, m, why, whysz);
	if (err)
		goto leave;
	if (fstatat(fd, "message", &st, AT_SYMLINK_NOFOLLOW) != 0) {
		err = add_fail(why, whysz, GETK_ERR_SYSTEM, "its message cannot "
		    "be found");
		goto leave;
	}
	if (!S_ISREG(st.st_mode) || (long long)st.st_size != m->size) {
		snprintf(why, whysz, "its message has %lld bytes, not the %lld "
		    "its envelope says", (long long)st.st_size, m->size);
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	*r_out = o;
	o = NULL;
leave:
	if (efd >= 0)
		close(efd);
	getk_outgoing_free(o);
	getk_buf_free(&text);
	return err;
}

/*
 * Reads the message of the entry open at FD into O: the header through
 * the header reader, the body left in the file, which O's body spool
 * reads in place.  GETK_ERR_SYNTAX with WHY when it cannot be read.
 */
static enum getk_err
read_message(int fd, struct getk_outgoing *o, char *why, size_t whysz)
{
	struct getk_header_reader *rd = NULL;
	char chunk[65536];
	const char *w = NULL;
	size_t used = 0, restlen;
	off_t off = 0;
	int mfd, done = 0;
	ssize_t n;
	enum getk_err err;

	mfd = openat(fd, "message", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (mfd < 0)
		return add_fail(why, whysz, GETK_ERR_SYSTEM, "its message "
		    "cannot be opened");
	err = getk_header_reader_new(&rd);
	while (!err && !done) {
		n = pread(mfd, chunk, sizeof(chunk), off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = add_fail(why, whysz, GETK_ERR_SYSTEM, "its message "
			    "cannot be read");
			break;
		}
		err = getk_header_reader_feed(rd, chunk, (size_t)n, n == 0,
		    &used, &done, &w);
		if (err) {
			snprintf(why, whysz, "its message cannot be read: %s",
			    w ? w : getk_strerror(err));
			if (err != GETK_ERR_NOMEM)
				err = GETK_ERR_SYNTAX;
			break;
		}
		off += done ? (off_t)used : n;
	}
	if (!err) {
		getk_header_reader_rest(rd, &restlen);
		o->headers = getk_header_reader_take(rd);
		o->body_off = off - (off_t)restlen;
		err = getk_spool_open(mfd, &o->body);
		mfd = -1;
	}
	getk_header_reader_free(rd);
	if (mfd >= 0)
		close(mfd);
	return err;
}

/* --- listing ------------------------------------------------------------ */

/* Calls FN for each entry of the directory open at DIRFD. */
static enum getk_err
list_dir(const char *dir, int dirfd, int failed,
    void (*fn)(void *arg, const struct getk_queue_info *entry), void *arg)
{
	struct getk_queue_info info;
	struct getk_queue_meta m;
	struct getk_outgoing *o = NULL, *empty = NULL;
	char **names = NULL, damaged[1024];
	size_t n = 0, i;
	int fd;
	enum getk_err err;

	err = list_names(dirfd, is_id, &names, &n);
	if (!err)
		err = getk_outgoing_new(NULL, NULL, 0, &empty);
	for (i = 0; !err && i < n; i++) {
		memset(&info, 0, sizeof(info));
		memset(&m, 0, sizeof(m));
		info.dir = dir;
		info.id = names[i];
		info.failed = failed;
		fd = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;	/* delivered meanwhile */
		err = read_envelope(fd, &o, &m, damaged, sizeof(damaged));
		close(fd);
		if (err == GETK_ERR_NOMEM)
			break;
		info.damaged = err ? damaged : NULL;
		info.out = o ? o : empty;
		info.meta = &m;
		fn(arg, &info);
		getk_outgoing_free(o);
		o = NULL;
		err = GETK_OK;
	}
	getk_outgoing_free(empty);
	getk_strv_free(names);
	return err;
}

enum getk_err
getk_queue_list(const char *dir,
    void (*fn)(void *arg, const struct getk_queue_info *entry), void *arg,
    char *why, size_t whysz)
{
	int dirfd, ffd;
	enum getk_err err;

	why[0] = '\0';
	err = open_queue(dir, &dirfd, why, whysz);
	if (err || dirfd < 0)
		return err;
	err = list_dir(dir, dirfd, 0, fn, arg);
	ffd = openat(dirfd, GETK_QUEUE_FAILED, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (!err && ffd >= 0)
		err = list_dir(dir, ffd, 1, fn, arg);
	if (ffd >= 0)
		close(ffd);
	close(dirfd);
	if (err == GETK_ERR_SYSTEM)
		add_fail(why, whysz, err, "cannot read the queue %s", dir);
	return err;
}

/* --- running ------------------------------------------------------------ */

/* A password asked once per account and run. */
struct password {
	const struct getk_account *acct;
	char *password;			/* or NULL */
	enum getk_err err;
	char why[512];
};

/* One run: what the entries of every directory share. */
struct runner {
	const struct getk_queue_run_settings *s;
	struct password *pw;
	size_t npw;
	size_t gave_up;
};

enum entry_state {
	ENTRY_LOCK,	/* the entry's lock, at once, or pass it by */
	ENTRY_READ,	/* its envelope */
	ENTRY_DUE,	/* due now (or forced, or past its lifetime)? */
	ENTRY_LOAD,	/* its message, for the send pipeline */
	ENTRY_SEND,	/* the send pipeline on its pending copies */
	ENTRY_DONE,	/* every copy submitted: removed */
	ENTRY_DEFER,	/* a temporary failure recorded, the next try set */
	ENTRY_GIVE_UP,	/* refused, or too old: moved to failed/ */
	ENTRY_DAMAGED,	/* unreadable: moved to failed/ as it is */
	ENTRY_END	/* done with it */
};

static const char *const entry_names[] = {
	"LOCK", "READ", "DUE", "LOAD", "SEND", "DONE", "DEFER", "GIVE_UP",
	"DAMAGED", "END"
};
#define ENTRY_NSTATES (sizeof(entry_names) / sizeof(entry_names[0]))

/* One entry in one run: what the state handlers share. */
struct entry {
	struct runner *run;
	const char *dir;
	int dirfd;			/* the queue directory */
	const char *id;
	int fd;				/* the entry's directory, locked */
	enum entry_state state;
	struct getk_outgoing *out;
	struct getk_queue_meta meta;
	const struct getk_account *acct;
	struct getk_send_report report;
	enum getk_err err;		/* the attempt's */
	char why[1024];
	char moved[PATH_MAX];
	time_t now;
	int expired;			/* past its account's lifetime */
};

/* Moves the entry to NEXT and logs it. */
static void
entry_state(struct entry *e, enum entry_state next)
{
	if (e->state == next)
		return;
	getk_log(e->run->s->log, GETK_LOG_DEBUG, "queue %s: %s -> %s", e->id,
	    entry_names[e->state], entry_names[next]);
	e->state = next;
}

/* Tells the caller what became of the entry. */
static void
entry_event(struct entry *e, enum getk_queue_fate fate)
{
	const struct getk_queue_run_settings *s = e->run->s;
	struct getk_queue_event ev;

	if (!s->event)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.dir = e->dir;
	ev.id = e->id;
	ev.fate = fate;
	ev.out = fate == GETK_QUEUE_DAMAGED ? NULL : e->out;
	ev.account = fate == GETK_QUEUE_DAMAGED ? NULL : e->acct;
	ev.report = &e->report;
	ev.meta = &e->meta;
	ev.err = e->err;
	ev.why = e->why;
	ev.moved_to = e->moved[0] ? e->moved : NULL;
	s->event(s->arg, &ev);
}

/* Writes the entry's envelope anew, as it is in memory now. */
static enum getk_err
entry_save(struct entry *e)
{
	struct getk_buf b;
	enum getk_err err;

	getk_buf_init(&b, ENVELOPE_MAX);
	err = getk_queue_envelope_format(e->out, &e->meta, &b);
	if (!err)
		err = getk_replace_file(e->fd, "envelope", b.data, b.len);
	getk_buf_free(&b);
	return err;
}

/* The send pipeline's call after each copy the relay accepted. */
static enum getk_err
copy_submitted(void *arg, const struct getk_outgoing *out, size_t copy)
{
	struct entry *e = arg;
	enum getk_err err;

	(void)out;
	err = entry_save(e);
	if (err)
		getk_log(e->run->s->log, GETK_LOG_WARN, "queue %s: copy %zu was "
		    "submitted but cannot be recorded (%s): it may be sent "
		    "again", e->id, copy + 1, strerror(errno));
	return err;
}

/* Moves the entry to the failed directory, into e->moved. */
static enum getk_err
entry_move_aside(struct entry *e)
{
	enum getk_err err = GETK_ERR_SYSTEM;
	int ffd;

	if (mkdirat(e->dirfd, GETK_QUEUE_FAILED, 0700) == 0)
		(void)getk_sync_dir(e->dirfd);
	ffd = openat(e->dirfd, GETK_QUEUE_FAILED, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	/* Ids are unique: one of that name in failed/ is no entry of ours
	 * to replace. */
	if (ffd >= 0 && renameat2(e->dirfd, e->id, ffd, e->id,
	    RENAME_NOREPLACE) == 0 && getk_sync_dir(ffd) == GETK_OK &&
	    getk_sync_dir(e->dirfd) == GETK_OK)
		err = GETK_OK;
	if (ffd >= 0)
		close(ffd);
	if (!err)
		snprintf(e->moved, sizeof(e->moved), "%s/%s/%s", e->dir,
		    GETK_QUEUE_FAILED, e->id);
	return err;
}

/* LOCK: the entry's lock at once, else another run has it. */
static void
on_lock(struct entry *e)
{
	struct stat here, locked;

	e->fd = openat(e->dirfd, e->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (e->fd < 0) {
		entry_state(e, ENTRY_END);	/* gone meanwhile */
		return;
	}
	if (lock_now(e->fd)) {
		getk_log(e->run->s->log, GETK_LOG_INFO, "queue %s: busy (another "
		    "run has it)", e->id);
		entry_state(e, ENTRY_END);
		return;
	}
	/* Still the entry of that name, not one delivered or set aside
	 * by the run that held it a moment ago? */
	if (fstat(e->fd, &locked) != 0 || fstatat(e->dirfd, e->id, &here,
	    AT_SYMLINK_NOFOLLOW) != 0 || here.st_dev != locked.st_dev ||
	    here.st_ino != locked.st_ino) {
		entry_state(e, ENTRY_END);
		return;
	}
	entry_state(e, ENTRY_READ);
}

/*
 * READ, LOAD: the envelope, and once the entry is due the message;
 * damaged when either cannot be read.
 */
static void
entry_read(struct entry *e, enum entry_state next)
{
	enum getk_err err;

	if (e->state == ENTRY_READ)
		err = read_envelope(e->fd, &e->out, &e->meta, e->why,
		    sizeof(e->why));
	else
		err = read_message(e->fd, e->out, e->why, sizeof(e->why));
	if (err == GETK_ERR_NOMEM) {
		e->err = err;
		entry_state(e, ENTRY_END);
		return;
	}
	if (err) {
		entry_state(e, ENTRY_DAMAGED);
		return;
	}
	entry_state(e, next);
}

static void
on_read(struct entry *e)
{
	entry_read(e, ENTRY_DUE);
}

static void
on_load(struct entry *e)
{
	entry_read(e, ENTRY_SEND);
}

/* DUE: its next try has come, or it is forced, or past its lifetime. */
static void
on_due(struct entry *e)
{
	const struct getk_account *a;

	e->acct = getk_outgoing_account(e->out, e->run->s->cfg);
	a = e->acct ? e->acct : &e->run->s->cfg->defaults;
	e->expired = e->now - e->meta.created >= a->queue_lifetime;
	if (e->run->s->force || e->expired || e->now >= e->meta.next) {
		entry_state(e, ENTRY_LOAD);
		return;
	}
	getk_log(e->run->s->log, GETK_LOG_INFO, "queue %s: not due for %lld "
	    "seconds", e->id, (long long)(e->meta.next - e->now));
	entry_state(e, ENTRY_END);
}

/* The relay password of ACCT, asked once per run. */
static const struct password *
run_password(struct runner *run, const struct getk_account *acct)
{
	struct password *p;
	size_t i;

	for (i = 0; i < run->npw; i++)
		if (run->pw[i].acct == acct)
			return &run->pw[i];
	p = realloc(run->pw, (run->npw + 1) * sizeof(*p));
	if (!p)
		return NULL;
	run->pw = p;
	p = &run->pw[run->npw++];
	memset(p, 0, sizeof(*p));
	p->acct = acct;
	if (acct->user)
		p->err = getk_account_password(acct, &p->password, p->why,
		    sizeof(p->why));
	return p;
}

/* SEND: every pending copy, under the account as it is now. */
static void
on_send(struct entry *e)
{
	const struct password *pw;
	struct getk_send_settings ss;

	e->meta.tries++;
	if (!e->acct) {
		e->err = GETK_ERR_CONFIG;
		snprintf(e->why, sizeof(e->why), "the account %s is not in the "
		    "configuration", e->out->account);
	} else if (getk_outgoing_check_account(e->acct, e->why,
	    sizeof(e->why))) {
		e->err = GETK_ERR_CONFIG;
	} else if (!(pw = run_password(e->run, e->acct))) {
		e->err = GETK_ERR_NOMEM;
		snprintf(e->why, sizeof(e->why), "out of memory");
	} else if (pw->err) {
		e->err = pw->err;
		snprintf(e->why, sizeof(e->why), "%s", pw->why[0] ? pw->why :
		    getk_strerror(pw->err));
	} else {
		memset(&ss, 0, sizeof(ss));
		ss.account = e->acct;
		ss.password = pw->password;
		ss.log = e->run->s->log;
		ss.keep_going = 1;
		ss.submitted = copy_submitted;
		ss.arg = e;
		e->err = getk_outgoing_send(e->out, &ss, &e->report);
		snprintf(e->why, sizeof(e->why), "%s", e->report.why);
	}
	snprintf(e->meta.error, sizeof(e->meta.error), "%s", e->why);
	if (!e->err)
		entry_state(e, ENTRY_DONE);
	else if (getk_outgoing_refused(e->err))
		entry_state(e, ENTRY_GIVE_UP);
	else
		entry_state(e, ENTRY_DEFER);
}

/* DONE: every copy is with the relay; the entry goes. */
static void
on_done(struct entry *e)
{
	char done[GETK_QUEUE_ID_SIZE + sizeof(DONE_PREFIX)];

	/* Out of the queue in one step, then removed at leisure: a run
	 * that dies meanwhile leaves a .done- directory, no entry. */
	snprintf(done, sizeof(done), DONE_PREFIX "%s", e->id);
	if (renameat(e->dirfd, e->id, e->dirfd, done) == 0 &&
	    getk_sync_dir(e->dirfd) == GETK_OK)
		remove_entry(e->dirfd, done);
	else
		getk_log(e->run->s->log, GETK_LOG_WARN, "queue %s: delivered, "
		    "but cannot be removed (%s): its envelope says so, and the "
		    "next run removes it", e->id, strerror(errno));
	entry_event(e, GETK_QUEUE_DELIVERED);
	entry_state(e, ENTRY_END);
}

/* DEFER: the failure and the next try recorded; too old: given up. */
static void
on_defer(struct entry *e)
{
	const struct getk_account *a = e->acct ? e->acct :
	    &e->run->s->cfg->defaults;
	char why[sizeof(e->why)], life[32];

	if (e->expired) {
		getk_duration_format(a->queue_lifetime, life, sizeof(life));
		/* Cut to fit, if need be: the reason comes last. */
		if (snprintf(why, sizeof(why), "not delivered within "
		    "queue_lifetime (%s): %s", life, e->why) >= (int)sizeof(why))
			why[sizeof(why) - 1] = '\0';
		memcpy(e->why, why, sizeof(e->why));
		snprintf(e->meta.error, sizeof(e->meta.error), "%s", e->why);
		entry_state(e, ENTRY_GIVE_UP);
		return;
	}
	e->meta.next = e->now + getk_queue_delay(e->meta.tries);
	if (entry_save(e))
		getk_log(e->run->s->log, GETK_LOG_WARN, "queue %s: cannot record "
		    "the try (%s)", e->id, strerror(errno));
	entry_event(e, GETK_QUEUE_DEFERRED);
	entry_state(e, ENTRY_END);
}

/* GIVE_UP: recorded, then moved to failed/ and kept for the user. */
static void
on_give_up(struct entry *e)
{
	if (entry_save(e) || entry_move_aside(e)) {
		getk_log(e->run->s->log, GETK_LOG_WARN, "queue %s: cannot move "
		    "it to %s/%s (%s); it stays queued", e->id, e->dir,
		    GETK_QUEUE_FAILED, strerror(errno));
		entry_event(e, GETK_QUEUE_DEFERRED);
	} else {
		e->run->gave_up++;
		entry_event(e, GETK_QUEUE_GAVE_UP);
	}
	entry_state(e, ENTRY_END);
}

/* DAMAGED: set aside as it is, for the user to look at. */
static void
on_damaged(struct entry *e)
{
	if (entry_move_aside(e)) {
		getk_log(e->run->s->log, GETK_LOG_WARN, "queue %s: damaged (%s), "
		    "and cannot be moved to %s/%s (%s)", e->id, e->why, e->dir,
		    GETK_QUEUE_FAILED, strerror(errno));
	} else {
		e->run->gave_up++;
		entry_event(e, GETK_QUEUE_DAMAGED);
	}
	entry_state(e, ENTRY_END);
}

/* The handler of each state; NULL for ENTRY_END. */
static void (*const entry_handlers[ENTRY_NSTATES])(struct entry *) = {
	[ENTRY_LOCK] = on_lock,
	[ENTRY_READ] = on_read,
	[ENTRY_DUE] = on_due,
	[ENTRY_LOAD] = on_load,
	[ENTRY_SEND] = on_send,
	[ENTRY_DONE] = on_done,
	[ENTRY_DEFER] = on_defer,
	[ENTRY_GIVE_UP] = on_give_up,
	[ENTRY_DAMAGED] = on_damaged,
};

/* Runs the entry ID of the queue directory DIR, open at DIRFD. */
static enum getk_err
run_entry(struct runner *run, const char *dir, int dirfd, const char *id)
{
	struct entry e;

	memset(&e, 0, sizeof(e));
	e.run = run;
	e.dir = dir;
	e.dirfd = dirfd;
	e.id = id;
	e.fd = -1;
	e.now = getk_now();
	e.state = ENTRY_LOCK;
	while (entry_handlers[e.state])
		entry_handlers[e.state](&e);
	getk_send_report_clear(&e.report);
	getk_outgoing_free(e.out);
	if (e.fd >= 0)
		close(e.fd);		/* and with it the lock */
	return e.err == GETK_ERR_NOMEM ? e.err : GETK_OK;
}

static int
is_leftover(const char *name)
{
	return strncmp(name, NEW_PREFIX, strlen(NEW_PREFIX)) == 0 ||
	    strncmp(name, DONE_PREFIX, strlen(DONE_PREFIX)) == 0;
}

/*
 * Removes what writers that died left in the directory open at DIRFD:
 * a delivered entry not yet removed, a new one not yet whole and older
 * than an hour; never one whose writer still holds its lock.
 */
static void
remove_leftovers(int dirfd)
{
	char **names = NULL;
	size_t n = 0, i;
	struct stat st;
	int fd;

	if (list_names(dirfd, is_leftover, &names, &n))
		return;
	for (i = 0; i < n; i++) {
		/* A new entry may still be written by a writer that has
		 * not taken its lock yet: only an old one is left-over. */
		if (strncmp(names[i], NEW_PREFIX, strlen(NEW_PREFIX)) == 0 &&
		    (fstatat(dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    getk_now() - st.st_mtime < STALE_NEW))
			continue;
		fd = openat(dirfd, names[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (lock_now(fd) == 0)
			remove_entry(dirfd, names[i]);
		close(fd);
	}
	getk_strv_free(names);
}

/* Runs the queue directory DIR. */
static enum getk_err
run_dir(struct runner *run, const char *dir, char *why, size_t whysz)
{
	char **ids = NULL;
	size_t n = 0, i;
	int dirfd;
	enum getk_err err;

	err = open_queue(dir, &dirfd, why, whysz);
	if (err || dirfd < 0)
		return err;
	err = list_names(dirfd, is_id, &ids, &n);
	if (err == GETK_ERR_SYSTEM)
		add_fail(why, whysz, err, "cannot read the queue %s", dir);
	for (i = 0; !err && i < n; i++)
		err = run_entry(run, dir, dirfd, ids[i]);
	remove_leftovers(dirfd);
	getk_strv_free(ids);
	close(dirfd);
	return err;
}

enum getk_err
getk_queue_run(const struct getk_queue_run_settings *s, size_t *r_gave_up,
    char *why, size_t whysz)
{
	struct runner run;
	char **dirs = NULL, dwhy[1024];
	size_t n = 0, i;
	enum getk_err err, first = GETK_OK;

	*r_gave_up = 0;
	why[0] = '\0';
	memset(&run, 0, sizeof(run));
	run.s = s;
	err = getk_queue_dirs(s->cfg, &dirs, &n);
	if (err)
		return err;
	for (i = 0; i < n && first != GETK_ERR_NOMEM; i++) {
		dwhy[0] = '\0';
		err = run_dir(&run, dirs[i], dwhy, sizeof(dwhy));
		if (err && !first) {
			first = err;
			snprintf(why, whysz, "%s", dwhy);
		}
	}
	for (i = 0; i < run.npw; i++) {
		if (run.pw[i].password) {
			explicit_bzero(run.pw[i].password,
			    strlen(run.pw[i].password));
			free(run.pw[i].password);
		}
	}
	free(run.pw);
	getk_strv_free(dirs);
	*r_gave_up = run.gave_up;
	return first;
}
