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


/*
 * TC ingress's choice, for the sk_reuseport program of the group the
 * chosen socket is in: since 6.5 the kernel selects again inside the
 * group of a socket bpf_sk_assign gave the datagram to (inet_steal_sock),
 * on the same CPU in the same softirq, right after TC. TC notes the skb
 * (its sk_buff's address), its UDP length and the slot it chose; the
 * reuseport program that finds its own skb there selects that slot
 * without reading the packet again, and clears the note. Any other skb
 * (one that did not come through TC on this CPU: another device, a queue
 * that resumed it elsewhere) is looked up by its CIDs as before, so a
 * stale note decides nothing unless a new skb reuses a freed one's
 * address, length and all, without passing TC.
 */
struct ks_quic_note {
	__u64 skb;
	struct ks_slot slot;
	__u32 len;
	__u32 index;          /* 1 + the slot's KS_UDP_INDEX in ks_quic_sk; 0: not there */
	__u64 jiffies, ns;    /* ks_quic_now's clock, this CPU's */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_quic_note);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_note SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, KS_QUIC_SK_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_sk SEC(".maps");

static __always_inline struct ks_quic_note *ks_quic_note_get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ks_quic_note, &zero);
}

/*
 * Now, for last-seen times: bpf_ktime_get_ns() read once per jiffy per
 * CPU (bpf_jiffies64 is a load the verifier inlines; the clock read costs
 * some 25 ns a datagram), so up to a jiffy behind, never ahead: a sweep's
 * fresh clock never finds a time in its future.
 */
static __always_inline __u64 ks_quic_now(void)
{
	struct ks_quic_note *c = ks_quic_note_get();
	__u64 j = bpf_jiffies64();

	if (!c)
		return bpf_ktime_get_ns();
	if (c->jiffies != j) {
		c->jiffies = j;
		c->ns = bpf_ktime_get_ns();
	}
	return c->ns;
}

#define KS_QUIC_AMBIGUOUS 0   /* a pair two live servers answer: routes nothing */

/* a (a map value, maybe NULL) is slot b. */
static __always_inline int ks_same_slot(const struct ks_slot *a, const struct ks_slot *b)
{
	return a && a->backend == b->backend && a->slot == b->slot;
}

/* A last-seen time, rewritten at most once per KS_QUIC_SEEN_NS: a write
 * per packet would move the cache line between CPUs. 1 when rewritten. */
static __always_inline int ks_quic_touch(__u64 *seen, __u64 now)
{
	/* Signed: a time another CPU wrote may be ahead of this one's. */
	if ((__s64)(now - *seen) <= (__s64)KS_QUIC_SEEN_NS)
		return 0;
	*seen = now;
	return 1;
}

/* A server's CID in h->dcid: *slot set and 0 when learned, 1 when its
 * last-seen time was also due (at most once a second: what the caller
 * does on a connection's datagrams only now and then); -1: unknown. */
static __always_inline int ks_quic_scid_find(struct ks_quic_inv *h, struct ks_slot *slot)
{
	struct ks_quic_owner *o = bpf_map_lookup_elem(&ks_quic_scids, &h->dcid);

	if (!o)
		return -1;
	*slot = o->slot;
	return ks_quic_touch(&o->seen_ns, ks_quic_now());
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

/* The one bit set in x (a power of two): its index. */
static __always_inline __u32 ks_bit_index(__u32 x)
{
	return !!(x & 0xffff0000) << 4 | !!(x & 0xff00ff00) << 3 | !!(x & 0xf0f0f0f0) << 2 |
	       !!(x & 0xcccccccc) << 1 | !!(x & 0xaaaaaaaa);
}

/*
 * h->dcid = the first len bytes after a short header's first byte, as the
 * map key ks_cid_copy makes (len, the bytes, zeros), built a 32-bit word at
 * a time: raw[] and the key share their layout past the first byte (the
 * form byte where the key has its length), so each word is raw's, masked.
 * ~20 ns less a datagram than byte-at-a-time copying. Little-endian only
 * (byte 0 the word's low one); elsewhere ks_cid_copy.
 */
_Static_assert(__builtin_offsetof(struct ks_quic_inv, raw) % 4 == 0 &&
	       __builtin_offsetof(struct ks_quic_inv, dcid) % 4 == 0 &&
	       sizeof(struct ks_cid) % 4 == 0 && sizeof(struct ks_cid) <= 64,
	       "ks_cid_short_key reads raw[] and writes dcid in 32-bit words");

static __always_inline void ks_cid_short_key(struct ks_quic_inv *h, __u32 len)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const __u32 *r = (const __u32 *)h->raw;
	__u32 *k = (__u32 *)&h->dcid;

#pragma unroll
	for (int i = 0; i < (int)sizeof(struct ks_cid) / 4; i++) {
		__s32 n = (__s32)(len + 1) - 4 * i;   /* key bytes kept in word i */

		k[i] = n >= 4 ? r[i] : n > 0 ? r[i] & ((1u << (8 * n)) - 1) : 0;
	}
	k[0] = (k[0] & ~0xffu) | len;
#else
	ks_cid_copy(&h->dcid, &h->raw[1], len);
#endif
}

