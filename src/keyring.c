/*
 * keyring.c: the keyring source (keyring.h): the state of a GnuPG home,
 * a private copy of it for gpg, and the listing and export of keys there
 * with gpgme.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <gpgme.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "conf.h"
#include "gpg.h"
#include "keyring.h"
#include "packet.h"

/* The files whose gpg lock (dotlock) says that a gpg is changing them. */
static const char *const locked_files[] = { "pubring.kbx", "pubring.gpg",
    "trustdb.gpg" };

/*
 * The gpg.conf options that change which keys gpg rates valid; the copy
 * gets these and nothing else of the user's gpg.conf (no keyserver, no
 * agent, no extra keyrings).
 */
static const char *const trust_options[] = { "trust-model", "always-trust",
    "trusted-key", "marginals-needed", "completes-needed", "max-cert-depth",
    "min-cert-level", "tofu-default-policy", "ignore-time-conflict",
    "ignore-valid-from" };

/* Largest gpg.conf read for its trust options. */
#define CONF_MAX (64 * 1024)

struct getk_keyring {
	char *home;		/* the user's home, for messages */
	char *copy;		/* the private home gpg works in */
	gpgme_error_t gpg_error;	/* the first failure gpg reported in
					   a status line, but "no key" */
};

/*
 * Non-zero when another live process holds gpg's lock on NAME in HOME:
 * NAME.lock (GnuPG's dotlock) names the holder's process and host.  A
 * lock of a process that is gone is stale, as gpg would find it too.  A
 * lock of another host cannot be checked and counts as held.
 */
static int
held_lock(const char *home, const char *name, long *r_pid)
{
	char path[PATH_MAX], buf[256], *nl;
	struct utsname un;
	ssize_t len;
	long pid;
	int fd;

	*r_pid = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.lock", home, name) >=
	    sizeof(path))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = '\0';
	pid = strtol(buf, &nl, 10);
	if (pid <= 0 || *nl != '\n')
		return 0;
	*r_pid = pid;
	nl++;
	nl[strcspn(nl, "\n")] = '\0';
	if (*nl && uname(&un) == 0 && strcmp(nl, un.nodename) != 0)
		return 1;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

/*
 * Copies the file NAME of HOME into the directory COPY with MODE, if it
 * exists.  A file that is not regular is refused: gpg would not read it
 * either, and a FIFO would block.
 */
static enum getk_err
copy_file(const char *home, const char *name, const char *copy, mode_t mode,
    char *why, size_t whysz)
{
	char from[PATH_MAX], to[PATH_MAX], buf[64 * 1024];
	struct stat st;
	ssize_t len;
	int in = -1, out = -1;
	enum getk_err err = GETK_ERR_SYSTEM;

	if ((size_t)snprintf(from, sizeof(from), "%s/%s", home, name) >=
	    sizeof(from) || (size_t)snprintf(to, sizeof(to), "%s/%s", copy,
	    name) >= sizeof(to)) {
		snprintf(why, whysz, "%s: the path is too long", home);
		return GETK_ERR_SYSTEM;
	}
	in = open(from, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (in < 0 && (errno == ENOENT || errno == ENOTDIR))
		return GETK_OK;
	if (in < 0 || fstat(in, &st) != 0) {
		snprintf(why, whysz, "cannot read %s: %s", from,
		    strerror(errno));
		goto leave;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whysz, "cannot read %s: not a regular file",
		    from);
		goto leave;
	}
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (out < 0) {
		snprintf(why, whysz, "cannot copy %s: %s", from,
		    strerror(errno));
		goto leave;
	}
	while ((len = read(in, buf, sizeof(buf))) != 0) {
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0 || write(out, buf, (size_t)len) != len) {
			snprintf(why, whysz, "cannot copy %s: %s", from,
			    strerror(errno));
			goto leave;
		}
	}
	err = GETK_OK;
leave:
	if (in >= 0)
		close(in);
	if (out >= 0 && close(out) != 0 && !err) {
		snprintf(why, whysz, "cannot copy %s: %s", from,
		    strerror(errno));
		err = GETK_ERR_SYSTEM;
	}
	return err;
}

