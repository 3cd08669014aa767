// SPDX-License-Identifier: GPL-2.0
/*
 * TC ingress: the TCP fast path.
 *
 *   SYN to the public port      -> our SYN-ACK with a cookie, no state kept
 *   bare ACK with our cookie    -> dropped (defer accept: no data, no child)
 *   first data with our cookie  -> parse ClientHello, route, and let the
 *                                  kernel create the connection directly in
 *                                  the chosen backend's listener
 *   anything with a socket      -> passed: the kernel owns the connection
 *
 * and, with `up --quic`, every UDP datagram to the public port goes to the
 * QUIC server socket that owns its connection (bpf/quic.h), or to ksteerd.
 */
#include "ks_bpf.h"
#include "cookie.h"
#include "packet.h"
#include "route.h"
#include "reasm.h"
#include "quic.h"
#include "listener.h"
#include "handback.h"

struct ks_tc_scratch {
	struct ks_scratch p;
	struct ks_pkt pkt;
	__u64 m[KS_SIP_WORDS];
	struct ks_flow flow;
	struct bpf_sock_tuple tuple;
	__u32 isn;
	struct ks_route_scratch r;
	struct ks_reply reply;
	struct ks_quic_inv qh;
	struct ks_flow qf;
	struct ks_flow qhost;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_tc_scratch);
} ks_tc_scratch SEC(".maps");

/* Per-CPU values are capped at 32 KB: the big buffers get maps of their own. */
struct ks_tc_linear {
	__u8 lin[KS_HS_BUF];      /* reassembled ClientHello, linear */
	struct ks_rewrite rw;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_tc_linear);
} ks_tc_linear SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_reasm);   /* template for a new ks_reasm entry */
} ks_tc_reasm_tmp SEC(".maps");

static __always_inline __u32 ks_slot_now(void)
{
	return bpf_ktime_get_ns() >> KS_SLOT_SHIFT;
}

static __always_inline __u32 ks_now_ms(void)
{
	return bpf_ktime_get_ns() / 1000000;
}

/* The socket on this segment's 4-tuple: in s->tuple, referenced, or NULL. */
static __always_inline struct bpf_sock *ks_lookup(struct __sk_buff *skb, struct ks_pkt *p,
						  struct ks_tc_scratch *s)
{
	struct bpf_sock_tuple *tuple = &s->tuple;
	__u32 tsz;

	if (p->v6) {
		__builtin_memcpy(tuple->ipv6.saddr, p->saddr, 16);
		__builtin_memcpy(tuple->ipv6.daddr, p->daddr, 16);
		tuple->ipv6.sport = p->th.source;
		tuple->ipv6.dport = p->th.dest;
		tsz = sizeof(tuple->ipv6);
	} else {
		tuple->ipv4.saddr = p->saddr[0];
		tuple->ipv4.daddr = p->daddr[0];
		tuple->ipv4.sport = p->th.source;
		tuple->ipv4.dport = p->th.dest;
		tsz = sizeof(tuple->ipv4);
	}
	return bpf_skc_lookup_tcp(skb, tuple, tsz, BPF_F_CURRENT_NETNS, 0);
}

static __always_inline int ks_time_wait(struct __sk_buff *skb, struct ks_pkt *p,
					struct ks_tc_scratch *s)
{
	struct bpf_sock *skc = ks_lookup(skb, p, s);
	int tw;

	if (!skc)
		return 0;
	tw = skc->state == BPF_TCP_TIME_WAIT;
	bpf_sk_release(skc);
	return tw;
}

/* ---- SYN -------------------------------------------------------------- */

