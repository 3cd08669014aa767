// SPDX-License-Identifier: GPL-2.0
/*
 * test_quic, part 2 (test_quic.h): every way a datagram can be wrong must
 * give its own error, count it, and leave the stream as it was; and real
 * client captures, if any were stored.
 */
#include <string.h>
#include "test_quic.h"

static const __u8 neg_dcid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const __u8 neg_scid[4] = { 9, 9, 9, 9 };

struct ks_quic_seal tq_neg_args(void)
{
	struct ks_quic_seal a = { .version = KS_QUIC_V1, .type = KS_QUIC_INITIAL, .pn_len = 2,
				  .dcid = neg_dcid, .dcid_len = 8, .scid = neg_scid,
				  .scid_len = 4 };
	return a;
}

/* Seal pt as one datagram and decode it on tq_conn (fresh when `fresh`). */
static int neg_one(const struct ks_quic_seal *a, const __u8 *pt, size_t n, int fresh)
{
	static __u8 out[4096];
	ssize_t sn = ks_quic_seal(a, pt, n, out, sizeof(out));

	if (sn < 0)
		return 1000;
	if (fresh)
		ks_quic_conn_init(&tq_conn);
	return ks_quic_datagram(&tq_conn, out, sn);
}

/* Frames from hex, then sealed and decoded on a fresh conn. */
static int neg_frames(const char *hex)
{
	struct ks_quic_seal a = tq_neg_args();
	__u8 pt[512];
	size_t n = tq_unhex(hex, pt, sizeof(pt));

	return neg_one(&a, pt, n, 1);
}

static void test_neg_rfc_packet(const char *dir)
{
	static __u8 pkt[1200], m[1200];
	char path[512];
	int bad = 0, r;

	snprintf(path, sizeof(path), "%s/quic/rfc9001-a2.bin", dir);
	if (tq_read_file(path, pkt, sizeof(pkt)) != 1200) {
		CHECK(0, "negative: %s", path);
		return;
	}
	memcpy(m, pkt, 1200);
	m[600] ^= 0x10;
	ks_quic_conn_init(&tq_conn);
	r = ks_quic_datagram(&tq_conn, m, 1200);
	CHECK(r == -KS_QUIC_E_AUTH && tq_conn.st.auth_failures == 1 && tq_conn.st.errors == 1 &&
	      tq_conn.cs.prefix == 0 && tq_conn.version == 0 && tq_conn.largest_pn == -1,
	      "flipped ciphertext byte: authentication failure, counted, nothing kept");
	memcpy(m, pkt, 1200);
	m[8] ^= 1;                                /* a DCID byte: other keys */
	CHECK(ks_quic_datagram(&tq_conn, m, 1200) == -KS_QUIC_E_AUTH && tq_conn.st.auth_failures == 2,
	      "flipped DCID byte: authentication failure");
	CHECK(ks_quic_datagram(&tq_conn, pkt, 1200) == 1 && tq_conn.cs.prefix == 241,
	      "the genuine packet still decodes after failures");
	ks_quic_conn_init(&tq_conn);
	CHECK(ks_quic_datagram(&tq_conn, pkt, 1199) == -KS_QUIC_E_LENGTH &&
	      ks_quic_datagram(&tq_conn, pkt, 12) == -KS_QUIC_E_TRUNCATED &&
	      ks_quic_datagram(&tq_conn, pkt, 17) == -KS_QUIC_E_LENGTH &&
	      ks_quic_datagram(&tq_conn, pkt, 0) == -KS_QUIC_E_TRUNCATED,
	      "truncated packets: 1199, 17, 12 and 0 bytes");
	/* Every byte, one random bit flipped: never accepted, never a crash. */
	for (int i = 0; i < 1200; i++) {
		memcpy(m, pkt, 1200);
		m[i] ^= 1 << tq_rnd(8);
		ks_quic_conn_init(&tq_conn);
		r = ks_quic_datagram(&tq_conn, m, 1200);
		QUIET_CHECK(bad, r < 0 && tq_conn.cs.prefix == 0, "bit flip at %d accepted (%d)", i, r);
	}
	CHECK(!bad, "a bit flipped in any of the 1200 bytes: refused");
}

