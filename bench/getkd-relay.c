/*
 * bench/getkd-relay.c: the least a proxy in front of an MTA can do, as a
 * floor for bench/getkd's mail session.  It accepts on 127.0.0.1:PORT,
 * connects to 127.0.0.1:BACKEND, sends the client's address in a PROXY
 * v2 header and copies bytes both ways, one recv(2) and one send(2) per
 * chunk, one epoll loop: no parsing, no TLS, no logging, no limits.  A
 * session through it costs what the second TCP connection and the
 * process in the middle cost, whatever that process does.
 *
 * usage: getkd-relay PORT BACKEND   (runs until killed)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXFD 65536

static int peer[MAXFD];

static int
port_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *end || v <= 0 || v > 65535 ? -1 : (int)v;
}

static void
watch(int ep, int fd)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* A new client: its connection to the backend, the PROXY v2 header. */
static void
start(int ep, int ls, const struct sockaddr_in *self,
    const struct sockaddr_in *backend)
{
	static const unsigned char sig[12] = "\r\n\r\n\0\r\nQUIT\n";
	struct sockaddr_in ca;
	socklen_t cl = sizeof(ca);
	unsigned char h[28];
	int one = 1, c, m;

	c = accept4(ls, (struct sockaddr *)&ca, &cl, SOCK_NONBLOCK);
	if (c < 0)
		return;
	m = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (m < 0 || c >= MAXFD || m >= MAXFD || (connect(m,
	    (const struct sockaddr *)backend, sizeof(*backend)) != 0 &&
	    errno != EINPROGRESS)) {
		close(c);
		if (m >= 0)
			close(m);
		return;
	}
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(m, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memcpy(h, sig, 12);
	h[12] = 0x21;			/* version 2, PROXY */
	h[13] = 0x11;			/* TCP over IPv4 */
	h[14] = 0;
	h[15] = 12;
	memcpy(h + 16, &ca.sin_addr, 4);
	memcpy(h + 20, &self->sin_addr, 4);
	memcpy(h + 24, &ca.sin_port, 2);
	memcpy(h + 26, &self->sin_port, 2);
	/* On loopback the connection is up: the header goes at once (a
	 * failure shows as the backend closing). */
	if (send(m, h, sizeof(h), MSG_NOSIGNAL) != (ssize_t)sizeof(h)) {
		close(c);
		close(m);
		return;
	}
	peer[c] = m;
	peer[m] = c;
	watch(ep, c);
	watch(ep, m);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in self, backend;
	struct epoll_event evs[64];
	static char buf[65536];
	int lport, bport, ls, ep, one = 1;

	if (argc != 3 || (lport = port_arg(argv[1])) < 0 ||
	    (bport = port_arg(argv[2])) < 0) {
		fprintf(stderr, "usage: getkd-relay PORT BACKEND\n");
		return 2;
	}
	memset(&self, 0, sizeof(self));
	self.sin_family = AF_INET;
	self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	self.sin_port = htons((unsigned short)lport);
	backend = self;
	backend.sin_port = htons((unsigned short)bport);
	ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (ls < 0 || ep < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(ls, (struct sockaddr *)&self, sizeof(self)) != 0 ||
	    listen(ls, 1024) != 0) {
		perror("getkd-relay");
		return 1;
	}
	watch(ep, ls);
	for (;;) {
		int i, n = epoll_wait(ep, evs, 64, -1);

		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t r;

			if (fd == ls) {
				start(ep, ls, &self, &backend);
				continue;
			}
			if (peer[fd] < 0)
				continue;	/* closed earlier in this batch */
			r = recv(fd, buf, sizeof(buf), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			/* Bench sessions are small: a send(2) takes it all. */
			if (r <= 0 || send(peer[fd], buf, (size_t)r,
			    MSG_NOSIGNAL) != r) {
				int o = peer[fd];

				peer[fd] = peer[o] = -1;
				close(fd);
				close(o);
			}
		}
	}
}
