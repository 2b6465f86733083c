/*
 * host.c: this host's name for EHLO and Message-ID.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"

void
getk_local_name(char *buf, size_t sz)
{
	size_t i;

	if (gethostname(buf, sz) != 0 || !memchr(buf, '\0', sz) ||
	    !strchr(buf, '.')) {
		snprintf(buf, sz, "localhost");
		return;
	}
	for (i = 0; buf[i]; i++) {
		char c = buf[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.')) {
			snprintf(buf, sz, "localhost");
			return;
		}
	}
}
