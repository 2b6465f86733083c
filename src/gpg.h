/*
 * gpg.h: every gpg that getk runs, each under a deadline.
 *
 * A session is a gpgme context whose I/O goes through this module's own
 * poll loop (gpgme_set_io_cbs), so that an operation can be given up when
 * its deadline passes; the gpg process behind it is then killed and
 * waited for, since gpgme never kills it (gpgme double-forks, so gpg is
 * not even getk's child).  Key data reaches gpg only through
 * getk_gpg_import() and getk_gpg_encrypt_to(), after
 * getk_packet_check_key().
 *
 * Deadlines are absolute, in milliseconds of getk_mono_ms() (clock.h);
 * 0 means none.  An operation whose deadline has passed is not started.
 */
#ifndef GETK_GPG_H
#define GETK_GPG_H

#include <stddef.h>

#include <gpgme.h>

#include "error.h"

struct getk_gpg;

/*
 * A new session for OpenPGP in the GnuPG home HOME (NULL: the user's, as
 * gpg finds it) whose operations must end by DEADLINE_MS.
 * GETK_ERR_CRYPTO with WHY (WHYSZ bytes) set, GETK_ERR_NOMEM.
 */
enum getk_err getk_gpg_new(const char *home, long deadline_ms,
    struct getk_gpg **r_gpg, char *why, size_t whysz);

/* Frees a session and every key it still holds; NULL is a no-op. */
void getk_gpg_free(struct getk_gpg *g);

/*
 * The session's context, for settings (armor, keylist mode, flags) and
 * results (gpgme_op_import_result ...); its operations are started only
 * by the functions below.
 */
gpgme_ctx_t getk_gpg_ctx(struct getk_gpg *g);

/* Sets the deadline of the session's later operations (0: none). */
void getk_gpg_set_deadline(struct getk_gpg *g, long deadline_ms);

/*
 * The errors of the operations below: GETK_ERR_TIMEOUT when the deadline
 * passed (gpg was killed, and is gone); GETK_ERR_CRYPTO when gpg failed
 * (WHY has gpgme's reason); GETK_ERR_SYSTEM, GETK_ERR_NOMEM.  WHY (WHYSZ
 * bytes) is set for every error.
 */

/*
 * Imports the LEN bytes at DATA.  First they must pass
 * getk_packet_check_key(): if not, GETK_ERR_BADKEY with WHY "not a
 * transferable public key: ...", and gpg never sees them.
 */
enum getk_err getk_gpg_import(struct getk_gpg *g, const unsigned char *data,
    size_t len, char *why, size_t whysz);

/*
 * Lists the keys of the session's keyring that match PATTERN (NULL: all)
 * in the context's keylist mode; take them with getk_gpg_next_key().
 */
enum getk_err getk_gpg_keylist(struct getk_gpg *g, const char *pattern,
    char *why, size_t whysz);

/*
 * Lists, in one gpg run, the keys that match any of the NULL-terminated
 * PATTERNS (NULL: all), as getk_gpg_keylist does.
 */
enum getk_err getk_gpg_keylist_ext(struct getk_gpg *g,
    const char *const *patterns, char *why, size_t whysz);

/*
 * The next key of the last listing, in gpg's order, or NULL when there is
 * no more; the caller owns it (gpgme_key_unref).
 */
gpgme_key_t getk_gpg_next_key(struct getk_gpg *g);

/* Exports the key FPR in MODE (GPGME_EXPORT_MODE_*) to OUT. */
enum getk_err getk_gpg_export(struct getk_gpg *g, const char *fpr,
    gpgme_export_mode_t mode, gpgme_data_t out, char *why, size_t whysz);

/*
 * Exports, in one gpg run, the keys that the NULL-terminated PATTERNS
 * name, one after the other in gpg's order, as getk_gpg_export does.
 */
enum getk_err getk_gpg_export_ext(struct getk_gpg *g,
    const char *const *patterns, gpgme_export_mode_t mode, gpgme_data_t out,
    char *why, size_t whysz);

/*
 * Encrypts PLAIN to CIPHER for RECIPIENTS (gpgme_op_encrypt_ext's
 * string: fingerprints, one a line) with FLAGS.
 */
enum getk_err getk_gpg_encrypt(struct getk_gpg *g, const char *recipients,
    gpgme_encrypt_flags_t flags, gpgme_data_t plain, gpgme_data_t cipher,
    char *why, size_t whysz);

/* A recipient's key for getk_gpg_encrypt_to: a transferable public key. */
struct getk_gpg_rcpt {
	const unsigned char *data;	/* binary, LEN bytes */
	size_t len;
};

/*
 * Encrypts PLAIN to CIPHER with FLAGS for the N keys at RCPTS, in one
 * gpg run that reads each key from a file (gpg's --recipient-file), so
 * that no import, no keyring and no second gpg process is needed: as
 * many gpg processes as `gpg --encrypt` itself.  The files are written
 * into the session's home, which must be a throw-away one (getk_gpg_new
 * with a HOME; it goes with the home).  Each key must first pass
 * getk_packet_check_key(), as for getk_gpg_import(): if not,
 * GETK_ERR_BADKEY with WHY "not a transferable public key: ...", and gpg
 * never sees it.  GETK_ERR_CRYPTO also when gpg refuses a key.
 */
enum getk_err getk_gpg_encrypt_to(struct getk_gpg *g,
    const struct getk_gpg_rcpt *rcpts, size_t n, gpgme_encrypt_flags_t flags,
    gpgme_data_t plain, gpgme_data_t cipher, char *why, size_t whysz);

#endif
