/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ClientHello reassembly in the TC program.
 *
 * Browsers' post-quantum ClientHellos (1.9-2.3 KB) span two or three
 * segments on a 1500-byte MTU. Segments that hold part of a ClientHello are
 * kept in an LRU map by 4-tuple (and dropped: the client will see them
 * acknowledged later). When the bytes from ISN + 1 on make a whole
 * ClientHello, the segment in hand is rewritten to carry all of them from
 * ISN + 1, and the connection is created from it: the backend's child
 * socket gets the whole ClientHello at once, with no retransmission timeout
 * waited for. Retransmissions of the dropped segments arrive later at the
 * established socket as duplicates of acknowledged data.
 *
 * A later segment arriving before the first cannot be verified (the cookie
 * MAC covers the ISN); it is held, unverified, for KS_REASM_EARLY_NS in a
 * map of its own (spoofed segments can only evict each other) and used
 * once the first segment verifies.
 *
 * State is bounded and never lost silently: a full table, a flow past its
 * lifetime or with too many segments goes to ksteerd with every byte we
 * acknowledged (the segment in hand is rewritten to carry them), so
 * exhaustion costs a userspace step, never a stall or a misroute. Entries
 * whose client went away are swept when the table fills.
 */
#ifndef KS_REASM_H
#define KS_REASM_H

#include "ks_bpf.h"
#include "packet.h"

#define KS_RING_MASK (KS_REASM_RING - 1)

struct {
	__uint(type, BPF_MAP_TYPE_HASH);      /* full is seen, not evicted */
	__uint(max_entries, KS_REASM_ENTRIES);
	__uint(map_flags, BPF_F_NO_PREALLOC);  /* 16 KB an entry: only while in use */
	__type(key, struct ks_flow);
	__type(value, struct ks_reasm);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_REASM_EARLY_ENTRIES);
	__type(key, struct ks_flow);
	__type(value, struct ks_reasm);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm_early SEC(".maps");

static __always_inline int ks_reasm_expired(const struct ks_reasm *e)
{
	__u64 age = bpf_ktime_get_ns() - e->born_ns;

	return age > (e->verified ? KS_REASM_LIFE_NS : KS_REASM_EARLY_NS);
}

/* ---- sweeping abandoned entries --------------------------------------- */

static __u64 ks_reasm_last_sweep;

static long ks_reasm_sweep_one(struct bpf_map *map, const struct ks_flow *key,
			       struct ks_reasm *e, __u64 *now)
{
	if (*now - e->born_ns > KS_REASM_GC_NS && !bpf_map_delete_elem(map, key))
		ks_count(KS_ST_REASM_SWEPT);
	return 0;
}

/* The table is full: drop entries whose client went silent long ago (a
 * live client retransmits within seconds). At most once per
 * KS_REASM_SWEEP_NS, so a full table of live flows costs one walk. */
static __always_inline void ks_reasm_sweep(void)
{
	__u64 now = bpf_ktime_get_ns();

	if (now - ks_reasm_last_sweep < KS_REASM_SWEEP_NS)
		return;
	ks_reasm_last_sweep = now;
	bpf_for_each_map_elem(&ks_reasm, ks_reasm_sweep_one, &now, 0);
}

/* Keep this segment's payload in e's ring. 0, or -1 when it cannot be kept. */
static __always_inline int ks_reasm_store(struct __sk_buff *skb, const struct ks_pkt *p,
					  struct ks_reasm *e)
{
	__u32 seq = bpf_ntohl(p->th.seq), len = p->len - p->payload, at, n1, n2, i, k;

	if (len == 0)
		return 0;
	if (len >= KS_REASM_RING)
		return -1;
#pragma unroll
	for (i = 0; i < KS_REASM_SEGS; i++)
		if (i < e->nseg && e->seg_seq[i] == seq && e->seg_len[i] >= len)
			return 0;                 /* a retransmission we have */
	if (e->nseg >= KS_REASM_SEGS)
		return -1;
	if (e->verified && seq + len - (e->isn + 1) > KS_HS_MAX)
		return -1;                        /* past any ClientHello we parse */
	at = seq & KS_RING_MASK;
	n1 = KS_REASM_RING - at;
	if (n1 > len)
		n1 = len;
	n1 &= KS_RING_MASK;
	if (n1 && bpf_skb_load_bytes(skb, p->payload, &e->ring[at], n1))
		return -1;
	n2 = (len - n1) & KS_RING_MASK;           /* the part that wraps */
	if (len > n1 && n2 && bpf_skb_load_bytes(skb, p->payload + n1, &e->ring[0], n2))
		return -1;
	k = e->nseg & (KS_REASM_SEGS - 1);
	e->seg_seq[k] = seq;
	e->seg_len[k] = len;
	e->nseg++;
	return 0;
}

/* Bytes held contiguously from ISN + 1. */
static __always_inline __u32 ks_reasm_contig(const struct ks_reasm *e)
{
	__u32 start = e->isn + 1, cur = start, pass, i;

#pragma unroll
	for (pass = 0; pass < KS_REASM_SEGS; pass++)
#pragma unroll
		for (i = 0; i < KS_REASM_SEGS; i++) {
			__u32 q = e->seg_seq[i], l = e->seg_len[i];

			if (i < e->nseg && (__s32)(cur - q) >= 0 && (__s32)(q + l - cur) > 0)
				cur = q + l;
		}
	return cur - start;
}

