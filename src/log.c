/*
 * log.c: message formatting for the log callback, and the log line of a
 * message in the log file and syslog.
 */
#include <config.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
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

void
getk_log_record(const char *logfile, const char *syslog_facility,
    const char *ident, const char *line)
{
	static const struct { const char *name; int fac; } facs[] = {
		{ "LOG_USER", LOG_USER }, { "LOG_MAIL", LOG_MAIL },
		{ "LOG_LOCAL0", LOG_LOCAL0 }, { "LOG_LOCAL1", LOG_LOCAL1 },
		{ "LOG_LOCAL2", LOG_LOCAL2 }, { "LOG_LOCAL3", LOG_LOCAL3 },
		{ "LOG_LOCAL4", LOG_LOCAL4 }, { "LOG_LOCAL5", LOG_LOCAL5 },
		{ "LOG_LOCAL6", LOG_LOCAL6 }, { "LOG_LOCAL7", LOG_LOCAL7 },
	};
	int fac = LOG_USER;
	size_t i;

	if (logfile) {
		int fd = open(logfile, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC | O_NOCTTY, 0600);
		FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
		char t[64];
		time_t now = getk_now();
		struct tm tm;

		if (fd >= 0 && !f)
			close(fd);
		if (f) {
			localtime_r(&now, &tm);
			strftime(t, sizeof(t), "%b %d %H:%M:%S", &tm);
			fprintf(f, "%s %s\n", t, line);
			fclose(f);
		}
	}
	if (syslog_facility) {
		for (i = 0; i < sizeof(facs) / sizeof(facs[0]); i++)
			if (strcmp(facs[i].name, syslog_facility) == 0)
				fac = facs[i].fac;
		openlog(ident, LOG_PID, fac);
		syslog(LOG_INFO, "%s", line);
		closelog();
	}
}
