// SPDX-License-Identifier: GPL-2.0
/*
 * test_quic, part 4 (test_quic.h): what a datagram of an unknown connection
 * may do (ks_quic_admit: the 1200-byte and 8-byte-DCID floors, 0-RTT,
 * unknown versions) and the Version Negotiation packet that answers a
 * version we cannot read (ks_quic_vn_build), read back with the parser.
 */
#include <string.h>
#include "test_quic.h"

static __u8 vn_dg[1400];

/* A datagram of `len` bytes whose first packet is sealed from a (the rest
 * zero, as padding after it); -1 if it did not seal. */
static int vn_admit(const struct ks_quic_seal *a, size_t len, struct ks_quic_hdr *h)
{
	__u8 pt[900] = { 0x01 };          /* PING, then PADDING */

	memset(vn_dg, 0, sizeof(vn_dg));
	if (ks_quic_seal(a, pt, sizeof(pt), vn_dg, sizeof(vn_dg)) < 0)
		return -1;
	return ks_quic_admit(vn_dg, len, h);
}

static void test_admit(void)
{
	static const __u8 tok[4] = { 1, 2, 3, 4 }, d7[7] = { 7, 7, 7, 7, 7, 7, 7 };
	struct ks_quic_seal a = tq_neg_args();
	struct ks_quic_hdr h;

	CHECK(vn_admit(&a, 1200, &h) == KS_QA_INITIAL && h.dcid_len == 8,
	      "admit: v1 Initial, 1200 bytes, 8-byte DCID: may open state");
	CHECK(vn_admit(&a, 1199, &h) == KS_QA_SMALL, "admit: v1 Initial in 1199 bytes: too small");
	a.version = KS_QUIC_V2;
	CHECK(vn_admit(&a, 1200, &h) == KS_QA_INITIAL && h.type == KS_QUIC_INITIAL,
	      "admit: v2 Initial (its own type bits): may open state");
	a = tq_neg_args();
	a.dcid = d7;
	a.dcid_len = 7;
	CHECK(vn_admit(&a, 1300, &h) == KS_QA_SHORT_DCID, "admit: 7-byte DCID, no token: refused");
	a.token = tok;
	a.token_len = 4;
	CHECK(vn_admit(&a, 1300, &h) == KS_QA_INITIAL,
	      "admit: 7-byte DCID with a token (after a Retry): may open state");
	a = tq_neg_args();
	a.type = KS_QUIC_0RTT;
	CHECK(vn_admit(&a, 950, &h) == KS_QA_ZERO_RTT, "admit: 0-RTT of any size: held only");
	a.type = KS_QUIC_HANDSHAKE;
	CHECK(vn_admit(&a, 1200, &h) == KS_QA_UNREADABLE, "admit: Handshake first: unreadable");
	CHECK(ks_quic_admit((const __u8 *)"\x41\x01\x02", 3, &h) == KS_QA_UNREADABLE &&
	      ks_quic_admit(vn_dg, 0, &h) == KS_QA_UNREADABLE, "admit: short header, empty: unreadable");
	memset(vn_dg, 0, sizeof(vn_dg));
	tq_unhex("c01a2a3a4a0801020304050607080409090909", vn_dg, sizeof(vn_dg));
	CHECK(ks_quic_admit(vn_dg, 1200, &h) == KS_QA_VERSION && h.version == 0x1a2a3a4a,
	      "admit: unknown version in 1200 bytes: negotiate");
	CHECK(ks_quic_admit(vn_dg, 1199, &h) == KS_QA_SMALL,
	      "admit: unknown version in 1199 bytes: no answer");
	vn_dg[1] = vn_dg[2] = vn_dg[3] = vn_dg[4] = 0;
	CHECK(ks_quic_admit(vn_dg, 1200, &h) == KS_QA_UNREADABLE,
	      "admit: Version Negotiation (version 0) is never answered");
	vn_dg[4] = 1;
	vn_dg[5] = 30;
	CHECK(ks_quic_admit(vn_dg, 1200, &h) == KS_QA_UNREADABLE, "admit: v1 with a 30-byte DCID");
}

static void test_vn(void)
{
	__u8 vn[KS_QUIC_VN_MAX], big[600];
	struct ks_quic_hdr h, r;
	size_t n;

	memset(vn_dg, 0, sizeof(vn_dg));
	tq_unhex("c01a2a3a4a08010203040506070804090909f9", vn_dg, sizeof(vn_dg));
	CHECK(ks_quic_admit(vn_dg, 1200, &h) == KS_QA_VERSION, "VN: the client's header read");
	n = ks_quic_vn_build(&h, 0x3f, vn, sizeof(vn));
	CHECK(n == 7 + 4 + 8 + 8 && (vn[0] & 0xc0) == 0xc0 && !memcmp(vn + 1, "\0\0\0\0", 4),
	      "VN: long header, fixed bit set, version 0, %zu bytes", n);
	CHECK(ks_quic_parse_long(vn, n, &r) == KS_QUIC_E_VERSION_NEG && r.dcid_len == 4 &&
	      !memcmp(r.dcid, "\x09\x09\x09\xf9", 4) && r.scid_len == 8 &&
	      !memcmp(r.scid, "\x01\x02\x03\x04\x05\x06\x07\x08", 8),
	      "VN: DCID is the client's SCID, SCID the client's DCID");
	CHECK(!memcmp(vn + n - 8, "\x00\x00\x00\x01\x6b\x33\x43\xcf", 8),
	      "VN: lists v1 and v2, the versions we have keys for");
	CHECK(ks_quic_vn_build(&h, 0, vn, n - 1) == 0, "VN: no room, nothing built");
	/* RFC 8999: an unknown version may carry CIDs of up to 255 bytes. */
	memset(big, 0xab, sizeof(big));
	memcpy(big, "\xc0\x1a\x2a\x3a\x4a", 5);
	big[5] = 255;
	big[6 + 255] = 255;
	CHECK(ks_quic_parse_long(big, sizeof(big), &h) == KS_QUIC_E_VERSION &&
	      ks_quic_vn_build(&h, 0, vn, sizeof(vn)) == 7 + 510 + 8,
	      "VN: 255-byte CIDs echoed whole, within KS_QUIC_VN_MAX");
}

void tq_test_vn(void)
{
	test_admit();
	test_vn();
}
