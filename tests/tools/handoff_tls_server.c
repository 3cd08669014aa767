// SPDX-License-Identifier: GPL-2.0
/*
 * A test backend that takes connections by ksteerd hand-off (the library in
 * backend/) and does TLS on them with OpenSSL, as a real backend would:
 *
 *   handoff_tls_server SOCKET_PATH CERT KEY NAME [TCP_PORT]
 *
 * Answers each request with "backend NAME peer=IP:PORT local=IP:PORT", the
 * handed-off socket's own view of both ends. With TCP_PORT it also accepts
 * plain TCP connections there, so a benchmark can compare the same server
 * reached directly and through ksteerd's hand-off. A thread per connection,
 * so connections held open do not queue the others.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "ksteer_handoff.h"

static void addr_str(struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)ss)->sin_addr, ip, sizeof(ip));
		port = ntohs(((struct sockaddr_in *)ss)->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)ss)->sin6_addr, ip, sizeof(ip));
		port = ntohs(((struct sockaddr_in6 *)ss)->sin6_port);
	}
	snprintf(buf, len, "%s:%d", ip, port);
}

static SSL_CTX *ctx;
static const char *name;

static void serve(int fd)
{
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	char req[4096], body[256], resp[512], p[64], l[64];
	SSL *ssl = SSL_new(ctx);
	int n, one = 1;

	/* As nginx's tcp_nodelay: the response must not wait behind Nagle for
	 * the ACK of the session tickets (the client delays that ACK). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	getpeername(fd, (struct sockaddr *)&peer, &pl);
	getsockname(fd, (struct sockaddr *)&local, &ll);
	addr_str(&peer, p, sizeof(p));
	addr_str(&local, l, sizeof(l));
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) == 1 && SSL_read(ssl, req, sizeof(req)) > 0) {
		snprintf(body, sizeof(body), "backend %s peer=%s local=%s\n", name, p, l);
		n = snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n%s",
			     strlen(body), body);
		SSL_write(ssl, resp, n);
		/* Let the client close first, as with nginx's keep-alive: the
		 * server keeps no TIME_WAIT on the public 4-tuple. */
		while (SSL_read(ssl, req, sizeof(req)) > 0)
			;
		SSL_shutdown(ssl);
	}
	SSL_free(ssl);
	close(fd);
}

static void *serve_thread(void *arg)
{
	serve((int)(long)arg);
	return NULL;
}

static void serve_async(int fd)
{
	pthread_attr_t a;
	pthread_t t;

	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&t, &a, serve_thread, (void *)(long)fd))
		close(fd);
	pthread_attr_destroy(&a);
}

int main(int argc, char **argv)
{
	struct pollfd pf[2] = { { .fd = -1, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
	int lfd, fd;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: handoff_tls_server SOCKET_PATH CERT KEY NAME [TCP_PORT]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	name = argv[4];
	ctx = SSL_CTX_new(TLS_server_method());
	if (SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1) {
		fprintf(stderr, "handoff_tls_server: cannot load %s / %s\n", argv[2], argv[3]);
		return 1;
	}
	lfd = ksteer_handoff_listen(argv[1]);
	if (lfd < 0) {
		perror("ksteer_handoff_listen");
		return 1;
	}
	pf[0].fd = lfd;
	if (argc == 6) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[5])) };
		int on = 1;

		pf[1].fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(pf[1].fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(pf[1].fd, (struct sockaddr *)&a, sizeof(a)) || listen(pf[1].fd, 1024)) {
			perror("tcp listen");
			return 1;
		}
	}
	for (;;) {
		if (poll(pf, 2, -1) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			fd = ksteer_handoff_accept(lfd);
			if (fd >= 0)
				serve_async(fd);
		}
		if (pf[1].revents & POLLIN) {
			fd = accept(pf[1].fd, NULL, NULL);
			if (fd >= 0)
				serve_async(fd);
		}
	}
}
