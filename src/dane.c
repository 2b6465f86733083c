/*
 * dane.c: OPENPGPKEY owner names, TLSA records, and the little DER and
 * PEM handling that matching a TLSA record against a certificate needs.
 *
 * The DER walker reads only the outer structure of a certificate, down to
 * its SubjectPublicKeyInfo, and refuses anything that is not strict DER
 * on that path: a certificate we cannot walk is one we cannot match, and
 * "no match" is the safe answer.  It has to be this strict because its
 * input is whatever a remote server sent.
 */
#include <config.h>

#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "dane.h"

/* RFC 7929 section 3: the hash is SHA-256 truncated to 28 octets. */
#define OPENPGPKEY_HASHLEN 28

static const char openpgpkey_label[] = "._openpgpkey.";
static const char pem_begin[] = "-----BEGIN CERTIFICATE-----";
static const char pem_end[] = "-----END CERTIFICATE-----";

/* DER identifier octets on the path to the SPKI. */
#define DER_INTEGER 0x02
#define DER_BIT_STRING 0x03
#define DER_SEQUENCE 0x30
#define DER_VERSION 0xa0	/* [0] EXPLICIT, constructed */

/* One DER element: where it is, its tag and its contents. */
struct der_tlv {
	unsigned char tag;
	const unsigned char *content;
	size_t len;	/* octets of contents */
	size_t total;	/* octets of tag, length and contents */
};

enum getk_err
getk_dane_openpgpkey_name(const char *local, size_t len, const char *domain,
    char *name, size_t namesz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	size_t dlen, i;

	if (namesz > 0)
		name[0] = '\0';
	dlen = strlen(domain);
	/* Compared piecewise so that nothing can overflow. */
	if (namesz <= 2 * OPENPGPKEY_HASHLEN + sizeof(openpgpkey_label) - 1 ||
	    dlen > namesz - 1 - 2 * OPENPGPKEY_HASHLEN -
	    (sizeof(openpgpkey_label) - 1))
		return GETK_ERR_SYNTAX;
	gcry_md_hash_buffer(GCRY_MD_SHA256, md, local, len);
	for (i = 0; i < OPENPGPKEY_HASHLEN; i++) {
		name[2 * i] = hex[md[i] >> 4];
		name[2 * i + 1] = hex[md[i] & 0x0f];
	}
	memcpy(name + 2 * i, openpgpkey_label, sizeof(openpgpkey_label) - 1);
	i = 2 * i + sizeof(openpgpkey_label) - 1;
	memcpy(name + i, domain, dlen + 1);
	return GETK_OK;
}

enum getk_err
getk_tlsa_parse(const unsigned char *rdata, size_t len,
    struct getk_tlsa *r_tlsa)
{
	size_t dlen;

	memset(r_tlsa, 0, sizeof(*r_tlsa));
	r_tlsa->full = NULL;
	/* Three octets of fields and at least one of data. */
	if (len < 4)
		return GETK_ERR_SYNTAX;
	dlen = len - 3;
	switch (rdata[2]) {
	case GETK_TLSA_SHA256:
		if (dlen != 32)
			return GETK_ERR_SYNTAX;
		memcpy(r_tlsa->data, rdata + 3, dlen);
		break;
	case GETK_TLSA_SHA512:
		if (dlen != 64)
			return GETK_ERR_SYNTAX;
		memcpy(r_tlsa->data, rdata + 3, dlen);
		break;
	default:
		/*
		 * Matching type 0 and those we do not know: kept whole, so
		 * that LEN always says how many bytes there are.
		 */
		if (dlen > GETK_TLSA_FULL_MAX)
			return GETK_ERR_SYNTAX;
		r_tlsa->full = malloc(dlen);
		if (!r_tlsa->full)
			return GETK_ERR_NOMEM;
		memcpy(r_tlsa->full, rdata + 3, dlen);
		break;
	}
	r_tlsa->usage = rdata[0];
	r_tlsa->selector = rdata[1];
	r_tlsa->mtype = rdata[2];
	r_tlsa->len = dlen;
	return GETK_OK;
}

void
getk_tlsa_clear(struct getk_tlsa *t)
{
	if (!t)
		return;
	free(t->full);
	memset(t, 0, sizeof(*t));
	t->full = NULL;
}

