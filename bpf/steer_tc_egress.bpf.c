// SPDX-License-Identifier: GPL-2.0
/*
 * TC egress: learn which server socket owns each QUIC connection.
 *
 * A server names the connection IDs it will be reached by in the Source
 * Connection ID of its long-header packets (Initial, Handshake). The packet
 * still carries its socket here, so the CID and the client's address pair
 * are recorded for that socket's slot; TC ingress and sk_reuseport then
 * steer the client's packets by them. Every server packet also tells which
 * server answers the client's address pair (quic_probe.h): learned from an
 * answer, and a probed server's possible Stateless Reset dropped. Nothing
 * else is changed or dropped.
 */
#include "ks_bpf.h"
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
	if (ks_quic_parse(skb, p->payload, p->len, &s->h) || (s->h.long_hdr && !s->h.version))
		return TC_ACT_UNSPEC;
	cookie = bpf_get_socket_cookie(skb);
	slot = bpf_map_lookup_elem(&ks_quic_socks, &cookie);
	if (!slot)                            /* not a registered server */
		return TC_ACT_UNSPEC;
	ks_flow_of(p, &s->f);
	ks_reverse(&s->f, &s->peer);
	/* A zero-length SCID: the server is reached by the pair alone. */
	if (s->h.long_hdr && s->h.scid.len)
		ks_learn_scid(s, slot);
	if (s->h.long_hdr)
		ks_quic_host_seen(&s->peer, &s->host);
	return ks_quic_answer(&s->peer, slot, p->len - p->payload, s->h.long_hdr);
}

char _license[] SEC("license") = "GPL";
