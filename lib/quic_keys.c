// SPDX-License-Identifier: GPL-2.0
/* QUIC Initial keys, header protection and AEAD on OpenSSL 3 (quic_keys.h). */
#include <stdio.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include "quic_keys.h"
#include "hello.h"           /* KS_LOOP, for quic_crypt.h */
#include "quic_crypt.h"

/* The versions, their salts and label prefixes: the table the BPF
 * decryption uses (shared/quic_crypt.h), so there is one copy. */
#define KS_NVERSIONS (sizeof(ks_qc_versions) / sizeof(ks_qc_versions[0]))

static const struct ks_qc_version *ks_quic_params(__u32 version)
{
	for (size_t i = 0; i < KS_NVERSIONS; i++)
		if (ks_qc_versions[i].version == version)
			return &ks_qc_versions[i];
	return NULL;
}

int ks_quic_version_known(__u32 version)
{
	return ks_quic_params(version) != NULL;
}

/* The table's i-th version, 0 past its end: what Version Negotiation lists. */
__u32 ks_quic_version_at(unsigned i)
{
	return i < KS_NVERSIONS ? ks_qc_versions[i].version : 0;
}

/* One HKDF call: extract (salt, ikm) or expand (prk in key, info). */
static int ks_hkdf(int mode, const __u8 *key, size_t key_len, const __u8 *salt_or_info,
		   size_t sl, __u8 *out, size_t out_len)
{
	/* OpenSSL rejects a NULL key even with length 0; a zero-length DCID
	 * is legal after a Retry, so give it a valid pointer. */
	static const __u8 empty[1];
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM p[5];
	int ok;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	p[1] = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	p[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)(key_len ? key : empty), key_len);
	p[3] = OSSL_PARAM_construct_octet_string(mode == EVP_KDF_HKDF_MODE_EXTRACT_ONLY ?
						 OSSL_KDF_PARAM_SALT : OSSL_KDF_PARAM_INFO,
						 (void *)salt_or_info, sl);
	p[4] = OSSL_PARAM_construct_end();
	ok = ctx && EVP_KDF_derive(ctx, out, out_len, p) > 0;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok ? 0 : -1;
}

/*
 * HKDF-Expand-Label (RFC 8446 7.1), context always empty here:
 *
 *   +------------+-----------+--------------------------+-------------+
 *   | length 2 B | label_len | "tls13 " + label         | ctx_len = 0 |
 *   +------------+-----------+--------------------------+-------------+
 */
static int ks_expand_label(const __u8 *secret, const char *label, __u8 *out, size_t len)
{
	__u8 info[2 + 1 + 255 + 1];
	size_t l = strlen(label), n = 0;

	if (6 + l > 255)
		return -1;
	info[n++] = len >> 8;
	info[n++] = len & 0xff;
	info[n++] = 6 + l;
	memcpy(info + n, "tls13 ", 6);
	memcpy(info + n + 6, label, l);
	n += 6 + l;
	info[n++] = 0;
	return ks_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, secret, KS_QUIC_SECRET_LEN, info, n, out,
		       len);
}

int ks_quic_client_secret(__u32 version, const __u8 *dcid, size_t dcid_len,
			  __u8 secret[KS_QUIC_SECRET_LEN])
{
	const struct ks_qc_version *v = ks_quic_params(version);
	__u8 initial[KS_QUIC_SECRET_LEN];
	int err;

	if (!v)
		return -1;
	err = ks_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, dcid, dcid_len, v->salt, sizeof(v->salt),
		      initial, sizeof(initial));
	/* "client in" is the same label in v1 and v2. */
	if (!err)
		err = ks_expand_label(initial, "client in", secret, KS_QUIC_SECRET_LEN);
	memset(initial, 0, sizeof(initial));
	return err;
}

int ks_quic_keys_from_secret(__u32 version, const __u8 secret[KS_QUIC_SECRET_LEN],
			     struct ks_quic_keys *k)
{
	const struct ks_qc_version *v = ks_quic_params(version);
	char key[16], iv[16], hp[16];       /* "quic key", "quicv2 iv"... */

