/*
 * log.h: how the library reports what it does.
 *
 * The library never prints: it hands English messages to a callback that
 * the program supplies, together with a level.  The callback may be
 * called from several threads at once.  Beside them, the one line per
 * message that the user's log file and syslog get.
 */
#ifndef GETK_LOG_H
#define GETK_LOG_H

enum getk_log_level {
	GETK_LOG_ERROR = 0,	/* always shown */
	GETK_LOG_WARN = 0,	/* always shown */
	GETK_LOG_INFO = 1,	/* -v: what is being done */
	GETK_LOG_DEBUG = 2,	/* -vv: decisions and their reasons */
	GETK_LOG_PROTO = 3	/* -vvv: protocol lines */
};

struct getk_logger {
	void (*fn)(void *arg, int level, const char *msg);	/* or NULL */
	void *arg;		/* passed to fn */
	int level;		/* highest level passed on */
};

/*
 * Formats a message and passes it to LG's callback when LEVEL is at most
 * LG's level.  LG may be NULL.  Messages are cut at 1024 bytes.
 */
void getk_log(const struct getk_logger *lg, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Appends LINE, the one line a message gets, as msmtp writes it: to the
 * file LOGFILE (made 0600: it names who wrote to whom), after the local
 * time, and with SYSLOG_FACILITY ("on" or "LOG_USER", "LOG_MAIL",
 * "LOG_LOCAL0" to "LOG_LOCAL7") to syslog(3) at LOG_INFO under IDENT.
 * Either may be NULL.  A file that cannot be opened is passed over: the
 * log never stops a message.
 */
void getk_log_record(const char *logfile, const char *syslog_facility,
    const char *ident, const char *line);

#endif
