// SPDX-License-Identifier: GPL-2.0
/*
 * The frames of a decrypted Initial packet, read by the walker TC's Initial
 * routing runs too (shared/quic_frames.h), applied to a connection; and the
 * hand-off of the CRYPTO stream to the ClientHello parser.
 */
#include "quic_initial.h"

#include "quic_frames.h"

/* A CRYPTO frame's data into the stream (apply), or only checked. */
static int ks_quic_crypto(struct ks_quic_conn *c, const __u8 *p, const struct ks_qf *f,
			  int apply)
{
	const __u8 *d = p + f->data_off;
	int err;

	err = apply ? ks_qstream_add(&c->cs, f->at, d, f->data_len) :
		      ks_qstream_check(&c->cs, f->at, d, f->data_len);
	if (err == KS_QSTREAM_TOO_BIG)
		return KS_QUIC_E_TOO_BIG;
	if (err)
		return KS_QUIC_E_CONFLICT;
	if (apply) {
		c->st.crypto_frames++;
		c->st.crypto_bytes += f->data_len;
	}
	return 0;
}

/* The walker (shared/quic_frames.h), the frames it finds applied to c. */
int ks_quic_frames(struct ks_quic_conn *c, const __u8 *p, size_t len, int apply)
{
	struct ks_qf f = {};
	__u32 off = 0;
	int err;

	if (!len)                                 /* 12.4: PROTOCOL_VIOLATION */
		return KS_QUIC_E_NO_FRAMES;
	if (len > 0xffffffffu)
		return KS_QUIC_E_TOO_BIG;
	while (off < len) {
		err = ks_qf_next(p, len, &off, &f);
		if (err)
			return err;
		if (f.type == KS_QF_CRYPTO)
			err = ks_quic_crypto(c, p, &f, apply);
		if (err)
			return err;
		if (!apply)
			continue;
		switch (f.type) {
		case KS_QF_PADDING:               /* runs are not frames here */
			c->st.padding_bytes += f.run;
			continue;
		case KS_QF_PING:
			c->st.pings++;
			break;
		case KS_QF_ACK:
		case KS_QF_ACK_ECN:
			c->st.acks++;
			break;
		case KS_QF_CLOSE:
			c->closed = 1;
			break;
		}
		c->st.frames++;
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
