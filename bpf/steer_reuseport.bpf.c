// SPDX-License-Identifier: GPL-2.0
/*
 * sk_reuseport: the right member of a SO_REUSEPORT group on the public port.
 *
 * When TC assigns a connection to a listener that shares its port with
 * other backends' listeners, the kernel selects again inside the group on
 * that same first data segment. This program reads the ClientHello in it,
 * routes it exactly as TC did, and selects one of the routed backend's
 * sockets. It never lets the kernel hash a ClientHello across backends.
 *
 * For UDP (QUIC servers sharing the port) it selects the socket that owns
 * the datagram's connection ID (bpf/quic.h).
 */
#include "ks_bpf.h"
#include "route.h"
#include "quic.h"
#include "first.h"

struct ks_rp_scratch {
	struct ks_scratch p;
	struct ks_route_scratch r;
	struct ks_quic_inv qh;
	struct ks_addr pub;
	struct ks_http_walk hw;
};

KS_CPU_ARRAY(ks_rp_scratch, struct ks_rp_scratch);

static __always_inline int ks_try_select(struct sk_reuseport_md *md, __u32 backend)
{
	struct ks_slot key = { .backend = backend };
	struct ks_backend_stat *bs;
	__u32 start = md->hash, i;

#pragma unroll
	for (i = 0; i < KS_MAX_SLOTS; i++) {
		key.slot = (start + i) & (KS_MAX_SLOTS - 1);
		/* Fails for empty slots and for sockets of another group. */
		if (!bpf_sk_select_reuseport(md, &ks_listeners, &key, 0)) {
			ks_count(KS_ST_RP_SELECTED);
			bs = bpf_map_lookup_elem(&ks_backend_stats, &backend);
			if (bs)
				bs->selected++;
			return SK_PASS;
		}
	}
	return SK_DROP;
}

/* One of backend's sockets in this group; else ksteerd's, as TC does. */
static __always_inline int ks_select(struct sk_reuseport_md *md, __u32 backend)
{
	if (ks_try_select(md, backend) == SK_PASS)
		return SK_PASS;
	if (backend != KS_FALLBACK_ID && ks_try_select(md, KS_FALLBACK_ID) == SK_PASS) {
		ks_count(KS_ST_RP_FALLBACK);
		return SK_PASS;
	}
	ks_count(KS_ST_RP_DROP);
	return SK_DROP;
}

/* TC's choice for this very skb (quic.h, ks_quic_note): selected, 0;
 * -1: not TC's datagram, or its slot not in this group. */
static __always_inline int ks_quic_tc_note(struct sk_reuseport_md *md)
{
	struct sk_reuseport_kern *k = bpf_cast_to_kern_ctx(md);
	struct ks_quic_note *note = ks_quic_note_get();

	if (!note || note->skb != (__u64)(long)k->skb || note->len != md->len)
		return -1;
	note->skb = 0;                            /* one use */
	if (note->index) {
		__u32 i = note->index - 1;

		if (bpf_sk_select_reuseport(md, &ks_quic_sk, &i, 0))
			return -1;
	} else if (bpf_sk_select_reuseport(md, &ks_listeners, &note->slot, 0)) {
		return -1;
	}
	ks_count(KS_ST_RP_QUIC_SELECTED);
	ks_count(KS_ST_RP_QUIC_TC_PICK);
	return 0;
}

/*
 * A QUIC datagram: TC's choice when TC placed it (it did the lookups);
 * else the socket its CID names. What the CIDs do not name was placed by
 * TC, which also saw the address pair and probes (this context cannot):
 * md->sk is that socket, so it is kept. An unknown new connection does not
 * get here with TC in front (it goes to ksteerd's socket, outside the
 * group); without TC it goes to ksteerd's socket if in the group, else is
 * dropped, never hashed.
 */
