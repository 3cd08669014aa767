// SPDX-License-Identifier: GPL-2.0
/*
 * bpf/quic_decrypt.h under BPF_PROG_TEST_RUN (tests/fixtures/
 * test_quic_decrypt.c, bench/quic_decrypt_cost.c): an Ethernet + IPv4/IPv6
 * + UDP frame in, its payload decrypted into the qd_work map's one value,
 * which userspace reads back; the return value is ks_qd_datagram's
 * (0 or KS_QC_E_*). qd_steps (0 header fields, 1 + keys, 2 + header
 * protection, 3 all) is set before
 * loading. Private maps: nothing is pinned.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "quic_decrypt.h"

#define ETH_HLEN 14

const volatile int qd_steps = 3;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_qc);
} qd_work SEC(".maps");

/* Where the UDP header starts: the test's frames carry no IP options but
 * IPv4's IHL is honoured anyway. 0: not a frame we read. */
static __always_inline __u32 udp_header(struct __sk_buff *skb)
{
	__u8 b[2];

	if (bpf_skb_load_bytes(skb, 12, b, 2))
		return 0;
	if (b[0] == 0x86 && b[1] == 0xdd)
		return ETH_HLEN + 40;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, b, 1))
		return 0;
	return ETH_HLEN + (b[0] & 15) * 4;
}

SEC("tc")
int quic_decrypt(struct __sk_buff *skb)
{
	__u32 k = 0, udp = udp_header(skb);
	struct ks_qc *s = bpf_map_lookup_elem(&qd_work, &k);
	__u8 l[2];

	if (!s || !udp || bpf_skb_load_bytes(skb, udp + 4, l, 2))
		return -1;
	/* The payload's length from the UDP header, as the routing will. */
	return ks_qd_datagram(skb, udp + 8, (l[0] << 8 | l[1]) - 8, s, qd_steps);
}

char LICENSE[] SEC("license") = "GPL";
