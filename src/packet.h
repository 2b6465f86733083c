/*
 * packet.h: OpenPGP packet framing (RFC 4880 section 4, RFC 9580
 * section 4) and two checks built on it: is this a transferable public
 * key, is this an encrypted message.
 *
 * Pure: bytes in, verdicts out.  The walker reads packet headers and
 * counts body octets; it does no cryptography and never decompresses, so
 * what it costs is linear in its input whatever the input holds.  It is
 * a push parser: the input may come in pieces of any size, and its
 * memory stays the same whatever the length of the input.
 */
#ifndef GETK_PACKET_H
#define GETK_PACKET_H

#include <stddef.h>

#include "error.h"

/* Packet type IDs (RFC 9580 section 5) that the checks name. */
enum getk_packet_tag {
	GETK_PKT_PKESK = 1,		/* Public-Key Encrypted Session Key */
	GETK_PKT_SIG = 2,		/* Signature */
	GETK_PKT_SKESK = 3,		/* Symmetric-Key Encrypted Session Key */
	GETK_PKT_OPS = 4,		/* One-Pass Signature */
	GETK_PKT_SECKEY = 5,		/* Secret-Key */
	GETK_PKT_PUBKEY = 6,		/* Public-Key */
	GETK_PKT_SECSUBKEY = 7,		/* Secret-Subkey */
	GETK_PKT_COMPRESSED = 8,	/* Compressed Data */
	GETK_PKT_SED = 9,		/* Symmetrically Encrypted Data */
	GETK_PKT_MARKER = 10,		/* Marker */
	GETK_PKT_LITERAL = 11,		/* Literal Data */
	GETK_PKT_TRUST = 12,		/* Trust */
	GETK_PKT_UID = 13,		/* User ID */
	GETK_PKT_PUBSUBKEY = 14,	/* Public-Subkey */
	GETK_PKT_UAT = 17,		/* User Attribute */
	GETK_PKT_SEIPD = 18,		/* Sym. Encrypted Integrity Protected Data */
	GETK_PKT_MDC = 19,		/* Modification Detection Code */
	GETK_PKT_AEAD = 20,		/* AEAD Encrypted Data (draft, GnuPG) */
	GETK_PKT_PADDING = 21		/* Padding */
};

/* One packet as the walker sees its framing. */
struct getk_packet {
	unsigned int tag;		/* packet type ID, 1 to 63 */
	int legacy;			/* an old-format (legacy) header */
	int partial;			/* the body came in partial lengths */
	int indeterminate;		/* old format, length type 3: the body
					   runs to the end of the input */
	unsigned long long offset;	/* where its header starts */
	unsigned long long length;	/* body octets: so far during the
					   walk, all of them at its end */
};

/* What a walker tells its handler. */
enum getk_packet_event {
	GETK_PACKET_START,	/* a header was read; length is 0 */
	GETK_PACKET_BODY,	/* LEN more body octets at P */
	GETK_PACKET_END		/* the packet is complete */
};

/*
 * The handler of a walker: called for every event, in input order.  It
 * returns GETK_OK to go on; any other value stops the walk, and the
 * walker's feed returns it.
 */
typedef enum getk_err (*getk_packet_fn)(void *arg,
    enum getk_packet_event event, const struct getk_packet *pkt,
    const unsigned char *p, size_t len);

struct getk_packet_walker;

/*
 * A new walker that reports to FN with ARG.  GETK_ERR_NOMEM.
 *
 * The framing rules: the first octet of a header has bit 7 set; a new
 * (OpenPGP) format header has bit 6 set and a type ID of 6 bits, an old
 * (legacy) one a type ID of 4 bits and a length type; type ID 0 is
 * reserved and refused.  Body lengths are of one, two or five octets
 * (new format) or one, two or four octets (old format).  Partial body
 * lengths (new format) and the indeterminate length (old format, length
 * type 3) are allowed only for the data packets, for which RFC 9580
 * section 4.2.1 allows them: Compressed Data, Symmetrically Encrypted
 * Data, Literal Data, SEIPD and AEAD; the first partial length must be at
 * least 512 octets (RFC 4880 4.2.2.4).  The input must end at the end of
 * a packet.
 */
enum getk_err getk_packet_walker_new(getk_packet_fn fn, void *arg,
    struct getk_packet_walker **r_walker);

/* Frees a walker; NULL is a no-op. */
void getk_packet_walker_free(struct getk_packet_walker *w);

/*
 * Feeds the next LEN octets at P.  GETK_ERR_SYNTAX on a framing error
 * (getk_packet_walker_why() says which), or what the handler returned.
 * After an error the walker is spent and refuses everything.
 */
