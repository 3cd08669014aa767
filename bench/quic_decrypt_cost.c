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

int main(int argc, char **argv)
{
	static const char *const files[] = { "rfc9001-a2.bin", "rfc9369-a2.bin" };
	static const char *const names[] = { "header", "keys", "header_protection", "payload" };
	const char *dir = argc > 1 ? argv[1] : "tests/data/captures";
	double ns[2][4][2];
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
	}
	printf("ns per 1200-byte Initial, cumulative (BPF_PROG_TEST_RUN, %d rounds of %d runs:"
	       " least, median)\n", ROUNDS, REPEAT);
	printf("%-18s %8s %8s %8s %8s %10s\n", "through", "v1", "(med)", "v2", "(med)", "step (v1)");
	for (int s = 0; s < 4; s++)
		printf("%-18s %8.0f %8.0f %8.0f %8.0f %+10.0f\n", names[s], ns[0][s][0], ns[0][s][1],
		       ns[1][s][0], ns[1][s][1], s ? ns[0][s][0] - ns[0][s - 1][0] : ns[0][s][0]);
	for (int v = 0; v < 2; v++) {
		printf("%s\"v%d\": {", v ? ", " : "{", v + 1);
		for (int s = 0; s < 4; s++)
			printf("%s\"%s\": %.0f", s ? ", " : "", names[s], ns[v][s][0]);
		printf("}");
	}
	printf("}\n");
	return 0;
}
