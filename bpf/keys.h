/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SYN cookie keys as the TC program reads them: ks_keys
 * (include/ksteer_abi.h) holds one map, replaced whole on every change and
 * never written in place, so the snapshot a program looks up once stays
 * whole for the rest of its run.
 */
#ifndef KS_KEYS_H
#define KS_KEYS_H

#include "ks_bpf.h"

/* The published map: read-only to programs; user/keys.c creates each one
 * with these attributes (an inner map must match this template). */
struct ks_keys_inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_RDONLY_PROG);
	/* Sizes, not BTF types: clang emits the value type of an inner map
	 * only as a forward declaration, which libbpf cannot size. */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(struct ks_cookie_keys));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct ks_keys_inner);    /* last: a flexible array */
} ks_keys SEC(".maps");

/* The keys now, or NULL before `up` published the first ones. */
static __always_inline const struct ks_cookie_keys *ks_keys_now(void)
{
	__u32 zero = 0;
	void *set = bpf_map_lookup_elem(&ks_keys, &zero);

	return set ? bpf_map_lookup_elem(set, &zero) : NULL;
}

#endif
