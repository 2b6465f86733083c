/*
 * result.c: setting the verdicts of a lookup, a source's finding on an
 * address (engine.h) and an address's result (lookup.h); shared by the
 * cache (lookup.c) and the network half (engine.c, source*.c).
 */
#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void
getk_result_set(struct getk_result *r, enum getk_status status, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	r->status = status;
	free(r->reason);
	r->reason = NULL;
	if (!fmt)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->reason = strdup(msg);
}

void
getk_finding_set(struct finding *f, enum finding_state state, const char *fmt,
    ...)
{
	va_list ap;

	f->state = state;
	va_start(ap, fmt);
	vsnprintf(f->why, sizeof(f->why), fmt, ap);
	va_end(ap);
}
