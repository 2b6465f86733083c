/*
 * getkd: the GETK responder in front of an unmodified MTA (getkd(8)).
 *
 * This file parses the options and the configuration, opens the log,
 * binds the listeners and reads the certificate as root, then forks the
 * session process (src/server.c), which drops to the configured user.
 * The parent stays small and privileged: on SIGHUP it reads the
 * certificate and key again and sends them to the session process; on
 * SIGTERM it passes the signal on and exits with the session process.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <syslog.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <gcrypt.h>
#include <netinet/in.h>

#include "../src/keydir.h"
#include "../src/log.h"
#include "../src/server.h"
#include "../src/serverconf.h"
#include "../src/servertls.h"

#define PROG "getkd"
#define MAX_LISTEN 16

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: " PROG " [-d] [-v] [-f FILE] [-n]\n"
	    "\n"
	    "Answers GETK from a Web Key Directory in front of an MTA.\n"
	    "\n"
	    "  -d             stay in the foreground, log to stderr\n"
	    "  -f FILE        the configuration file (default "
	    GETK_SERVER_CONFIG_FILE ")\n"
	    "  -n             check the configuration, certificate and key_dir,"
	    " and exit\n"
	    "  -v             log more (repeat for more)\n"
	    "  -h             show this help\n"
	    "  -V             show the version\n"
	    "\n"
	    "Exit status: 0 stopped by SIGTERM (or -n: configuration good), "
	    "64 usage,\n"
	    "71 cannot listen or start, 78 configuration.\n");
}

/* Where log lines go: stderr (-d), the log file, syslog. */
struct logdest {
	int to_stderr;
	int fd;			/* log FILE, or -1 */
	int syslog;
	pid_t pid;		/* of the process logging */
	time_t stamp_time;	/* the second STAMP is of */
	char stamp[64];		/* "TIME getkd[PID]: ", made once a second */
	size_t stamplen;
};

static void
log_line(void *arg, int level, const char *msg)
{
	struct logdest *d = arg;
	struct iovec iov[3];
	struct tm tm;
	time_t now = time(NULL);
	size_t len = strlen(msg);
	int n;

	if (d->syslog)
		syslog(level == GETK_LOG_ERROR ? LOG_NOTICE : LOG_INFO, "%s",
		    msg);
	if (!d->to_stderr && d->fd < 0)
		return;
	if (now != d->stamp_time || !d->stamplen) {
		gmtime_r(&now, &tm);
		n = (int)strftime(d->stamp, sizeof(d->stamp),
		    "%Y-%m-%dT%H:%M:%SZ", &tm);
		n += snprintf(d->stamp + n, sizeof(d->stamp) - (size_t)n,
		    " " PROG "[%ld]: ", (long)d->pid);
		d->stamplen = strlen(d->stamp);
		d->stamp_time = now;
	}
	if (len > 1100)
		len = 1100;
	iov[0].iov_base = d->stamp;
	iov[0].iov_len = d->stamplen;
	iov[1].iov_base = (char *)msg;
	iov[1].iov_len = len;
	iov[2].iov_base = (char *)"\n";
	iov[2].iov_len = 1;
	/* One write(2) per line: lines of both processes stay whole. */
	if (d->to_stderr && writev(2, iov, 3) < 0)
		return;
	if (d->fd >= 0 && writev(d->fd, iov, 3) < 0)
		return;
}

/* The process logging is PID from now on. */
static void
log_pid(struct logdest *d, pid_t pid)
{
	d->pid = pid;
	d->stamplen = 0;
}

static int
facility(const char *name)
{
	static const struct { const char *name; int value; } names[] = {
		{ "LOG_MAIL", LOG_MAIL }, { "LOG_DAEMON", LOG_DAEMON },
		{ "LOG_LOCAL0", LOG_LOCAL0 }, { "LOG_LOCAL1", LOG_LOCAL1 },
		{ "LOG_LOCAL2", LOG_LOCAL2 }, { "LOG_LOCAL3", LOG_LOCAL3 },
		{ "LOG_LOCAL4", LOG_LOCAL4 }, { "LOG_LOCAL5", LOG_LOCAL5 },
		{ "LOG_LOCAL6", LOG_LOCAL6 }, { "LOG_LOCAL7", LOG_LOCAL7 },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(names[i].name, name) == 0)
			return names[i].value;
	return LOG_MAIL;
}

