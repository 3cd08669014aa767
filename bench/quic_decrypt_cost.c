// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-quic-decrypt: BPF run time of decrypting one client Initial
 * (bpf/quic_decrypt.h through tests/progs/quic_decrypt.bpf.c) under
 * BPF_PROG_TEST_RUN, step by step: the copy and header only, + the keys
 * (HKDF-SHA256 from the DCID), + header protection (AES key schedule, one
 * block), + the payload (AES-CTR), for the RFC 9001 A.2 packet (a
 * 1200-byte datagram, 1162 bytes of plaintext) and the same in v2. Each
 * is the kernel's average of `repeat` runs, in ROUNDS rounds: the least
 * (the run least disturbed by the machine's other work: the cost itself)
 * and the median. The program decrypts a copy, so every run does the
 * whole work. Then a new connection on the kernel's Initial path, through
 * steer_tc itself (ksteer_tc, the tail call, lazy decryption, the walk,
 * the ClientHello, the route, ks_quic_cids/peers written, the assignment
 * BPF_PROG_TEST_RUN refuses): one run at a time, the DCID's entry deleted
 * after each so that each is new (least and median of ROUNDS * 200); and
 * ksteerd's decoder on the same datagram (lib/quic_initial.c, OpenSSL:
 * decryption with the tag, the frames, the ClientHello), its CPU without
 * the receive and the re-injection. Also Chromium's ClientHello over two
 * datagrams (the first held in the kernel, both routed with the second),
 * both datagrams' runs summed, against ksteerd's decoder on the two. In a
 * network namespace of its own (the hold clones into lo's ingress).
 * Private maps. Output: a table, and JSON on the last line.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "hello.h"
#include "ksteer.h"
#include "quic_crypt.h"
#include "quic_initial.h"
#include "pkt.h"
#include "quic_crypt_cases.h"
#include "quic_decrypt.skel.h"
#include "steer_tc.skel.h"

#define REPEAT 2000
#define ROUNDS 9

static const struct flow F = { .src = { 198, 18, 0, 2 }, .dst = { 198, 18, 0, 1 },
			       .sport = 40000, .dport = 443 };

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The least and the median over ROUNDS of the average ns per run of the
 * program at `steps`, into out[0], out[1]. */
static void cost(int steps, const struct pkt *p, double *out)
{
	struct quic_decrypt *skel = quic_decrypt__open();
	double r[ROUNDS];

	if (!skel) {
		fprintf(stderr, "quic_decrypt_cost: open: %s\n", strerror(errno));
		exit(1);
	}
	skel->rodata->qd_steps = steps;
	if (quic_decrypt__load(skel)) {
		fprintf(stderr, "quic_decrypt_cost: load: %s\n", strerror(errno));
		exit(1);
	}
	for (int i = 0; i < ROUNDS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = p->n,
			    .repeat = REPEAT);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.quic_decrypt), &o) ||
		    o.retval) {
			fprintf(stderr, "quic_decrypt_cost: run: %s, retval %u\n", strerror(errno),
				o.retval);
			exit(1);
		}
		r[i] = o.duration;
	}
	quic_decrypt__destroy(skel);
	qsort(r, ROUNDS, sizeof(r[0]), cmp);
	out[0] = r[0];
	out[1] = r[ROUNDS / 2];
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

/* ns per whole decryption in userspace, the least of ROUNDS: this code
 * built natively (openssl 0), or ksteerd's steps (openssl 1: keys, mask,
 * AES-GCM open with its tag). */
static double user_ns(const unsigned char *pkt, size_t n, int openssl)
{
	static struct ks_qc qc;
	static __u8 out[1500];
	double best = 1e18;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns();

		for (int i = 0; i < REPEAT; i++) {
			struct ks_quic_keys k;
			__u8 mask[16];

			if (openssl) {
				ks_quic_client_keys(pkt[2] ? KS_QUIC_V2 : KS_QUIC_V1, pkt + 6, 8, &k);
				ks_quic_hp_mask(k.hp, pkt + 22, mask);
				memcpy(out, pkt, 22);
				out[0] ^= mask[0] & 0x0f;
				for (int j = 0; j < 4; j++)     /* the RFC packets' 4-byte PN at 18 */
					out[18 + j] ^= mask[1 + j];
				if (ks_quic_aead_open(&k, 2, out, 22, pkt + 22, n - 22, out + 22)) {
					fprintf(stderr, "quic_decrypt_cost: OpenSSL does not decrypt\n");
					exit(1);
				}
			} else {
				memcpy(qc.pkt, pkt, n);
				qc.len = n;
				if (ks_qc_initial(&qc, 3)) {
					fprintf(stderr, "quic_decrypt_cost: does not decrypt\n");
					exit(1);
				}
			}
		}
		double t = (now_ns() - t0) / REPEAT;

		best = t < best ? t : best;
	}
	return best;
}

