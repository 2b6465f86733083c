/*
 * reply.h: SMTP reply lines (RFC 5321 4.2 and 4.5.3.1.5).
 *
 * The one parser of reply lines that every reader of an SMTP server's
 * replies shares: the client session (src/smtp.c), the submission
 * (src/submit.c), the GETK reply parser and getkd's reader of its
 * backend.  Pure: a line in, its parts out, no state, no I/O, so that it
 * can be unit-tested and fuzzed on its own.  What a whole reply means
 * (its lines counted, their codes compared) is the caller's business.
 */
#ifndef GETK_REPLY_H
#define GETK_REPLY_H

#include <stddef.h>

#include "error.h"

/* Octets of a reply line with its CRLF (RFC 5321 4.5.3.1.5). */
#define GETK_REPLY_LINE_MAX 512

/* One reply line, pointing into the line it was parsed from. */
struct getk_reply_line {
	int code;		/* 200 to 599 */
	int last;		/* 1: "ddd SP" or a bare "ddd", the reply's
				   last line; 0: "ddd-", more follow */
	const char *text;	/* everything after the separator */
	size_t textlen;
	/* An RFC 3463 enhanced status code at the start of the text whose
	 * class is the reply code's first digit ("5.7.0"), or "". */
	char enhanced[16];
	/* Set when the text starts with an enhanced status code of another
	 * class than the reply code's: strict readers refuse the line. */
	int enhanced_mismatch;
	const char *msg;	/* the text after the enhanced code and its
				   space; == text when there is none */
	size_t msglen;
};

/*
 * Parses the LEN bytes at LINE (one reply line without its CRLF) into
 * *R.  The code is three digits, the first 2 to 5, the second 0 to 5;
 * then nothing, a space or a hyphen, and text.  Any byte but NUL may be
 * in the text (print it with getk_printable).  GETK_ERR_PROTO with
 * *R_WHY (a fixed string) when the line is not a reply line or longer
 * than GETK_REPLY_LINE_MAX - 2 octets; *R is then zeroed.
 */
enum getk_err getk_reply_line_parse(const char *line, size_t len,
    struct getk_reply_line *r, const char **r_why);

#endif
