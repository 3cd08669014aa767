// SPDX-License-Identifier: GPL-2.0
/* The shared cases of shared/quic_crypt.h's builds (quic_crypt_cases.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "hello.h"
#include "quic_crypt.h"
#include "quic_keys.h"
#include "quic_initial.h"
#include "quic_rfc.h"
#include "quic_seal.h"
#include "quic_crypt_cases.h"

static struct ks_qc qc;
int qcc_passed, qcc_failed;

void qcc_check(int ok, const char *fmt, ...)
{
	va_list ap;

	printf(ok ? "ok - " : "FAIL - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	qcc_passed += !!ok;
	qcc_failed += !ok;
}

#define CHECK(cond, ...) qcc_check(!!(cond), __VA_ARGS__)

static int same_hex(const __u8 *b, const char *h)
{
	for (; h[0] && h[1]; h += 2, b++) {
		unsigned v;

		if (sscanf(h, "%2x", &v) != 1 || *b != v)
			return 0;
	}
	return 1;
}

size_t qcc_read(const char *dir, const char *file, __u8 *buf, size_t cap)
{
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "rb");
	n = f ? fread(buf, 1, cap, f) : 0;
	if (f)
		fclose(f);
	return n;
}

static size_t read_rfc(const char *dir, const char *file, __u8 *buf, size_t cap)
{
	char name[128];

	snprintf(name, sizeof(name), "quic/%s", file);
	return qcc_read(dir, name, buf, cap);
}

/* Keys, header, plaintext as the RFC's, and as OpenSSL's (ksteerd's steps). */
static void case_rfc(const char *dir, const struct rfc_keys *r, qcc_decrypt_fn fn, int i)
{
	static __u8 pkt[1500], want[RFC_PLAINTEXT_LEN], pt[1500];
	struct ks_quic_keys k;
	size_t n = read_rfc(dir, r->file, pkt, sizeof(pkt));

	CHECK(n == 1200, "%s: %s/quic/%s holds the 1200-byte packet", r->name, dir, r->file);
	CHECK(fn(pkt, n, i, &qc) == KS_QC_OK && qc.version == r->version && qc.len == 1200,
	      "%s (%s): decrypted", r->name, i & 1 ? "IPv6" : "IPv4");
	CHECK(same_hex(qc.k.key, r->key) && same_hex(qc.k.iv, r->iv) && same_hex(qc.k.hp, r->hp),
	      "%s: key, iv, hp are the RFC's", r->name);
	CHECK(qc.pn == 2 && qc.pn_len == 4 && qc.pt_off == 22 && qc.pt_len == RFC_PLAINTEXT_LEN &&
	      qc.pkt[0] == (r->version == KS_QUIC_V2 ? 0xd3 : 0xc3),
	      "%s: header unmasked (first byte, packet number 2 in 4 bytes)", r->name);
	memset(want, 0, sizeof(want));
	for (size_t j = 0; rfc_crypto_frame[2 * j]; j++)
		sscanf(rfc_crypto_frame + 2 * j, "%2hhx", &want[j]);
	CHECK(!memcmp(qc.pkt + 22, want, sizeof(want)),
	      "%s: plaintext byte for byte the RFC's (CRYPTO frame, then PADDING)", r->name);
	ks_quic_client_keys(r->version, pkt + 6, 8, &k);
	memcpy(pt, qc.pkt, 22);
	CHECK(ks_quic_aead_open(&k, 2, pt, 22, pkt + 22, n - 22, pt + 22) == 0 &&
	      !memcmp(qc.pkt, pt, 22 + RFC_PLAINTEXT_LEN),
	      "%s: header and plaintext byte for byte as OpenSSL's", r->name);
}

