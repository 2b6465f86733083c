/*
 * spool.h: an anonymous temporary file for message data.
 *
 * A message may be far larger than memory should hold, and getk-sendmail
 * reads it more than once (once per encrypted copy), so bodies and
 * ciphertext go to spool files: created 0600 and unlinked at once, so
 * that nothing is left behind whatever happens to the process.
 */
#ifndef GETK_SPOOL_H
#define GETK_SPOOL_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"

struct getk_spool;

/*
 * A new empty spool in TMPDIR (NULL: $TMPDIR, else /tmp).
 * GETK_ERR_SYSTEM, GETK_ERR_NOMEM.
 */
enum getk_err getk_spool_new(const char *tmpdir, struct getk_spool **r_spool);

/*
 * A spool over the file open at FD, which is taken (closed by
 * getk_spool_free) and only read: a queued message is read in place.
 * Its size is the file's.  GETK_ERR_SYSTEM, GETK_ERR_NOMEM.
 */
enum getk_err getk_spool_open(int fd, struct getk_spool **r_spool);

/* Frees the spool and its file; NULL is a no-op. */
void getk_spool_free(struct getk_spool *spool);

/* Appends LEN bytes.  GETK_ERR_SYSTEM (disk full, ...). */
enum getk_err getk_spool_write(struct getk_spool *spool, const void *p,
    size_t len);

/* Appends a string. */
enum getk_err getk_spool_puts(struct getk_spool *spool, const char *s);

/*
 * Reads up to LEN bytes at offset OFF into P; *R_GOT is 0 at the end.
 * GETK_ERR_SYSTEM.
 */
enum getk_err getk_spool_read(struct getk_spool *spool, off_t off, void *p,
    size_t len, size_t *r_got);

/* The bytes written so far. */
off_t getk_spool_size(const struct getk_spool *spool);

/* Appends the bytes of SRC from offset OFF to its end. */
enum getk_err getk_spool_copy(struct getk_spool *dst, struct getk_spool *src,
    off_t off);

#endif
