/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ClientHello reassembly in the TC program: the state a ClientHello over
 * several segments is held in, and the operations on it. The decisions
 * (acknowledge, place, hand to ksteerd) are steer_tc.bpf.c's.
 *
 * Browsers' post-quantum ClientHellos (1.9-2.3 KB) span two or three
 * segments on a 1500-byte MTU; a ClientHello may reach 16 KB, in records as
 * small as one byte. The segments are held by sequence number and
 * acknowledged as they come, so the client sends on (and after a loss
 * resends the missing segment, not only its first). When the held bytes
 * make a whole ClientHello, the segment in hand is rewritten to carry them
 * from ISN + 1 and the connection is created from it.
 *
 * Memory. A held flow is a small entry in ks_reasm (sequence numbers, what
 * is covered, the record walk, where its pieces are); its bytes are in
 * 2 KB chunks of a preallocated pool, one piece of a segment in each from
 * the chunk's start, handed out by a queue of free ids, chained in the
 * order kept (each chunk says where its bytes go, and which is next). A hash map holding
 * the bytes inline was measured at 13.8 us of BPF time to create an entry
 * with an 8 KB ring and 205 us with a 32 KB one (the allocator, once per
 * flow); a chunk costs a queue pop. The pieces are copied into one linear
 * buffer (per CPU) when the record walk or the parser reads them.
 *
 * Who can create state, and what bounds it:
 *   ks_reasm      only a client that completed our cookie handshake (its
 *                 address is real); at most --reasm-entries flows, each at
 *                 most KS_REASM_LIFE_NS (then handed to ksteerd) and
 *                 KS_REASM_WIRE bytes; a client /24 (/64) holds at most
 *                 1/KS_REASM_SHARE of the pool; a full table or pool sends
 *                 the new flow to ksteerd as it is (nothing acknowledged
 *                 yet), after one bounded sweep of entries past their life
 *   ks_reasm_early anyone, spoofed addresses included: an LRU of
 *                 KS_REASM_EARLY_ENTRIES, 2 segments of 2 KB each, keyed by
 *                 the cookie the segment claims (a forged segment cannot
 *                 touch the real client's entry), never acknowledged, used
 *                 only once that cookie's first segment verifies, and then
 *                 only inside the ClientHello's window
 *
 * Every segment is checksum-verified before it is held or acknowledged: a
 * corrupted one is dropped (the client resends it), never rewritten under
 * a fresh checksum.
 */
#ifndef KS_REASM_H
#define KS_REASM_H

#include "ks_bpf.h"
#include "packet.h"
#include <bpf/bpf_core_read.h>

/* Held flows, by 4-tuple as the client sends it. A plain hash: full is
 * seen, never an eviction of a flow whose bytes we acknowledged.
 * Preallocated (~0.2 KB with its key, beside the pool's 8 KB a flow): each flow
 * creates and deletes an entry, and the allocator's way (BPF_F_NO_PREALLOC)
 * was a fifth of a held connection's TC time (perf, bench/bpf_conn.sh). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_REASM_ENTRIES);
	__type(key, struct ks_flow);
	__type(value, struct ks_reasm);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm SEC(".maps");

/* Their bytes, one piece per chunk (`up` sizes the pool). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_REASM_ENTRIES * KS_REASM_POOL_PER_FLOW);
	__type(key, __u32);
	__type(value, struct ks_reasm_chunk);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm_pool SEC(".maps");

/* Ids of the pool's free chunks (`up` fills it when it creates the pool). */
struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, KS_REASM_ENTRIES * KS_REASM_POOL_PER_FLOW);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm_free SEC(".maps");

/* Segments before the first, unverified, by (4-tuple, claimed cookie). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_REASM_EARLY_ENTRIES);
	__type(key, struct ks_early_key);
	__type(value, struct ks_early);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm_early SEC(".maps");

/* Chunks held by each client prefix: the share one client may take
 * (preallocated, as ks_reasm). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_REASM_ENTRIES);
	__type(key, struct ks_prefix);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm_src SEC(".maps");

/* Placed flows still held, counted by a hash of the 4-tuple; and at
 * KS_GATE_ALL all of them: while that is 0 (no held flow placed, the
 * common case) an established segment reads that one counter, which stays
 * cached, instead of its slot's, a cache miss in 16 KB of them (8 % of the
 * TC time of make bench's TLS workload, by perf). */
