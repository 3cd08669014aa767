/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A new QUIC connection's first datagram held at TC while its ClientHello
 * is partial (Chromium's post-quantum ones span two datagrams), so that
 * the kernel routes it with the next one and no userspace (docs/DESIGN.md,
 * "ClientHellos over two datagrams"). An entry keeps the datagram's UDP
 * header and payload as they came, the CRYPTO stream its frames gave
 * (decrypted bytes by offset, bpf/quic_route.h's) and when it was made:
 *
 *   key:   client address pair (struct ks_flow) + the Initial's DCID
 *   value: born | state | raw_len | prefix | msg_len | version | ip_head |
 *          keys | have[] | stream | raw
 *
 * When the next datagram makes the ClientHello whole, both go to the
 * server: the route installed first, that datagram cloned back into the
 * device's ingress (bpf_clone_redirect: TC sees it again and steers it by
 * the DCID now in ks_quic_cids, undecrypted), and this skb rewritten into
 * the held datagram (bpf_skb_change_tail, store_bytes, the IP length) and
 * given to the server's socket: the server receives them in the client's
 * order. When it does not (a third datagram needed, a frame the kernel
 * does not read), both go to ksteerd the same way, and the entry says so
 * for its life: the connection's later Initials go to ksteerd too. Anyone
 * can send Initials, so entries are bounded: KS_QH_MAX in all, KS_QH_SOURCE
 * new ones a second per client /24 (IPv4) or /64 (IPv6), each for
 * KS_QH_LIFE_NS; past a bound, ksteerd's path as before, counted.
 */
#ifndef KS_QUIC_HOLD_H
#define KS_QUIC_HOLD_H

#include "quic_route.h"

#define KS_QH_MAX 512                     /* held datagrams, all clients */
#define KS_QH_SOURCE 16                   /* new holds a second per /24 or /64 */
#define KS_QH_LIFE_NS 1000000000ull       /* an entry's life */
#define KS_QH_RAW (KS_QC_BUF + 8)         /* the UDP header and payload */
#define KS_QH_E2BIG 7                     /* errno: the map is full */

enum ks_qh_state {
	KS_QH_HELD = 1,                   /* raw waits for the next datagram */
	KS_QH_KSTEERD,                    /* given up: the connection is ksteerd's */
};

/* struct ks_qh_key (the pair and the DCID) is struct ks_qk's key. */

struct ks_qh {
	__u64 born_ns;
	__u32 state;                      /* enum ks_qh_state */
	__u32 raw_len;                    /* UDP header + payload, 8..KS_QH_RAW */
	__u32 prefix, msg_len;            /* the walk's (struct ks_qk) */
	__u32 version;                    /* its keys': the next datagram's if the same */
	__u8 ip_head[4];                  /* its IP header's first 4 bytes: the TOS (v4), traffic class and flow label (v6) */
	struct ks_qc_keys k;
	__u64 have[KS_QK_STREAM / 64];
	__u8 stream[KS_QK_STREAM];
	__u8 raw[KS_QH_RAW];
};

struct ks_qh_src {
	__u64 win_ns;                     /* this second began */
	__u32 n;                          /* holds in it */
	__u32 pad;
};

struct ks_qh_net {
	__u32 v6;
	__u32 net[2];                     /* /24 in [0], or /64 */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_QH_MAX);
	__type(key, struct ks_qh_key);
	__type(value, struct ks_qh);
} ks_quic_held SEC(".maps");

/* Per source network: LRU, so a spoofed flood of networks only forgets
 * counts (the total bound above still holds). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4 * KS_QH_MAX);
	__type(key, struct ks_qh_net);
	__type(value, struct ks_qh_src);
} ks_quic_held_src SEC(".maps");

/* A new entry is built here (hash map values are copied in whole). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_qh);
} ks_tc_qh_tmp SEC(".maps");

/* The entry of this (pair, DCID), if alive; one past its life deleted:
 * its datagram was never delivered (the client resends its data). */
