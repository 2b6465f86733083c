/*
 * file.c: crash-safe files and directories (file.h).
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"

enum getk_err
getk_sync_dir(int dirfd)
{
	return fsync(dirfd) == 0 ? GETK_OK : GETK_ERR_SYSTEM;
}

/* Makes DIR (0700) and syncs its parent, unless it exists already. */
static int
make_one(const char *dir)
{
	char *parent, *slash;
	int fd, saved;

	if (mkdir(dir, 0700) != 0)
		return errno == EEXIST ? 0 : -1;
	parent = strdup(dir);
	if (!parent)
		return -1;
	slash = strrchr(parent, '/');
	if (slash == parent)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	fd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved = fd >= 0 ? fsync(fd) : -1;
	if (fd >= 0)
		close(fd);
	free(parent);
	return saved;
}

enum getk_err
getk_mkdirs(const char *dir)
{
	char *p, *copy = strdup(dir);
	int ret = 0;

	if (!copy)
		return GETK_ERR_NOMEM;
	for (p = copy + 1; *p && ret == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		ret = make_one(copy);
		*p = '/';
	}
	if (ret == 0)
		ret = make_one(copy);
	free(copy);
	return ret == 0 ? GETK_OK : GETK_ERR_SYSTEM;
}

enum getk_err
getk_file_create(int dirfd, const char *name, int *r_fd)
{
	(void)unlinkat(dirfd, name, 0);
	*r_fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, 0600);
	return *r_fd >= 0 ? GETK_OK : GETK_ERR_SYSTEM;
}

enum getk_err
getk_file_write(int fd, const void *p, size_t len)
{
	const char *c = p;

	while (len) {
		ssize_t n = write(fd, c, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return GETK_ERR_SYSTEM;
		c += n;
		len -= (size_t)n;
	}
	return GETK_OK;
}

void
getk_file_abandon(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

enum getk_err
getk_file_close(int fd)
{
	if (fsync(fd) != 0) {
		getk_file_abandon(fd);
		return GETK_ERR_SYSTEM;
	}
	return close(fd) == 0 ? GETK_OK : GETK_ERR_SYSTEM;
}

enum getk_err
getk_write_file(int dirfd, const char *name, const void *p, size_t len)
{
	enum getk_err err;
	int fd;

	err = getk_file_create(dirfd, name, &fd);
	if (err)
		return err;
	err = getk_file_write(fd, p, len);
	if (err) {
		getk_file_abandon(fd);
		return err;
	}
	return getk_file_close(fd);
}

enum getk_err
getk_replace_file(int dirfd, const char *name, const void *p, size_t len)
{
	char tmp[512];
	enum getk_err err;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", name) >= sizeof(tmp))
		return GETK_ERR_NOMEM;
	err = getk_write_file(dirfd, tmp, p, len);
	if (!err && renameat(dirfd, tmp, dirfd, name) != 0)
		err = GETK_ERR_SYSTEM;
	if (!err)
		err = getk_sync_dir(dirfd);
	return err;
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
getk_remove_tree(const char *path)
{
	if (path)
		nftw(path, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}
