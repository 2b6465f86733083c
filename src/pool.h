/*
 * pool.h: a fixed set of worker threads that run queued tasks.
 *
 * The lookup engine queues network tasks as their inputs become known
 * (a relay query at once, WKD fetches after the first DNS round, MX
 * sessions after the second) so that every source of every address is
 * in flight at the same time.  Tasks carry a tag; the caller can wait for
 * all tasks of one tag (say, the MTA-STS policy fetches) while tasks of
 * other tags go on running.
 */
#ifndef GETK_POOL_H
#define GETK_POOL_H

#include <stddef.h>

#include "error.h"

/* Tags are small integers below this. */
#define GETK_POOL_TAGS 8

struct getk_pool;

/*
 * A pool of NTHREADS threads (at least one).  GETK_ERR_NOMEM; when no
 * thread can be started the pool still works, running each task in
 * getk_pool_add itself.
 */
enum getk_err getk_pool_new(size_t nthreads, struct getk_pool **r_pool);

/*
 * Queues FN(ARG) under TAG.  GETK_ERR_NOMEM (the task was then run in
 * the caller's thread, so it is never lost).
 */
enum getk_err getk_pool_add(struct getk_pool *pool, int tag,
    void (*fn)(void *arg), void *arg);

/* Waits until every task queued under TAG so far has finished. */
void getk_pool_wait(struct getk_pool *pool, int tag);

/* Waits for every task, stops the threads and frees the pool; NULL: no-op. */
void getk_pool_free(struct getk_pool *pool);

#endif
