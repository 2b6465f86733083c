/*
 * addr.h: RFC 5321 mailboxes: validation, parsing of the forms users type,
 * normalisation.  Pure functions.
 */
#ifndef GETK_ADDR_H
#define GETK_ADDR_H

#include <stddef.h>

#include "error.h"

/* RFC 5321 4.5.3.1: local part 64 octets, whole path 256 with brackets. */
#define GETK_MAX_LOCAL 64
#define GETK_MAX_DOMAIN 253
#define GETK_MAX_MAILBOX 254

/*
 * Checks that the LEN bytes at S are an RFC 5321 Mailbox of ASCII
 * characters: a dot-string or quoted-string local part, "@", a domain name
 * of letter-digit-hyphen labels (no address literals), within the length
 * limits.  Returns NULL when it is, else an English reason.
 */
const char *getk_mailbox_check(const char *s, size_t len);

/*
 * Parses an address as a user writes it on a command line or in a
 * header: "user@example.org", "<user@example.org>" or
 * "Display Name <user@example.org>", with white space around.  On success
 * *R_MAILBOX is a new string holding the normalised mailbox (the domain
 * ASCII-lowercased, the local part as given).  GETK_ERR_SYNTAX with
 * *R_WHY set to a static English reason, GETK_ERR_NOMEM.
 */
enum getk_err getk_addr_parse(const char *in, char **r_mailbox,
    const char **r_why);

/* The domain of a valid mailbox: the part after the last '@'. */
const char *getk_mailbox_domain(const char *mailbox);

/*
 * Compares an OpenPGP User ID's addr-spec UID with the queried MAILBOX
 * the way GETK.md 6.5 asks: the domain case-insensitively, the local part
 * exactly or as the ASCII-lowercased form of MAILBOX's.  Non-zero on a
 * match.
 */
int getk_mailbox_match(const char *mailbox, const char *uid);

#endif