/* Non-zero when the gpg.conf line LINE sets an option that decides
 * validity. */
static int
trust_line(const char *line, size_t len)
{
	size_t i, k;

	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	for (k = 0; k < len && line[k] != ' ' && line[k] != '\t'; k++)
		;
	for (i = 0; i < sizeof(trust_options) / sizeof(trust_options[0]); i++)
		if (strlen(trust_options[i]) == k &&
		    memcmp(trust_options[i], line, k) == 0)
			return 1;
	return 0;
}

/*
 * Writes the copy's gpg.conf: the trust options of HOME's gpg.conf, so
 * that gpg rates keys under the user's trust model, and no agent.
 */
static enum getk_err
write_conf(const char *home, const char *copy, char *why, size_t whysz)
{
	struct getk_buf conf;
	char path[PATH_MAX], *text = NULL;
	FILE *f = NULL;
	size_t len = 0, pos, end;
	enum getk_err err = GETK_ERR_SYSTEM;
	int fd;

	getk_buf_init(&conf, CONF_MAX + 64);
	if ((size_t)snprintf(path, sizeof(path), "%s/gpg.conf", home) <
	    sizeof(path) && (f = fopen(path, "re")) != NULL) {
		text = malloc(CONF_MAX);
		if (!text) {
			fclose(f);
			return GETK_ERR_NOMEM;
		}
		len = fread(text, 1, CONF_MAX, f);
		fclose(f);
	}
	for (pos = 0; pos < len; pos = end + 1) {
		for (end = pos; end < len && text[end] != '\n'; end++)
			;
		if (trust_line(text + pos, end - pos) &&
		    getk_buf_add(&conf, text + pos, end - pos) == GETK_OK)
			getk_buf_adds(&conf, "\n");
	}
	free(text);
	if (getk_buf_adds(&conf, "no-autostart\n")) {
		getk_buf_free(&conf);
		return GETK_ERR_NOMEM;
	}
	snprintf(path, sizeof(path), "%s/gpg.conf", copy);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0 && write(fd, conf.data, conf.len) == (ssize_t)conf.len)
		err = GETK_OK;
	if (fd >= 0 && close(fd) != 0)
		err = GETK_ERR_SYSTEM;
	if (err)
		snprintf(why, whysz, "cannot write %s: %s", path,
		    strerror(errno));
	getk_buf_free(&conf);
	return err;
}

/* Notes the first failure gpg reports ("ERROR keylist.getkey CODE"). */
static gpgme_error_t
status_cb(void *arg, const char *keyword, const char *args)
{
	struct getk_keyring *kr = arg;
	const char *code;

	if (!keyword || strcmp(keyword, "ERROR") != 0 || !args || kr->gpg_error)
		return 0;
	code = strchr(args, ' ');
	if (code) {
		gpgme_error_t e = (gpgme_error_t)strtoul(code + 1, NULL, 10);

		/* "No public key" is only a pattern that matched nothing. */
		if (gpg_err_code(e) != GPG_ERR_NO_PUBKEY &&
		    gpg_err_code(e) != GPG_ERR_NO_ERROR)
			kr->gpg_error = e;
	}
	return 0;
}

void
getk_keyring_close(struct getk_keyring *kr)
{
	if (!kr)
		return;
	getk_key_rmhome(kr->copy);
	free(kr->home);
	free(kr);
}

enum getk_err
getk_keyring_open(const char *home, const char *tmpdir,
    struct getk_keyring **r_kr, char *why, size_t whysz)
{
	struct getk_keyring *kr = NULL;
	size_t i;
	long pid;
	enum getk_err err;