static __always_inline int ks_handle_syn(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s)
{
	struct ks_syn_opts o;
	__u64 *m = s->m;
	__u32 opts[5], n = 0, cookie, ts_off, mss, mtu = 0, isn;

	if (ks_time_wait(skb, p, s)) {
		/* The kernel would refuse our child on this 4-tuple: let it
		 * handle the SYN (TIME_WAIT reuse) and give the connection to
		 * ksteerd's listener on the public port. */
		ks_count(KS_ST_TW_DETOUR);
		return TC_ACT_OK;
	}
	ks_opts_parse(p, &o);
	o.ecn = (p->th.flags & (KS_TH_ECE | KS_TH_CWR)) == (KS_TH_ECE | KS_TH_CWR);
	if (!o.mss)
		o.mss = p->v6 ? 1220 : 536;       /* RFC 9293 default */
	isn = bpf_ntohl(p->th.seq);
	ks_cookie_words(m, p->saddr, p->daddr, p->th.source, p->th.dest, isn);
	cookie = ks_cookie_make(cfg->key, m, ks_slot_now(), ks_cookie_opts(&o, p->v6), &ts_off);

	/* Our MSS: what this device carries. */
	bpf_check_mtu(skb, 0, &mtu, 0, 0);
	mss = mtu > 100 ? mtu - (p->v6 ? 60 : 40) : 536;
	if (mss > 65483)
		mss = 65483;
	opts[n++] = bpf_htonl(2 << 24 | 4 << 16 | mss);
	if (o.ts) {
		opts[n++] = bpf_htonl((o.sack ? (4 << 24 | 2 << 16) : (1 << 24 | 1 << 16)) |
				      8 << 8 | 10);
		opts[n++] = bpf_htonl(ks_now_ms() + ts_off);
		opts[n++] = bpf_htonl(o.tsval);
	} else if (o.sack) {
		opts[n++] = bpf_htonl(1 << 24 | 1 << 16 | 4 << 8 | 2);
	}
	if (o.wscale != KS_WS_NONE)
		opts[n++] = bpf_htonl(1 << 24 | 3 << 16 | 3 << 8 | KS_OUR_WSCALE);

	if (ks_reply(skb, p, &s->reply, cookie, isn + 1,
		     KS_TH_SYN | KS_TH_ACK | (o.ecn ? KS_TH_ECE : 0), 64240, opts, n)) {
		/* Could not rewrite it: the client will retransmit the SYN. */
		ks_count(KS_ST_SYN_BAD);
		return TC_ACT_SHOT;
	}
	ks_count(KS_ST_SYN);
	return bpf_redirect(skb->ifindex, 0);
}

/* ---- first segments after our SYN-ACK ---------------------------------- */

static __always_inline int ks_cookie_valid(struct ks_pkt *p, struct ks_config *cfg,
					   struct ks_tc_scratch *s, __u32 *cookie)
{
	__u32 slot = ks_slot_now();
	__u64 *m = s->m;

	*cookie = bpf_ntohl(p->th.ack_seq) - 1;
	ks_cookie_words(m, p->saddr, p->daddr, p->th.source, p->th.dest,
			bpf_ntohl(p->th.seq) - 1);
	if (ks_cookie_match(cfg->key, m, slot, *cookie) ||
	    ks_cookie_match(cfg->key, m, slot - 1, *cookie))
		return 1;
	if (!cfg->prev_valid)
		return 0;
	return ks_cookie_match(cfg->prev_key, m, slot, *cookie) ||
	       ks_cookie_match(cfg->prev_key, m, slot - 1, *cookie);
}

/* Refuse with a RST; only ever for segments that carried our cookie. */
static __always_inline int ks_refuse(struct __sk_buff *skb, struct ks_pkt *p,
				     struct ks_tc_scratch *s)
{
	__u32 datalen = p->len - p->payload;

	if (ks_reply(skb, p, &s->reply, bpf_ntohl(p->th.ack_seq),
		     bpf_ntohl(p->th.seq) + datalen, KS_TH_RST | KS_TH_ACK, 0, 0, 0)) {
		ks_count(KS_ST_RST_FAIL);
		return TC_ACT_SHOT;
	}
	ks_count(KS_ST_RST_SENT);
	return bpf_redirect(skb->ifindex, 0);
}

/*
 * Create the connection in a listener of backend. A backend with no
 * listener (restarting, or one that ksteerd proxies or hands off to) goes
 * to ksteerd's listener, the fallback, when it runs; never to another
 * backend. 0: assigned; -1: refuse (RST); -2: dropped (counted).
 */
