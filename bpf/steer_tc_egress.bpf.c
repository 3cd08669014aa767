// SPDX-License-Identifier: GPL-2.0
/*
 * TC egress: learn which server socket owns each QUIC connection.
 *
 * A server names the connection IDs it will be reached by in the Source
 * Connection ID of its long-header packets (Initial, Handshake). The packet
 * still carries its socket here, so the CID and the client's address pair
 * are recorded for that socket's slot; TC ingress and sk_reuseport then
 * steer the client's packets by them. Nothing is ever changed or dropped.
 */
#include "ks_bpf.h"
#include "packet.h"
#include "quic.h"

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

static __always_inline void ks_learn(struct ks_egress_scratch *s, const struct ks_slot *slot)
{
	__u32 zero = 0, *lens;

	/* Written only when new or moved: a server repeats its SCID in
	 * every long-header packet of the handshake. */
	if (!ks_same_slot(bpf_map_lookup_elem(&ks_quic_cids, &s->h.scid), slot)) {
		bpf_map_update_elem(&ks_quic_cids, &s->h.scid, slot, BPF_ANY);
		ks_count(KS_ST_QUIC_LEARNED);
		lens = bpf_map_lookup_elem(&ks_quic_cid_lens, &zero);
		if (lens && !(*lens & (1u << s->h.scid.len)))
			__sync_fetch_and_or(lens, 1u << s->h.scid.len);
	}
	ks_reverse(&s->f, &s->peer);
	if (!ks_same_slot(bpf_map_lookup_elem(&ks_quic_peers, &s->peer), slot))
		bpf_map_update_elem(&ks_quic_peers, &s->peer, slot, BPF_ANY);
	ks_host_learn(&s->peer, &s->host, slot);
}

SEC("tc")
int ksteer_tc_egress(struct __sk_buff *skb)
{
	struct ks_config *cfg = ks_cfg();
	struct ks_egress_scratch *s;
	struct ks_pkt *p;
	struct ks_slot *slot;
	__u32 zero = 0;
	__u64 cookie;

	/* Never changes a packet; UNSPEC lets the next egress filter run. */
	if (!cfg || (cfg->flags & (KS_CFG_ACTIVE | KS_CFG_QUIC)) != (KS_CFG_ACTIVE | KS_CFG_QUIC))
		return TC_ACT_UNSPEC;
	s = bpf_map_lookup_elem(&ks_egress_scratch, &zero);
	if (!s)
		return TC_ACT_UNSPEC;
	p = &s->p;
	/* From a public address:port: a server answering its clients. */
	if (ks_pkt_load(skb, cfg, p, 1) != KS_PKT_UDP)
		return TC_ACT_UNSPEC;
	/* Version Negotiation (version 0) names the client's CIDs, not ours. */
	if (ks_quic_parse(skb, p->payload, p->len, &s->h) || !s->h.long_hdr || !s->h.version ||
	    !s->h.scid.len)
		return TC_ACT_UNSPEC;
	ks_flow_of(p, &s->f);
	cookie = bpf_get_socket_cookie(skb);
	slot = bpf_map_lookup_elem(&ks_quic_socks, &cookie);
	if (slot)                             /* else not a registered server */
		ks_learn(s, slot);
	return TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
