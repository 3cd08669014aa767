/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC Initial packet protection (RFC 9001 5, RFC 9369 3.3): the client's
 * Initial keys, header protection and AEAD_AES_128_GCM, on OpenSSL 3.
 * Everything here is public knowledge derived from the client's DCID: it
 * hides nothing, it only lets us read what every on-path box can read.
 */
#ifndef KS_QUIC_KEYS_H
#define KS_QUIC_KEYS_H

#include <linux/types.h>
#include <stddef.h>

#include "quic_long.h"          /* KS_QUIC_V1, KS_QUIC_V2 */
#define KS_QUIC_SECRET_LEN 32
#define KS_QUIC_KEY_LEN 16
#define KS_QUIC_IV_LEN 12
#define KS_QUIC_HP_LEN 16
#define KS_QUIC_TAG_LEN 16
#define KS_QUIC_SAMPLE_LEN 16

struct ks_quic_keys {
	__u8 key[KS_QUIC_KEY_LEN];
	__u8 iv[KS_QUIC_IV_LEN];
	__u8 hp[KS_QUIC_HP_LEN];
};

/* 1 if we can derive Initial keys for this version. */
int ks_quic_version_known(__u32 version);

/* The versions we have keys for, i = 0, 1, ... until 0. */
__u32 ks_quic_version_at(unsigned i);

/* client_initial_secret = Expand-Label(Extract(salt, dcid), "client in"). 0 on success. */
int ks_quic_client_secret(__u32 version, const __u8 *dcid, size_t dcid_len,
			  __u8 secret[KS_QUIC_SECRET_LEN]);

/* key, iv and hp from a secret, with the version's labels. 0 on success. */
int ks_quic_keys_from_secret(__u32 version, const __u8 secret[KS_QUIC_SECRET_LEN],
			     struct ks_quic_keys *k);

/* Both steps: the client's Initial keys for this DCID. 0 on success. */
int ks_quic_client_keys(__u32 version, const __u8 *dcid, size_t dcid_len,
			struct ks_quic_keys *k);

/* Header protection mask: AES-128-ECB(hp, sample). 0 on success. */
int ks_quic_hp_mask(const __u8 hp[KS_QUIC_HP_LEN], const __u8 sample[KS_QUIC_SAMPLE_LEN],
		    __u8 mask[16]);

/*
 * AEAD_AES_128_GCM with nonce = iv ^ pn. open: ct_len includes the 16-byte
 * tag, out gets ct_len - 16 bytes; returns 0, KS_QUIC_AEAD_AUTH when the tag
 * does not match, KS_QUIC_AEAD_LIB when OpenSSL itself fails. seal: out gets
 * pt_len + 16 bytes.
 */
#define KS_QUIC_AEAD_AUTH 1
#define KS_QUIC_AEAD_LIB 2
int ks_quic_aead_open(const struct ks_quic_keys *k, __u64 pn, const __u8 *aad, size_t aad_len,
		      const __u8 *ct, size_t ct_len, __u8 *out);
int ks_quic_aead_seal(const struct ks_quic_keys *k, __u64 pn, const __u8 *aad, size_t aad_len,
		      const __u8 *pt, size_t pt_len, __u8 *out);

#endif
