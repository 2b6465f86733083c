/*
 * engine.h: the insides of the lookup engine, shared by engine.c (DNS,
 * MX authentication, the order of work, corroboration), the sources
 * (source.c, what they share; source-smtp.c, source-wkd.c,
 * source-dane.c, source-mtasts.c, keyring.c) and lookup.c (the cache
 * around it).
 * Not the library's interface: that is lookup.h.
 */
#ifndef GETK_ENGINE_H
#define GETK_ENGINE_H

#include <pthread.h>
#include <stddef.h>

#include "dane.h"
#include "dns.h"
#include "https.h"
#include "lookup.h"
#include "mtasts.h"
#include "pool.h"

/* Most MX hosts tried for one domain. */
#define MAX_MX 16
/* Most addresses of one MX host handed to libcurl. */
#define MX_MAX_ADDRS 8
/* "HOST:PORT:[ADDR],..." for CURLOPT_RESOLVE. */
#define RESOLVE_MAX (GETK_DNS_NAME_MAX + 8 + MX_MAX_ADDRS * 48)

/* What one source said about one address. */
enum finding_state {
	F_UNASKED,		/* not asked (source off or not applicable) */
	F_KEY,			/* a verified key */
	F_NOKEY,		/* no key */
	F_TEMP,			/* a temporary or authentication failure */
	F_BAD,			/* a key was offered but failed verification */
	F_OFFERED		/* a key was offered: verified with the
				   batch's others once every source is done
				   (getk_sources_verify) */
};

struct finding {
	enum finding_state state;
	enum getk_trust trust;		/* of the path (F_KEY) */
	struct getk_key *key;		/* F_KEY */
	char sha256[65];		/* of the bytes offered, or "" */
	char revoked[41];		/* a revoked key offered, or "" */
	char why[300];			/* the latest failure */
	char verdict[200];		/* F_BAD: gpg's reason alone */
	unsigned char *offered;		/* F_OFFERED: the bytes, OFFERED_LEN */
	size_t offered_len;
	char origin[256];		/* F_OFFERED: who offered them */
};

/* How an MX host is authenticated for a domain (RFC 7672, RFC 8461). */
enum mx_mode {
	MX_NONE,		/* Web PKI checked, but the MX name is not
				   authenticated: trust none */
	MX_MTA_STS,		/* listed by an enforce policy: trust mta-sts */
	MX_DANE,		/* TLSA records: trust dnssec */
	MX_FAIL			/* authentication required but broken (bogus
				   or failed TLSA lookup): never used */
};

/* What DNS round 2 said of one MX host. */
struct mx_info {
	char host[GETK_DNS_NAME_MAX];
	/* Its addresses from getk's own resolver, so that libcurl connects
	 * where this resolver (dns_server, DNSSEC) says, not where the
	 * system's would; "" leaves resolving to libcurl. */
	char resolve[RESOLVE_MAX];
	int addr_insecure;		/* an address answer not secure */
	int want_tlsa;			/* some secure MX set names it */
	struct getk_tlsa rr[GETK_TLSA_MAX];
	size_t n;			/* usable TLSA records */
	int tlsa_secure;
	enum getk_err err;		/* a failed or bogus answer */
	char why[200];
	size_t q_a, q_aaaa, q_tlsa;
};

struct mx_host {
	unsigned pref;
	char name[GETK_DNS_NAME_MAX];
	enum mx_mode mode;
	const struct mx_info *info;	/* from DNS round 2 */
};

struct group;
struct engine;

/* A domain and what DNS and MTA-STS said of it. */
struct domain {
	struct engine *e;
	const char *name;
	struct mx_host mx[MAX_MX];
	size_t nmx;
	int mx_secure;			/* the MX RRset is DNSSEC-secure */
	enum finding_state status;	/* F_UNASKED: MX hosts to ask */
	char why[300];
	struct group *group;

	/* MTA-STS (RFC 8461). */
	char sts_id[33];		/* from the TXT record, or "" */
	struct getk_mtasts_policy policy;
	int have_policy;		/* policy is valid */
	int policy_fetched;		/* ... and new: store it */
	time_t policy_expires;

	int wkd_advanced;		/* openpgpkey.DOMAIN exists */
	size_t q_mx, q_txt, q_a, q_aaaa;	/* DNS round 1 queries */
};

/* One address and what each source found. */
struct address {
	struct engine *e;
	size_t idx;			/* into the batch and the cache's
					   entries */
	const char *mailbox;
	struct domain *domain;
	struct finding f[GETK_NSOURCES];	/* by enum getk_source */
	size_t pending;			/* sources still at work (lock) */
	/* Held while a key for this address is verified, so that the same
	 * bytes offered by several sources are verified once. */
	pthread_mutex_t verify_lock;
	size_t q_dane[2];		/* OPENPGPKEY as given, lower-cased */
	size_t ndane;
};

