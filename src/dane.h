/*
 * dane.h: the pure parts of DANE: OPENPGPKEY owner names (RFC 7929),
 * TLSA records (RFC 6698, as SMTP uses them by RFC 7672), the
 * SubjectPublicKeyInfo of a DER certificate, and PEM certificates as
 * libcurl reports them.
 *
 * Nothing here does I/O: the DNS lookups are src/dns.c's business, the
 * TLS handshake the caller's.  The digests come from libgcrypt, which the
 * program must have initialised (getk_key_init) before any call here.
 */
#ifndef GETK_DANE_H
#define GETK_DANE_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Most TLSA records a caller keeps from one RRset. */
#define GETK_TLSA_MAX 16

/* TLSA certificate usages, selectors and matching types (RFC 6698 7.2-4). */
#define GETK_TLSA_PKIX_TA 0
#define GETK_TLSA_PKIX_EE 1
#define GETK_TLSA_DANE_TA 2
#define GETK_TLSA_DANE_EE 3
#define GETK_TLSA_SEL_CERT 0
#define GETK_TLSA_SEL_SPKI 1
#define GETK_TLSA_FULL 0
#define GETK_TLSA_SHA256 1
#define GETK_TLSA_SHA512 2

/* Longest association data getk_tlsa_parse keeps for matching type 0. */
#define GETK_TLSA_FULL_MAX 65535

/*
 * One parsed TLSA record.  The association data are in DATA for the
 * digest matching types 1 and 2, and in FULL for every other matching
 * type; LEN is their length either way.
 */
struct getk_tlsa {
	unsigned char usage;		/* certificate usage, GETK_TLSA_* */
	unsigned char selector;		/* GETK_TLSA_SEL_* */
	unsigned char mtype;		/* matching type, GETK_TLSA_* */
	unsigned char data[64];		/* the digest (mtypes 1 and 2);
					   unused otherwise */
	size_t len;			/* bytes of association data */
	unsigned char *full;		/* mtype 0 (and unknown mtypes): a
					   malloc'd copy of the data (the
					   whole cert or SPKI for mtype 0),
					   owned by the record; NULL for
					   mtypes 1 and 2 */
};

/*
 * Writes into NAME (NAMESZ bytes, NUL-terminated) the OPENPGPKEY owner
 * name of RFC 7929 section 3 for the LEN bytes of the local part LOCAL at
 * DOMAIN: the lower-case hex of the first 28 octets of SHA-256(LOCAL),
 * "._openpgpkey." and DOMAIN.  LOCAL is hashed exactly as given (no case
 * folding, no decoding: that is the caller's choice); DOMAIN is copied as
 * given.  GETK_ERR_SYNTAX when the name does not fit into NAMESZ bytes
 * (NAME is then "" when NAMESZ is not 0).
 */
enum getk_err getk_dane_openpgpkey_name(const char *local, size_t len,
    const char *domain, char *name, size_t namesz);

/*
 * Parses the LEN bytes of TLSA rdata (RFC 6698 2.1: usage, selector,
 * matching type, association data) into *R_TLSA, which is cleared first;
 * free what it holds with getk_tlsa_clear.  Unknown usages, selectors and
 * matching types are parsed, not refused: getk_tlsa_usable tells whether
 * a record can be used.  GETK_ERR_SYNTAX when the rdata is shorter than
 * 4 bytes, when a SHA-256 (mtype 1) digest is not 32 bytes or a SHA-512
 * (mtype 2) digest not 64, or when mtype 0 data are empty or longer than
 * GETK_TLSA_FULL_MAX; the same limit holds for unknown matching types.
 * GETK_ERR_NOMEM.
 */
enum getk_err getk_tlsa_parse(const unsigned char *rdata, size_t len,
    struct getk_tlsa *r_tlsa);

/* Frees what T holds and clears it; it may be cleared again. */
void getk_tlsa_clear(struct getk_tlsa *t);

/*
 * Non-zero when RFC 7672 lets SMTP use the record T and this module can
 * match it: usage DANE-EE (3) or DANE-TA (2), selector 0 or 1, matching
 * type 0, 1 or 2.  The PKIX usages 0 and 1 are unusable for SMTP (RFC
 * 7672 3.1.3).  For DANE-TA the caller matches the record against the
 * certificates of the chain, not the server's own.
 */
int getk_tlsa_usable(const struct getk_tlsa *t);

/*
 * Finds the SubjectPublicKeyInfo of the DER certificate (X.509 v1 or v3)
 * of LEN bytes at CERT: *R_SPKI points into CERT and *R_SPKILEN is its
 * length with its own tag and length octets.  The DER is walked strictly:
 * the certificate is one SEQUENCE filling LEN exactly; single-octet tags;
 * definite, minimally encoded lengths of at most 4 octets; nothing runs
 * past its parent; the tbsCertificate holds an optional [0] version, the
 * serial INTEGER, then five SEQUENCEs of which the last is the SPKI, itself
 * a SEQUENCE of an AlgorithmIdentifier SEQUENCE and a BIT STRING.  The
 * contents of the other fields are not looked at.  GETK_ERR_SYNTAX
 * otherwise, with *R_SPKI NULL and *R_SPKILEN 0.
 */
enum getk_err getk_der_cert_spki(const unsigned char *cert, size_t len,
    const unsigned char **r_spki, size_t *r_spkilen);

/*
 * Whether the TLSA record T matches the DER certificate CERT of LEN
 * bytes: selector 0 compares the whole certificate, 1 its SPKI; matching
 * type 0 compares the bytes, 1 their SHA-256, 2 their SHA-512.  The usage
 * is not looked at (see getk_tlsa_usable).  1 for a match, 0 otherwise:
 * also for a certificate getk_der_cert_spki refuses (whatever the
 * selector), and for a selector or matching type this module does not
 * know.
 */
int getk_tlsa_match(const struct getk_tlsa *t, const unsigned char *cert,
    size_t len);

/*
 * Converts the one PEM certificate in the LEN bytes at PEM (from
 * "-----BEGIN CERTIFICATE-----" to "-----END CERTIFICATE-----", as
 * libcurl's CURLINFO_CERTINFO "Cert:" field gives it) to DER, appended to
 * OUT.  White space may come before the BEGIN line and after the END
 * line; the lines between hold strict base64 only and end in LF (CR LF is
 * accepted).  GETK_ERR_SYNTAX when the armor or the base64 is malformed
 * or holds no bytes, GETK_ERR_TOOBIG when OUT's limit is passed,
 * GETK_ERR_NOMEM; on failure OUT is left as it was.
 */
enum getk_err getk_pem_cert_to_der(const char *pem, size_t len,
    struct getk_buf *out);

#endif
