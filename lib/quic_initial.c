// SPDX-License-Identifier: GPL-2.0
/* QUIC client Initial packets: long header, protection removal, datagrams. */
#include <stdlib.h>
#include <string.h>
#include "quic_initial.h"

_Static_assert(sizeof(struct ks_quic_conn) <= KS_QUIC_CONN_MAX_SIZE,
	       "struct ks_quic_conn outgrew its documented bound");

void ks_quic_conn_init(struct ks_quic_conn *c)
{
	memset(c, 0, offsetof(struct ks_quic_conn, cs));
	c->largest_pn = -1;
	ks_qstream_init(&c->cs);
}

/*
 * Variable-length integer (RFC 9000 16): the two top bits of the first
 * byte give the length.
 *
 *   +----+--------------------+
 *   | 00 | 6-bit value        |  1 byte
 *   | 01 | 14-bit value       |  2 bytes
 *   | 10 | 30-bit value       |  4 bytes
 *   | 11 | 62-bit value       |  8 bytes
 *   +----+--------------------+
 */
int ks_quic_varint(const __u8 *p, size_t len, size_t *off, __u64 *v)
{
	size_t n;

	if (*off >= len)
		return -1;
	n = (size_t)1 << (p[*off] >> 6);
	if (n > len - *off)
		return -1;
	*v = p[*off] & 0x3f;
	for (size_t i = 1; i < n; i++)
		*v = *v << 8 | p[*off + i];
	*off += n;
	return 0;
}

/* Long packet type bits to v1 numbering: v2 rotates them (RFC 9369 3.2). */
static __u8 ks_quic_type(__u32 version, __u8 first)
{
	__u8 t = (first >> 4) & 3;

	return version == KS_QUIC_V2 ? (t + 3) & 3 : t;
}

/* The version-independent part (RFC 8999 5.1): version and both CIDs. */
static int ks_quic_parse_invariant(const __u8 *p, size_t len, struct ks_quic_hdr *h,
				   size_t *off)
{
	if (len < 7)
		return KS_QUIC_E_TRUNCATED;
	h->version = (__u32)p[1] << 24 | (__u32)p[2] << 16 | (__u32)p[3] << 8 | p[4];
	h->dcid_len = p[5];
	*off = 6;
	if (h->dcid_len > len - *off - 1)
		return KS_QUIC_E_TRUNCATED;
	h->dcid = p + *off;
	*off += h->dcid_len;
	h->scid_len = p[(*off)++];
	if (h->scid_len > len - *off)
		return KS_QUIC_E_TRUNCATED;
	h->scid = p + *off;
	*off += h->scid_len;
	if (h->version == 0)
		return KS_QUIC_E_VERSION_NEG;
	if (!ks_quic_version_known(h->version))
		return KS_QUIC_E_VERSION;
	if (h->dcid_len > KS_QUIC_CID_MAX || h->scid_len > KS_QUIC_CID_MAX)
		return KS_QUIC_E_CID;
	return 0;
}

/*
 * Long header (RFC 9000 17.2), Initial packet (17.2.2):
 *
 *   0       1                5        6          6+D      7+D        7+D+S
 *   +-------+----------------+--------+----------+--------+----------+
 *   |1|F|TT |  Version (32)  |DCID len|DCID (D B)|SCID len|SCID (S B)|
 *   | RR PP |                |  (8)   |  0..20   |  (8)   |  0..20   |
 *   +-------+----------------+--------+----------+--------+----------+
 *   | Token len (i) | Token | Length (i) | PN (1-4 B) | Payload ...  |
 *   +---------------+-------+------------+------------+--------------+
 *                   Initial only           \___ Length covers these __/
 *
 * F (fixed bit) is not checked: RFC 9287 lets a client clear it. TT: type,
 * 0 = Initial in v1, 1 in v2. RR (reserved) and PP (PN length - 1) are
 * under header protection. Retry has no Length: it ends the datagram.
 */
int ks_quic_parse_long(const __u8 *p, size_t len, struct ks_quic_hdr *h)
{
	size_t off;
	__u64 v;
	int err;

	memset(h, 0, sizeof(*h));
	err = ks_quic_parse_invariant(p, len, h, &off);
	if (err)
		return err;
	h->type = ks_quic_type(h->version, p[0]);
	if (h->type == KS_QUIC_RETRY) {
		h->pkt_len = len;
		return 0;
	}
	if (h->type == KS_QUIC_INITIAL) {
		if (ks_quic_varint(p, len, &off, &h->token_len) || h->token_len > len - off)
			return KS_QUIC_E_TOKEN;
		h->token = p + off;
		off += h->token_len;
	}
	if (ks_quic_varint(p, len, &off, &v) || v > len - off)
		return KS_QUIC_E_LENGTH;
	/* Header protection samples 16 bytes from 4 past the PN's start. */
	if (v < 4 + KS_QUIC_SAMPLE_LEN)
		return KS_QUIC_E_LENGTH;
	h->pn_off = off;
	h->pkt_len = off + v;
	return 0;
}

