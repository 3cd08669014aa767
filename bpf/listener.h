/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Choosing the listener a connection is created in: shared by the fast path
 * (steer_tc.bpf.c) and the hand-back of connections ksteerd held
 * (handback.h).
 */
#ifndef KS_LISTENER_H
#define KS_LISTENER_H

#include "ks_bpf.h"

extern int bpf_sk_assign_tcp_reqsk(struct __sk_buff *skb, struct sock *sk,
				   struct bpf_tcp_req_attrs *attrs, int attrs__sz) __ksym;

/*
 * A listener in a SO_REUSEPORT group is re-selected by the kernel on this
 * very segment; without our sk_reuseport program on the group that choice
 * is a hash over every member. On the public port the members may be
 * several backends (registered with --pid): a misroute, so refuse. A group
 * on any other address:port belongs to the one backend configured there,
 * and hashing among its workers is what the backend asked for.
 */
static __always_inline int ks_group_unsteered(struct bpf_sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);
	struct sock_reuseport *reuse;

	if (!tp)
		return 0;
	reuse = tp->inet_conn.icsk_inet.sk.sk_reuseport_cb;
	if (!reuse)
		return 0;
	return reuse->prog == NULL;
}

/*
 * A listener of backend that can take this packet (referenced), starting at
 * a random slot, looking up only slots ever taken (ks_slot_used); NULL if
 * none. An IPv4 listener cannot take an IPv6 client
 * (the kernel would build an IPv6 request on an IPv4 socket); an IPv6 one
 * takes IPv4 clients as v4-mapped, as the kernel's own path does.
 */
static __always_inline struct bpf_sock *ks_pick_listener(struct ks_slot *key, int v6)
{
	__u32 start = bpf_get_prandom_u32(), i;
	struct bpf_sock *sk = NULL;

#pragma unroll
	for (i = 0; i < KS_MAX_SLOTS; i++) {
		__u32 u = 0, *used;

		key->slot = (start + i) & (KS_MAX_SLOTS - 1);
		u = ks_slot_used_key(key->backend, key->slot);
		used = bpf_map_lookup_elem(&ks_slot_used, &u);
		if (used && !*used)
			continue;                 /* never taken: no lookup */
		sk = bpf_map_lookup_elem(&ks_listeners, key);
		if (!sk)
			continue;
		if (!v6 || sk->family == AF_INET6)
			break;
		bpf_sk_release(sk);
		sk = NULL;
	}
	return sk;
}

/* The listener's accept queue is full: the kernel would drop the child made
 * from this segment after the kfunc accepted it (sk_acceptq_is_full). */
static __always_inline int ks_queue_full(struct bpf_sock *sk)
{
	struct tcp_sock *tp = bpf_skc_to_tcp_sock(sk);

	if (!tp)
		return 0;
	return tp->inet_conn.icsk_inet.sk.sk_ack_backlog >
	       tp->inet_conn.icsk_inet.sk.sk_max_ack_backlog;
}

#endif
