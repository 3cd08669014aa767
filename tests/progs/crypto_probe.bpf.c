// SPDX-License-Identifier: GPL-2.0
/*
 * What this kernel's bpf_crypto offers the QUIC Initial path, for
 * tests/fixtures/test_quic_decrypt.c (docs/DESIGN.md, "Initials in the
 * kernel"): key_ctx, a syscall program, keys an "ecb(aes)" context with
 * ck.key and releases it (ck.err: 0, or the kernel's error); create_at_tc
 * tries the same from a TC program, which the verifier must refuse:
 * contexts are made only by sleepable programs, which is why the Initial
 * path, its keys new with every connection, has its own AES. (Using a
 * context from TC means keeping it in a map as a kptr, which needs BTF
 * type tags clang 14 does not emit: not done here.)
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

extern struct bpf_crypto_ctx *bpf_crypto_ctx_create(const struct bpf_crypto_params *params,
						    __u32 params__sz, int *err) __ksym;
extern void bpf_crypto_ctx_release(struct bpf_crypto_ctx *ctx) __ksym;

struct {
	__u8 key[16];
	int err;
} ck;

/* A context keyed with ck.key, or the error; in *err. */
static __always_inline void key_one(int *err)
{
	struct bpf_crypto_params p = { .type = "skcipher", .algo = "ecb(aes)", .key_len = 16 };
	struct bpf_crypto_ctx *c;

	__builtin_memcpy(p.key, ck.key, 16);
	c = bpf_crypto_ctx_create(&p, sizeof(p), err);
	if (c)
		bpf_crypto_ctx_release(c);
	else if (!*err)
		*err = -1;
}

SEC("syscall")
int key_ctx(void *arg)
{
	int err = 0;

	key_one(&err);
	ck.err = err;
	return 0;
}

SEC("tc")
int create_at_tc(struct __sk_buff *skb)
{
	int err = 0;

	key_one(&err);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
