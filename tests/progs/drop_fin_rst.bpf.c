// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper, TC egress on the client's veth: drops every outgoing IPv4
 * TCP segment to port 443 that has FIN or RST set, so that the client can
 * forget a connection (close with SO_LINGER 0) while the server's socket
 * stays ESTABLISHED: what a client that crashed, rebooted or lost its NAT
 * mapping leaves behind.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int drop_fin_rst(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->protocol != 6)
		return -1;
	th = (void *)ip + ip->ihl * 4;
	if ((void *)(th + 1) > end || th->dest != bpf_htons(443))
		return -1;
	return th->fin || th->rst ? 2 /* TC_ACT_SHOT */ : -1;
}

char _license[] SEC("license") = "GPL";
