/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC client Initial decoding for ksteerd: a client's first datagrams in,
 * its ClientHello (SNI, ALPN) out, through the project's one ClientHello
 * parser (hello.h).
 *
 *   struct ks_quic_conn c;
 *   ks_quic_conn_init(&c);
 *   for each datagram of the connection, in arrival order:
 *           n = ks_quic_datagram(&c, payload, len);   // < 0: -KS_QUIC_E_*
 *   st = ks_quic_hello(&c, scratch);                  // KS_HELLO_*
 *
 * A conn is plain memory (no pointers, nothing to free): ksteerd can keep
 * one per unknown client connection in a fixed table and memset a slot to
 * reuse it. sizeof(struct ks_quic_conn) is about 18.7 KB, asserted below
 * KS_QUIC_CONN_MAX_SIZE; the bulk is the 16 KB CRYPTO stream and its 2 KB
 * bitmap. Decoding a packet also mallocs its plaintext (freed before return).
 */
#ifndef KS_QUIC_INITIAL_H
#define KS_QUIC_INITIAL_H

#include <linux/types.h>
#include <stddef.h>
#include "hello.h"
#include "quic_crypto_stream.h"
#include "quic_keys.h"

#define KS_QUIC_CID_MAX 20            /* RFC 9000 17.2: v1 (and v2) limit */
#define KS_QUIC_CONN_MAX_SIZE 19456   /* 19 KB */

/* Errors (enum ks_quic_err, returned negated by ks_quic_datagram) and
 * the long packet types: shared/quic_long.h, with the header's parser. */
#include "quic_long.h"

struct ks_quic_hdr {
	__u32 version;
	__u8 type;                    /* KS_QUIC_INITIAL...; valid for v1/v2 */
	__u8 dcid_len, scid_len;
	const __u8 *dcid, *scid;
	const __u8 *token;            /* Initial only */
	__u64 token_len;
	size_t pn_off;                /* packet number, from the packet's start */
	size_t pkt_len;               /* whole packet, through its Length bytes */
};

struct ks_quic_stats {
	__u32 datagrams, bytes;
	__u32 initials;               /* Initial packets decrypted */
	__u32 skipped;                /* other packets stepped over */
	__u32 auth_failures, errors;  /* errors counts every failed datagram */
	__u32 frames, crypto_frames, crypto_bytes, pings, acks, padding_bytes;
	__u32 rekeys;                 /* keys derived (1 + DCID changes) */
};

struct ks_quic_conn {
	__u32 version;                /* 0 until an Initial decrypts */
	__u8 odcid_len, scid_len, kdcid_len, closed;
	__u8 odcid[KS_QUIC_CID_MAX];  /* DCID of the first Initial decrypted */
	__u8 scid[KS_QUIC_CID_MAX];   /* the client's SCID */
	__u8 kdcid[KS_QUIC_CID_MAX];  /* DCID the cached keys are for */
	__u32 kversion;               /* 0: no keys cached */
	__s64 largest_pn;             /* -1 until an Initial decrypts */
	struct ks_quic_keys keys;
	struct ks_quic_stats st;
	struct ks_quic_stream cs;
};

void ks_quic_conn_init(struct ks_quic_conn *c);

/*
 * Decode one UDP payload: every Initial packet in it (coalesced packets of
 * other types are skipped) is decrypted and its frames applied, each packet
 * whole or not at all. Returns the number of Initial packets decoded (>= 1),
 * or -KS_QUIC_E_* at the first packet that fails (packets before it stay
 * applied).
 */
int ks_quic_datagram(struct ks_quic_conn *c, const void *buf, size_t len);

/* Parse one long header at p (no decryption). 0 or KS_QUIC_E_*; the
 * invariant fields (version, CIDs) are set even for unknown versions. */
int ks_quic_parse_long(const __u8 *p, size_t len, struct ks_quic_hdr *h);

/* Walk decrypted Initial frames (exposed for tests and fuzzing): check only
 * when apply is 0. 0 or KS_QUIC_E_*. */
int ks_quic_frames(struct ks_quic_conn *c, const __u8 *p, size_t len, int apply);

/* Run the ClientHello parser on the contiguous CRYPTO prefix. KS_HELLO_*. */
int ks_quic_hello(struct ks_quic_conn *c, struct ks_scratch *s);

const char *ks_quic_strerror(int err);   /* err: KS_QUIC_E_* or its negation */

/* What a datagram of a connection no server owns may do: enum
 * ks_quic_admit, KS_QUIC_MIN_DGRAM, KS_QUIC_MIN_DCID (shared/quic_long.h,
 * whose ks_ql_admit TC's Initial routing applies too). */
#define KS_QUIC_VN_MAX (7 + 255 + 255 + 4 * 8)

/* Classify one UDP payload; h is filled (as ks_quic_parse_long) when it parsed. */
int ks_quic_admit(const __u8 *p, size_t len, struct ks_quic_hdr *h);

/* A Version Negotiation packet answering h (unused: its first byte's
 * arbitrary bits) into out: its length, or 0 if cap is too small. */
size_t ks_quic_vn_build(const struct ks_quic_hdr *h, __u8 unused, __u8 *out, size_t cap);

/* RFC 9000 A.3: a truncated packet number of `bits` bits, in full. */
__u64 ks_quic_pn_decode(__s64 largest, __u64 truncated, unsigned bits);

/* QUIC variable-length integer (RFC 9000 16) at *off; 0 or -1 past len. */
int ks_quic_varint(const __u8 *p, size_t len, size_t *off, __u64 *v);

#endif
