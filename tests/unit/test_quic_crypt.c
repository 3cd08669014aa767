// SPDX-License-Identifier: GPL-2.0
/*
 * shared/quic_crypt.h built for userspace (the BPF programs build the same
 * code): the RFC 9001 / RFC 9369 Appendix A keys and packets, then random
 * DCIDs and sealed packets checked against OpenSSL (lib/quic_keys.c), then
 * malformed headers. tests/fixtures/test_quic_decrypt.c runs it in BPF.
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

static int passed, failed;
static struct ks_qc qc;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		int ok_ = !!(cond);                                        \
		printf(ok_ ? "ok - " : "FAIL - ");                         \
		printf(__VA_ARGS__);                                       \
		putchar('\n');                                             \
		passed += ok_;                                             \
		failed += !ok_;                                            \
	} while (0)

static __u64 rnd_state = 88172645463325252ull;

static __u32 rnd(__u32 n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (__u32)(rnd_state % n);
}

static int same_hex(const __u8 *b, const char *h)
{
	for (; h[0] && h[1]; h += 2, b++) {
		unsigned v;

		sscanf(h, "%2x", &v);
		if (*b != v)
			return 0;
	}
	return 1;
}

/* s holds pkt (len bytes); decrypt it all. */
static int decrypt(const __u8 *pkt, size_t len)
{
	memset(&qc, 0, sizeof(qc));
	memcpy(qc.pkt, pkt, len < KS_QC_BUF ? len : KS_QC_BUF);
	qc.len = len;
	return ks_qc_initial(&qc, 3);
}

/* The RFC's client Initial: keys, packet number, plaintext = OpenSSL's. */
static void test_rfc(const char *dir, const char *file, __u32 version, const char *key,
		     const char *iv, const char *hp, const char *name)
{
	static __u8 pkt[1500], pt[1500];
	struct ks_quic_keys k;
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/quic/%s", dir, file);
	f = fopen(path, "rb");
	n = f ? fread(pkt, 1, sizeof(pkt), f) : 0;
	if (f)
		fclose(f);
	CHECK(n == 1200, "%s: %s holds the 1200-byte packet", name, path);
	CHECK(decrypt(pkt, n) == KS_QC_OK && qc.version == version, "%s: decrypts", name);
	CHECK(same_hex(qc.k.key, key) && same_hex(qc.k.iv, iv) && same_hex(qc.k.hp, hp),
	      "%s: key, iv, hp are the RFC's", name);
	CHECK(qc.pn == 2 && qc.pn_len == 4 && qc.pt_off == 22 && qc.pt_len == 1162,
	      "%s: packet number 2 in 4 bytes, 1162 bytes of plaintext at 22", name);
	/* OpenSSL's plaintext, through ksteerd's decoder's own steps. */
	ks_quic_client_keys(version, pkt + 6, 8, &k);
	memcpy(pt, qc.pkt, 22);
	CHECK(ks_quic_aead_open(&k, 2, pt, 22, pkt + 22, n - 22, pt + 22) == 0 &&
	      !memcmp(qc.pkt, pt, 1184),
	      "%s: header and plaintext byte for byte as OpenSSL's", name);
	CHECK(qc.pkt[22] == 0x06 && qc.pkt[23] == 0 && qc.pkt[26] == 0x01,
	      "%s: the plaintext starts with the CRYPTO frame of a ClientHello", name);
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

/* Packets sealed by tests/lib/quic_seal.c (OpenSSL): every size and PN length. */
static void test_random_packets(void)
{
	static __u8 pt[1600], out[2048];
	int bad = 0;

	for (int i = 0; i < 300; i++) {
		__u8 dcid[20], scid[20], token[40];
		struct ks_quic_seal a = { .version = i & 1 ? KS_QUIC_V2 : KS_QUIC_V1,
					  .type = KS_QUIC_INITIAL, .pn_len = 1 + i % 4,
					  .dcid_len = 8 + rnd(13), .scid_len = rnd(21),
					  .dcid = dcid, .scid = scid, .token = token,
					  .token_len = i % 3 ? 0 : rnd(40), .pn = rnd(200) };
		size_t n = 20 + rnd(1400);
		ssize_t m;

		for (int j = 0; j < 20; j++)
			dcid[j] = rnd(256), scid[j] = rnd(256);
		for (int j = 0; j < 40; j++)
			token[j] = rnd(256);
		for (size_t j = 0; j < n; j++)
			pt[j] = rnd(256);
		m = ks_quic_seal(&a, pt, n, out, sizeof(out));
		if (m < 0 || decrypt(out, m) || qc.pn != a.pn || qc.pn_len != a.pn_len ||
		    qc.pt_len != n || memcmp(qc.pkt + qc.pt_off, pt, n) || qc.end != (size_t)m)
			bad++;
	}
	CHECK(!bad, "300 sealed Initials (1..4-byte PNs, tokens, 20..1420 bytes): plaintext "
	      "byte for byte (%d differ)", bad);
}

/* What is not a decryptable Initial is refused with its reason. */
static void test_refused(const char *dir)
{
	static __u8 pkt[1500], b[1500];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/quic/rfc9001-a2.bin", dir);
	f = fopen(path, "rb");
	n = f ? fread(pkt, 1, sizeof(pkt), f) : 0;
	if (f)
		fclose(f);
	memcpy(b, pkt, n);
	b[0] = 0x40;
	CHECK(decrypt(b, n) == KS_QC_E_NOT_INITIAL, "short header: not an Initial");
	memcpy(b, pkt, n);
	b[0] = 0xe0;
	CHECK(decrypt(b, n) == KS_QC_E_NOT_INITIAL, "v1 Handshake type: not an Initial");
	memcpy(b, pkt, n);
	memcpy(b + 1, "\xff\x00\x00\x1d", 4);
	CHECK(decrypt(b, n) == KS_QC_E_VERSION, "draft-29: no keys for the version");
	memcpy(b, pkt, n);
	b[5] = 21;
	CHECK(decrypt(b, n) == KS_QC_E_CID, "DCID of 21 bytes refused");
	CHECK(decrypt(pkt, 600) == KS_QC_E_LENGTH, "truncated at 600 bytes: Length past the end");
	CHECK(decrypt(pkt, 17) == KS_QC_E_TOKEN || decrypt(pkt, 17) == KS_QC_E_LENGTH,
	      "truncated in the header");
	CHECK(decrypt(pkt, 3) == KS_QC_E_TRUNCATED, "3 bytes: truncated");
	CHECK(decrypt(pkt, KS_QC_BUF + 1) == KS_QC_E_TOO_BIG, "past the work area: too big");
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "tests/data/captures";

	test_rfc(dir, "rfc9001-a2.bin", KS_QUIC_V1, "1f369613dd76d5467730efcbe3b1a22d",
		 "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2", "RFC 9001 A.2");
	test_rfc(dir, "rfc9369-a2.bin", KS_QUIC_V2, "8b1a0bc121284290a29e0971b5cd045d",
		 "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9", "RFC 9369 A.2");
	test_random_keys();
	test_random_packets();
	test_refused(dir);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