#define KS_GATE_ALL KS_REASM_GATE
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_REASM_GATE + 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_reasm_gate SEC(".maps");

#define KS_WIRE_MASK (KS_REASM_WIRE - 1)
_Static_assert(KS_WIRE_MASK <= KS_LIN_MASK, "the linear buffer holds what is held");

/* Past its life at now (read before e, which another CPU may have just
 * renewed: a negative age is not past it). */
static __always_inline int ks_reasm_expired(const struct ks_reasm *e, __u64 now)
{
	__s64 age = now - e->born_ns;

	return age > (__s64)(e->state == KS_RS_PLACED ? KS_REASM_PLACED_NS : KS_REASM_LIFE_NS);
}

/* ---- placed flows ------------------------------------------------------ */

/* A 4-tuple's gate counter: a cheap mix; a collision costs one lookup. */
static __always_inline __u32 ks_gate_of(const __u32 *saddr, const __u32 *daddr, __u16 sport,
					__u16 dport)
{
	__u32 h = saddr[0] ^ saddr[1] ^ saddr[2] ^ saddr[3] ^ daddr[0] ^ daddr[3] ^
		  ((__u32)sport << 16 | dport);

	return (h * 0x9e3779b1) >> 20;            /* KS_REASM_GATE is 2^12 */
}

static __always_inline void ks_gate_count(__u32 slot, int d)
{
	__u32 *c = bpf_map_lookup_elem(&ks_reasm_gate, &slot);

	if (c)
		__sync_fetch_and_add(c, d);
}

/* A placed flow more (d 1) or fewer (-1) in slot, and in all. A drop may
 * meet the entry between its placement's state and its count (the total
 * wraps below 0 for that moment): read as open, so never closed early. */
static __always_inline void ks_gate_add(__u32 slot, int d)
{
	ks_gate_count(slot, d);
	ks_gate_count(KS_GATE_ALL, d);
}

/* Whether a segment of this 4-tuple may have a placed flow's entry. */
static __always_inline int ks_gate_open(const struct ks_pkt *p)
{
	__u32 slot = KS_GATE_ALL, *c = bpf_map_lookup_elem(&ks_reasm_gate, &slot);

	if (c && !*c)
		return 0;                         /* none placed anywhere */
	slot = ks_gate_of(p->saddr, p->daddr, p->sport, p->dport);
	c = bpf_map_lookup_elem(&ks_reasm_gate, &slot);
	return c && *c;
}

/* ---- the share of one client ------------------------------------------- */

static __always_inline void ks_prefix_of(const struct ks_flow *f, struct ks_prefix *k)
{
	k->v6 = f->v6;
	k->addr[0] = f->v6 ? f->saddr[0] : f->saddr[0] & bpf_htonl(0xffffff00);
	k->addr[1] = f->v6 ? f->saddr[1] : 0;
}

/* Chunks one client prefix may hold: a share of the pool, and never too
 * few for one ClientHello as big as we hold. */
static __always_inline __u32 ks_share(void)
{
	__u32 n = ((struct bpf_map *)&ks_reasm_pool)->max_entries / KS_REASM_SHARE;

	return n < KS_REASM_PIECES ? KS_REASM_PIECES : n;
}

/*
 * d chunks more (or fewer) for prefix k; -1 when it would pass its share.
 * Both CPUs change a count at once, and an entry at zero is deleted while
 * another CPU may still hold it: an add can land in a deleted entry and be
 * lost, and its flow's later release then meets a fresh entry with less in
 * it. So the count changes by compare-and-swap, a release never takes it
 * below zero, and a taking never past the share: a lost add lets a client
 * past its share only while that flow lives. (A plain add and delete
 * wrapped a client's count to 2^32 - n, and refused every multi-segment
 * ClientHello of its /24 from then on: seen after ~10,000 connections from
 * one client on two CPUs.)
 */
