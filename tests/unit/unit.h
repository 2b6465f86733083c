/*
 * unit.h: a tiny TAP producer for the unit test programs.
 *
 * Each check prints "ok N - description" or "not ok N - description" on
 * stdout, with "#" diagnostics after a failure, and done_testing() prints
 * the plan "1..N" at the end.  automake's tap-driver counts the results, so
 * a test program exits 0 even when checks failed; only a crash (or an
 * explicit BAIL_OUT) ends it otherwise.  Everything here is static inline
 * so that each test program gets its own copy and the header needs no
 * companion source file.
 */
#ifndef GETK_UNIT_H
#define GETK_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The running counts of one test program. */
struct unit_state {
	int n;		/* checks made so far */
	int failed;	/* of which failed */
};

static inline struct unit_state *
unit_state(void)
{
	static struct unit_state state;

	return &state;
}

/*
 * Prints S with every byte that could confuse a TAP reader (newlines, '#'
 * which starts a directive, control and non-ASCII bytes) as \xNN, so that
 * descriptions may quote hostile test input verbatim.
 */
static inline void
unit_print_clean(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 32 || c > 126 || c == '#' || c == '\\')
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static inline int unit_vcheck(int ok, const char *file, int line,
    const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static inline int
unit_vcheck(int ok, const char *file, int line, const char *fmt, va_list ap)
{
	struct unit_state *st = unit_state();
	char desc[512];

	vsnprintf(desc, sizeof(desc), fmt, ap);
	st->n++;
	printf("%s %d - ", ok ? "ok" : "not ok", st->n);
	unit_print_clean(desc);
	putchar('\n');
	if (!ok) {
		st->failed++;
		printf("#   Failed test at %s line %d.\n", file, line);
	}
	fflush(stdout);
	return ok;
}

static inline int unit_check(int ok, const char *file, int line,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records one check; returns OK so that callers can add diagnostics. */
static inline int
unit_check(int ok, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ok = unit_vcheck(ok, file, line, fmt, ap);
	va_end(ap);
	return ok;
}

static inline int unit_check_str(const char *got, const char *want,
    const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Checks that two strings (either may be NULL) are equal. */
static inline int
unit_check_str(const char *got, const char *want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int ok;

	ok = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_start(ap, fmt);
	ok = unit_vcheck(ok, file, line, fmt, ap);
	va_end(ap);
	if (!ok) {
		printf("#          got: ");
		if (got)
			unit_print_clean(got);
		else
			printf("(null)");
		printf("\n#     expected: ");
		if (want)
			unit_print_clean(want);
		else
			printf("(null)");
		putchar('\n');
	}
	return ok;
}

static inline int unit_check_long(long got, long want, const char *file,
    int line, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Checks that two integers are equal. */
static inline int
unit_check_long(long got, long want, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;
	int ok = got == want;

	va_start(ap, fmt);
	ok = unit_vcheck(ok, file, line, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("#          got: %ld\n#     expected: %ld\n", got, want);
	return ok;
}

/* Prints a diagnostic line (a TAP comment). */
static inline void unit_diag(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static inline void
unit_diag(const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("# ");
	unit_print_clean(msg);
	putchar('\n');
}

/* Gives up on the whole program: the harness reports it as an error. */
static inline void unit_bail_out(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

static inline void
unit_bail_out(const char *fmt, ...)
{
	va_list ap;
	char msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("Bail out! ");
	unit_print_clean(msg);
	putchar('\n');
	fflush(stdout);
	exit(1);
}

/*
 * Prints the plan and a summary; the value is main's exit status: 0, as
 * the TAP driver counts failures itself.
 */
static inline int
done_testing(void)
{
	struct unit_state *st = unit_state();

	if (st->failed)
		printf("# %d of %d checks failed\n", st->failed, st->n);
	printf("1..%d\n", st->n);
	fflush(stdout);
	return 0;
}

/* CHECK(cond, "printf-style description", ...) */
#define CHECK(cond, ...) \
	unit_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* CHECK_STR(got, expected, "description", ...): NULL-safe strcmp. */
#define CHECK_STR(got, want, ...) \
	unit_check_str((got), (want), __FILE__, __LINE__, __VA_ARGS__)
/* CHECK_INT(got, expected, "description", ...) */
#define CHECK_INT(got, want, ...) \
	unit_check_long((long)(got), (long)(want), __FILE__, __LINE__, \
	    __VA_ARGS__)
#define DIAG(...) unit_diag(__VA_ARGS__)
#define BAIL_OUT(...) unit_bail_out(__VA_ARGS__)

/*
 * Writes into BUF (SIZE bytes) a mkstemp/mkdtemp template NAME-XXXXXX in
 * $TMPDIR (an absolute path), else /tmp.
 */
static inline void
unit_tmp_template(char *buf, size_t size, const char *name)
{
	const char *dir = getenv("TMPDIR");

	if (!dir || *dir != '/')
		dir = "/tmp";
	if ((size_t)snprintf(buf, size, "%s/%s-XXXXXX", dir, name) >= size)
		BAIL_OUT("TMPDIR is too long");
}

/* Makes a new directory NAME-XXXXXX under $TMPDIR (else /tmp) into BUF. */
#define unit_tmpdir(buf, size, name) do { \
	unit_tmp_template((buf), (size), (name)); \
	if (!mkdtemp(buf)) \
		BAIL_OUT("cannot make a directory %s", (buf)); \
} while (0)

#endif