static __always_inline int ks_assign(struct __sk_buff *skb, struct ks_pkt *p,
				     __u32 cookie, __u32 backend, __u16 public_port)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct ks_syn_opts o, ack;
	struct ks_slot key = { .backend = backend };
	struct bpf_sock *sk;
	struct ks_backend_stat *bs;
	int ret;

	sk = ks_pick_listener(&key, p->v6);
	if (!sk && backend != KS_FALLBACK_ID) {
		key.backend = KS_FALLBACK_ID;
		sk = ks_pick_listener(&key, p->v6);
		if (sk)
			ks_count(KS_ST_TO_FALLBACK);
	}
	if (!sk) {
		ks_count(KS_ST_NO_LISTENER);
		return -1;
	}
	if (sk->src_port == bpf_ntohs(public_port) && ks_group_unsteered(sk)) {
		bpf_sk_release(sk);
		ks_count(KS_ST_UNSTEERED_GROUP);
		return -1;
	}

	ks_cookie_decode(cookie, p->v6, &o);
	ks_opts_parse(p, &ack);
	attrs.mss = o.mss;
	if (o.wscale != KS_WS_NONE) {
		attrs.wscale_ok = 1;
		attrs.snd_wscale = o.wscale;
		attrs.rcv_wscale = KS_OUR_WSCALE;
	}
	attrs.sack_ok = o.sack;
	attrs.ecn_ok = o.ecn;
	if (o.ts && ack.ts) {
		attrs.tstamp_ok = 1;
		attrs.rcv_tsval = ack.tsval;
		attrs.rcv_tsecr = ack.tsecr;
	}
	ret = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)sk, &attrs, sizeof(attrs));
	bpf_sk_release(sk);
	if (ret) {
		ks_count(KS_ST_ASSIGN_ERR);
		return -2;
	}
	ks_count(KS_ST_ASSIGNED);
	bs = bpf_map_lookup_elem(&ks_backend_stats, &backend);
	if (bs)
		bs->assigned++;
	return 0;
}

/* A whole ClientHello is in s->p: route it and create the connection. */
static __always_inline int ks_place(struct __sk_buff *skb, struct ks_pkt *p, struct ks_config *cfg,
				    struct ks_tc_scratch *s, __u32 cookie)
{
	struct ks_backend_stat *bs;
	__u32 backend;
	int st;

	backend = ks_route(&s->p, &s->r);
	if (!backend) {
		ks_count(KS_ST_NO_ROUTE);
		return ks_refuse(skb, p, s);
	}
	bs = bpf_map_lookup_elem(&ks_backend_stats, &backend);
	if (bs)
		bs->routed++;
	st = ks_assign(skb, p, cookie, backend, cfg->port);
	if (st == -1)
		return ks_refuse(skb, p, s);
	if (st)
		return TC_ACT_SHOT;               /* kfunc refused: counted */
	return TC_ACT_OK;
}

/* To ksteerd's listener as it stands; refused (RST) when ksteerd does not
 * run, so the client learns at once instead of retransmitting. */
static __always_inline int ks_to_fallback(struct __sk_buff *skb, struct ks_pkt *p,
					  struct ks_config *cfg, struct ks_tc_scratch *s,
					  __u32 cookie)
{
	int st = ks_assign(skb, p, cookie, KS_FALLBACK_ID, cfg->port);

	if (st == -1)
		return ks_refuse(skb, p, s);
	return st ? TC_ACT_SHOT : TC_ACT_OK;   /* kfunc refused: counted */
}

/* The parse ended without a whole ClientHello we can route. */
static __always_inline int ks_not_placed(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s,
					 __u32 cookie, int st)
{
	if (st == KS_HELLO_TOO_BIG) {
		/* Beyond our 8 KB buffer, not beyond TLS: ksteerd peeks at up
		 * to 16 KB. */
		ks_count(KS_ST_TOO_BIG);
		return ks_to_fallback(skb, p, cfg, s, cookie);
	}
	/* Not TLS or a broken ClientHello: refused, never guessed. */
	ks_count(KS_ST_MALFORMED);
	return ks_refuse(skb, p, s);
}

/*
 * Acknowledge what we hold of the ClientHello, as the connection will once
 * it exists: the client then sends on, and after a loss retransmits the
 * missing segment rather than only its first one. The child is created
 * with every acknowledged byte (ks_reasm_rewrite), so nothing acked is lost.
 */