static void test_neg_headers(void)
{
	__u8 b[64];
	size_t n;

	ks_quic_conn_init(&tq_conn);
	n = tq_unhex("aa00000000080102030405060708040909090900000001ff00001d", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, n) == -KS_QUIC_E_VERSION_NEG,
	      "version negotiation packet: refused as such");
	n = tq_unhex("c0ff00001d08010203040506070804090909090041000000", b, sizeof(b));
	memset(b + n, 0, 64 - n);
	CHECK(ks_quic_datagram(&tq_conn, b, 64) == -KS_QUIC_E_VERSION,
	      "unknown version (draft-29): refused as such");
	n = tq_unhex("c01a2a3a4a0801020304050607080409090909", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, 64) == -KS_QUIC_E_VERSION, "greased version: unknown");
	n = tq_unhex("4301020304050607080102030405060708", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, n) == -KS_QUIC_E_SHORT_HEADER,
	      "short-header packet: not an Initial");
	n = tq_unhex("c000000001080102030405060708040909090980", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, n + 2) == -KS_QUIC_E_TOKEN,
	      "token length varint cut short: bad token");
	n = tq_unhex("c0000000010801020304050607080409090909440000", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, 64) == -KS_QUIC_E_TOKEN,
	      "token length past the datagram: bad token");
	n = tq_unhex("c00000000108010203040506070804090909090044000000", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, 64) == -KS_QUIC_E_LENGTH,
	      "Length past the datagram: bad length");
	n = tq_unhex("c000000001080102030405060708040909090900100000", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, 64) == -KS_QUIC_E_LENGTH,
	      "Length too short to sample: bad length");
	memset(b, 0, sizeof(b));
	tq_unhex("c00000000115", b, sizeof(b));
	CHECK(ks_quic_datagram(&tq_conn, b, 64) == -KS_QUIC_E_CID, "21-byte DCID: bad CID");
	CHECK(tq_conn.st.errors == 9 && tq_conn.st.datagrams == 9 && tq_conn.st.initials == 0,
	      "every failed datagram counted");
}

static void test_neg_frames(void)
{
	int r;

	CHECK(neg_frames("0600050102") == -KS_QUIC_E_FRAME, "CRYPTO past the payload: malformed");
	CHECK(neg_frames("067ffc0a0102030405060708090a") == -KS_QUIC_E_TOO_BIG &&
	      tq_conn.cs.prefix == 0 && tq_conn.cs.high == 0,
	      "CRYPTO offset beyond the 16 KB bound: too big");
	CHECK(neg_frames("06ffffffffffffffff0a0102030405060708090a") == -KS_QUIC_E_FRAME,
	      "CRYPTO offset + length past 2^62: malformed");
	r = neg_frames("060003010203" "08000101");
	CHECK(r == -KS_QUIC_E_FRAME_TYPE && tq_conn.cs.prefix == 0 && tq_conn.st.frames == 0,
	      "STREAM frame after CRYPTO: not allowed, packet applied not at all");
	CHECK(neg_frames("01011e") == -KS_QUIC_E_FRAME_TYPE && neg_frames("1d000000") ==
	      -KS_QUIC_E_FRAME_TYPE && neg_frames("04000000") == -KS_QUIC_E_FRAME_TYPE &&
	      neg_frames("010118") == -KS_QUIC_E_FRAME_TYPE,
	      "HANDSHAKE_DONE, CONNECTION_CLOSE 0x1d, RESET_STREAM, NEW_CONNECTION_ID: not allowed");
	CHECK(neg_frames("4006000101") == -KS_QUIC_E_FRAME_TYPE,
	      "CRYPTO type in a 2-byte encoding: not allowed");
	CHECK(neg_frames("0205000006") == -KS_QUIC_E_FRAME, "ACK range above Largest: malformed");
	CHECK(neg_frames("02050001020200") == -KS_QUIC_E_FRAME &&
	      neg_frames("02050001010005") == -KS_QUIC_E_FRAME,
	      "ACK ranges below packet 0: malformed");
	CHECK(neg_frames("020500ffffffffffffffff00") == -KS_QUIC_E_FRAME,
	      "ACK with 2^62 ranges: malformed, no long loop");
	CHECK(neg_frames("03050000000102") == -KS_QUIC_E_FRAME, "ACK_ECN cut short: malformed");
	r = neg_frames("0328000203040a1100" "000100" "0600050102030405" "01");
	CHECK(r == 1 && tq_conn.st.acks == 1 && tq_conn.cs.prefix == 5 && tq_conn.st.pings == 1 &&
	      tq_conn.st.frames == 3, "ACK_ECN with ranges stepped over exactly; CRYPTO after it read");
	r = neg_frames("1c0a000474697264");
	CHECK(r == 1 && tq_conn.closed, "CONNECTION_CLOSE 0x1c: accepted, connection marked closed");
	CHECK(neg_frames("1c0a000974697264") == -KS_QUIC_E_FRAME,
	      "CONNECTION_CLOSE reason past the payload: malformed");
}