/* Addresses whose domains share one MX host list and its modes. */
struct group {
	struct engine *e;
	struct mx_host *mx;		/* the first domain's list */
	size_t nmx;
	struct address **addrs;
	size_t naddrs;
};

struct engine {
	const struct getk_lookup_settings *s;
	/* What the cache knew of each address, or NULL (read only). */
	struct getk_store_entry *const *known;
	struct address *addrs;
	size_t naddrs;
	struct domain *domains;
	size_t ndomains;
	struct group *groups;
	size_t ngroups;
	struct mx_info *mxi;		/* one per distinct MX host */
	size_t nmxi;
	int use[GETK_NSOURCES];		/* sources enabled */
	struct getk_pool *pool;
	int relay_auth_failed;		/* written by the relay task */
	struct getk_https_share *https;	/* WKD and MTA-STS connections */
	/* The first GnuPG homes of the verification (getk_key_homes_new),
	 * made while the network is asked by the thread WARM (when
	 * WARMING), and their verdict: read once WARM is joined. */
	pthread_t warm;
	int warming;
	struct getk_key_home *ready;
	enum getk_err ready_err;
	char ready_why[200];
	struct getk_dns_query *q;	/* round 1 */
	size_t nq;
	size_t settled;			/* guarded by lock */
	pthread_mutex_t lock;
	long deadline;			/* getk_mono_ms() when the lookup
					   ends (lookup_timeout), or 0 */
};

/*
 * The time the next network operation of E may take: the timeout, or
 * less when the lookup's deadline is nearer; 0 or less once the deadline
 * has passed.
 */
long getk_engine_op_timeout(const struct engine *e);

/* Sets a finding's state and reason (formatted). */
void getk_finding_set(struct finding *f, enum finding_state state,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sets a result's status and reason (formatted). */
void getk_result_set(struct getk_result *r, enum getk_status status,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * One source of A is done (call exactly once per source and address):
 * reports progress when it was the last.
 */
void getk_source_done(struct address *a);

/*
 * Verifies the LEN bytes at DATA that ORIGIN (a host, "DNS") offered for
 * A as source SRC by a path of trust TRUST, and records A's finding for
 * SRC: a key, or a key that failed, or a temporary failure.  Bytes that
 * another source of A offered, or that the cache verified before, are
 * not verified again (source.c).
 */
void getk_source_offer(struct address *a, enum getk_source src,
    enum getk_trust trust, const char *origin, const unsigned char *data,
    size_t len);

/* HTTPS settings for WKD and MTA-STS requests of E, bodies up to MAX. */
void getk_source_https_settings(const struct engine *e, size_t max,
    struct getk_https_settings *hs);

/*
 * The sources, as pool tasks.  Each fills its own finding of the
 * addresses it serves and calls getk_source_done for each of them.
 */
void getk_source_relay(void *engine);	/* every address, one session */
void getk_source_getk(void *group);	/* a group's addresses, MX by MX */
void getk_source_wkd(void *address);
void getk_source_dane(void *address);	/* from DNS round 1's answers */

/*
 * Verifies, in one batch (getk_key_verify_batch), every key offered to
 * the sources of E's addresses (F_OFFERED), once each: bytes that two
 * sources of an address offered alike are judged once.  Each such
 * finding becomes F_KEY, F_BAD, or F_TEMP when gpg could not judge.
 * Call when every source is done.
 */
void getk_sources_verify(struct engine *e);
/* Makes E's first GnuPG homes (e->ready, e->ready_err). */
void getk_sources_warm(void *engine);

/*
 * Fetches the MTA-STS policy of a domain into its policy members; on
 * failure a cached policy in force stays.  Not a source: it runs before
 * the domain's MX hosts are judged.
 */
void getk_source_policy(void *domain);

/*
 * Asks the network about the N addresses of BOXES and fills RESULTS,
 * whose address members are set already; KNOWN (or NULL) is what the
 * cache held for each, KEYRING (or NULL) what the keyring source found
 * for each (lookup.c asks it first), which corroboration counts beside
 * the network's findings; the engine takes the keys of KEYRING.  As
 * getk_lookup for errors.
 */
enum getk_err getk_engine_run(const struct getk_lookup_settings *settings,
    const char **boxes, size_t n, struct getk_result *results,
    struct getk_store_entry *const *known, struct finding *keyring,
    char *why, size_t whysz);

#endif
