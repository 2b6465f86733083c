/*
 * test-pool.c: the worker pool: every task runs exactly once, waiting
 * for one tag does not wait for the others, tasks run in parallel, and
 * freeing the pool drains its queue.
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "pool.h"
#include "unit.h"

static atomic_int ran[1000];
static int idx[1000];		/* task arguments: &idx[i] says i */
static atomic_int running, most_running;
static atomic_int gate;		/* slow tasks wait while this is 0 */

static void
count_task(void *arg)
{
	atomic_fetch_add(&ran[*(int *)arg], 1);
}

/* Holds its thread until the gate opens; counts how many wait at once. */
static void
slow_task(void *arg)
{
	int now = atomic_fetch_add(&running, 1) + 1, m;

	(void)arg;
	m = atomic_load(&most_running);
	while (now > m && !atomic_compare_exchange_weak(&most_running, &m,
	    now))
		;
	while (!atomic_load(&gate))
		usleep(1000);
	atomic_fetch_sub(&running, 1);
}

static double
seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(void)
{
	struct getk_pool *p = NULL;
	int i, once = 1;
	double t0;

	for (i = 0; i < 1000; i++)
		idx[i] = i;
	/* 1000 tasks under two tags, each run exactly once. */
	CHECK(getk_pool_new(4, &p) == GETK_OK && p, "a pool of 4 threads");
	for (i = 0; i < 1000; i++)
		getk_pool_add(p, i % 2, count_task, &idx[i]);
	getk_pool_wait(p, 0);
	getk_pool_wait(p, 1);
	for (i = 0; i < 1000; i++)
		if (atomic_load(&ran[i]) != 1)
			once = 0;
	CHECK(once, "every task ran exactly once");

	/* Waiting for tag 1 returns while tasks of tag 0 still run. */
	atomic_store(&gate, 0);
	getk_pool_add(p, 0, slow_task, NULL);
	getk_pool_add(p, 0, slow_task, NULL);
	getk_pool_add(p, 1, count_task, &idx[0]);
	t0 = seconds();
	getk_pool_wait(p, 1);
	CHECK(seconds() - t0 < 1.0 && atomic_load(&ran[0]) == 2,
	    "waiting for one tag does not wait for another");
	while (atomic_load(&running) < 2 && seconds() - t0 < 5)
		usleep(1000);
	CHECK(atomic_load(&most_running) == 2, "two slow tasks run at once");
	atomic_store(&gate, 1);
	getk_pool_wait(p, 0);
	CHECK(atomic_load(&running) == 0, "waiting for a tag waits for its "
	    "slow tasks");

	/* Freeing drains what is still queued. */
	for (i = 0; i < 1000; i++)
		atomic_store(&ran[i], 0);
	for (i = 0; i < 1000; i++)
		getk_pool_add(p, 2, count_task, &idx[i]);
	getk_pool_free(p);
	once = 1;
	for (i = 0; i < 1000; i++)
		if (atomic_load(&ran[i]) != 1)
			once = 0;
	CHECK(once, "freeing the pool runs every queued task first");
	getk_pool_free(NULL);	/* a no-op: a crash would end the test */
	done_testing();
	return 0;
}