static __always_inline int ks_prefix_add(const struct ks_prefix *k, int d)
{
	__u32 *n, zero = 0, old, want;

	n = bpf_map_lookup_elem(&ks_reasm_src, k);
	if (!n) {
		if (d <= 0)
			return 0;
		bpf_map_update_elem(&ks_reasm_src, k, &zero, BPF_NOEXIST);
		n = bpf_map_lookup_elem(&ks_reasm_src, k);
		if (!n)
			return -1;                /* the table of prefixes is full */
	}
	for (int tries = 0; tries < 8; tries++) {
		old = *n;
		if (d > 0 && old + d > ks_share())
			return -1;
		want = d < 0 && old < (__u32)-d ? 0 : old + d;
		if (__sync_val_compare_and_swap(n, old, want) == old) {
			if (want == 0)
				bpf_map_delete_elem(&ks_reasm_src, k);
			return 0;
		}
	}
	/* Eight CPUs' changes in between: as full, for a taking; a release
	 * not counted is one a later release's floor absorbs. */
	return d > 0 ? -1 : 0;
}

/* ---- pieces ------------------------------------------------------------ */

/*
 * Keep len bytes (from the skb at k->at, or from an early entry's buffer)
 * as pieces at sequence offset k->off: one chunk each, at most
 * KS_REASM_CHUNK bytes, from the chunk's start (so the verifier sees a
 * constant bound). The chunks are the client's share: -1 when that, the
 * pool or the entry's pieces run out (what was kept stays, counted).
 */
struct ks_keep {
	struct ks_prefix pk;
	__u32 at;             /* the bytes' offset in the skb or the buffer */
	__u32 off, len, done;
	__u32 taken;
	int err;
};

struct ks_keep_ctx {
	struct __sk_buff *skb;
	struct ks_reasm *e;
	const __u8 *src;      /* an early entry's bytes instead of the skb */
	struct ks_keep *k;
};

static long ks_keep_step(__u32 i, void *arg)
{
	struct ks_keep_ctx *c = arg;
	struct ks_keep *k = c->k;
	struct ks_reasm *e = c->e;
	struct ks_reasm_chunk *ch, *prev;
	__u32 n = k->len - k->done, id, prev_id, at = e->npiece;

	if (k->done >= k->len)
		return 1;
	if (n > KS_REASM_CHUNK)
		n = KS_REASM_CHUNK;
	if (at >= KS_REASM_PIECES || bpf_map_pop_elem(&ks_reasm_free, &id)) {
		k->err = 1;
		return 1;
	}
	ch = bpf_map_lookup_elem(&ks_reasm_pool, &id);
	if (!ch || n == 0 ||
	    (c->src ? bpf_probe_read_kernel(ch->b, n, c->src + ((k->at + k->done) & KS_WIRE_MASK))
		    : bpf_skb_load_bytes(c->skb, k->at + k->done, ch->b, n))) {
		bpf_map_push_elem(&ks_reasm_free, &id, 0);
		k->err = 1;
		return 1;
	}
	ch->off = k->off + k->done;
	ch->len = n;
	ch->next = KS_CHUNK_NONE;
	/* Chained after the tail, which it becomes: an exchange, so that two
	 * CPUs keeping pieces of one flow at once (a sender moving between
	 * CPUs) each get their own predecessor, and no chunk is lost. */
	prev_id = __sync_lock_test_and_set(&e->tail, id);
	prev = bpf_map_lookup_elem(&ks_reasm_pool, &prev_id);
	if (prev)
		prev->next = id;
	else
		e->head = id;                     /* the first piece */
	__sync_fetch_and_add(&e->npiece, 1);
	k->taken++;
	k->done += n;
	return 0;
}

static __attribute__((noinline)) int ks_reasm_keep(struct __sk_buff *skb, struct ks_reasm *e,
						   const __u8 *src, struct ks_keep *k)
{
	struct ks_keep_ctx c = { .skb = skb, .e = e, .src = src, .k = k };
	__u32 want = (k->len + KS_REASM_CHUNK - 1) / KS_REASM_CHUNK;

	k->done = 0;
	k->taken = 0;
	k->err = 0;
	if (!k->len || ks_prefix_add(&k->pk, want))
		return -1;
	bpf_loop(KS_REASM_PIECES + 1, ks_keep_step, &c, 0);
	if (k->taken < want)
		ks_prefix_add(&k->pk, -(int)(want - k->taken));
	return k->err || k->done != k->len ? -1 : 0;
}