static void test_neg_packets(void)
{
	struct ks_quic_seal a = tq_neg_args();
	__u8 pt[64] = { 0x06, 0x00, 0x0a }, other[8] = { 7, 7, 7, 7, 7, 7, 7, 7 };
	int r;

	memset(pt + 3, 'A', 10);
	a.pn_len = 4;
	CHECK(neg_one(&a, pt, 0, 1) == -KS_QUIC_E_NO_FRAMES, "packet without frames: refused");
	a.reserved = 2;
	CHECK(neg_one(&a, pt, 13, 1) == -KS_QUIC_E_RESERVED && tq_conn.cs.prefix == 0,
	      "reserved bits set: refused after decryption");
	a = tq_neg_args();
	r = neg_one(&a, pt, 13, 1);
	pt[1] = 5;
	memset(pt + 3, 'B', 10);
	a.pn = 1;
	CHECK(r == 1 && neg_one(&a, pt, 13, 0) == -KS_QUIC_E_CONFLICT && tq_conn.cs.prefix == 10 &&
	      ks_qstream_data(&tq_conn.cs)[9] == 'A', "resent CRYPTO bytes that differ: refused");
	a.scid = other;
	a.pn = 2;
	pt[1] = 10;
	CHECK(neg_one(&a, pt, 13, 0) == -KS_QUIC_E_CID, "client SCID changed: bad CID");
	a = tq_neg_args();
	a.version = KS_QUIC_V2;
	CHECK(neg_one(&a, pt, 13, 0) == -KS_QUIC_E_VERSION_CHANGED, "version changed: refused");
	a = tq_neg_args();
	a.dcid = other;
	CHECK(neg_one(&a, pt, 13, 0) == 1 && tq_conn.cs.prefix == 20 && tq_conn.st.rekeys == 3 &&
	      !memcmp(tq_conn.odcid, neg_dcid, 8), "new DCID (after a Retry): rekeyed, ODCID kept");
	a.dcid_len = 0;
	CHECK(neg_one(&a, pt, 13, 1) == 1, "zero-length DCID: keys derived, packet decoded");
	a = tq_neg_args();
	a.type = KS_QUIC_HANDSHAKE;
	CHECK(neg_one(&a, pt, 13, 1) == -KS_QUIC_E_NOT_INITIAL && tq_conn.st.skipped == 1,
	      "Handshake packet only: not an Initial");
}

/* Two packets in one datagram, the second built by `mod`. */
static int neg_coalesced(int mod)
{
	static __u8 out[4096];
	struct ks_quic_seal a = tq_neg_args();
	__u8 pt[16] = { 0x06, 0x00, 0x04, 'a', 'b', 'c', 'd', 0x01 };
	__u8 d2[8] = { 8, 8, 8, 8, 8, 8, 8, 8 };
	ssize_t n = ks_quic_seal(&a, pt, 8, out, sizeof(out)), m = 0;

	a.pn = 1;
	if (mod == 0) {                          /* another connection's packet */
		a.dcid = d2;
		m = ks_quic_seal(&a, pt, 8, out + n, sizeof(out) - n);
	} else if (mod == 1) {                   /* trailing zeros */
		memset(out + n, 0, 300);
		m = 300;
	} else if (mod == 2) {                   /* 0-RTT first, Initial second */
		a.type = KS_QUIC_0RTT;
		m = ks_quic_seal(&a, pt, 8, out, sizeof(out));
		a.type = KS_QUIC_INITIAL;
		n = m + ks_quic_seal(&a, pt, 8, out + m, sizeof(out) - m);
		m = 0;
	} else {                                 /* garbage long header after */
		memset(out + n, 0xc3, 30);
		m = 30;
	}
	ks_quic_conn_init(&tq_conn);
	return ks_quic_datagram(&tq_conn, out, n + m);
}

