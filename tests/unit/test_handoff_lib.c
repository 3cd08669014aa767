// SPDX-License-Identifier: GPL-2.0
/*
 * The hand-off library (handoff/ksteer_handoff.c) against a sender that
 * does what ksteerd does, and against senders that do not: no socket, the
 * wrong tag, a peer that leaves.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include "ksteer_handoff.h"

static int passed, failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			passed++;                                          \
			printf("ok - " __VA_ARGS__);                       \
		} else {                                                   \
			failed++;                                          \
			printf("FAIL - " __VA_ARGS__);                     \
		}                                                          \
		printf("\n");                                              \
	} while (0)

static char path[108];

/* Connect to the backend and send tag, with fd attached if fd >= 0. */
static void send_one(char tag, int fd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int u = socket(AF_UNIX, SOCK_STREAM, 0);

	strcpy(sun.sun_path, path);
	if (connect(u, (struct sockaddr *)&sun, sizeof(sun)))
		_exit(1);
	if (fd >= 0) {
		struct cmsghdr *cm;

		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (tag)
		sendmsg(u, &msg, 0);
	close(u);
}

int main(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in peer, mine;
	socklen_t al = sizeof(a), pl = sizeof(peer), ml = sizeof(mine);
	int lfd, tl, cli, srv, got, st;
	char buf[16] = { 0 };

	setvbuf(stdout, NULL, _IONBF, 0);       /* forked senders share it */
	snprintf(path, sizeof(path), "/tmp/ks-handoff-test-%d.sock", getpid());
	lfd = ksteer_handoff_listen(path);
	CHECK(lfd >= 0, "listen on %s", path);

	/* A real TCP connection whose server side we hand off. */
	tl = socket(AF_INET, SOCK_STREAM, 0);
	bind(tl, (struct sockaddr *)&a, sizeof(a));
	listen(tl, 1);
	getsockname(tl, (struct sockaddr *)&a, &al);
	cli = socket(AF_INET, SOCK_STREAM, 0);
	connect(cli, (struct sockaddr *)&a, sizeof(a));
	srv = accept(tl, NULL, NULL);
	getsockname(cli, (struct sockaddr *)&mine, &ml);
	write(cli, "hello", 5);
	if (fork() == 0) {
		send_one('K', srv);
		_exit(0);
	}
	close(srv);                       /* only the receiver holds it now */
	got = ksteer_handoff_accept(lfd);
	wait(&st);
	CHECK(got >= 0, "received the socket");
	getpeername(got, (struct sockaddr *)&peer, &pl);
	CHECK(peer.sin_port == mine.sin_port, "its peer is the client (port %u)", ntohs(peer.sin_port));
	CHECK(read(got, buf, sizeof(buf)) == 5 && !memcmp(buf, "hello", 5),
	      "the client's bytes are unread in it");
	write(got, "ok", 2);
	CHECK(read(cli, buf, 2) == 2 && !memcmp(buf, "ok", 2), "and it answers the client");
	close(got);

	if (fork() == 0) {
		send_one('K', -1);
		_exit(0);
	}
	got = ksteer_handoff_accept(lfd);
	wait(&st);
	CHECK(got < 0 && errno == EPROTO, "a message without a socket: EPROTO");
	if (fork() == 0) {
		send_one('X', cli);
		_exit(0);
	}
	got = ksteer_handoff_accept(lfd);
	wait(&st);
	CHECK(got < 0 && errno == EPROTO, "a socket with the wrong tag: refused (EPROTO)");
	if (fork() == 0) {
		send_one(0, -1);
		_exit(0);
	}
	got = ksteer_handoff_accept(lfd);
	wait(&st);
	CHECK(got < 0, "a peer that sends nothing: error, no socket");
	CHECK(ksteer_handoff_listen(path) >= 0, "a stale socket file is replaced");
	unlink(path);
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
