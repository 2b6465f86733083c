/*
 * conflex.h: the lines of a configuration file in the msmtp syntax that
 * getk.conf(5) and getkd.conf(5) share.
 *
 * One "keyword argument" per line; blank lines and lines whose first
 * non-blank character is '#' are skipped; the argument may be in double
 * quotes, with '\' escaping '"' and '\'; lines end in LF or CRLF; a NUL
 * byte is an error.  What the keywords mean is the business of each
 * file's own keyword table (conf.c, getkdconf.c): this is only the
 * lexer, with the helpers every keyword table needs (messages that name
 * the file and line, '~' expansion of paths).  Pure: text in, words out.
 */
#ifndef GETK_CONFLEX_H
#define GETK_CONFLEX_H

#include <stdarg.h>
#include <stddef.h>

#include "error.h"

/* Longest message of a lexer, NUL included. */
#define GETK_CONFLEX_MSG_MAX 1024

/* A lexer over one configuration text; the fields are its own. */
struct getk_conflex {
	const char *text;	/* the text, not owned */
	size_t len;
	size_t pos;		/* where the next line starts */
	const char *filename;	/* for messages */
	const char *home;	/* for '~', or NULL */
	size_t lineno;		/* of the line last returned */
	char *line;		/* a copy of that line, split in place */
	char msg[GETK_CONFLEX_MSG_MAX];	/* "FILE:LINE: what" after a
					   failure, else "" */
};

/*
 * Sets up LX over LEN bytes of TEXT (kept, not copied: TEXT must outlive
 * LX).  FILENAME (NULL: "(config)") names the file in messages; HOME is
 * what '~' expands to (NULL: no expansion).  GETK_ERR_NOMEM.
 */
enum getk_err getk_conflex_init(struct getk_conflex *lx, const char *text,
    size_t len, const char *filename, const char *home);

/*
 * The next line that is not blank or a comment: *R_KW its keyword, *R_ARG
 * its argument ("" when there is none), both pointing into LX's copy of
 * the line, valid until the next call.  At the end of the text *R_KW is
 * NULL.  GETK_ERR_CONFIG (a NUL byte, an unterminated quote, text after
 * a quoted argument) with the message in LX->msg; GETK_ERR_NOMEM.
 */
enum getk_err getk_conflex_next(struct getk_conflex *lx, char **r_kw,
    char **r_arg);

/*
 * Records "FILE:LINE: " and the formatted text as LX->msg (replacing an
 * earlier one, cut to fit) and returns GETK_ERR_CONFIG.
 */
enum getk_err getk_conflex_fail(struct getk_conflex *lx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
enum getk_err getk_conflex_vfail(struct getk_conflex *lx, const char *fmt,
    va_list ap) __attribute__((format(printf, 2, 0)));

/*
 * ARG as a path, a leading "~" or "~/" replaced by LX's HOME, in a new
 * string *R_PATH (at most PATH_MAX bytes).  GETK_ERR_CONFIG (no HOME,
 * too long) as getk_conflex_fail; GETK_ERR_NOMEM.
 */
enum getk_err getk_conflex_path(struct getk_conflex *lx, const char *arg,
    char **r_path);

/* Frees what LX holds (its copy of the line); LX may be used again only
 * after getk_conflex_init. */
void getk_conflex_free(struct getk_conflex *lx);

#endif
