/*
 * reply.h: SMTP reply lines (RFC 5321 4.2 and 4.5.3.1.5).
 *
 * The one parser of reply lines that every reader of an SMTP server's
 * replies shares: the client session (src/smtp.c), the submission
 * (src/submit.c), the GETK reply parser and getkd's reader of its
 * backend.  Pure: a line in, its parts out, no state, no I/O, so that it
 * can be unit-tested and fuzzed on its own.  Beside it, the reader of a
 * whole reply of one or more lines (struct getk_multiline), for every
 * reader but the GETK reply parser, which has its own rules for the
 * lines of a key.  What a reply means to the command it answers is the
 * caller's business.
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

/* Most lines one reply may have (an EHLO list, a long refusal). */
#define GETK_REPLY_MAX_LINES 64
/* Octets of a whole reply's text as kept, with its NUL. */
#define GETK_REPLY_TEXT_MAX 512

/*
 * One whole reply (RFC 5321 4.2.1), gathered line by line: every line
 * carries the first line's code, there are at most GETK_REPLY_MAX_LINES
 * lines, and nothing comes after the last one.  Plain data, no memory of
 * its own: initialise with getk_multiline_init, drop when done.
 */
struct getk_multiline {
	int code;		/* the reply's code; 0 before its first line */
	char enhanced[16];	/* the first line's enhanced status code, or
				   "" */
	size_t lines;		/* lines taken */
	int done;		/* 1 once the last line was taken */
	/* The reply on one line, as messages quote it: the code, the first
	 * line's enhanced code and every line's message (after its own
	 * enhanced code), separated by spaces, each byte from the server
	 * passed through getk_printable once; cut to fit. */
	char text[GETK_REPLY_TEXT_MAX];
};

/* Makes *M an empty reply, ready for its first line. */
void getk_multiline_init(struct getk_multiline *m);

/*
 * Takes the next line of the reply in *M: LEN bytes at LINE, without the
 * CRLF.  *R_LINE, when not NULL, receives the line as parsed (pointing
 * into LINE, to read the raw text, such as an EHLO keyword).  M->done is
 * set by the last line.  GETK_ERR_PROTO with *R_WHY (a fixed string),
 * and *M unchanged, when the line is no reply line, carries another code
 * than the first line, is one too many, or comes after the last line.
 */
enum getk_err getk_multiline_feed(struct getk_multiline *m, const char *line,
    size_t len, struct getk_reply_line *r_line, const char **r_why);

#endif
