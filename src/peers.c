/*
 * peers.c: per-address session counts and lookup token buckets.
 *
 * A hash table with chaining.  Tokens are kept in thousandths, so that a
 * bucket refills smoothly with integer arithmetic.
 */
#include <config.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

#define MILLI 1000L

struct peer {
	struct peer *next;
	unsigned char key[9];	/* family, then 4 (IPv4) or 8 (IPv6 /64) */
	size_t sessions;
	long tokens;		/* thousandths of a token */
	long stamp;		/* when TOKENS was right, ms */
};

struct getk_peers {
	struct peer **slots;
	size_t nslots;
	size_t count;
	size_t max;
	long rate;
	long period_ms;
};

enum getk_err
getk_peers_new(size_t max_entries, long rate, long period_ms,
    struct getk_peers **r_peers)
{
	struct getk_peers *p;

	*r_peers = NULL;
	if (rate < 1 || period_ms < 1 || max_entries < 1 ||
	    rate > 1000000L)
		return GETK_ERR_INVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return GETK_ERR_NOMEM;
	p->nslots = 1024;
	while (p->nslots < max_entries / 4 && p->nslots < (1u << 20))
		p->nslots *= 2;
	p->slots = calloc(p->nslots, sizeof(*p->slots));
	if (!p->slots) {
		free(p);
		return GETK_ERR_NOMEM;
	}
	p->max = max_entries;
	p->rate = rate;
	p->period_ms = period_ms;
	*r_peers = p;
	return GETK_OK;
}

void
getk_peers_free(struct getk_peers *peers)
{
	size_t i;

	if (!peers)
		return;
	for (i = 0; i < peers->nslots; i++) {
		struct peer *e = peers->slots[i], *next;

		for (; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(peers->slots);
	free(peers);
}

size_t
getk_peers_count(const struct getk_peers *peers)
{
	return peers->count;
}

/* The table key of SA; zero for an address family getkd does not know. */
static int
make_key(const struct sockaddr *sa, unsigned char key[9])
{
	memset(key, 0, 9);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)
		    (const void *)sa;

		key[0] = 4;
		memcpy(key + 1, &in->sin_addr, 4);
		return 1;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)
		    (const void *)sa;
		static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0,
		    0, 0, 0, 0, 0xff, 0xff };

		/* An IPv4-mapped address is the IPv4 client it is. */
		if (memcmp(in6->sin6_addr.s6_addr, mapped, 12) == 0) {
			key[0] = 4;
			memcpy(key + 1, in6->sin6_addr.s6_addr + 12, 4);
			return 1;
		}
		key[0] = 6;
		memcpy(key + 1, in6->sin6_addr.s6_addr, 8);
		return 1;
	}
	return 0;
}

static size_t
slot_of(const struct getk_peers *peers, const unsigned char key[9])
{
	unsigned long h = 2166136261UL;
	size_t i;

	for (i = 0; i < 9; i++)
		h = (h ^ key[i]) * 16777619UL;
	return (size_t)(h % peers->nslots);
}

/*
 * Brings E's tokens up to date at NOW_MS.  The stamp moves on only by the
 * time the tokens added stand for, so that no fraction is lost however
 * often the bucket is looked at.
 */
static void
refill(const struct getk_peers *peers, struct peer *e, long now_ms)
{
	long full = peers->rate * MILLI, dt = now_ms - e->stamp, add;

	if (dt <= 0)
		return;
	if (dt >= peers->period_ms)
		add = full;
	else
		add = (long)((long long)dt * full / peers->period_ms);
	if (e->tokens + add >= full) {
		e->tokens = full;
		e->stamp = now_ms;
	} else {
		e->tokens += add;
		e->stamp += (long)((long long)add * peers->period_ms / full);
	}
}

static struct peer *
find(const struct getk_peers *peers, const unsigned char key[9],
    struct peer ***r_link)
{
	struct peer **link = &peers->slots[slot_of(peers, key)];

	for (; *link; link = &(*link)->next)
		if (memcmp((*link)->key, key, 9) == 0)
			break;
	if (r_link)
		*r_link = link;
	return *link;
}

/* Drops every entry with no session and a full bucket. */
static void
sweep(struct getk_peers *peers, long now_ms)
{
	size_t i;

	for (i = 0; i < peers->nslots; i++) {
		struct peer **link = &peers->slots[i];

		while (*link) {
			struct peer *e = *link;

			refill(peers, e, now_ms);
			if (e->sessions == 0 &&
			    e->tokens == peers->rate * MILLI) {
				*link = e->next;
				free(e);
				peers->count--;
			} else {
				link = &e->next;
			}
		}
	}
}

enum getk_err
getk_peers_open(struct getk_peers *peers, const struct sockaddr *sa,
    long now_ms, size_t max_per_addr)
{
	unsigned char key[9];
	struct peer *e, **link;

	if (!make_key(sa, key))
		return GETK_ERR_INVAL;
	e = find(peers, key, &link);
	if (e) {
		if (e->sessions >= max_per_addr)
			return GETK_ERR_TOOBIG;
		e->sessions++;
		return GETK_OK;
	}
	if (max_per_addr == 0)
		return GETK_ERR_TOOBIG;
	if (peers->count >= peers->max) {
		sweep(peers, now_ms);
		if (peers->count >= peers->max)
			return GETK_ERR_TOOBIG;
		find(peers, key, &link);
	}
	e = calloc(1, sizeof(*e));
	if (!e)
		return GETK_ERR_NOMEM;
	memcpy(e->key, key, sizeof(e->key));
	e->sessions = 1;
	e->tokens = peers->rate * MILLI;
	e->stamp = now_ms;
	*link = e;
	peers->count++;
	return GETK_OK;
}

void
getk_peers_close(struct getk_peers *peers, const struct sockaddr *sa,
    long now_ms)
{
	unsigned char key[9];
	struct peer *e, **link;

	if (!make_key(sa, key))
		return;
	e = find(peers, key, &link);
	if (!e || e->sessions == 0)
		return;
	e->sessions--;
	refill(peers, e, now_ms);
	if (e->sessions == 0 && e->tokens == peers->rate * MILLI) {
		*link = e->next;
		free(e);
		peers->count--;
	}
}

int
getk_peers_take(struct getk_peers *peers, const struct sockaddr *sa,
    long now_ms)
{
	unsigned char key[9];
	struct peer *e;

	if (!make_key(sa, key))
		return 0;
	e = find(peers, key, NULL);
	if (!e)
		return 0;
	refill(peers, e, now_ms);
	if (e->tokens < MILLI)
		return 0;
	e->tokens -= MILLI;
	return 1;
}
