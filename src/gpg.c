/*
 * gpg.c: gpgme operations in a poll loop of our own, under a deadline.
 *
 * gpgme offers no timeout.  Its user I/O callbacks let the caller run the
 * event loop, so this module runs one per session: gpgme registers the
 * pipes to its gpg with add_io(), the loop polls them until gpgme
 * reports the operation done, or until the deadline.  Then gpgme_cancel()
 * would only close gpgme's ends of the pipes, and a gpg busy with what it
 * read (a key of compressed packets, say) would go on for minutes.  So
 * the loop first finds the processes that hold the other ends of those
 * pipes (/proc/PID/fd, which are links "pipe:[INODE]"), kills them with
 * SIGKILL, cancels, and waits until each is gone.  Those pipes were made
 * for this operation alone and getk holds its ends until then, so no
 * other process can be taken for gpg; a child of ours that forked a
 * moment ago and holds copies of every descriptor runs our own program
 * until it execs, and is left alone for that.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "file.h"
#include "gpg.h"
#include "packet.h"

/* Most descriptors gpgme registers for one gpg (status, colon, data in
 * and out, command: five at most). */
#define GPG_MAX_FDS 16
/* Most processes that may hold them: gpg, and what it may run. */
#define GPG_MAX_HOLDERS 16
/* How long a killed process is waited for. */
#define GPG_KILL_WAIT_MS 2000

/* A descriptor gpgme asked us to watch. */
struct io_slot {
	int active;
	int fd;
	int dir;			/* 1: gpgme reads it; 0: it writes */
	gpgme_io_cb_t fnc;
	void *fnc_data;
	unsigned gen;			/* changes with every add */
};

struct getk_gpg {
	gpgme_ctx_t ctx;
	char *home;			/* the GnuPG home; NULL: the user's */
	long deadline;			/* getk_mono_ms(); 0: none */
	struct io_slot slots[GPG_MAX_FDS];
	unsigned gen;
	int done;			/* gpgme said GPGME_EVENT_DONE */
	gpgme_error_t err;		/* and with this error */
	gpgme_key_t *keys;		/* listed keys not yet taken */
	size_t nkeys, capkeys, nextkey;
	int oom;			/* a listed key was dropped */
};

static gpgme_error_t
add_io(void *data, int fd, int dir, gpgme_io_cb_t fnc, void *fnc_data,
    void **r_tag)
{
	struct getk_gpg *g = data;
	size_t i;

	for (i = 0; i < GPG_MAX_FDS; i++) {
		struct io_slot *s = &g->slots[i];

		if (s->active)
			continue;
		s->active = 1;
		s->fd = fd;
		s->dir = dir;
		s->fnc = fnc;
		s->fnc_data = fnc_data;
		s->gen = ++g->gen;
		*r_tag = s;
		return 0;
	}
	return gpg_error(GPG_ERR_TOO_MANY);
}

static void
remove_io(void *tag)
{
	struct io_slot *s = tag;

	s->active = 0;
}

static void
io_event(void *data, gpgme_event_io_t type, void *type_data)
{
	struct getk_gpg *g = data;

	switch (type) {
	case GPGME_EVENT_DONE: {
		gpgme_io_event_done_data_t d = type_data;

		g->done = 1;
		g->err = d->err ? d->err : d->op_err;
		break;
	}
	case GPGME_EVENT_NEXT_KEY: {
		/* The key is ours to keep or to release. */
		gpgme_key_t k = type_data;

		if (g->nkeys == g->capkeys) {
			size_t cap = g->capkeys ? 2 * g->capkeys : 8;
			gpgme_key_t *nk = realloc(g->keys, cap * sizeof(*nk));

			if (!nk) {
				gpgme_key_unref(k);
				g->oom = 1;
				break;
			}
			g->keys = nk;
			g->capkeys = cap;
		}
		g->keys[g->nkeys++] = k;
		break;
	}
	case GPGME_EVENT_NEXT_TRUSTITEM:
		gpgme_trust_item_unref(type_data);
		break;
	default:
		break;
	}
}