static void test_neg_coalesced(void)
{
	CHECK(neg_coalesced(0) == 1 && tq_conn.st.skipped == 1 && tq_conn.cs.prefix == 4,
	      "coalesced packet with another DCID: skipped");
	CHECK(neg_coalesced(1) == 1 && tq_conn.cs.prefix == 4,
	      "trailing zero bytes after a packet: ignored");
	CHECK(neg_coalesced(2) == 1 && tq_conn.st.skipped == 1 && tq_conn.cs.prefix == 4,
	      "0-RTT then Initial: 0-RTT skipped, Initial decoded");
	CHECK(neg_coalesced(3) < 0 && tq_conn.cs.prefix == 4,
	      "garbage after a good packet: error, the good packet kept");
}

static void test_neg_garbage(void)
{
	static __u8 g[1500];
	int bad = 0;

	tq_seed(12345);
	for (int i = 0; i < 3000; i++) {
		size_t n = tq_rnd(1500);
		int r;

		for (size_t j = 0; j < n; j++)
			g[j] = tq_rnd(256);
		if (i & 1 && n > 6) {                 /* make it look like v1/v2 */
			g[0] |= 0x80;
			memcpy(g + 1, i & 2 ? "\x00\x00\x00\x01" : "\x6b\x33\x43\xcf", 4);
			g[5] = tq_rnd(21);
		}
		ks_quic_conn_init(&tq_conn);
		r = ks_quic_datagram(&tq_conn, g, n);
		QUIET_CHECK(bad, r < 0 && tq_conn.cs.prefix == 0, "garbage %d accepted (%d)", i, r);
	}
	CHECK(!bad, "3000 random datagrams (half with a v1/v2 header): all refused");
}

void tq_test_negative(const char *dir)
{
	test_neg_rfc_packet(dir);
	test_neg_headers();
	test_neg_frames();
	test_neg_packets();
	test_neg_coalesced();
	test_neg_garbage();
	CHECK(sizeof(struct ks_quic_conn) <= KS_QUIC_CONN_MAX_SIZE,
	      "struct ks_quic_conn is %zu bytes (bound %d)", sizeof(struct ks_quic_conn),
	      KS_QUIC_CONN_MAX_SIZE);
	for (int e = 0; e < KS_QUIC_E__COUNT; e++)
		if (!ks_quic_strerror(-e) || !strcmp(ks_quic_strerror(-e), "unknown error"))
			CHECK(0, "error %d has a name", e);
}

/*
 * Real client captures: tests/data/captures/quic/expected.tsv lists
 * "NAME<TAB>sni<TAB>alpn"; NAME-1.bin, NAME-2.bin... are the UDP payloads of
 * the client's first datagrams, in order.
 */
void tq_test_real_captures(const char *dir)
{
	static __u8 buf[65536];
	char path[512], line[512], name[128], sni[256], alpn[256];
	FILE *f;
	int sets = 0;

	snprintf(path, sizeof(path), "%s/quic/expected.tsv", dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f)) {
		int n = 0, r = 0, k;
		size_t len;

		if (line[0] == '#' || sscanf(line, "%127s %255s %255s", name, sni, alpn) != 3)
			continue;
		ks_quic_conn_init(&tq_conn);
		for (k = 1; k < 10; k++) {
			snprintf(path, sizeof(path), "%s/quic/%s-%d.bin", dir, name, k);
			len = tq_read_file(path, buf, sizeof(buf));
			if (!len)
				break;
			r = ks_quic_datagram(&tq_conn, buf, len);
			n += r > 0 ? r : 0;
			if (r < 0)
				break;
		}
		CHECK(r > 0 && ks_quic_hello(&tq_conn, &tq_scratch) == KS_HELLO_COMPLETE &&
		      !strcmp(tq_scratch.hello.sni, strcmp(sni, "-") ? sni : "") &&
		      tq_alpn_is(strcmp(alpn, "-") ? alpn : ""),
		      "capture %s: %d datagrams, %d Initials, %u CRYPTO frames -> sni %s alpn %s",
		      name, k - 1, n, tq_conn.st.crypto_frames, sni, alpn);
		sets++;
	}
	if (f)
		fclose(f);
	if (!sets) {
		tq_skipped++;
		printf("skip - no real QUIC captures in %s/quic\n", dir);
	}
}