static __always_inline int ks_quic_select(struct sk_reuseport_md *md, struct ks_rp_scratch *s)
{
	struct ks_slot slot, *v;
	__u32 how = 0;
	__u64 cookie;

	/* Placed by TC, which saw all there is to see: its choice. */
	if (!ks_quic_tc_note(md))
		return SK_PASS;
	/* Not QUIC: not ours to place (TC passed it too, and counted it);
	 * whichever member the kernel picks, as without us. */
	if (ks_quic_parse(md, 8, md->len, &s->qh) ||
	    (s->qh.long_hdr && !ks_quic_long_plausible(&s->qh)))
		return SK_PASS;
	if (ks_quic_lookup(&s->qh, &slot, &how) >= 0 &&
	    !bpf_sk_select_reuseport(md, &ks_listeners, &slot, 0)) {
		ks_count(KS_ST_RP_QUIC_SELECTED);
		return SK_PASS;
	}
	/* Short headers and zero-length DCIDs: by pair or probe, TC's. */
	if (!s->qh.long_hdr || !s->qh.dcid.len) {
		cookie = bpf_get_socket_cookie(md->sk);
		v = bpf_map_lookup_elem(&ks_quic_socks, &cookie);
		if (v && !bpf_sk_select_reuseport(md, &ks_listeners, v, 0)) {
			ks_count(KS_ST_RP_QUIC_SELECTED);
			return SK_PASS;
		}
	}
	slot.backend = KS_FALLBACK_ID;
	for (__u32 i = 0; i < 2 * KS_MAX_SLOTS; i++) {
		slot.slot = KS_UDP_TRY_SLOT(md->eth_protocol == bpf_htons(ETH_P_IPV6), i, 0);
		if (!bpf_sk_select_reuseport(md, &ks_listeners, &slot, 0)) {
			ks_count(KS_ST_RP_FALLBACK);
			return SK_PASS;
		}
	}
	ks_count(KS_ST_RP_DROP);
	return SK_DROP;
}

/*
 * The backend of the listener TC assigned this segment to (md->sk), or
 * ksteerd's. TC gives a ClientHello too big for this parser to ksteerd,
 * except when ksteerd hands that very connection back (handback.h): then
 * TC's choice is the backend ksteerd routed it to, and giving it to
 * ksteerd's socket again would loop. Likewise when TC placed a held
 * ClientHello whose first segment is only part of it (ks_tc_placed).
 */
static __always_inline __u32 ks_tc_choice(struct sk_reuseport_md *md)
{
	__u64 cookie = bpf_get_socket_cookie(md->sk);
	__u32 *b = bpf_map_lookup_elem(&ks_listener_backend, &cookie);

	return b ? *b : KS_FALLBACK_ID;
}

/*
 * Whether this group listens on a public address and port (or the
 * wildcard address on a public port), where its members may belong to
 * several backends. A group anywhere else is one backend's workers, and
 * the kernel's hash among them is what that backend asked for.
 */
static __always_inline int ks_public_group(struct sk_reuseport_md *md, struct ks_rp_scratch *s)
{
	struct bpf_sock *sk = md->sk;
	struct ks_config *cfg = ks_cfg();
	int hit = 0;

	if (!sk || !cfg)
		return 1;                         /* unknown: the careful answer */
#pragma unroll
	for (int i = 0; i < KS_MAX_PORTS; i++)
		hit |= cfg->ports[i] && cfg->ports[i] == bpf_htons(sk->src_port);
	if (!hit)
		return 0;
	if (md->bind_inany)
		return 1;
	__builtin_memset(&s->pub, 0, sizeof(s->pub));
	s->pub.family = sk->family;
	if (sk->family == AF_INET) {
		__u32 a = sk->src_ip4;

		__builtin_memcpy(s->pub.addr, &a, 4);
	} else {
		__u32 a6[4] = { sk->src_ip6[0], sk->src_ip6[1], sk->src_ip6[2], sk->src_ip6[3] };

		__builtin_memcpy(s->pub.addr, a6, 16);
	}
	return bpf_map_lookup_elem(&ks_public, &s->pub) != NULL;
}

