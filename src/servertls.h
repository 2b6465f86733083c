/*
 * servertls.h: getkd's certificate and key, from the files to the
 * OpenSSL context the session process serves STARTTLS with.
 *
 * The privileged parent reads the files (they are root's, as the MTA's
 * are) and hands their bytes to the session process, at start and on
 * SIGHUP, over a socket: the session process never opens them, so it
 * can run as an unprivileged user and still take a new certificate.
 */
#ifndef GETK_SERVERTLS_H
#define GETK_SERVERTLS_H

#include <stddef.h>

#include <openssl/ssl.h>

#include "error.h"

/* Largest certificate chain or key file read. */
#define GETK_CREDS_MAX (256 * 1024)

/* A certificate chain and its key, PEM, as read from the files. */
struct getk_creds {
	char *cert;
	size_t certlen;
	char *key;		/* wiped when freed */
	size_t keylen;
};

/*
 * Reads CERT_FILE and KEY_FILE (each at most GETK_CREDS_MAX bytes) into
 * *R.  GETK_ERR_SYSTEM or GETK_ERR_TOOBIG with WHY (WHYSZ bytes) naming
 * the file; GETK_ERR_NOMEM.
 */
enum getk_err getk_creds_load(const char *cert_file, const char *key_file,
    struct getk_creds *r, char *why, size_t whysz);

/* Frees what C holds, the key wiped first; C is left empty. */
void getk_creds_clear(struct getk_creds *c);

/*
 * Writes C to the socket FD as one message (blocking):
 * "CREDS CERTLEN KEYLEN\n", the certificate bytes, the key bytes.
 * GETK_ERR_SYSTEM.
 */
enum getk_err getk_creds_send(int fd, const struct getk_creds *c);

/*
 * Takes one message of getk_creds_send() from the LEN bytes at P into
 * *R.  GETK_OK with *R_USED the bytes it took, or 0 when the message is
 * not complete yet (R untouched); GETK_ERR_SYNTAX for bytes that are
 * not such a message; GETK_ERR_NOMEM.  Pure.
 */
enum getk_err getk_creds_unpack(const char *p, size_t len,
    struct getk_creds *r, size_t *r_used);

/*
 * A new server SSL_CTX for STARTTLS from C: TLS 1.2 or later, no
 * compression or renegotiation, buffers released while idle (many
 * sessions stay open), the certificate chain and key checked to match.
 * GETK_ERR_TLS with WHY (OpenSSL's reason); GETK_ERR_NOMEM.
 */
enum getk_err getk_tls_ctx_new(const struct getk_creds *c, SSL_CTX **r_ctx,
    char *why, size_t whysz);

#endif
