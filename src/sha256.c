/*
 * sha256.c: SHA-256 through Nettle (sha256.h), a library of one small
 * object that a cache hit can load where libgcrypt would bring its
 * whole initialisation.
 */
#include <config.h>

#include <nettle/sha2.h>

#include "sha256.h"

void
getk_sha256(const void *data, size_t len, unsigned char md[32])
{
	struct sha256_ctx ctx;

	sha256_init(&ctx);
	sha256_update(&ctx, len, data);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, md);
}

void
getk_sha256_hex(const void *data, size_t len, char hex[65])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[32];
	size_t i;

	getk_sha256(data, len, md);
	for (i = 0; i < sizeof(md); i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[64] = '\0';
}