enum getk_err
getk_gpg_new(const char *home, long deadline_ms, struct getk_gpg **r_gpg,
    char *why, size_t whysz)
{
	struct gpgme_io_cbs cbs;
	struct getk_gpg *g;
	gpgme_error_t gerr;

	*r_gpg = NULL;
	why[0] = '\0';
	g = calloc(1, sizeof(*g));
	if (!g)
		return GETK_ERR_NOMEM;
	g->deadline = deadline_ms;
	if (home && (g->home = strdup(home)) == NULL) {
		free(g);
		return GETK_ERR_NOMEM;
	}
	gerr = gpgme_new(&g->ctx);
	if (!gerr)
		gerr = gpgme_set_protocol(g->ctx, GPGME_PROTOCOL_OpenPGP);
	if (!gerr && home)
		gerr = gpgme_ctx_set_engine_info(g->ctx, GPGME_PROTOCOL_OpenPGP,
		    NULL, home);
	if (gerr) {
		snprintf(why, whysz, "gpgme: %s", gpgme_strerror(gerr));
		getk_gpg_free(g);
		return gpg_err_code(gerr) == GPG_ERR_ENOMEM ? GETK_ERR_NOMEM :
		    GETK_ERR_CRYPTO;
	}
	cbs.add = add_io;
	cbs.add_priv = g;
	cbs.remove = remove_io;
	cbs.event = io_event;
	cbs.event_priv = g;
	gpgme_set_io_cbs(g->ctx, &cbs);
	*r_gpg = g;
	return GETK_OK;
}

/* Drops the keys of a listing that nobody took. */
static void
drop_keys(struct getk_gpg *g)
{
	while (g->nextkey < g->nkeys)
		gpgme_key_unref(g->keys[g->nextkey++]);
	g->nkeys = g->nextkey = 0;
	g->oom = 0;
}

void
getk_gpg_free(struct getk_gpg *g)
{
	if (!g)
		return;
	drop_keys(g);
	free(g->keys);
	if (g->ctx)
		gpgme_release(g->ctx);
	free(g->home);
	free(g);
}

gpgme_ctx_t
getk_gpg_ctx(struct getk_gpg *g)
{
	return g->ctx;
}

void
getk_gpg_set_deadline(struct getk_gpg *g, long deadline_ms)
{
	g->deadline = deadline_ms;
}

gpgme_key_t
getk_gpg_next_key(struct getk_gpg *g)
{
	return g->nextkey < g->nkeys ? g->keys[g->nextkey++] : NULL;
}

/* Non-zero when the pipe link text LINK names one of the N inodes. */
static int
holds_pipe(const char *link, const ino_t *inos, size_t n)
{
	unsigned long long ino;
	char *end;
	size_t i;

	if (strncmp(link, "pipe:[", 6) != 0)
		return 0;
	errno = 0;
	ino = strtoull(link + 6, &end, 10);
	if (errno || *end != ']')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned long long)inos[i] == ino)
			return 1;
	return 0;
}

/* Non-zero when process PID holds one of the pipes and has exec'd. */
static int
is_holder(long pid, const ino_t *inos, size_t n, const struct stat *self_exe)
{
	char path[64], link[64];
	struct stat exe;
	struct dirent *de;
	DIR *d;
	ssize_t len;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		found = holds_pipe(link, inos, n);
	}
	closedir(d);
	/* A fork of ours that has not exec'd yet holds copies of all our
	 * descriptors for a moment: it is not gpg. */
	snprintf(path, sizeof(path), "/proc/%ld/exe", pid);
	if (found && stat(path, &exe) == 0 && exe.st_dev == self_exe->st_dev &&
	    exe.st_ino == self_exe->st_ino)
		found = 0;
	return found;
}

/*
 * Finds the processes other than this one that hold the other ends of
 * the pipes gpgme watches; at most MAX of them go to PIDS.
 */
