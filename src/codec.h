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

/*
 * What an armor reader hands on: LEN decoded octets at P, in order.
 * Any value but GETK_OK stops the reader with that value.
 */
typedef enum getk_err (*getk_armor_fn)(void *arg, const unsigned char *p,
    size_t len);

struct getk_armor_reader;

/*
 * A strict decoder of one ASCII-armored block (RFC 4880 section 6.2)
 * labelled LABEL ("PGP MESSAGE", "PGP PUBLIC KEY BLOCK"), fed one line at
 * a time, whose decoded octets go to FN with ARG as they come, so that a
 * block of any size is decoded in the same memory.
 *
 * The lines, each with the white space at its end (space, tab, CR)
 * dropped: "-----BEGIN LABEL-----"; armor headers "Key: value" (a key of
 * printable ASCII, a colon, nothing or a space and a value without
 * control characters); a blank line; lines of base64 (padding only at
 * the very end of the data); an optional "=XXXX" CRC-24 line, which must
 * then match the data; "-----END LABEL-----".  A block without data is
 * refused.  GETK_ERR_NOMEM.
 */
enum getk_err getk_armor_reader_new(const char *label, getk_armor_fn fn,
    void *arg, struct getk_armor_reader **r_reader);

/* Frees a reader; NULL is a no-op. */
void getk_armor_reader_free(struct getk_armor_reader *r);

/*
 * Feeds the next line, LEN octets at LINE without its LF.  GETK_ERR_SYNTAX
 * on any malformation, a line after the END line or a wrong checksum, or
 * what FN returned.  Lines may be of any length: the reader keeps none.
 * After an error the reader is spent.
 */
enum getk_err getk_armor_reader_line(struct getk_armor_reader *r,
    const char *line, size_t len);

/* Non-zero once the END line was read and the block is complete. */
int getk_armor_reader_done(const struct getk_armor_reader *r);

/*
 * Decodes the first armored block labelled LABEL in the LEN bytes at IN
 * and appends its data to OUT.  Only white space (spaces, tabs, CR, LF)
 * may come before its BEGIN line, lines end in LF or CRLF, and whatever
 * follows the END line is not read.  The lines as for
 * getk_armor_reader_new().  GETK_ERR_SYNTAX,
 * GETK_ERR_TOOBIG when the data would pass OUT's limit, GETK_ERR_NOMEM.
 * On error OUT holds what it held before.
 */
enum getk_err getk_armor_decode(const char *label, const char *in, size_t len,
    struct getk_buf *out);

#endif
