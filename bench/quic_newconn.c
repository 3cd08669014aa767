// SPDX-License-Identifier: GPL-2.0
/*
 * quic_newconn: how long a new QUIC connection's first Initial takes from
 * the client's send to the server socket holding it (bench/quic_newconn.sh).
 *
 *   quic_newconn CAPTURE[,CAPTURE...] N CLIENT_NETNS ADDR PORT [GAP_US]
 *
 * Started in the server's namespace: binds a UDP socket to PORT there (the
 * "server": it only receives), prints "ready PID" and waits for a line on
 * standard input (the script registers the process as a backend). Then it
 * enters CLIENT_NETNS (a /run/netns path) and sends N client Initials to
 * ADDR:PORT, one at a time: each is CAPTURE's Initial (a real client's
 * first datagram) with its plaintext sealed again under a fresh random DCID
 * of the same length, so every one is a new connection that nothing has
 * seen, decrypted by whoever decodes Initials. Several captures are one
 * client's datagrams (Chromium's ClientHello spans two): sealed under the
 * same DCID and sent back to back. After each connection's send it waits
 * (up to 200 ms) for the server socket to hold all its datagrams, and
 * times the last with CLOCK_MONOTONIC on both sides of the one process;
 * then GAP_US (200) before the next connection.
 *
 * Prints: "sent N received M lost L mean_us X p50_us X p90_us X p99_us X
 * max_us X". A datagram that arrives with another DCID (a late one) is
 * counted as lost for its own turn and skipped.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "quic_initial.h"
#include "quic_keys.h"
#include "quic_seal.h"

#define DGRAM_MAX 1500
#define WAIT_MS 200
#define CAPS_MAX 4

/* A real Initial opened: what ks_quic_seal needs to make it again. */
struct initial {
	struct ks_quic_seal a;
	__u8 scid[KS_QUIC_CID_MAX];
	__u8 pt[DGRAM_MAX];
	size_t pt_len;
};

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Open the capture's first packet: header protection off, AEAD opened. */
static int open_initial(const __u8 *d, size_t len, struct initial *in)
{
	struct ks_quic_hdr h;
	struct ks_quic_keys k;
	__u8 mask[16], aad[64 + KS_QUIC_CID_MAX * 2];
	size_t pn_len, hlen, i;
	__u64 pn = 0;

	if (ks_quic_parse_long(d, len, &h) || h.type != KS_QUIC_INITIAL ||
	    ks_quic_client_keys(h.version, h.dcid, h.dcid_len, &k) ||
	    h.pn_off + 4 + KS_QUIC_SAMPLE_LEN > h.pkt_len ||
	    ks_quic_hp_mask(k.hp, d + h.pn_off + 4, mask))
		return -1;
	pn_len = ((d[0] ^ mask[0]) & 3) + 1;
	hlen = h.pn_off + pn_len;
	if (hlen > sizeof(aad) || h.pkt_len < hlen + KS_QUIC_TAG_LEN)
		return -1;
	memcpy(aad, d, hlen);
	aad[0] ^= mask[0] & 0x0f;
	for (i = 0; i < pn_len; i++) {
		aad[h.pn_off + i] ^= mask[1 + i];
		pn = pn << 8 | aad[h.pn_off + i];
	}
	in->pt_len = h.pkt_len - hlen - KS_QUIC_TAG_LEN;
	if (in->pt_len > sizeof(in->pt) ||
	    ks_quic_aead_open(&k, pn, aad, hlen, d + hlen, h.pkt_len - hlen, in->pt))
		return -1;
	memcpy(in->scid, h.scid, h.scid_len);
	in->a = (struct ks_quic_seal){ .version = h.version, .type = KS_QUIC_INITIAL,
				       .pn_len = pn_len, .pn = pn, .dcid_len = h.dcid_len,
				       .scid_len = h.scid_len, .scid = in->scid };
	return 0;
}

/* The sealer writes Length in 2 bytes where the client may have used 4:
 * PADDING frames (zeros) make up the difference, so that the datagram is as
 * long as the client's (a client Initial's datagram must be >= 1200 bytes). */
static int pad_to(struct initial *in, size_t want)
{
	__u8 dcid[KS_QUIC_CID_MAX] = { 0 }, pkt[DGRAM_MAX];
	ssize_t n;

	in->a.dcid = dcid;
	n = ks_quic_seal(&in->a, in->pt, in->pt_len, pkt, sizeof(pkt));
	if (n < 0 || (size_t)n > want || in->pt_len + (want - n) > sizeof(in->pt))
		return -1;
	memset(in->pt + in->pt_len, 0, want - n);
	in->pt_len += want - n;
	return 0;
}

