/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SipHash-2-4 (Aumasson, Bernstein) over a fixed number of 64-bit words,
 * little-endian, as the reference defines it for messages whose length is a
 * multiple of 8. Used for SYN cookies in BPF and tested in userspace against
 * the reference vectors.
 */
#ifndef KS_SIPHASH_H
#define KS_SIPHASH_H

#define KS_ROTL64(x, b) (((x) << (b)) | ((x) >> (64 - (b))))

#define KS_SIPROUND(v0, v1, v2, v3)                                        \
	do {                                                               \
		v0 += v1; v1 = KS_ROTL64(v1, 13); v1 ^= v0;                \
		v0 = KS_ROTL64(v0, 32);                                    \
		v2 += v3; v3 = KS_ROTL64(v3, 16); v3 ^= v2;                \
		v0 += v3; v3 = KS_ROTL64(v3, 21); v3 ^= v0;                \
		v2 += v1; v1 = KS_ROTL64(v1, 17); v1 ^= v2;                \
		v2 = KS_ROTL64(v2, 32);                                    \
	} while (0)

#define KS_SIP_WORDS 6

/* n is a compile-time constant at every BPF call site, so this unrolls. */
static __always_inline __u64 ks_siphash_n(const __u64 key[2], const __u64 *m, int n)
{
	__u64 v0 = 0x736f6d6570736575ULL ^ key[0];
	__u64 v1 = 0x646f72616e646f6dULL ^ key[1];
	__u64 v2 = 0x6c7967656e657261ULL ^ key[0];
	__u64 v3 = 0x7465646279746573ULL ^ key[1];
	__u64 b = (__u64)(n * 8) << 56;
	int i;

#pragma unroll
	for (i = 0; i < n; i++) {
		v3 ^= m[i];
		KS_SIPROUND(v0, v1, v2, v3);
		KS_SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v3 ^= b;
	KS_SIPROUND(v0, v1, v2, v3);
	KS_SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	KS_SIPROUND(v0, v1, v2, v3);
	KS_SIPROUND(v0, v1, v2, v3);
	KS_SIPROUND(v0, v1, v2, v3);
	KS_SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/* A subprogram, not inlined: every SYN and cookie check calls it (up to
 * five times for one segment), and the TC program must stay small enough
 * for the verifier's 16-bit jumps. */
static __attribute__((noinline)) __u64 ks_siphash(const __u64 key[2], const __u64 m[KS_SIP_WORDS])
{
	return ks_siphash_n(key, m, KS_SIP_WORDS);
}

#endif