	*r_kr = NULL;
	why[0] = '\0';
	if (!getk_keyring_present(home)) {
		snprintf(why, whysz, "no keyring at %s", home);
		return GETK_ERR_NOKEY;
	}
	for (i = 0; i < sizeof(locked_files) / sizeof(locked_files[0]); i++) {
		if (held_lock(home, locked_files[i], &pid)) {
			snprintf(why, whysz, "the keyring at %s is locked: "
			    "process %ld holds %s.lock (a gpg changing it?); "
			    "not read this time", home, pid, locked_files[i]);
			return GETK_ERR_TEMPFAIL;
		}
	}
	kr = calloc(1, sizeof(*kr));
	if (!kr || !(kr->home = strdup(home))) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	err = getk_key_tmphome_named(tmpdir, "keyring", &kr->copy);
	if (err) {
		snprintf(why, whysz, "cannot make a temporary GnuPG home: %s",
		    strerror(errno));
		goto leave;
	}
	/* The copy's keyring is read only: gpg then skips its compaction
	 * run (a copy written beside it).  Its trustdb is gpg's to check
	 * and update. */
	for (i = 0; !err && i < getk_keyring_nfiles; i++)
		if (strcmp(getk_keyring_files[i], "gpg.conf") != 0)
			err = copy_file(home, getk_keyring_files[i], kr->copy,
			    strncmp(getk_keyring_files[i], "pubring.", 8) == 0 ?
			    0400 : 0600, why, whysz);
	if (!err)
		err = write_conf(home, kr->copy, why, whysz);
	if (err)
		goto leave;
	*r_kr = kr;
	kr = NULL;
leave:
	getk_keyring_close(kr);
	return err;
}

/*
 * A gpg session (gpg.c) on the copy of KR for one operation that must
 * end by DEADLINE_MS; the failures gpg reports in status lines are
 * noted in KR.
 */
static enum getk_err
session(struct getk_keyring *kr, long deadline_ms, struct getk_gpg **r_g,
    char *why, size_t whysz)
{
	gpgme_ctx_t ctx;
	gpgme_error_t gerr;
	enum getk_err err;

	err = getk_gpg_new(kr->copy, deadline_ms, r_g, why, whysz);
	if (err)
		return err;
	ctx = getk_gpg_ctx(*r_g);
	/* gpgme reports a keyring it cannot read as an empty listing; the
	 * status lines tell. */
	gerr = gpgme_set_ctx_flag(ctx, "full-status", "1");
	if (!gerr)
		gerr = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL);
	if (gerr) {
		getk_gpg_free(*r_g);
		*r_g = NULL;
		snprintf(why, whysz, "gpgme: %s", gpgme_strerror(gerr));
		return gpg_err_code(gerr) == GPG_ERR_ENOMEM ? GETK_ERR_NOMEM :
		    GETK_ERR_CRYPTO;
	}
	gpgme_set_status_cb(ctx, status_cb, kr);
	gpgme_set_armor(ctx, 0);
	kr->gpg_error = 0;
	return GETK_OK;
}

/* gpgme's validity as the trust rules name it. */
static enum getk_validity
validity_of(gpgme_validity_t v)
{
	switch (v) {
	case GPGME_VALIDITY_UNDEFINED: return GETK_VALIDITY_UNDEFINED;
	case GPGME_VALIDITY_NEVER: return GETK_VALIDITY_NEVER;
	case GPGME_VALIDITY_MARGINAL: return GETK_VALIDITY_MARGINAL;
	case GPGME_VALIDITY_FULL: return GETK_VALIDITY_FULL;
	case GPGME_VALIDITY_ULTIMATE: return GETK_VALIDITY_ULTIMATE;
	case GPGME_VALIDITY_UNKNOWN: break;
	}
	return GETK_VALIDITY_UNKNOWN;
}

