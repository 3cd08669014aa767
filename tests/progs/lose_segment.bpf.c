// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper, XDP on the server's interface, ahead of ksteer's TC program:
 * loses one data segment of every new flow to port 443, once (the first or
 * the second data segment that arrives), so ksteer sees the later segments
 * first and the lost one only when the client retransmits it. A drop on the
 * client's own egress would not do: TCP sees a local drop and resends at
 * once, in order.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u16);                   /* client port */
	__type(value, __u32);                 /* data segments seen so far */
} seen SEC(".maps");

static __always_inline int lose(struct xdp_md *ctx, __u32 lose_index)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th;
	__u32 *n, zero = 0, count;
	__u16 sport;

	if ((void *)(ip + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->protocol != 6 ||
	    ip->ihl != 5)
		return XDP_PASS;
	th = (void *)(ip + 1);
	if ((void *)(th + 1) > end || th->dest != bpf_htons(443))
		return XDP_PASS;
	sport = th->source;
	if (th->syn) {
		bpf_map_update_elem(&seen, &sport, &zero, BPF_ANY);
		return XDP_PASS;
	}
	if (bpf_ntohs(ip->tot_len) <= 20 + th->doff * 4)
		return XDP_PASS;                  /* no payload */
	n = bpf_map_lookup_elem(&seen, &sport);
	if (!n)
		return XDP_PASS;
	count = __sync_fetch_and_add(n, 1);
	return count == lose_index ? XDP_DROP : XDP_PASS;
}

SEC("xdp/lose_first")
int lose_first(struct xdp_md *ctx)
{
	return lose(ctx, 0);
}

SEC("xdp/lose_second")
int lose_second(struct xdp_md *ctx)
{
	return lose(ctx, 1);
}

char _license[] SEC("license") = "GPL";