/* RFC 9000 A.3: the full packet number nearest the next one expected. */
__u64 ks_quic_pn_decode(__s64 largest, __u64 truncated, unsigned bits)
{
	__u64 expected = (__u64)(largest + 1), win = 1ull << bits;
	__u64 hwin = win / 2, cand = (expected & ~(win - 1)) | truncated;

	if (cand + hwin <= expected && cand < (1ull << 62) - win)
		return cand + win;
	if (cand > expected + hwin && cand >= win)
		return cand - win;
	return cand;
}

/* Keys for this packet's DCID, derived once per DCID and cached. */
static int ks_quic_conn_keys(struct ks_quic_conn *c, const struct ks_quic_hdr *h)
{
	if (c->kversion == h->version && c->kdcid_len == h->dcid_len &&
	    !memcmp(c->kdcid, h->dcid, h->dcid_len))
		return 0;
	c->kversion = 0;
	if (ks_quic_client_keys(h->version, h->dcid, h->dcid_len, &c->keys))
		return KS_QUIC_E_CRYPTO;
	c->kversion = h->version;
	c->kdcid_len = h->dcid_len;
	memcpy(c->kdcid, h->dcid, h->dcid_len);
	c->st.rekeys++;
	return 0;
}

/*
 * Remove header protection (RFC 9001 5.4) into a copy of the header, aad:
 * the low 4 bits of the first byte and the PN bytes are masked.
 */
static int ks_quic_unmask(const struct ks_quic_conn *c, const __u8 *pkt,
			  const struct ks_quic_hdr *h, __u8 *aad, unsigned *pn_len, __u64 *pn)
{
	__u8 mask[16];
	__u64 trunc = 0;

	if (ks_quic_hp_mask(c->keys.hp, pkt + h->pn_off + 4, mask))
		return KS_QUIC_E_CRYPTO;
	memcpy(aad, pkt, h->pn_off + 4);
	aad[0] ^= mask[0] & 0x0f;
	*pn_len = (aad[0] & 3) + 1;
	for (unsigned i = 0; i < *pn_len; i++) {
		aad[h->pn_off + i] ^= mask[1 + i];
		trunc = trunc << 8 | aad[h->pn_off + i];
	}
	*pn = ks_quic_pn_decode(c->largest_pn, trunc, 8 * *pn_len);
	return 0;
}

/* Before any frame is applied: the packet must fit the connection so far. */
static int ks_quic_conn_match(const struct ks_quic_conn *c, const struct ks_quic_hdr *h)
{
	if (!c->version)
		return 0;
	if (c->version != h->version)
		return KS_QUIC_E_VERSION_CHANGED;
	/* The DCID may change (after a Retry); the client's SCID may not. */
	if (c->scid_len != h->scid_len || memcmp(c->scid, h->scid, h->scid_len))
		return KS_QUIC_E_CID;
	return 0;
}

static void ks_quic_conn_learn(struct ks_quic_conn *c, const struct ks_quic_hdr *h, __u64 pn)
{
	if (!c->version) {
		c->version = h->version;
		c->odcid_len = h->dcid_len;
		memcpy(c->odcid, h->dcid, h->dcid_len);
		c->scid_len = h->scid_len;
		memcpy(c->scid, h->scid, h->scid_len);
	}
	if ((__s64)pn > c->largest_pn)
		c->largest_pn = pn;
	c->st.initials++;
}

