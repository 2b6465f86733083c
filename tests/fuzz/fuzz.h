/*
 * fuzz.h: what the libFuzzer targets of tests/fuzz/ share.
 *
 * Each target is one .c file that scripts/fuzz compiles with the sources it
 * tests; there is no fuzzing library of our own to link, so the shared
 * part is this header of macros and static inline helpers.  Include it
 * after <config.h>.  It brings the standard headers every target uses
 * (stddef.h, stdint.h, stdio.h, stdlib.h, string.h), declares the libFuzzer
 * entry point (the targets define it; the declaration keeps
 * -Wmissing-prototypes quiet), and gives ASSERT, which turns a broken
 * invariant into abort() so that libFuzzer reports it as a crash.
 */
#ifndef GETK_FUZZ_H
#define GETK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Checks an invariant.  When it does not hold, the condition and where it
 * is go to stderr ("invariant failed", which scripts/fuzz looks for) and
 * the target aborts.  Unlike assert(), it is never compiled out.
 */
#define ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
		    __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/*
 * The SIZE input bytes at DATA as a NUL-terminated string, in memory of
 * its own (the caller frees it), for parsers that take C strings: libFuzzer
 * gives no NUL and forbids writing to DATA.  A NUL byte in the input ends
 * the string early, as it would for a caller.  NULL when out of memory;
 * a target then returns 0 (nothing to check).
 */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return NULL;
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/*
 * C's tolower() for ASCII only, whatever the locale: the parsers under
 * test compare case-insensitively in ASCII (mail domains, DNS names, GETK
 * keywords), so the checks must too.
 */
static inline int
fuzz_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

#endif
