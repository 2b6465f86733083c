/*
 * dns.h: DNS lookups through libunbound, with DNSSEC status.
 *
 * A struct getk_dns wraps one validating resolver.  Lookups are made in
 * batches: every query of a batch is sent at once and the batch returns
 * when all are answered or at the caller's deadline, whichever comes
 * first; queries still open then are cancelled and reported as timed out.
 * libunbound itself would stall for about 20 s on an unreachable server.
 */
#ifndef GETK_DNS_H
#define GETK_DNS_H

#include <stddef.h>

#include "error.h"

/* Most records kept from one answer. */
#define GETK_DNS_MAX_RR 64
/* Longest domain name in presentation form, with the terminating NUL. */
#define GETK_DNS_NAME_MAX 256

#define GETK_RR_A 1
#define GETK_RR_MX 15
#define GETK_RR_TXT 16
#define GETK_RR_AAAA 28
#define GETK_RR_TLSA 52
#define GETK_RR_OPENPGPKEY 61

struct getk_dns_settings {
	char *const *servers;		/* forwarders "ADDR[@PORT]",
					   NULL-terminated; NULL or empty:
					   /etc/resolv.conf */
	const char *trust_anchor;	/* file of DS/DNSKEY lines; NULL: no
					   DNSSEC validation */
};

/* One query of a batch and, after getk_dns_resolve, its answer. */
struct getk_dns_query {
	const char *name;		/* in: owner name */
	int type;			/* in: GETK_RR_* */

	enum getk_err err;		/* out: GETK_OK, GETK_ERR_DNS_TEMP
					   (timeout, SERVFAIL, ...),
					   GETK_ERR_DNS_BOGUS */
	int nxdomain;			/* out: the name does not exist */
	int secure;			/* out: DNSSEC-validated answer */
	int rcode;			/* out: DNS rcode */
	size_t nrr;			/* out: records (0: no data) */
	unsigned char *rdata[GETK_DNS_MAX_RR];	/* out: owned by the query */
	size_t rdlen[GETK_DNS_MAX_RR];
	char why[160];			/* out: English detail on failure */
};

struct getk_dns;

/*
 * A new resolver.  GETK_ERR_CONFIG with WHY (WHYSZ bytes) saying which
 * when a server or the trust anchor file is refused; GETK_ERR_NOMEM.
 */
enum getk_err getk_dns_new(const struct getk_dns_settings *settings,
    struct getk_dns **r_dns, char *why, size_t whysz);

/* Frees a resolver; NULL is a no-op. */
void getk_dns_free(struct getk_dns *dns);

/*
 * Resolves the N queries of Q concurrently, waiting at most TIMEOUT_MS.
 * Each query's out fields are set; the function itself fails only with
 * GETK_ERR_NOMEM or GETK_ERR_SYSTEM.  Release the answers with
 * getk_dns_query_clear.
 */
enum getk_err getk_dns_resolve(struct getk_dns *dns,
    struct getk_dns_query *q, size_t n, long timeout_ms);

/* Frees a query's answer and resets its out fields. */
void getk_dns_query_clear(struct getk_dns_query *q);

/*
 * Decodes an uncompressed wire-format domain name of at most LEN bytes at
 * P into lower-case presentation form in NAME (GETK_DNS_NAME_MAX bytes;
 * the root is "."), and stores the bytes it used in *R_USED.  Only
 * letters, digits, '-' and '_' are accepted in labels.  GETK_ERR_SYNTAX.
 */
enum getk_err getk_dns_decode_name(const unsigned char *p, size_t len,
    char *name, size_t *r_used);

/*
 * Decodes MX rdata: the preference and the exchange's name (as
 * getk_dns_decode_name; "." for a null MX).  GETK_ERR_SYNTAX when the
 * rdata is malformed or has bytes left over.
 */
enum getk_err getk_dns_decode_mx(const unsigned char *rdata, size_t len,
    unsigned *r_pref, char *name);

#endif
