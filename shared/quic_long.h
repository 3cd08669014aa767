/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The QUIC v1/v2 long header of a client's packet (RFC 9000 17.2, RFC 9369
 * 3.2): one parser for ksteerd and `ksteer parse --quic` (lib/
 * quic_initial.c's ks_quic_parse_long wraps it) and the BPF Initial
 * decryption (shared/quic_crypt.h). Offsets, not pointers, so that BPF can
 * keep the packet in a map value: the includer may define KS_QL_MASK (a
 * power of two less one, the buffer's size) to bound every index for the
 * verifier; userspace leaves it all ones.
 *
 * The versions we read, with what their Initial keys are made from, are
 * here too (ks_qc_versions): lib/quic_keys.c and shared/quic_crypt.h
 * derive the keys from this one table. The includer supplies
 * __u8/__u32/__u64.
 */
#ifndef KS_QUIC_LONG_H
#define KS_QUIC_LONG_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif
#ifndef KS_QL_MASK
#define KS_QL_MASK 0xffffffffu
#endif
#define KS_QL_AT(p, i) ((p)[(i) & KS_QL_MASK])

#define KS_QUIC_V1 0x00000001u
#define KS_QUIC_V2 0x6b3343cfu

/* What a client's packet or datagram can be refused for: ksteerd's errors
 * (returned negated by ks_quic_datagram; ks_quic_strerror names them). */
enum ks_quic_err {
	KS_QUIC_OK = 0,
	KS_QUIC_E_TRUNCATED,          /* a header field runs past the datagram */
	KS_QUIC_E_SHORT_HEADER,       /* the datagram starts with a short header */
	KS_QUIC_E_VERSION_NEG,        /* version 0: Version Negotiation */
	KS_QUIC_E_VERSION,            /* a version we have no keys for */
	KS_QUIC_E_NOT_INITIAL,        /* long-header packets, none an Initial */
	KS_QUIC_E_CID,                /* CID > 20 bytes, or the client's SCID changed */
	KS_QUIC_E_TOKEN,              /* token length bad or past the packet */
	KS_QUIC_E_LENGTH,             /* Length bad, past the datagram or too short */
	KS_QUIC_E_CRYPTO,             /* OpenSSL failed: not the packet's fault */
	KS_QUIC_E_AUTH,               /* AEAD tag mismatch: forged or damaged */
	KS_QUIC_E_RESERVED,           /* reserved header bits set */
	KS_QUIC_E_FRAME,              /* a frame is malformed */
	KS_QUIC_E_FRAME_TYPE,         /* a frame type not allowed in Initial */
	KS_QUIC_E_NO_FRAMES,          /* empty payload */
	KS_QUIC_E_TOO_BIG,            /* CRYPTO data past KS_QSTREAM_MAX */
	KS_QUIC_E_CONFLICT,           /* resent CRYPTO bytes differ */
	KS_QUIC_E_VERSION_CHANGED,    /* another version mid-connection */
	KS_QUIC_E_LIMIT,              /* more than the kernel reads (ACK ranges) */
	KS_QUIC_E__COUNT
};

/* Long packet types, v1 numbering (v2 packets are mapped onto it). */
enum { KS_QUIC_INITIAL = 0, KS_QUIC_0RTT = 1, KS_QUIC_HANDSHAKE = 2, KS_QUIC_RETRY = 3 };

/* One long header: offsets from the packet's first byte. An offset is 0
 * until its field was reached (no field starts at 0). */
struct ks_ql_hdr {
	__u32 version;
	__u8 type;                    /* KS_QUIC_INITIAL...; valid for v1/v2 */
	__u8 dcid_len, scid_len;
	__u32 dcid_off, scid_off;
	__u32 token_off;              /* Initial only */
	__u64 token_len;
	__u32 pn_off;                 /* the packet number */
	__u32 pkt_len;                /* the whole packet, through its Length */
};

/* What one version's Initial keys are made from (RFC 9001 5.2, RFC 9369 3.3.1-2). */
struct ks_qc_version {
	__u32 version;
	__u8 salt[20];
	__u8 prefix[8];             /* "quic " or "quicv2 ": then "key", "iv", "hp" */
	__u32 prefix_len;
};

static const struct ks_qc_version ks_qc_versions[2] = {
	{ 0x00000001,
	  { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	  "quic ", 5 },
	{ 0x6b3343cf,
	  { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	  "quicv2 ", 7 },
};

/* 1 if we have Initial keys for version v. */
static __always_inline int ks_ql_version_known(__u32 v)
{
	return v == ks_qc_versions[0].version || v == ks_qc_versions[1].version;
}

/*
 * Variable-length integer (RFC 9000 16) at *off, below len: the two top
 * bits of the first byte give its length.
 *
 *   +----+--------------------+
 *   | 00 | 6-bit value        |  1 byte
 *   | 01 | 14-bit value       |  2 bytes
 *   | 10 | 30-bit value       |  4 bytes
 *   | 11 | 62-bit value       |  8 bytes
 *   +----+--------------------+
 *
 * 0, or -1 when it runs past len.
 */
static __always_inline int ks_ql_varint(const __u8 *p, __u32 len, __u32 *off, __u64 *v)
{
	__u32 o = *off, n;

	if (o >= len)
		return -1;
	n = 1u << (KS_QL_AT(p, o) >> 6);
	if (n > len - o)
		return -1;
	*v = KS_QL_AT(p, o) & 0x3f;
	for (__u32 i = 1; i < 8; i++)
		if (i < n)
			*v = *v << 8 | KS_QL_AT(p, o + i);
	*off = o + n;
	return 0;
}

/*
 * Long header (RFC 9000 17.2), Initial packet (17.2.2):
 *
 *   0       1                5        6          6+D      7+D        7+D+S
 *   +-------+----------------+--------+----------+--------+----------+
 *   |1|F|TT |  Version (32)  |DCID len|DCID (D B)|SCID len|SCID (S B)|
 *   | RR PP |                |  (8)   |  0..20   |  (8)   |  0..20   |
 *   +-------+----------------+--------+----------+--------+----------+
 *   | Token len (i) | Token | Length (i) | PN (1-4 B) | Payload ...  |
 *   +---------------+-------+------------+------------+--------------+
 *                   Initial only           \___ Length covers these __/
 *
 * F (fixed bit) is not checked: RFC 9287 lets a client clear it. TT: type,
 * 0 = Initial in v1, 1 in v2 (RFC 9369 3.2 rotates them). RR (reserved)
 * and PP (PN length - 1) are under header protection. Retry has no Length:
 * it ends the datagram. The version and CIDs (RFC 8999's invariant part)
 * are filled in even for a version we cannot read. 0 or KS_QUIC_E_*.
 */
static __always_inline int ks_ql_parse(const __u8 *p, __u32 len, struct ks_ql_hdr *h)
{
	__u32 off;
	__u64 v;

	if (len < 7)
		return KS_QUIC_E_TRUNCATED;
	h->version = (__u32)KS_QL_AT(p, 1) << 24 | (__u32)KS_QL_AT(p, 2) << 16 |
		     (__u32)KS_QL_AT(p, 3) << 8 | KS_QL_AT(p, 4);
	h->dcid_len = KS_QL_AT(p, 5);
	if (h->dcid_len > len - 7)
		return KS_QUIC_E_TRUNCATED;
	h->dcid_off = 6;
	off = 6 + h->dcid_len;
	h->scid_len = KS_QL_AT(p, off);
	off++;
	if (h->scid_len > len - off)
		return KS_QUIC_E_TRUNCATED;
	h->scid_off = off;
	off += h->scid_len;
	if (h->version == 0)
		return KS_QUIC_E_VERSION_NEG;
	if (!ks_ql_version_known(h->version))
		return KS_QUIC_E_VERSION;
	if (h->dcid_len > 20 || h->scid_len > 20)
		return KS_QUIC_E_CID;
	h->type = (KS_QL_AT(p, 0) >> 4) & 3;
	if (h->version == KS_QUIC_V2)
		h->type = (h->type + 3) & 3;
	if (h->type == KS_QUIC_RETRY) {
		h->pkt_len = len;
		return 0;
	}
	if (h->type == KS_QUIC_INITIAL) {
		if (ks_ql_varint(p, len, &off, &h->token_len) || h->token_len > len - off)
			return KS_QUIC_E_TOKEN;
		h->token_off = off;
		off += h->token_len;
	}
	if (ks_ql_varint(p, len, &off, &v) || v > len - off)
		return KS_QUIC_E_LENGTH;
	/* Header protection samples 16 bytes from 4 past the PN's start. */
	if (v < 4 + 16)
		return KS_QUIC_E_LENGTH;
	h->pn_off = off;
	h->pkt_len = off + v;
	return 0;
}

/* What a datagram of a connection no server owns may do (ks_ql_admit). */
enum ks_quic_admit {
	KS_QA_INITIAL,                /* an Initial that may open pending state */
	KS_QA_ZERO_RTT,               /* 0-RTT first: held only beside a pending Initial */
	KS_QA_VERSION,                /* a version we cannot read: answer Version Negotiation */
	KS_QA_SMALL,                  /* an Initial or unknown version below 1200 bytes */
	KS_QA_SHORT_DCID,             /* a client-chosen DCID below 8 bytes (no token) */
	KS_QA_UNREADABLE,             /* no long header we can read, or not a client's first */
};

#define KS_QUIC_MIN_DGRAM 1200        /* RFC 9000 14.1: a client Initial's datagram */
#define KS_QUIC_MIN_DCID 8            /* RFC 9000 7.2: a client's first DCID */

/*
 * The admission of a new connection's datagram (len bytes, its first byte
 * b0) from what ks_ql_parse said of its first packet (err, h): one rule
 * for ksteerd (ks_quic_admit) and TC's Initial routing (RFC 9000 6, 7.2,
 * 14.1). Only an Initial of at least 1200 bytes whose client-chosen DCID
 * has at least 8 may open state; after a Retry the DCID is the server's
 * own, of any length, so an Initial carrying a token is exempt from the 8.
 * A version we have no keys for is answered, never decoded; below 1200
 * bytes it is not (a VN to a spoofed source must not be worth the sending).
 */
static __always_inline int ks_ql_admit(__u8 b0, __u32 len, int err, const struct ks_ql_hdr *h)
{
	if (!len || !(b0 & 0x80))
		return KS_QA_UNREADABLE;
	if (err == KS_QUIC_E_VERSION)
		return len < KS_QUIC_MIN_DGRAM ? KS_QA_SMALL : KS_QA_VERSION;
	if (err)
		return KS_QA_UNREADABLE;
	if (h->type == KS_QUIC_0RTT)
		return KS_QA_ZERO_RTT;
	if (h->type != KS_QUIC_INITIAL)
		return KS_QA_UNREADABLE;      /* Handshake, Retry: never a client's first */
	if (len < KS_QUIC_MIN_DGRAM)
		return KS_QA_SMALL;
	if (h->dcid_len < KS_QUIC_MIN_DCID && !h->token_len)
		return KS_QA_SHORT_DCID;
	return KS_QA_INITIAL;
}

#endif