/* Copies the fingerprint FPR, upper-cased, into OUT (41 bytes). */
static void
upper_fpr(const char *fpr, char out[41])
{
	char *c;

	snprintf(out, 41, "%s", fpr ? fpr : "");
	for (c = out; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
}

/*
 * Rates the listed key K for MAILBOX and keeps it in F (with its view
 * in BEST) when it is better than what F holds.
 */
static void
take_key(const char *mailbox, gpgme_key_t k, struct getk_keyring_key *best,
    struct getk_keyring_find *f)
{
	struct getk_keyring_key v;
	gpgme_user_id_t uid;
	int names = 0;		/* a valid User ID for MAILBOX seen */

	memset(&v, 0, sizeof(v));
	if (!k->subkeys || !k->subkeys->fpr)
		return;
	/* A User ID of a revoked or expired key is listed as revoked or
	 * expired itself: the key's problem then says why it is unusable. */
	for (uid = k->uids; uid; uid = uid->next) {
		if (!getk_key_uid_matches(mailbox, uid))
			continue;
		v.has_uid = 1;
		if (uid->revoked || uid->invalid)
			continue;
		if (!names || validity_of(uid->validity) > v.validity)
			v.validity = validity_of(uid->validity);
		names = 1;
	}
	if (v.has_uid && k->revoked && !f->revoked[0])
		upper_fpr(k->subkeys->fpr, f->revoked);
	if (!v.has_uid)
		return;
	v.problem = getk_key_problem(mailbox, k);
	v.created = k->subkeys->timestamp > 0 ? k->subkeys->timestamp : 0;
	if (f->verdict != GETK_KEYRING_NONE && !getk_trust_keyring_better(&v,
	    best))
		return;
	*best = v;
	f->verdict = getk_trust_keyring_rate(&v);
	upper_fpr(k->subkeys->fpr, f->fpr);
	f->created = v.created;
	f->expires = k->subkeys->expires > 0 ? k->subkeys->expires : 0;
	snprintf(f->why, sizeof(f->why), "%s", v.problem ? v.problem :
	    v.validity == GETK_VALIDITY_NEVER ? "gpg rates its User ID for "
	    "the address never valid" : "");
}

/*
 * The error of a listing or export (ERR, WHY from gpg.c), or of what gpg
 * reported in its status lines; WHAT names it in WHY.
 */
static enum getk_err
gpg_failed(struct getk_keyring *kr, enum getk_err err, const char *what,
    char *why, size_t whysz)
{
	char reason[300];

	if (!err && !kr->gpg_error)
		return GETK_OK;
	snprintf(reason, sizeof(reason), "%s", err ? why :
	    gpgme_strerror(kr->gpg_error));
	snprintf(why, whysz, "gpg cannot %s the keyring at %s: %s", what,
	    kr->home, reason);
	return err ? err : GETK_ERR_CRYPTO;
}

enum getk_err
getk_keyring_list(struct getk_keyring *kr, long deadline_ms,
    const char *const *mailboxes, size_t n, struct getk_keyring_find *finds,
    char *why, size_t whysz)
{
	struct getk_keyring_key *best = NULL;
	struct getk_gpg *g = NULL;
	const char **patterns = NULL;
	gpgme_key_t k;
	size_t i;
	enum getk_err err = GETK_ERR_NOMEM;

	why[0] = '\0';
	memset(finds, 0, n * sizeof(*finds));
	if (n == 0)
		return GETK_OK;
	best = calloc(n, sizeof(*best));
	patterns = calloc(n + 1, sizeof(*patterns));
	if (!best || !patterns)
		goto leave;
	for (i = 0; i < n; i++) {
		struct getk_buf b;

		/* <MAILBOX>: gpg's exact match of the addr-spec, which
		 * getk_mailbox_match then makes as strict as GETK.md 6.5. */
		getk_buf_init(&b, 1024);
		if (getk_buf_printf(&b, "<%s>", mailboxes[i]) ||
		    !(patterns[i] = getk_buf_take(&b, NULL)))
			goto leave;
	}
	err = session(kr, deadline_ms, &g, why, whysz);
	if (!err)
		err = getk_gpg_keylist_ext(g, patterns, why, whysz);
	while (!err && (k = getk_gpg_next_key(g)) != NULL) {
		for (i = 0; i < n; i++)
			take_key(mailboxes[i], k, &best[i], &finds[i]);
		gpgme_key_unref(k);
	}
	if (err != GETK_ERR_NOMEM)
		err = gpg_failed(kr, err, "list", why, whysz);
	if (err)
		memset(finds, 0, n * sizeof(*finds));
leave:
	getk_gpg_free(g);
	for (i = 0; patterns && i < n; i++)
		free((char *)patterns[i]);
	free(patterns);
	free(best);
	return err;
}

enum getk_err
getk_keyring_export(struct getk_keyring *kr, long deadline_ms,
    const char *const *fprs, size_t n, const time_t *created,
    const time_t *expires, struct getk_key **keys, char *why, size_t whysz)
{
	struct getk_gpg *g = NULL;
	const char **patterns = NULL;
	gpgme_data_t out = NULL;
	char *data = NULL;
	size_t len = 0, i;
	enum getk_err err = GETK_ERR_NOMEM;

	why[0] = '\0';
	memset(keys, 0, n * sizeof(*keys));
	if (n == 0)
		return GETK_OK;
	patterns = calloc(n + 1, sizeof(*patterns));
	if (!patterns)
		goto leave;
	for (i = 0; i < n; i++)
		patterns[i] = fprs[i];
	if (gpgme_data_new(&out))
		goto leave;
	err = session(kr, deadline_ms, &g, why, whysz);
	if (!err)
		err = getk_gpg_export_ext(g, patterns, GPGME_EXPORT_MODE_MINIMAL,
		    out, why, whysz);
	if (err != GETK_ERR_NOMEM)
		err = gpg_failed(kr, err, "export from", why, whysz);
	if (err)
		goto leave;
	data = gpgme_data_release_and_get_mem(out, &len);
	out = NULL;
	err = getk_key_split((const unsigned char *)data, data ? len : 0, fprs, n,
	    created, expires, keys, why, whysz);
	for (i = 0; !err && i < n; i++) {
		if (!keys[i]) {
			snprintf(why, whysz, "the key %s is not in the keyring "
			    "at %s", fprs[i], kr->home);
			err = GETK_ERR_NOKEY;
		}
	}
leave:
	for (i = 0; err && i < n; i++) {
		getk_key_free(keys[i]);
		keys[i] = NULL;
	}
	getk_gpg_free(g);
	gpgme_free(data);
	gpgme_data_release(out);
	free(patterns);
	return err;
}

enum getk_err
getk_keyring_self_key(const char *home, const char *fpr, const char *tmpdir,
    long deadline_ms, struct getk_key **r_key, char *why, size_t whysz)
{
	struct getk_keyring *kr = NULL;
	struct getk_gpg *g = NULL;
	gpgme_key_t k = NULL;
	const char *problem, *fprs[1];
	char upper[41];
	time_t expires;
	enum getk_err err;

	*r_key = NULL;
	err = getk_keyring_open(home, tmpdir, &kr, why, whysz);
	if (!err)
		err = session(kr, deadline_ms, &g, why, whysz);
	if (!err)
		err = getk_gpg_keylist(g, fpr, why, whysz);
	if (!err)
		k = getk_gpg_next_key(g);
	if (err || !k) {
		/* gpg.c's own words for a deadline: the key listing was
		 * given up, not the keyring. */
		if (err != GETK_ERR_TIMEOUT && err != GETK_ERR_NOKEY && kr)
			err = gpg_failed(kr, err, "list", why, whysz);
		if (!err) {
			err = GETK_ERR_NOKEY;
			snprintf(why, whysz, "no key %s in the keyring at %s",
			    fpr, home);
		}
		goto leave;
	}
	problem = getk_key_problem(NULL, k);
	if (problem) {
		err = GETK_ERR_BADKEY;
		snprintf(why, whysz, "%s in the keyring at %s: %s", fpr, home,
		    problem);
		goto leave;
	}
	upper_fpr(k->subkeys->fpr, upper);
	fprs[0] = upper;
	expires = k->subkeys->expires > 0 ? k->subkeys->expires : 0;
	err = getk_keyring_export(kr, deadline_ms, fprs, 1, NULL, &expires,
	    r_key, why, whysz);
leave:
	if (k)
		gpgme_key_unref(k);
	getk_gpg_free(g);
	getk_keyring_close(kr);
	return err;
}