/* Every chunk back to the pool, and the prefix's share with them: the
 * chain from its head, each next read before its chunk is pushed (once in
 * the queue, another CPU may take it and write it). */
struct ks_free_ctx {
	struct ks_reasm *e;
	__u32 cur;
};

static long ks_free_step(__u32 i, void *arg)
{
	struct ks_free_ctx *c = arg;
	struct ks_reasm_chunk *ch;
	__u32 id = c->cur;

	if (i >= c->e->npiece)
		return 1;
	ch = bpf_map_lookup_elem(&ks_reasm_pool, &id);
	if (!ch)
		return 1;
	c->cur = ch->next;
	bpf_map_push_elem(&ks_reasm_free, &id, 0);
	return 0;
}

/* Forget the flow: its chunks, its share, its gate count, its entry.
 * Once: two CPUs may meet the same entry (a client's segments sent from
 * one thread as it moves between CPUs), and a second free would put its
 * chunks in the free queue twice, for two flows to share. */
static __attribute__((noinline)) void ks_reasm_drop(struct ks_reasm *e, const struct ks_flow *f)
{
	struct ks_free_ctx c = { .e = e, .cur = e->head };
	struct ks_prefix pk;

	if (__sync_val_compare_and_swap(&e->dropping, 0, 1))
		return;
	bpf_loop(KS_REASM_PIECES, ks_free_step, &c, 0);
	ks_prefix_of(f, &pk);
	if (e->npiece)
		ks_prefix_add(&pk, -(int)e->npiece);
	e->npiece = 0;
	if (e->state == KS_RS_PLACED)
		ks_gate_add(e->gate, -1);
	bpf_map_delete_elem(&ks_reasm, f);
}

/* The held pieces into lin (KS_LIN_BUF, per CPU), each at its offset,
 * along the chain from piece `from` (chunk cur). */
struct ks_linear_ctx {
	struct ks_reasm *e;
	__u8 *lin;
	__u32 from;           /* the first piece to copy */
	__u32 cur;            /* its chunk */
	__u32 last;           /* the last chunk copied */
	__u32 copied;         /* pieces copied */
};

/* Whose pieces lin holds, and how many of them (pieces never change once
 * kept, and a flow's only grow): the next segment of the same flow on this
 * CPU copies only its new ones, from the chunk after `last`, not all of
 * them again (68 segments copied up to 98 KB each). */
struct ks_lin_mark {
	__u64 born_ns;
	__u32 isn, cookie, npiece, last;
};

static long ks_linear_step(__u32 i, void *arg)
{
	struct ks_linear_ctx *c = arg;
	struct ks_reasm_chunk *ch;
	__u32 id = c->cur, n;

	if (i + c->from >= c->e->npiece)
		return 1;
	ch = bpf_map_lookup_elem(&ks_reasm_pool, &id);
	if (!ch)
		return 1;
	n = ch->len;
	if (n && n <= KS_REASM_CHUNK)
		bpf_probe_read_kernel(c->lin + (ch->off & KS_WIRE_MASK), n, ch->b);
	c->last = id;
	c->cur = ch->next;
	c->copied++;
	return 0;
}

/* Zero lin[n, n + 3): a sum over lin in 4-byte words ends at n. */
static __always_inline void ks_lin_pad(__u8 *lin, __u32 n)
{
	lin[n & KS_WIRE_MASK] = 0;
	lin[(n + 1) & KS_WIRE_MASK] = 0;
	lin[(n + 2) & KS_WIRE_MASK] = 0;
}

/* lin[0..n) = the first n held bytes, then zero padding to 4 (m: whose
 * pieces lin holds; padding past n < contig, or before a run past a hole,
 * may clobber held bytes, so then it holds no one's). */