/* The name getkd's own replies use: hostname, else the system's FQDN. */
static void
system_fqdn(char *out, size_t outsz)
{
	struct addrinfo hints, *res = NULL;
	char host[256];

	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(host, NULL, &hints, &res) == 0 && res &&
	    res->ai_canonname)
		snprintf(out, outsz, "%s", res->ai_canonname);
	else
		snprintf(out, outsz, "%s", host);
	if (res)
		freeaddrinfo(res);
}

/* Resolves "HOST:PORT" (numeric or a name) to its first address. */
static int
resolve(const char *hostport, int passive, struct sockaddr_storage *r_sa,
    socklen_t *r_len, char *why, size_t whysz)
{
	struct addrinfo hints, *res = NULL;
	char host[256], port[8];
	const char *err;
	int p, rc;

	if (getk_hostport_parse(hostport, host, &p, &err) != GETK_OK) {
		snprintf(why, whysz, "%s: %s", hostport, err);
		return 0;
	}
	snprintf(port, sizeof(port), "%d", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = passive ? AI_PASSIVE | AI_NUMERICHOST : 0;
	rc = getaddrinfo(strcmp(host, "*") == 0 ? NULL : host, port, &hints,
	    &res);
	if (rc != 0 || !res) {
		snprintf(why, whysz, "%s: %s", hostport, gai_strerror(rc));
		return 0;
	}
	memcpy(r_sa, res->ai_addr, res->ai_addrlen);
	*r_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 1;
}

/* Binds and listens on ADDR:PORT; the socket, or -1 with WHY. */
static int
listen_on(const char *hostport, char *why, size_t whysz)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, on = 1;

	if (!resolve(hostport, 1, &sa, &len, why, whysz))
		return -1;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(why, whysz, "%s: %s", hostport, strerror(errno));
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* [::]:25 and 0.0.0.0:25 side by side. */
	if (sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&sa, len) != 0 ||
	    listen(fd, 511) != 0) {
		snprintf(why, whysz, "cannot listen on %s: %s", hostport,
		    strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The session process never runs as root (SERVER.md user). */
static int
drop_privileges(const struct passwd *pw, char *why, size_t whysz)
{
	gid_t gid = pw->pw_gid;

	if (chdir("/") != 0 || setgroups(1, &gid) != 0 || setgid(gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		snprintf(why, whysz, "cannot become user %s: %s", pw->pw_name,
		    strerror(errno));
		return 0;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(why, whysz, "could become root again");
		return 0;
	}
	return 1;
}

static volatile sig_atomic_t got_hup, got_term, got_chld;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

/*
 * The privileged parent's loop: SIGHUP reloads, SIGTERM passes on, and
 * the session process's end is getkd's.  Returns the exit status.
 */
static int
parent_loop(const struct getk_server_config *cfg, pid_t child, int ctl,
    const struct getk_logger *lg, sigset_t *waitmask)
{
	struct getk_creds creds;
	char why[512];
	int status;

	for (;;) {
		sigsuspend(waitmask);
		if (got_hup) {
			got_hup = 0;
			getk_log(lg, GETK_LOG_ERROR, "SIGHUP: reading %s again",
			    cfg->tls_cert_file ? cfg->tls_cert_file :
			    "key_dir");
			memset(&creds, 0, sizeof(creds));
			if (cfg->tls_cert_file && getk_creds_load(
			    cfg->tls_cert_file, cfg->tls_key_file, &creds, why,
			    sizeof(why)) != GETK_OK) {
				getk_log(lg, GETK_LOG_ERROR, "reload: %s; the "
				    "old certificate stays", why);
				memset(&creds, 0, sizeof(creds));
			}
			if (getk_creds_send(ctl, &creds) != GETK_OK)
				getk_log(lg, GETK_LOG_ERROR, "reload: cannot "
				    "reach the session process: %s",
				    strerror(errno));
			getk_creds_clear(&creds);
		}
		if (got_term) {
			got_term = 0;
			kill(child, SIGTERM);
		}
		if (got_chld) {
			got_chld = 0;
			if (waitpid(child, &status, WNOHANG) == child)
				break;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		getk_log(lg, GETK_LOG_ERROR, "stopped");
		return 0;
	}
	getk_log(lg, GETK_LOG_ERROR, "the session process ended %s %d",
	    WIFSIGNALED(status) ? "by signal" : "with status",
	    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return EX_SOFTWARE;
}

int
main(int argc, char **argv)
{
	const char *file = GETK_SERVER_CONFIG_FILE;
	struct getk_server_config *cfg = NULL;
	struct getk_server_settings ss;
	struct logdest dest = { 0, -1, 0, 0, 0, "", 0 };
	struct getk_logger lg = { log_line, &dest, 0 };
	struct getk_keydir *kd = NULL;
	struct passwd *pw = NULL;
	struct sigaction sa;
	struct rlimit rl;
	sigset_t block, waitmask;
	char hostname[256], why[1024];
	int fds[MAX_LISTEN], nfds = 0, foreground = 0, check = 0, c, ctl[2];
	int rc = 0;
	const char *defaults[] = { "0.0.0.0:25", "[::]:25", NULL };
	char *const *listen;
	pid_t child;
	size_t i;

	while ((c = getopt(argc, argv, "df:nvhV")) != -1) {
		switch (c) {
		case 'd': foreground = 1; break;
		case 'f': file = optarg; break;
		case 'n': check = 1; break;
		case 'v': lg.level++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf(PROG " " PACKAGE_VERSION "\n"); return 0;
		default: usage(stderr); return EX_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EX_USAGE;
	}
	if (!gcry_check_version(GCRYPT_VERSION)) {
		fprintf(stderr, PROG ": libgcrypt is too old\n");
		return EX_SOFTWARE;
	}
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

	if (getk_server_config_load(file, &cfg, why, sizeof(why)) != GETK_OK) {
		fprintf(stderr, PROG ": %s\n", why[0] ? why : "out of memory");
		return EX_CONFIG;
	}
	memset(&ss, 0, sizeof(ss));
	ss.cfg = cfg;
	ss.log = &lg;
	ss.ctl_fd = -1;
	if (cfg->hostname)
		snprintf(hostname, sizeof(hostname), "%s", cfg->hostname);
	else
		system_fqdn(hostname, sizeof(hostname));
	ss.hostname = hostname;
	if (!resolve(cfg->backend, 0, &ss.backend, &ss.backend_len, why,
	    sizeof(why))) {
		fprintf(stderr, PROG ": %s: backend %s\n", file, why);
		rc = EX_CONFIG;
		goto leave;
	}
	if (geteuid() == 0) {
		pw = getpwnam(cfg->user);
		if (!pw || pw->pw_uid == 0) {
			fprintf(stderr, PROG ": %s: user %s: %s\n", file,
			    cfg->user, pw ? "is root; the session process "
			    "never runs as root" : "no such user");
			rc = EX_CONFIG;
			goto leave;
		}
	}
	if (cfg->tls_cert_file) {
		SSL_CTX *ctx = NULL;

		if (getk_creds_load(cfg->tls_cert_file, cfg->tls_key_file,
		    &ss.creds, why, sizeof(why)) != GETK_OK ||
		    getk_tls_ctx_new(&ss.creds, &ctx, why, sizeof(why)) !=
		    GETK_OK) {
			fprintf(stderr, PROG ": %s\n", why);
			rc = EX_CONFIG;
			goto leave;
		}
		SSL_CTX_free(ctx);
	}
	if (getk_keydir_new(cfg->key_dir, cfg->domains, &kd) != GETK_OK) {
		fprintf(stderr, PROG ": key_dir %s: %s\n", cfg->key_dir,
		    strerror(errno));
		if (check) {
			rc = EX_CONFIG;
			goto leave;
		}
	}
	if (check) {
		printf(PROG ": %s: configuration good; backend %s (%s), %s, "
		    "%zu domains:", file, cfg->backend,
		    getk_client_info_name(cfg->client_info),
		    cfg->tls_cert_file ? "STARTTLS and GETK" :
		    "no tls_cert_file: no STARTTLS, no GETK",
		    getk_keydir_ndomains(kd));
		for (i = 0; i < getk_keydir_ndomains(kd); i++)
			printf(" %s", getk_keydir_domain(kd, i));
		printf("\n");
		rc = 0;
		goto leave;
	}
	getk_keydir_free(kd);
	kd = NULL;

	/* The log: a file (opened as root), syslog, stderr with -d. */
	if (cfg->log) {
		dest.fd = open(cfg->log, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0640);
		if (dest.fd < 0) {
			fprintf(stderr, PROG ": log %s: %s\n", cfg->log,
			    strerror(errno));
			rc = EX_CONFIG;
			goto leave;
		}
	}
	dest.to_stderr = foreground;
	log_pid(&dest, getpid());
	if (cfg->syslog && !foreground) {
		openlog(PROG, LOG_PID | LOG_NDELAY, facility(cfg->syslog));
		dest.syslog = 1;
	}

	/* Two descriptors a session: as many as the system lets us have. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur < (rlim_t)cfg->max_sessions * 2 + 64)
		getk_log(&lg, GETK_LOG_ERROR, "only %ld file descriptors for "
		    "max_sessions %ld (two a session): raise the limit",
		    (long)rl.rlim_cur, cfg->max_sessions);

	listen = cfg->listen ? cfg->listen : (char *const *)defaults;
	for (i = 0; listen[i] && nfds < MAX_LISTEN; i++) {
		fds[nfds] = listen_on(listen[i], why, sizeof(why));
		if (fds[nfds] < 0) {
			getk_log(&lg, GETK_LOG_ERROR, "%s", why);
			fprintf(stderr, PROG ": %s\n", why);
			rc = EX_OSERR;
			goto leave;
		}
		nfds++;
	}
	ss.listen_fds = fds;
	ss.nlisten = (size_t)nfds;

	if (!foreground) {
		if (daemon(0, 0) != 0) {
			fprintf(stderr, PROG ": cannot go to the background: "
			    "%s\n", strerror(errno));
			rc = EX_OSERR;
			goto leave;
		}
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) != 0) {
		getk_log(&lg, GETK_LOG_ERROR, "socketpair: %s", strerror(errno));
		rc = EX_OSERR;
		goto leave;
	}
	/* Signals wait for sigsuspend in the parent; the child unblocks. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	sigdelset(&waitmask, SIGHUP);
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGCHLD);

	child = fork();
	if (child < 0) {
		getk_log(&lg, GETK_LOG_ERROR, "fork: %s", strerror(errno));
		rc = EX_OSERR;
		goto leave;
	}
	if (child == 0) {
		enum getk_err err;

		log_pid(&dest, getpid());
		close(ctl[0]);
		ss.ctl_fd = ctl[1];
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_DFL;
		sigaction(SIGHUP, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGCHLD, &sa, NULL);
		sigprocmask(SIG_SETMASK, &waitmask, NULL);
		if (pw && !drop_privileges(pw, why, sizeof(why))) {
			getk_log(&lg, GETK_LOG_ERROR, "%s", why);
			_exit(EX_OSERR);
		}
		getk_log(&lg, GETK_LOG_ERROR, "session process %ld runs as "
		    "uid %ld", (long)getpid(), (long)getuid());
		err = getk_server_run(&ss, why, sizeof(why));
		if (err)
			getk_log(&lg, GETK_LOG_ERROR, "%s", why);
		getk_server_config_free(cfg);
		_exit(err ? EX_OSERR : 0);
	}
	close(ctl[1]);
	log_pid(&dest, getpid());
	for (i = 0; i < (size_t)nfds; i++)
		close(fds[i]);
	getk_creds_clear(&ss.creds);
	getk_log(&lg, GETK_LOG_ERROR, "started: %d listeners, session "
	    "process %ld", nfds, (long)child);
	rc = parent_loop(cfg, child, ctl[0], &lg, &waitmask);
leave:
	getk_keydir_free(kd);
	getk_creds_clear(&ss.creds);
	getk_server_config_free(cfg);
	return rc;
}
