// SPDX-License-Identifier: GPL-2.0
/*
 * Bench helper (bench/tc_floor.sh): TC ingress programs that do next to
 * nothing, so that a live flood shows what one program run costs before it
 * does any work: the attach method's dispatch (cls_bpf or TCX), the clock
 * reads kernel.bpf_stats_enabled adds around every run, and the first read
 * of the packet's bytes. And an sk_reuseport program that only selects,
 * the least a group's program can do that still picks the socket.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define TC_ACT_UNSPEC (-1)        /* also TCX_NEXT: the next program, then the stack */

/* The receiver's group members (bench/tc_floor.c fills it, index 0
 * first). A SOCKMAP, as ksteer's ks_quic_sk: a socket in one (ksteer's
 * too) cannot be put in a REUSEPORT_SOCKARRAY (EBUSY). */
struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} floor_socks SEC(".maps");

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

/* Selects member 0, nothing read: one helper call, as a group's program
 * that already knows its socket makes. Unselectable (never here): the
 * kernel's hash. */
SEC("sk_reuseport")
int floor_select(struct sk_reuseport_md *md)
{
	__u32 zero = 0;

	bpf_sk_select_reuseport(md, &floor_socks, &zero, 0);
	return SK_PASS;
}

char _license[] SEC("license") = "GPL";
