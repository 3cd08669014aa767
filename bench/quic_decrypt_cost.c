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
 * whole work. Private maps. Output: a table, and JSON on the last line.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "hello.h"
#include "quic_crypt.h"
#include "quic_initial.h"
#include "pkt.h"
#include "quic_decrypt.skel.h"

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

int main(int argc, char **argv)
{
	static const char *const files[] = { "rfc9001-a2.bin", "rfc9369-a2.bin" };
	static const char *const names[] = { "header", "keys", "header_protection", "payload" };
	const char *dir = argc > 1 ? argv[1] : "tests/data/captures";
	double ns[2][4][2], user[2][2];
	static struct pkt p;
	static unsigned char b[1500];

	for (int v = 0; v < 2; v++) {
		char path[512];
		FILE *f;
		size_t n;

		snprintf(path, sizeof(path), "%s/quic/%s", dir, files[v]);
		f = fopen(path, "rb");
		n = f ? fread(b, 1, sizeof(b), f) : 0;
		if (f)
			fclose(f);
		if (n != 1200) {
			fprintf(stderr, "quic_decrypt_cost: %s: not the 1200-byte packet\n", path);
			return 1;
		}
		udp_build(&p, &F, b, n);
		for (int s = 0; s < 4; s++)
			cost(s, &p, ns[v][s]);
		user[v][0] = user_ns(b, n, 0);
		user[v][1] = user_ns(b, n, 1);
	}
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
	printf("}\n");
	return 0;
}
