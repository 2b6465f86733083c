/*
 * fuzz-cmdline.c: libFuzzer target for getkd's reader of client command
 * lines (src/cmdline.c).
 *
 * The input is cut at LF as getkd cuts its input; each line (a last one
 * without LF is not yet a line) goes through
 * getk_cmdline_check and, when it passes, getk_cmdline_parse, as the
 * session does.  A line that passes has CRLF at its end and nothing of
 * NUL, CR or LF before, and fits 512 octets.  Every parsed part must lie
 * inside the line; a GETK mailbox has an '@' between its local part and
 * its domain; a failure always comes with a reply of the right form.
 */
#include <config.h>

#include "fuzz.h"
#include "cmdline.h"

/* Whether [P, P + N) lies within [LINE, LINE + LEN). */
static int
inside(const char *p, size_t n, const char *line, size_t len)
{
	return n == 0 || (p >= line && p + n <= line + len);
}

static void
one_line(const char *line, size_t len)
{
	enum getk_cmdline_check c = getk_cmdline_check(line, len);
	const char *reply = NULL;
	struct getk_cmd cmd;
	enum getk_err err;
	size_t i;

	if (c != GETK_CMDLINE_OK) {
		reply = getk_cmdline_check_reply(c);
		ASSERT(strncmp(reply, "500 5.5.2 ", 10) == 0);
		return;
	}
	ASSERT(len >= 2 && len <= GETK_CMDLINE_MAX);
	ASSERT(line[len - 2] == '\r' && line[len - 1] == '\n');
	for (i = 0; i < len - 2; i++)
		ASSERT(line[i] != '\0' && line[i] != '\r' && line[i] != '\n');
	err = getk_cmdline_parse(line, len - 2, &cmd, &reply);
	ASSERT(inside(cmd.args, cmd.argslen, line, len - 2));
	if (err) {
		ASSERT(err == GETK_ERR_SYNTAX);
		ASSERT(cmd.verb == GETK_VERB_GETK || cmd.verb == GETK_VERB_BDAT);
		ASSERT(reply && (strncmp(reply, "501 5.", 6) == 0 ||
		    strncmp(reply, "504 5.5.4 ", 10) == 0));
		ASSERT(strlen(reply) > 2 &&
		    strcmp(reply + strlen(reply) - 2, "\r\n") == 0);
		return;
	}
	ASSERT(reply == NULL);
	if (cmd.verb == GETK_VERB_GETK) {
		ASSERT(cmd.mailboxlen > 0);
		ASSERT(inside(cmd.mailbox, cmd.mailboxlen, line, len - 2));
		ASSERT(cmd.local == cmd.mailbox);
		ASSERT(cmd.local + cmd.locallen + 1 == cmd.domain);
		ASSERT(cmd.domain[-1] == '@');
		ASSERT(cmd.domain + cmd.domainlen == cmd.mailbox +
		    cmd.mailboxlen);
		ASSERT(cmd.domainlen > 0 && cmd.locallen > 0);
		ASSERT(!memchr(cmd.domain, '@', cmd.domainlen));
	}
	if (cmd.verb == GETK_VERB_BDAT)
		ASSERT(cmd.chunk < 1000000000000000000ULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		char *copy;

		/* getkd looks at a line once its LF is there. */
		if (!nl)
			break;
		/* A copy of its own, so ASan sees reads past the line. */
		copy = malloc(len);
		if (!copy)
			return 0;
		memcpy(copy, p, len);
		one_line(copy, len);
		free(copy);
		p += len;
	}
	return 0;
}
