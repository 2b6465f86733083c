/*
 * clock.h: the clocks the library reads.
 *
 * The wall clock is one function, so that tests built with
 * --enable-test-clock can set the time with GETK_TEST_NOW (seconds since
 * the epoch); other builds ignore the variable.  Deadlines use the
 * monotonic clock, which no test moves and no clock change upsets.
 */
#ifndef GETK_CLOCK_H
#define GETK_CLOCK_H

#include <time.h>

/* The current time, or GETK_TEST_NOW in a test-clock build. */
time_t getk_now(void);

/* Milliseconds of the monotonic clock, for deadlines. */
long getk_mono_ms(void);

/* Non-zero in a build that honours GETK_TEST_NOW. */
int getk_test_clock(void);

#endif
