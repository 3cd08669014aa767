/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Route lookup from a parsed ClientHello (or an HTTP request's host, or
 * SSH's nothing, each in its route space: s->hello.space): shared by the TC and sk_reuseport
 * programs and by ksteerd, like the parser. Most specific host first
 * (exact, then the longest wildcard, then default); within a host, a route
 * qualified by an ALPN protocol the client offers beats the plain one. A
 * host entry with only ALPN routes, none of which match, falls through to
 * the next shorter match.
 *
 * The includer defines, besides the parser's KS_LOOP:
 *   KS_RT_LOOKUP(key, val)    copy the ks_routes value for key into *val,
 *                             0 if found
 *   KS_ALPN_LOOKUP(akey, b)   copy the ks_alpn_routes value into *b, 0 if found
 */
#ifndef KS_ROUTE_H
#define KS_ROUTE_H

/* ks_route of a named prefix (tls_hello.h KS_NAMED_SNI) whose route may
 * still depend on an ALPN extension to come: wait for the whole hello.
 * Never a backend id (those are below KS_MAX_BACKENDS). */
#define KS_ROUTE_LATER 0xffffffffu

struct ks_route_scratch {
	struct ks_route_key key;
	struct ks_alpn_key akey;
	struct ks_route_val val;
	__u32 backend;        /* ALPN match result (map memory, see ks_walk) */
};

struct ks_route_ctx {
	struct ks_scratch *s;
	struct ks_route_scratch *r;
	__u32 base;           /* bytes of the space's prefix */
	__u32 len;            /* of the name */
};

/* Character k of the name reversed into the key after the space's prefix. */
static __always_inline int ks_rev_one(struct ks_route_ctx *c, __u32 k)
{
	__u32 len = c->len;

	if (k >= len)
		return 1;
	c->r->key.name[(c->base + k) & (KS_NAME_MAX - 1)] =
		c->s->hello.sni[(len - 1 - k) & KS_SNI_MAX];
	return 0;
}

KS_STEPS(ks_rev_chars, struct ks_route_ctx, KS_SNI_STEP, ks_rev_one)

static long ks_alpn_try_one(__u32 i, void *arg)
{
	struct ks_route_ctx *c = arg;
	struct ks_hello *h = &c->s->hello;
	struct ks_alpn_key *ak = &c->r->akey;
	__u32 k = i & (KS_MAX_ALPN - 1), len, off, j;

	if (i >= h->alpn_count)
		return 1;
	len = h->alpn_len[k];
	off = h->alpn_off[k];
	if (len > KS_ALPN_KEY_MAX)            /* no route can name it */
		return 0;
	ak->len = len;
#pragma unroll
	for (j = 0; j < KS_ALPN_KEY_MAX; j++)
		ak->proto[j] = j < len ? c->s->hs[(off + j) & KS_HS_MASK] : 0;
	return KS_ALPN_LOOKUP(ak, &c->r->backend) == 0;
}

/* Backend id for the parsed hello in s, 0 for no route, KS_ROUTE_LATER
 * (a named prefix only) when an ALPN route may yet match (a subprogram in
 * BPF: one copy for its call sites). */
static __attribute__((noinline)) __u32 ks_route(struct ks_scratch *s, struct ks_route_scratch *r)
{
	struct ks_route_ctx c = { .s = s, .r = r };
	struct ks_route_val *v = &r->val;
	__u32 base = ks_space_prefix(s->hello.space, r->key.name) & 3;
	__u32 len = s->hello.sni_len & KS_SNI_MAX;

	if (len > KS_NAME_MAX - 1 - base)
		len = 0;                          /* no room for it: the default */
	c.base = base;
	c.len = len;
	KS_LOOP(KS_STEPS_FOR(KS_SNI_MAX, KS_SNI_STEP), ks_rev_chars, &c);
	r->key.name[(base + len) & (KS_NAME_MAX - 1)] = 0;
	r->key.prefixlen = 8 * (len ? base + len + 1 : base);

	/* Each round drops at least one prefix byte; 4 rounds is plenty in
	 * practice and bounded by construction. */
#pragma unroll
	for (int round = 0; round < 4; round++) {
		if (KS_RT_LOOKUP(&r->key, v) || v->prefixlen < 8 * base)
			return 0;                 /* none, or another space's default */
		if (v->flags & KS_RT_ALPN) {
			/* Its ALPN may follow. (A caller that drops the name
			 * for the default drops sni_len: named is moot.) */
			if (s->hello.named == KS_NAMED_SNI && s->hello.sni_len)
				return KS_ROUTE_LATER;
			r->akey.route_id = v->route_id;
			r->backend = 0;
			KS_LOOP(KS_MAX_ALPN, ks_alpn_try_one, &c);
			if (r->backend)
				return r->backend;
		}
		if (v->flags & KS_RT_PLAIN)
			return v->backend;
		if (v->prefixlen <= 8 * base)
			return 0;
		r->key.prefixlen = v->prefixlen - 1;
	}
	return 0;
}

#endif