static __always_inline int ks_reasm_ack(struct __sk_buff *skb, struct ks_pkt *p,
					struct ks_tc_scratch *s, const struct ks_reasm *e, __u32 n)
{
	struct ks_syn_opts o, seg;
	__u32 opts[3], k = 0;

	ks_cookie_decode(e->cookie, p->v6, &o);
	ks_opts_parse(p, &seg);
	if (o.ts && seg.ts) {
		opts[k++] = bpf_htonl(1 << 24 | 1 << 16 | 8 << 8 | 10);
		/* TSval: the one the client echoes, not a newer one. The child
		 * starts its clock from the echo in the segment that completes
		 * the hello (bpf_sk_assign_tcp_reqsk); had we sent a newer TSval,
		 * the client's PAWS check would drop the child's first replies
		 * as old whenever a millisecond tick or two fell in between,
		 * costing it a 200 ms retransmission timeout. */
		opts[k++] = bpf_htonl(seg.tsecr);
		opts[k++] = bpf_htonl(seg.tsval);
	}
	if (ks_reply(skb, p, &s->reply, e->cookie + 1, e->isn + 1 + n, KS_TH_ACK,
		     o.wscale != KS_WS_NONE ? 64240 >> KS_OUR_WSCALE : 64240, opts, k))
		return TC_ACT_SHOT;               /* no ACK: the client retransmits */
	return bpf_redirect(skb->ifindex, 0);
}

/* Copy what is held contiguously from ISN + 1 into L->lin; its length. */
static __always_inline __u32 ks_reasm_held(const struct ks_reasm *e, struct ks_tc_linear *L)
{
	__u32 n = ks_reasm_contig(e);

	if (n > KS_HS_MAX)
		n = KS_HS_MAX;
	ks_reasm_linear(e, L->lin, n);
	return n;
}

/*
 * Let the held flow go: the segment in hand is rewritten to carry the n
 * bytes in L->lin from ISN + 1, so the connection made from it starts with
 * every byte we acknowledged. 0, or -1 when it had to be dropped.
 */
static __always_inline int ks_reasm_release(struct __sk_buff *skb, struct ks_pkt *p,
					    struct ks_tc_scratch *s, struct ks_reasm *e,
					    struct ks_tc_linear *L, __u32 n)
{
	s->isn = e->isn;
	bpf_map_delete_elem(&ks_reasm, &s->flow);
	if (ks_reasm_rewrite(skb, p, &L->rw, L->lin, n, s->isn)) {
		/* Dropped: the bytes are acked, only a connection can take
		 * them; the client's retransmissions meet no state and stop
		 * at its retry limit. Counted so it is seen. */
		ks_count(KS_ST_REASM_FAILED);
		return -1;
	}
	return 0;
}

/*
 * A held flow we will not finish (past its lifetime, too many segments, a
 * ClientHello beyond our buffer) goes to ksteerd with the n bytes held in
 * L->lin; the client's own retransmissions bring the rest to the socket.
 */
static __always_inline int ks_reasm_hand_over(struct __sk_buff *skb, struct ks_pkt *p,
					      struct ks_config *cfg, struct ks_tc_scratch *s,
					      struct ks_reasm *e, struct ks_tc_linear *L, __u32 n)
{
	__u32 cookie = e->cookie;

	if (ks_reasm_release(skb, p, s, e, L, n))
		return TC_ACT_SHOT;
	ks_count(KS_ST_REASM_HANDED);
	return ks_to_fallback(skb, p, cfg, s, cookie);
}

/* A segment of a verified flow whose ClientHello we are holding. */
static __always_inline int ks_reasm_more(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s,
					 struct ks_reasm *e)
{
	__u32 cookie = bpf_ntohl(p->th.ack_seq) - 1, n, zero = 0;
	struct ks_tc_linear *L = bpf_map_lookup_elem(&ks_tc_linear, &zero);
	int st;

