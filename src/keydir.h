/*
 * keydir.h: the keys getkd serves, from a Web Key Directory on disk.
 *
 * The layout is the one gpg-wks-server --install-key writes and a WKD
 * web server publishes: KEY_DIR/DOMAIN/hu/HASH, HASH the z-base-32 of the
 * SHA-1 of the lower-cased local part (getk_wkd_hash), each file one or
 * more binary transferable public keys.  The list of domains is read once
 * (and again on reload); the key files are looked at at every lookup and
 * kept in memory while they are unchanged.
 */
#ifndef GETK_KEYDIR_H
#define GETK_KEYDIR_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* The largest key file served (GETK.md section 3). */
#define GETK_KEYDIR_MAX 65536

struct getk_keydir;

/*
 * A key directory at DIR answering for DOMAINS (a NULL-terminated list,
 * compared ASCII case-insensitively), or when DOMAINS is NULL or empty
 * for every subdirectory of DIR whose name is a domain name.  A DIR that
 * cannot be listed is GETK_ERR_SYSTEM (errno) when DOMAINS is not given;
 * with DOMAINS it is only read at lookups.  GETK_ERR_NOMEM.
 */
enum getk_err getk_keydir_new(const char *dir, char *const *domains,
    struct getk_keydir **r_kd);

/* Frees a key directory; NULL is a no-op. */
void getk_keydir_free(struct getk_keydir *kd);

/* The number of domains served, and the Ith of them (lower case). */
size_t getk_keydir_ndomains(const struct getk_keydir *kd);
const char *getk_keydir_domain(const struct getk_keydir *kd, size_t i);

/* Non-zero when KD answers for the DLEN bytes at DOMAIN. */
int getk_keydir_serves(const struct getk_keydir *kd, const char *domain,
    size_t dlen);

/*
 * Looks up the key of LOCAL (LLEN bytes, as the client sent it) at
 * DOMAIN, a domain KD serves, and appends the key file to KEY.  The same
 * work is done whether or not the user exists: the hash, one stat(2)
 * (a file that is there is read when it is not in KD's cache, or changed
 * since; a missing one is never remembered).
 * GETK_OK with the key; GETK_ERR_NOKEY when there is no file, and also
 * when the file is larger than GETK_KEYDIR_MAX or not transferable public
 * keys by their packets (getk_packet_check_key), with *R_WHY saying which
 * (NULL for "no file"), for the log;
 * GETK_ERR_SYSTEM when the directory cannot be read (errno); GETK_ERR_INVAL
 * for a domain not served; GETK_ERR_NOMEM.
 */
enum getk_err getk_keydir_lookup(struct getk_keydir *kd,
    const char *local, size_t llen, const char *domain, size_t dlen,
    struct getk_buf *key, const char **r_why);

#endif
