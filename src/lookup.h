/*
 * lookup.h: the lookup engine: finds, verifies and rates keys for a batch
 * of mailboxes.
 *
 * The engine takes all addresses at once.  The user's own keyring comes
 * first, one gpg listing for the whole batch: a key it rates of full
 * validity answers for its address, and the network is not asked.  Then
 * every configured network source (relay, getk, wkd, dane) is asked for
 * the other addresses concurrently: DNS in two batches, network work on
 * a pool of threads, domains that share MX hosts on one SMTP
 * connection.  Each key carries the trust of the path it came by, and
 * the sources that offered it; authenticated sources that disagree fail
 * the lookup.
 */
#ifndef GETK_LOOKUP_H
#define GETK_LOOKUP_H

#include <stddef.h>
#include <time.h>

#include "conf.h"
#include "error.h"
#include "key.h"
#include "log.h"
#include "store.h"
#include "trust.h"

struct getk_net;

struct getk_smtp;

/* Lookup tasks at once by default: enough that a batch of a dozen
 * domains, each with its MX session and WKD request, goes in one wave. */
#define GETK_JOBS 16

struct getk_lookup_settings {
	const enum getk_source *sources;	/* in order of preference */
	size_t nsources;
	char *const *dns_servers;	/* NULL-terminated, or NULL */
	const char *dns_trust_anchor;	/* NULL: no DNSSEC validation */
	char *const *connect_to;	/* NULL-terminated, or NULL */
	const char *tls_trust_file;	/* NULL: system store */
	int getk_port;			/* port asked at an MX */
	long timeout_ms;		/* per network operation */
	long lookup_timeout_ms;		/* the whole lookup: sources still at
					   work then are temporary failures;
					   0: none */
	long deadline_ms;		/* set by getk_lookup for the engine:
					   when lookup_timeout_ms ends
					   (getk_mono_ms), or 0 */
	size_t max_octets;		/* largest key accepted */
	size_t jobs;			/* most parallel connections */
	const char *ehlo_name;		/* NULL: "localhost" */
	const char *tmpdir;		/* for GnuPG homes; NULL: $TMPDIR */
	const struct getk_logger *log;	/* or NULL */
	/* The user's relay, asked by the relay source (GETK.md 7). */
	struct getk_relay relay;
	const char *relay_password;	/* the caller runs passwordeval */
	/* When not NULL, the relay source leaves here its session to the
	 * relay, authenticated and still sound after its GETKs, instead
	 * of closing it, so that the submission goes on with it
	 * (getk-sendmail): a connection, a TLS handshake and an AUTH less.
	 * The caller then owns it (getk_smtp_close, or getk_submit's
	 * session); it stays NULL when the relay was not asked. */
	struct getk_smtp **relay_session;
	const char *keyring_home;	/* the keyring source's GnuPG home;
					   NULL: $GNUPGHOME, else ~/.gnupg */

	int key_trust_any;		/* key_trust any: keys of trust none
					   are pinned too */
	struct getk_store *store;	/* key cache and pins; NULL: none */
	int refresh;			/* ask the network even when the
					   cache holds a fresh answer */
	long refresh_after;		/* seconds a cached key stays fresh */
	long negative_ttl;		/* seconds "no key" is remembered */

	/* The network half (net.h): getk_net_linked where the program
	 * links it, getk_net_load where it is a module; NULL: the cache
	 * alone, every other address a temporary failure. */
	const struct getk_net *(*net)(char *why, size_t whysz);

	/* Called (from any thread, one call at a time) each time an
	 * address asked on the network is settled; or NULL. */
	void (*progress)(void *arg, size_t done, size_t total);
	void *progress_arg;
};

/* What the cache made of a lookup. */
enum getk_cache_event {
	GETK_CACHE_NONE,	/* no cache, or nothing to say */
	GETK_CACHE_HIT,		/* answered from the cache, no network */
	GETK_CACHE_NEW,		/* first key for the address, now pinned */
	GETK_CACHE_SAME,	/* fetched again: the pinned key */
	GETK_CACHE_ROTATED,	/* a new key replaced the pin, as allowed */
	GETK_CACHE_REFUSED,	/* a new key conflicts with the pin */
	GETK_CACHE_CONFLICT,	/* a change refused before still waits for
				   --accept or --reject */
	GETK_CACHE_FALLBACK	/* the network failed; the cached key used */
};

/* What the engine found for one address. */
struct getk_result {
	char *address;			/* the mailbox looked up */
	enum getk_status status;
	char *reason;			/* English: why not found, or NULL */
	struct getk_key *key;		/* GETK_STATUS_FOUND only */
	enum getk_source source;	/* where the key came from */
	enum getk_trust trust;
	/* Every source that offered this very key, in order of
	 * preference, with its trust (corroboration). */
	struct getk_agreement agreed[GETK_NSOURCES];
	size_t nagreed;
	time_t fetched;
	enum getk_cache_event cache;	/* with a store */
	char offered_sha256[65];	/* of the bytes the source offered,
					   when a key was found; else "" */
	char revoked_fpr[41];		/* a revoked key the source offered
					   for the address, or "" */
	int relay_auth_failed;		/* the relay refused the account's
					   credentials (relay source) */
};

/*
 * Fills LS from ACCOUNT: sources, DNS, TLS, port, timeout, cache ages;
 * the relay (its password only when given as such: the caller runs
 * passwordeval); 65536 octets, GETK_JOBS jobs, this host's EHLO name in HOST
 * (HOSTSZ bytes, which must outlive LS), no store, no log.
 */
void getk_lookup_settings_init(struct getk_lookup_settings *ls,
    const struct getk_account *account, char *host, size_t hostsz);

/*
 * Looks up the N normalised MAILBOXES (see getk_addr_parse).  *R_RESULTS
 * receives a new array of N results in the same order, to be freed with
 * getk_results_free.  Failures of single lookups are results, not
 * errors; the function fails only with GETK_ERR_NOMEM, GETK_ERR_SYSTEM
 * (threads) or GETK_ERR_CONFIG (resolver settings refused, WHY (WHYSZ
 * bytes) says which).
 */
enum getk_err getk_lookup(const struct getk_lookup_settings *settings,
    const char *const *mailboxes, size_t n, struct getk_result **r_results,
    char *why, size_t whysz);

/* Frees N results; NULL is a no-op. */
void getk_results_free(struct getk_result *results, size_t n);

#endif
