/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TC egress's reading of a server's QUIC packet (steer_tc_egress.bpf.c),
 * apart from how the sending socket's slot is found, so that the fixtures
 * (tests/progs/quic_egress_test.bpf.c) run this very code for a slot they
 * choose: BPF_PROG_TEST_RUN gives every run a new socket.
 */
#ifndef KS_QUIC_EGRESS_H
#define KS_QUIC_EGRESS_H

#include "packet.h"
#include "quic.h"
#include "quic_probe.h"

struct ks_egress_scratch {
	struct ks_pkt p;
	struct ks_quic_inv h;
	struct ks_flow f;
	struct ks_flow peer;
	struct ks_flow host;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_egress_scratch);
} ks_egress_scratch SEC(".maps");

/* The client's packets carry the pair the other way round. */
static __always_inline void ks_reverse(const struct ks_flow *f, struct ks_flow *r)
{
	__builtin_memcpy(r->saddr, f->daddr, 16);
	__builtin_memcpy(r->daddr, f->saddr, 16);
	r->sport = f->dport;
	r->dport = f->sport;
	r->v6 = f->v6;
}

/* A server's long header names, in its SCID, a CID the client will use. */
static __always_inline void ks_learn_scid(struct ks_egress_scratch *s, const struct ks_slot *slot)
{
	struct ks_quic_owner *o = bpf_map_lookup_elem(&ks_quic_scids, &s->h.scid), nw = { *slot };
	__u32 zero = 0, *lens;

	/* Written only when new or moved: a server repeats its SCID in
	 * every long-header packet of the handshake. */
	if (o && ks_same_slot(&o->slot, slot))
		return;
	nw.seen_ns = bpf_ktime_get_ns();
	if (ks_store_scid(&s->h.scid, &nw, BPF_ANY))
		return;
	ks_count(KS_ST_QUIC_LEARNED);
	lens = bpf_map_lookup_elem(&ks_quic_cid_lens, &zero);
	if (lens && !(*lens & (1u << s->h.scid.len)))
		__sync_fetch_and_or(lens, 1u << s->h.scid.len);
}

/* 0: s->p and s->h are a QUIC packet from a public address:port (a
 * server answering a client); Version Negotiation (version 0) names the
 * client's CIDs, not ours. */
static __always_inline int ks_egress_parse(struct __sk_buff *skb, struct ks_config *cfg,
					   struct ks_egress_scratch *s)
{
	struct ks_pkt *p = &s->p;

	if (ks_pkt_load(skb, cfg, p, 1) != KS_PKT_UDP)
		return -1;
	if (ks_quic_parse(skb, p->payload, p->len, &s->h) || (s->h.long_hdr && !s->h.version))
		return -1;
	return 0;
}

/* slot's socket sent the packet parsed in s: what it teaches; the verdict. */
static __always_inline int ks_egress_learn(struct ks_egress_scratch *s, const struct ks_slot *slot)
{
	struct ks_pkt *p = &s->p;

	ks_flow_of(p, &s->f);
	ks_reverse(&s->f, &s->peer);
	/* A zero-length SCID: the server is reached by the pair alone. */
	if (s->h.long_hdr && s->h.scid.len)
		ks_learn_scid(s, slot);
	if (s->h.long_hdr)
		ks_quic_host_seen(&s->peer, &s->host);
	return ks_quic_answer(&s->peer, slot, p->len - p->payload, s->h.long_hdr);
}

#endif
