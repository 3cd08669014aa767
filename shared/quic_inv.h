/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The QUIC invariant header (RFC 8999): version and connection IDs, the
 * only fields readable without keys. One parser for the BPF programs
 * (bpf/quic.h: KS_QLOAD is bpf_skb_load_bytes) and userspace (its fuzz
 * target: KS_QLOAD is ks_buf_load over a buffer).
 */
#ifndef KS_QUIC_INV_H
#define KS_QUIC_INV_H

#ifndef KS_QLOAD
#error "define KS_QLOAD(src, off, dst, len) before including quic_inv.h"
#endif

/*
 * What one QUIC packet's invariant header says (RFC 8999 5.1, 5.2):
 *
 *   long header                         short header
 *   +-+-+-+-+-+-+-+-+                   +-+-+-+-+-+-+-+-+
 *   |1|  type etc.  |                   |0|   other     |
 *   +-+-+-+-+-+-+-+-+-------------+     +-+-+-+-+-+-+-+-+-----------------+
 *   |       Version (32)          |     | DCID (length known to the server
 *   +-+-+-+-+-+-+-+-+-------------+     |  only: we try the lengths the
 *   | DCID Len (8)  | DCID (0..255 B;   |  servers were seen to choose)
 *   +-+-+-+-+-+-+-+-+  v1: 0..20) ...   +---------------------------------+
 *   | SCID Len (8)  | SCID ...          | the rest: protected
 *   +-+-+-+-+-+-+-+-+                   +
 *   | version-specific, protected ...
 *
 * Version 0 is Version Negotiation, sent only by servers.
 */
#define KS_QUIC_HDR_WINDOW 48   /* 1 + 4 + 1 + 20 + 1 + 20, rounded up */

struct ks_quic_inv {
	__u32 long_hdr;
	__u32 version;
	struct ks_cid dcid;     /* long header only: the short one's length is unknown */
	struct ks_cid scid;
	__u8 raw[64];           /* the first bytes of the packet */
	__u32 raw_len;
};

static __always_inline void ks_cid_copy(struct ks_cid *c, const __u8 *src, __u32 len)
{
	__builtin_memset(c, 0, sizeof(*c));
	c->len = len;
#pragma unroll
	for (int i = 0; i < KS_CID_MAX; i++)
		if (i < len)
			c->id[i] = src[i];
}

/* 0: h filled from the UDP payload at off; -1: not a packet we can read. */
static __always_inline int ks_quic_parse(void *ctx, __u32 off, __u32 end, struct ks_quic_inv *h)
{
	__u32 n = end > off ? end - off : 0, dl, sl;

	if (n < 21)                 /* smaller than any QUIC packet's header + tag */
		return -1;
	if (n > KS_QUIC_HDR_WINDOW)
		n = KS_QUIC_HDR_WINDOW;
	if (KS_QLOAD(ctx, off, h->raw, n & 63))
		return -1;
	h->raw_len = n;
	h->long_hdr = h->raw[0] >> 7;
	if (!h->long_hdr)
		return 0;
	h->version = (__u32)h->raw[1] << 24 | h->raw[2] << 16 | h->raw[3] << 8 | h->raw[4];
	dl = h->raw[5];
	if (dl > KS_CID_MAX || 7 + dl > n)
		return -1;
	ks_cid_copy(&h->dcid, &h->raw[6], dl);
	sl = h->raw[(6 + dl) & 63];
	if (sl > KS_CID_MAX || 7 + dl + sl > n)
		return -1;
	ks_cid_copy(&h->scid, &h->raw[(7 + dl) & 31], sl);
	return 0;
}

/*
 * Whether a long-header datagram that parsed is plausibly QUIC, so that
 * other UDP services sharing the port keep theirs: RFC 9000 17.2 sets the
 * fixed bit (0x40) in every v1/v2 long header, and RFC 9287 lets a peer
 * clear it only once it learned the other accepts that; a long header
 * without it must at least name a version we know. Version 0 (Version
 * Negotiation) comes only from servers. STUN, DTLS, WireGuard and most
 * VPNs have the fixed bit clear. Short headers are decided by the caller:
 * a client whose connection negotiated grease_quic_bit clears it at will
 * (ngtcp2 does), so only a short header nobody knows, from an address with
 * no QUIC connection, is told apart by it.
 */
static __always_inline int ks_quic_long_plausible(const struct ks_quic_inv *h)
{
	__u32 v = h->version;

	if (!v)
		return 0;
	return (h->raw[0] & 0x40) || v == 1 || v == 0x6b3343cf || (v >> 8) == 0xff0000;
}

#endif