	if (!L)
		return TC_ACT_SHOT;
	if (cookie != e->cookie) {
		ks_count(KS_ST_COOKIE_BAD);
		return TC_ACT_OK;                 /* not the flow we hold */
	}
	if (p->th.flags & KS_TH_RST) {
		bpf_map_delete_elem(&ks_reasm, &s->flow);
		return TC_ACT_SHOT;               /* the client gave up */
	}
	if (ks_reasm_expired(e))
		return ks_reasm_hand_over(skb, p, cfg, s, e, L, ks_reasm_held(e, L));
	if (ks_reasm_store(skb, p, e)) {
		ks_count(KS_ST_REASM_OVERFLOW);
		return ks_reasm_hand_over(skb, p, cfg, s, e, L, ks_reasm_held(e, L));
	}
	n = ks_reasm_held(e, L);
	if (n == 0)
		return TC_ACT_SHOT;               /* the first segment is still to come */
	st = ks_hello_parse(NULL, L->lin, 0, n, &s->p);
	if (st == KS_HELLO_INCOMPLETE)
		return ks_reasm_ack(skb, p, s, e, n);     /* more segments to come */
	if (st == KS_HELLO_TOO_BIG) {
		/* Too big for us, not for TLS: ksteerd, with what we acked. */
		ks_count(KS_ST_TOO_BIG);
		return ks_reasm_hand_over(skb, p, cfg, s, e, L, n);
	}
	cookie = e->cookie;
	if (st != KS_HELLO_COMPLETE) {
		bpf_map_delete_elem(&ks_reasm, &s->flow);
		return ks_not_placed(skb, p, cfg, s, cookie, st);   /* refused */
	}
	if (ks_reasm_release(skb, p, s, e, L, n))
		return TC_ACT_SHOT;
	ks_count(KS_ST_REASM_DONE);
	return ks_place(skb, p, cfg, s, cookie);
}

/* Insert src as s->flow's verified entry; a full table is swept once. */
static __always_inline struct ks_reasm *ks_reasm_insert(struct ks_tc_scratch *s,
							struct ks_reasm *src)
{
	if (bpf_map_update_elem(&ks_reasm, &s->flow, src, BPF_NOEXIST)) {
		ks_reasm_sweep();
		if (bpf_map_update_elem(&ks_reasm, &s->flow, src, BPF_NOEXIST))
			return NULL;
	}
	return bpf_map_lookup_elem(&ks_reasm, &s->flow);
}

/*
 * First segment verified, ClientHello incomplete: hold the flow, with any
 * segments that came before this one. A full table sends the flow to
 * ksteerd as it is: nothing has been acknowledged yet.
 */
static __always_inline int ks_reasm_begin(struct __sk_buff *skb, struct ks_pkt *p,
					  struct ks_config *cfg, struct ks_tc_scratch *s,
					  __u32 cookie)
{
	struct ks_reasm *e, *early, *tmp;
	__u32 zero = 0;

	tmp = bpf_map_lookup_elem(&ks_tc_reasm_tmp, &zero);
	if (!tmp)
		return TC_ACT_SHOT;
	tmp->nseg = 0;
	early = bpf_map_lookup_elem(&ks_reasm_early, &s->flow);
	if (early && early->cookie != cookie)
		early = NULL;                     /* another connection's */
	e = ks_reasm_insert(s, early ? early : tmp);
	if (early)
		bpf_map_delete_elem(&ks_reasm_early, &s->flow);
	if (!e) {
		ks_count(KS_ST_REASM_FULL);
		return ks_to_fallback(skb, p, cfg, s, cookie);
	}
	e->born_ns = bpf_ktime_get_ns();
	e->isn = bpf_ntohl(p->th.seq) - 1;
	e->cookie = cookie;
	e->verified = 1;
	ks_count(KS_ST_REASM_STARTED);
	return ks_reasm_more(skb, p, cfg, s, e);
}

/* A data segment that does not verify: maybe a later segment of a
 * ClientHello whose first segment is late or lost. Held, unverified. */
static __always_inline int ks_reasm_hold_early(struct __sk_buff *skb, struct ks_pkt *p,
					       struct ks_tc_scratch *s, __u32 cookie)
{
	struct ks_reasm *e, *tmp;
	__u32 zero = 0;

