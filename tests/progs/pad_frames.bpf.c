// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper, TC egress on the client's veth: pads every frame shorter
 * than the Ethernet minimum (60 bytes without the FCS) with zeros, as a
 * NIC does on the wire. The receiver's skb then carries bytes past the IP
 * datagram's end (a 40-byte bare ACK arrives as a 60-byte frame); only the
 * IP header's length says where the packet ends.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define ETH_ZLEN 60

SEC("tc")
int pad_frames(struct __sk_buff *skb)
{
	/* bpf_skb_change_tail zeroes the bytes it adds. */
	if (skb->len < ETH_ZLEN)
		bpf_skb_change_tail(skb, ETH_ZLEN, 0);
	return -1;                            /* TC_ACT_UNSPEC: on to the wire */
}

char _license[] SEC("license") = "GPL";
