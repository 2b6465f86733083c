/*
 * key.c: checking an offered OpenPGP key with gpgme.
 *
 * Each verification makes a throw-away GnuPG home (gpg.conf says
 * no-autostart, so no gpg-agent is left behind), imports the data with an
 * import filter that keeps only the User IDs of the queried mailbox,
 * lists what was imported, applies the checks of GETK.md 6.5 and exports
 * the winning key in binary.  Costs: three short gpg processes.  Every
 * gpg runs through gpg.c, under the caller's deadline, and no byte
 * reaches gpg before packet.c has found it to be a public key.
 */
#include <config.h>

#define _XOPEN_SOURCE_EXTENDED 1
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gcrypt.h>
#include <gpgme.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "gpg.h"
#include "key.h"

enum getk_err
getk_key_init(void)
{
	if (!gcry_check_version(GCRYPT_VERSION))
		return GETK_ERR_CRYPTO;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return GETK_OK;
}

enum getk_err
getk_key_engine_init(void)
{
	if (!gpgme_check_version(NULL))
		return GETK_ERR_CRYPTO;
	if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP))
		return GETK_ERR_CRYPTO;
	return GETK_OK;
}

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Makes a private temporary GnuPG home getk-NAME-XXXXXX; *R_HOME is
 * new. */
