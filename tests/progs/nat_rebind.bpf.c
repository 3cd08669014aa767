// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper, TC on the client's veth end: a NAT that rebinds the client
 * to a new address mid-connection (the interop runner's rebind-addr). The
 * client's UDP leaves from NAT_NEW instead of NAT_OLD (egress) and what
 * comes back to NAT_NEW is given to NAT_OLD again (ingress), so its socket
 * never notices while the server sees a new address. Attached once the
 * transfer runs. The addresses are tests/lib/netns.sh's CLI4 and a second
 * one on the client's link.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define NAT_OLD 0xc6120002   /* 198.18.0.2 */
#define NAT_NEW 0xc6120004   /* 198.18.0.4 */
#define TC_ACT_UNSPEC (-1)   /* the next filter runs */
#define IP_OFF 14
#define IP_CSUM_OFF (IP_OFF + 10)

/* Replace the IPv4 address at off (12: source, 16: destination) of a UDP
 * datagram that holds from, fixing the IP and UDP checksums. */
static __always_inline int rewrite(struct __sk_buff *skb, __u32 off, __u32 from, __u32 to)
{
	struct iphdr ip;
	__u32 old = bpf_htonl(from), new = bpf_htonl(to), udp_csum;

	if (bpf_skb_load_bytes(skb, IP_OFF, &ip, sizeof(ip)) || ip.version != 4 || ip.protocol != 17)
		return TC_ACT_UNSPEC;
	if ((off == 12 ? ip.saddr : ip.daddr) != old)
		return TC_ACT_UNSPEC;
	udp_csum = IP_OFF + ip.ihl * 4 + 6;
	bpf_l4_csum_replace(skb, udp_csum, old, new, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0 | 4);
	bpf_l3_csum_replace(skb, IP_CSUM_OFF, old, new, 4);
	bpf_skb_store_bytes(skb, IP_OFF + off, &new, 4, 0);
	return TC_ACT_UNSPEC;
}

SEC("tc/out")
int nat_out(struct __sk_buff *skb)
{
	return skb->protocol == bpf_htons(0x0800) ? rewrite(skb, 12, NAT_OLD, NAT_NEW) : TC_ACT_UNSPEC;
}

SEC("tc/in")
int nat_in(struct __sk_buff *skb)
{
	return skb->protocol == bpf_htons(0x0800) ? rewrite(skb, 16, NAT_NEW, NAT_OLD) : TC_ACT_UNSPEC;
}

char _license[] SEC("license") = "GPL";
