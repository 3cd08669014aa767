/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Route lookup from a parsed ClientHello, shared by the TC and sk_reuseport
 * programs. Most specific host first (exact, then the longest wildcard,
 * then default); within a host, a route qualified by an ALPN protocol the
 * client offers beats the plain one. A host entry with only ALPN routes,
 * none of which match, falls through to the next shorter match.
 */
#ifndef KS_ROUTE_H
#define KS_ROUTE_H

#include "ks_bpf.h"

struct ks_route_scratch {
	struct ks_route_key key;
	struct ks_alpn_key akey;
	__u32 backend;        /* ALPN match result (map memory, see ks_walk) */
};

struct ks_rev_copy {
	struct ks_scratch *s;
	struct ks_route_key *key;
	__u32 len;
};

static long ks_rev_char(__u32 i, void *arg)
{
	struct ks_rev_copy *c = arg;

	if (i >= c->len)
		return 1;
	c->key->name[i & (KS_NAME_MAX - 1)] =
		c->s->hello.sni[(c->len - 1 - i) & KS_SNI_MAX];
	return 0;
}

struct ks_alpn_try {
	struct ks_scratch *s;
	struct ks_route_scratch *r;
};

static long ks_alpn_try_one(__u32 i, void *arg)
{
	struct ks_alpn_try *t = arg;
	struct ks_hello *h = &t->s->hello;
	__u32 k = i & (KS_MAX_ALPN - 1), len, off, j;
	__u32 *b;

	if (i >= h->alpn_count)
		return 1;
	len = h->alpn_len[k];
	off = h->alpn_off[k];
	if (len > KS_ALPN_KEY_MAX)            /* no route can name it */
		return 0;
	t->r->akey.len = len;
#pragma unroll
	for (j = 0; j < KS_ALPN_KEY_MAX; j++)
		t->r->akey.proto[j] = j < len ? t->s->hs[(off + j) & KS_HS_MASK] : 0;
	b = bpf_map_lookup_elem(&ks_alpn_routes, &t->r->akey);
	if (b) {
		t->r->backend = *b;
		return 1;
	}
	return 0;
}

/* Backend id for the parsed hello in s, 0 for no route. */
static __always_inline __u32 ks_route(struct ks_scratch *s, struct ks_route_scratch *r)
{
	struct ks_rev_copy c = { .s = s, .key = &r->key, .len = s->hello.sni_len };
	struct ks_alpn_try t = { .s = s, .r = r };
	struct ks_route_val *v;
	__u32 len = s->hello.sni_len & KS_SNI_MAX;

	bpf_loop(KS_SNI_MAX, ks_rev_char, &c, 0);
	r->key.name[len] = 0;
	r->key.prefixlen = len ? 8 * (len + 1) : 0;

	/* Each round drops at least one prefix byte; 4 rounds is plenty in
	 * practice and bounded by construction. */
#pragma unroll
	for (int round = 0; round < 4; round++) {
		v = bpf_map_lookup_elem(&ks_routes, &r->key);
		if (!v)
			return 0;
		if (v->flags & KS_RT_ALPN) {
			r->akey.route_id = v->route_id;
			r->backend = 0;
			bpf_loop(KS_MAX_ALPN, ks_alpn_try_one, &t, 0);
			if (r->backend)
				return r->backend;
		}
		if (v->flags & KS_RT_PLAIN)
			return v->backend;
		if (v->prefixlen == 0)
			return 0;
		r->key.prefixlen = v->prefixlen - 1;
	}
	return 0;
}

#endif
