/*
 * spool.c: anonymous temporary files, written with buffering.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define SPOOL_BUF 65536

struct getk_spool {
	int fd;
	off_t size;		/* bytes in the file plus the buffer */
	size_t buffered;	/* bytes in buf not yet written */
	char buf[SPOOL_BUF];
};

enum getk_err
getk_spool_new(const char *tmpdir, struct getk_spool **r_spool)
{
	struct getk_spool *s;
	char path[4096];
	int n;

	*r_spool = NULL;
	if (!tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	s = calloc(1, sizeof(*s));
	if (!s)
		return GETK_ERR_NOMEM;
	/* O_TMPFILE where the file system has it, else mkstemp + unlink. */
	s->fd = open(tmpdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		n = snprintf(path, sizeof(path), "%s/getk-spool-XXXXXX", tmpdir);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			free(s);
			return GETK_ERR_INVAL;
		}
		s->fd = mkostemp(path, O_CLOEXEC);
		if (s->fd >= 0)
			unlink(path);
	}
	if (s->fd < 0) {
		free(s);
		return GETK_ERR_SYSTEM;
	}
	*r_spool = s;
	return GETK_OK;
}

enum getk_err
getk_spool_open(int fd, struct getk_spool **r_spool)
{
	struct getk_spool *s;
	struct stat st;

	*r_spool = NULL;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return GETK_ERR_SYSTEM;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return GETK_ERR_NOMEM;
	}
	s->fd = fd;
	s->size = st.st_size;
	*r_spool = s;
	return GETK_OK;
}

void
getk_spool_free(struct getk_spool *spool)
{
	if (!spool)
		return;
	close(spool->fd);
	free(spool);
}

static enum getk_err
spool_flush(struct getk_spool *s)
{
	size_t done = 0;

	while (done < s->buffered) {
		ssize_t n = pwrite(s->fd, s->buf + done, s->buffered - done,
		    s->size - (off_t)s->buffered + (off_t)done);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return GETK_ERR_SYSTEM;
		}
		done += (size_t)n;
	}
	s->buffered = 0;
	return GETK_OK;
}

enum getk_err
getk_spool_write(struct getk_spool *s, const void *p, size_t len)
{
	const char *c = p;
	enum getk_err err;

	while (len) {
		size_t room = SPOOL_BUF - s->buffered, n = len < room ? len : room;

		memcpy(s->buf + s->buffered, c, n);
		s->buffered += n;
		s->size += (off_t)n;
		c += n;
		len -= n;
		if (s->buffered == SPOOL_BUF) {
			err = spool_flush(s);
			if (err)
				return err;
		}
	}
	return GETK_OK;
}

enum getk_err
getk_spool_puts(struct getk_spool *s, const char *str)
{
	return getk_spool_write(s, str, strlen(str));
}

enum getk_err
getk_spool_read(struct getk_spool *s, off_t off, void *p, size_t len,
    size_t *r_got)
{
	enum getk_err err;
	ssize_t n;

	*r_got = 0;
	if (s->buffered) {
		err = spool_flush(s);
		if (err)
			return err;
	}
	do
		n = pread(s->fd, p, len, off);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return GETK_ERR_SYSTEM;
	*r_got = (size_t)n;
	return GETK_OK;
}

off_t
getk_spool_size(const struct getk_spool *s)
{
	return s->size;
}

enum getk_err
getk_spool_copy(struct getk_spool *dst, struct getk_spool *src, off_t off)
{
	char buf[SPOOL_BUF];
	size_t got;
	enum getk_err err;

	for (;;) {
		err = getk_spool_read(src, off, buf, sizeof(buf), &got);
		if (err || got == 0)
			return err;
		err = getk_spool_write(dst, buf, got);
		if (err)
			return err;
		off += (off_t)got;
	}
}