static __always_inline struct ks_qh *ks_qh_find(const struct ks_qh_key *k, __u64 now)
{
	struct ks_qh *h = bpf_map_lookup_elem(&ks_quic_held, k);

	if (!h || now - h->born_ns <= KS_QH_LIFE_NS)
		return h;
	if (h->state == KS_QH_HELD)
		ks_count(KS_ST_QH_EXPIRED);
	bpf_map_delete_elem(&ks_quic_held, k);
	return NULL;
}

struct ks_qh_sweep { __u64 now; };

static long ks_qh_sweep_one(struct bpf_map *map, const void *key, struct ks_qh *h,
			    struct ks_qh_sweep *c)
{
	if (c->now - h->born_ns > KS_QH_LIFE_NS && !bpf_map_delete_elem(map, key) &&
	    h->state == KS_QH_HELD)
		ks_count(KS_ST_QH_EXPIRED);
	return 0;
}

/* May the client's network make one more entry this second? */
static __always_inline int ks_qh_source_ok(const struct ks_flow *f, __u64 now)
{
	struct ks_qh_net k = { .v6 = f->v6, .net = { f->saddr[0], f->saddr[1] } };
	struct ks_qh_src fresh = { .win_ns = now, .n = 1 }, *e;

	if (!f->v6) {
		k.net[0] &= bpf_htonl(0xffffff00);
		k.net[1] = 0;
	}
	e = bpf_map_lookup_elem(&ks_quic_held_src, &k);
	if (!e || now - e->win_ns > KS_QH_LIFE_NS) {
		bpf_map_update_elem(&ks_quic_held_src, &k, &fresh, BPF_ANY);
		return 1;
	}
	if (e->n >= KS_QH_SOURCE)
		return 0;
	__sync_fetch_and_add(&e->n, 1);
	return 1;
}

/*
 * Keep the datagram (its UDP header at p->l4, through p->len) with the
 * stream w's walk left, in a new entry for k. 0: held (the caller drops
 * the skb); else counted, and the datagram is ksteerd's.
 */
static __attribute__((noinline)) int ks_qh_hold(struct __sk_buff *skb, const struct ks_pkt *p,
						const struct ks_qh_key *k, struct ks_qk *w)
{
	__u32 zero = 0, len = p->len - p->l4;
	struct ks_qh *t = bpf_map_lookup_elem(&ks_tc_qh_tmp, &zero);
	struct ks_qh_sweep c = { .now = bpf_ktime_get_ns() };
	long err;

	if (!t || len < 8 || len > KS_QH_RAW)
		return -1;
	if (!ks_qh_source_ok(&k->pair, c.now)) {
		ks_count(KS_ST_QH_SOURCE);
		return -1;
	}
	t->born_ns = c.now;
	t->state = KS_QH_HELD;
	t->raw_len = len;
	t->prefix = w->prefix;
	t->msg_len = w->msg_len;
	t->version = w->c.version;
	t->k = w->c.k;
	__builtin_memcpy(t->have, w->have, sizeof(t->have));
	if (bpf_probe_read_kernel(t->stream, sizeof(t->stream), &w->lin[KS_QK_HDR]) ||
	    bpf_skb_load_bytes(skb, p->l3, t->ip_head, sizeof(t->ip_head)) ||
	    bpf_skb_load_bytes(skb, p->l4, t->raw, len))
		return -1;
	err = bpf_map_update_elem(&ks_quic_held, k, t, BPF_NOEXIST);
	if (err == -KS_QH_E2BIG) {
		/* Full: those past their life swept, then once more. */
		bpf_for_each_map_elem(&ks_quic_held, ks_qh_sweep_one, &c, 0);
		err = bpf_map_update_elem(&ks_quic_held, k, t, BPF_NOEXIST);
		if (err == -KS_QH_E2BIG)
			ks_count(KS_ST_QH_FULL);
	}
	if (err)
		return -1;
	ks_count(KS_ST_QH_HELD);
	return 0;
}

