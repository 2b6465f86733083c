/*
 * cli.h: what the programs of cmd/ share: their messages on standard
 * error, each line named by the program.  (The library never prints;
 * this is the programs' side of its log callback.)
 */
#ifndef GETK_CLI_H
#define GETK_CLI_H

/*
 * The library's log callback (struct getk_logger's fn) for a program:
 * ARG is the program's name, and MSG goes to standard error as one line
 * "NAME: MSG", whole even when threads log at once.
 */
void getk_cli_log_stderr(void *arg, int level, const char *msg);

/*
 * Prints "PROG: " and the formatted message as one line on standard
 * error and returns STATUS, so that "return getk_cli_fail(...)" ends a
 * program's step with its exit status.
 */
int getk_cli_fail(const char *prog, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
