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

/* A varint (shared/quic_long.h), for ksteerd's frames: the datagrams it
 * takes are far below 4 GB, so the shared parser's 32-bit offsets hold. */
int ks_quic_varint(const __u8 *p, size_t len, size_t *off, __u64 *v)
{
	__u32 o = *off;
	int err;

	if (*off >= len || len > 0xffffffffu)
		return -1;
	err = ks_ql_varint(p, len, &o, v);
	*off = o;
	return err;
}

/* The shared parser (shared/quic_long.h), its offsets made pointers. */
int ks_quic_parse_long(const __u8 *p, size_t len, struct ks_quic_hdr *h)
{
	struct ks_ql_hdr q = {};
	int err = len > 0xffffffffu ? KS_QUIC_E_TOO_BIG : ks_ql_parse(p, len, &q);

	memset(h, 0, sizeof(*h));
	h->version = q.version;
	h->type = q.type;
	h->dcid_len = q.dcid_len;
	h->scid_len = q.scid_len;
	h->dcid = q.dcid_off ? p + q.dcid_off : NULL;
	h->scid = q.scid_off ? p + q.scid_off : NULL;
	h->token = q.token_off ? p + q.token_off : NULL;
	h->token_len = q.token_len;
	h->pn_off = q.pn_off;
	h->pkt_len = q.pkt_len;
	return err;
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
		[KS_QUIC_E_LIMIT] = "more than the kernel reads (ACK ranges)",
	};

	if (err < 0)
		err = -err;
	return err < KS_QUIC_E__COUNT ? names[err] : "unknown error";
}