/* dir/quic/file into b: its length, 0 if unreadable. */
static size_t capture(const char *dir, const char *file, __u8 *b, size_t cap)
{
	char name[128];

	snprintf(name, sizeof(name), "quic/%s", file);
	return qcc_read(dir, name, b, cap);
}

/* One new connection's k datagrams p[] through steer_tc with the kernel
 * path on, the runs' ns summed: least and median of n connections into
 * out; -1 if they were not routed in the kernel (counter `routed` moves
 * once a connection). Chromium's two: the first held, the second routes
 * both (bpf/quic_hold.h; its clone goes to lo's ingress in this process's
 * own namespace). */
static int kernel_path(struct steer_tc *tc, const struct pkt *p, int k, const __u8 *dcid, int dl,
		       int routed, int n, double *out)
{
	static double r[ROUNDS * 200];
	struct ks_cid cid = { .len = dl };
	int cids = bpf_map__fd(tc->maps.ks_quic_cids);
	int srcs = bpf_map__fd(tc->maps.ks_quic_held_src);
	__u64 before = ks_stat_sum(bpf_map__fd(tc->maps.ks_stats), routed);
	__u8 key[64];

	memcpy(cid.id, dcid, dl);
	for (int i = 0; i < n; i++) {
		r[i] = 0;
		bpf_map_delete_elem(cids, &cid);
		/* A new client each time: its /24's count of holds forgotten. */
		while (!bpf_map_get_next_key(srcs, NULL, key))
			bpf_map_delete_elem(srcs, key);
		for (int d = 0; d < k; d++) {
			LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p[d].b, .data_size_in = p[d].n,
				    .repeat = 1);

			if (bpf_prog_test_run_opts(bpf_program__fd(tc->progs.ksteer_tc), &o))
				return -1;
			r[i] += o.duration;
		}
	}
	if (ks_stat_sum(bpf_map__fd(tc->maps.ks_stats), routed) - before != (__u64)n)
		return -1;
	qsort(r, n, sizeof(r[0]), cmp);
	out[0] = r[0];
	out[1] = r[n / 2];
	return 0;
}

/* ksteerd's decoder on one connection's k datagrams, whole: ns, the least
 * of ROUNDS. */
static double ksteerd_ns(const __u8 *const *b, const size_t *n, int k)
{
	static struct ks_quic_conn c;
	static struct ks_scratch s;
	double best = 1e18;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), t;

		for (int i = 0; i < REPEAT / 4; i++) {
			int bad = 0;

			ks_quic_conn_init(&c);
			for (int d = 0; d < k; d++)
				bad |= ks_quic_datagram(&c, b[d], n[d]) < 1;
			if (bad || ks_quic_hello(&c, &s) != KS_HELLO_COMPLETE) {
				fprintf(stderr, "quic_decrypt_cost: ksteerd does not read it\n");
				exit(1);
			}
		}
		t = (now_ns() - t0) / (REPEAT / 4);
		best = t < best ? t : best;
	}
	return best;
}

/* The kernel path against ksteerd's decoder, per new connection: the
 * table printed, the least figures into k (kernel) and u (ksteerd). */
