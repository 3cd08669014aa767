// SPDX-License-Identifier: GPL-2.0
/*
 * rawsrv: the router-bound benchmark's backend. No TLS: it reads the first
 * TLS record a client sends (a real client's ClientHello, replayed by
 * connbench -R), answers a fixed line naming its site, and closes when the
 * client has (the client closes first, so no TIME_WAIT piles up here). One
 * thread, epoll, a few bytes of state a connection: what it costs is the
 * same for every contender, and small, so the router decides the rate.
 *
 *   rawsrv [http:]PORT:TEXT [...]
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
 *
 * An http: port reads a plain-HTTP request head instead (the plain-HTTP
 * line: a request replayed by connbench -R, through ksteer's port 80 or a
 * reverse proxy), up to its empty line, and answers TEXT in an HTTP/1.1
 * response a proxy can relay:
 *
 *   "GET" SP target SP version CRLF *(field CRLF) CRLF
 *
 * A head that does not start with "GET " is closed unanswered.
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
	unsigned char eoh;        /* http: bytes of CR LF CR LF matched so far */
};

static struct conn *conns;
static const char *reply[MAX_PORTS];
static int http[MAX_PORTS];   /* the port reads request heads */
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

/* The reply, once. 0, or -1 when it could not be sent (dropped). */
static int answer(int ep, int fd, struct conn *c)
{
	size_t len = strlen(reply[c->site]);

	c->answered = 1;
	if (write(fd, reply[c->site], len) == (ssize_t)len)
		return 0;
	drop(ep, fd);
	return -1;
}

/* An http: port's bytes: "GET " first, then up to CR LF CR LF. 0, or -1
 * when fd was dropped. */
static int on_http(int ep, int fd, struct conn *c, const unsigned char *b, ssize_t n)
{
	static const char eoh[] = "\r\n\r\n";

	for (ssize_t i = 0; i < n && !c->answered; i++) {
		if (c->got < 4 && b[i] != (unsigned char)"GET "[c->got]) {
			drop(ep, fd);             /* not a request: the bytes were mangled */
			return -1;
		}
		c->got++;
		c->eoh = b[i] == (unsigned char)eoh[c->eoh] ? c->eoh + 1 : b[i] == '\r';
		if (c->eoh == 4 && answer(ep, fd, c))
			return -1;
	}
	return 0;
}

/* Read what is there; answer once the record (head) is whole; close on EOF. */
static void on_data(int ep, int fd)
{
	struct conn *c = &conns[fd];
	unsigned char buf[16384];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (http[c->site]) {
			if (on_http(ep, fd, c, buf, n))
				return;
			continue;
		}
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
		if (c->need && c->got >= c->need && !c->answered && answer(ep, fd, c))
			return;
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
		fprintf(stderr, "usage: rawsrv [http:]PORT:TEXT [...] (at most %d)\n", MAX_PORTS);
		return 2;
	}
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGPIPE, SIG_IGN);
	conns = calloc(MAX_FDS, sizeof(*conns));
	ep = epoll_create1(0);
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i], *colon;

		http[nports] = !strncmp(arg, "http:", 5);
		arg += http[nports] ? 5 : 0;
		colon = strchr(arg, ':');
		if (!colon || (lfd[nports] = listen_on(atoi(arg))) < 0) {
			fprintf(stderr, "rawsrv: cannot listen as '%s': %s\n", argv[i],
				colon ? strerror(errno) : "want [http:]PORT:TEXT");
			return 1;
		}
		reply[nports] = colon + 1;
		if (http[nports]) {
			char *r = malloc(128 + strlen(colon + 1));

			sprintf(r, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
				strlen(colon + 1), colon + 1);
			reply[nports] = r;
		}
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
