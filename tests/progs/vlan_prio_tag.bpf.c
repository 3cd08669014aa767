// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper, TC egress on the client's veth: tags every frame with an
 * 802.1Q header of VLAN ID 0 and priority (PCP) 5: a priority-tagged frame,
 * as switches and hosts doing 802.1p QoS send them. With the veth's txvlan
 * offload off, the stack writes the tag into the frame itself; the receiver
 * strips it into skb->vlan_tci before TC ingress and, VID 0 naming no VLAN
 * device, delivers the packet on the device itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define ETH_P_8021Q 0x8100
#define PCP 5

SEC("tc")
int vlan_prio_tag(struct __sk_buff *skb)
{
	if (!skb->vlan_present)
		bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), PCP << 13);
	return -1;                            /* TC_ACT_UNSPEC */
}

char _license[] SEC("license") = "GPL";