/* Sealed by OpenSSL: v1/v2, every PN length, tokens, SCIDs, 20..1420 bytes. */
static void case_sealed(qcc_decrypt_fn fn, int count)
{
	static __u8 pt[1600], out[2048];
	__u64 x = 0x9e3779b97f4a7c15ull;
	int bad = 0;

#define RND(n) (x ^= x << 13, x ^= x >> 7, x ^= x << 17, (__u32)(x % (n)))
	for (int i = 0; i < count; i++) {
		__u8 dcid[20], scid[20], token[40];
		struct ks_quic_seal a = { .version = i & 1 ? KS_QUIC_V2 : KS_QUIC_V1,
					  .type = KS_QUIC_INITIAL, .pn_len = 1 + i % 4,
					  .dcid_len = 8 + RND(13), .scid_len = RND(21),
					  .dcid = dcid, .scid = scid, .token = token,
					  .token_len = i % 3 ? 0 : RND(40),
					  /* a first Initial: the PN as sent is the PN */
					  .pn = RND(i % 4 ? 300 : 256) };
		size_t n = 20 + RND(1400);
		ssize_t m;

		for (int j = 0; j < 40; j++)
			token[j] = RND(256), dcid[j % 20] = RND(256), scid[j % 20] = RND(256);
		for (size_t j = 0; j < n; j++)
			pt[j] = RND(256);
		m = ks_quic_seal(&a, pt, n, out, sizeof(out));
		if (m < 0 || fn(out, m, i >> 1, &qc) != KS_QC_OK || qc.pn != a.pn ||
		    qc.pn_len != a.pn_len || qc.pt_len != n || qc.end != (size_t)m ||
		    memcmp(qc.pkt + qc.pt_off, pt, n))
			if (bad++ < 3)
				printf("  detail: sealed %d (%zd bytes, pn_len %d): pt_len %u\n", i, m,
				       a.pn_len, qc.pt_len);
	}
#undef RND
	CHECK(!bad, "%d Initials sealed by OpenSSL (v1/v2, 1..4-byte PNs, tokens): plaintext "
	      "byte for byte (%d differ)", count, bad);
}

/* Refused with the reason, nothing decrypted. */
static void case_refused(const char *dir, qcc_decrypt_fn fn)
{
	static __u8 pkt[1500], b[KS_QC_BUF + 16];
	size_t n = read_rfc(dir, "rfc9001-a2.bin", pkt, sizeof(pkt));
	static const struct {
		int at;                 /* byte changed (-1: none) */
		const char *to;         /* its new bytes */
		size_t to_len, len;             /* 0: the packet's */
		int want;
		const char *what;
	} c[] = {
		{ 0, "\x40", 1, 0, KS_QC_E_NOT_INITIAL, "short header" },
		{ 0, "\xe0", 1, 0, KS_QC_E_NOT_INITIAL, "a v1 Handshake packet" },
		{ 1, "\xff\x00\x00\x1d", 4, 0, KS_QC_E_VERSION, "QUIC draft-29" },
		{ 5, "\x15", 1, 0, KS_QC_E_CID, "a 21-byte DCID" },
		{ 6 + 8, "\x15", 1, 0, KS_QC_E_CID, "a 21-byte SCID" },
		{ 6 + 8 + 1, "\x44\xb0", 2, 0, KS_QC_E_TOKEN, "a token past the datagram" },
		{ 6 + 8 + 2, "\x40\x13", 2, 0, KS_QC_E_LENGTH, "a Length too short to sample" },
		{ -1, "", 0, 600, KS_QC_E_LENGTH, "truncated at 600 bytes" },
		{ -1, "", 0, 4, KS_QC_E_TRUNCATED, "4 bytes" },
		{ -1, "", 0, KS_QC_BUF + 1, KS_QC_E_TOO_BIG, "a datagram past the work area" },
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(b, 0, sizeof(b));
		memcpy(b, pkt, n);
		if (c[i].at >= 0)
			memcpy(b + c[i].at, c[i].to, c[i].to_len);
		CHECK(fn(b, c[i].len ? c[i].len : n, 0, &qc) == c[i].want && qc.pt_len == 0,
		      "%s: refused (%d)", c[i].what, c[i].want);
	}
}

void qcc_run(const char *capdir, qcc_decrypt_fn fn, int sealed)
{
	for (int i = 0; i < 4; i++)
		case_rfc(capdir, &rfc_keys[i >> 1], fn, i);
	case_sealed(fn, sealed);
	case_refused(capdir, fn);
}
