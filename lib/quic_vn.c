// SPDX-License-Identifier: GPL-2.0
/*
 * What ksteerd may do with a datagram of a QUIC connection no server owns
 * (ks_quic_admit), and the Version Negotiation packet it answers a version
 * it cannot read with (ks_quic_vn_build), built from the datagram alone.
 */
#include <string.h>
#include "quic_initial.h"

/*
 * The first packet's long header decides (RFC 9000 6, 7.2, 14.1). Only an
 * Initial of at least 1200 bytes whose client-chosen DCID has at least 8
 * may open state; after a Retry the DCID is the server's own, of any
 * length, so an Initial carrying a token is exempt from the 8. A version
 * we have no keys for is answered, never decoded; below 1200 bytes it is
 * not (a VN to a spoofed source must not be worth the sending).
 */
int ks_quic_admit(const __u8 *p, size_t len, struct ks_quic_hdr *h)
{
	int err;

	if (!len || !(p[0] & 0x80))
		return KS_QA_UNREADABLE;
	err = ks_quic_parse_long(p, len, h);
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

/*
 * Version Negotiation (RFC 8999 6, RFC 9000 17.2.1), the client's CIDs
 * swapped:
 *
 *   +-+-+-+-+-+-+-+-+
 *   |1|  Unused (7) |  arbitrary; 0x40 set, as if it had the fixed bit
 *   +-+-+-+-+-+-+-+-+-----------------------+
 *   |          Version = 0 (32)             |
 *   +---------------+-----------------------+
 *   | DCID Len (8)  | DCID: the client's SCID (0..255 B)
 *   +---------------+-----------------------+
 *   | SCID Len (8)  | SCID: the client's DCID (0..255 B)
 *   +---------------+-----------------------+
 *   |     Supported Version (32) ...        |  every one we have keys for
 *   +---------------------------------------+
 *
 * Its length, or 0 if cap is too small (KS_QUIC_VN_MAX always fits).
 */
size_t ks_quic_vn_build(const struct ks_quic_hdr *h, __u8 unused, __u8 *out, size_t cap)
{
	size_t n = 7 + h->scid_len + h->dcid_len;
	__u32 v;

	for (unsigned i = 0; ks_quic_version_at(i); i++)
		n += 4;
	if (n > cap)
		return 0;
	out[0] = 0x80 | 0x40 | (unused & 0x3f);
	memset(out + 1, 0, 4);
	n = 5;
	out[n++] = h->scid_len;
	memcpy(out + n, h->scid, h->scid_len);
	n += h->scid_len;
	out[n++] = h->dcid_len;
	memcpy(out + n, h->dcid, h->dcid_len);
	n += h->dcid_len;
	for (unsigned i = 0; (v = ks_quic_version_at(i)); i++) {
		out[n++] = v >> 24;
		out[n++] = v >> 16;
		out[n++] = v >> 8;
		out[n++] = v;
	}
	return n;
}
