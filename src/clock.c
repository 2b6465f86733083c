/*
 * clock.c: the wall clock, settable in test builds.
 */
#include <config.h>

#include <stdlib.h>
#include <time.h>

#include "clock.h"

time_t
getk_now(void)
{
#ifdef GETK_TEST_CLOCK
	const char *s = getenv("GETK_TEST_NOW");

	if (s && *s) {
		char *end;
		long long v = strtoll(s, &end, 10);

		if (*end == '\0' && v > 0)
			return (time_t)v;
	}
#endif
	return time(NULL);
}

long
getk_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
getk_test_clock(void)
{
#ifdef GETK_TEST_CLOCK
	return 1;
#else
	return 0;
#endif
}
