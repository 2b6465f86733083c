/*
 * cli.c: the programs' messages on standard error (cli.h).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>

#include "cli.h"

void
getk_cli_log_stderr(void *arg, int level, const char *msg)
{
	(void)level;
	flockfile(stderr);
	fprintf(stderr, "%s: %s\n", (const char *)arg, msg);
	funlockfile(stderr);
}

int
getk_cli_fail(const char *prog, int status, const char *fmt, ...)
{
	va_list ap;

	flockfile(stderr);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	return status;
}
