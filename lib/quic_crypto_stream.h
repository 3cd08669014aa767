/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reassembly of the Initial CRYPTO stream (RFC 9000 19.6): fragments arrive
 * in any order, overlap and repeat (Chrome scatters its ClientHello over ~19
 * frames on purpose). The stream is kept flat, with a bitmap of the bytes
 * received: the bookkeeping is a fixed 2 KB whatever the fragmentation, so
 * there is no fragment list to overflow or to exhaust.
 *
 * buf keeps KS_QSTREAM_HEADROOM bytes in front of the stream so that a TLS
 * record header can be written there and the whole prefix handed to the
 * ClientHello parser without a copy (quic_initial.c).
 */
#ifndef KS_QUIC_CRYPTO_STREAM_H
#define KS_QUIC_CRYPTO_STREAM_H

#include <linux/types.h>

/* One TLS record can carry it all: KS_TLS_RECORD_MAX is 16384 too. */
#define KS_QSTREAM_MAX 16384
#define KS_QSTREAM_HEADROOM 5

enum {
	KS_QSTREAM_OK = 0,
	KS_QSTREAM_TOO_BIG = 1,       /* data past KS_QSTREAM_MAX */
	KS_QSTREAM_CONFLICT = 2,      /* a resent byte differs from the first copy */
};

struct ks_quic_stream {
	__u32 prefix;                 /* [0, prefix) all received */
	__u32 high;                   /* end of the furthest byte received */
	__u32 dup_bytes;              /* bytes received more than once */
	__u64 have[KS_QSTREAM_MAX / 64];
	__u8 buf[KS_QSTREAM_HEADROOM + KS_QSTREAM_MAX];
};

void ks_qstream_init(struct ks_quic_stream *st);

/* Would adding [off, off + len) succeed? Changes nothing. */
int ks_qstream_check(const struct ks_quic_stream *st, __u64 off, const __u8 *data, __u64 len);

/* Adds [off, off + len): KS_QSTREAM_OK, or an error and nothing added. */
int ks_qstream_add(struct ks_quic_stream *st, __u64 off, const __u8 *data, __u64 len);

/* The stream's first byte (prefix bytes are valid from here). */
static inline const __u8 *ks_qstream_data(const struct ks_quic_stream *st)
{
	return st->buf + KS_QSTREAM_HEADROOM;
}

#endif