static __attribute__((noinline)) void ks_reasm_linear(struct ks_reasm *e, __u8 *lin, __u32 n,
						      struct ks_lin_mark *m)
{
	struct ks_linear_ctx c = { .e = e, .lin = lin, .cur = e->head };
	int same = m->born_ns == e->born_ns && m->isn == e->isn && m->cookie == e->cookie &&
		   m->npiece && m->npiece <= e->npiece;
	struct ks_reasm_chunk *ch;

	if (same && m->npiece < e->npiece) {
		ch = bpf_map_lookup_elem(&ks_reasm_pool, &m->last);
		if (ch) {
			c.from = m->npiece;
			c.cur = ch->next;
		}
	} else if (same) {
		c.from = e->npiece;               /* nothing new */
	}
	c.last = same ? m->last : 0;
	bpf_loop(KS_REASM_PIECES, ks_linear_step, &c, 0);
	ks_lin_pad(lin, n);
	m->born_ns = e->born_ns;
	m->isn = e->isn;
	m->cookie = e->cookie;
	m->last = c.last;
	m->npiece = n == e->contig && !e->nrun && c.from + c.copied == e->npiece ? e->npiece : 0;
}

/* ---- coverage ---------------------------------------------------------- */

/* Whether [start, end) is held already (a retransmission). */
static __always_inline int ks_reasm_have(const struct ks_reasm *e, __u32 start, __u32 end)
{
	if (end <= e->contig)
		return 1;
#pragma unroll
	for (int i = 0; i < KS_REASM_RUNS; i++)
		if (i < e->nrun && start >= e->run_start[i] && end <= e->run_end[i])
			return 1;
	return 0;
}

/*
 * Whether [start, end) can join what is held: contiguous with it, or one
 * of KS_REASM_RUNS runs past a hole. -1: a run more than that (the segment
 * is not kept; the client sends it again).
 */
static __always_inline int ks_reasm_room(const struct ks_reasm *e, __u32 start, __u32 end)
{
	if (start <= e->contig || e->nrun < KS_REASM_RUNS)
		return 0;
#pragma unroll
	for (int i = 0; i < KS_REASM_RUNS; i++)
		if (start <= e->run_end[i] && end >= e->run_start[i])
			return 0;
	return -1;
}

/* Kept bytes [start, end) join the coverage: contig grows over them when
 * they touch it, and over every run it then reaches. */
struct ks_cover_ctx {
	struct ks_reasm *e;
};

/* One pass: a run the contiguous part reaches is absorbed (swapped with
 * the last). KS_REASM_RUNS passes take them all. */
static long ks_cover_step(__u32 pass, void *arg)
{
	struct ks_reasm *e = ((struct ks_cover_ctx *)arg)->e;
	__u32 n = e->nrun, last, i;

	for (i = 0; i < KS_REASM_RUNS; i++) {
		if (i >= n)
			return 1;
		if (e->run_start[i] <= e->contig)
			break;
	}
	if (i >= KS_REASM_RUNS)
		return 1;
	last = (n - 1) & (KS_REASM_RUNS - 1);
	if (e->run_end[i] > e->contig)
		e->contig = e->run_end[i];
	e->run_start[i] = e->run_start[last];
	e->run_end[i] = e->run_end[last];
	e->nrun = n - 1;
	return 0;
}

static __attribute__((noinline)) void ks_reasm_cover(struct ks_reasm *e, __u32 start, __u32 end)
{
	struct ks_cover_ctx c = { .e = e };
	__u32 n = e->nrun, i;

	if (start > e->contig) {
		for (i = 0; i < KS_REASM_RUNS && i < n; i++)
			if (start <= e->run_end[i] && end >= e->run_start[i]) {
				if (start < e->run_start[i])
					e->run_start[i] = start;
				if (end > e->run_end[i])
					e->run_end[i] = end;
				return;
			}
		if (n < KS_REASM_RUNS) {
			e->run_start[n & (KS_REASM_RUNS - 1)] = start;
			e->run_end[n & (KS_REASM_RUNS - 1)] = end;
			e->nrun = n + 1;
		}
		return;
	}
	if (end > e->contig)
		e->contig = end;
	bpf_loop(KS_REASM_RUNS, ks_cover_step, &c, 0);
}