SEC("sk_reuseport/migrate")
int ksteer_reuseport(struct sk_reuseport_md *md)
{
	struct ks_rp_scratch *s;
	struct ks_first_job job;
	__u8 th[20];
	__u32 payload, backend;

	if (md->ip_protocol == IPPROTO_UDP && !md->migrating_sk) {
		s = KS_CPU_SLOT(ks_rp_scratch);
		return s ? ks_quic_select(md, s) : SK_DROP;
	}
	if (md->ip_protocol != IPPROTO_TCP)
		return SK_PASS;
	if (md->migrating_sk) {
		/* A closing listener's queue (tcp_migrate_req): to a sibling of
		 * the same backend, or nowhere; never to another backend. */
		__u64 cookie = bpf_get_socket_cookie(md->sk);
		__u32 *b = bpf_map_lookup_elem(&ks_listener_backend, &cookie);

		if (b && ks_select(md, *b) == SK_PASS) {
			ks_count(KS_ST_RP_MIGRATED);
			return SK_PASS;
		}
		ks_count(KS_ST_RP_MIGRATE_DROP);
		return SK_DROP;
	}
	s = KS_CPU_SLOT(ks_rp_scratch);
	if (!s)
		return SK_DROP;
	if (bpf_skb_load_bytes(md, 0, th, sizeof(th)))
		return SK_DROP;                   /* no TCP header: nothing to place */
	payload = (th[12] >> 4) * 4;
	if (payload < 20 || payload >= md->len) {
		/* A SYN reaches the group only when TC left it to the kernel
		 * (TIME_WAIT reuse, an IP header TC does not read, an old
		 * connection's 4-tuple, --fallback-only, no TC on that device):
		 * nothing to route on, so ksteerd takes it, which reads the
		 * ClientHello. In a public group without ksteerd it is dropped,
		 * never hashed to some backend (the client retries). */
		if (ks_try_select(md, KS_FALLBACK_ID) == SK_PASS) {
			ks_count(KS_ST_RP_FALLBACK);
			return SK_PASS;
		}
		if (ks_public_group(md, s)) {
			ks_count(KS_ST_RP_SYN_DROP);
			return SK_DROP;
		}
		ks_count(KS_ST_RP_PASS);
		return SK_PASS;                   /* one backend's workers: its hash */
	}
	/* What cannot be routed here (a ClientHello bigger than the kernel
	 * keeps, as TC decided) goes to ksteerd; without it, dropped: never
	 * hashed across backends. */
	backend = KS_FALLBACK_ID;
	job.s = &s->p;
	job.hw = &s->hw;
	job.dport = th[2] | th[3] << 8;           /* as the header has it: network order */
	job.count = 0;
	switch (ks_first_parse(md, NULL, payload, md->len, &job)) {
	case KS_HELLO_COMPLETE:
	case KS_HELLO_MALFORMED:
	case KS_HELLO_NOT_TLS:
	case KS_FIRST_UNNAMED:
		/* An unreadable one names nothing (the parser cleared it):
		 * the default route of its space, as TC decided. */
		backend = ks_route(&s->p, &s->r);
		break;
	case KS_HELLO_INCOMPLETE:
		/* Part of a ClientHello that names its route: TC placed it on
		 * these very bytes, by the same parser and routes (its
		 * ks_place_named). One whose route may still depend on ALPN
		 * TC held, and a hand-back's segment keeps ksteerd's choice,
		 * made on its whole hello, as below. */
		if (s->p.hello.named && !ks_hb_pending()) {
			backend = ks_route(&s->p, &s->r);
			if (backend != KS_ROUTE_LATER)
				break;
			backend = KS_FALLBACK_ID;
		}
		/* fall through */
	default:
		/* ... and so does a held ClientHello TC placed with a
		 * prefix of it (ks_tc_placed). */
		if (ks_hb_pending() || ks_tc_placed(th))
			backend = ks_tc_choice(md);
		break;
	}
	if (!backend) {
		ks_count(KS_ST_RP_DROP);
		return SK_DROP;
	}
	return ks_select(md, backend);
}

char _license[] SEC("license") = "GPL";