	if (!v)
		return -1;
	snprintf(key, sizeof(key), "%.*skey", (int)v->prefix_len, (const char *)v->prefix);
	snprintf(iv, sizeof(iv), "%.*siv", (int)v->prefix_len, (const char *)v->prefix);
	snprintf(hp, sizeof(hp), "%.*shp", (int)v->prefix_len, (const char *)v->prefix);
	if (ks_expand_label(secret, key, k->key, sizeof(k->key)) ||
	    ks_expand_label(secret, iv, k->iv, sizeof(k->iv)) ||
	    ks_expand_label(secret, hp, k->hp, sizeof(k->hp)))
		return -1;
	return 0;
}

int ks_quic_client_keys(__u32 version, const __u8 *dcid, size_t dcid_len,
			struct ks_quic_keys *k)
{
	__u8 secret[KS_QUIC_SECRET_LEN];
	int err = ks_quic_client_secret(version, dcid, dcid_len, secret);

	if (!err)
		err = ks_quic_keys_from_secret(version, secret, k);
	return err;
}

int ks_quic_hp_mask(const __u8 hp[KS_QUIC_HP_LEN], const __u8 sample[KS_QUIC_SAMPLE_LEN],
		    __u8 mask[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, hp, NULL) > 0 &&
	     EVP_CIPHER_CTX_set_padding(c, 0) > 0 &&
	     EVP_EncryptUpdate(c, mask, &n, sample, KS_QUIC_SAMPLE_LEN) > 0 && n == 16;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* RFC 9001 5.3: the 62-bit packet number, left-padded, XORed into the IV. */
static void ks_quic_nonce(const struct ks_quic_keys *k, __u64 pn, __u8 nonce[KS_QUIC_IV_LEN])
{
	memcpy(nonce, k->iv, KS_QUIC_IV_LEN);
	for (int i = 0; i < 8; i++)
		nonce[KS_QUIC_IV_LEN - 1 - i] ^= (pn >> (8 * i)) & 0xff;
}

int ks_quic_aead_open(const struct ks_quic_keys *k, __u64 pn, const __u8 *aad, size_t aad_len,
		      const __u8 *ct, size_t ct_len, __u8 *out)
{
	EVP_CIPHER_CTX *c;
	__u8 nonce[KS_QUIC_IV_LEN], tag[KS_QUIC_TAG_LEN];
	int n = 0, fin, ok;

	if (ct_len < KS_QUIC_TAG_LEN || ct_len - KS_QUIC_TAG_LEN > 0x7fffffff || aad_len > 0x7fffffff)
		return KS_QUIC_AEAD_LIB;
	ks_quic_nonce(k, pn, nonce);
	memcpy(tag, ct + ct_len - KS_QUIC_TAG_LEN, KS_QUIC_TAG_LEN);
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) > 0 &&
	     EVP_DecryptUpdate(c, NULL, &n, aad, (int)aad_len) > 0 &&
	     EVP_DecryptUpdate(c, out, &n, ct, (int)(ct_len - KS_QUIC_TAG_LEN)) > 0 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, KS_QUIC_TAG_LEN, tag) > 0;
	fin = ok ? EVP_DecryptFinal_ex(c, out + n, &n) : 0;
	EVP_CIPHER_CTX_free(c);
	if (!ok)
		return KS_QUIC_AEAD_LIB;
	return fin > 0 ? 0 : KS_QUIC_AEAD_AUTH;
}

int ks_quic_aead_seal(const struct ks_quic_keys *k, __u64 pn, const __u8 *aad, size_t aad_len,
		      const __u8 *pt, size_t pt_len, __u8 *out)
{
	EVP_CIPHER_CTX *c;
	__u8 nonce[KS_QUIC_IV_LEN];
	int n = 0, ok;

	if (pt_len > 0x7fffffff || aad_len > 0x7fffffff)
		return KS_QUIC_AEAD_LIB;
	ks_quic_nonce(k, pn, nonce);
	c = EVP_CIPHER_CTX_new();
	ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, k->key, nonce) > 0 &&
	     EVP_EncryptUpdate(c, NULL, &n, aad, (int)aad_len) > 0 &&
	     EVP_EncryptUpdate(c, out, &n, pt, (int)pt_len) > 0 &&
	     EVP_EncryptFinal_ex(c, out + n, &n) > 0 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, KS_QUIC_TAG_LEN, out + pt_len) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : KS_QUIC_AEAD_LIB;
}