static size_t
find_holders(const struct getk_gpg *g, pid_t *pids, size_t max)
{
	ino_t inos[GPG_MAX_FDS];
	struct stat st, self_exe;
	struct dirent *de;
	DIR *proc;
	size_t n = 0, npids = 0, i;
	pid_t self = getpid();

	for (i = 0; i < GPG_MAX_FDS; i++)
		if (g->slots[i].active && fstat(g->slots[i].fd, &st) == 0 &&
		    S_ISFIFO(st.st_mode))
			inos[n++] = st.st_ino;
	if (n == 0 || stat("/proc/self/exe", &self_exe) != 0)
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return 0;
	while (npids < max && (de = readdir(proc)) != NULL) {
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || (pid_t)pid == self)
			continue;
		if (is_holder(pid, inos, n, &self_exe))
			pids[npids++] = (pid_t)pid;
	}
	closedir(proc);
	return npids;
}

/* Non-zero when PID has ended: gone, or a zombie for its reaper. */
static int
is_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	if (kill(pid, 0) != 0 && errno == ESRCH)
		return 1;
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 1;
	buf[n] = '\0';
	/* "PID (COMM) STATE ...": COMM may hold parentheses. */
	p = strrchr(buf, ')');
	return p && (p[1] == ' ') && (p[2] == 'Z' || p[2] == 'X');
}

/*
 * Gives the operation up: kills gpg and whatever holds its pipes,
 * cancels it in gpgme, and waits until the processes are gone.
 */
