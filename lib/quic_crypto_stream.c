// SPDX-License-Identifier: GPL-2.0
/* CRYPTO stream reassembly by offset (quic_crypto_stream.h). */
#include <string.h>
#include "quic_crypto_stream.h"

static inline int ks_qs_has(const struct ks_quic_stream *st, __u32 i)
{
	return st->have[i / 64] >> (i % 64) & 1;
}

void ks_qstream_init(struct ks_quic_stream *st)
{
	st->prefix = 0;
	st->high = 0;
	st->dup_bytes = 0;
	memset(st->have, 0, sizeof(st->have));
}

int ks_qstream_check(const struct ks_quic_stream *st, __u64 off, const __u8 *data, __u64 len)
{
	const __u8 *b = ks_qstream_data(st);

	if (off > KS_QSTREAM_MAX || len > KS_QSTREAM_MAX - off)
		return KS_QSTREAM_TOO_BIG;
	/*
	 * RFC 9000 2.2: resent data at an offset must not change. A client that
	 * sends two versions of its ClientHello could have us route on one
	 * while the backend reads the other: refuse it instead.
	 */
	for (__u32 i = 0; i < len; i++)
		if (ks_qs_has(st, off + i) && b[off + i] != data[i])
			return KS_QSTREAM_CONFLICT;
	return KS_QSTREAM_OK;
}

int ks_qstream_add(struct ks_quic_stream *st, __u64 off, const __u8 *data, __u64 len)
{
	__u8 *b = st->buf + KS_QSTREAM_HEADROOM;
	int err = ks_qstream_check(st, off, data, len);

	if (err)
		return err;
	for (__u32 i = 0; i < len; i++) {
		__u32 at = off + i;

		if (ks_qs_has(st, at)) {
			st->dup_bytes++;
			continue;
		}
		b[at] = data[i];
		st->have[at / 64] |= 1ull << (at % 64);
	}
	if (off + len > st->high)
		st->high = off + len;
	while (st->prefix < KS_QSTREAM_MAX && ks_qs_has(st, st->prefix))
		st->prefix++;
	return KS_QSTREAM_OK;
}
