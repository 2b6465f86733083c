/*
 * clock.h: the wall clock the library reads.
 *
 * One function, so that tests built with --enable-test-clock can set the
 * time with GETK_TEST_NOW (seconds since the epoch); other builds ignore
 * the variable.
 */
#ifndef GETK_CLOCK_H
#define GETK_CLOCK_H

#include <time.h>

/* The current time, or GETK_TEST_NOW in a test-clock build. */
time_t getk_now(void);

/* Non-zero in a build that honours GETK_TEST_NOW. */
int getk_test_clock(void);

#endif
