// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper, TC ingress on a router's client-side interface: marks every
 * TCP SYN (skb->mark = 1) so that policy routing (ip rule fwmark 1) sends it
 * to one host and the rest of its flow to another, as an ECMP next hop that
 * changes under a flow would (tests/test_cookie_e2e.sh).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TC_ACT_OK 0

SEC("tc")
int syn_mark(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);

	if ((void *)(th + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5 ||
	    ip->protocol != 6)
		return TC_ACT_OK;
	if (th->syn && !th->ack)
		skb->mark = 1;
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
