// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the QUIC Initial decoder and CRYPTO reassembly.
 *
 * Input: a mode byte, then records of (2-byte big-endian length, bytes).
 *   mode bit 0 clear: each record is a datagram, decoded as is. Random
 *                     bytes rarely authenticate, so this mostly reaches the
 *                     header parser.
 *   mode bit 0 set:   each record is an Initial plaintext, sealed here
 *                     first (quic_seal.c), so that mutations reach the frame
 *                     walker and the reassembly behind the AEAD.
 * Beyond memory safety it checks the decoder's promises: the contiguous
 * prefix never passes the furthest byte or the bound, a failed datagram
 * returns a known error, and the ClientHello verdict is one of the known.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "quic_initial.h"
#include "quic_seal.h"

static struct ks_quic_conn C;
static struct ks_scratch S;
static __u8 sealed[70000];

static int fuzz_feed(const __u8 *rec, size_t n, __u8 mode, __u32 i)
{
	static const __u8 dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	struct ks_quic_seal a = { .version = mode & 2 ? KS_QUIC_V2 : KS_QUIC_V1,
				  .type = KS_QUIC_INITIAL, .pn_len = 4, .dcid = dcid,
				  .dcid_len = 8, .pn = i };
	ssize_t sn;

	if (!(mode & 1))
		return ks_quic_datagram(&C, rec, n);
	sn = ks_quic_seal(&a, rec, n, sealed, sizeof(sealed));
	if (sn < 0)
		return 0;
	return ks_quic_datagram(&C, sealed, sn);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	size_t off = 1;
	int st;

	if (len < 1)
		return 0;
	ks_quic_conn_init(&C);
	for (__u32 i = 0; off + 2 <= len && i < 64; i++) {
		size_t n = (size_t)data[off] << 8 | data[off + 1];
		int r;

		off += 2;
		if (n > len - off)
			n = len - off;
		r = fuzz_feed(data + off, n, data[0], i);
		off += n;
		if (r < 0 && (-r <= 0 || -r >= KS_QUIC_E__COUNT))
			abort();
	}
	if (C.cs.prefix > C.cs.high || C.cs.high > KS_QSTREAM_MAX)
		abort();
	if (C.st.errors > C.st.datagrams || C.st.auth_failures > C.st.errors)
		abort();
	st = ks_quic_hello(&C, &S);
	if (st < KS_HELLO_COMPLETE || st > KS_HELLO_TOO_BIG)
		abort();
	/* Not whole: names nothing, unless a named prefix (tls_hello.h). */
	if (st != KS_HELLO_COMPLETE && !S.hello.named && (S.hello.sni_len || S.hello.alpn_count))
		abort();
	return 0;
}
