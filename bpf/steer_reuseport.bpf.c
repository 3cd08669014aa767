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
#include "quic_probe.h"
#include "monitor.h"
#include "first.h"

/* The QUIC fields first: a BPF load or store reaches 32 KB past its
 * register (a 16-bit offset), so behind the 64 KB of p every access to
 * them took an address computed first (two more instructions each, 12
 * for the header's copy alone in ks_rp_group_short). */
struct ks_rp_scratch {
	struct ks_quic_inv qh;
	struct ks_pkt pkt;          /* a short header's addresses (ks_quic_group) */
	struct ks_flow qf, qhost;
	struct ks_addr pub;
	struct ks_route_scratch r;
	struct ks_http_walk hw;
	struct ks_scratch p;
};

#define KS_ENOENT 2                 /* errno: no socket at that key */

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

/* One of ksteerd's sockets in this group; SK_DROP when none. */
static __always_inline int ks_quic_rp_fallback(struct sk_reuseport_md *md)
{
	struct ks_slot slot = { .backend = KS_FALLBACK_ID };

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

/* The datagram's addresses and ports into p, as TC's ks_pkt has them
 * (offsets here: the UDP header at 0, the payload at 8, the end at
 * md->len). The IP header is read where the kernel says it starts. */
static __always_inline int ks_rp_pkt(struct sk_reuseport_md *md, struct ks_pkt *p)
{
	__u32 *a = (__u32 *)p->hdr;             /* saddr, daddr as the header has them */
	__be16 ports[2];

	p->v6 = md->eth_protocol == bpf_htons(ETH_P_IPV6);
	if (p->v6 ? bpf_skb_load_bytes_relative(md, 8, a, 32, BPF_HDR_START_NET) :
		    bpf_skb_load_bytes_relative(md, 12, a, 8, BPF_HDR_START_NET))
		return -1;
	if (bpf_skb_load_bytes(md, 0, ports, sizeof(ports)))
		return -1;
	__builtin_memset(p->saddr, 0, sizeof(p->saddr));
	__builtin_memset(p->daddr, 0, sizeof(p->daddr));
	if (p->v6) {
		__builtin_memcpy(p->saddr, a, 16);
		__builtin_memcpy(p->daddr, &a[4], 16);
	} else {
		p->saddr[0] = a[0];
		p->daddr[0] = a[1];
	}
	p->sport = ports[0];
	p->dport = ports[1];
	p->proto = IPPROTO_UDP;
	p->l4 = 0;
	p->payload = 8;
	p->len = md->len;
	return 0;
}

/* A short header TC passed, for ksteerd as TC would give it (why: its
 * counter); ksteerd has nothing to do with one but count it, so without
 * a socket of its in this group it is dropped, counted. */
static __attribute__((noinline)) int ks_quic_group_fallback(struct sk_reuseport_md *md,
							    struct ks_rp_scratch *s, __u32 why)
{
	int r;

	ks_count(why);
	if (ks_rp_pkt(md, &s->pkt))
		__builtin_memset(&s->pkt, 0, sizeof(s->pkt));
	r = ks_quic_rp_fallback(md);
	if (r == SK_PASS && why == KS_ST_QUIC_STALE)
		ks_decided(&s->pkt, NULL, QUIC_KSTEERD, SERVER_GONE, KS_FALLBACK_ID);
	else if (r == SK_PASS)
		ks_decided(&s->pkt, NULL, QUIC_KSTEERD, NEW_CONN, KS_FALLBACK_ID);
	else {
		ks_count(KS_ST_QUIC_DROPPED);
		ks_decided(&s->pkt, NULL, DROPPED, NO_KSTEERD, 0);
	}
	return r;
}

/* slot's socket selected (by its index in ks_quic_sk, else in
 * ks_listeners): SK_PASS. Not there: the server is gone (for ksteerd).
 * There but in another group (or none): TC passed it here wrongly, so
 * group mode ends (KS_CFG_QUIC_NOGROUP: TC routes short headers again,
 * by bpf_sk_assign) and this one is dropped; the client retransmits. */
static __always_inline int ks_quic_group_put(struct sk_reuseport_md *md, struct ks_rp_scratch *s,
					     struct ks_config *cfg, const struct ks_slot *slot,
					     __u32 how)
{
	__u32 i = KS_UDP_INDEX(slot->backend, slot->slot);
	long err = -KS_ENOENT;

	if (slot->backend < KS_MAX_BACKENDS && (slot->slot & KS_SLOT_UDP))
		err = bpf_sk_select_reuseport(md, &ks_quic_sk, &i, 0);
	if (err == -KS_ENOENT)
		err = bpf_sk_select_reuseport(md, &ks_listeners, (void *)slot, 0);
	if (!err) {
		ks_count(how);
		ks_count(KS_ST_RP_QUIC_SELECTED);
		ks_count(KS_ST_RP_QUIC_GROUP);
		if (how == KS_ST_QUIC_BY_PEER)
			ks_decided(&s->pkt, NULL, QUIC_ROUTED, BY_PEER, slot->backend);
		else if (how == KS_ST_QUIC_BY_PROBE)
			ks_decided(&s->pkt, NULL, QUIC_ROUTED, BY_PROBE, slot->backend);
		return SK_PASS;
	}
	if (err == -KS_ENOENT)
		return ks_quic_group_fallback(md, s, KS_ST_QUIC_STALE);
	cfg->flags |= KS_CFG_QUIC_NOGROUP;
	ks_count(KS_ST_QUIC_OUTSIDE_GROUP);
	return SK_DROP;
}

/*
 * A short header TC passed untouched (KS_CFG_QUIC_GROUP_ON: every QUIC
 * server is in this group): routed here as TC routes one otherwise, with
 * the same code: its CID (one lookup when the servers use one length),
 * and when that CID's last-seen time is due (once a second) the pair
 * checked for NAT rebinding (ks_quic_expect); an unknown CID by the pair
 * a server answers, else probing the servers in turn (quic_probe.h); a
 * gone server's or an unknown one's for ksteerd. Not QUIC: the kernel's
 * pick, as without us.
 */
static __always_inline int ks_quic_group(struct sk_reuseport_md *md, struct ks_rp_scratch *s,
					 struct ks_config *cfg, int read)
{
	struct ks_slot slot;
	__u32 how = 0;
	int r;

	if (!read && ks_quic_parse(md, 8, md->len, &s->qh))
		goto not_quic;
	r = ks_quic_short_find(&s->qh, &slot, &how);
	if (r) {
		if (ks_rp_pkt(md, &s->pkt))
			return SK_DROP;           /* no IP header to read: never hashed */
		ks_flow_of(&s->pkt, &s->qf);
	}
	if (r > 0) {
		ks_quic_expect(&s->qf, &slot);
	} else if (r < 0) {
		r = ks_quic_unknown(&s->pkt, &s->qh, &s->qf, &s->qhost, &slot);
		if (r == 1)
			goto not_quic;
		if (r < 0)
			return ks_quic_group_fallback(md, s, KS_ST_QUIC_TO_FALLBACK);
		how = r;
	}
	return ks_quic_group_put(md, s, cfg, &slot, how);
not_quic:
	ks_count(KS_ST_UDP_NOT_QUIC);
	return SK_PASS;
}

/* Whether the datagram is a short header TC passed to this program
 * (ksteer_tc's ks_quic_group_short, by the same bit): 0 not; 1 yes, its
 * first bytes read into h as ks_quic_parse would, straight from the
 * linear data (almost always there); 2 yes, h not read. */
static __always_inline int ks_rp_group_short(struct sk_reuseport_md *md, const struct ks_config *cfg,
					     struct ks_quic_inv *h)
{
	__u8 *d = (void *)(long)md->data, *end = (void *)(long)md->data_end, b0;

	if (!cfg || !KS_CFG_QUIC_GROUP_ON(cfg->flags))
		return 0;
	if (d + 8 + KS_QUIC_HDR_WINDOW <= end) {
		if (d[8] & 0x80)
			return 0;
#pragma unroll
		for (int i = 0; i < KS_QUIC_HDR_WINDOW / 8; i++)   /* 8 bytes a load */
			((__u64 *)h->raw)[i] = ((__u64 *)(d + 8))[i];
		h->raw_len = KS_QUIC_HDR_WINDOW;
		h->long_hdr = 0;
		return 1;
	}
	return !bpf_skb_load_bytes(md, 8, &b0, 1) && !(b0 & 0x80) ? 2 : 0;
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
	struct ks_config *cfg = ks_cfg();
	__u64 cookie;
	int g = ks_rp_group_short(md, cfg, &s->qh);

	/* Passed by TC: this program routes it. */
	if (g)
		return ks_quic_group(md, s, cfg, g == 1);
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
	return ks_quic_rp_fallback(md);
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
		 * these very bytes, by the same parser and routes, into that
		 * backend's listener (its ks_place_named). Routed here only
		 * when TC's choice is that route: a named prefix TC gave to
		 * ksteerd (a held flow handed over with the bytes it acked)
		 * stays ksteerd's, and a hand-back's segment keeps ksteerd's
		 * choice, made on its whole hello, as below. */
		if (s->p.hello.named) {
			backend = ks_route(&s->p, &s->r);
			if (backend != KS_ROUTE_LATER && backend == ks_tc_choice(md))
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