/* ---- the record walk --------------------------------------------------- */

/*
 * TLS records (RFC 8446 5.1) over the held bytes, resumed where the last
 * segment left it, so each record header is read once however the
 * ClientHello is split:
 *
 *   off -> | 22 | 03 xx | length | fragment ... | 22 | 03 xx | length | ...
 *
 * It only tells when the held bytes decide: the handshake header (the
 * first 4 handshake bytes, perhaps over several records) gives the
 * ClientHello's length; once that many handshake bytes are held, or a
 * record is not a handshake record, or the ClientHello is bigger than we
 * keep, the parser runs on all of it (lin holds the first contig bytes).
 */
struct ks_walk_ctx {
	struct ks_reasm *e;
	const __u8 *lin;
};

static long ks_walk_step(__u32 i, void *arg)
{
	struct ks_walk_ctx *c = arg;
	struct ks_reasm *e = c->e;
	struct ks_reasm_walk *w = &e->w;
	const __u8 *lin = c->lin;
	__u32 off = w->off, rlen, avail, frag;

	if (off + 5 > e->contig)
		return 1;                         /* the next header is not all here */
	if (lin[off & KS_WIRE_MASK] != 22) {
		w->ready = 1;                     /* not a handshake record: the parser says */
		return 1;
	}
	rlen = (__u32)lin[(off + 3) & KS_WIRE_MASK] << 8 | lin[(off + 4) & KS_WIRE_MASK];
	if (rlen == 0 || rlen > KS_TLS_RECORD_MAX || off + 5 + rlen > KS_REASM_WIRE) {
		w->ready = 1;                     /* malformed, or past what we hold */
		return 1;
	}
	frag = off + 5;
	avail = e->contig - frag < rlen ? e->contig - frag : rlen;
	/* The handshake header's bytes, as far as this record has them. */
#pragma unroll
	for (__u32 k = 0; k < 4; k++)
		if (w->hs_len + k < 4 && k < avail)
			w->hdr[(w->hs_len + k) & 3] = lin[(frag + k) & KS_WIRE_MASK];
	if (!w->msg_len && w->hs_len + avail >= 4) {
		w->msg_len = 4 + ((__u32)w->hdr[1] << 16 | (__u32)w->hdr[2] << 8 | w->hdr[3]);
		if (w->hdr[0] != 1 || w->msg_len > KS_HS_MAX) {
			w->ready = 1;             /* not a ClientHello, or too big */
			return 1;
		}
	}
	if (w->msg_len && w->hs_len + avail >= w->msg_len) {
		w->ready = 1;
		return 1;
	}
	if (avail < rlen)
		return 1;                         /* the record's end is still to come */
	w->hs_len += rlen;
	w->off = frag + rlen;
	return 0;
}

/* Walk on over the bytes the last segment added; 1 when they decide. */
static __attribute__((noinline)) int ks_reasm_walk(struct ks_reasm *e, const __u8 *lin)
{
	struct ks_walk_ctx c = { .e = e, .lin = lin };

	if (!e->w.ready)
		bpf_loop(KS_REASM_WIRE / 6 + 1, ks_walk_step, &c, 0);
	return e->w.ready;
}

/* ---- checksums --------------------------------------------------------- */

#define KS_CSUM_BLOCK 512     /* bpf_csum_diff takes at most this many bytes */

struct ks_csum {
	__u8 blk[KS_CSUM_BLOCK];
	__u32 pseudo[10];
	__s64 sum;
	__u32 off, end;
	__u32 bad;
};

struct ks_csum_ctx {
	struct __sk_buff *skb;
	struct ks_csum *c;
};

