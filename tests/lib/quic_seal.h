/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The other direction, for tests and fixtures: build and protect a client
 * long-header packet with the Initial keys (RFC 9001 5), so that tests can
 * craft any Initial a client could send. Not linked into ksteer or ksteerd.
 */
#ifndef KS_QUIC_SEAL_H
#define KS_QUIC_SEAL_H

#include <linux/types.h>
#include <stddef.h>
#include <sys/types.h>

struct ks_quic_seal {
	__u32 version;                /* KS_QUIC_V1 or KS_QUIC_V2 */
	__u8 type;                    /* KS_QUIC_INITIAL, _0RTT, _HANDSHAKE */
	__u8 reserved;                /* reserved bits to set (0..3): tests */
	__u8 pn_len;                  /* 1..4 */
	__u8 dcid_len, scid_len;
	const __u8 *dcid, *scid;
	const __u8 *token;
	size_t token_len;
	__u64 pn;
};

/*
 * Seal payload into out (cap bytes): header, Length as a 2-byte varint
 * (4-byte when it does not fit), packet number, AEAD, header protection.
 * Returns the packet's length, or -1 (payload too short to sample, no room,
 * crypto failure).
 */
ssize_t ks_quic_seal(const struct ks_quic_seal *a, const __u8 *payload, size_t len,
		     __u8 *out, size_t cap);

/* Append v as a varint of the shortest length (or `n` bytes, if n > 0). */
size_t ks_quic_put_varint(__u8 *out, __u64 v, unsigned n);

#endif