/* Copy n bytes from ISN + 1 out of the ring into lin, zero-padded to 4. */
static __always_inline void ks_reasm_linear(const struct ks_reasm *e, __u8 *lin, __u32 n)
{
	__u32 start = (e->isn + 1) & KS_RING_MASK, n1 = KS_REASM_RING - start;

	if (n1 > n)
		n1 = n;
	n1 &= KS_HS_MASK;
	bpf_probe_read_kernel(lin, n1, &e->ring[start]);
	if (n > n1)
		bpf_probe_read_kernel(lin + n1, (n - n1) & KS_HS_MASK, &e->ring[0]);
	lin[n & KS_HS_MASK] = 0;
	lin[(n + 1) & KS_HS_MASK] = 0;
	lin[(n + 2) & KS_HS_MASK] = 0;
}

/* ---- rewriting the segment ------------------------------------------- */

struct ks_rewrite {
	__u8 hdr[64];         /* TCP header + options, seq and check updated */
	__u32 pseudo[10];
	__u32 off;            /* checksum walk over lin (map memory) */
	__u32 len;
	__s64 sum;
};

struct ks_sum_walk {
	struct ks_rewrite *rw;
	__u8 *lin;
};

static long ks_sum_step(__u32 i, void *arg)
{
	struct ks_sum_walk *w = arg;
	struct ks_rewrite *rw = w->rw;
	__u32 off = rw->off, n;

	if (off >= rw->len)
		return 1;
	n = rw->len - off;
	if (n > 512)
		n = 512;                          /* bpf_csum_diff's limit */
	rw->sum = bpf_csum_diff(0, 0, (void *)(w->lin + (off & KS_HS_MASK)), n & 1020,
				(__u32)rw->sum);
	rw->off = off + 512;
	return 0;
}

/*
 * Make the skb a segment at seq ISN + 1 whose payload is lin[0..n): new
 * length, IP length and checksum, TCP seq and a full TCP checksum.
 */
static __always_inline int ks_reasm_rewrite(struct __sk_buff *skb, struct ks_pkt *p,
					    struct ks_rewrite *rw, __u8 *lin, __u32 n, __u32 isn)
{
	__u32 hl = (p->payload - p->l4) & 63, total = p->payload + n, tcplen = hl + n;
	struct ks_tcp *t = (void *)rw->hdr;
	struct ks_sum_walk w = { .rw = rw, .lin = lin };
	__u16 check;
	__s64 cs;

	n &= KS_HS_MASK;
	if (n == 0 || hl < 20 || bpf_skb_change_tail(skb, total, 0))
		return -1;
	if (bpf_skb_store_bytes(skb, p->payload, lin, n, BPF_F_RECOMPUTE_CSUM))
		return -1;
	if (p->v6) {
		/* Extension headers, if any, stay between the two. */
		__be16 plen = bpf_htons(p->l4 - p->l3 - 40 + tcplen);

		if (bpf_skb_store_bytes(skb, p->l3 + 4, &plen, 2, BPF_F_RECOMPUTE_CSUM))
			return -1;
		__builtin_memcpy(rw->pseudo, p->saddr, 16);
		__builtin_memcpy(rw->pseudo + 4, p->daddr, 16);
		rw->pseudo[8] = bpf_htonl(tcplen);
		rw->pseudo[9] = bpf_htonl(IPPROTO_TCP);
	} else {
		__be16 old_len, new_len = bpf_htons(p->l4 - p->l3 + tcplen);

		if (bpf_skb_load_bytes(skb, p->l3 + 2, &old_len, 2) ||
		    bpf_l3_csum_replace(skb, p->l3 + 10, old_len, new_len, 2) ||
		    bpf_skb_store_bytes(skb, p->l3 + 2, &new_len, 2, BPF_F_RECOMPUTE_CSUM))
			return -1;
		rw->pseudo[0] = p->saddr[0];
		rw->pseudo[1] = p->daddr[0];
		rw->pseudo[2] = bpf_htonl(IPPROTO_TCP << 16 | tcplen);
	}
	__builtin_memcpy(rw->hdr, &p->th, 20);
	__builtin_memcpy(rw->hdr + 20, p->opts, 40);
	t->seq = bpf_htonl(isn + 1);
	t->check = 0;
	cs = bpf_csum_diff(0, 0, rw->pseudo, p->v6 ? 40 : 12, 0);
	cs = bpf_csum_diff(0, 0, (void *)rw->hdr, hl & 60, (__u32)cs);
	rw->sum = cs;
	rw->off = 0;
	rw->len = (n + 3) & ~3u;                  /* lin is zero-padded */
	bpf_loop(KS_HS_MAX / 512 + 1, ks_sum_step, &w, 0);
	check = ks_csum_fold(rw->sum);
	t->check = check;
	if (bpf_skb_store_bytes(skb, p->l4, rw->hdr, 20, BPF_F_RECOMPUTE_CSUM))
		return -1;
	p->th.seq = t->seq;
	p->len = total;
	return 0;
}

#endif