static long ks_csum_step(__u32 i, void *arg)
{
	struct ks_csum_ctx *x = arg;
	struct ks_csum *c = x->c;
	__u32 n = c->end - c->off, n4;

	if (c->off >= c->end)
		return 1;
	if (n > KS_CSUM_BLOCK)
		n = KS_CSUM_BLOCK;
	/* bpf_csum_diff sums whole words: the last block's tail is zero. */
	n4 = (n + 3) & ~3u;
	if (n4 > KS_CSUM_BLOCK || n == 0)
		return 1;
	*(__u32 *)&c->blk[(n4 - 4) & (KS_CSUM_BLOCK - 4)] = 0;
	if (bpf_skb_load_bytes(x->skb, c->off, c->blk, n)) {
		c->bad = 1;
		return 1;
	}
	c->sum = bpf_csum_diff(0, 0, (void *)c->blk, n4, (__u32)c->sum);
	c->off += n;
	return 0;
}

/*
 * Whether the segment's TCP checksum is right: the NIC's word where it
 * gave one (CHECKSUM_UNNECESSARY), or where the packet never left this host
 * (CHECKSUM_PARTIAL: veth, lo); otherwise the sum over the pseudo-header
 * and the segment, computed here (CHECKSUM_NONE, and CHECKSUM_COMPLETE
 * rather than unwinding the NIC's sum past the IP header and any padding).
 */
static __always_inline int ks_csum_trusted(struct __sk_buff *skb)
{
	struct sk_buff *k = bpf_cast_to_kern_ctx(skb);
	__u8 summed = BPF_CORE_READ_BITFIELD(k, ip_summed);

	return summed == 1 /* CHECKSUM_UNNECESSARY */ || summed == 3 /* CHECKSUM_PARTIAL */;
}

static __attribute__((noinline)) int ks_seg_csum_ok(struct __sk_buff *skb, struct ks_pkt *p,
						    struct ks_csum *c)
{
	struct ks_csum_ctx x = { .skb = skb, .c = c };
	__u32 tcplen = p->len - p->l4;

	if (ks_csum_trusted(skb))
		return 1;
	if (p->v6) {
		__builtin_memcpy(c->pseudo, p->saddr, 16);
		__builtin_memcpy(c->pseudo + 4, p->daddr, 16);
		c->pseudo[8] = bpf_htonl(tcplen);
		c->pseudo[9] = bpf_htonl(IPPROTO_TCP);
	} else {
		c->pseudo[0] = p->saddr[0];
		c->pseudo[1] = p->daddr[0];
		c->pseudo[2] = bpf_htonl(IPPROTO_TCP << 16 | tcplen);
	}
	c->sum = bpf_csum_diff(0, 0, c->pseudo, p->v6 ? 40 : 12, 0);
	c->off = p->l4;
	c->end = p->len;
	c->bad = 0;
	bpf_loop(65536 / KS_CSUM_BLOCK + 1, ks_csum_step, &x, 0);
	return !c->bad && c->off == c->end && ks_csum_fold(c->sum) == 0;
}

/* ---- sweeping ---------------------------------------------------------- */

static __u64 ks_reasm_last_sweep;

/* Entries past their lifetime, found by one walk of the table. */
struct ks_sweep {
	struct ks_flow key[KS_REASM_SWEEP_MAX];
	__u32 n;
};

struct ks_sweep_ctx {
	__u64 now;
	struct ks_sweep *out;
};

/* Only collects: freeing (a loop over the entry's pieces) is left for
 * after the walk, which keeps this callback simple for the verifier. */
static long ks_reasm_sweep_one(struct bpf_map *map, const struct ks_flow *key,
			       struct ks_reasm *e, struct ks_sweep_ctx *c)
{
	__u32 n = c->out->n;

	if (!ks_reasm_expired(e, c->now))
		return 0;                         /* live (or renewed since now was read) */
	if (n >= KS_REASM_SWEEP_MAX)
		return 1;                         /* bounded: one insert's wait */
	c->out->key[n & (KS_REASM_SWEEP_MAX - 1)] = *key;
	c->out->n = n + 1;
	return 0;
}

/* The table is full: free entries past their lifetime, KS_REASM_SWEEP_MAX
 * at most, and at most once per KS_REASM_SWEEP_NS, so a table full of live
 * flows costs one walk per period, not per insert. */