static int load_capture(const char *path, struct initial *in)
{
	__u8 d[DGRAM_MAX];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		fprintf(stderr, "quic_newconn: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = fread(d, 1, sizeof(d), f);
	fclose(f);
	if (open_initial(d, n, in)) {
		fprintf(stderr, "quic_newconn: %s: not a client Initial this can open\n", path);
		return -1;
	}
	return pad_to(in, n);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One connection: seal each datagram under one new DCID, send them, wait
 * for the server socket to hold them all. */
static double one(int tx, int rx, struct initial *in, int ncap)
{
	__u8 dcid[KS_QUIC_CID_MAX], pkt[CAPS_MAX][DGRAM_MAX], got[DGRAM_MAX];
	struct pollfd pfd = { .fd = rx, .events = POLLIN };
	ssize_t n[CAPS_MAX], m;
	double t0, left;
	int i, held = 0;

	if (getrandom(dcid, in[0].a.dcid_len, 0) != in[0].a.dcid_len)
		return -1;
	for (i = 0; i < ncap; i++) {
		in[i].a.dcid = dcid;
		in[i].a.dcid_len = in[0].a.dcid_len;
		n[i] = ks_quic_seal(&in[i].a, in[i].pt, in[i].pt_len, pkt[i], DGRAM_MAX);
		if (n[i] < 0)
			return -1;
	}
	t0 = now_us();
	for (i = 0; i < ncap; i++)
		if (send(tx, pkt[i], n[i], 0) != n[i])
			return -1;
	while (held < ncap) {
		left = WAIT_MS - (now_us() - t0) / 1e3;
		if (left <= 0 || poll(&pfd, 1, (int)left + 1) <= 0)
			return -1;
		m = recv(rx, got, sizeof(got), MSG_DONTWAIT);
		/* Another connection's datagram (a late one) is skipped. */
		if (m > 6 + in[0].a.dcid_len && !memcmp(got + 6, dcid, in[0].a.dcid_len))
			held++;
	}
	return now_us() - t0;
}

static int bind_server(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a))) {
		perror("quic_newconn: server socket");
		return -1;
	}
	return fd;
}

static int client_socket(const char *netns, const char *addr, int port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int ns = open(netns, O_RDONLY | O_CLOEXEC), fd;

	if (ns < 0 || setns(ns, CLONE_NEWNET)) {
		fprintf(stderr, "quic_newconn: %s: %s\n", netns, strerror(errno));
		return -1;
	}
	close(ns);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || inet_pton(AF_INET, addr, &to.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to))) {
		fprintf(stderr, "quic_newconn: client socket to %s: %s\n", addr, strerror(errno));
		return -1;
	}
	return fd;
}

static void report(double *lat, int sent, int got)
{
	double sum = 0;
	int i;

	qsort(lat, got, sizeof(*lat), cmp_double);
	for (i = 0; i < got; i++)
		sum += lat[i];
	printf("sent %d received %d lost %d", sent, got, sent - got);
	if (got)
		printf(" mean_us %.1f p50_us %.1f p90_us %.1f p99_us %.1f max_us %.1f",
		       sum / got, lat[got / 2], lat[got * 9 / 10], lat[got * 99 / 100], lat[got - 1]);
	printf("\n");
}

int main(int argc, char **argv)
{
	static struct initial in[CAPS_MAX];
	char line[16], *path, *save = NULL;
	double *lat, t;
	int n, gap_us, rx, tx, i, got = 0, ncap = 0;

	if (argc < 6 || argc > 7) {
		fprintf(stderr, "usage: quic_newconn CAPTURE[,CAPTURE...] N CLIENT_NETNS ADDR PORT [GAP_US]\n");
		return 2;
	}
	n = atoi(argv[2]);
	gap_us = argc > 6 ? atoi(argv[6]) : 200;
	for (path = strtok_r(argv[1], ",", &save); path; path = strtok_r(NULL, ",", &save))
		if (ncap == CAPS_MAX || load_capture(path, &in[ncap++]))
			return 2;
	if (n <= 0 || !ncap)
		return 2;
	lat = calloc(n, sizeof(*lat));
	rx = bind_server(atoi(argv[5]));
	if (!lat || rx < 0)
		return 1;
	printf("ready %d\n", getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	tx = client_socket(argv[3], argv[4], atoi(argv[5]));
	if (tx < 0)
		return 1;
	for (i = 0; i < n; i++) {
		t = one(tx, rx, in, ncap);
		if (t >= 0)
			lat[got++] = t;
		if (gap_us)
			usleep(gap_us);
	}
	report(lat, n, got);
	return 0;
}