/* Decrypt one Initial packet (pkt, h->pkt_len bytes) and apply its frames. */
static int ks_quic_initial(struct ks_quic_conn *c, const __u8 *pkt, const struct ks_quic_hdr *h)
{
	unsigned pn_len;
	size_t hlen, ct_len;
	__u64 pn;
	__u8 *buf;
	int err;

	err = ks_quic_conn_keys(c, h);
	if (err)
		return err;
	/* One buffer: the unmasked header (the AAD), then the plaintext. */
	buf = malloc(h->pkt_len);
	if (!buf)
		return KS_QUIC_E_CRYPTO;
	err = ks_quic_unmask(c, pkt, h, buf, &pn_len, &pn);
	if (err)
		goto out;
	hlen = h->pn_off + pn_len;
	ct_len = h->pkt_len - hlen;       /* >= 16: parse_long saw to it */
	err = ks_quic_aead_open(&c->keys, pn, buf, hlen, pkt + hlen, ct_len, buf + hlen);
	if (err) {
		err = err == KS_QUIC_AEAD_AUTH ? KS_QUIC_E_AUTH : KS_QUIC_E_CRYPTO;
		goto out;
	}
	/* RFC 9000 17.2: checked only once the packet is authentic. */
	if (buf[0] & 0x0c) {
		err = KS_QUIC_E_RESERVED;
		goto out;
	}
	err = ks_quic_conn_match(c, h);
	if (!err)
		err = ks_quic_frames(c, buf + hlen, ct_len - KS_QUIC_TAG_LEN, 0);
	if (!err)
		err = ks_quic_frames(c, buf + hlen, ct_len - KS_QUIC_TAG_LEN, 1);
	if (!err)
		ks_quic_conn_learn(c, h, pn);
out:
	free(buf);
	return err;
}

/* One packet at p: 0 and its length in *used, or an error. */
static int ks_quic_packet(struct ks_quic_conn *c, const __u8 *p, size_t len,
			  const struct ks_quic_hdr *first, size_t *used, int *decoded)
{
	struct ks_quic_hdr h;
	int err = ks_quic_parse_long(p, len, &h);

	if (err)
		return err;
	*used = h.pkt_len;
	/* RFC 9000 12.2: ignore coalesced packets for another connection. */
	if (first && (h.dcid_len != first->dcid_len || memcmp(h.dcid, first->dcid, h.dcid_len))) {
		c->st.skipped++;
		return 0;
	}
	if (h.type != KS_QUIC_INITIAL) {
		c->st.skipped++;
		return 0;
	}
	err = ks_quic_initial(c, p, &h);
	if (!err)
		(*decoded)++;
	return err;
}

int ks_quic_datagram(struct ks_quic_conn *c, const void *buf, size_t len)
{
	const __u8 *p = buf;
	struct ks_quic_hdr first;
	size_t off = 0, used;
	int n = 0, err = 0;

	c->st.datagrams++;
	c->st.bytes += len;
	if (!len)
		err = KS_QUIC_E_TRUNCATED;
	else if (!(p[0] & 0x80))
		err = KS_QUIC_E_SHORT_HEADER;
	else
		err = ks_quic_parse_long(p, len, &first);
	/* A short header (or trailing zero padding) ends the long packets. */
	while (!err && off < len && p[off] & 0x80) {
		err = ks_quic_packet(c, p + off, len - off, off ? &first : NULL, &used, &n);
		off += used;
	}
	if (!err && !n)
		err = KS_QUIC_E_NOT_INITIAL;
	if (!err)
		return n;
	c->st.errors++;
	if (err == KS_QUIC_E_AUTH)
		c->st.auth_failures++;
	return -err;
}

const char *ks_quic_strerror(int err)
{
	static const char *const names[KS_QUIC_E__COUNT] = {
		[KS_QUIC_OK] = "ok",
		[KS_QUIC_E_TRUNCATED] = "truncated packet",
		[KS_QUIC_E_SHORT_HEADER] = "not a QUIC Initial (short header)",
		[KS_QUIC_E_VERSION_NEG] = "not a QUIC Initial (version negotiation)",
		[KS_QUIC_E_VERSION] = "unsupported QUIC version",
		[KS_QUIC_E_NOT_INITIAL] = "not a QUIC Initial",
		[KS_QUIC_E_CID] = "bad connection ID",
		[KS_QUIC_E_TOKEN] = "bad token length",
		[KS_QUIC_E_LENGTH] = "bad packet length",
		[KS_QUIC_E_CRYPTO] = "crypto library failure",
		[KS_QUIC_E_AUTH] = "decryption failed (authentication)",
		[KS_QUIC_E_RESERVED] = "reserved header bits set",
		[KS_QUIC_E_FRAME] = "malformed frame",
		[KS_QUIC_E_FRAME_TYPE] = "frame type not allowed in Initial",
		[KS_QUIC_E_NO_FRAMES] = "packet without frames",
		[KS_QUIC_E_TOO_BIG] = "CRYPTO data beyond the stream limit",
		[KS_QUIC_E_CONFLICT] = "CRYPTO data resent with different bytes",
		[KS_QUIC_E_VERSION_CHANGED] = "QUIC version changed mid-connection",
	};

	if (err < 0)
		err = -err;
	return err < KS_QUIC_E__COUNT ? names[err] : "unknown error";
}
