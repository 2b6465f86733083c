/*
 * getkreply.h: the GETK reply parser (GETK.md sections 3, 4 and 6.4).
 *
 * Pure: it is fed the reply to one GETK command one line at a time,
 * without the CRLF, and builds either the decoded key data of a success
 * reply or the code and text of a failure reply.  Each line is parsed by
 * the one SMTP reply-line parser (reply.h); what a GETK reply may hold
 * is checked here.  It knows nothing of sockets, so it can be unit tested
 * and fuzzed on its own.
 */
#ifndef GETK_GETKREPLY_H
#define GETK_GETKREPLY_H

#include <stddef.h>

#include "error.h"
#include "reply.h"

/* The largest key the protocol allows (GETK.md section 3). */
#define GETK_MAX_OCTETS 65536
/* Longest reply line accepted, without CRLF (RFC 5321 4.5.3.1.5). */
#define GETK_MAX_LINE (GETK_REPLY_LINE_MAX - 2)
/* Most lines in a failure reply. */
#define GETK_MAX_ERROR_LINES 32

struct getk_reply;

/*
 * A new parser that refuses success replies announcing more than
 * MAX_OCTETS decoded octets (1 to GETK_MAX_OCTETS; larger values are
 * clamped).  GETK_ERR_NOMEM.
 */
enum getk_err getk_reply_new(size_t max_octets, struct getk_reply **r_reply);

/* Frees a parser and everything it holds; NULL is a no-op. */
void getk_reply_free(struct getk_reply *reply);

/*
 * Feeds one reply line of LEN bytes (no CRLF).  *R_DONE is set to 1 when
 * the line ended the reply.  Errors, after which the parser is spent and
 * the connection's framing must be considered lost:
 * GETK_ERR_PROTO (malformed reply; getk_reply_problem() says what),
 * GETK_ERR_TOOBIG (the key is over the limit), GETK_ERR_NOMEM.
 */
enum getk_err getk_reply_feed(struct getk_reply *reply, const char *line,
    size_t len, int *r_done);

/* The three-digit reply code once a line was parsed, else 0. */
int getk_reply_code(const struct getk_reply *reply);

/*
 * The text of the first line of a failure reply, after the code and any
 * enhanced status code ("No key available"), made printable by
 * getk_printable (an ESC from the server is "\x1b" here); "" when there
 * is none.  It may be shown and stored as it is.
 */
const char *getk_reply_text(const struct getk_reply *reply);

/* The enhanced status code of the first line ("5.7.0"), or "". */
const char *getk_reply_enhanced(const struct getk_reply *reply);

/*
 * The decoded key data of a complete success reply, or NULL.  The memory
 * belongs to the parser.
 */
const unsigned char *getk_reply_data(const struct getk_reply *reply,
    size_t *r_len);

/* Why the last feed failed, in English; "" when it did not. */
const char *getk_reply_problem(const struct getk_reply *reply);

#endif
