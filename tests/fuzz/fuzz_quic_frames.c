// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the Initial frame walker (shared/quic_frames.h) as
 * TC's Initial routing builds it (bpf/quic_route.h: indexes masked to the
 * 2048-byte work area, PADDING 32 bytes a call, at most 2 ACK ranges),
 * checked against ksteerd's build of the same walker (lib/quic_frames.c):
 * every call moves forward and stays inside the plaintext, CRYPTO data lies
 * inside it, and where the kernel's walk refuses a frame ksteerd's refuses
 * it too, with the same error (the kernel's own bound, KS_QUIC_E_LIMIT,
 * aside); where the kernel's walk reads every frame, ksteerd's finds no
 * frame error either.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#define KS_QL_MASK 2047
#define KS_QF_PAD_STEP 32
#define KS_QF_ACK_MAX 2
#include "quic_initial.h"
#include "quic_frames.h"

static struct ks_quic_conn conn;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static __u8 pkt[KS_QL_MASK + 1];
	struct ks_qf f;
	__u32 off = 0, end = size > sizeof(pkt) ? sizeof(pkt) : size, before;
	int err = 0, theirs;

	if (!end)
		return 0;
	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, data, end);
	while (off < end) {
		before = off;
		err = ks_qf_next(pkt, end, &off, &f);
		if (err)
			break;
		if (off <= before || off > end)
			abort();                  /* no progress, or past the end */
		if (f.type == KS_QF_CRYPTO &&
		    (f.data_off < before || f.data_len > end - f.data_off || f.data_off + f.data_len != off))
			abort();
		if (f.type == KS_QF_PADDING && (f.run < 1 || f.run > KS_QF_PAD_STEP))
			abort();
	}
	ks_quic_conn_init(&conn);
	theirs = ks_quic_frames(&conn, pkt, end, 0);
	if (err && err != KS_QUIC_E_LIMIT && theirs != err &&
	    theirs != KS_QUIC_E_TOO_BIG && theirs != KS_QUIC_E_CONFLICT)
		abort();                          /* a frame only the kernel refuses */
	if (!err && (theirs == KS_QUIC_E_FRAME || theirs == KS_QUIC_E_FRAME_TYPE))
		abort();                          /* a frame only ksteerd refuses */
	return 0;
}
