// SPDX-License-Identifier: GPL-2.0
/*
 * shared/quic_crypt.h built for userspace (the BPF programs build the same
 * code): keys for random DCIDs against OpenSSL (lib/quic_keys.c), then the
 * cases of tests/lib/quic_crypt_cases.c (RFC 9001 / RFC 9369 Appendix A
 * packets, OpenSSL-sealed ones, refusals). tests/fixtures/
 * test_quic_decrypt.c runs the same cases in BPF.
 *
 *   test_quic_crypt [CAPTURE_DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "quic_crypt.h"
#include "quic_initial.h"
#include "quic_seal.h"
#include "quic_crypt_cases.h"

static struct ks_qc qc;

#define CHECK(cond, ...) qcc_check(!!(cond), __VA_ARGS__)

static __u64 rnd_state = 88172645463325252ull;

static __u32 rnd(__u32 n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (__u32)(rnd_state % n);
}

/* The userspace build: the payload into the work area, decrypted. */
static int decrypt(const __u8 *pkt, size_t len, int i, struct ks_qc *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->pkt, pkt, len < KS_QC_BUF ? len : KS_QC_BUF);
	out->len = len;
	return ks_qc_initial(out, 3);
}

/* FIPS-197 Appendix C.1: AES-128 on its own, apart from QUIC's use of it. */
static void test_fips197(void)
{
	static struct ks_qc q;
	static const __u8 want[16] = { 0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30,
				       0xd8, 0xcd, 0xb7, 0x80, 0x70, 0xb4, 0xc5, 0x5a };

	for (int i = 0; i < 16; i++) {
		q.k.key[i] = i;
		q.ctr[i] = i * 0x11;
	}
	ks_aes_expand(&q, 0);
	ks_aes_block(&q);
	CHECK(!memcmp(q.ks, want, 16) && q.rk[40] == 0x13111d7f && q.rk[43] == 0x4d2b30c5,
	      "FIPS-197 C.1: AES-128 ciphertext and last round key");
}

/* Keys for random DCIDs of every length, both versions, against OpenSSL. */
static void test_random_keys(void)
{
	int bad = 0;

	for (int i = 0; i < 400; i++) {
		__u32 version = i & 1 ? KS_QUIC_V2 : KS_QUIC_V1, dl = i % 21;
		__u8 pkt[64] = { 0xc0 | (i & 1) << 4, version >> 24, version >> 16, version >> 8,
				 version, dl };
		struct ks_quic_keys k;

		for (__u32 j = 0; j < dl; j++)
			pkt[6 + j] = rnd(256);
		pkt[6 + dl] = 0;                       /* SCID */
		pkt[7 + dl] = 0;                       /* token */
		pkt[8 + dl] = 0x40 | 0;                /* Length 2-byte: 32 */
		pkt[9 + dl] = 32;
		memset(&qc, 0, sizeof(qc));
		memcpy(qc.pkt, pkt, sizeof(pkt));
		qc.len = 10 + dl + 32;
		if (ks_qc_initial(&qc, 1) || ks_quic_client_keys(version, pkt + 6, dl, &k) ||
		    memcmp(&k, &qc.k, sizeof(k)))
			bad++;
	}
	CHECK(!bad, "400 random DCIDs (0..20 bytes, v1 and v2): keys as OpenSSL's (%d differ)",
	      bad);
}

/* ks_qc_payload: blocks decrypted out of order, a piece at a time, and a
 * range past the end, give the whole decryption's plaintext. */
static void test_lazy_blocks(const char *dir)
{
	static struct ks_qc all, lazy;
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/quic/rfc9369-a2.bin", dir);
	f = fopen(path, "rb");
	n = f ? fread(all.pkt, 1, sizeof(all.pkt), f) : 0;
	if (f)
		fclose(f);
	memcpy(lazy.pkt, all.pkt, sizeof(all.pkt));
	all.len = lazy.len = n;
	ks_qc_initial(&all, 3);
	CHECK(ks_qc_initial(&lazy, 2) == KS_QC_OK && lazy.blocks == 73 &&
	      memcmp(lazy.pkt + 22, all.pkt + 22, 16),
	      "steps 2: header unmasked, 73 payload blocks still encrypted");
	ks_qc_payload(&lazy, 16, 40);
	ks_qc_payload(&lazy, 0, 16);
	CHECK(!memcmp(lazy.pkt, all.pkt, 22 + 40 * 16) && memcmp(lazy.pkt + 22 + 40 * 16,
	      all.pkt + 22 + 40 * 16, 16), "blocks 16-39 then 0-15: those decrypted, no more");
	ks_qc_payload(&lazy, 40, 1000);
	CHECK(!memcmp(lazy.pkt, all.pkt, n), "then 40 to past the end: all of it, tag untouched");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data/captures";

	test_fips197();
	test_random_keys();
	test_lazy_blocks(dir);
	qcc_run(dir, decrypt, 300);
	printf("%d passed, %d failed\n", qcc_passed, qcc_failed);
	return qcc_failed ? 1 : 0;
}
