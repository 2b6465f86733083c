/*
 * log.h: how the library reports what it does.
 *
 * The library never prints: it hands English messages to a callback that
 * the program supplies, together with a level.  The callback may be
 * called from several threads at once.
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

#endif
