/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC paths: which server answers a client's address pair, learned only
 * from what the servers send, and probing for the owner of a CID nobody
 * knows (a client that migrated with a CID issued inside encrypted frames).
 *
 * TC ingress, a short header whose CID and pair are unknown: its datagrams
 * go to the registered server sockets in turn (ks_quic_probes remembers
 * which got them, and how long). A server that does not own the CID drops
 * it or answers with a Stateless Reset, which RFC 9000 10.3 makes shorter
 * than the packet that drew it; the owner answers the new path with
 * PATH_CHALLENGE/PATH_RESPONSE, padded to 1200 bytes (RFC 9000 8.2.1), or
 * data. TC egress: an answer at least as long as what that server was
 * given (or KS_QUIC_RESET_MAX) is the owner's and teaches the pair; a
 * shorter one from a probed server may be a reset and is dropped (a
 * server sharing another's reset key would otherwise end the client's
 * connection). Nothing is kept from a guess: only an answer teaches.
 *
 * A datagram routed by its CID from a pair nobody answers (NAT rebinding)
 * makes an entry that expects that server's answer, of any length.
 */
#ifndef KS_QUIC_PROBE_H
#define KS_QUIC_PROBE_H

#include "packet.h"
#include "quic.h"

#define KS_E2BIG 7                               /* errno: the map is full */

static struct ks_quic_probe ks_probe_zero;      /* a new entry's template */
struct ks_quic_sweep { __u64 now, life; };

/* Entries unused past their life: deleted (the table was full). */
static long ks_quic_sweep_owner(struct bpf_map *map, const void *key, struct ks_quic_owner *o,
				struct ks_quic_sweep *c)
{
	if (c->now - o->seen_ns > c->life && !bpf_map_delete_elem(map, key))
		ks_count(KS_ST_QUIC_EXPIRED);
	return 0;
}

static long ks_quic_sweep_seen(struct bpf_map *map, const void *key, __u64 *seen,
			       struct ks_quic_sweep *c)
{
	if (c->now - *seen > c->life && !bpf_map_delete_elem(map, key))
		ks_count(KS_ST_QUIC_EXPIRED);
	return 0;
}

static long ks_quic_sweep_probe(struct bpf_map *map, const void *key, struct ks_quic_probe *e,
				struct ks_quic_sweep *c)
{
	if (c->now - e->born_ns > c->life)
		bpf_map_delete_elem(map, key);
	return 0;
}

/* Full (counted): the entries idle past their life swept, at most once per
 * KS_QUIC_SWEEP_NS, so that the next one fits. Live entries are never
 * evicted. One per table: clang folds a dispatch on a constant into
 * callback references the verifier cannot place. */
