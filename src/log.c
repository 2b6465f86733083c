/*
 * log.c: message formatting for the log callback.
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void
getk_log(const struct getk_logger *lg, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!lg || !lg->fn || level > lg->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	lg->fn(lg->arg, level, msg);
}