/* The held datagram's keys for the next one (or none, h NULL): the same
 * DCID and, if the same version, the same keys, not derived again. */
static __always_inline void ks_qh_keys(struct ks_qk *w, const struct ks_qh *h)
{
	w->keyed = h && h->state == KS_QH_HELD;
	if (!w->keyed)
		return;
	w->keyed_version = h->version;
	w->keyed_k = h->k;
}

/* w's stream as the held datagram left it, for the next one's walk (its
 * keys are set before it is opened: ks_qh_keys). */
static __always_inline int ks_qh_resume(struct ks_qk *w, const struct ks_qh *h)
{
	w->prefix = h->prefix;
	w->msg_len = h->msg_len;
	__builtin_memcpy(w->have, h->have, sizeof(w->have));
	return bpf_probe_read_kernel(&w->lin[KS_QK_HDR], sizeof(h->stream), h->stream);
}

/* The held datagram's own TOS byte (DSCP, ECN) back in the header it now
 * has, the second's: IPv4's TOS with its header checksum; IPv6's first
 * four bytes (version, traffic class, flow label), which no checksum
 * covers. The ECN bits a server counts are each datagram's. */
static __always_inline int ks_qh_ip_head(struct __sk_buff *skb, const struct ks_pkt *p,
					 const struct ks_qh *h)
{
	__u8 w[2];
	__be16 old, neu;

	if (p->v6)
		return bpf_skb_store_bytes(skb, p->l3, h->ip_head, 4, 0);
	if (bpf_skb_load_bytes(skb, p->l3, w, 2))
		return -1;
	__builtin_memcpy(&old, w, 2);
	w[1] = h->ip_head[1];                 /* the TOS; version and IHL stay this skb's */
	__builtin_memcpy(&neu, w, 2);
	if (old == neu)
		return 0;
	if (bpf_l3_csum_replace(skb, p->l3 + 10, old, neu, 2))
		return -1;
	return bpf_skb_store_bytes(skb, p->l3, &neu, 2, 0);
}

/*
 * Both datagrams out, in the client's order: this skb (the second) cloned
 * into its device's ingress, where TC steers it again by what the caller
 * installed (or by the entry's KS_QH_KSTEERD), then the skb made into the
 * held datagram: its UDP header and payload, the IP length to match (IPv4's
 * header checksum with it; the UDP checksum is the held one's, over the
 * same addresses). 0: the skb is the held datagram; 1: the clone failed, the
 * skb unchanged; -1: the clone is out, the skb unusable (drop it).
 */
static __attribute__((noinline)) int ks_qh_swap(struct __sk_buff *skb, const struct ks_pkt *p,
						const struct ks_qh *h)
{
	__u32 at = p->l3 + (p->v6 ? 4 : 2), len = h->raw_len, now_len = p->len - p->l4;
	__be16 old, neu;

	if (len < 8 || len > KS_QH_RAW || bpf_skb_load_bytes(skb, at, &old, 2))
		return 1;
	if (bpf_clone_redirect(skb, skb->ifindex, BPF_F_INGRESS))
		return 1;
	neu = bpf_htons(bpf_ntohs(old) + len - now_len);
	if (bpf_skb_change_tail(skb, p->l4 + len, 0) ||
	    bpf_skb_store_bytes(skb, p->l4, h->raw, len, BPF_F_RECOMPUTE_CSUM))
		return -1;
	if (!p->v6 && bpf_l3_csum_replace(skb, p->l3 + 10, old, neu, 2))
		return -1;
	if (bpf_skb_store_bytes(skb, at, &neu, 2, 0))
		return -1;
	return ks_qh_ip_head(skb, p, h) ? -1 : 0;
}

#endif
