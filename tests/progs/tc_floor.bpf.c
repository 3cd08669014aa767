// SPDX-License-Identifier: GPL-2.0
/*
 * Bench helper (bench/tc_floor.sh): TC ingress programs that do next to
 * nothing, so that a live flood shows what one program run costs before it
 * does any work: the attach method's dispatch (cls_bpf or TCX), the clock
 * reads kernel.bpf_stats_enabled adds around every run, and the first read
 * of the packet's bytes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_UNSPEC (-1)        /* also TCX_NEXT: the next program, then the stack */

/* Returns at once. */
SEC("tc")
int floor_ret(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

/* Reads the first byte of the frame in place (its first touch here). */
SEC("tc")
int floor_touch(struct __sk_buff *skb)
{
	__u8 *d = (void *)(long)skb->data;

	if ((void *)(d + 1) > (void *)(long)skb->data_end)
		return TC_ACT_UNSPEC;
	return d[0] == 0x5a ? TC_ACT_UNSPEC - 1 : TC_ACT_UNSPEC;   /* never 0x5a: a MAC byte */
}

/* Two clock reads: what bpf_stats' own pair around a run costs. */
SEC("tc")
int floor_clock(struct __sk_buff *skb)
{
	__u64 a = bpf_ktime_get_ns(), b = bpf_ktime_get_ns();

	return b < a ? TC_ACT_UNSPEC - 1 : TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
