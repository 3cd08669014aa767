/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC v1/v2 client Initial decryption without a crypto library: SHA-256,
 * HMAC, HKDF (RFC 5869) and HKDF-Expand-Label (RFC 8446 7.1) for the keys
 * (RFC 9001 5.2, RFC 9369 3.3), AES-128 (FIPS-197) for header protection
 * (RFC 9001 5.4.3) and as the block cipher of AES-GCM's counter mode
 * (NIST SP 800-38D 7.2) for the payload. One code for the BPF programs
 * (bpf/quic_decrypt.h: the work area is a map value) and userspace (its
 * unit test checks it against OpenSSL); the tables are generated
 * (quic_crypt_tables.h, scripts/gen_quic_tables.py).
 *
 * Why not bpf_crypto for the AES: a bpf_crypto context is keyed once, at
 * bpf_crypto_ctx_create(), which only sleepable (SEC("syscall")) programs
 * may call; Initial keys come from the client's random DCID, so each
 * datagram needs AES under a key nobody knew before it arrived.
 * docs/DESIGN.md, "Initials in the kernel".
 *
 * The GCM tag is not checked (no GHASH): Initial keys are public, so a
 * valid tag proves nothing about the sender, and the server checks it.
 *
 * The includer supplies __u8/__u32/__u64 and KS_LOOP (tls_hello.h's), and
 * may define KS_QC_FUNC, the linkage of the three steps a caller runs
 * (ks_qc_derive, ks_qc_unprotect, ks_qc_payload): bpf/quic_decrypt.h makes
 * them global functions, which the verifier checks once each rather than
 * once per path through the caller (the key derivation alone is ~80k
 * instructions to check; per path it exceeded the 1M limit).
 */
#ifndef KS_QUIC_CRYPT_H
#define KS_QUIC_CRYPT_H

#include "quic_crypt_tables.h"
#include "quic_long.h"

#ifndef KS_LOOP
#error "define KS_LOOP(n, cb, arg) before including quic_crypt.h"
#endif

#ifndef KS_QC_FUNC
#define KS_QC_FUNC static
#endif

#define KS_QC_BUF 2048              /* datagram bytes held: a power of two */
#define KS_QC_MASK (KS_QC_BUF - 1)
#define KS_QC_CID_MAX 20
#define KS_QC_TAG 16

/* Constants in structs of sizes that are not 4, 8, 16 or 32 bytes: clang
 * puts those in .rodata.cst* sections, which libbpf 1.1 cannot open. */
static const __u32 ks_aes_t[4][256] = {
	KS_AES_T0_INIT, KS_AES_T1_INIT, KS_AES_T2_INIT, KS_AES_T3_INIT
};
static const struct {
	__u32 k[64], h0[8];
	__u32 salt_pads[32];        /* HKDF-Extract's HMAC states: 8 words each of v1
	                             * inner, v1 outer, v2 inner, v2 outer */
} ks_sha256 = { KS_SHA256_K_INIT, KS_SHA256_H0_INIT, KS_SALT_PADS_INIT };

static const struct {
	__u8 tls13[6], client_in[9], key[3], iv[2], hp[2];
} ks_qc_labels = { "tls13 ", "client in", "key", "iv", "hp" };

/* Outcomes of ks_qc_initial, one per reason a datagram is not decrypted. */
enum ks_qc_err {
	KS_QC_OK = 0,
	KS_QC_E_TRUNCATED,          /* a header field runs past the datagram */
	KS_QC_E_NOT_INITIAL,        /* short header, or a long one not an Initial */
	KS_QC_E_VERSION,            /* a version we have no keys for */
	KS_QC_E_CID,                /* a CID longer than 20 bytes */
	KS_QC_E_TOKEN,              /* token length past the datagram */
	KS_QC_E_LENGTH,             /* Length past the datagram, or too short to sample */
	KS_QC_E_TOO_BIG,            /* the packet ends past KS_QC_BUF */
};

struct ks_qc_keys {
	__u8 key[16], iv[12], hp[16];
};

/* The work area: a map value in BPF (too big for its stack). */
struct ks_qc {
	__u32 w[64];                /* SHA-256 message schedule */
	__u32 h[4][8];              /* hash states: KS_H_* */
	__u8 blk[64];               /* the SHA-256 block being hashed */
	__u8 msg[64];               /* an HMAC message (< 56 bytes) */
	__u8 hkey[32];              /* the HMAC key (salt, PRK, secret) */
	__u8 t[32];                 /* the last HMAC's output */
	__u32 rk[44];               /* AES round keys */
	__u8 ctr[16], ks[16];       /* AES input and output block */
	struct ks_qc_keys k;
	/* What ks_qc_initial found: the header, then where the plaintext is. */
	__u32 len;                  /* bytes in pkt */
	__u32 version, vi;          /* vi: index in ks_qc_versions */
	__u32 dcid_off, dcid_len;
	__u32 pn_off, pn_len, pn;   /* pn: truncated, as sent (a client's first) */
	__u32 end;                  /* the Initial's last byte + 1 (its Length) */
	__u32 pt_off, pt_len;       /* plaintext, in place of the ciphertext */
	__u32 blocks;               /* of the payload, the last one partial */
	__u32 from, to;             /* the blocks ks_qc_payload decrypts */
	__u8 pkt[KS_QC_BUF];        /* the datagram; decrypted in place */
};

static __always_inline __u32 ks_ror32(__u32 x, unsigned n)
{
	return x >> n | x << (32 - n);
}

static __always_inline __u32 ks_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static __always_inline void ks_put32(__u8 *p, __u32 v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* ---- SHA-256 (FIPS 180-4 6.2) ------------------------------------------ */

/* The hash states: the one being computed; HMAC's after its inner and
 * its outer key block. Global functions take indexes, not pointers: the
 * verifier sizes a pointer argument by its type, one __u32. */
enum { KS_H_ST, KS_H_IN, KS_H_OUT };

/* One 64-byte block s->blk into the state s->h[which]. */
KS_QC_FUNC int ks_sha256_block(struct ks_qc *s, __u32 which)
{
	__u32 a, b, c, d, e, f, g, hh, t1, t2, *h;

	if (!s)
		return -1;
	h = s->h[which & 3];
	for (__u32 i = 0; i < 16; i++)
		s->w[i] = ks_be32(&s->blk[(i * 4) & 63]);
	for (__u32 i = 16; i < 64; i++) {
		__u32 w15 = s->w[(i - 15) & 63], w2 = s->w[(i - 2) & 63];

		s->w[i & 63] = s->w[(i - 16) & 63] + s->w[(i - 7) & 63] +
			       (ks_ror32(w15, 7) ^ ks_ror32(w15, 18) ^ (w15 >> 3)) +
			       (ks_ror32(w2, 17) ^ ks_ror32(w2, 19) ^ (w2 >> 10));
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (__u32 i = 0; i < 64; i++) {
		t1 = hh + (ks_ror32(e, 6) ^ ks_ror32(e, 11) ^ ks_ror32(e, 25)) +
		     ((e & f) ^ (~e & g)) + ks_sha256.k[i & 63] + s->w[i & 63];
		t2 = (ks_ror32(a, 2) ^ ks_ror32(a, 13) ^ ks_ror32(a, 22)) +
		     ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d;
	h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
	return 0;
}

/*
 * The last block of a message whose first `before` bytes (a multiple of
 * 64) are already in h: n < 56 bytes from src, then the padding.
 *
 *   +-------------+------+-------------+---------------------------+
 *   | src (n B)   | 0x80 | zeros       | bit length, 64-bit BE     |
 *   +-------------+------+-------------+---------------------------+
 *   0             n                    56                         64
 */
static __always_inline void ks_sha256_last(struct ks_qc *s, __u32 which, const __u8 *src,
					   __u32 n, __u32 before)
{
	__u64 bits = (__u64)(before + n) * 8;

	for (__u32 i = 0; i < 56; i++)
		s->blk[i] = i < n ? src[i & 63] : i == n ? 0x80 : 0;
	for (__u32 i = 0; i < 8; i++)
		s->blk[56 + i] = bits >> (56 - 8 * i);
	ks_sha256_block(s, which);
}

/* ---- HMAC-SHA256 (RFC 2104) and HKDF ------------------------------------ */

/* The states after (key ^ ipad) and (key ^ opad), key: s->hkey, klen <= 32. */
KS_QC_FUNC int ks_hmac_key(struct ks_qc *s, __u32 klen)
{
	if (!s)
		return -1;
	for (__u32 pad = 0; pad < 2; pad++) {
		for (__u32 i = 0; i < 64; i++)
			s->blk[i] = (i < klen ? s->hkey[i & 31] : 0) ^ (pad ? 0x5c : 0x36);
		for (__u32 i = 0; i < 8; i++)
			s->h[KS_H_IN + pad][i] = ks_sha256.h0[i];
		ks_sha256_block(s, KS_H_IN + pad);
	}
	return 0;
}

/* HMAC of s->msg (n < 56 bytes) under the last ks_hmac_key, into s->t. */
KS_QC_FUNC int ks_hmac_msg(struct ks_qc *s, __u32 n)
{
	if (!s)
		return -1;
	for (__u32 i = 0; i < 8; i++)
		s->h[KS_H_ST][i] = s->h[KS_H_IN][i];
	ks_sha256_last(s, KS_H_ST, s->msg, n & 63, 64);
	for (__u32 i = 0; i < 8; i++)
		ks_put32(&s->t[(i * 4) & 31], s->h[KS_H_ST][i]);
	for (__u32 i = 0; i < 8; i++)
		s->h[KS_H_ST][i] = s->h[KS_H_OUT][i];
	ks_sha256_last(s, KS_H_ST, s->t, 32, 64);
	for (__u32 i = 0; i < 8; i++)
		ks_put32(&s->t[(i * 4) & 31], s->h[KS_H_ST][i]);
	return 0;
}

/*
 * HKDF-Expand-Label(secret, label, "", len) with len <= 32: one HMAC
 * block, T(1) = HMAC(secret, info || 0x01), of the key last given to
 * ks_hmac_key. The label is "tls13 " + p1 (n1 bytes) + p2 (n2 bytes).
 *
 *   +-------------+-----------+--------------------------+---------+------+
 *   | len (16 BE) | label len | "tls13 " p1 p2           | ctx len | 0x01 |
 *   +-------------+-----------+--------------------------+---------+------+
 */
static __always_inline void ks_qc_expand_label(struct ks_qc *s, const __u8 *p1, __u32 n1,
					    const __u8 *p2, __u32 n2, __u32 len, __u8 *out)
{
	__u32 n = 0;

	s->msg[n++] = 0;
	s->msg[n++] = len;
	s->msg[n++] = 6 + n1 + n2;
	for (__u32 i = 0; i < 6; i++)
		s->msg[n++] = ks_qc_labels.tls13[i];
	for (__u32 i = 0; i < 10; i++)
		if (i < n1)
			s->msg[(n + i) & 63] = p1[i & 15];
	n += n1 & 15;
	for (__u32 i = 0; i < 4; i++)
		if (i < n2)
			s->msg[(n + i) & 63] = p2[i & 3];
	n += n2 & 3;
	s->msg[n & 63] = 0;
	s->msg[(n + 1) & 63] = 1;
	ks_hmac_msg(s, (n + 2) & 63);
	for (__u32 i = 0; i < 32; i++)
		if (i < len)
			out[i & 31] = s->t[i];
}

/* The client's Initial key, iv and hp for DCID (in s->pkt) into s->k. */
static __always_inline void ks_qc_keys(struct ks_qc *s)
{
	const struct ks_qc_version *v = &ks_qc_versions[s->vi & 1];
	__u32 dl = s->dcid_len;

	/* Extract: HMAC(salt, DCID). The DCID is copied out of the packet
	 * buffer first so that HMAC's message is always s->msg. (The salt in
	 * ks_qc_versions is what the generator hashed; the test against
	 * OpenSSL's keys holds the two together.) */
	for (__u32 i = 0; i < KS_QC_CID_MAX; i++)
		s->msg[i] = i < dl ? s->pkt[(s->dcid_off + i) & KS_QC_MASK] : 0;
	/* The salt's HMAC key blocks are hashed once, by the generator. */
	for (__u32 i = 0; i < 8; i++) {
		s->h[KS_H_IN][i] = ks_sha256.salt_pads[(s->vi & 1) * 16 + i];
		s->h[KS_H_OUT][i] = ks_sha256.salt_pads[(s->vi & 1) * 16 + 8 + i];
	}
	ks_hmac_msg(s, dl & 31);
	for (__u32 i = 0; i < 32; i++)          /* the PRK: the next key */
		s->hkey[i] = s->t[i];
	ks_hmac_key(s, 32);
	/* "client in" is the same label in v1 and v2. */
	ks_qc_expand_label(s, ks_qc_labels.client_in, 9, ks_qc_labels.key, 0, 32, s->hkey);
	ks_hmac_key(s, 32);
	ks_qc_expand_label(s, v->prefix, v->prefix_len, ks_qc_labels.key, 3, 16, s->k.key);
	ks_qc_expand_label(s, v->prefix, v->prefix_len, ks_qc_labels.iv, 2, 12, s->k.iv);
	ks_qc_expand_label(s, v->prefix, v->prefix_len, ks_qc_labels.hp, 2, 16, s->k.hp);
}

/* Step 1: s->k from the DCID ks_qc_header found. 0 (-1 only for NULL,
 * which a global function's pointer argument must be checked for). */
KS_QC_FUNC int ks_qc_derive(struct ks_qc *s)
{
	if (!s)
		return -1;
	ks_qc_keys(s);
	return 0;
}

/* ---- AES-128 (FIPS-197) ------------------------------------------------- */

static __always_inline __u32 ks_aes_sub(__u32 x)
{
	return (ks_aes_t[0][x & 255] >> 16) & 0xff;
}

/* The 44 round-key words (FIPS-197 5.2) of s->k.hp (hp) or s->k.key into s->rk. */
KS_QC_FUNC int ks_aes_expand(struct ks_qc *s, __u32 hp)
{
	__u32 rcon = 1;
	const __u8 *key;

	if (!s)
		return -1;
	key = hp ? s->k.hp : s->k.key;
	for (__u32 i = 0; i < 4; i++)
		s->rk[i] = ks_be32(&key[(i * 4) & 15]);
	for (__u32 i = 4; i < 44; i++) {
		__u32 t = s->rk[(i - 1) & 63];

		if (!(i & 3)) {
			t = ks_aes_sub(t >> 16) << 24 | ks_aes_sub(t >> 8) << 16 |
			    ks_aes_sub(t) << 8 | ks_aes_sub(t >> 24);
			t ^= rcon << 24;
			rcon = (rcon << 1) ^ (rcon & 0x80 ? 0x1b : 0);
		}
		s->rk[i & 63] = s->rk[(i - 4) & 63] ^ t;
	}
	return 0;
}

/* AES-128 of s->ctr into s->ks under s->rk: T-table rounds (four tables,
 * which saves the rotations of one), the last without MixColumns. */
KS_QC_FUNC int ks_aes_block(struct ks_qc *s)
{
	__u32 s0, s1, s2, s3, t0, t1, t2, t3;

	if (!s)
		return -1;
	s0 = ks_be32(&s->ctr[0]) ^ s->rk[0], s1 = ks_be32(&s->ctr[4]) ^ s->rk[1];
	s2 = ks_be32(&s->ctr[8]) ^ s->rk[2], s3 = ks_be32(&s->ctr[12]) ^ s->rk[3];

#define KS_AES_COL(a, b, c, d)                                                  \
	(ks_aes_t[0][(a) >> 24] ^ ks_aes_t[1][((b) >> 16) & 255] ^                  \
	 ks_aes_t[2][((c) >> 8) & 255] ^ ks_aes_t[3][(d) & 255])
	for (__u32 r = 1; r < 10; r++) {
		t0 = KS_AES_COL(s0, s1, s2, s3) ^ s->rk[(4 * r) & 63];
		t1 = KS_AES_COL(s1, s2, s3, s0) ^ s->rk[(4 * r + 1) & 63];
		t2 = KS_AES_COL(s2, s3, s0, s1) ^ s->rk[(4 * r + 2) & 63];
		t3 = KS_AES_COL(s3, s0, s1, s2) ^ s->rk[(4 * r + 3) & 63];
		s0 = t0, s1 = t1, s2 = t2, s3 = t3;
	}
#undef KS_AES_COL
#define KS_AES_LAST(a, b, c, d)                                                 \
	(ks_aes_sub((a) >> 24) << 24 | ks_aes_sub((b) >> 16) << 16 |                \
	 ks_aes_sub((c) >> 8) << 8 | ks_aes_sub(d))
	ks_put32(&s->ks[0], KS_AES_LAST(s0, s1, s2, s3) ^ s->rk[40]);
	ks_put32(&s->ks[4], KS_AES_LAST(s1, s2, s3, s0) ^ s->rk[41]);
	ks_put32(&s->ks[8], KS_AES_LAST(s2, s3, s0, s1) ^ s->rk[42]);
	ks_put32(&s->ks[12], KS_AES_LAST(s3, s0, s1, s2) ^ s->rk[43]);
#undef KS_AES_LAST
	return 0;
}

/* ---- the Initial packet (RFC 9000 17.2.2) ------------------------------ */

/*
 * The first packet of the datagram in s->pkt (s->len bytes), read by the
 * parser ksteerd uses (shared/quic_long.h), must be a v1 or v2 Initial.
 * What it found goes into s; its refusals become ours.
 */
static __always_inline int ks_qc_header(struct ks_qc *s)
{
	struct ks_ql_hdr h = {};
	__u32 len = s->len;
	int err;

	if (len > KS_QC_BUF)
		return KS_QC_E_TOO_BIG;
	if (len && !(s->pkt[0] & 0x80))
		return KS_QC_E_NOT_INITIAL;           /* a short header */
	err = ks_ql_parse(s->pkt, len, &h);
	/* The type is known once version and CIDs are: another type is not
	 * ours, whatever its Length says. */
	if ((!err || err == KS_QUIC_E_TOKEN || err == KS_QUIC_E_LENGTH) &&
	    h.type != KS_QUIC_INITIAL)
		return KS_QC_E_NOT_INITIAL;
	switch (err) {
	case 0:
		break;
	case KS_QUIC_E_VERSION_NEG:
	case KS_QUIC_E_VERSION:
		return KS_QC_E_VERSION;
	case KS_QUIC_E_CID:
		return KS_QC_E_CID;
	case KS_QUIC_E_TOKEN:
		return KS_QC_E_TOKEN;
	case KS_QUIC_E_LENGTH:
		return KS_QC_E_LENGTH;
	default:
		return KS_QC_E_TRUNCATED;
	}
	s->version = h.version;
	s->vi = h.version == ks_qc_versions[1].version;
	s->dcid_off = h.dcid_off;
	s->dcid_len = h.dcid_len;
	s->pn_off = h.pn_off;
	s->end = h.pkt_len;
	return 0;
}

/*
 * Remove header protection (RFC 9001 5.4.1): mask = AES(hp, sample), the
 * sample being the 16 bytes from pn_off + 4; the first byte's low 4 bits
 * and the packet number's bytes are XORed with it. s->rk holds hp's keys.
 */
static __always_inline void ks_qc_unmask(struct ks_qc *s)
{
	__u32 pn = 0;

	for (__u32 i = 0; i < 16; i++)
		s->ctr[i] = s->pkt[(s->pn_off + 4 + i) & KS_QC_MASK];
	ks_aes_block(s);
	s->pkt[0] ^= s->ks[0] & 0x0f;
	s->pn_len = (s->pkt[0] & 3) + 1;
	for (__u32 i = 0; i < 4; i++) {
		if (i < s->pn_len) {
			__u32 o = (s->pn_off + i) & KS_QC_MASK;

			s->pkt[o] ^= s->ks[1 + i];
			pn = pn << 8 | s->pkt[o];
		}
	}
	s->pn = pn;
}

struct ks_qc_loop {
	struct ks_qc *s;
};

/*
 * Counter block i of the payload (SP 800-38D 7.2, 96-bit IV): the nonce
 * (iv ^ packet number, RFC 9001 5.3) then a 32-bit counter, 1 for the
 * tag's mask, 2 + i for the payload's block i. The keystream is XORed
 * over the ciphertext in place.
 */
static long ks_qc_ctr_step(__u32 i, void *arg)
{
	struct ks_qc *s = ((struct ks_qc_loop *)arg)->s;
	__u32 b = s->from + i, base = s->pt_off + b * 16;

	if (b >= s->to)
		return 1;
	for (__u32 j = 0; j < 12; j++)
		s->ctr[j] = s->k.iv[j];
	for (__u32 j = 0; j < 4; j++)
		s->ctr[8 + j] ^= s->pn >> (24 - 8 * j);
	ks_put32(&s->ctr[12], b + 2);
	ks_aes_block(s);
	for (__u32 j = 0; j < 16; j++)
		if (base + j < s->pt_off + s->pt_len)
			s->pkt[(base + j) & KS_QC_MASK] ^= s->ks[j];
	return 0;
}

/*
 * Step 3: decrypt the payload's 16-byte blocks [from, to) in place, after
 * step 2: a caller walking the frames can decrypt only what it reads (the
 * tail is often PADDING) and stop once the ClientHello is whole. Blocks
 * past the payload are ignored. 0, -1 for NULL.
 */
KS_QC_FUNC int ks_qc_payload(struct ks_qc *s, __u32 from, __u32 to)
{
	struct ks_qc_loop c = { .s = s };

	if (!s)
		return -1;
	s->from = from;
	s->to = to < s->blocks ? to : s->blocks;
	if (s->from < s->to)
		KS_LOOP(KS_QC_BUF / 16, ks_qc_ctr_step, &c);
	return 0;
}

/*
 * Step 2: header protection off with hp's AES, where the plaintext will
 * be (pt_off, pt_len, blocks), and the payload key's AES schedule in
 * s->rk for step 3. 0, -1 for NULL.
 */
KS_QC_FUNC int ks_qc_unprotect(struct ks_qc *s)
{
	if (!s)
		return -1;
	ks_aes_expand(s, 1);
	ks_qc_unmask(s);
	s->pt_off = s->pn_off + s->pn_len;
	s->pt_len = s->end - KS_QC_TAG - s->pt_off;     /* >= 0: Length >= 4 + 16 */
	s->blocks = (s->pt_len + 15) / 16;
	ks_aes_expand(s, 0);
	return 0;
}

/*
 * Decrypt the client Initial that starts the datagram in s->pkt (s->len
 * bytes): its keys from the DCID, header protection off, the payload in
 * place at s->pkt + s->pt_off (s->pt_len bytes; the tag is left as it is,
 * unchecked). steps: 0 the header's fields only, 1 also the keys, 2 also
 * header protection and the payload key's schedule (then ks_qc_payload
 * decrypts what the caller wants), 3 the whole payload. 0, or KS_QC_E_*.
 */
static __always_inline int ks_qc_initial(struct ks_qc *s, int steps)
{
	int err = ks_qc_header(s);

	if (err || steps < 1)
		return err;
	ks_qc_derive(s);
	if (steps >= 2)
		ks_qc_unprotect(s);
	if (steps >= 3)
		ks_qc_payload(s, 0, KS_QC_BUF / 16);
	return 0;
}

#endif
