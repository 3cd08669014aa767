// SPDX-License-Identifier: GPL-2.0
/*
 * rawsrv: the router-bound benchmark's backend. No TLS: it reads the first
 * TLS record a client sends (a real client's ClientHello, replayed by
 * connbench -R), answers a fixed line naming its site, and closes when the
 * client has (the client closes first, so no TIME_WAIT piles up here). One
 * thread, epoll, a few bytes of state a connection: what it costs is the
 * same for every contender, and small, so the router decides the rate.
 *
 *   rawsrv PORT:TEXT [PORT:TEXT]...
 *
 * What it reads, the record header of RFC 8446 §5.1:
 *
 *    0        1        3        5
 *   +--------+--------+--------+---------------------+
 *   | type   | version| length | length bytes ...    |
 *   | 0x16   |        |        |                     |
 *   +--------+--------+--------+---------------------+
 *
 * Anything else (a first byte that is not a handshake record) is closed
 * unanswered: a router that corrupts the bytes shows up as errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PORTS 8
#define MAX_FDS   (1 << 17)

struct conn {
	unsigned char hdr[5];
	unsigned int got, need;   /* bytes of the record read, its full size */
	unsigned char site;       /* which listener, for its reply */
	unsigned char answered;
};

static struct conn *conns;
static const char *reply[MAX_PORTS];
static int lfd[MAX_PORTS], nports;

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), on = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drop(int ep, int fd)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
}

/* Read what is there; answer once the record is whole; close on EOF. */
static void on_data(int ep, int fd)
{
	struct conn *c = &conns[fd];
	unsigned char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t off = 0;

		while (c->got < 5 && off < n)
			c->hdr[c->got++] = buf[off++];
		if (c->got < 5)
			continue;
		if (!c->need) {
			if (c->hdr[0] != 0x16) {
				drop(ep, fd);     /* not a TLS record: the bytes were mangled */
				return;
			}
			c->need = 5 + (c->hdr[3] << 8 | c->hdr[4]);
		}
		c->got += n - off;
		if (c->need && c->got >= c->need && !c->answered) {
			size_t len = strlen(reply[c->site]);

			c->answered = 1;
			if (write(fd, reply[c->site], len) != (ssize_t)len) {
				drop(ep, fd);
				return;
			}
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		drop(ep, fd);
}

static void on_accept(int ep, int site)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd;

	while ((fd = accept4(lfd[site], NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if (fd >= MAX_FDS) {
			close(fd);
			continue;
		}
		memset(&conns[fd], 0, sizeof(conns[fd]));
		conns[fd].site = site;
		ev.data.u32 = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

int main(int argc, char **argv)
{
	struct rlimit rl = { MAX_FDS, MAX_FDS };
	struct epoll_event ev[64];
	int ep;

	if (argc < 2 || argc - 1 > MAX_PORTS) {
		fprintf(stderr, "usage: rawsrv PORT:TEXT [PORT:TEXT]... (at most %d)\n", MAX_PORTS);
		return 2;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	conns = calloc(MAX_FDS, sizeof(*conns));
	ep = epoll_create1(0);
	for (int i = 1; i < argc; i++) {
		char *colon = strchr(argv[i], ':');

		if (!colon || (lfd[nports] = listen_on(atoi(argv[i]))) < 0) {
			fprintf(stderr, "rawsrv: cannot listen as '%s': %s\n", argv[i],
				colon ? strerror(errno) : "want PORT:TEXT");
			return 1;
		}
		reply[nports] = colon + 1;
		ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.u32 = MAX_FDS + nports };
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[nports++], &ev[0]);
	}
	for (;;) {
		int n = epoll_wait(ep, ev, 64, -1);

		for (int i = 0; i < n; i++) {
			unsigned int id = ev[i].data.u32;

			if (id >= MAX_FDS)
				on_accept(ep, id - MAX_FDS);
			else
				on_data(ep, id);
		}
	}
}
