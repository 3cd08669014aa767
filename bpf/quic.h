/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC on the public UDP port: which server socket a datagram belongs to.
 *
 * Shared by TC ingress (bpf_sk_assign to the socket), TC egress (learning
 * the connection IDs servers choose) and sk_reuseport (selecting inside a
 * SO_REUSEPORT group). Only the invariant header fields (RFC 8999) are read:
 * version-independent, and nothing here needs a key.
 */
#ifndef KS_QUIC_H
#define KS_QUIC_H

#include "ks_bpf.h"


struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_QUIC_CIDS);
	__type(key, struct ks_cid);
	__type(value, struct ks_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_cids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_QUIC_CIDS);
	__type(key, struct ks_flow);
	__type(value, struct ks_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_peers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_MAX_BACKENDS * KS_MAX_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct ks_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_socks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_MAX_BACKENDS * KS_MAX_SLOTS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_quic_sid);
	__type(value, struct ks_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_lb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_lb_len SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_cid_lens SEC(".maps");

/* bpf_skb_load_bytes reads both a TC skb and an sk_reuseport context. */
#define KS_QLOAD(src, off, dst, len) bpf_skb_load_bytes((src), (off), (dst), (len))
#include "quic_inv.h"

/* A short header's DCID is raw[1..]: by QUIC-LB server ID, then by the
 * lengths of the CIDs learned. 0 and *slot set when found. */
static __always_inline int ks_quic_short_lookup(struct ks_quic_inv *h, struct ks_slot *slot,
						__u32 *how)
{
	struct ks_quic_sid sid = {};
	struct ks_slot *v;
	__u32 cr = h->raw[1] >> 5, zero = 0, *sl, *lens;

	sl = bpf_map_lookup_elem(&ks_quic_lb_len, &cr);
	if (sl && *sl && *sl <= KS_QUIC_SID_MAX && 2 + *sl <= h->raw_len) {
		sid.config = cr;
		sid.len = *sl;
#pragma unroll
		for (int i = 0; i < KS_QUIC_SID_MAX; i++)
			if (i < sid.len)
				sid.id[i] = h->raw[2 + i];
		v = bpf_map_lookup_elem(&ks_quic_lb, &sid);
		if (v) {
			*slot = *v;
			*how = KS_ST_QUIC_BY_LB;
			return 0;
		}
	}
	lens = bpf_map_lookup_elem(&ks_quic_cid_lens, &zero);
	if (!lens || !*lens)
		return -1;
#pragma unroll
	for (int l = 1; l <= KS_CID_MAX; l++) {
		if (!(*lens & (1u << l)) || 1 + l > h->raw_len)
			continue;
		ks_cid_copy(&h->dcid, &h->raw[1], l);
		v = bpf_map_lookup_elem(&ks_quic_cids, &h->dcid);
		if (v) {
			*slot = *v;
			*how = KS_ST_QUIC_BY_CID;
			return 0;
		}
	}
	return -1;
}

/* The server socket a client's packet belongs to, from its CIDs alone
 * (what sk_reuseport can see). 0 and *slot set when known. */
static __always_inline int ks_quic_lookup(struct ks_quic_inv *h, struct ks_slot *slot, __u32 *how)
{
	struct ks_slot *v;

	if (!h->long_hdr)
		return ks_quic_short_lookup(h, slot, how);
	v = bpf_map_lookup_elem(&ks_quic_cids, &h->dcid);
	if (!v)
		return -1;
	*slot = *v;
	*how = KS_ST_QUIC_BY_CID;
	return 0;
}

/*
 * A client address's only server: ks_quic_peers under the client's address
 * with port 0 (no real pair has it) holds the slot while every connection
 * learned from that address is on that one server, and backend 0 once two
 * servers were seen. A client that migrates to a new port with a new CID
 * (issued inside encrypted frames) is routed by it; a client address with
 * connections on two servers is not guessed.
 */
#define KS_HOST_AMBIGUOUS 0

/* a (a map value, maybe NULL) is slot b. */
static __always_inline int ks_same_slot(const struct ks_slot *a, const struct ks_slot *b)
{
	return a && a->backend == b->backend && a->slot == b->slot;
}

static __always_inline void ks_host_key(const struct ks_flow *pair, struct ks_flow *host)
{
	*host = *pair;
	host->sport = 0;
}

/* TC egress saw slot serve pair: record it for the client's address. */
static __always_inline void ks_host_learn(const struct ks_flow *pair, struct ks_flow *host,
					  const struct ks_slot *slot)
{
	struct ks_slot *v, amb = { KS_HOST_AMBIGUOUS, 0 };

	ks_host_key(pair, host);
	v = bpf_map_lookup_elem(&ks_quic_peers, host);
	if (!v)
		bpf_map_update_elem(&ks_quic_peers, host, slot, BPF_NOEXIST);
	else if (v->backend != KS_HOST_AMBIGUOUS && !ks_same_slot(v, slot))
		bpf_map_update_elem(&ks_quic_peers, host, &amb, BPF_ANY);
}

/* Whether the client's address has any QUIC connection we learned (one
 * server or several). */
static __always_inline int ks_host_known(const struct ks_flow *pair, struct ks_flow *host)
{
	ks_host_key(pair, host);
	return bpf_map_lookup_elem(&ks_quic_peers, host) != NULL;
}

/* 0 and *slot: the only server of the client's address; the new pair is
 * recorded so that its next packets need no guess. */
static __always_inline int ks_host_lookup(const struct ks_flow *pair, struct ks_flow *host,
					  struct ks_slot *slot)
{
	struct ks_slot *v;

	ks_host_key(pair, host);
	v = bpf_map_lookup_elem(&ks_quic_peers, host);
	if (!v || v->backend == KS_HOST_AMBIGUOUS)
		return -1;
	*slot = *v;
	bpf_map_update_elem(&ks_quic_peers, pair, slot, BPF_NOEXIST);
	return 0;
}

#endif