enum getk_err getk_packet_walk(struct getk_packet_walker *w,
    const unsigned char *p, size_t len);

/*
 * The input has ended: an indeterminate-length packet ends here, any
 * other packet must have ended already.  GETK_ERR_SYNTAX for a truncated
 * packet, or what the handler returned for the last END event.
 */
enum getk_err getk_packet_walk_end(struct getk_packet_walker *w);

/* Why the walk failed on framing, or NULL; the string is static. */
const char *getk_packet_walker_why(const struct getk_packet_walker *w);

/* A short English name of a packet type ("compressed data"); never NULL. */
const char *getk_packet_tag_name(unsigned int tag);

/*
 * Limits of getk_packet_check_key(), for all the keys of the input
 * together, and for the User IDs of each key.  What gpg 2.2 spends on a
 * key grows with the square of its User IDs (about 2.6 s for 64 User IDs
 * whose self-signatures are all bad, 9 s for 128, 100 s for 512): these
 * keep the worst case to seconds, and the deadline of every gpg run
 * (gpg.h) ends the rest.  Real keys are far below them.
 */
#define GETK_KEY_MAX_OCTETS (256 * 1024)	/* WKD's (and GnuPG's) cap */
#define GETK_KEY_MAX_PACKETS 4096
#define GETK_KEY_MAX_SIGS 2048
#define GETK_KEY_MAX_USERIDS 1024	/* User ID and User Attribute packets */
#define GETK_KEY_MAX_KEY_USERIDS 64	/* the same, in one key */

/*
 * Checks that the LEN octets at P are one or more transferable public
 * keys (RFC 4880 section 11.1) by their packet framing alone, before
 * anything else (gpg) reads them.  Each key is a Public-Key packet;
 * Signature packets (revocations, direct-key signatures); one or more
 * User ID or User Attribute packets, freely intermixed, each followed by
 * its Signature packets; then Public-Subkey packets, each followed by its
 * Signature packets.  Nothing else: no compressed or literal data, no
 * encrypted data or session keys, no one-pass signature, no secret key,
 * no trust, marker or padding packet, no packet type outside the
 * grammar.  Partial and indeterminate lengths are framing errors here
 * (no key packet may use them).
 *
 * GETK_OK; GETK_ERR_SYNTAX when it is not such a key, GETK_ERR_TOOBIG
 * past GETK_KEY_MAX_OCTETS, _PACKETS, _SIGS, _USERIDS or _KEY_USERIDS,
 * each with a
 * sentence in WHY (WHYSZ bytes) saying what and at which octet;
 * GETK_ERR_NOMEM.
 */
enum getk_err getk_packet_check_key(const unsigned char *p, size_t len,
    char *why, size_t whysz);

/* Most session key packets (and markers) an encrypted message may have. */
#define GETK_MSG_MAX_ESK 1024
/* Largest session key packet accepted. */
#define GETK_MSG_MAX_ESK_OCTETS 65536

struct getk_packet_msg;

/*
 * A new check that the octets fed to it are an encrypted OpenPGP message
 * (RFC 4880 section 11.3, RFC 9580 section 10.3): one or more session key
 * packets (PKESK version 3 or 6, SKESK version 4, 5 or 6), Marker
 * packets ("PGP") anywhere among them, then one encrypted data packet
 * (Symmetrically Encrypted Data, SEIPD version 1 or 2, or AEAD version
 * 1), and nothing after it.  At most GETK_MSG_MAX_ESK packets before the
 * data, each at most GETK_MSG_MAX_ESK_OCTETS long.  GETK_ERR_NOMEM.
 */
enum getk_err getk_packet_msg_new(struct getk_packet_msg **r_msg);

/* Frees a check; NULL is a no-op. */
void getk_packet_msg_free(struct getk_packet_msg *m);

/*
 * Feeds the next LEN octets.  GETK_ERR_SYNTAX as soon as the input
 * cannot be such a message (getk_packet_msg_why() says why); the check
 * is then spent.
 */
enum getk_err getk_packet_msg_feed(struct getk_packet_msg *m,
    const unsigned char *p, size_t len);

/*
 * The input has ended: GETK_OK when all of it was an encrypted message,
 * else GETK_ERR_SYNTAX.
 */
enum getk_err getk_packet_msg_end(struct getk_packet_msg *m);

/* Why the message was refused, or NULL; belongs to M. */
const char *getk_packet_msg_why(const struct getk_packet_msg *m);

/*
 * The whole check on LEN octets at P in one call: GETK_OK,
 * GETK_ERR_SYNTAX with WHY set, GETK_ERR_NOMEM.
 */
enum getk_err getk_packet_check_message(const unsigned char *p, size_t len,
    char *why, size_t whysz);

#endif
