/*
 * mtareply.h: the replies of the MTA behind getkd, and its EHLO reply as
 * the client is to see it.
 *
 * Pure: getkd's session cuts the MTA's output at LF and feeds each line
 * here; the lines of one reply are gathered (each checked by the shared
 * reply-line parser, src/reply.h, the code the same on every line, a
 * limit on their number) until its last line.  A complete EHLO reply is
 * then rewritten by getk_ehlo_rewrite(): the keywords getkd carries are
 * kept, STARTTLS is getkd's own, XCLIENT, XFORWARD and whatever getkd
 * does not know to carry are removed, and GETK is added once TLS is on.
 */
#ifndef GETK_MTAREPLY_H
#define GETK_MTAREPLY_H

#include <stddef.h>

#include "buf.h"
#include "error.h"

/* Most lines in one reply of the MTA (an EHLO reply has one a keyword). */
#define GETK_MTAREPLY_MAX_LINES 100

/* One reply being gathered. */
struct getk_mtareply {
	int code;		/* of its lines; 0 before the first */
	size_t nlines;		/* lines gathered */
	int done;		/* the last line was seen */
	struct getk_buf raw;	/* the lines, each ending in CRLF */
};

/* Sets up R empty. */
void getk_mtareply_init(struct getk_mtareply *r);

/* Empties R for the next reply, keeping its memory. */
void getk_mtareply_reset(struct getk_mtareply *r);

/* Frees what R holds; R is left empty. */
void getk_mtareply_free(struct getk_mtareply *r);

/*
 * Adds the LEN bytes at LINE, one reply line without its CRLF, to R,
 * which must not be done.  R->done is set by the last line.
 * GETK_ERR_PROTO with *R_WHY (a fixed string) when the line is not a
 * reply line, has another code than the lines before it, or is one line
 * too many; GETK_ERR_NOMEM.  R is unchanged then.
 */
enum getk_err getk_mtareply_feed(struct getk_mtareply *r, const char *line,
    size_t len, const char **r_why);

/* What the MTA's EHLO reply offered, as getk_ehlo_rewrite() found it. */
struct getk_ehlo_caps {
	int ok;			/* a 250 reply */
	int pipelining;
	int chunking;
	int enhanced;		/* ENHANCEDSTATUSCODES */
	int smtputf8;
	int xclient;		/* XCLIENT (for backend_client_info xclient) */
};

/*
 * Appends to OUT the complete EHLO reply R as getkd's client sees it.  A
 * reply other than 250 is copied as it is.  In a 250 reply the first line
 * (the MTA's name and greeting) stays; of the keyword lines those that
 * getkd carries stay in their order, the others go; then "STARTTLS" is
 * added when OFFER_STARTTLS is set and "GETK OPENPGP" when OFFER_GETK
 * is; the continuation marks are set anew.  *R_CAPS tells what the MTA
 * offered.  GETK_ERR_NOMEM, GETK_ERR_TOOBIG (OUT's limit).
 */
enum getk_err getk_ehlo_rewrite(const struct getk_mtareply *r,
    int offer_starttls, int offer_getk, struct getk_buf *out,
    struct getk_ehlo_caps *r_caps);

#endif
