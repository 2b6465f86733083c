/*
 * fuzz-tlsa.c: libFuzzer target for the TLSA and DER parts of src/dane.c.
 *
 * The input is given whole to getk_tlsa_parse() as TLSA rdata, to
 * getk_der_cert_spki() as a certificate, and to getk_tlsa_match() as the
 * certificate for a fixed 3 1 1 record (the SPKI digest of the seed
 * "ec-cert") and for records made from the input itself.  Checks: a
 * parsed record holds the input's first three octets and the rest as its
 * data, and it is refused exactly when the lengths of RFC 6698 say so; a
 * found SPKI lies inside the input, is a SEQUENCE whose encoded length
 * covers it exactly, and matches records of its own bytes and digest (and
 * not those of the whole certificate); an input that is no certificate
 * matches nothing.  On failure the outputs must be cleared.
 */
#include <config.h>

#include <gcrypt.h>

#include "fuzz.h"
#include "dane.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* SHA-256 of the SPKI of the seed "ec-cert": found only in a certificate. */
static const unsigned char fixed_digest[32] = {
	0x1b, 0xf4, 0xc3, 0xed, 0x49, 0xcf, 0x90, 0xd9, 0xdf, 0xfb, 0x80,
	0x62, 0xa7, 0xac, 0xe8, 0x63, 0xad, 0xdc, 0xf1, 0x5a, 0x49, 0xc3,
	0xdb, 0x5f, 0x17, 0x06, 0x3d, 0xc5, 0xd4, 0x27, 0x46, 0xf2,
};

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (!gcry_check_version(NULL))
		abort();
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return 0;
}

/*
 * Whether the record 3 SELECTOR MTYPE with the DLEN bytes of DATA
 * matches CERT: 1 or 0, -1 when the record cannot be made.
 */
static int
match_with(unsigned char selector, unsigned char mtype,
    const unsigned char *data, size_t dlen, const uint8_t *cert, size_t len)
{
	unsigned char *rdata;
	struct getk_tlsa t;
	int m;

	rdata = malloc(dlen + 3);
	if (!rdata)
		return -1;
	rdata[0] = 3;
	rdata[1] = selector;
	rdata[2] = mtype;
	memcpy(rdata + 3, data, dlen);
	if (getk_tlsa_parse(rdata, dlen + 3, &t) != GETK_OK) {
		free(rdata);
		return -1;
	}
	free(rdata);
	ASSERT(getk_tlsa_usable(&t));
	m = getk_tlsa_match(&t, cert, len);
	ASSERT(m == 0 || m == 1);
	getk_tlsa_clear(&t);
	return m;
}

static void
check_tlsa(const uint8_t *data, size_t size)
{
	struct getk_tlsa t;
	enum getk_err err;
	size_t dlen = size >= 3 ? size - 3 : 0;
	int want_ok, usable;

	memset(&t, 0x55, sizeof(t));
	err = getk_tlsa_parse(data, size, &t);
	want_ok = size >= 4 && (data[2] == 1 ? dlen == 32 :
	    data[2] == 2 ? dlen == 64 : dlen <= GETK_TLSA_FULL_MAX);
	if (err != GETK_OK) {
		ASSERT(err == GETK_ERR_SYNTAX || err == GETK_ERR_NOMEM);
		ASSERT(err == GETK_ERR_NOMEM || !want_ok);
		ASSERT(t.usage == 0 && t.selector == 0 && t.mtype == 0);
		ASSERT(t.len == 0 && t.full == NULL);
		return;
	}
	ASSERT(want_ok);
	ASSERT(t.usage == data[0] && t.selector == data[1] &&
	    t.mtype == data[2]);
	ASSERT(t.len == dlen);
	if (t.mtype == 1 || t.mtype == 2) {
		ASSERT(t.full == NULL);
		ASSERT(memcmp(t.data, data + 3, dlen) == 0);
	} else {
		ASSERT(t.full != NULL);
		ASSERT(memcmp(t.full, data + 3, dlen) == 0);
	}
	usable = (t.usage == 2 || t.usage == 3) && t.selector <= 1 &&
	    t.mtype <= 2;
	ASSERT(!getk_tlsa_usable(&t) == !usable);
	getk_tlsa_clear(&t);
	ASSERT(t.len == 0 && t.full == NULL);
}

/* Decodes the DER length at P (LEN bytes); its header size, 0 if none. */
static size_t
der_header(const unsigned char *p, size_t len, size_t *r_clen)
{
	size_t n, i, clen = 0;

	if (len < 2)
		return 0;
	if (p[1] < 0x80) {
		*r_clen = p[1];
		return 2;
	}
	n = p[1] & 0x7f;
	if (n == 0 || n > 4 || len < 2 + n)
		return 0;
	for (i = 0; i < n; i++)
		clen = clen << 8 | p[2 + i];
	*r_clen = clen;
	return 2 + n;
}

/* Checks getk_der_cert_spki on the input; non-zero when it found one. */
static int
check_spki(const uint8_t *data, size_t size)
{
	const unsigned char *spki = (const unsigned char *)"x";
	unsigned char md[32];
	size_t spkilen = 77, hdr, clen = 0;
	enum getk_err err;

	err = getk_der_cert_spki(data, size, &spki, &spkilen);
	if (err != GETK_OK) {
		ASSERT(err == GETK_ERR_SYNTAX);
		ASSERT(spki == NULL && spkilen == 0);
		/* No certificate, no match, even of its own bytes. */
		if (size > 0)
			ASSERT(match_with(0, 0, data, size, data, size) <= 0);
		return 0;
	}
	ASSERT(size >= 4 && data[0] == 0x30);
	ASSERT(spki > data && spki < data + size);
	ASSERT(spkilen <= size - (size_t)(spki - data));
	ASSERT(spki[0] == 0x30);
	hdr = der_header(spki, spkilen, &clen);
	ASSERT(hdr > 0 && hdr + clen == spkilen);

	/* Records of the certificate's and the SPKI's own bytes match. */
	if (size <= GETK_TLSA_FULL_MAX) {
		ASSERT(match_with(0, 0, data, size, data, size) == 1);
		ASSERT(match_with(1, 0, spki, spkilen, data, size) == 1);
		ASSERT(match_with(1, 0, data, size, data, size) == 0);
	}
	gcry_md_hash_buffer(GCRY_MD_SHA256, md, spki, spkilen);
	ASSERT(match_with(1, 1, md, sizeof(md), data, size) == 1);
	ASSERT(match_with(0, 1, md, sizeof(md), data, size) == 0);
	gcry_md_hash_buffer(GCRY_MD_SHA256, md, data, size);
	ASSERT(match_with(0, 1, md, sizeof(md), data, size) == 1);
	ASSERT(match_with(1, 1, md, sizeof(md), data, size) == 0);
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int cert, m;

	check_tlsa(data, size);
	cert = check_spki(data, size);
	/* The fixed record must not crash; only a certificate can match. */
	m = match_with(1, 1, fixed_digest, sizeof(fixed_digest), data, size);
	ASSERT(m == 0 || (m == 1 && cert));
	return 0;
}
