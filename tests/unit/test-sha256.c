/*
 * test-sha256.c: unit tests of src/sha256.c (Nettle's SHA-256) against the vectors of FIPS
 * 180-4's examples (NIST CSRC) and lengths around the block edges,
 * checked against libgcrypt.
 */
#include <config.h>

#include <gcrypt.h>
#include <string.h>

#include "sha256.h"
#include "unit.h"

static void
vector(const char *in, const char *want)
{
	char hex[65];

	getk_sha256_hex(in, strlen(in), hex);
	CHECK_STR(hex, want, "SHA-256 of \"%.20s\" (%zu bytes)", in, strlen(in));
}

int
main(void)
{
	unsigned char buf[300], md[32], ref[32];
	size_t len, i;
	int same = 1;

	vector("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	    "7852b855");
	vector("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	    "f20015ad");
	vector("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	gcry_check_version(NULL);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	/* Every length from 0 to 300: both paddings, one and more blocks. */
	for (len = 0; len <= sizeof(buf); len++) {
		getk_sha256(buf, len, md);
		gcry_md_hash_buffer(GCRY_MD_SHA256, ref, buf, len);
		if (memcmp(md, ref, sizeof(md)) != 0) {
			same = 0;
			break;
		}
	}
	CHECK(same, "SHA-256 as libgcrypt's for every length 0 to 300 "
	    "(first difference at %zu)", len);
	return done_testing();
}