#define KS_QUIC_STORE(name, map, cb, lifetime, full)                                 \
static __u64 name##_swept;                                                       \
static __attribute__((noinline)) int name(const void *key, const void *val, __u64 flags) \
{                                                                                \
	struct ks_quic_sweep c = { .now = bpf_ktime_get_ns(), .life = (lifetime) }; \
	long err = bpf_map_update_elem(&map, key, val, flags);                   \
                                                                                 \
	if (err != -KS_E2BIG)                                                    \
		return err;                                                      \
	ks_count(full);                                                          \
	if (c.now - name##_swept < KS_QUIC_SWEEP_NS)                             \
		return err;                                                      \
	name##_swept = c.now;                                                    \
	bpf_for_each_map_elem(&map, cb, &c, 0);                                  \
	return bpf_map_update_elem(&map, key, val, flags);                       \
}

KS_QUIC_STORE(ks_store_scid, ks_quic_scids, ks_quic_sweep_owner, KS_QUIC_IDLE_NS,
	      KS_ST_QUIC_TABLE_FULL)
KS_QUIC_STORE(ks_store_path, ks_quic_paths, ks_quic_sweep_owner, KS_QUIC_IDLE_NS,
	      KS_ST_QUIC_TABLE_FULL)
KS_QUIC_STORE(ks_store_host, ks_quic_hosts, ks_quic_sweep_seen, KS_QUIC_IDLE_NS,
	      KS_ST_QUIC_TABLE_FULL)
KS_QUIC_STORE(ks_store_probe, ks_quic_probes, ks_quic_sweep_probe, KS_QUIC_PROBE_NS,
	      KS_ST_QUIC_PROBE_FULL)

/* pair's probe entry, a fresh one if none or past its life; NULL: full. */
static __always_inline struct ks_quic_probe *ks_probe_get(const struct ks_flow *pair, __u64 now)
{
	struct ks_quic_probe *e = bpf_map_lookup_elem(&ks_quic_probes, pair);

	if (e && now - e->born_ns <= KS_QUIC_PROBE_NS)
		return e;
	if (ks_store_probe(pair, &ks_probe_zero, BPF_ANY))
		return NULL;
	e = bpf_map_lookup_elem(&ks_quic_probes, pair);
	if (e)
		e->born_ns = now;
	return e;
}

/* Which of e->tried is slot: its index, or -1. */
static __always_inline int ks_probe_find(const struct ks_quic_probe *e, const struct ks_slot *slot)
{
#pragma unroll
	for (int i = 0; i < KS_QUIC_TRIED; i++)
		if (ks_same_slot(&e->tried[i].slot, slot))
			return i;
	return -1;
}

/* slot was given the pair's datagram of len bytes (atleast 0: it owns the
 * CID): its answer must be at least that long, a reset being shorter. */
static __always_inline void ks_probe_note(struct ks_quic_probe *e, const struct ks_slot *slot,
					  __u32 atleast, __u32 k)
{
	int i = ks_probe_find(e, slot);

	if (i < 0) {
		for (i = 0; i < KS_QUIC_TRIED; i++)
			if (!e->tried[i].slot.backend)
				break;
		if (i >= KS_QUIC_TRIED)
			i = k % KS_QUIC_TRIED;
		e->tried[i & (KS_QUIC_TRIED - 1)].slot = *slot;
		e->tried[i & (KS_QUIC_TRIED - 1)].atleast = atleast;
	} else if (e->tried[i & (KS_QUIC_TRIED - 1)].atleast < atleast) {
		e->tried[i & (KS_QUIC_TRIED - 1)].atleast = atleast;
	}
}

/* Routed by its CID from a pair no server is known to answer (NAT
 * rebinding, a path the server will probe): expect the owner's answer. */
static __attribute__((noinline)) void ks_quic_expect(const struct ks_flow *pair, const struct ks_slot *slot)
{
	struct ks_quic_owner *o = bpf_map_lookup_elem(&ks_quic_paths, pair);
	struct ks_quic_probe *e;

	if (o && ks_same_slot(&o->slot, slot))
		return;
	e = ks_probe_get(pair, bpf_ktime_get_ns());
	if (e && ks_probe_find(e, slot) < 0)
		ks_probe_note(e, slot, 0, 0);
}

struct ks_cand_walk {
	__u32 want, n, v6, found;
	struct ks_slot pick;
};

/* The registered server sockets that can take a datagram of the family. */
static long ks_cand_one(struct bpf_map *map, const __u64 *cookie, const struct ks_slot *v,
			struct ks_cand_walk *w)
{
	__u32 cls = (v->slot >> 4) & 0xf;

	if (v->backend == KS_FALLBACK_ID ||
	    (cls != KS_UDP_DUAL && cls != (w->v6 ? KS_UDP_V6 : KS_UDP_V4)))
		return 0;
	if (w->n++ != w->want)
		return 0;
	w->pick = *v;
	w->found = 1;
	return 1;
}

/* The k-th candidate, k taken modulo their number. 0 and *out set. */
static __always_inline int ks_quic_candidate(__u32 k, __u32 v6, struct ks_slot *out)
{
	struct ks_cand_walk w = { .want = k, .v6 = v6 };

	bpf_for_each_map_elem(&ks_quic_socks, ks_cand_one, &w, 0);
	if (!w.found && w.n) {
		w.want = k % w.n;
		w.n = 0;
		bpf_for_each_map_elem(&ks_quic_socks, ks_cand_one, &w, 0);
	}
	if (!w.found)
		return -1;
	*out = w.pick;
	return 0;
}

/* A short header of an unknown CID from a pair nobody answers: the next
 * server in turn (or the owner found already). 0 and *slot set; -1: no
 * server, or the probe table is full (counted). */
static __attribute__((noinline)) int ks_quic_probe(const struct ks_flow *pair, __u32 len, __u32 v6,
						   struct ks_slot *slot)
{
	__u32 at = len < KS_QUIC_RESET_MAX ? len : KS_QUIC_RESET_MAX, k;
	struct ks_quic_probe *e = ks_probe_get(pair, bpf_ktime_get_ns());

	if (!e)
		return -1;
	if (e->learned) {                     /* answered, but its pair not stored */
		*slot = e->tried[(e->learned - 1) & (KS_QUIC_TRIED - 1)].slot;
		return 0;
	}
	e->probing = 1;
	k = e->next++;
	if (ks_quic_candidate(k, v6, slot))
		return -1;
	ks_probe_note(e, slot, at, k);
	return 0;
}

/* TC egress: slot sent len bytes to the client of pair (as the client
 * sends it). Learns the pair from an answer; TC_ACT_SHOT for a probed
 * server's answer that may be a Stateless Reset. */
static __attribute__((noinline)) int ks_quic_answer(const struct ks_flow *pair, const struct ks_slot *slot,
						    __u32 len, __u32 long_hdr)
{
	struct ks_quic_owner *o = bpf_map_lookup_elem(&ks_quic_paths, pair), nw = { *slot };
	struct ks_quic_probe *e;
	__u64 now = bpf_ktime_get_ns();
	int t;

	if (o && ks_same_slot(&o->slot, slot)) {
		ks_quic_touch(&o->seen_ns, now);
		return TC_ACT_UNSPEC;
	}
	nw.seen_ns = now;
	e = bpf_map_lookup_elem(&ks_quic_probes, pair);
	/* A pair two servers serve (a client sharing its port): any of them
	 * may send full-size packets there for its own connection, so no
	 * answer can be told from another's, nor a reset from their small
	 * packets: nothing learned, nothing dropped. */
	if (o && o->slot.backend == KS_QUIC_AMBIGUOUS)
		return TC_ACT_UNSPEC;
	if (e && now - e->born_ns <= KS_QUIC_PROBE_NS && !long_hdr) {
		t = ks_probe_find(e, slot);
		if (t >= 0 && !e->learned && len >= e->tried[t & (KS_QUIC_TRIED - 1)].atleast) {
			ks_store_path(pair, &nw, BPF_ANY);
			e->learned = t + 1;
			ks_count(KS_ST_QUIC_PROBE_LEARNED);
			return TC_ACT_UNSPEC;
		}
		if (t >= 0 && e->probing && e->learned != t + 1) {
			/* Given the pair's datagrams and not its owner, or not
			 * shown to be: a reset to a CID it does not own. */
			ks_count(KS_ST_QUIC_PROBE_DROPPED);
			return TC_ACT_SHOT;
		}
	}
	if (!o) {
		/* A server's first flight names the pair; never over another. */
		if (long_hdr && !ks_store_path(pair, &nw, BPF_NOEXIST))
			ks_count(KS_ST_QUIC_PATH_LEARNED);
		return TC_ACT_UNSPEC;
	}
	if (long_hdr)
		return TC_ACT_UNSPEC;
	/* Another server sends short headers to the pair: the client shares
	 * its port between connections, or the old owner went quiet. */
	if (now - o->seen_ns > KS_QUIC_IDLE_NS) {
		*o = nw;
	} else {
		o->slot.backend = KS_QUIC_AMBIGUOUS;
		o->slot.slot = 0;
		ks_count(KS_ST_QUIC_PATH_AMBIGUOUS);
	}
	return TC_ACT_UNSPEC;
}

/* ks_quic_hosts' key: the client address of pair alone. */
static __always_inline void ks_host_key(const struct ks_flow *pair, struct ks_flow *host)
{
	__builtin_memset(host, 0, sizeof(*host));
	__builtin_memcpy(host->saddr, pair->saddr, sizeof(host->saddr));
	host->v6 = pair->v6;
}

/* TC egress: a server sent to this client address: its short headers with
 * the fixed bit clear (greased) are QUIC. */
static __always_inline void ks_quic_host_seen(const struct ks_flow *pair, struct ks_flow *host)
{
	__u64 now = bpf_ktime_get_ns(), *seen;

	ks_host_key(pair, host);
	seen = bpf_map_lookup_elem(&ks_quic_hosts, host);
	if (seen)
		ks_quic_touch(seen, now);
	else
		ks_store_host(host, &now, BPF_NOEXIST);
}

/* TC ingress: whether servers send to the client address of pair. */
static __always_inline int ks_quic_host_known(const struct ks_flow *pair, struct ks_flow *host)
{
	ks_host_key(pair, host);
	return bpf_map_lookup_elem(&ks_quic_hosts, host) != NULL;
}

/* Not found by its CIDs: by the pair a server answers, else (short headers)
 * probing the servers in turn. *slot set and how it was found returned
 * (KS_ST_QUIC_BY_PEER or _BY_PROBE, both > 1); 1: not QUIC; -1: for
 * ksteerd. A long header with an unknown DCID is a new connection: its SNI
 * decides, not the address pair an old one had. pair: p's (ks_flow_of);
 * host: scratch. TC's, and the group's sk_reuseport program's for the
 * short headers TC passes it (KS_CFG_QUIC_GROUP). */
_Static_assert(KS_ST_QUIC_BY_PEER > 1 && KS_ST_QUIC_BY_PROBE > 1,
	       "ks_quic_unknown's answers: a counter, 1 (not QUIC) or -1");

static __attribute__((noinline)) int ks_quic_unknown(const struct ks_pkt *p, const struct ks_quic_inv *h,
						     const struct ks_flow *pair, struct ks_flow *host,
						     struct ks_slot *slot)
{
	struct ks_quic_owner *o;

	if (h->long_hdr && h->dcid.len)
		return -1;
	o = bpf_map_lookup_elem(&ks_quic_paths, pair);
	if (o && o->slot.backend != KS_QUIC_AMBIGUOUS) {
		*slot = o->slot;
		return KS_ST_QUIC_BY_PEER;
	}
	if (h->long_hdr)
		return -1;                        /* zero-length DCID, pair unknown */
	if (!(h->raw[0] & 0x40) && !ks_quic_host_known(pair, host))
		return 1;                         /* fixed bit clear, no QUIC from there */
	if (ks_quic_probe(pair, p->len - p->payload, p->v6, slot))
		return -1;
	return KS_ST_QUIC_BY_PROBE;
}

#endif
