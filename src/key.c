/*
 * key.c: checking an offered OpenPGP key with gpgme.
 *
 * Each verification makes a throw-away GnuPG home (gpg.conf says
 * no-autostart, so no gpg-agent is left behind), imports the data with an
 * import filter that keeps only the User IDs of the queried mailbox,
 * lists what was imported, applies the checks of GETK.md 6.5 and exports
 * the winning key in binary.  Costs: three short gpg processes.
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

void
getk_key_free(struct getk_key *key)
{
	if (!key)
		return;
	free(key->data);
	free(key);
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

/* Makes a private temporary GnuPG home; *R_HOME is new. */
static enum getk_err
make_home(const char *tmpdir, char **r_home)
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
	if (getk_buf_printf(&b, "%s/getk-gpg-XXXXXX", tmpdir))
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

static int
uid_usable(const char *mailbox, gpgme_user_id_t uid)
{
	return !uid->revoked && !uid->invalid && uid->address &&
	    getk_mailbox_match(mailbox, uid->address);
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

/* Why KEY is not usable for MAILBOX, or NULL when it is. */
static const char *
key_problem(const char *mailbox, gpgme_key_t key)
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
	for (uid = key->uids; uid; uid = uid->next)
		if (uid_usable(mailbox, uid))
			has_uid = 1;
	if (!has_uid)
		return "key has no valid User ID for the address";
	for (sk = key->subkeys; sk; sk = sk->next)
		if (subkey_encrypts(sk))
			has_enc = 1;
	if (!has_enc)
		return "key has no usable encryption subkey";
	return NULL;
}

static enum getk_err
map_gpgme(gpgme_error_t gerr)
{
	if (gpg_err_code(gerr) == GPG_ERR_ENOMEM)
		return GETK_ERR_NOMEM;
	return GETK_ERR_CRYPTO;
}

