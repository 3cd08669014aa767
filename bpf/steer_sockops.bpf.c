// SPDX-License-Identifier: GPL-2.0
/*
 * sock_ops: backends register by just listening. Every listen() in the
 * attached cgroup comes here (BPF_SOCK_OPS_TCP_LISTEN_CB); a listener bound
 * to a configured backend address goes into ks_listeners in the first free
 * slot of its backend. The kernel removes the entry when the socket closes.
 *
 * Attached to a cgroup (the root by default), it sees listen() in every
 * network namespace below it, containers included. Only listeners in the
 * namespace `ksteer up` ran in are registered: the kfunc cannot give a
 * connection to a socket of another namespace (-ENETUNREACH), so one
 * there would only take a slot and drop what it was given. MPTCP
 * listeners are refused by the kfunc too: counted, never registered.
 */
#include "ks_bpf.h"

SEC("sockops")
int ksteer_sockops(struct bpf_sock_ops *ops)
{
	struct ks_addr a = {};
	struct ks_slot key;
	struct ks_config *cfg;
	struct ks_backend_stat *bs;
	struct bpf_sock *sk;
	__u32 *backend, i;

	if (ops->op != BPF_SOCK_OPS_TCP_LISTEN_CB)
		return 1;
	a.family = ops->family;
	a.port = bpf_htons(ops->local_port);
	if (ops->family == AF_INET) {
		__u32 ip = ops->local_ip4;

		__builtin_memcpy(a.addr, &ip, 4);
	} else if (ops->family == AF_INET6) {
		__u32 ip6[4] = { ops->local_ip6[0], ops->local_ip6[1],
				 ops->local_ip6[2], ops->local_ip6[3] };

		__builtin_memcpy(a.addr, ip6, 16);
	} else {
		return 1;
	}
	backend = bpf_map_lookup_elem(&ks_backend_addrs, &a);
	if (!backend)
		return 1;
	cfg = ks_cfg();
	if (!cfg || bpf_get_netns_cookie(ops) != cfg->netns_cookie) {
		ks_count(KS_ST_REG_OTHER_NETNS);
		return 1;
	}
	sk = ops->sk;
	if (sk && bpf_skc_to_mptcp_sock(sk)) {
		ks_count(KS_ST_REG_MPTCP);
		bs = bpf_map_lookup_elem(&ks_backend_stats, backend);
		if (bs)
			bs->mptcp_refused++;
		return 1;
	}
	key.backend = *backend;
#pragma unroll
	for (i = 0; i < KS_MAX_SLOTS; i++) {
		key.slot = i;
		if (!bpf_sock_hash_update(ops, &ks_listeners, &key, BPF_NOEXIST)) {
			__u64 cookie = bpf_get_socket_cookie(ops);

			bpf_map_update_elem(&ks_listener_backend, &cookie, &key.backend, BPF_ANY);
			ks_count(KS_ST_REGISTERED);
			return 1;
		}
	}
	ks_count(KS_ST_REGISTER_FULL);
	return 1;
}

char _license[] SEC("license") = "GPL";
