/*
 * buf.c: a growable byte buffer with an explicit size limit.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"

void
getk_buf_init(struct getk_buf *b, size_t max)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->max = max;
}

static enum getk_err
buf_reserve(struct getk_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > (size_t)-1 - b->len - 1)
		return GETK_ERR_TOOBIG;
	if (b->max && b->len + extra > b->max)
		return GETK_ERR_TOOBIG;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return GETK_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > (size_t)-1 / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return GETK_ERR_NOMEM;
	b->data = p;
	b->cap = cap;
	return GETK_OK;
}

enum getk_err
getk_buf_reserve(struct getk_buf *b, size_t extra)
{
	return buf_reserve(b, extra);
}

enum getk_err
getk_buf_add(struct getk_buf *b, const void *p, size_t len)
{
	enum getk_err err;

	err = buf_reserve(b, len);
	if (err)
		return err;
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return GETK_OK;
}

enum getk_err
getk_buf_adds(struct getk_buf *b, const char *s)
{
	return getk_buf_add(b, s, strlen(s));
}

enum getk_err
getk_buf_printf(struct getk_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	enum getk_err err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return GETK_ERR_INVAL;
	err = buf_reserve(b, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return GETK_OK;
}

enum getk_err
getk_buf_read_fd(struct getk_buf *b, int fd)
{
	char chunk[4096];
	ssize_t n;
	enum getk_err err;

	for (;;) {
		n = read(fd, chunk, sizeof(chunk));
		if (n == 0)
			return GETK_OK;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return GETK_ERR_SYSTEM;
		}
		err = getk_buf_add(b, chunk, (size_t)n);
		if (err)
			return err;
	}
}

char *
getk_buf_take(struct getk_buf *b, size_t *r_len)
{
	char *p;

	if (!b->data && getk_buf_add(b, "", 0) != GETK_OK) {
		if (r_len)
			*r_len = 0;
		return NULL;
	}
	p = b->data;
	if (r_len)
		*r_len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void
getk_buf_free(struct getk_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
getk_strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

enum getk_err
getk_strv_add(char ***pv, const char *s)
{
	size_t n = 0;
	char **v, *copy;

	while (*pv && (*pv)[n])
		n++;
	copy = strdup(s);
	if (!copy)
		return GETK_ERR_NOMEM;
	v = realloc(*pv, (n + 2) * sizeof(*v));
	if (!v) {
		free(copy);
		return GETK_ERR_NOMEM;
	}
	v[n] = copy;
	v[n + 1] = NULL;
	*pv = v;
	return GETK_OK;
}
