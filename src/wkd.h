/*
 * wkd.h: the pure parts of the OpenPGP Web Key Directory
 * (draft-koch-openpgp-webkey-service): the hashed local part, the lookup
 * URLs of the advanced and the direct method, the rule for which
 * redirects a lookup may follow, and the decoding of an ASCII-armored
 * answer.  No network here: the HTTPS fetch lives elsewhere and uses these.
 */
#ifndef GETK_WKD_H
#define GETK_WKD_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Length of a WKD hash: 160 bits of SHA-1 in z-base-32, without the NUL. */
#define GETK_WKD_HASH_LEN 32

/*
 * Writes to R_HASH the z-base-32 (RFC 6189 alphabet) of the SHA-1 of the
 * LEN bytes at LOCAL, the local part of a mailbox, after mapping A-Z to
 * a-z (every other byte, UTF-8 included, is hashed as it is): 32
 * characters and a NUL.  "Joe.Doe" gives "iy9q119eutrkn8s1mk4r39qejnbu3n5q".
 * libgcrypt must have been initialised.  A LOCAL of up to 256 bytes (RFC
 * 5321 allows 64) needs no memory; for a longer one libgcrypt allocates,
 * and when that fails R_HASH is the empty string.
 */
void getk_wkd_hash(const char *local, size_t len,
    char r_hash[GETK_WKD_HASH_LEN + 1]);

/*
 * Builds the WKD lookup URL for MAILBOX "local@domain" (a valid mailbox:
 * the part after the last '@' is taken as the domain).  ADVANCED non-zero:
 *   https://openpgpkey.DOMAIN/.well-known/openpgpkey/DOMAIN/hu/HASH?l=LOCAL
 * else the direct method's
 *   https://DOMAIN/.well-known/openpgpkey/hu/HASH?l=LOCAL
 * with DOMAIN ASCII-lowercased, HASH from getk_wkd_hash() and LOCAL
 * percent-encoded (all but A-Za-z0-9-._~ as upper-case %XX).  On success
 * *R_URL is a new string the caller frees, and R_HOST, when not NULL,
 * holds the host name the URL names (openpgpkey.DOMAIN or DOMAIN).
 * Errors: GETK_ERR_SYNTAX when MAILBOX has no '@', an empty or over-long
 * (RFC 5321) local part, or a domain that is not a host name;
 * GETK_ERR_TOOBIG for the advanced method when "openpgpkey." and DOMAIN
 * together pass the 253 octets of a DNS name (the direct method may still
 * work); GETK_ERR_NOMEM.  *R_URL is NULL and R_HOST empty on error.
 */
enum getk_err getk_wkd_url(const char *mailbox, int advanced, char **r_url,
    char r_host[256]);

/*
 * Whether a WKD lookup for DOMAIN may follow a redirect to URL (an
 * absolute URL, as curl reports it).  Allowed only: the scheme "https://"
 * in lower case; a host of letters, digits, hyphens and dots that is
 * DOMAIN or a subdomain of it (compared ASCII case-insensitively, a
 * trailing dot on either ignored); no port, or port 443.  Refused as
 * well: any userinfo ('@' in the authority), IP literals (brackets, or
 * a numeric last label), percent-encoding in the host, and a URL with
 * backslashes, spaces, control or non-ASCII bytes anywhere.  Non-zero
 * when the redirect may be followed.
 */
int getk_wkd_redirect_ok(const char *url, const char *domain);

/*
 * Decodes the first ASCII-armored OpenPGP public key block (RFC 4880
 * section 6.2) in the LEN bytes at IN and appends the binary key data to
 * OUT.  Before "-----BEGIN PGP PUBLIC KEY BLOCK-----" only white space may
 * come; then armor header lines "Key: value", a blank line (empty or of
 * white space only), lines of base64 (white space at their ends ignored),
 * an optional "=XXXX" CRC-24 checksum line, which must then match the
 * data, and the line "-----END PGP PUBLIC KEY BLOCK-----"; whatever
 * follows it is not read.  Lines end in LF or CRLF.  Errors:
 * GETK_ERR_SYNTAX on any malformation, a wrong checksum or an empty
 * block; GETK_ERR_TOOBIG when the data would pass OUT's limit;
 * GETK_ERR_NOMEM.  On error OUT holds what it held before.
 */
enum getk_err getk_wkd_dearmor(const char *in, size_t len,
    struct getk_buf *out);

/*
 * Non-zero when the LEN bytes at P look ASCII-armored: after optional
 * white space (spaces, tabs, CR, LF) they begin with "-----BEGIN PGP".
 * A WKD server may send either form; zero means take the data as binary.
 */
int getk_wkd_is_armored(const unsigned char *p, size_t len);

#endif
