// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper, XDP on a veth end: loses a share of the UDP datagrams that
 * arrive (IPv4 and IPv6), at random, for the QUIC interop runner's
 * handshakeloss and transferloss cases where the kernel has no netem.
 * Attached on both ends of the client's link it loses both ways.
 * Sections: xdp/loss10 (10 %), xdp/loss2 (2 %).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* Whether the frame is UDP over IPv4 or IPv6 (no extension headers). */
static __always_inline int is_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct ipv6hdr *ip6 = (void *)(eth + 1);

	if ((void *)(eth + 1) > end)
		return 0;
	if (eth->h_proto == bpf_htons(0x0800))
		return (void *)(ip + 1) <= end && ip->protocol == 17;
	if (eth->h_proto == bpf_htons(0x86dd))
		return (void *)(ip6 + 1) <= end && ip6->nexthdr == 17;
	return 0;
}

static __always_inline int lose(struct xdp_md *ctx, __u32 percent)
{
	/* Lost on purpose: this is the loss under test. */
	if (is_udp(ctx) && bpf_get_prandom_u32() % 100 < percent)
		return XDP_DROP;
	return XDP_PASS;
}

SEC("xdp/loss10")
int udp_loss10(struct xdp_md *ctx)
{
	return lose(ctx, 10);
}

SEC("xdp/loss2")
int udp_loss2(struct xdp_md *ctx)
{
	return lose(ctx, 2);
}

char _license[] SEC("license") = "GPL";