int
getk_tlsa_usable(const struct getk_tlsa *t)
{
	if (t->usage != GETK_TLSA_DANE_TA && t->usage != GETK_TLSA_DANE_EE)
		return 0;
	if (t->selector != GETK_TLSA_SEL_CERT &&
	    t->selector != GETK_TLSA_SEL_SPKI)
		return 0;
	switch (t->mtype) {
	case GETK_TLSA_FULL:
		return t->full != NULL && t->len > 0;
	case GETK_TLSA_SHA256:
		return t->len == 32;
	case GETK_TLSA_SHA512:
		return t->len == 64;
	default:
		return 0;
	}
}

/*
 * Reads the DER element at the start of the LEN bytes at P into *R: one
 * identifier octet (the high-tag-number form is refused), a definite
 * length in the shortest form, of at most 4 octets, and contents that end
 * within LEN.  GETK_ERR_SYNTAX otherwise.
 */
static enum getk_err
der_get(const unsigned char *p, size_t len, struct der_tlv *r)
{
	size_t hdr, clen, n, i;

	if (len < 2 || (p[0] & 0x1f) == 0x1f)
		return GETK_ERR_SYNTAX;
	if (p[1] < 0x80) {
		hdr = 2;
		clen = p[1];
	} else {
		/* 0x80 is the indefinite form, which DER forbids. */
		n = p[1] & 0x7f;
		if (n == 0 || n > 4 || len - 2 < n)
			return GETK_ERR_SYNTAX;
		/* No leading zero octet, no long form for short lengths. */
		if (p[2] == 0)
			return GETK_ERR_SYNTAX;
		clen = 0;
		for (i = 0; i < n; i++)
			clen = (clen << 8) | p[2 + i];
		if (clen < 0x80)
			return GETK_ERR_SYNTAX;
		hdr = 2 + n;
	}
	if (clen > len - hdr)
		return GETK_ERR_SYNTAX;
	r->tag = p[0];
	r->content = p + hdr;
	r->len = clen;
	r->total = hdr + clen;
	return GETK_OK;
}

/*
 * Reads the next element of the LEN bytes at P from *POS into *R, which
 * must have the tag TAG, and moves *POS past it.
 */
static enum getk_err
der_next(const unsigned char *p, size_t len, size_t *pos, unsigned char tag,
    struct der_tlv *r)
{
	if (*pos > len || der_get(p + *pos, len - *pos, r) || r->tag != tag)
		return GETK_ERR_SYNTAX;
	*pos += r->total;
	return GETK_OK;
}

enum getk_err
getk_der_cert_spki(const unsigned char *cert, size_t len,
    const unsigned char **r_spki, size_t *r_spkilen)
{
	struct der_tlv c, tbs, f, v, spki;
	size_t pos = 0, i;

	*r_spki = NULL;
	*r_spkilen = 0;
	/* Certificate ::= SEQUENCE { tbsCertificate, ... }, filling LEN. */
	if (der_next(cert, len, &pos, DER_SEQUENCE, &c) || pos != len)
		return GETK_ERR_SYNTAX;
	pos = 0;
	if (der_next(c.content, c.len, &pos, DER_SEQUENCE, &tbs))
		return GETK_ERR_SYNTAX;

	/* version [0] EXPLICIT INTEGER, absent for v1 (its DEFAULT). */
	pos = 0;
	if (der_get(tbs.content, tbs.len, &f))
		return GETK_ERR_SYNTAX;
	if (f.tag == DER_VERSION) {
		if (der_get(f.content, f.len, &v) || v.tag != DER_INTEGER ||
		    v.total != f.len)
			return GETK_ERR_SYNTAX;
		pos = f.total;
	}
	/* serialNumber INTEGER. */
	if (der_next(tbs.content, tbs.len, &pos, DER_INTEGER, &f))
		return GETK_ERR_SYNTAX;
	/* signature, issuer, validity, subject: SEQUENCEs all. */
	for (i = 0; i < 4; i++)
		if (der_next(tbs.content, tbs.len, &pos, DER_SEQUENCE, &f))
			return GETK_ERR_SYNTAX;
	/* subjectPublicKeyInfo ::= SEQUENCE { algorithm, BIT STRING }. */
	if (der_next(tbs.content, tbs.len, &pos, DER_SEQUENCE, &spki))
		return GETK_ERR_SYNTAX;
	pos = 0;
	if (der_next(spki.content, spki.len, &pos, DER_SEQUENCE, &f) ||
	    der_next(spki.content, spki.len, &pos, DER_BIT_STRING, &f) ||
	    pos != spki.len)
		return GETK_ERR_SYNTAX;
	*r_spki = spki.content - (spki.total - spki.len);
	*r_spkilen = spki.total;
	return GETK_OK;
}

