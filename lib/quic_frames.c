// SPDX-License-Identifier: GPL-2.0
/*
 * The frames of a decrypted Initial packet (RFC 9000 12.4, 19) and the
 * hand-off of the CRYPTO stream to the ClientHello parser.
 */
#include "quic_initial.h"

#define KS_QUIC_VARINT_MAX ((1ull << 62) - 1)

/*
 * ACK (RFC 9000 19.3), type 0x02, or 0x03 with ECN counts:
 *
 *   +--------------+---------+-----------+-----------+----------------+
 *   | Largest (i)  | Delay(i)| Ranges (i)| First (i) | Gap (i),       |
 *   |              |         |   = N     |           | Len (i) x N    |
 *   +--------------+---------+-----------+-----------+----------------+
 *   | 0x03 only: ECT0 (i) | ECT1 (i) | ECN-CE (i) |
 *   +---------------------+----------+------------+
 *
 * The ranges walk down from Largest; one going below packet 0 is an error.
 */
static int ks_quic_ack(const __u8 *p, size_t len, size_t *off, int ecn)
{
	__u64 largest, delay, count, first, gap, rlen, smallest, v;

	if (ks_quic_varint(p, len, off, &largest) || ks_quic_varint(p, len, off, &delay) ||
	    ks_quic_varint(p, len, off, &count) || ks_quic_varint(p, len, off, &first))
		return KS_QUIC_E_FRAME;
	if (first > largest)
		return KS_QUIC_E_FRAME;
	smallest = largest - first;
	/* Each range takes at least 2 bytes: bounds the loop by the packet. */
	if (count > (len - *off) / 2)
		return KS_QUIC_E_FRAME;
	for (__u64 i = 0; i < count; i++) {
		if (ks_quic_varint(p, len, off, &gap) || ks_quic_varint(p, len, off, &rlen))
			return KS_QUIC_E_FRAME;
		if (gap + 2 > smallest)
			return KS_QUIC_E_FRAME;
		largest = smallest - gap - 2;
		if (rlen > largest)
			return KS_QUIC_E_FRAME;
		smallest = largest - rlen;
	}
	for (int i = 0; ecn && i < 3; i++)
		if (ks_quic_varint(p, len, off, &v))
			return KS_QUIC_E_FRAME;
	return 0;
}

/*
 * CRYPTO (RFC 9000 19.6), type 0x06:
 *
 *   +------------+------------+-----------------------+
 *   | Offset (i) | Length (i) | Crypto Data (Length B)|
 *   +------------+------------+-----------------------+
 */
static int ks_quic_crypto(struct ks_quic_conn *c, const __u8 *p, size_t len, size_t *off,
			  int apply)
{
	__u64 at, n;
	int err;

	if (ks_quic_varint(p, len, off, &at) || ks_quic_varint(p, len, off, &n) ||
	    n > len - *off)
		return KS_QUIC_E_FRAME;
	if (at + n > KS_QUIC_VARINT_MAX)          /* 19.6: FRAME_ENCODING_ERROR */
		return KS_QUIC_E_FRAME;
	err = apply ? ks_qstream_add(&c->cs, at, p + *off, n) :
		      ks_qstream_check(&c->cs, at, p + *off, n);
	*off += n;
	if (err == KS_QSTREAM_TOO_BIG)
		return KS_QUIC_E_TOO_BIG;
	if (err)
		return KS_QUIC_E_CONFLICT;
	if (apply) {
		c->st.crypto_frames++;
		c->st.crypto_bytes += n;
	}
	return 0;
}

/*
 * CONNECTION_CLOSE (RFC 9000 19.19), type 0x1c (0x1d is not allowed here):
 *
 *   +----------------+----------------+--------------+---------------+
 *   | Error Code (i) | Frame Type (i) | Reason Len(i)| Reason Phrase |
 *   +----------------+----------------+--------------+---------------+
 */
static int ks_quic_close(const __u8 *p, size_t len, size_t *off)
{
	__u64 code, type, n;

	if (ks_quic_varint(p, len, off, &code) || ks_quic_varint(p, len, off, &type) ||
	    ks_quic_varint(p, len, off, &n) || n > len - *off)
		return KS_QUIC_E_FRAME;
	*off += n;
	return 0;
}

/*
 * Frame type, a varint (12.4): the types allowed in Initial all fit one
 * byte, and a longer encoding of them is a violation too (the shortest
 * encoding is required), so any first byte >= 0x40 is rejected as a type.
 */
static int ks_quic_frame(struct ks_quic_conn *c, const __u8 *p, size_t len, size_t *off,
			 int apply)
{
	__u8 type = p[(*off)++];
	size_t start = *off;

	switch (type) {
	case 0x00:                                /* PADDING: a run of zeros */
		while (*off < len && !p[*off])
			(*off)++;
		if (apply)
			c->st.padding_bytes += *off - start + 1;
		return 0;
	case 0x01:                                /* PING */
		if (apply)
			c->st.pings++;
		return 0;
	case 0x02:
	case 0x03:
		if (apply)
			c->st.acks++;
		return ks_quic_ack(p, len, off, type == 0x03);
	case 0x06:
		return ks_quic_crypto(c, p, len, off, apply);
	case 0x1c:
		if (apply)
			c->closed = 1;
		return ks_quic_close(p, len, off);
	}
	return KS_QUIC_E_FRAME_TYPE;
}

int ks_quic_frames(struct ks_quic_conn *c, const __u8 *p, size_t len, int apply)
{
	size_t off = 0;
	int err;

	if (!len)                                 /* 12.4: PROTOCOL_VIOLATION */
		return KS_QUIC_E_NO_FRAMES;
	while (off < len) {
		if (apply && p[off])              /* PADDING runs are not counted */
			c->st.frames++;
		err = ks_quic_frame(c, p, len, &off, apply);
		if (err)
			return err;
	}
	return 0;
}

/*
 * The CRYPTO stream is bare handshake messages; the parser starts at a TLS
 * record. The stream's headroom takes one synthetic record header (type 22,
 * TLS 1.0 as ClientHellos say): KS_QSTREAM_MAX is the record limit, so one
 * record always covers the prefix and nothing is copied.
 */
int ks_quic_hello(struct ks_quic_conn *c, struct ks_scratch *s)
{
	__u32 n = c->cs.prefix;
	__u8 *b = c->cs.buf;

	_Static_assert(KS_QSTREAM_MAX <= KS_TLS_RECORD_MAX, "one record per stream");
	if (!n)
		return ks_parse_buf(b, 0, s);     /* incomplete, nothing yet */
	b[0] = 22;
	b[1] = 3;
	b[2] = 1;
	b[3] = n >> 8;
	b[4] = n & 0xff;
	return ks_parse_buf(b, KS_QSTREAM_HEADROOM + n, s);
}
