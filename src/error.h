/*
 * error.h: the one error type of the getk library.
 *
 * Every library function that can fail returns an enum getk_err.  The
 * value says what kind of failure it was, and getk_err_is_temporary() says
 * whether trying again later may help; the mapping to sysexits(3) codes is
 * the business of the programs in cmd/, never of the library.
 *
 * Details (which host, which address, which line) travel in one way: a
 * buffer of the caller's, "char *why, size_t whysz", which the function
 * sets to "" on entry and to a sentence on failure, cut to fit.  The one
 * exception is the pure parsers (addresses, headers, reply lines, ...):
 * their reasons are fixed strings, handed back as "const char **r_why",
 * since they have nothing to add to them.
 */
#ifndef GETK_ERROR_H
#define GETK_ERROR_H

enum getk_err {
	GETK_OK = 0,
	GETK_ERR_NOMEM,		/* out of memory */
	GETK_ERR_INVAL,		/* a bad argument from the caller */
	GETK_ERR_CONFIG,	/* a configuration error */
	GETK_ERR_SYNTAX,	/* malformed input (address, reply, file) */
	GETK_ERR_TOOBIG,	/* input over an explicit limit */
	GETK_ERR_DAMAGED,	/* a file of ours is damaged, of another
				   program, or of a newer version */
	GETK_ERR_SYSTEM,	/* a system call failed (see errno) */
	GETK_ERR_DNS_TEMP,	/* DNS timeout or SERVFAIL */
	GETK_ERR_DNS_BOGUS,	/* DNSSEC validation failed */
	GETK_ERR_NOSERVER,	/* no server: its name does not exist, or it
				   refused the TCP connection */
	GETK_ERR_CONNECT,	/* could not reach a server, or the
				   connection was lost after it opened */
	GETK_ERR_TLS,		/* TLS handshake or certificate failure */
	GETK_ERR_TIMEOUT,	/* a network operation timed out */
	GETK_ERR_PROTO,		/* the peer broke the protocol */
	GETK_ERR_TEMPFAIL,	/* the peer answered 4yz */
	GETK_ERR_PERMFAIL,	/* the peer answered 5yz */
	GETK_ERR_NOTSUPP,	/* the peer lacks a required extension */
	GETK_ERR_AUTH,		/* authentication failed */
	GETK_ERR_NOKEY,		/* no key exists for the address */
	GETK_ERR_BADKEY,	/* a key was offered but failed verification */
	GETK_ERR_CRYPTO,	/* the OpenPGP engine failed */
	GETK_ERR_INTERNAL	/* a bug */
};

/* A short English description of ERR; never NULL, never freed. */
const char *getk_strerror(enum getk_err err);

/*
 * Non-zero when ERR is a failure that may go away by itself: network,
 * DNS, timeouts, 4yz replies.  Out of memory counts as temporary.
 */
int getk_err_is_temporary(enum getk_err err);

#endif
