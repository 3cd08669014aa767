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
		__u32 u = ks_slot_used_key(key.backend, i), *used;

		key.slot = i;
		used = bpf_map_lookup_elem(&ks_slot_used, &u);
		if (used)
			*used = 1;                /* before it goes in: TC looks there */
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

/*
 * QUIC servers (UDP) have no listen(): a restarted one is found when it
 * binds. `backend add --pid` records the server's cgroup (v2) in
 * ks_quic_cgroups when that cgroup is its own; a UDP bind to a public port
 * from there, in our namespace, leaves the process in ks_quic_binds, and
 * ksteerd registers its sockets from it (ks_quic_adopt, lib/backends.c):
 * a SOCKHASH cannot be written from a cgroup sock program. Only root (who
 * writes ks_quic_cgroups) says which cgroup is which backend.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_MAX_BACKENDS);
	__type(key, __u64);                   /* cgroup v2 id */
	__type(value, __u32);                 /* backend id */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_QUIC_BINDS);
	__type(key, __u32);                   /* the binding process (tgid) */
	__type(value, struct ks_quic_bind);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_quic_binds SEC(".maps");

static __always_inline int ks_quic_bound(struct bpf_sock *sk)
{
	struct ks_config *cfg = ks_cfg();
	struct ks_quic_bind b = {};
	__u64 cg = bpf_get_current_cgroup_id();
	__u32 *backend, tgid = bpf_get_current_pid_tgid() >> 32, hit = 0;

	if (sk->protocol != IPPROTO_UDP || !cfg || !(cfg->flags & KS_CFG_QUIC))
		return 1;
#pragma unroll
	for (int i = 0; i < KS_MAX_PORTS; i++)
		hit |= cfg->ports[i] && cfg->ports[i] == bpf_htons(sk->src_port);
	backend = hit ? bpf_map_lookup_elem(&ks_quic_cgroups, &cg) : NULL;
	if (!backend)
		return 1;
	if (bpf_get_netns_cookie(sk) != cfg->netns_cookie) {
		ks_count(KS_ST_REG_OTHER_NETNS);
		return 1;
	}
	b.backend = *backend;
	b.ns = bpf_ktime_get_ns();
	/* Full (more restarts at once than ksteerd drains): the next bind of
	 * that process, or `backend add --pid`, registers it. */
	if (!bpf_map_update_elem(&ks_quic_binds, &tgid, &b, BPF_ANY))
		ks_count(KS_ST_QUIC_BIND_SEEN);
	return 1;                             /* never refuses a bind */
}

SEC("cgroup/post_bind4")
int ksteer_bind4(struct bpf_sock *sk)
{
	return ks_quic_bound(sk);
}

SEC("cgroup/post_bind6")
int ksteer_bind6(struct bpf_sock *sk)
{
	return ks_quic_bound(sk);
}

char _license[] SEC("license") = "GPL";