int
getk_tlsa_match(const struct getk_tlsa *t, const unsigned char *cert,
    size_t len)
{
	const unsigned char *spki, *p;
	unsigned char md[64];
	size_t spkilen, plen;

	if (getk_der_cert_spki(cert, len, &spki, &spkilen))
		return 0;
	switch (t->selector) {
	case GETK_TLSA_SEL_CERT:
		p = cert;
		plen = len;
		break;
	case GETK_TLSA_SEL_SPKI:
		p = spki;
		plen = spkilen;
		break;
	default:
		return 0;
	}
	switch (t->mtype) {
	case GETK_TLSA_FULL:
		return t->full != NULL && t->len == plen &&
		    memcmp(t->full, p, plen) == 0;
	case GETK_TLSA_SHA256:
		if (t->len != 32)
			return 0;
		gcry_md_hash_buffer(GCRY_MD_SHA256, md, p, plen);
		return memcmp(md, t->data, 32) == 0;
	case GETK_TLSA_SHA512:
		if (t->len != 64)
			return 0;
		gcry_md_hash_buffer(GCRY_MD_SHA512, md, p, plen);
		return memcmp(md, t->data, 64) == 0;
	default:
		return 0;
	}
}

static int
pem_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
pem_base64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

/*
 * Moves *POS past the line end ("\n" or "\r\n") there must be at *POS in
 * the LEN bytes at P; 0 when there is none.
 */
static int
pem_eol(const char *p, size_t len, size_t *pos)
{
	if (*pos < len && p[*pos] == '\r')
		(*pos)++;
	if (*pos >= len || p[*pos] != '\n')
		return 0;
	(*pos)++;
	return 1;
}

enum getk_err
getk_pem_cert_to_der(const char *pem, size_t len, struct getk_buf *out)
{
	struct getk_buf b64, der;
	size_t pos = 0, endlen = sizeof(pem_end) - 1, start, stop;
	enum getk_err err = GETK_ERR_SYNTAX;

	/* The base64 is at most LEN bytes, the DER less. */
	getk_buf_init(&b64, len);
	getk_buf_init(&der, len);
	while (pos < len && pem_space(pem[pos]))
		pos++;
	if (len - pos < sizeof(pem_begin) - 1 ||
	    memcmp(pem + pos, pem_begin, sizeof(pem_begin) - 1) != 0)
		goto leave;
	pos += sizeof(pem_begin) - 1;
	if (!pem_eol(pem, len, &pos))
		goto leave;
	/* Lines of base64 up to the END line; none may be empty. */
	for (;;) {
		if (pos >= len)
			goto leave;	/* no END line */
		if (len - pos >= endlen &&
		    memcmp(pem + pos, pem_end, endlen) == 0)
			break;
		start = pos;
		while (pos < len && pem_base64(pem[pos]))
			pos++;
		stop = pos;
		if (stop == start || !pem_eol(pem, len, &pos))
			goto leave;
		err = getk_buf_add(&b64, pem + start, stop - start);
		if (err)
			goto leave;
		err = GETK_ERR_SYNTAX;
	}
	for (pos += endlen; pos < len; pos++)
		if (!pem_space(pem[pos]))
			goto leave;
	if (b64.len == 0)
		goto leave;
	err = getk_base64_decode(b64.data, b64.len, &der);
	if (err)
		goto leave;
	if (der.len == 0) {
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	/* All or nothing: OUT is unchanged when this fails. */
	err = getk_buf_add(out, der.data, der.len);

leave:
	getk_buf_free(&b64);
	getk_buf_free(&der);
	return err;
}
