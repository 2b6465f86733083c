/*
 * sha256.h: SHA-256 (FIPS 180-4) by Nettle, for the few hashes that a
 * cache hit needs (the state of a GnuPG home), so that answering from the
 * cache loads neither libgcrypt nor the network's libraries.
 */
#ifndef GETK_SHA256_H
#define GETK_SHA256_H

#include <stddef.h>

/* Writes the SHA-256 of LEN bytes at DATA into MD. */
void getk_sha256(const void *data, size_t len, unsigned char md[32]);

/* Writes the SHA-256 of LEN bytes at DATA as 64 lower-case hex digits and
 * a NUL into HEX. */
void getk_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
