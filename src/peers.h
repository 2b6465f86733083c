/*
 * peers.h: what getkd counts per client address: open sessions (for
 * max_sessions_per_ip) and a token bucket of GETK lookups (lookup_rate).
 *
 * Pure: the caller passes the time in, so that the table can be tested
 * without a clock.  An IPv6 client is counted by its /64, the block one
 * subscriber usually holds; an IPv4 client by its address.
 */
#ifndef GETK_PEERS_H
#define GETK_PEERS_H

#include <stddef.h>
#include <sys/socket.h>

#include "error.h"

struct getk_peers;

/*
 * A table of at most MAX_ENTRIES addresses whose buckets hold RATE
 * tokens and fill up again in PERIOD_MS milliseconds (RATE tokens per
 * PERIOD_MS, a full bucket for a new address).  An address leaves the
 * table when it has no session open and its bucket is full again, so
 * that the table holds only what it must remember.  GETK_ERR_NOMEM,
 * GETK_ERR_INVAL (RATE or PERIOD_MS below 1).
 */
enum getk_err getk_peers_new(size_t max_entries, long rate, long period_ms,
    struct getk_peers **r_peers);

/* Frees the table; NULL is a no-op. */
void getk_peers_free(struct getk_peers *peers);

/*
 * Counts a new session from SA (AF_INET or AF_INET6).  GETK_OK;
 * GETK_ERR_TOOBIG when the address has MAX_PER_ADDR sessions open
 * already, or when the table is full; GETK_ERR_NOMEM.  Not counted then.
 */
enum getk_err getk_peers_open(struct getk_peers *peers,
    const struct sockaddr *sa, long now_ms, size_t max_per_addr);

/* Counts a session of SA closed (one that getk_peers_open counted). */
void getk_peers_close(struct getk_peers *peers, const struct sockaddr *sa,
    long now_ms);

/*
 * Takes one lookup token of SA's bucket at NOW_MS: 1 when there was one,
 * 0 when the bucket is empty (or SA has no session counted).
 */
int getk_peers_take(struct getk_peers *peers, const struct sockaddr *sa,
    long now_ms);

/* Addresses in the table (for tests and the log). */
size_t getk_peers_count(const struct getk_peers *peers);

#endif
