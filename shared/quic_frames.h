/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The frames of a decrypted client Initial (RFC 9000 12.4, 19): one walker
 * for ksteerd and `ksteer parse --quic` (lib/quic_frames.c applies what it
 * finds to a connection) and TC's Initial routing (bpf/quic_route.h, over
 * the plaintext in the decryption's work area). It reads one frame per
 * call, by offsets, never past `end`: a caller that decrypts lazily can
 * decrypt what the next call may read (at most KS_QF_READ_MAX bytes, CRYPTO
 * data aside: that is the caller's to read) and stop once it has enough.
 *
 * The includer may define, before including quic_long.h (whose varint and
 * KS_QL_MASK this uses):
 *   KS_QF_PAD_STEP   PADDING bytes one call consumes at most (BPF: a small
 *                    bounded loop; userspace: the whole run)
 *   KS_QF_ACK_MAX    ACK ranges read at most; more is KS_QUIC_E_LIMIT (BPF:
 *                    a bounded loop; userspace: no limit but the packet's)
 */
#ifndef KS_QUIC_FRAMES_H
#define KS_QUIC_FRAMES_H

#include "quic_long.h"

#ifndef KS_QF_PAD_STEP
#define KS_QF_PAD_STEP 0xffffffffu
#endif
#ifndef KS_QF_ACK_MAX
#define KS_QF_ACK_MAX 0xffffffffu
#endif
#define KS_QF_VARINT_MAX ((1ull << 62) - 1)
/* The most one call reads: a type, the ACK's four varints, KS_QF_ACK_MAX
 * ranges of two and three ECN counts (bounded for BPF only). */
#define KS_QF_READ_MAX(ack_max) (1 + 8 * 4 + 16 * (ack_max) + 8 * 3)

enum {
	KS_QF_PADDING = 0x00, KS_QF_PING = 0x01, KS_QF_ACK = 0x02, KS_QF_ACK_ECN = 0x03,
	KS_QF_CRYPTO = 0x06, KS_QF_CLOSE = 0x1c,
};

/* One frame: its type, and for CRYPTO where its data is. */
struct ks_qf {
	__u32 type;
	__u32 run;                    /* PADDING: bytes consumed, the type byte included */
	__u64 at;                     /* CRYPTO: the data's offset in the stream */
	__u32 data_off, data_len;     /* CRYPTO: where the data is, in p */
};

/*
 * ACK (RFC 9000 19.3), type 0x02, or 0x03 with ECN counts:
 *
 *   +--------------+---------+-----------+-----------+----------------+
 *   | Largest (i)  | Delay(i)| Ranges (i)| First (i) | Gap (i),       |
 *   |              |         |   = N     |           | Len (i) x N    |
 *   +--------------+---------+-----------+-----------+----------------+
 *   | 0x03 only: ECT0 (i) | ECT1 (i) | ECN-CE (i) |
 *   +---------------------+----------+------------+
 *
 * The ranges walk down from Largest; one going below packet 0 is an error.
 */
static __always_inline int ks_qf_ack(const __u8 *p, __u32 end, __u32 *off, int ecn)
{
	__u64 largest, delay, count, first, gap, rlen, smallest, v;

	if (ks_ql_varint(p, end, off, &largest) || ks_ql_varint(p, end, off, &delay) ||
	    ks_ql_varint(p, end, off, &count) || ks_ql_varint(p, end, off, &first))
		return KS_QUIC_E_FRAME;
	if (first > largest)
		return KS_QUIC_E_FRAME;
	smallest = largest - first;
	/* Each range takes at least 2 bytes: bounds the loop by the packet. */
	if (count > (end - *off) / 2)
		return KS_QUIC_E_FRAME;
	if (count > KS_QF_ACK_MAX)
		return KS_QUIC_E_LIMIT;
	for (__u64 i = 0; i < KS_QF_ACK_MAX && i < count; i++) {
		if (ks_ql_varint(p, end, off, &gap) || ks_ql_varint(p, end, off, &rlen))
			return KS_QUIC_E_FRAME;
		if (gap + 2 > smallest)
			return KS_QUIC_E_FRAME;
		largest = smallest - gap - 2;
		if (rlen > largest)
			return KS_QUIC_E_FRAME;
		smallest = largest - rlen;
	}
	for (int i = 0; ecn && i < 3; i++)
		if (ks_ql_varint(p, end, off, &v))
			return KS_QUIC_E_FRAME;
	return 0;
}

/*
 * CRYPTO (RFC 9000 19.6), type 0x06:
 *
 *   +------------+------------+-----------------------+
 *   | Offset (i) | Length (i) | Crypto Data (Length B)|
 *   +------------+------------+-----------------------+
 */
static __always_inline int ks_qf_crypto(const __u8 *p, __u32 end, __u32 *off, struct ks_qf *f)
{
	__u64 n;

	if (ks_ql_varint(p, end, off, &f->at) || ks_ql_varint(p, end, off, &n) ||
	    n > end - *off)
		return KS_QUIC_E_FRAME;
	if (f->at + n > KS_QF_VARINT_MAX)         /* 19.6: FRAME_ENCODING_ERROR */
		return KS_QUIC_E_FRAME;
	f->data_off = *off;
	f->data_len = n;
	*off += n;
	return 0;
}

/*
 * CONNECTION_CLOSE (RFC 9000 19.19), type 0x1c (0x1d is not allowed here):
 *
 *   +----------------+----------------+--------------+---------------+
 *   | Error Code (i) | Frame Type (i) | Reason Len(i)| Reason Phrase |
 *   +----------------+----------------+--------------+---------------+
 */
static __always_inline int ks_qf_close(const __u8 *p, __u32 end, __u32 *off)
{
	__u64 code, type, n;

	if (ks_ql_varint(p, end, off, &code) || ks_ql_varint(p, end, off, &type) ||
	    ks_ql_varint(p, end, off, &n) || n > end - *off)
		return KS_QUIC_E_FRAME;
	*off += n;
	return 0;
}

/*
 * The frame at *off (< end) of the plaintext p: into f, *off past it. The
 * type is a varint (12.4); the types allowed in Initial all fit one byte
 * and the shortest encoding is required, so a first byte >= 0x40 is
 * refused as a type, as is every type not allowed in Initial (STREAM,
 * NEW_TOKEN, ...: KS_QUIC_E_FRAME_TYPE). PADDING is a run of zeros, taken
 * KS_QF_PAD_STEP bytes at a time. 0 or KS_QUIC_E_*.
 */
static __always_inline int ks_qf_next(const __u8 *p, __u32 end, __u32 *off, struct ks_qf *f)
{
	__u32 o = *off;

	if (o >= end)
		return KS_QUIC_E_FRAME;
	f->type = KS_QL_AT(p, o);
	*off = o + 1;
	switch (f->type) {
	case KS_QF_PADDING:
		for (__u32 i = 1; i < KS_QF_PAD_STEP && *off < end && !KS_QL_AT(p, *off); i++)
			(*off)++;
		f->run = *off - o;
		return 0;
	case KS_QF_PING:
		return 0;
	case KS_QF_ACK:
	case KS_QF_ACK_ECN:
		return ks_qf_ack(p, end, off, f->type == KS_QF_ACK_ECN);
	case KS_QF_CRYPTO:
		return ks_qf_crypto(p, end, off, f);
	case KS_QF_CLOSE:
		return ks_qf_close(p, end, off);
	}
	return KS_QUIC_E_FRAME_TYPE;
}

#endif
