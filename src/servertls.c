/*
 * servertls.c: getkd's certificate and key: reading, passing to the
 * session process, and the OpenSSL server context.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "buf.h"
#include "servertls.h"

static enum getk_err
read_file(const char *path, char **r_data, size_t *r_len, char *why,
    size_t whysz)
{
	struct getk_buf b;
	enum getk_err err;
	int fd;

	getk_buf_init(&b, GETK_CREDS_MAX);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
		return GETK_ERR_SYSTEM;
	}
	err = getk_buf_read_fd(&b, fd);
	close(fd);
	if (err == GETK_ERR_SYSTEM)
		snprintf(why, whysz, "%s: %s", path, strerror(errno));
	else if (err == GETK_ERR_TOOBIG)
		snprintf(why, whysz, "%s: larger than %d bytes", path,
		    GETK_CREDS_MAX);
	if (err) {
		explicit_bzero(b.data, b.cap);
		getk_buf_free(&b);
		return err;
	}
	*r_data = getk_buf_take(&b, r_len);
	return *r_data ? GETK_OK : GETK_ERR_NOMEM;
}

void
getk_creds_clear(struct getk_creds *c)
{
	if (c->key)
		explicit_bzero(c->key, c->keylen);
	free(c->key);
	free(c->cert);
	memset(c, 0, sizeof(*c));
}

enum getk_err
getk_creds_load(const char *cert_file, const char *key_file,
    struct getk_creds *r, char *why, size_t whysz)
{
	enum getk_err err;

	memset(r, 0, sizeof(*r));
	why[0] = '\0';
	err = read_file(cert_file, &r->cert, &r->certlen, why, whysz);
	if (!err)
		err = read_file(key_file, &r->key, &r->keylen, why, whysz);
	if (err)
		getk_creds_clear(r);
	return err;
}

/* Writes all LEN bytes at P to FD. */
static enum getk_err
write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return GETK_ERR_SYSTEM;
		p += n;
		len -= (size_t)n;
	}
	return GETK_OK;
}

enum getk_err
getk_creds_send(int fd, const struct getk_creds *c)
{
	char head[64];
	int n;
	enum getk_err err;

	n = snprintf(head, sizeof(head), "CREDS %zu %zu\n", c->certlen,
	    c->keylen);
	err = write_all(fd, head, (size_t)n);
	if (!err)
		err = write_all(fd, c->cert, c->certlen);
	if (!err)
		err = write_all(fd, c->key, c->keylen);
	return err;
}

/* A decimal number at *PP up to a space or LF; -1 when there is none. */
static long
parse_len(const char **pp, const char *end)
{
	const char *p = *pp;
	long n = 0;

	if (p >= end || *p < '0' || *p > '9')
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n > GETK_CREDS_MAX)
			return -1;
	}
	*pp = p;
	return n;
}

enum getk_err
getk_creds_unpack(const char *p, size_t len, struct getk_creds *r,
    size_t *r_used)
{
	const char *end = p + len, *nl = memchr(p, '\n', len), *q;
	long certlen, keylen;
	size_t head;
	struct getk_creds c;

	*r_used = 0;
	if (!nl)
		return len > 64 ? GETK_ERR_SYNTAX : GETK_OK;
	if (len < 6 || memcmp(p, "CREDS ", 6) != 0)
		return GETK_ERR_SYNTAX;
	q = p + 6;
	certlen = parse_len(&q, nl);
	if (certlen < 0 || q >= nl || *q != ' ')
		return GETK_ERR_SYNTAX;
	q++;
	keylen = parse_len(&q, nl);
	if (keylen < 0 || q != nl)
		return GETK_ERR_SYNTAX;
	head = (size_t)(nl + 1 - p);
	if ((size_t)(end - nl - 1) < (size_t)certlen + (size_t)keylen)
		return GETK_OK;
	memset(&c, 0, sizeof(c));
	c.cert = malloc((size_t)certlen + 1);
	c.key = malloc((size_t)keylen + 1);
	if (!c.cert || !c.key) {
		free(c.cert);
		free(c.key);
		return GETK_ERR_NOMEM;
	}
	memcpy(c.cert, nl + 1, (size_t)certlen);
	c.cert[certlen] = '\0';
	c.certlen = (size_t)certlen;
	memcpy(c.key, nl + 1 + certlen, (size_t)keylen);
	c.key[keylen] = '\0';
	c.keylen = (size_t)keylen;
	*r = c;
	*r_used = head + (size_t)certlen + (size_t)keylen;
	return GETK_OK;
}

static enum getk_err
tls_fail(char *why, size_t whysz, const char *what)
{
	unsigned long e = ERR_get_error();
	char reason[256];

	ERR_error_string_n(e, reason, sizeof(reason));
	snprintf(why, whysz, "%s: %s", what, e ? reason : "no reason given");
	ERR_clear_error();
	return GETK_ERR_TLS;
}

enum getk_err
getk_tls_ctx_new(const struct getk_creds *c, SSL_CTX **r_ctx, char *why,
    size_t whysz)
{
	SSL_CTX *ctx = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;
	EVP_PKEY *pkey = NULL;
	enum getk_err err = GETK_OK;

	*r_ctx = NULL;
	why[0] = '\0';
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx) {
		err = tls_fail(why, whysz, "cannot make a TLS context");
		goto leave;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	bio = BIO_new_mem_buf(c->cert, (int)c->certlen);
	if (bio)
		x = PEM_read_bio_X509_AUX(bio, NULL, NULL, NULL);
	if (!x) {
		err = tls_fail(why, whysz, "no certificate in tls_cert_file");
		goto leave;
	}
	if (SSL_CTX_use_certificate(ctx, x) != 1) {
		err = tls_fail(why, whysz, "tls_cert_file");
		goto leave;
	}
	/* The rest of the file is the chain. */
	for (;;) {
		X509 *ca = PEM_read_bio_X509(bio, NULL, NULL, NULL);

		if (!ca)
			break;
		if (SSL_CTX_add0_chain_cert(ctx, ca) != 1) {
			X509_free(ca);
			err = tls_fail(why, whysz, "tls_cert_file chain");
			goto leave;
		}
	}
	ERR_clear_error();
	BIO_free(bio);
	bio = BIO_new_mem_buf(c->key, (int)c->keylen);
	if (bio)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!pkey) {
		err = tls_fail(why, whysz, "no private key in tls_key_file");
		goto leave;
	}
	if (SSL_CTX_use_PrivateKey(ctx, pkey) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		err = tls_fail(why, whysz, "tls_key_file does not match "
		    "tls_cert_file");
		goto leave;
	}
	*r_ctx = ctx;
	ctx = NULL;
leave:
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(pkey);
	SSL_CTX_free(ctx);
	return err;
}