static void
give_up(struct getk_gpg *g)
{
	pid_t pids[GPG_MAX_HOLDERS];
	size_t n, i, left;
	long until;
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	n = find_holders(g, pids, GPG_MAX_HOLDERS);
	for (i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	gpgme_cancel(g->ctx);
	until = getk_mono_ms() + GPG_KILL_WAIT_MS;
	do {
		for (i = 0, left = 0; i < n; i++)
			if (!is_gone(pids[i]))
				left++;
		if (left)
			nanosleep(&ts, NULL);
	} while (left && getk_mono_ms() < until);
	g->done = 1;
}

/*
 * Runs gpgme's handlers for the descriptors that are ready, with SIGPIPE
 * blocked in this thread and a SIGPIPE they raised taken back, as curl
 * does: gpg may go away while we write to it, and that is an error of
 * the operation, not a reason for the whole program to die.
 */
static void
run_ready(struct getk_gpg *g, const struct pollfd *pfd, const size_t *idx,
    const unsigned *gens, size_t n)
{
	sigset_t pipe_set, old, pending;
	int was_pending;
	size_t k;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	was_pending = sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE);
	for (k = 0; k < n && !g->done; k++) {
		struct io_slot *s = &g->slots[idx[k]];

		/* A handler may have removed or replaced another slot. */
		if (pfd[k].revents && s->active && s->gen == gens[k])
			s->fnc(s->fnc_data, s->fd);
	}
	if (!was_pending && sigpending(&pending) == 0 &&
	    sigismember(&pending, SIGPIPE)) {
		struct timespec zero = { 0, 0 };

		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * Runs the operation just started to its end.  GETK_OK with *R_GERR the
 * operation's result; GETK_ERR_TIMEOUT at the deadline, GETK_ERR_SYSTEM
 * when poll fails (gpg killed in both cases).
 */
static enum getk_err
run(struct getk_gpg *g, gpgme_error_t *r_gerr)
{
	struct pollfd pfd[GPG_MAX_FDS];
	size_t idx[GPG_MAX_FDS];
	unsigned gens[GPG_MAX_FDS];
	size_t n, i;
	long left;
	int timeout, rc;

	*r_gerr = 0;
	while (!g->done) {
		for (i = 0, n = 0; i < GPG_MAX_FDS; i++) {
			if (!g->slots[i].active)
				continue;
			pfd[n].fd = g->slots[i].fd;
			pfd[n].events = g->slots[i].dir ? POLLIN : POLLOUT;
			pfd[n].revents = 0;
			idx[n] = i;
			gens[n] = g->slots[i].gen;
			n++;
		}
		if (n == 0)
			break;
		timeout = -1;
		if (g->deadline) {
			left = g->deadline - getk_mono_ms();
			if (left <= 0) {
				give_up(g);
				return GETK_ERR_TIMEOUT;
			}
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		rc = poll(pfd, n, timeout);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			give_up(g);
			return GETK_ERR_SYSTEM;
		}
		if (rc > 0)
			run_ready(g, pfd, idx, gens, n);
	}
	*r_gerr = g->err;
	return GETK_OK;
}

/*
 * Waits for the operation that START (gpgme's error of the _start call)
 * began; WHAT names it in WHY.
 */
static enum getk_err
finish(struct getk_gpg *g, gpgme_error_t start, const char *what, char *why,
    size_t whysz)
{
	gpgme_error_t gerr = start;
	enum getk_err err = GETK_OK;

	if (!gerr) {
		err = run(g, &gerr);
		if (err == GETK_ERR_TIMEOUT) {
			snprintf(why, whysz, "gpg %s did not end before its "
			    "deadline and was killed", what);
			return err;
		}
		if (err) {
			snprintf(why, whysz, "gpg %s: poll: %s", what,
			    strerror(errno));
			return err;
		}
	}
	if (!gerr && g->oom)
		gerr = gpg_error(GPG_ERR_ENOMEM);
	if (gerr) {
		snprintf(why, whysz, "gpg %s: %s", what, gpgme_strerror(gerr));
		return gpg_err_code(gerr) == GPG_ERR_ENOMEM ? GETK_ERR_NOMEM :
		    GETK_ERR_CRYPTO;
	}
	return GETK_OK;
}

/* Non-zero, with WHY set, when the deadline passed before the start. */
static int
expired(const struct getk_gpg *g, const char *what, char *why, size_t whysz)
{
	if (!g->deadline || getk_mono_ms() < g->deadline)
		return 0;
	snprintf(why, whysz, "no time was left for gpg %s", what);
	return 1;
}

/* Makes ready for the next operation. */
static void
reset(struct getk_gpg *g, char *why)
{
	why[0] = '\0';
	g->done = 0;
	g->err = 0;
	drop_keys(g);
}

/* packet.c's check of bytes about to reach gpg as a public key. */
static enum getk_err
check_key(const unsigned char *data, size_t len, char *why, size_t whysz)
{
	char reason[200];
	enum getk_err err;

	err = getk_packet_check_key(data, len, reason, sizeof(reason));
	if (err == GETK_ERR_NOMEM)
		return err;
	if (err) {
		snprintf(why, whysz, "not a transferable public key: %s",
		    reason);
		return GETK_ERR_BADKEY;
	}
	return GETK_OK;
}

enum getk_err
getk_gpg_import(struct getk_gpg *g, const unsigned char *data, size_t len,
    char *why, size_t whysz)
{
	gpgme_data_t in = NULL;
	gpgme_error_t gerr;
	enum getk_err err;

	reset(g, why);
	err = check_key(data, len, why, whysz);
	if (err)
		return err;
	if (expired(g, "import", why, whysz))
		return GETK_ERR_TIMEOUT;
	gerr = gpgme_data_new_from_mem(&in, (const char *)data, len, 0);
	if (!gerr)
		gerr = gpgme_op_import_start(g->ctx, in);
	err = finish(g, gerr, "import", why, whysz);
	gpgme_data_release(in);
	return err;
}

enum getk_err
getk_gpg_keylist_ext(struct getk_gpg *g, const char *const *patterns,
    char *why, size_t whysz)
{
	reset(g, why);
	if (expired(g, "key listing", why, whysz))
		return GETK_ERR_TIMEOUT;
	return finish(g, gpgme_op_keylist_ext_start(g->ctx,
	    (const char **)patterns, 0, 0), "key listing", why, whysz);
}

enum getk_err
getk_gpg_keylist(struct getk_gpg *g, const char *pattern, char *why,
    size_t whysz)
{
	const char *patterns[2] = { pattern, NULL };

	return getk_gpg_keylist_ext(g, pattern ? patterns : NULL, why, whysz);
}

enum getk_err
getk_gpg_export_ext(struct getk_gpg *g, const char *const *patterns,
    gpgme_export_mode_t mode, gpgme_data_t out, char *why, size_t whysz)
{
	reset(g, why);
	if (expired(g, "export", why, whysz))
		return GETK_ERR_TIMEOUT;
	return finish(g, gpgme_op_export_ext_start(g->ctx,
	    (const char **)patterns, mode, out), "export", why, whysz);
}

enum getk_err
getk_gpg_export(struct getk_gpg *g, const char *fpr, gpgme_export_mode_t mode,
    gpgme_data_t out, char *why, size_t whysz)
{
	const char *patterns[2] = { fpr, NULL };

	return getk_gpg_export_ext(g, patterns, mode, out, why, whysz);
}

enum getk_err
getk_gpg_encrypt(struct getk_gpg *g, const char *recipients,
    gpgme_encrypt_flags_t flags, gpgme_data_t plain, gpgme_data_t cipher,
    char *why, size_t whysz)
{
	reset(g, why);
	if (expired(g, "encryption", why, whysz))
		return GETK_ERR_TIMEOUT;
	return finish(g, gpgme_op_encrypt_ext_start(g->ctx, NULL, recipients,
	    flags, plain, cipher), "encryption", why, whysz);
}

/*
 * Writes the key R, checked by packet.c first, to the file NAME of the
 * directory open at DIRFD, for gpg's --recipient-file.  The file lives
 * as long as the throw-away home it is in: no sync.
 */
static enum getk_err
write_rcpt(int dirfd, const char *name, const struct getk_gpg_rcpt *r,
    char *why, size_t whysz)
{
	enum getk_err err;
	int fd;

	err = check_key(r->data, r->len, why, whysz);
	if (err)
		return err;
	err = getk_file_create(dirfd, name, &fd);
	if (!err) {
		err = getk_file_write(fd, r->data, r->len);
		if (close(fd) != 0 && !err)
			err = GETK_ERR_SYSTEM;
	}
	if (err)
		snprintf(why, whysz, "cannot write a recipient's key: %s",
		    strerror(errno));
	return err;
}

enum getk_err
getk_gpg_encrypt_to(struct getk_gpg *g, const struct getk_gpg_rcpt *rcpts,
    size_t n, gpgme_encrypt_flags_t flags, gpgme_data_t plain,
    gpgme_data_t cipher, char *why, size_t whysz)
{
	struct getk_buf list;
	char name[32];
	size_t i;
	enum getk_err err = GETK_OK;
	int dirfd;

	reset(g, why);
	if (!g->home || !n) {
		snprintf(why, whysz, "no throw-away home or no recipient for "
		    "gpg encryption");
		return GETK_ERR_CRYPTO;
	}
	dirfd = open(g->home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		snprintf(why, whysz, "cannot open the GnuPG home %s: %s",
		    g->home, strerror(errno));
		return GETK_ERR_SYSTEM;
	}
	getk_buf_init(&list, 0);
	for (i = 0; !err && i < n; i++) {
		snprintf(name, sizeof(name), "rcpt-%zu.pgp", i);
		err = write_rcpt(dirfd, name, &rcpts[i], why, whysz);
		if (!err)
			err = getk_buf_printf(&list, "--file\n%s/%s\n", g->home,
			    name);
	}
	close(dirfd);
	if (!err && expired(g, "encryption", why, whysz))
		err = GETK_ERR_TIMEOUT;
	if (!err)
		err = finish(g, gpgme_op_encrypt_ext_start(g->ctx, NULL,
		    list.data, flags, plain, cipher), "encryption", why, whysz);
	else if (err == GETK_ERR_NOMEM && !why[0])
		snprintf(why, whysz, "out of memory");
	getk_buf_free(&list);
	return err;
}
