/*
 * cmdline.h: the command lines an SMTP client sends to getkd.
 *
 * Pure: getkd's session (src/proxy.c) cuts its input at LF and hands each
 * line here, to be checked (length, NUL bytes, bare CR and LF) and
 * classified: the verbs getkd answers or must watch (EHLO, STARTTLS,
 * GETK, DATA, BDAT, ...), and the arguments of GETK (GETK.md section 2)
 * and BDAT (RFC 3030).  Everything else is passed on to the MTA as it is,
 * so the parser knows no more than it needs to.
 */
#ifndef GETK_CMDLINE_H
#define GETK_CMDLINE_H

#include <stddef.h>

#include "error.h"

/* Octets of a command line with its CRLF (RFC 5321 4.5.3.1.4). */
#define GETK_CMDLINE_MAX 512

/* What is wrong with a line as a line, before its words are looked at. */
enum getk_cmdline_check {
	GETK_CMDLINE_OK,
	GETK_CMDLINE_TOO_LONG,	/* over GETK_CMDLINE_MAX with its line end */
	GETK_CMDLINE_NUL,	/* a NUL byte */
	GETK_CMDLINE_BARE_LF,	/* ends in LF without CR */
	GETK_CMDLINE_BARE_CR	/* a CR that is not before the final LF */
};

/*
 * Checks the LEN bytes at LINE, one line with its final LF as the last
 * byte (LEN bytes with no LF at all are TOO_LONG at GETK_CMDLINE_MAX or
 * more, else checked as if the LF came next).  The first problem found,
 * in the order of the enum, or GETK_CMDLINE_OK.
 */
enum getk_cmdline_check getk_cmdline_check(const char *line, size_t len);

/* The reply getkd gives to a line that failed getk_cmdline_check(). */
const char *getk_cmdline_check_reply(enum getk_cmdline_check c);

enum getk_verb {
	GETK_VERB_OTHER,	/* anything else: the MTA's business */
	GETK_VERB_EHLO,
	GETK_VERB_HELO,
	GETK_VERB_STARTTLS,
	GETK_VERB_GETK,		/* GETK or XGETK */
	GETK_VERB_MAIL,
	GETK_VERB_RCPT,
	GETK_VERB_DATA,
	GETK_VERB_BDAT,
	GETK_VERB_RSET,
	GETK_VERB_QUIT,
	GETK_VERB_XCLIENT,
	GETK_VERB_XFORWARD
};

/* One command line, its parts pointing into the line. */
struct getk_cmd {
	enum getk_verb verb;
	const char *args;	/* after the verb and its space; "" none */
	size_t argslen;

	/* GETK, when getk_cmdline_parse() succeeded: */
	const char *mailbox;	/* without angle brackets */
	size_t mailboxlen;
	const char *local;	/* the local part, as sent (quotes kept) */
	size_t locallen;
	const char *domain;	/* after the last '@' */
	size_t domainlen;
	int smtputf8;		/* the SMTPUTF8 parameter was given */
	int utf8;		/* the mailbox has non-ASCII (UTF-8) bytes */

	/* BDAT: */
	unsigned long long chunk;	/* octets that follow the line */
	int last;			/* LAST was given */
};

/*
 * Parses the LEN bytes at LINE, one command line without its CRLF, into
 * *R.  Verbs are matched case-insensitively; a verb must be followed by
 * nothing or a space.  For GETK and BDAT the arguments are parsed too,
 * and a malformed one is GETK_ERR_SYNTAX with *R_REPLY the reply to
 * give (a fixed string with CRLF: "501 5.5.2 Syntax error", "501 5.1.3
 * Bad address syntax", "501 5.5.4 Unknown parameter", "504 5.5.4 Key
 * format not supported"); R->verb is set even then.  A UTF-8 mailbox
 * without SMTPUTF8 is not an error here (R->utf8 says so): whether the
 * session allows SMTPUTF8 is the caller's to know.  Other verbs are
 * never errors.
 */
enum getk_err getk_cmdline_parse(const char *line, size_t len,
    struct getk_cmd *r, const char **r_reply);

#endif
