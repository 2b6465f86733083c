/*
 * pool.c: worker threads and a task queue (see pool.h).
 */
#include <config.h>

#include <pthread.h>
#include <stdlib.h>

#include "pool.h"

struct task {
	struct task *next;
	int tag;
	void (*fn)(void *arg);
	void *arg;
};

struct getk_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a task was queued, or stop */
	pthread_cond_t done;		/* a task finished */
	struct task *head, *tail;
	size_t open[GETK_POOL_TAGS];	/* queued or running, per tag */
	int stop;
	pthread_t *threads;
	size_t nthreads;		/* started */
};

static void *
worker(void *arg)
{
	struct getk_pool *p = arg;
	struct task *t;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->head && !p->stop)
			pthread_cond_wait(&p->work, &p->lock);
		if (!p->head)
			break;
		t = p->head;
		p->head = t->next;
		if (!p->head)
			p->tail = NULL;
		pthread_mutex_unlock(&p->lock);
		t->fn(t->arg);
		pthread_mutex_lock(&p->lock);
		p->open[t->tag]--;
		pthread_cond_broadcast(&p->done);
		free(t);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

enum getk_err
getk_pool_new(size_t nthreads, struct getk_pool **r_pool)
{
	struct getk_pool *p;

	*r_pool = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return GETK_ERR_NOMEM;
	if (nthreads == 0)
		nthreads = 1;
	p->threads = calloc(nthreads, sizeof(*p->threads));
	if (!p->threads) {
		free(p);
		return GETK_ERR_NOMEM;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (p->nthreads = 0; p->nthreads < nthreads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, worker, p))
			break;
	*r_pool = p;
	return GETK_OK;
}

enum getk_err
getk_pool_add(struct getk_pool *pool, int tag, void (*fn)(void *arg),
    void *arg)
{
	struct task *t;

	if (tag < 0 || tag >= GETK_POOL_TAGS)
		tag = GETK_POOL_TAGS - 1;
	t = pool->nthreads ? malloc(sizeof(*t)) : NULL;
	if (!t) {
		fn(arg);
		return pool->nthreads ? GETK_ERR_NOMEM : GETK_OK;
	}
	t->next = NULL;
	t->tag = tag;
	t->fn = fn;
	t->arg = arg;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail)
		pool->tail->next = t;
	else
		pool->head = t;
	pool->tail = t;
	pool->open[tag]++;
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	return GETK_OK;
}

void
getk_pool_wait(struct getk_pool *pool, int tag)
{
	if (tag < 0 || tag >= GETK_POOL_TAGS)
		tag = GETK_POOL_TAGS - 1;
	pthread_mutex_lock(&pool->lock);
	while (pool->open[tag])
		pthread_cond_wait(&pool->done, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
}

void
getk_pool_free(struct getk_pool *pool)
{
	size_t i;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = 1;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	/* Workers drain the queue before they see the stop. */
	for (i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_cond_destroy(&pool->work);
	pthread_cond_destroy(&pool->done);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}
