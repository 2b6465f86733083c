/*
 * getkd-load.c: the load client of bench/getkd.  One program for both
 * sides of the comparison, so that the client costs the same:
 *
 *   getkd-load getk HOST PORT CA CONNS SECONDS MAILBOX
 *       CONNS threads, each one SMTP session (EHLO, STARTTLS, EHLO),
 *       then "GETK <MAILBOX>" and its reply, again and again, for
 *       SECONDS.  Prints "N requests in S s: R/s".
 *   getkd-load http HOST PORT CA CONNS SECONDS PATH
 *       the same over HTTPS keep-alive: "GET PATH HTTP/1.1" and its
 *       response (Content-Length), again and again.
 *   getkd-load hold HOST PORT CA CONNS SECONDS MAILBOX
 *       opens CONNS TLS sessions one after another (one GETK each),
 *       prints "open N", keeps them open for SECONDS, then quits them.
 *
 * Blocking sockets and OpenSSL, a thread per connection (hold: one
 * thread, all sessions).  Built by bench/getkd with cc -lssl -lcrypto.
 */
#define _GNU_SOURCE 1
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct conn {
	int fd;
	SSL *ssl;
	char buf[65536];
	size_t len;		/* bytes in buf */
};

static const char *mode, *host, *arg;
static int port, seconds;
static SSL_CTX *ctx;
static volatile int stop;
static unsigned long total;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
rd(struct conn *c)
{
	int n;

	if (c->len == sizeof(c->buf))
		return -1;
	if (c->ssl)
		n = SSL_read(c->ssl, c->buf + c->len, (int)(sizeof(c->buf) -
		    c->len));
	else
		n = (int)read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	return 0;
}

static int
wr(struct conn *c, const char *s, size_t n)
{
	if (c->ssl)
		return SSL_write(c->ssl, s, (int)n) == (int)n ? 0 : -1;
	return write(c->fd, s, n) == (ssize_t)n ? 0 : -1;
}

static void
eat(struct conn *c, size_t n)
{
	memmove(c->buf, c->buf + n, c->len - n);
	c->len -= n;
}

/* Reads one SMTP reply; its code, or -1. */
static int
reply(struct conn *c)
{
	for (;;) {
		char *p = c->buf, *end = c->buf + c->len, *nl;

		while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
			if (nl - p >= 4 && p[3] == ' ') {
				int code = atoi(p);

				eat(c, (size_t)(nl + 1 - c->buf));
				return code;
			}
			p = nl + 1;
		}
		if (rd(c) != 0)
			return -1;
	}
}

static int
cmd(struct conn *c, const char *line)
{
	return wr(c, line, strlen(line)) == 0 ? reply(c) : -1;
}

static int
tcp(struct conn *c)
{
	struct sockaddr_in sa;
	int one = 1;

	memset(c, 0, sizeof(*c));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	inet_pton(AF_INET, host, &sa.sin_addr);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa,
	    sizeof(sa)) != 0)
		return -1;
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static int
tls(struct conn *c, const char *name)
{
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, name);
	SSL_set1_host(c->ssl, name);
	return SSL_connect(c->ssl) == 1 ? 0 : -1;
}

/* An SMTP session up to the EHLO after STARTTLS. */
static int
smtp_open(struct conn *c)
{
	if (tcp(c) != 0 || reply(c) != 220 ||
	    cmd(c, "EHLO load.example.net\r\n") != 250 ||
	    cmd(c, "STARTTLS\r\n") != 220 || tls(c, "mx.example.org") != 0 ||
	    cmd(c, "EHLO load.example.net\r\n") != 250)
		return -1;
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->ssl) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	if (c->fd >= 0)
		close(c->fd);
}

/* One HTTP/1.1 response with Content-Length; 0 when it is 200. */
static int
http_response(struct conn *c)
{
	for (;;) {
		char *hend = memmem(c->buf, c->len, "\r\n\r\n", 4), *cl;
		size_t head, body;

		if (hend) {
			int ok = strncmp(c->buf, "HTTP/1.1 200 ", 13) == 0;

			head = (size_t)(hend + 4 - c->buf);
			cl = memmem(c->buf, head, "Content-Length: ", 16);
			body = cl ? (size_t)atol(cl + 16) : 0;
			while (c->len < head + body)
				if (rd(c) != 0)
					return -1;
			eat(c, head + body);
			return ok ? 0 : -1;
		}
		if (rd(c) != 0)
			return -1;
	}
}

static void *
worker(void *unused)
{
	struct conn c;
	char req[600];
	unsigned long n = 0;

	(void)unused;
	if (strcmp(mode, "getk") == 0) {
		if (smtp_open(&c) != 0) {
			fprintf(stderr, "getkd-load: cannot open a session\n");
			exit(1);
		}
		snprintf(req, sizeof(req), "GETK <%s>\r\n", arg);
	} else {
		if (tcp(&c) != 0 || tls(&c, "openpgpkey.example.org") != 0) {
			fprintf(stderr, "getkd-load: cannot connect\n");
			exit(1);
		}
		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: "
		    "openpgpkey.example.org\r\n\r\n", arg);
	}
	while (!stop) {
		if (wr(&c, req, strlen(req)) != 0)
			break;
		if (strcmp(mode, "getk") == 0 ? reply(&c) != 250 :
		    http_response(&c) != 0)
			break;
		n++;
	}
	pthread_mutex_lock(&lock);
	total += n;
	pthread_mutex_unlock(&lock);
	conn_close(&c);
	return NULL;
}

static int
hold(int conns)
{
	struct conn *cs = calloc((size_t)conns, sizeof(*cs));
	char req[300];
	int i;

	snprintf(req, sizeof(req), "GETK <%s>\r\n", arg);
	for (i = 0; i < conns; i++) {
		if (smtp_open(&cs[i]) != 0 || cmd(&cs[i], req) != 250) {
			fprintf(stderr, "getkd-load: session %d failed\n", i);
			return 1;
		}
	}
	printf("open %d\n", conns);
	fflush(stdout);
	sleep((unsigned)seconds);
	for (i = 0; i < conns; i++) {
		cmd(&cs[i], "QUIT\r\n");
		conn_close(&cs[i]);
	}
	free(cs);
	return 0;
}

int
main(int argc, char **argv)
{
	pthread_t *ts;
	double t0, t1;
	int conns, i;

	if (argc != 8) {
		fprintf(stderr, "usage: getkd-load getk|http|hold HOST PORT CA "
		    "CONNS SECONDS MAILBOX|PATH\n");
		return 64;
	}
	mode = argv[1];
	host = argv[2];
	port = atoi(argv[3]);
	conns = atoi(argv[5]);
	seconds = atoi(argv[6]);
	arg = argv[7];
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(ctx, argv[4], NULL);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if (strcmp(mode, "hold") == 0)
		return hold(conns);
	ts = calloc((size_t)conns, sizeof(*ts));
	t0 = now();
	for (i = 0; i < conns; i++)
		pthread_create(&ts[i], NULL, worker, NULL);
	sleep((unsigned)seconds);
	stop = 1;
	for (i = 0; i < conns; i++)
		pthread_join(ts[i], NULL);
	t1 = now();
	printf("%lu requests in %.2f s: %.0f/s\n", total, t1 - t0,
	    total / (t1 - t0));
	return 0;
}