static void per_connection(const char *dir, double k[3][2], double *u)
{
	static const char *const files[] = { "rfc9001-a2.bin", "gtlsclient-1.bin" };
	static const char *const hosts[] = { "example.com", "quic.example.org",
					     "chrome.example.com", NULL };
	static struct pkt p, two[2];
	static __u8 b[1500], cb[2][1500];
	size_t cn[2];
	struct steer_tc *tc = steer_tc__open();
	int fd;

	if (tc)
		obj_private_maps(tc->obj);
	if (!tc || steer_tc__load(tc) || (fd = tc_quic_kernel_up(tc->obj, 3, hosts)) < 0) {
		fprintf(stderr, "quic_decrypt_cost: steer_tc: %s\n", strerror(errno));
		exit(1);
	}
	for (int i = 0; i < 2; i++) {
		size_t n = capture(dir, files[i], b, sizeof(b));

		udp_build(&p, &F, b, n);
		if (n < 1200 ||
		    kernel_path(tc, &p, 1, b + 6, b[5], KS_ST_QK_ROUTED, ROUNDS * 200, k[i])) {
			fprintf(stderr, "quic_decrypt_cost: %s: not routed in the kernel\n", files[i]);
			exit(1);
		}
		u[i] = ksteerd_ns((const __u8 *const[]){ b }, &n, 1);
	}
	for (int d = 0; d < 2; d++) {
		cn[d] = capture(dir, d ? "chromium-2.bin" : "chromium-1.bin", cb[d], sizeof(cb[d]));
		udp_build(&two[d], &F, cb[d], cn[d]);
	}
	if (cn[0] < 1200 || cn[1] < 1200 ||
	    kernel_path(tc, two, 2, cb[0] + 6, cb[0][5], KS_ST_QH_ROUTED, ROUNDS * 50, k[2])) {
		fprintf(stderr, "quic_decrypt_cost: Chromium's two datagrams: not routed in the kernel\n");
		exit(1);
	}
	u[2] = ksteerd_ns((const __u8 *const[]){ cb[0], cb[1] }, cn, 2);
	printf("per new connection, ns: kernel path (steer_tc, least / median) | ksteerd's decoder\n");
	for (int i = 0; i < 2; i++)
		printf("%-18s %8.0f %8.0f | %8.0f\n", files[i], k[i][0], k[i][1], u[i]);
	printf("%-18s %8.0f %8.0f | %8.0f\n", "chromium-1+2.bin", k[2][0], k[2][1], u[2]);
	close(fd);
	steer_tc__destroy(tc);
}

int main(int argc, char **argv)
{
	static const char *const files[] = { "rfc9001-a2.bin", "rfc9369-a2.bin" };
	static const char *const names[] = { "header", "keys", "header_protection", "payload" };
	const char *dir = argc > 1 ? argv[1] : "tests/data/captures";
	double ns[2][4][2], user[2][2], kp[3][2], kd[3];
	static struct pkt p;
	static unsigned char b[1500];

	if (netns_own_lo_up()) {
		fprintf(stderr, "quic_decrypt_cost: a namespace of its own: %s\n", strerror(errno));
		return 1;
	}
	for (int v = 0; v < 2; v++) {
		size_t n = capture(dir, files[v], b, sizeof(b));

		if (n != 1200) {
			fprintf(stderr, "quic_decrypt_cost: %s: not the 1200-byte packet\n", files[v]);
			return 1;
		}
		udp_build(&p, &F, b, n);
		for (int s = 0; s < 4; s++)
			cost(s, &p, ns[v][s]);
		user[v][0] = user_ns(b, n, 0);
		user[v][1] = user_ns(b, n, 1);
	}
	per_connection(dir, kp, kd);
	printf("ns per 1200-byte Initial, cumulative (BPF_PROG_TEST_RUN, %d rounds of %d runs:"
	       " least, median)\n", ROUNDS, REPEAT);
	printf("%-18s %8s %8s %8s %8s %10s\n", "through", "v1", "(med)", "v2", "(med)", "step (v1)");
	for (int s = 0; s < 4; s++)
		printf("%-18s %8.0f %8.0f %8.0f %8.0f %+10.0f\n", names[s], ns[0][s][0], ns[0][s][1],
		       ns[1][s][0], ns[1][s][1], s ? ns[0][s][0] - ns[0][s - 1][0] : ns[0][s][0]);
	printf("userspace, whole: this code %.0f / %.0f, OpenSSL (ksteerd's steps) %.0f / %.0f\n",
	       user[0][0], user[1][0], user[0][1], user[1][1]);
	for (int v = 0; v < 2; v++) {
		printf("%s\"v%d\": {", v ? ", " : "{", v + 1);
		for (int s = 0; s < 4; s++)
			printf("%s\"%s\": %.0f", s ? ", " : "", names[s], ns[v][s][0]);
		printf(", \"user_same_code\": %.0f, \"user_openssl\": %.0f}", user[v][0], user[v][1]);
	}
	printf(", \"new_connection\": {\"kernel_path\": {\"rfc9001\": %.0f, \"gtlsclient\": %.0f, "
	       "\"chromium_two\": %.0f}, \"ksteerd_decoder\": {\"rfc9001\": %.0f, \"gtlsclient\": %.0f, "
	       "\"chromium_two\": %.0f}}}\n",
	       kp[0][0], kp[1][0], kp[2][0], kd[0], kd[1], kd[2]);
	return 0;
}
