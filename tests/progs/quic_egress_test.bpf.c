// SPDX-License-Identifier: GPL-2.0
/*
 * Test helper: TC egress's QUIC learning (bpf/quic_egress.h) for the
 * fixtures, with the sending socket's slot read from test_slot instead of
 * found by its cookie (BPF_PROG_TEST_RUN gives each run a new socket).
 * Loaded with the TC program's maps (tests/fixtures/test_quic_steer.c).
 */
#include "ks_bpf.h"
#include "quic_egress.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_slot);
} test_slot SEC(".maps");

SEC("tc")
int quic_egress_test(struct __sk_buff *skb)
{
	struct ks_config *cfg = ks_cfg();
	struct ks_egress_scratch *s;
	struct ks_slot *slot;
	__u32 zero = 0;

	s = bpf_map_lookup_elem(&ks_egress_scratch, &zero);
	slot = bpf_map_lookup_elem(&test_slot, &zero);
	if (!cfg || !s || !slot || ks_egress_parse(skb, cfg, s))
		return TC_ACT_UNSPEC;
	return ks_egress_learn(s, slot);
}

char _license[] SEC("license") = "GPL";