/* A short header's DCID is raw[1..], of a length only its server knows:
 * the lengths servers' CIDs were seen with, longest first (a shorter one
 * could be a prefix of another server's CID), then a QUIC-LB server ID.
 * When the servers use one length (the common case), that one lookup
 * alone. Only CIDs servers chose are looked up: a client's never route
 * here. As ks_quic_scid_find, and 1 for a QUIC-LB ID. */
static __always_inline int ks_quic_short_find(struct ks_quic_inv *h, struct ks_slot *slot, __u32 *how)
{
	__u32 zero = 0, *lens, one;
	int r;

	lens = bpf_map_lookup_elem(&ks_quic_cid_lens, &zero);
	if (lens && *lens && !(*lens & (*lens - 1))) {
		one = ks_bit_index(*lens);
		if (one >= 1 && one <= KS_CID_MAX && 1 + one <= h->raw_len) {
			ks_cid_short_key(h, one);
			r = ks_quic_scid_find(h, slot);
			if (r >= 0) {
				*how = KS_ST_QUIC_BY_CID;
				return r;
			}
		}
	} else if (lens && *lens) {
#pragma unroll
		for (int l = KS_CID_MAX; l >= 1; l--) {
			if (!(*lens & (1u << l)) || 1 + l > h->raw_len)
				continue;
			ks_cid_short_key(h, l);
			r = ks_quic_scid_find(h, slot);
			if (r >= 0) {
				*how = KS_ST_QUIC_BY_CID;
				return r;
			}
		}
	}
	if (ks_quic_lb_find(h, slot))
		return -1;
	*how = KS_ST_QUIC_BY_LB;
	return 1;
}

/* The same as a function of its own, for the paths that are not a group's
 * every datagram (ks_quic_short_find is inlined there: a BPF call and its
 * return cost a few ns with the return thunks of this CPU's mitigations). */
static __attribute__((noinline)) int ks_quic_short_lookup(struct ks_quic_inv *h, struct ks_slot *slot,
							   __u32 *how)
{
	return ks_quic_short_find(h, slot, how);
}

/* The server socket a client's packet belongs to, from its CIDs alone
 * (what sk_reuseport can see). Long headers: a server's CID, else the
 * client's first DCID that ksteerd routed. >= 0 and *slot set when known
 * (1: a last-seen time was due, or no time is kept: see
 * ks_quic_scid_find); a zero-length DCID names nothing (by pair, the
 * caller). */
static __always_inline int ks_quic_lookup(struct ks_quic_inv *h, struct ks_slot *slot, __u32 *how)
{
	struct ks_slot *v;

	if (!h->long_hdr)
		return ks_quic_short_lookup(h, slot, how);
	if (!h->dcid.len)
		return -1;
	*how = KS_ST_QUIC_BY_CID;
	if (ks_quic_scid_find(h, slot) >= 0)
		return 0;
	v = bpf_map_lookup_elem(&ks_quic_cids, &h->dcid);
	if (!v)
		return -1;
	*slot = *v;
	return 0;
}

#endif
