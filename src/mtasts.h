/*
 * mtasts.h: the pure parts of MTA-STS (RFC 8461): the _mta-sts TXT record,
 * the policy file, MX pattern matching and a canonical text form of a
 * policy for the cache.
 *
 * Nothing here does I/O: the DNS lookup and the HTTPS fetch belong to the
 * caller, which hands the bytes over.  That keeps the parsers unit-tested
 * and fuzzed on their own (STYLE.md 11).
 */
#ifndef GETK_MTASTS_H
#define GETK_MTASTS_H

#include <stddef.h>

#include "error.h"

/* What a sender does when no MX matches or TLS fails (RFC 8461 5). */
enum getk_mtasts_mode {
	GETK_MTASTS_NONE,	/* no policy in force */
	GETK_MTASTS_TESTING,	/* report, but deliver anyway */
	GETK_MTASTS_ENFORCE	/* deliver only to matching MX over TLS */
};

/* Most "mx" lines accepted in one policy. */
#define GETK_MTASTS_MAX_MX 32
/* Most bytes of policy body accepted. */
#define GETK_MTASTS_MAX_POLICY 65536
/* Largest max_age (RFC 8461 3.2); larger values are clamped to it. */
#define GETK_MTASTS_MAX_AGE 31557600
/* Size of the id buffer of getk_mtasts_parse_txt: 32 characters and NUL. */
#define GETK_MTASTS_ID_SIZE 33

/* A parsed policy (RFC 8461 3.2). */
struct getk_mtasts_policy {
	enum getk_mtasts_mode mode;	/* the "mode" field */
	long max_age;			/* seconds, 0 to GETK_MTASTS_MAX_AGE */
	size_t nmx;			/* patterns in mx[], at most
					   GETK_MTASTS_MAX_MX; 0 only in
					   mode none */
	char mx[GETK_MTASTS_MAX_MX][256];	/* "host.example" or
					   "*.example": lower case, no
					   trailing dot, at most 253
					   characters */
};

/*
 * Parses the text of an _mta-sts TXT record (RFC 8461 3.1), LEN bytes at
 * TXT with the record's character-strings already concatenated, such as
 * "v=STSv1; id=20160831085700Z;".  The record must start with "v=STSv1";
 * fields are separated by ';' with optional blanks around it, a final ';'
 * and final blanks are allowed, "id" (1 to 32 letters and digits) is
 * required and the first one counts, and other well-formed name=value
 * fields are ignored.  Names are case-sensitive.  The id is written,
 * NUL-terminated, to R_ID, which is cleared on entry.  GETK_ERR_SYNTAX
 * for anything else.
 *
 * Given several TXT records, the caller first drops those that do not
 * begin with "v=STSv1;" and gives up unless exactly one is left (RFC 8461
 * 3.1); this function judges that one.
 */
enum getk_err getk_mtasts_parse_txt(const char *txt, size_t len,
    char r_id[GETK_MTASTS_ID_SIZE]);

/*
 * Parses a policy file (RFC 8461 3.2) of LEN bytes at BODY into
 * *R_POLICY, which is cleared on entry and stays cleared on failure.
 *
 * Lines end in CRLF or LF (the last one may have neither) and are
 * "name: value" with optional blanks after the colon and at the end of
 * the line; blank lines are ignored.  Names are case-sensitive, as in the
 * RFC's ABNF.  "version: STSv1", "mode" (enforce, testing or none) and
 * "max_age" (1 to 10 digits, clamped to GETK_MTASTS_MAX_AGE) are required
 * and the first of each counts; "mx" ([*.]host name) is repeatable and
 * required unless the mode is none.  Other well-formed fields are ignored.
 *
 * Errors: GETK_ERR_SYNTAX (malformed, a field missing or a NUL byte),
 * GETK_ERR_TOOBIG (over GETK_MTASTS_MAX_POLICY bytes or more than
 * GETK_MTASTS_MAX_MX mx lines).  On failure an English reason ("line 3:
 * bad mx pattern", "policy has no max_age") goes to WHY (WHYSZ bytes; WHY
 * may be NULL when WHYSZ is 0); on success WHY is "".
 */
enum getk_err getk_mtasts_parse_policy(const char *body, size_t len,
    struct getk_mtasts_policy *r_policy, char *why, size_t whysz);

/*
 * Non-zero when HOST, an MX host name (any case, with or without a
 * trailing dot), matches one of the patterns of P (RFC 8461 4.1): equal
 * but for case, or, for a pattern "*.example.com", equal to it but for
 * one leftmost label ("a.example.com", not "example.com" nor
 * "a.b.example.com").  A HOST that is not a valid host name matches
 * nothing.
 */
int getk_mtasts_mx_match(const struct getk_mtasts_policy *p,
    const char *host);

/*
 * The name of mode M as the policy file spells it, for messages and
 * output: "enforce", "testing" or "none" ("unknown" for a value out of
 * range).
 * Never NULL, never freed.
 */
const char *getk_mtasts_mode_name(enum getk_mtasts_mode m);

/*
 * Writes P in the canonical policy file form
 *
 *     version: STSv1\r\n
 *     mode: MODE\r\n
 *     mx: PATTERN\r\n        (once per pattern, in order)
 *     max_age: N\r\n
 *
 * to a new NUL-terminated string in *R_TEXT (the caller frees it; NULL on
 * failure).  getk_mtasts_parse_policy() reads it back to an equal policy,
 * so the text can be cached.  GETK_ERR_INVAL when P is not such a policy
 * as the parser makes (mode or max_age out of range, too many patterns,
 * none in a mode other than none, a pattern not valid or not lower case),
 * GETK_ERR_NOMEM.
 */
enum getk_err getk_mtasts_policy_text(const struct getk_mtasts_policy *p,
    char **r_text);

#endif
