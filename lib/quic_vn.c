// SPDX-License-Identifier: GPL-2.0
/*
 * What ksteerd may do with a datagram of a QUIC connection no server owns
 * (ks_quic_admit), and the Version Negotiation packet it answers a version
 * it cannot read with (ks_quic_vn_build), built from the datagram alone.
 */
#include <string.h>
#include "quic_initial.h"

/* The shared rule (shared/quic_long.h's ks_ql_admit) on the shared parser. */
int ks_quic_admit(const __u8 *p, size_t len, struct ks_quic_hdr *h)
{
	struct ks_ql_hdr q = {};
	int err;

	memset(h, 0, sizeof(*h));
	if (!len || !(p[0] & 0x80))
		return KS_QA_UNREADABLE;
	err = ks_quic_parse_long(p, len, h);
	q.type = h->type;
	q.dcid_len = h->dcid_len;
	q.token_len = h->token_len;
	return ks_ql_admit(p[0], len > 0xffffffffu ? 0xffffffffu : len, err, &q);
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
