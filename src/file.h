/*
 * file.h: files and directories that survive a crash.
 *
 * What the queue and the key cache write must be whole or absent after
 * a kill -9 or a power cut at any moment: a file is written under a
 * name no reader looks at, synced, then renamed into place, and the
 * directory that holds it is synced so that the rename itself lasts.
 */
#ifndef GETK_FILE_H
#define GETK_FILE_H

#include <stddef.h>

#include "error.h"

/*
 * mkdir -p DIR: every missing directory is made with mode 0700 and
 * synced into its parent.  GETK_ERR_SYSTEM (errno set), GETK_ERR_NOMEM.
 */
enum getk_err getk_mkdirs(const char *dir);

/* fsync(2) of the directory open at DIRFD.  GETK_ERR_SYSTEM. */
enum getk_err getk_sync_dir(int dirfd);

/*
 * Creates the file NAME in the directory open at DIRFD, mode 0600, for
 * writing, into *R_FD; a file of that name is removed first (a link is
 * never followed).  GETK_ERR_SYSTEM (errno set).
 */
enum getk_err getk_file_create(int dirfd, const char *name, int *r_fd);

/* Writes all LEN bytes at P to FD.  GETK_ERR_SYSTEM (errno set). */
enum getk_err getk_file_write(int fd, const void *p, size_t len);

/*
 * Syncs FD to disk and closes it, also when the sync fails.
 * GETK_ERR_SYSTEM (errno set).
 */
enum getk_err getk_file_close(int fd);

/*
 * Closes FD, a file being written that failed, without syncing it;
 * errno stays that of the failure.
 */
void getk_file_abandon(int fd);

/*
 * Writes the LEN bytes at P to a new file NAME in the directory open at
 * DIRFD (getk_file_create, then synced).  The directory is not synced:
 * see getk_replace_file.  GETK_ERR_SYSTEM (errno set).
 */
enum getk_err getk_write_file(int dirfd, const char *name, const void *p,
    size_t len);

/*
 * Replaces the file NAME in the directory open at DIRFD by the LEN bytes
 * at P, so that a reader finds the old contents or the new, never a
 * mixture, whatever happens: they are written to NAME.tmp, synced,
 * renamed to NAME, and the directory synced.  GETK_ERR_SYSTEM (errno
 * set), GETK_ERR_NOMEM.
 */
enum getk_err getk_replace_file(int dirfd, const char *name, const void *p,
    size_t len);

/*
 * rm -rf PATH: removes what it can of the tree, links not followed (a
 * throw-away GnuPG home, a test's directory).  NULL is ignored.
 */
void getk_remove_tree(const char *path);

#endif
