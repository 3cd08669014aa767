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
#include "quic_egress.h"

SEC("tc")
int ksteer_tc_egress(struct __sk_buff *skb)
{
	struct ks_config *cfg = ks_cfg();
	struct ks_egress_scratch *s;
	struct ks_slot *slot;
	__u32 zero = 0;
	__u64 cookie;

	/* UNSPEC lets the next egress filter run. */
	if (!cfg || (cfg->flags & (KS_CFG_ACTIVE | KS_CFG_QUIC)) != (KS_CFG_ACTIVE | KS_CFG_QUIC))
		return TC_ACT_UNSPEC;
	s = bpf_map_lookup_elem(&ks_egress_scratch, &zero);
	if (!s || ks_egress_parse(skb, cfg, s))
		return TC_ACT_UNSPEC;
	cookie = bpf_get_socket_cookie(skb);
	slot = bpf_map_lookup_elem(&ks_quic_socks, &cookie);
	if (!slot)                            /* not a registered server */
		return TC_ACT_UNSPEC;
	return ks_egress_learn(s, slot);
}

char _license[] SEC("license") = "GPL";
