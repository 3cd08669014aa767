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


/* Sizes: `up` sets the learned tables' from --quic-entries (KS_QUIC_OFF
 * without --quic); every program's copy is the one pinned map. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_QUIC_OFF);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_cid);
	__type(value, struct ks_quic_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_scids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_QUIC_OFF);
	__type(key, struct ks_cid);
	__type(value, struct ks_slot);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_cids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_QUIC_OFF);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_flow);
	__type(value, struct ks_quic_owner);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_paths SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_QUIC_OFF);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_flow);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_QUIC_PROBES);
	__type(key, struct ks_flow);
	__type(value, struct ks_quic_probe);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_probes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_QUIC_OFF);
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


#define KS_QUIC_AMBIGUOUS 0   /* a pair two live servers answer: routes nothing */

/* a (a map value, maybe NULL) is slot b. */
static __always_inline int ks_same_slot(const struct ks_slot *a, const struct ks_slot *b)
{
	return a && a->backend == b->backend && a->slot == b->slot;
}

/* A last-seen time, rewritten at most once per KS_QUIC_SEEN_NS: a write
 * per packet would move the cache line between CPUs. */
static __always_inline void ks_quic_touch(__u64 *seen, __u64 now)
{
	if (now - *seen > KS_QUIC_SEEN_NS)
		*seen = now;
}

/* A server's CID in h->dcid: 0 and *slot set when learned. */
static __always_inline int ks_quic_scid_find(struct ks_quic_inv *h, struct ks_slot *slot)
{
	struct ks_quic_owner *o = bpf_map_lookup_elem(&ks_quic_scids, &h->dcid);

	if (!o)
		return -1;
	*slot = o->slot;
	ks_quic_touch(&o->seen_ns, bpf_ktime_get_ns());
	return 0;
}

/* A QUIC-LB plaintext server ID in the DCID (raw[1..]): 0 and *slot set. */
static __always_inline int ks_quic_lb_find(struct ks_quic_inv *h, struct ks_slot *slot)
{
	struct ks_quic_sid sid = {};
	struct ks_slot *v;
	__u32 cr = h->raw[1] >> 5, *sl;

	sl = bpf_map_lookup_elem(&ks_quic_lb_len, &cr);
	if (!sl || !*sl || *sl > KS_QUIC_SID_MAX || 2 + *sl > h->raw_len)
		return -1;
	sid.config = cr;
	sid.len = *sl;
#pragma unroll
	for (int i = 0; i < KS_QUIC_SID_MAX; i++)
		if (i < sid.len)
			sid.id[i] = h->raw[2 + i];
	v = bpf_map_lookup_elem(&ks_quic_lb, &sid);
	if (!v)
		return -1;
	*slot = *v;
	return 0;
}

/* A short header's DCID is raw[1..], of a length only its server knows:
 * the lengths servers' CIDs were seen with, longest first (a shorter one
 * could be a prefix of another server's CID), then a QUIC-LB server ID.
 * Only CIDs servers chose are looked up: a client's never route here. */
static __attribute__((noinline)) int ks_quic_short_lookup(struct ks_quic_inv *h, struct ks_slot *slot,
							   __u32 *how)
{
	__u32 zero = 0, *lens;

	lens = bpf_map_lookup_elem(&ks_quic_cid_lens, &zero);
	if (lens && *lens) {
#pragma unroll
		for (int l = KS_CID_MAX; l >= 1; l--) {
			if (!(*lens & (1u << l)) || 1 + l > h->raw_len)
				continue;
			ks_cid_copy(&h->dcid, &h->raw[1], l);
			if (!ks_quic_scid_find(h, slot)) {
				*how = KS_ST_QUIC_BY_CID;
				return 0;
			}
		}
	}
	if (ks_quic_lb_find(h, slot))
		return -1;
	*how = KS_ST_QUIC_BY_LB;
	return 0;
}

/* The server socket a client's packet belongs to, from its CIDs alone
 * (what sk_reuseport can see). Long headers: a server's CID, else the
 * client's first DCID that ksteerd routed. 0 and *slot set when known; a
 * zero-length DCID names nothing (by pair, the caller). */
static __always_inline int ks_quic_lookup(struct ks_quic_inv *h, struct ks_slot *slot, __u32 *how)
{
	struct ks_slot *v;

	if (!h->long_hdr)
		return ks_quic_short_lookup(h, slot, how);
	if (!h->dcid.len)
		return -1;
	*how = KS_ST_QUIC_BY_CID;
	if (!ks_quic_scid_find(h, slot))
		return 0;
	v = bpf_map_lookup_elem(&ks_quic_cids, &h->dcid);
	if (!v)
		return -1;
	*slot = *v;
	return 0;
}

#endif