static enum getk_err
make_home(const char *tmpdir, const char *name, char **r_home)
{
	struct getk_buf b;
	char *home;
	int fd;
	static const char conf[] = "no-autostart\nno-auto-check-trustdb\n"
	    "trust-model always\n";

	*r_home = NULL;
	if (!tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	getk_buf_init(&b, 4096);
	if (getk_buf_printf(&b, "%s/getk-%s-XXXXXX", tmpdir, name))
		return GETK_ERR_NOMEM;
	home = getk_buf_take(&b, NULL);
	if (!home)
		return GETK_ERR_NOMEM;
	if (!mkdtemp(home)) {
		free(home);
		return GETK_ERR_SYSTEM;
	}
	getk_buf_init(&b, 4096);
	if (getk_buf_printf(&b, "%s/gpg.conf", home)) {
		rmdir(home);
		free(home);
		return GETK_ERR_NOMEM;
	}
	fd = open(b.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	getk_buf_free(&b);
	if (fd < 0 || write(fd, conf, sizeof(conf) - 1) !=
	    (ssize_t)(sizeof(conf) - 1)) {
		if (fd >= 0)
			close(fd);
		nftw(home, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		free(home);
		return GETK_ERR_SYSTEM;
	}
	close(fd);
	*r_home = home;
	return GETK_OK;
}

int
getk_key_uid_matches(const char *mailbox, gpgme_user_id_t uid)
{
	char spec[GETK_MAX_MAILBOX + 1];
	const char *p;
	size_t len;

	/* gpgme's uid->address is lower-cased: match the spelling. */
	p = getk_uid_addr_spec(uid->uid, uid->address, &len);
	if (!p || len >= sizeof(spec))
		return 0;
	memcpy(spec, p, len);
	spec[len] = '\0';
	return getk_mailbox_match(mailbox, spec);
}

static int
uid_usable(const char *mailbox, gpgme_user_id_t uid)
{
	return !uid->revoked && !uid->invalid &&
	    getk_key_uid_matches(mailbox, uid);
}

static int
subkey_encrypts(gpgme_subkey_t sk)
{
	return sk->can_encrypt && !sk->expired && !sk->revoked &&
	    !sk->invalid && !sk->disabled;
}

/* The newest self-signature on the usable UIDs of KEY, or 0. */
static time_t
newest_selfsig(const char *mailbox, gpgme_key_t key)
{
	gpgme_user_id_t uid;
	gpgme_key_sig_t sig;
	time_t best = 0;

	for (uid = key->uids; uid; uid = uid->next) {
		if (!uid_usable(mailbox, uid))
			continue;
		for (sig = uid->signatures; sig; sig = sig->next) {
			if (sig->revoked || sig->expired || sig->invalid ||
			    !sig->keyid || strcmp(sig->keyid,
			    key->subkeys->keyid) != 0)
				continue;
			if (sig->timestamp > 0 && sig->timestamp > best)
				best = sig->timestamp;
		}
	}
	return best ? best : key->subkeys->timestamp;
}

const char *
getk_key_problem(const char *mailbox, gpgme_key_t key)
{
	gpgme_user_id_t uid;
	gpgme_subkey_t sk;
	int has_uid = 0, has_enc = 0;

	if (!key->subkeys || !key->subkeys->fpr)
		return "key has no primary key";
	if (key->revoked)
		return "key is revoked";
	if (key->expired)
		return "key has expired";
	if (key->invalid || key->disabled)
		return "key is invalid";
	for (uid = key->uids; mailbox && uid; uid = uid->next)
		if (uid_usable(mailbox, uid))
			has_uid = 1;
	if (mailbox && !has_uid)
		return "key has no valid User ID for the address";
	for (sk = key->subkeys; sk; sk = sk->next)
		if (subkey_encrypts(sk))
			has_enc = 1;
	if (!has_enc)
		return "key has no usable encryption subkey";
	return NULL;
}

/* Fingerprints are written in upper-case hex. */
static void
upper_hex(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
}

/*
 * Takes the listed keys of G: the best usable one for MAILBOX goes to
 * *R_BEST (with the time of its newest self-signature in *R_TIME), the
 * first problem to *R_PROBLEM, a revoked key's fingerprint to R_REVOKED.
 */
static void
pick_key(struct getk_gpg *g, const char *mailbox, gpgme_key_t *r_best,
    time_t *r_time, const char **r_problem, char r_revoked[41])
{
	gpgme_key_t k;

	while ((k = getk_gpg_next_key(g)) != NULL) {
		const char *p = getk_key_problem(mailbox, k);
		time_t t;

		if (p) {
			if (!*r_problem)
				*r_problem = p;
			if (k->revoked && !r_revoked[0] && k->subkeys &&
			    k->subkeys->fpr) {
				snprintf(r_revoked, 41, "%s", k->subkeys->fpr);
				upper_hex(r_revoked);
			}
			gpgme_key_unref(k);
			continue;
		}
		t = newest_selfsig(mailbox, k);
		if (!*r_best || t > *r_time) {
			if (*r_best)
				gpgme_key_unref(*r_best);
			*r_best = k;
			*r_time = t;
		} else {
			gpgme_key_unref(k);
		}
	}
}

/*
 * Exports the key FPR from G in MODE into a new key record *R_KEY.
 * GETK_ERR_CRYPTO when gpg exported nothing, and the errors of
 * getk_gpg_export().
 */
static enum getk_err
export_key(struct getk_gpg *g, const char *fpr, gpgme_export_mode_t mode,
    time_t created, time_t expires, struct getk_key **r_key, char *why,
    size_t whysz)
{
	gpgme_data_t out = NULL;
	char *exported = NULL, upper[41];
	size_t outlen = 0;
	gpgme_error_t gerr;
	enum getk_err err;

	*r_key = NULL;
	gerr = gpgme_data_new(&out);
	if (gerr) {
		snprintf(why, whysz, "gpgme: %s", gpgme_strerror(gerr));
		return GETK_ERR_NOMEM;
	}
	gpgme_set_armor(getk_gpg_ctx(g), 0);
	err = getk_gpg_export(g, fpr, mode, out, why, whysz);
	if (!err) {
		exported = gpgme_data_release_and_get_mem(out, &outlen);
		out = NULL;
		if (!exported || outlen == 0) {
			err = GETK_ERR_CRYPTO;
			snprintf(why, whysz, "gpg exported nothing");
		}
	}
	if (!err) {
		snprintf(upper, sizeof(upper), "%s", fpr);
		upper_hex(upper);
		err = getk_key_from_data((unsigned char *)exported, outlen, upper,
		    created, expires, r_key);
	}
	gpgme_free(exported);
	gpgme_data_release(out);
	return err;
}

enum getk_err
getk_key_verify(const char *mailbox, const unsigned char *data, size_t len,
    const char *tmpdir, long deadline_ms, struct getk_key **r_key, char *why,
    size_t whysz, char r_revoked[41])
{
	struct getk_gpg *g = NULL;
	gpgme_ctx_t ctx;
	gpgme_key_t best = NULL;
	gpgme_import_result_t ires;
	gpgme_error_t gerr;
	struct getk_buf filter;
	const char *problem = NULL;
	char *home = NULL;
	time_t best_time = 0;
	enum getk_err err;

	*r_key = NULL;
	why[0] = '\0';
	r_revoked[0] = '\0';
	getk_buf_init(&filter, 1024);
	err = make_home(tmpdir, "gpg", &home);
	if (err) {
		snprintf(why, whysz, "cannot make a temporary GnuPG home: %s",
		    strerror(errno));
		goto leave;
	}
	err = getk_gpg_new(home, deadline_ms, &g, why, whysz);
	if (err)
		goto leave;
	ctx = getk_gpg_ctx(g);
	/* gpg compares mbox case-insensitively; getk_key_problem() then
	 * applies the stricter rule of GETK.md 6.5. */
	if (getk_buf_printf(&filter, "keep-uid=mbox = %s", mailbox)) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	gerr = gpgme_set_ctx_flag(ctx, "import-filter", filter.data);
	if (gerr) {
		err = GETK_ERR_CRYPTO;
		snprintf(why, whysz, "gpgme: %s", gpgme_strerror(gerr));
		goto leave;
	}
	err = getk_gpg_import(g, data, len, why, whysz);
	if (err)
		goto leave;
	ires = gpgme_op_import_result(ctx);
	if (!ires || ires->considered == 0) {
		err = GETK_ERR_BADKEY;
		snprintf(why, whysz, "offered data holds no OpenPGP key");
		goto leave;
	}
	if (ires->imported + ires->unchanged == 0) {
		err = GETK_ERR_BADKEY;
		snprintf(why, whysz, "%s", ires->no_user_id ?
		    "key has no valid User ID for the address" :
		    "key could not be imported");
		goto leave;
	}

	gerr = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL |
	    GPGME_KEYLIST_MODE_SIGS);
	if (gerr) {
		err = GETK_ERR_CRYPTO;
		snprintf(why, whysz, "gpgme: %s", gpgme_strerror(gerr));
		goto leave;
	}
	err = getk_gpg_keylist(g, NULL, why, whysz);
	if (err)
		goto leave;
	pick_key(g, mailbox, &best, &best_time, &problem, r_revoked);
	if (!best) {
		err = GETK_ERR_BADKEY;
		snprintf(why, whysz, "%s", problem ? problem :
		    "key could not be imported");
		goto leave;
	}
	err = export_key(g, best->subkeys->fpr, 0, best_time,
	    best->subkeys->expires > 0 ? (time_t)best->subkeys->expires : 0,
	    r_key, why, whysz);
leave:
	if (best)
		gpgme_key_unref(best);
	/* gpg has ended, or was killed and is gone: its home can go. */
	getk_gpg_free(g);
	if (home) {
		nftw(home, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		free(home);
	}
	getk_buf_free(&filter);
	return err;
}

enum getk_err
getk_key_certifies(const unsigned char *old_key, size_t old_len,
    const char *old_fpr, const unsigned char *new_key, size_t new_len,
    const char *new_fpr, const char *tmpdir, long deadline_ms, int *r_yes)
{
	struct getk_gpg *g = NULL;
	gpgme_key_t k = NULL;
	gpgme_user_id_t uid;
	gpgme_key_sig_t sig;
	char *home = NULL, why[256];
	const char *old_keyid;
	enum getk_err err;

	*r_yes = 0;
	if (strlen(old_fpr) < 16)
		return GETK_ERR_INVAL;
	old_keyid = old_fpr + strlen(old_fpr) - 16;
	err = make_home(tmpdir, "gpg", &home);
	if (err)
		return err;
	err = getk_gpg_new(home, deadline_ms, &g, why, sizeof(why));
	if (!err)
		err = getk_gpg_import(g, old_key, old_len, why, sizeof(why));
	if (!err)
		err = getk_gpg_import(g, new_key, new_len, why, sizeof(why));
	/* With SIGS, gpgme lists with --check-sigs: each signature's status
	 * says whether it verified against a key in the keyring. */
	if (!err && gpgme_set_keylist_mode(getk_gpg_ctx(g),
	    GPGME_KEYLIST_MODE_LOCAL | GPGME_KEYLIST_MODE_SIGS))
		err = GETK_ERR_CRYPTO;
	if (!err)
		err = getk_gpg_keylist(g, new_fpr, why, sizeof(why));
	if (!err && !(k = getk_gpg_next_key(g)))
		err = GETK_ERR_CRYPTO;
	if (err)
		goto leave;
	for (uid = k->uids; uid && !*r_yes; uid = uid->next) {
		if (uid->revoked || uid->invalid)
			continue;
		for (sig = uid->signatures; sig; sig = sig->next) {
			if (sig->keyid && strcasecmp(sig->keyid, old_keyid) == 0 &&
			    gpg_err_code(sig->status) == GPG_ERR_NO_ERROR &&
			    !sig->revoked && !sig->expired && !sig->invalid) {
				*r_yes = 1;
				break;
			}
		}
	}
leave:
	if (k)
		gpgme_key_unref(k);
	getk_gpg_free(g);
	nftw(home, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(home);
	return err;
}

void
getk_key_digest(const unsigned char *data, size_t len, char hex[65])
{
	unsigned char md[32];
	size_t i;

	gcry_md_hash_buffer(GCRY_MD_SHA256, md, data, len);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

enum getk_err
getk_key_tmphome(const char *tmpdir, char **r_home)
{
	return make_home(tmpdir, "gpg", r_home);
}

enum getk_err
getk_key_tmphome_named(const char *tmpdir, const char *name, char **r_home)
{
	return make_home(tmpdir, name, r_home);
}

void
getk_key_rmhome(char *home)
{
	if (!home)
		return;
	nftw(home, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(home);
}
