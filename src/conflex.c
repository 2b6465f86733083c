/*
 * conflex.c: the lexer of the msmtp-style configuration syntax.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conflex.h"

enum getk_err
getk_conflex_init(struct getk_conflex *lx, const char *text, size_t len,
    const char *filename, const char *home)
{
	memset(lx, 0, sizeof(*lx));
	lx->text = text;
	lx->len = len;
	lx->filename = filename ? filename : "(config)";
	lx->home = home;
	lx->line = malloc(len + 1);
	return lx->line ? GETK_OK : GETK_ERR_NOMEM;
}

void
getk_conflex_free(struct getk_conflex *lx)
{
	free(lx->line);
	lx->line = NULL;
}

enum getk_err
getk_conflex_vfail(struct getk_conflex *lx, const char *fmt, va_list ap)
{
	int n;

	n = snprintf(lx->msg, sizeof(lx->msg), "%s:%zu: ", lx->filename,
	    lx->lineno);
	if (n >= 0 && (size_t)n < sizeof(lx->msg))
		vsnprintf(lx->msg + n, sizeof(lx->msg) - (size_t)n, fmt, ap);
	return GETK_ERR_CONFIG;
}

enum getk_err
getk_conflex_fail(struct getk_conflex *lx, const char *fmt, ...)
{
	va_list ap;
	enum getk_err err;

	va_start(ap, fmt);
	err = getk_conflex_vfail(lx, fmt, ap);
	va_end(ap);
	return err;
}

/*
 * Splits LINE (NUL-terminated, modified in place) into keyword and
 * argument.  The argument may be double-quoted, with backslash escaping
 * '"' and '\'.  *R_ARG is "" when there is none.
 */
static enum getk_err
split_line(struct getk_conflex *lx, char *line, char **r_kw, char **r_arg)
{
	char *p = line, *kw, *arg, *out;

	while (*p == ' ' || *p == '\t')
		p++;
	kw = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	arg = p;
	if (*arg == '"') {
		out = arg;
		p = arg + 1;
		for (;;) {
			if (!*p)
				return getk_conflex_fail(lx,
				    "unterminated quoted argument");
			if (*p == '"')
				break;
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*out++ = *p++;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p)
			return getk_conflex_fail(lx,
			    "text after the quoted argument");
		*out = '\0';
	} else {
		char *end = arg + strlen(arg);

		while (end > arg && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
	}
	*r_kw = kw;
	*r_arg = arg;
	return GETK_OK;
}

enum getk_err
getk_conflex_next(struct getk_conflex *lx, char **r_kw, char **r_arg)
{
	*r_kw = NULL;
	*r_arg = NULL;
	while (lx->pos < lx->len) {
		const char *start = lx->text + lx->pos;
		const char *nl = memchr(start, '\n', lx->len - lx->pos);
		size_t llen = nl ? (size_t)(nl - start) : lx->len - lx->pos;
		char *p;

		lx->lineno++;
		lx->pos += llen + (nl ? 1 : 0);
		if (memchr(start, '\0', llen))
			return getk_conflex_fail(lx, "NUL byte in line");
		memcpy(lx->line, start, llen);
		lx->line[llen] = '\0';
		if (llen && lx->line[llen - 1] == '\r')
			lx->line[llen - 1] = '\0';
		/* Comments and blank lines are recognised before any
		 * quoting. */
		for (p = lx->line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '\0' || *p == '#')
			continue;
		return split_line(lx, lx->line, r_kw, r_arg);
	}
	return GETK_OK;
}

enum getk_err
getk_conflex_path(struct getk_conflex *lx, const char *arg, char **r_path)
{
	struct getk_buf b;

	*r_path = NULL;
	getk_buf_init(&b, PATH_MAX);
	if (arg[0] == '~' && (arg[1] == '/' || arg[1] == '\0')) {
		if (!lx->home)
			return getk_conflex_fail(lx,
			    "cannot expand ~: HOME is not set");
		if (getk_buf_adds(&b, lx->home) || getk_buf_adds(&b, arg + 1)) {
			getk_buf_free(&b);
			return getk_conflex_fail(lx, "path too long");
		}
	} else if (getk_buf_adds(&b, arg)) {
		getk_buf_free(&b);
		return getk_conflex_fail(lx, "path too long");
	}
	*r_path = getk_buf_take(&b, NULL);
	return *r_path ? GETK_OK : GETK_ERR_NOMEM;
}
