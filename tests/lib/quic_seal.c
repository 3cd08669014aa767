// SPDX-License-Identifier: GPL-2.0
/* Build and protect client long-header packets (quic_seal.h). */
#include <string.h>
#include "quic_initial.h"
#include "quic_seal.h"

size_t ks_quic_put_varint(__u8 *out, __u64 v, unsigned n)
{
	unsigned lg;

	if (!n)
		n = v < 64 ? 1 : v < 16384 ? 2 : v < (1u << 30) ? 4 : 8;
	lg = n == 1 ? 0 : n == 2 ? 1 : n == 4 ? 2 : 3;
	for (unsigned i = 0; i < n; i++)
		out[i] = v >> (8 * (n - 1 - i));
	out[0] = (out[0] & 0x3f) | lg << 6;
	return n;
}

/* The header through the packet number, unprotected. Returns its length. */
static size_t ks_quic_seal_header(const struct ks_quic_seal *a, size_t len, __u8 *out)
{
	__u8 t = a->version == KS_QUIC_V2 ? (a->type + 1) & 3 : a->type;
	size_t n = 0, body = a->pn_len + len + KS_QUIC_TAG_LEN;

	out[n++] = 0xc0 | t << 4 | (a->reserved & 3) << 2 | (a->pn_len - 1);
	for (int i = 3; i >= 0; i--)
		out[n++] = a->version >> (8 * i);
	out[n++] = a->dcid_len;
	if (a->dcid_len)                          /* NULL is fine when empty */
		memcpy(out + n, a->dcid, a->dcid_len);
	n += a->dcid_len;
	out[n++] = a->scid_len;
	if (a->scid_len)
		memcpy(out + n, a->scid, a->scid_len);
	n += a->scid_len;
	if (a->type == KS_QUIC_INITIAL) {
		n += ks_quic_put_varint(out + n, a->token_len, 0);
		if (a->token_len)
			memcpy(out + n, a->token, a->token_len);
		n += a->token_len;
	}
	n += ks_quic_put_varint(out + n, body, body < 16384 ? 2 : 4);
	for (int i = a->pn_len - 1; i >= 0; i--)
		out[n++] = a->pn >> (8 * i);
	return n;
}

ssize_t ks_quic_seal(const struct ks_quic_seal *a, const __u8 *payload, size_t len,
		     __u8 *out, size_t cap)
{
	struct ks_quic_keys k;
	size_t hlen, pn_off;
	__u8 mask[16];

	if (a->pn_len < 1 || a->pn_len > 4 || a->pn_len + len < 4 ||
	    a->dcid_len > KS_QUIC_CID_MAX || a->scid_len > KS_QUIC_CID_MAX)
		return -1;
	if (cap < 64 + a->token_len + len || len > (1u << 29))
		return -1;
	if (ks_quic_client_keys(a->version, a->dcid, a->dcid_len, &k))
		return -1;
	hlen = ks_quic_seal_header(a, len, out);
	pn_off = hlen - a->pn_len;
	if (ks_quic_aead_seal(&k, a->pn, out, hlen, payload, len, out + hlen))
		return -1;
	if (ks_quic_hp_mask(k.hp, out + pn_off + 4, mask))
		return -1;
	out[0] ^= mask[0] & 0x0f;
	for (unsigned i = 0; i < a->pn_len; i++)
		out[pn_off + i] ^= mask[1 + i];
	return hlen + len + KS_QUIC_TAG_LEN;
}
