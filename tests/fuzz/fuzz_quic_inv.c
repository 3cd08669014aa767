// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the QUIC invariant-header parser the BPF programs run
 * (shared/quic_inv.h), built for userspace, checked against ksteerd's own
 * long-header parser: where both accept a packet, they must agree on the
 * version and both connection IDs; the kernel's may refuse more (packets
 * under 21 bytes), never accept a CID past the datagram or over 20 bytes.
 * Also ksteerd's admission of the datagram (ks_quic_admit) and, for a
 * version it cannot read, its Version Negotiation answer, which must read
 * back as one with the CIDs swapped.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "quic_initial.h"
#include "ksteer_abi.h"

#define KS_QLOAD(src, off, dst, len) ks_buf_load((src), (off), (dst), (len))
#include "quic_inv.h"

/* ks_quic_admit's verdict, and the VN it leads to, checked. */
static void fuzz_admit(const uint8_t *data, size_t size)
{
	struct ks_quic_hdr h, r;
	__u8 vn[KS_QUIC_VN_MAX];
	size_t n;
	int a = ks_quic_admit(data, size, &h);

	if ((a == KS_QA_INITIAL || a == KS_QA_VERSION) && size < KS_QUIC_MIN_DGRAM)
		abort();                  /* state or an answer for a small datagram */
	if (a == KS_QA_INITIAL && h.dcid_len < KS_QUIC_MIN_DCID && !h.token_len)
		abort();
	if (a != KS_QA_VERSION)
		return;
	n = ks_quic_vn_build(&h, data[0], vn, sizeof(vn));
	if (!n || ks_quic_parse_long(vn, n, &r) != KS_QUIC_E_VERSION_NEG ||
	    r.dcid_len != h.scid_len || r.scid_len != h.dcid_len ||
	    memcmp(r.dcid, h.scid, h.scid_len) || memcmp(r.scid, h.dcid, h.dcid_len))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_buf b = { data, size };
	struct ks_quic_inv h;
	struct ks_quic_hdr u;
	int k;

	fuzz_admit(data, size);
	k = ks_quic_parse(&b, 0, size, &h);

	if (k)
		return 0;
	if (!h.long_hdr)
		return 0;
	if (h.dcid.len > KS_CID_MAX || h.scid.len > KS_CID_MAX ||
	    7u + h.dcid.len + h.scid.len > size)
		abort();                  /* accepted a CID it cannot hold */
	/* ksteerd refused (bad lengths further on): nothing to compare. */
	if (ks_quic_parse_long(data, size, &u))
		return 0;
	if (u.version != h.version || u.dcid_len != h.dcid.len || u.scid_len != h.scid.len ||
	    memcmp(u.dcid, h.dcid.id, u.dcid_len) || memcmp(u.scid, h.scid.id, u.scid_len))
		abort();                  /* two parsers, two readings */
	return 0;
}
