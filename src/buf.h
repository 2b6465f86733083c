/*
 * buf.h: a growable byte buffer with an explicit size limit, and the
 * NULL-terminated string arrays the library hands out.
 *
 * Everything the library reads from the network or from a user goes into
 * one of these, so that every such read has a limit (STYLE.md 9).  The
 * contents are always followed by a NUL byte that is not counted in len.
 */
#ifndef GETK_BUF_H
#define GETK_BUF_H

#include <stddef.h>

#include "error.h"

struct getk_buf {
	char *data;	/* the bytes, NUL-terminated; NULL while empty */
	size_t len;	/* bytes in use, without the NUL */
	size_t cap;	/* bytes allocated */
	size_t max;	/* limit on len; 0 means no limit */
};

/* Sets up B as an empty buffer that may hold up to MAX bytes (0: none). */
void getk_buf_init(struct getk_buf *b, size_t max);

/*
 * Appends LEN bytes at P.  GETK_ERR_TOOBIG when that would pass the limit
 * (the buffer is then unchanged), GETK_ERR_NOMEM.
 */
enum getk_err getk_buf_add(struct getk_buf *b, const void *p, size_t len);

/*
 * Makes room for EXTRA more bytes, so that appending them allocates
 * nothing; as getk_buf_add.
 */
enum getk_err getk_buf_reserve(struct getk_buf *b, size_t extra);

/* Appends a NUL-terminated string; as getk_buf_add. */
enum getk_err getk_buf_adds(struct getk_buf *b, const char *s);

/* Appends formatted text; as getk_buf_add. */
enum getk_err getk_buf_printf(struct getk_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Appends everything read from the file descriptor FD up to its end.
 * GETK_ERR_TOOBIG when that passes the limit (the buffer then holds part
 * of the file), GETK_ERR_SYSTEM when read(2) fails (errno says why),
 * GETK_ERR_NOMEM.
 */
enum getk_err getk_buf_read_fd(struct getk_buf *b, int fd);

/* Takes the contents out (the caller frees them); B is left empty. */
char *getk_buf_take(struct getk_buf *b, size_t *r_len);

/* Frees the contents; B is left empty and may be used again. */
void getk_buf_free(struct getk_buf *b);

/*
 * Frees a NULL-terminated array of strings and the strings (address
 * lists, configuration lists, the store's due addresses); NULL is a
 * no-op.
 */
void getk_strv_free(char **v);

/*
 * Appends a copy of S to the NULL-terminated array *PV (NULL: empty), the
 * values of a repeatable configuration keyword.  GETK_ERR_NOMEM, *PV
 * unchanged.
 */
enum getk_err getk_strv_add(char ***pv, const char *s);

#endif