	e = bpf_map_lookup_elem(&ks_reasm_early, &s->flow);
	if (e && ks_reasm_expired(e)) {
		ks_count(KS_ST_REASM_EXPIRED);
		e = NULL;                         /* overwritten below */
	} else if (e && e->cookie != cookie) {
		ks_count(KS_ST_COOKIE_BAD);
		return TC_ACT_OK;                 /* not the flow we hold */
	}
	if (!e) {
		tmp = bpf_map_lookup_elem(&ks_tc_reasm_tmp, &zero);
		if (!tmp)
			return TC_ACT_SHOT;
		tmp->born_ns = bpf_ktime_get_ns();
		tmp->cookie = cookie;
		tmp->verified = 0;
		tmp->nseg = 0;
		if (bpf_map_update_elem(&ks_reasm_early, &s->flow, tmp, BPF_ANY))
			return TC_ACT_SHOT;
		e = bpf_map_lookup_elem(&ks_reasm_early, &s->flow);
	}
	/* Dropped either way: not verified, so no ACK and no reply to what
	 * might be anyone's stray segment; the client will retransmit. */
	if (!e || ks_reasm_store(skb, p, e)) {
		ks_count(KS_ST_REASM_OVERFLOW);
		return TC_ACT_SHOT;
	}
	ks_count(KS_ST_REASM_EARLY);
	return TC_ACT_SHOT;
}

static __always_inline int ks_handle_ack(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s)
{
	struct bpf_sock *skc;
	struct ks_reasm *e;
	__u32 cookie;
	int st, valid;

	/* Every segment of an established flow comes through here: a socket
	 * lookup is the cheapest way to step aside. */
	skc = ks_lookup(skb, p, s);
	if (skc) {
		int listening = skc->state == BPF_TCP_LISTEN;

		bpf_sk_release(skc);
		if (!listening)   /* ... unless ksteerd is handing it back */
			return ks_hb_frozen(p, &s->flow) ? TC_ACT_SHOT : TC_ACT_OK;
	}
	if (ks_pkt_load_rest(skb, p))
		return TC_ACT_OK;                 /* unreadable: the kernel's */
	st = ks_hb_place(skb, p, &s->flow, cfg->port);   /* handback.h */
	if (st >= 0)
		return st;
	valid = ks_cookie_valid(p, cfg, s, &cookie);
	ks_flow_of(p, &s->flow);
	e = bpf_map_lookup_elem(&ks_reasm, &s->flow);
	if (e)
		return ks_reasm_more(skb, p, cfg, s, e);
	if (!valid) {
		/* Maybe a later segment of a ClientHello whose first segment is
		 * late or lost. Anything else is the kernel's. */
		if (p->payload < p->len && !(p->th.flags & (KS_TH_RST | KS_TH_FIN)))
			return ks_reasm_hold_early(skb, p, s, cookie);
		ks_count(KS_ST_COOKIE_BAD);
		return TC_ACT_OK;
	}
	ks_count(KS_ST_COOKIE_OK);
	if (p->th.flags & KS_TH_RST)
		return TC_ACT_SHOT;               /* nothing exists to reset */
	if (p->payload >= p->len) {
		/* Defer accept: the ClientHello will carry the same cookie. */
		ks_count(KS_ST_BARE_ACK);
		return TC_ACT_SHOT;
	}

	st = ks_hello_parse(skb, NULL, p->payload, p->len, &s->p);
	if (st == KS_HELLO_COMPLETE)
		return ks_place(skb, p, cfg, s, cookie);
	if (st == KS_HELLO_INCOMPLETE) {
		/* SNI in a later segment: hold this one until the rest comes. */
		ks_count(KS_ST_INCOMPLETE);
		return ks_reasm_begin(skb, p, cfg, s, cookie);
	}
	return ks_not_placed(skb, p, cfg, s, cookie, st);
}

/* Give the datagram to sk (from ks_listeners; released here). */
static __always_inline int ks_quic_assign(struct __sk_buff *skb, struct bpf_sock *sk)
{
	long err = bpf_sk_assign(skb, sk, 0);

	bpf_sk_release(sk);
	if (!err)
		return TC_ACT_OK;
	/* Not a socket this packet can be given to: dropped, counted. */
	ks_count(KS_ST_QUIC_ASSIGN_ERR);
	return TC_ACT_SHOT;
}