enum getk_err
getk_key_verify(const char *mailbox, const unsigned char *data, size_t len,
    const char *tmpdir, struct getk_key **r_key, char *why, size_t whysz,
    char r_revoked[41])
{
	gpgme_ctx_t ctx = NULL;
	gpgme_data_t in = NULL, out = NULL;
	gpgme_key_t k = NULL, best = NULL;
	gpgme_import_result_t ires;
	gpgme_error_t gerr;
	struct getk_key *key = NULL;
	struct getk_buf filter;
	const char *problem = NULL;
	char *home = NULL, *exported;
	time_t best_time = 0;
	size_t outlen;
	enum getk_err err;

	*r_key = NULL;
	why[0] = '\0';
	r_revoked[0] = '\0';
	getk_buf_init(&filter, 1024);
	err = make_home(tmpdir, &home);
	if (err) {
		snprintf(why, whysz, "cannot make a temporary GnuPG home: %s",
		    strerror(errno));
		goto leave;
	}
	gerr = gpgme_new(&ctx);
	if (!gerr)
		gerr = gpgme_set_protocol(ctx, GPGME_PROTOCOL_OpenPGP);
	if (!gerr)
		gerr = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
		    NULL, home);
	if (gerr) {
		err = map_gpgme(gerr);
		snprintf(why, whysz, "gpgme: %s", gpgme_strerror(gerr));
		goto leave;
	}
	/* gpg compares mbox case-insensitively; key_problem() then applies
	 * the stricter rule of GETK.md 6.5. */
	if (getk_buf_printf(&filter, "keep-uid=mbox = %s", mailbox)) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	gerr = gpgme_set_ctx_flag(ctx, "import-filter", filter.data);
	if (!gerr)
		gerr = gpgme_data_new_from_mem(&in, (const char *)data, len, 0);
	if (!gerr)
		gerr = gpgme_op_import(ctx, in);
	if (gerr) {
		err = map_gpgme(gerr);
		snprintf(why, whysz, "gpg import failed: %s",
		    gpgme_strerror(gerr));
		goto leave;
	}
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
	if (!gerr)
		gerr = gpgme_op_keylist_start(ctx, NULL, 0);
	while (!gerr && !(gerr = gpgme_op_keylist_next(ctx, &k))) {
		const char *p = key_problem(mailbox, k);
		time_t t;

		if (p) {
			if (!problem)
				problem = p;
			if (k->revoked && !r_revoked[0] && k->subkeys &&
			    k->subkeys->fpr) {
				snprintf(r_revoked, 41, "%s", k->subkeys->fpr);
				for (char *c = r_revoked; *c; c++)
					if (*c >= 'a' && *c <= 'f')
						*c = (char)(*c - 'a' + 'A');
			}
			gpgme_key_unref(k);
			continue;
		}
		t = newest_selfsig(mailbox, k);
		if (!best || t > best_time) {
			if (best)
				gpgme_key_unref(best);
			best = k;
			best_time = t;
		} else {
			gpgme_key_unref(k);
		}
	}
	if (gpg_err_code(gerr) != GPG_ERR_EOF) {
		err = map_gpgme(gerr);
		snprintf(why, whysz, "gpg key listing failed: %s",
		    gpgme_strerror(gerr));
		goto leave;
	}
	if (!best) {
		err = GETK_ERR_BADKEY;
		snprintf(why, whysz, "%s", problem ? problem :
		    "key could not be imported");
		goto leave;
	}

	gerr = gpgme_data_new(&out);
	if (!gerr) {
		gpgme_set_armor(ctx, 0);
		gerr = gpgme_op_export(ctx, best->subkeys->fpr, 0, out);
	}
	if (gerr) {
		err = map_gpgme(gerr);
		snprintf(why, whysz, "gpg export failed: %s",
		    gpgme_strerror(gerr));
		goto leave;
	}
	key = calloc(1, sizeof(*key));
	if (!key) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	exported = gpgme_data_release_and_get_mem(out, &outlen);
	out = NULL;
	if (!exported || outlen == 0) {
		gpgme_free(exported);
		err = GETK_ERR_CRYPTO;
		snprintf(why, whysz, "gpg exported nothing");
		goto leave;
	}
	key->data = malloc(outlen);
	if (!key->data) {
		gpgme_free(exported);
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	memcpy(key->data, exported, outlen);
	gpgme_free(exported);
	key->len = outlen;
	snprintf(key->fpr, sizeof(key->fpr), "%s", best->subkeys->fpr);
	for (char *p = key->fpr; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	key->created = best_time;
	key->expires = best->subkeys->expires > 0 ?
	    (time_t)best->subkeys->expires : 0;
	*r_key = key;
	key = NULL;
	err = GETK_OK;
leave:
	getk_key_free(key);
	if (best)
		gpgme_key_unref(best);
	gpgme_data_release(in);
	gpgme_data_release(out);
	if (ctx)
		gpgme_release(ctx);
	if (home) {
		nftw(home, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		free(home);
	}
	getk_buf_free(&filter);
	return err;
}

enum getk_err
getk_key_from_data(const unsigned char *data, size_t len, const char *fpr,
    time_t created, time_t expires, struct getk_key **r_key)
{
	struct getk_key *key;

	*r_key = NULL;
	key = calloc(1, sizeof(*key));
	if (!key || !(key->data = malloc(len ? len : 1))) {
		free(key);
		return GETK_ERR_NOMEM;
	}
	memcpy(key->data, data, len);
	key->len = len;
	snprintf(key->fpr, sizeof(key->fpr), "%s", fpr);
	key->created = created;
	key->expires = expires;
	*r_key = key;
	return GETK_OK;
}

/* Imports LEN bytes at DATA into the keyring of CTX. */
static gpgme_error_t
import_mem(gpgme_ctx_t ctx, const unsigned char *data, size_t len)
{
	gpgme_data_t in = NULL;
	gpgme_error_t gerr;

	gerr = gpgme_data_new_from_mem(&in, (const char *)data, len, 0);
	if (!gerr)
		gerr = gpgme_op_import(ctx, in);
	gpgme_data_release(in);
	return gerr;
}

enum getk_err
getk_key_certifies(const unsigned char *old_key, size_t old_len,
    const char *old_fpr, const unsigned char *new_key, size_t new_len,
    const char *new_fpr, const char *tmpdir, int *r_yes)
{
	gpgme_ctx_t ctx = NULL;
	gpgme_key_t k = NULL;
	gpgme_user_id_t uid;
	gpgme_key_sig_t sig;
	gpgme_error_t gerr;
	char *home = NULL;
	const char *old_keyid;
	enum getk_err err;

	*r_yes = 0;
	if (strlen(old_fpr) < 16)
		return GETK_ERR_INVAL;
	old_keyid = old_fpr + strlen(old_fpr) - 16;
	err = make_home(tmpdir, &home);
	if (err)
		return err;
	gerr = gpgme_new(&ctx);
	if (!gerr)
		gerr = gpgme_ctx_set_engine_info(ctx, GPGME_PROTOCOL_OpenPGP,
		    NULL, home);
	if (!gerr)
		gerr = import_mem(ctx, old_key, old_len);
	if (!gerr)
		gerr = import_mem(ctx, new_key, new_len);
	/* With SIGS, gpgme lists with --check-sigs: each signature's status
	 * says whether it verified against a key in the keyring. */
	if (!gerr)
		gerr = gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL |
		    GPGME_KEYLIST_MODE_SIGS);
	if (!gerr)
		gerr = gpgme_get_key(ctx, new_fpr, &k, 0);
	if (gerr) {
		err = map_gpgme(gerr);
		goto leave;
	}
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
	err = GETK_OK;
leave:
	if (k)
		gpgme_key_unref(k);
	if (ctx)
		gpgme_release(ctx);
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
	return make_home(tmpdir, r_home);
}

void
getk_key_rmhome(char *home)
{
	if (!home)
		return;
	nftw(home, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(home);
}
