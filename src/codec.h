/*
 * codec.h: base64 (RFC 4648 section 4), OpenPGP ASCII armor (RFC 4880
 * section 6), and printable text from untrusted bytes.  Pure functions:
 * bytes in, bytes out.
 */
#ifndef GETK_CODEC_H
#define GETK_CODEC_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/*
 * Decodes LEN characters of strict base64 at IN and appends the bytes to
 * OUT.  LEN must be a multiple of 4; '=' padding may appear only in the
 * last group; no white space; the unused bits before padding must be zero.
 * GETK_ERR_SYNTAX on any violation (OUT may then hold part of the data),
 * GETK_ERR_TOOBIG when OUT's limit is passed, GETK_ERR_NOMEM.
 */
enum getk_err getk_base64_decode(const char *in, size_t len,
    struct getk_buf *out);

/*
 * Appends the base64 of LEN bytes at IN to OUT, with padding, wrapped
 * every WRAP characters with "\n" (WRAP 0: one line, no newline).
 */
enum getk_err getk_base64_encode(const unsigned char *in, size_t len,
    size_t wrap, struct getk_buf *out);

/* The OpenPGP CRC-24 of LEN bytes at P. */
unsigned long getk_crc24(const unsigned char *p, size_t len);

/*
 * Appends an ASCII-armored "PGP PUBLIC KEY BLOCK" of the LEN bytes at KEY
 * to OUT, lines of 64 characters and the CRC-24 checksum line.
 */
enum getk_err getk_armor_pubkey(const unsigned char *key, size_t len,
    struct getk_buf *out);

/*
 * Writes the LEN bytes at IN into OUT (OUTSZ bytes, NUL-terminated,
 * OUTSZ > 0) so that they are safe to print on a terminal, in a log or
 * in the cache: printable ASCII stays, a backslash is doubled, any other
 * byte (controls, ESC, CR, DEL, 8-bit) becomes "\xNN".  Text
 * that does not fit is cut at an escape's boundary.  Returns OUT.  Every
 * byte that came from the network goes through this before it is shown
 * or stored.
 */
char *getk_printable(char *out, size_t outsz, const char *in, size_t len);

#endif
