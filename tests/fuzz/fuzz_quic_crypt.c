// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the Initial decryption the BPF programs run
 * (shared/quic_crypt.h), built for userspace and checked against ksteerd
 * and OpenSSL: a datagram it accepts must read, through ksteerd's wrapper
 * of the same header parser (shared/quic_long.h), as an Initial of the
 * same version, DCID, packet-number offset and length; its keys must be
 * OpenSSL's for that DCID; the plaintext must lie inside the packet,
 * before the tag. The input is the UDP payload.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "quic_crypt.h"
#include "quic_initial.h"

static struct ks_qc qc;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_quic_hdr h;
	struct ks_quic_keys k;
	int err;

	memset(&qc, 0, sizeof(qc));
	memcpy(qc.pkt, data, size < KS_QC_BUF ? size : KS_QC_BUF);
	qc.len = size;
	err = ks_qc_initial(&qc, 3);
	if (err)
		return 0;
	if (ks_quic_parse_long(data, size, &h) || h.type != KS_QUIC_INITIAL ||
	    h.version != qc.version || h.dcid_len != qc.dcid_len ||
	    memcmp(h.dcid, data + qc.dcid_off, h.dcid_len) || h.pn_off != qc.pn_off ||
	    h.pkt_len != qc.end)
		abort();              /* the two parsers disagree */
	if (ks_quic_client_keys(qc.version, h.dcid, h.dcid_len, &k) || memcmp(&k, &qc.k, sizeof(k)))
		abort();              /* keys differ from OpenSSL's */
	if (qc.pt_off + qc.pt_len + KS_QC_TAG != qc.end || qc.end > size || qc.pn_len < 1 ||
	    qc.pn_len > 4 || qc.blocks * 16 < qc.pt_len)
		abort();
	return 0;
}
