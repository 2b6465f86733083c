/*
 * message.h: the header section of an RFC 5322 message, as getk-sendmail
 * reads it from stdin or from its queue: the fields, and the recipients
 * that "sendmail -t" takes from them.  Pure: bytes are pushed in as they
 * come, structures come out; no I/O.
 */
#ifndef GETK_MESSAGE_H
#define GETK_MESSAGE_H

#include <stddef.h>

#include "error.h"

/*
 * Limits on what is read.  The header section (a leading "From " line
 * and the empty line that ends the section included) is at most 8 MiB;
 * it holds at most 10000 fields; one field, unfolded (its name, colon and
 * body without the line breaks), is at most 1 MiB.
 */
#define GETK_MAX_HEADER_SECTION (8 * 1024 * 1024)
#define GETK_MAX_HEADER_FIELDS 10000
#define GETK_MAX_HEADER_FIELD (1024 * 1024)

/*
 * getk_headers_recipients() reads at most this many addresses from the
 * recipient fields, duplicates included, and returns at most
 * GETK_MAX_ADDRESSES (addr.h) different ones, To/Cc and Bcc together.
 */
#define GETK_MAX_HEADER_ADDRESSES 10000

/* One header field.  The strings are NUL-terminated; none holds a NUL. */
struct getk_header {
	char *name;	/* the field name as in the input, without ':' */
	char *raw;	/* the whole field as it came: name, ':', body and
			   folding, each line ending in CRLF (whatever the
			   input used), the last one included */
	char *value;	/* the body unfolded: the line breaks before white
			   space removed, white space at both ends removed;
			   8-bit bytes kept as they are */
};

/* The header section: its fields in the order of the input. */
struct getk_headers {
	struct getk_header *fields;	/* N fields; NULL when N is 0 */
	size_t n;			/* how many */
};

/* A reader of one header section, fed the message as it comes. */
struct getk_header_reader;

/* A new reader, before the first byte of a message.  GETK_ERR_NOMEM. */
enum getk_err getk_header_reader_new(struct getk_header_reader **r_rd);

/* Frees RD and what it holds; NULL is a no-op. */
void getk_header_reader_free(struct getk_header_reader *rd);

/*
 * Feeds the next LEN bytes of the message at BUF, in pieces of any size;
 * AT_EOF says that the input ends after them (LEN may then be 0).  Each
 * line is read as soon as its line end is there, and never again, so the
 * cost is that of one pass over the section, whatever the pieces.
 *
 * Lines end in LF or CRLF, mixed as they come; a CR elsewhere (a "bare
 * CR") is refused, as it could end a line for some other reader.
 *
 * The section is: an optional mbox "From " line at the very start, which
 * is skipped; fields, each a line "name:body" (the name of printable
 * ASCII other than ':', 33 to 126) followed by continuation lines that
 * start with a space or tab; and the empty line that ends it.  After at
 * least one field, a line that is none of these (a name with a byte
 * outside 33..126, or no colon at all) ends the section too but is not
 * part of it: the body starts there, as sendmail has it.  An empty line
 * first is an empty header section.  When the input ends inside the
 * section, the message has no body: everything is the section (a last
 * line may lack its line end).
 *
 * *R_DONE is set once the section has ended: *R_USED of the LEN bytes
 * belong to it, and the body starts with the bytes that
 * getk_header_reader_rest() returns, then BUF + *R_USED.  Until then
 * every byte is taken (*R_USED is LEN) and the caller feeds more.  A feed
 * after the end is GETK_ERR_INVAL.
 *
 * Refused with GETK_ERR_SYNTAX and *R_WHY set (a fixed string): a first
 * line that is not a field; a field whose name is empty (": x") or
 * followed by white space before the colon ("Bcc : x", the obsolete
 * form, refused so that no reader of the message can see a field we did
 * not); a NUL byte or a bare CR in the section.  Over a limit:
 * GETK_ERR_TOOBIG and *R_WHY; every line that is read, up to the one
 * that ends the section, must end within GETK_MAX_HEADER_SECTION bytes of
 * the message's start.  Also GETK_ERR_NOMEM.  After an error every later
 * feed gives the same error and reason; *R_USED is then 0.
 */
enum getk_err getk_header_reader_feed(struct getk_header_reader *rd,
    const char *buf, size_t len, int at_eof, size_t *r_used, int *r_done,
    const char **r_why);

/*
 * Once the section has ended: the bytes that the reader took before the
 * feed that ended it and that belong to the body (the start of a first
 * body line that came without an empty line before it), *R_LEN of them,
 * often none.  They belong to the reader.
 */
const char *getk_header_reader_rest(const struct getk_header_reader *rd,
    size_t *r_len);

/*
 * Once the section has ended: its fields, handed over (free them with
 * getk_headers_free()).  NULL before the end, and after the first call.
 */
struct getk_headers *getk_header_reader_take(struct getk_header_reader *rd);

/*
 * Reads the header section at the start of the LEN bytes at BUF, which
 * hold the whole message, or the whole header section: one feed of a
 * new reader, with AT_EOF.  *R_HEADERS is new (free it with
 * getk_headers_free()) and the body starts at BUF + *R_CONSUMED.
 * Errors, with *R_WHY, as getk_header_reader_feed.
 */
enum getk_err getk_headers_parse_whole(const char *buf, size_t len,
    struct getk_headers **r_headers, size_t *r_consumed, const char **r_why);

/*
 * Finds the first field named NAME (ASCII case-insensitively) at or after
 * index *IO_POS of H and sets *IO_POS just past it, so that repeated calls
 * starting with *IO_POS = 0 visit every such field in order.  NULL (and
 * *IO_POS = H->n) when there is no more; the field belongs to H.
 */
const struct getk_header *getk_headers_find(const struct getk_headers *h,
    const char *name, size_t *io_pos);

/* Frees H and its fields; NULL is a no-op. */
void getk_headers_free(struct getk_headers *h);

/*
 * The recipients "sendmail -t" takes from H.
 *
 * When H has a Resent-To, Resent-Cc or Resent-Bcc field, only the first
 * Resent- block counts: the longest run of consecutive fields whose names
 * start with "Resent-" that holds the first Resent-To, Resent-Cc or
 * Resent-Bcc field of H (a newer block is put above older ones, RFC 5322
 * 3.6.6).  Its Resent-To and Resent-Cc fields give the To/Cc recipients,
 * its Resent-Bcc fields the Bcc ones.  Otherwise every To and Cc field
 * gives To/Cc recipients and every Bcc field Bcc ones.
 *
 * Each field body is read with getk_addrlist_parse().  Duplicates are
 * dropped (the same local part exactly and the same domain in any case;
 * the first one is kept); an address that is both To/Cc and Bcc is only
 * To/Cc.  The order is that of the fields.
 *
 * On success *R_TO_CC and *R_BCC are new NULL-terminated arrays of
 * *R_NTOCC and *R_NBCC new strings (either may be empty: an array holding
 * only NULL); free them with getk_strv_free().  Errors: those of
 * getk_addrlist_parse() (with its *R_WHY) for the first bad field;
 * GETK_ERR_TOOBIG over GETK_MAX_HEADER_ADDRESSES addresses read or
 * GETK_MAX_ADDRESSES different ones; GETK_ERR_NOMEM.  On failure the
 * arrays are NULL and the counts 0.
 */
enum getk_err getk_headers_recipients(const struct getk_headers *h,
    char ***r_to_cc, size_t *r_ntocc, char ***r_bcc, size_t *r_nbcc,
    const char **r_why);

#endif