/* An unknown QUIC connection: to one of ksteerd's UDP sockets, which reads
 * its Initial and installs the route; never to a guessed server. */
static __always_inline int ks_quic_to_fallback(struct __sk_buff *skb, __u32 why, __u32 v6)
{
	struct ks_slot key = { .backend = KS_FALLBACK_ID };
	__u32 start = bpf_get_prandom_u32(), i;
	struct bpf_sock *sk;

	ks_count(why);
#pragma unroll
	for (i = 0; i < 2 * KS_MAX_SLOTS; i++) {
		key.slot = KS_UDP_TRY_SLOT(v6, i, start);
		sk = bpf_map_lookup_elem(&ks_listeners, &key);
		if (sk)
			return ks_quic_assign(skb, sk);
	}
	/* No ksteerd to read it: dropped, the client retransmits. */
	ks_count(KS_ST_QUIC_DROPPED);
	return TC_ACT_SHOT;
}

/* A datagram to the public UDP port: into the socket of the server that
 * owns its connection. -1: not ours (not UDP to the port). */
static __always_inline int ks_quic_ingress(struct __sk_buff *skb, const struct ks_config *cfg,
					   struct ks_tc_scratch *s)
{
	struct ks_slot slot, *v;
	struct bpf_sock *sk;
	__u32 payload, how = 0;

	if (ks_udp_load(skb, &s->qf, &payload) || s->qf.dport != cfg->port)
		return -1;
	if (ks_quic_parse(skb, payload, skb->len, &s->qh)) {
		/* Shorter than any QUIC packet, or lengths past its end. */
		ks_count(KS_ST_QUIC_MALFORMED);
		return TC_ACT_SHOT;
	}
	if (ks_quic_lookup(&s->qh, &slot, &how)) {
		/* A long header with an unknown DCID is a new connection: its
		 * SNI decides, not the address pair an old one had. */
		if (s->qh.long_hdr)
			return ks_quic_to_fallback(skb, KS_ST_QUIC_TO_FALLBACK, s->qf.v6);
		v = bpf_map_lookup_elem(&ks_quic_peers, &s->qf);
		if (v) {
			slot = *v;
			how = KS_ST_QUIC_BY_PEER;
		} else if (!ks_host_lookup(&s->qf, &s->qhost, &slot)) {
			how = KS_ST_QUIC_BY_HOST;
		} else {
			return ks_quic_to_fallback(skb, KS_ST_QUIC_TO_FALLBACK, s->qf.v6);
		}
	}
	sk = bpf_map_lookup_elem(&ks_listeners, &slot);
	if (!sk)
		return ks_quic_to_fallback(skb, KS_ST_QUIC_STALE, s->qf.v6);   /* server gone */
	ks_count(how);
	return ks_quic_assign(skb, sk);
}

SEC("tc")
int ksteer_tc(struct __sk_buff *skb)
{
	struct ks_config *cfg = ks_cfg();
	struct ks_tc_scratch *s;
	struct ks_pkt *p;
	__u32 zero = 0;

	if (!cfg || !(cfg->flags & KS_CFG_ACTIVE))
		return TC_ACT_OK;
	s = bpf_map_lookup_elem(&ks_tc_scratch, &zero);
	if (!s)
		return TC_ACT_OK;
	if (cfg->flags & KS_CFG_QUIC) {
		int v = ks_quic_ingress(skb, cfg, s);

		if (v >= 0)
			return v;
	}
	p = &s->pkt;
	if (ks_pkt_load(skb, p) || p->th.dest != cfg->port)
		return TC_ACT_OK;
	if ((p->th.flags & (KS_TH_SYN | KS_TH_ACK | KS_TH_RST)) == KS_TH_SYN)
		return ks_pkt_load_rest(skb, p) ? TC_ACT_OK : ks_handle_syn(skb, p, cfg, s);
	if (p->th.flags & KS_TH_SYN)
		return TC_ACT_OK;                 /* SYN-ACK to us: not a server flow */
	return ks_handle_ack(skb, p, cfg, s);
}

char _license[] SEC("license") = "GPL";