static __always_inline void ks_reasm_sweep(struct ks_sweep *out)
{
	struct ks_sweep_ctx c = { .now = bpf_ktime_get_ns(), .out = out };
	struct ks_reasm *e;

	if (c.now - ks_reasm_last_sweep < KS_REASM_SWEEP_NS)
		return;
	ks_reasm_last_sweep = c.now;
	out->n = 0;
	bpf_for_each_map_elem(&ks_reasm, ks_reasm_sweep_one, &c, 0);
	for (__u32 i = 0; i < KS_REASM_SWEEP_MAX && i < out->n; i++) {
		e = bpf_map_lookup_elem(&ks_reasm, &out->key[i]);
		if (e) {
			ks_reasm_drop(e, &out->key[i]);
			ks_count(KS_ST_REASM_SWEPT);
		}
	}
}

/* ---- rewriting the segment ------------------------------------------- */

struct ks_rewrite {
	__u8 hdr[64];         /* TCP header + options, seq and check updated */
	__u32 pseudo[10];
	__u32 off;            /* checksum walk over lin (map memory) */
	__u32 len;
	__s64 sum;
	__u32 isn;            /* the flow's client ISN */
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
	rw->sum = bpf_csum_diff(0, 0, (void *)(w->lin + (off & KS_WIRE_MASK)), n & 1020,
				(__u32)rw->sum);
	rw->off = off + 512;
	return 0;
}

/*
 * Make the skb a segment at seq ISN + 1 (rw->isn + 1) whose payload is
 * lin[0..n): new length, IP length and checksum, TCP seq and a full TCP
 * checksum. Not the TCP sum where the kernel will not read it: an skb it
 * takes as verified (CHECKSUM_UNNECESSARY, CHECKSUM_PARTIAL; tcp_v4_rcv's
 * skb_checksum_init, as ks_seg_csum_ok trusts it) is delivered to the
 * child unchecked, and every byte added was verified when held (~2 KB
 * summed for nothing, every two-segment hello on veth or a NIC that
 * verifies). A subprogram.
 */
static __attribute__((noinline)) int ks_reasm_rewrite(struct __sk_buff *skb, struct ks_pkt *p,
						      struct ks_rewrite *rw, __u8 *lin, __u32 n)
{
	__u32 isn = rw->isn;
	__u32 hl = (p->payload - p->l4) & 63, total = p->payload + n, tcplen = hl + n;
	struct ks_tcp *t = (void *)rw->hdr;
	struct ks_sum_walk w = { .rw = rw, .lin = lin };
	__u16 check;
	__s64 cs;

	n &= KS_WIRE_MASK;
	if (n == 0 || hl < 20 || total > KS_SKB_MAX || bpf_skb_change_tail(skb, total, 0))
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
	/* Word by word: a byte-wise memcpy of unknown alignment spills every
	 * byte through the stack (320 bytes of it). */
#pragma unroll
	for (int i = 0; i < 5; i++)
		((__u32 *)rw->hdr)[i] = ((const __u32 *)&p->th)[i];
#pragma unroll
	for (int i = 0; i < 10; i++)
		((__u32 *)rw->hdr)[5 + i] = ((const __u32 *)p->opts)[i];
	t->seq = bpf_htonl(isn + 1);
	if (!ks_csum_trusted(skb)) {
		t->check = 0;
		cs = bpf_csum_diff(0, 0, rw->pseudo, p->v6 ? 40 : 12, 0);
		cs = bpf_csum_diff(0, 0, (void *)rw->hdr, hl & 60, (__u32)cs);
		rw->sum = cs;
		rw->off = 0;
		/* Summed in words: zero the pad past n, where lin may hold
		 * later held bytes (n < contig: more than a segment carries;
		 * the caller's ks_lin_mark no longer holds then). */
		ks_lin_pad(lin, n);
		rw->len = (n + 3) & ~3u;
		bpf_loop(KS_REASM_WIRE / 512 + 1, ks_sum_step, &w, 0);
		check = ks_csum_fold(rw->sum);
		t->check = check;
	}
	if (bpf_skb_store_bytes(skb, p->l4, rw->hdr, 20, BPF_F_RECOMPUTE_CSUM))
		return -1;
	p->th.seq = t->seq;
	p->len = total;
	return 0;
}

#endif
