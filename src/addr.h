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

/*
 * The addr-spec of the OpenPGP User ID UID as UID spells it.  gpgme
 * gives a User ID's addr-spec ASCII-lowercased (ADDRESS), which would
 * make every local part match as the lower-case one; the rule of
 * getk_mailbox_match needs its own case.  It is the part of UID between
 * its first '<' and the '>' after it (as gpg takes it), else UID itself,
 * when that equals ADDRESS without regard to case; else NULL.  The
 * result points into UID, *R_LEN octets long.
 */
const char *getk_uid_addr_spec(const char *uid, const char *address,
    size_t *r_len);

/*
 * The mailbox gpg sees in the User ID UID, as GnuPG 2.2's
 * mailbox_from_userid() finds it for import filters ("mbox"): the text
 * between the first '<' and the '>' after it, when that has one '@',
 * something before it, something after it not ending in '.', no control
 * character or space and no ".." after the '@'; else, without '<', UID
 * itself when it is a plain mailbox (is_valid_mailbox()).  ASCII
 * lower-cased into MBOX (MBOXSZ bytes).  Returns 1 when UID has one
 * that fits, else 0.
 */
int getk_uid_mbox(const char *uid, char *mbox, size_t mboxsz);

/*
 * Address lists (RFC 5322 3.4), the bodies of To, Cc, Bcc and their
 * Resent- forms: at most GETK_MAX_ADDRESSES mailboxes in one list, and
 * the list at most GETK_MAX_ADDRLIST octets long.
 */
#define GETK_MAX_ADDRESSES 1000
#define GETK_MAX_ADDRLIST (1024 * 1024)

/*
 * Parses the LEN bytes at VALUE as an RFC 5322 address-list: the body of
 * a header field such as To or Cc, unfolded or still folded (a CRLF or LF
 * followed by a space or tab is removed, as RFC 5322 2.2.3 unfolds).
 *
 * Accepted: mailboxes, as an addr-spec or as "display-name <addr-spec>";
 * groups ("name: a@b.example, c@d.example;"), empty ones included
 * ("undisclosed-recipients:;"), and a group whose ';' is missing at the
 * very end of the list, as some mailers write it; display names of atoms,
 * dots, quoted strings (with quoted pairs) and RFC 2047 encoded words,
 * which are left alone (they are atoms); 8-bit bytes in display names
 * and comments; comments, nested and with quoted pairs, wherever RFC 5322
 * allows CFWS, also inside an addr-spec (its obsolete form), where they
 * are dropped; empty elements ("a@b.example,,c@d.example", a trailing
 * comma), which are skipped.
 *
 * Refused with GETK_ERR_SYNTAX: an address without a domain, a route
 * ("<@route:a@b.example>"), a group inside a group, a mailbox that
 * getk_mailbox_check() refuses (its reason is given), a CR or LF that is
 * not part of a folding line break, a NUL byte, and anything else that is
 * not an address-list.  Over a limit: GETK_ERR_TOOBIG.
 *
 * On success *R_MAILBOXES is a new NULL-terminated array of *R_N new
 * strings, in the order of the input, duplicates kept (an empty list
 * gives an array holding only NULL); free it with getk_strv_free().
 * Each string is the mailbox as getk_addr_parse() gives it: the domain
 * ASCII-lowercased, the local part as written (a quoted local part with
 * its quotes), without the comments and white space around its parts.
 * On failure *R_MAILBOXES is NULL, *R_N 0 and, but for GETK_ERR_NOMEM,
 * *R_WHY a static English reason.
 */
enum getk_err getk_addrlist_parse(const char *value, size_t len,
    char ***r_mailboxes, size_t *r_n, const char **r_why);

#endif
