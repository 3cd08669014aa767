// SPDX-License-Identifier: GPL-2.0
/*
 * quic_flood: QUIC-like UDP datagrams as fast as one thread can send them,
 * and a receiver counting them in a SO_REUSEPORT group (bench/quic_bench.sh).
 *
 *   quic_flood send ADDR PORT SECONDS DCID_HEX [SIZE]
 *       short-header packets (0x40, the DCID, then zeros up to SIZE bytes,
 *       default 64) to ADDR:PORT for SECONDS, in sendmmsg batches; prints
 *       "sent N".
 *   quic_flood recv PORT NSOCK
 *       NSOCK UDP sockets with SO_REUSEPORT on 0.0.0.0:PORT; prints "ready"
 *       once bound, counts datagrams until SIGINT/SIGTERM, then prints
 *       "received N" and each socket's count.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MAXSOCK 16

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: quic_flood send ADDR PORT SECONDS DCID_HEX [SIZE] | "
			"quic_flood recv PORT NSOCK\n");
	return 2;
}

static int do_send(int argc, char **argv)
{
	static unsigned char pkt[1500];
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	struct sockaddr_in to = { .sin_family = AF_INET };
	double secs, end;
	size_t size = 64, dl;
	unsigned long long sent = 0;
	const char *hex;
	int fd;

	if (argc < 6)
		return usage();
	if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1)
		return usage();
	to.sin_port = htons(atoi(argv[3]));
	secs = atof(argv[4]);
	hex = argv[5];
	if (argc > 6)
		size = strtoul(argv[6], NULL, 0);
	dl = strlen(hex) / 2;
	if (dl < 1 || dl > 20 || strlen(hex) % 2 || size < 1 + dl + 16 || size > sizeof(pkt))
		return usage();
	pkt[0] = 0x40;                        /* short header, fixed bit */
	for (size_t i = 0; i < dl; i++)
		sscanf(hex + 2 * i, "%2hhx", &pkt[1 + i]);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		perror("socket");
		return 1;
	}
	iov.iov_base = pkt;
	iov.iov_len = size;
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	end = now() + secs;
	while (!stop) {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		if (n > 0)
			sent += n;
		else if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED && errno != EINTR) {
			perror("sendmmsg");
			return 1;
		}
		if ((sent & 1023) < BATCH && now() >= end)
			break;
	}
	printf("sent %llu\n", sent);
	return 0;
}

static int do_recv(int argc, char **argv)
{
	static char bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	struct pollfd pfd[MAXSOCK];
	unsigned long long count[MAXSOCK] = { 0 }, total = 0;
	struct sockaddr_in a = { .sin_family = AF_INET };
	int n, one = 1, rcvbuf = 4 << 20;

	if (argc < 4)
		return usage();
	a.sin_port = htons(atoi(argv[2]));
	n = atoi(argv[3]);
	if (n < 1 || n > MAXSOCK)
		return usage();
	for (int i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
			perror("socket/bind");
			return 1;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		pfd[i].fd = fd;
		pfd[i].events = POLLIN;
	}
	for (int i = 0; i < BATCH; i++) {
		iovs[i].iov_base = bufs[i];
		iovs[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iovs[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (poll(pfd, n, 200) <= 0)
			continue;
		for (int i = 0; i < n; i++) {
			int r;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((r = recvmmsg(pfd[i].fd, msgs, BATCH, 0, NULL)) > 0) {
				count[i] += r;
				total += r;
			}
		}
	}
	printf("received %llu", total);
	for (int i = 0; i < n; i++)
		printf(" %llu", count[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "send"))
		return do_send(argc, argv);
	if (!strcmp(argv[1], "recv"))
		return do_recv(argc, argv);
	return usage();
}
