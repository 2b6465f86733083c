/*
 * pgpmime.h: the message that goes out: PGP/MIME (RFC 3156) with
 * protected headers, or the original in clear where that is allowed.
 *
 * The original is a parsed header section and a body in a spool file;
 * what is written goes to another spool, with CRLF line ends throughout,
 * so that memory stays flat whatever the message size.
 */
#ifndef GETK_PGPMIME_H
#define GETK_PGPMIME_H

#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "key.h"
#include "message.h"
#include "spool.h"

struct getk_pgpmime {
	const struct getk_headers *headers;	/* the original header */
	struct getk_spool *body;	/* holds the original body */
	off_t body_off;			/* where the body starts in it */
	int protect_subject;		/* Subject etc. inside, "..." out */
	const char *date;		/* Date to add when missing, or NULL */
	const char *message_id;		/* Message-ID to add when missing */
	const char *from;		/* From field body to add when
					   missing, or NULL */
	const char *tmpdir;		/* for GnuPG's home; NULL: $TMPDIR */
};

/*
 * Non-zero when the message is OpenPGP ciphertext already and may go out
 * unchanged: PGP/MIME or one inline PGP MESSAGE block, exactly as
 * passthrough.h says, read from the spool in pieces.  WHY (WHYSZ bytes)
 * then names the form, else it says why not; *R_CLAIMS is set when the
 * message looks like ciphertext at a glance all the same.  A spool that
 * cannot be read is no ciphertext.
 */
int getk_pgpmime_is_encrypted(const struct getk_pgpmime *m, char *why,
    size_t whysz, int *r_claims);

/*
 * Writes the message unchanged but for what transport needs: Bcc removed,
 * Date and Message-ID added when missing, CRLF line ends.
 */
enum getk_err getk_pgpmime_plain(const struct getk_pgpmime *m,
    struct getk_spool *out);

/*
 * Encrypts the message to the N keys (binary OpenPGP keys; trust is the
 * caller's decision) and writes the PGP/MIME message to OUT: outer
 * transport headers, the encrypted entity holding the original Content-*
 * headers and, with protect_subject, the protected headers.  Each key
 * must pass getk_packet_check_key() before gpg sees it, and gpg must be
 * done by DEADLINE_MS (getk_mono_ms(); 0: none), else it is killed.
 * GETK_ERR_TIMEOUT, GETK_ERR_BADKEY, GETK_ERR_CRYPTO, GETK_ERR_SYSTEM,
 * GETK_ERR_NOMEM, each with *WHY set; OUT then holds part of a message.
 */
enum getk_err getk_pgpmime_encrypt(const struct getk_pgpmime *m,
    const struct getk_key *const *keys, size_t n, struct getk_spool *out,
    long deadline_ms, char *why, size_t whysz);

#endif
