/*
 * passthrough.h: whether a message is OpenPGP ciphertext already, so that
 * getk-sendmail may send it as it is.
 *
 * Only two forms pass:
 *
 * - PGP/MIME (RFC 3156): a header with exactly one Content-Type field,
 *   multipart/encrypted with protocol="application/pgp-encrypted" and a
 *   valid boundary (RFC 2046 5.1.1), and a body of: a preamble; a first
 *   part whose header has exactly one Content-Type field,
 *   application/pgp-encrypted, and whose body is "Version: 1" (blank
 *   lines around it allowed); a second part, application/octet-stream,
 *   whose body is one armored PGP MESSAGE block (blank lines around it
 *   allowed); the closing delimiter; an epilogue.  No other part.
 *
 * - Inline: no Content-Type field, or one of text/plain, and a body that
 *   is one armored PGP MESSAGE block, with blank lines before and after
 *   it and nothing else.
 *
 * In both, the armored block must decode strictly (codec.c: its CRC-24,
 * when present, matches) and its octets must be an encrypted OpenPGP
 * message (packet.c: session key packets, then one encrypted data
 * packet).  No Content-Transfer-Encoding but 7bit or 8bit is allowed
 * (binary too on the multipart), and no line that begins with the
 * boundary delimiter but is not one, anywhere, so that no MIME reader can
 * see a part that this one did not.  Anything else is not ciphertext: it
 * is encrypted like any other message.
 *
 * Pure and streaming: the body is fed in pieces of any size, and the
 * memory used is the same for any body size.
 */
#ifndef GETK_PASSTHROUGH_H
#define GETK_PASSTHROUGH_H

#include <stddef.h>

#include "error.h"
#include "message.h"

/* Longest body line looked at, without its line end (RFC 5322 2.1.1). */
#define GETK_PASSTHROUGH_MAX_LINE 998
/* Largest header section of a part. */
#define GETK_PASSTHROUGH_MAX_PART_HEADER 16384

struct getk_passthrough;

/*
 * A new check of the message whose header is H (which must stay valid
 * until getk_passthrough_end).  The header alone may already decide that
 * the message does not pass.  GETK_ERR_NOMEM.
 */
enum getk_err getk_passthrough_new(const struct getk_headers *h,
    struct getk_passthrough **r_pt);

/* Frees a check; NULL is a no-op. */
void getk_passthrough_free(struct getk_passthrough *pt);

/*
 * Feeds the next LEN octets of the body (lines end in LF or CRLF).  Once
 * the message is known not to pass, the rest is skipped.
 */
void getk_passthrough_feed(struct getk_passthrough *pt, const char *p,
    size_t len);

/*
 * The body has ended.  Returns non-zero when the message may go out
 * unchanged; *R_WHY then names the form ("PGP/MIME", "inline"), else it
 * says why not.  The string belongs to PT.
 */
int getk_passthrough_end(struct getk_passthrough *pt, const char **r_why);

/*
 * Non-zero when the message looks like ciphertext at a glance: a
 * Content-Type field of multipart/encrypted, or (for the inline form) a
 * first non-blank body line that begins "-----BEGIN PGP MESSAGE".  A
 * message that looks so but does not pass is worth a warning: its sender
 * may believe it encrypted.
 */
int getk_passthrough_claims(const struct getk_passthrough *pt);

#endif
