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
 * and, with `up --quic`, every QUIC datagram to the public port goes to the
 * QUIC server socket that owns its connection (bpf/quic.h), or to ksteerd.
 *
 * Only packets to a public address (ks_public) on a public port are ours;
 * every other packet, and every one of ours we do not consume, returns
 * TC_ACT_UNSPEC so that the next tc filter on the hook runs, as if we were
 * not there (TC_ACT_OK would end the chain).
 */
#include "ks_bpf.h"
#include "cookie.h"
#include "keys.h"
#include "packet.h"
#include "route.h"
#include "reasm.h"
#include "quic.h"
#include "quic_probe.h"
#include "quic_route.h"
#include "quic_hold.h"
#include "listener.h"
#include "handback.h"
#include "monitor.h"
#include "first.h"

struct ks_tc_scratch {
	struct ks_scratch p;
	struct ks_pkt pkt;
	__u64 m[KS_SIP_WORDS];
	struct ks_flow flow;
	struct ks_early_key ekey;
	struct bpf_sock_tuple tuple;
	__u32 isn;
	struct ks_route_scratch r;
	struct ks_reply reply;
	struct ks_quic_inv qh;
	struct ks_flow qf;
	struct ks_flow qhost;
	struct ks_http_walk hw;
};

KS_CPU_ARRAY(ks_tc_scratch, struct ks_tc_scratch);

/* The big buffers get maps of their own. */
struct ks_tc_linear {
	__u8 lin[KS_LIN_BUF];     /* a held ClientHello's records, linear */
	struct ks_rewrite rw;
	struct ks_keep keep;
	struct ks_csum csum;
	__u32 n, backend, why;    /* ks_reasm_place's (why: a KS_WHY_, for the monitor) */
	__u32 quiet;              /* the segment in hand needs no ACK yet (ks_reasm_take) */
	struct ks_lin_mark mark;  /* whose pieces lin holds (ks_reasm_linear) */
	struct ks_sweep sweep;
};

KS_CPU_ARRAY(ks_tc_linear, struct ks_tc_linear);

/* A new QUIC connection's Initial, decrypted and walked (bpf/quic_route.h);
 * its budget of decryptions a second lives here too. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_qk);
} ks_tc_quic SEC(".maps");

/* Templates of new entries: hash map values are copied in whole. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_reasm);
} ks_tc_reasm_tmp SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_early);
} ks_tc_early_tmp SEC(".maps");

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

/*
 * A SYN whose 4-tuple has a socket that is not a listener: an old
 * connection (TIME_WAIT; or still ESTABLISHED on our side after a client
 * reboot or a NAT's port reuse). The kernel handles that SYN as it would
 * without us (TIME_WAIT reuse, a challenge ACK the client answers with a
 * RST before it retries), so it is left to it. Counted as which.
 */
static __always_inline int ks_existing_socket(struct __sk_buff *skb, struct ks_pkt *p,
					      struct ks_tc_scratch *s)
{
	struct bpf_sock *skc = ks_lookup(skb, p, s);
	__u32 state;

	if (!skc)
		return 0;
	state = skc->state;
	bpf_sk_release(skc);
	if (state == BPF_TCP_LISTEN)
		return 0;
	ks_count(state == BPF_TCP_TIME_WAIT ? KS_ST_TW_DETOUR : KS_ST_SYN_EXISTING);
	if (state == BPF_TCP_TIME_WAIT)
		ks_decided(p, NULL, KSTEERD, TIME_WAIT, KS_FALLBACK_ID);
	return 1;
}

/*
 * The TCP settings of the namespace the packet arrived in, read at each
 * SYN: the kfunc refuses a connection whose attributes ask for SACK,
 * timestamps or window scaling that the namespace has switched off, and
 * the kernel checks a BPF cookie only while syncookies are on
 * (cookie_v4_check). Read live, a sysctl changed while ksteer is up holds
 * from the next SYN on.
 */
struct ks_host_tcp {
	__u8 syncookies, timestamps, sack, window_scaling, ecn;
};

static __always_inline void ks_host_tcp(struct __sk_buff *skb, struct ks_host_tcp *h)
{
	struct sk_buff *k = bpf_cast_to_kern_ctx(skb);
	struct net *net = k->dev->nd_net.net;

	h->syncookies = net->ipv4.sysctl_tcp_syncookies;
	h->timestamps = net->ipv4.sysctl_tcp_timestamps;
	h->sack = net->ipv4.sysctl_tcp_sack;
	h->window_scaling = net->ipv4.sysctl_tcp_window_scaling;
	h->ecn = net->ipv4.sysctl_tcp_ecn;
}

/* The MSS our SYN-ACK gives: what this device carries. */
static __always_inline __u32 ks_our_mss(struct __sk_buff *skb, const struct ks_pkt *p)
{
	__u32 mtu = 0, mss;

	bpf_check_mtu(skb, 0, &mtu, 0, 0);
	mss = mtu > 100 ? mtu - (p->v6 ? 60 : 40) : 536;
	return mss > 65483 ? 65483 : mss;
}

/* ---- SYN -------------------------------------------------------------- */

static __always_inline int ks_handle_syn(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s)
{
	const struct ks_cookie_keys *keys;
	struct ks_syn_opts o;
	struct ks_host_tcp host;
	__u64 *m = s->m;
	__u32 opts[5], n = 0, bits, cookie, ts_off, mss, isn;
	__u64 tai;

	/* The kernel would refuse our child on this 4-tuple: it handles the
	 * SYN itself, and a TIME_WAIT reuse reaches ksteerd's listener. */
	if (ks_existing_socket(skb, p, s))
		return TC_ACT_UNSPEC;
	ks_host_tcp(skb, &host);
	if (!host.syncookies) {
		/* No cookie of ours would be checked: the kernel's own path. */
		ks_count(KS_ST_SYN_NO_COOKIES);
		return TC_ACT_UNSPEC;
	}
	keys = ks_keys_now();
	if (!keys)
		return TC_ACT_UNSPEC;             /* none yet: `up` publishes them before TC runs */
	ks_opts_parse(p, &o);
	/* Offer only what this namespace's TCP will accept in the child. */
	if (!host.timestamps)
		o.ts = 0;
	if (!host.sack)
		o.sack = 0;
	if (!host.window_scaling)
		o.wscale = KS_WS_NONE;
	o.ecn = host.ecn &&
		(p->th.flags & (KS_TH_ECE | KS_TH_CWR)) == (KS_TH_ECE | KS_TH_CWR);
	if (!o.mss)
		o.mss = p->v6 ? 1220 : 536;       /* RFC 9293 default */
	isn = bpf_ntohl(p->th.seq);
	bits = ks_cookie_opts(&o, p->v6);
	ks_cookie_words(m, p->saddr, p->daddr, p->th.source, p->th.dest, isn);
	/* The slot from CLOCK_TAI: the host that gets the client's next
	 * segments may not be this one (ECMP), and shares that clock. The
	 * TSval's clock part is read from it too (one clock read, dear in a
	 * VM): any millisecond clock serves, the kernel re-basing the child's
	 * on the echo and the flow's offset hiding it (cookie.h). */
	tai = bpf_ktime_get_tai_ns();
	cookie = ks_cookie_seq(keys->key, m, ks_slot_issue(tai), bits, &ts_off);

	mss = ks_our_mss(skb, p);
	opts[n++] = bpf_htonl(2 << 24 | 4 << 16 | mss);
	if (o.ts) {
		opts[n++] = bpf_htonl((o.sack ? (4 << 24 | 2 << 16) : (1 << 24 | 1 << 16)) |
				      8 << 8 | 10);
		/* With timestamps the options ride in our TSval (cookie.h). */
		opts[n++] = bpf_htonl(ks_cookie_tsval(tai / 1000000 + ts_off, bits));
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

/* 1 if the segment's cookie (*cookie = ack - 1) is ours, in the layout its
 * TSecr claims (cookie.h); cfg is unused (the keys are in ks_keys). */
static __always_inline int ks_cookie_valid(struct ks_pkt *p, struct ks_config *cfg,
					   struct ks_tc_scratch *s, __u32 *cookie)
{
	const struct ks_cookie_keys *keys = ks_keys_now();
	struct ks_syn_opts seg;

	*cookie = bpf_ntohl(p->th.ack_seq) - 1;
	if (!keys)
		return 0;
	ks_opts_parse(p, &seg);
	ks_cookie_words(s->m, p->saddr, p->daddr, p->th.source, p->th.dest,
			bpf_ntohl(p->th.seq) - 1);
	return ks_cookie_check(keys, s->m, bpf_ktime_get_tai_ns(), *cookie, &seg);
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
 * backend. 0: assigned; 1: assigned to ksteerd instead; -1: no listener,
 * refuse (RST); -3: an unsteered group, refuse; -2: dropped (counted).
 */
static __attribute__((noinline)) int ks_assign(struct __sk_buff *skb, struct ks_pkt *p,
						__u32 cookie, __u32 backend,
						const struct ks_config *cfg)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct ks_syn_opts o, ack;
	struct ks_slot key = { .backend = backend };
	struct bpf_sock *sk;
	struct ks_backend_stat *bs;
	int ret, instead = 0;

	sk = ks_pick_listener(&key, p->v6);
	if (!sk && backend != KS_FALLBACK_ID) {
		key.backend = KS_FALLBACK_ID;
		sk = ks_pick_listener(&key, p->v6);
		instead = !!sk;
		if (sk)
			ks_count(KS_ST_TO_FALLBACK);
	}
	if (!sk) {
		ks_count(KS_ST_NO_LISTENER);
		return -1;
	}
	if (ks_public_port(cfg, bpf_htons(sk->src_port)) && ks_group_unsteered(sk)) {
		bpf_sk_release(sk);
		ks_count(KS_ST_UNSTEERED_GROUP);
		return -3;
	}

	ks_opts_parse(p, &ack);
	ks_cookie_flow_opts(cookie, &ack, p->v6, &o);
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
	return instead;
}

/* The monitor's view of an ks_assign outcome st for backend, reached by
 * path (a KS_EV_) for reason why (a KS_WHY_); h: the hello, or NULL. */
static __always_inline void ks_assigned(const struct ks_pkt *p, const struct ks_scratch *h,
					int st, __u32 path, __u32 why, __u32 backend)
{
	if (!ks_monitor_on())
		return;
	if (st == 1) {
		path = KS_EV_KSTEERD;
		why = KS_WHY_BACKEND_DOWN;
	} else if (st == -1) {
		path = KS_EV_REFUSED;
		why = KS_WHY_NO_LISTENER;
	} else if (st == -3) {
		path = KS_EV_REFUSED;
		why = KS_WHY_UNSTEERED;
	} else if (st == -2) {
		path = KS_EV_DROPPED;
		why = KS_WHY_ASSIGN_ERROR;
	}
	ks_event_put(p, h, path, why, backend);
}

/* Create the connection in backend's queue (ksteerd's, when it has no
 * listener); a refusal when neither can take it. */
static __always_inline int ks_place_on(struct __sk_buff *skb, struct ks_pkt *p,
				       struct ks_config *cfg, struct ks_tc_scratch *s,
				       __u32 cookie, __u32 backend, __u32 why)
{
	struct ks_backend_stat *bs = bpf_map_lookup_elem(&ks_backend_stats, &backend);
	int st;

	if (bs)
		bs->routed++;
	st = ks_assign(skb, p, cookie, backend, cfg);
	ks_assigned(p, &s->p, st, KS_EV_FAST, why, backend);
	if (st == -1 || st == -3)
		return ks_refuse(skb, p, s);
	if (st < 0)
		return TC_ACT_SHOT;               /* kfunc refused: counted */
	return TC_ACT_UNSPEC;                     /* placed; later filters still see it */
}

/* Create the connection to the backend s->p routes to (0: refused). */
static __always_inline int ks_place_routed(struct __sk_buff *skb, struct ks_pkt *p,
					   struct ks_config *cfg, struct ks_tc_scratch *s,
					   __u32 cookie, __u32 backend, __u32 why)
{
	if (!backend) {
		ks_count(KS_ST_NO_ROUTE);
		ks_decided(p, &s->p, REFUSED, NO_ROUTE, 0);
		return ks_refuse(skb, p, s);
	}
	return ks_place_on(skb, p, cfg, s, cookie, backend, why);
}

/* A whole ClientHello is in s->p: route it and create the connection. */
static __always_inline int ks_place(struct __sk_buff *skb, struct ks_pkt *p, struct ks_config *cfg,
				    struct ks_tc_scratch *s, __u32 cookie)
{
	return ks_place_routed(skb, p, cfg, s, cookie, ks_route(&s->p, &s->r), KS_WHY_ROUTED);
}

/*
 * Part of a ClientHello is in s->p, and it is named (tls_hello.h): placed
 * on this segment as a whole one is, when its route is fixed already. No
 * entry, no ACK of ours, no rewrite: the later segments meet the new
 * socket as any established segment does, and the sk_reuseport program
 * routes these same bytes alike. 0 (held as before) when an ALPN route may
 * still match, or it names nothing; 2 when later segments came first
 * (ks_reasm_early): the held flow takes them, and the client need not
 * send them again, and is placed with them once named (ks_reasm_named).
 */
static __always_inline int ks_place_named(struct __sk_buff *skb, struct ks_pkt *p,
					  struct ks_config *cfg, struct ks_tc_scratch *s,
					  __u32 cookie, int *verdict)
{
	__u32 backend;

	if (!s->p.hello.named)
		return 0;
	backend = ks_route(&s->p, &s->r);
	if (backend == KS_ROUTE_LATER)
		return 0;
	__builtin_memcpy(&s->ekey.f, &s->flow, sizeof(s->flow));
	s->ekey.cookie = cookie;
	if (bpf_map_lookup_elem(&ks_reasm_early, &s->ekey))
		return 2;
	ks_count(KS_ST_PLACED_PARTIAL);
	*verdict = ks_place_routed(skb, p, cfg, s, cookie, backend, KS_WHY_ROUTED_PARTIAL);
	return 1;
}

/* To ksteerd's listener as it stands; refused (RST) when ksteerd does not
 * run, so the client learns at once instead of retransmitting. */
static __always_inline int ks_to_fallback(struct __sk_buff *skb, struct ks_pkt *p,
					  struct ks_config *cfg, struct ks_tc_scratch *s,
					  __u32 cookie, __u32 why)
{
	int st = ks_assign(skb, p, cookie, KS_FALLBACK_ID, cfg);

	ks_assigned(p, NULL, st, KS_EV_KSTEERD, why, KS_FALLBACK_ID);
	if (st == -1 || st == -3)
		return ks_refuse(skb, p, s);
	return st < 0 ? TC_ACT_SHOT : TC_ACT_UNSPEC;   /* kfunc refused: counted */
}

/* The parse ended without a whole ClientHello we can route. */
static __always_inline int ks_not_placed(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s,
					 __u32 cookie, int st)
{
	__u32 backend;

	if (st == KS_HELLO_TOO_BIG || st == KS_FIRST_HTTP_BIG) {
		/* Beyond what the kernel keeps, not beyond TLS (HTTP):
		 * ksteerd peeks at up to 64 KB. */
		if (st == KS_HELLO_TOO_BIG)
			ks_count(KS_ST_TOO_BIG);
		return ks_to_fallback(skb, p, cfg, s, cookie, KS_WHY_TOO_BIG);
	}
	/* Not TLS (plain HTTP, an SSLv2-compatible hello), a broken
	 * ClientHello, or a malformed request head on an HTTP port: what it
	 * names is not to be trusted, so it goes where nothing is named, the
	 * default route of its space, whose backend answers it as it would
	 * direct (its own alert, a 400), like HAProxy's default_backend; with
	 * no default, refused. */
	if (st != KS_FIRST_UNNAMED)
		ks_count(KS_ST_MALFORMED);
	s->p.hello.sni_len = 0;
	s->p.hello.alpn_count = 0;
	backend = ks_route(&s->p, &s->r);
	if (!backend) {
		ks_decided(p, NULL, REFUSED, NO_ROUTE, 0);
		return ks_refuse(skb, p, s);
	}
	if (st != KS_FIRST_UNNAMED)
		ks_count(KS_ST_UNREADABLE_DEFAULT);
	return ks_place_on(skb, p, cfg, s, cookie, backend, KS_WHY_DEFAULT);
}

/*
 * Acknowledge the first n held bytes, as the connection will once it
 * exists: the client then sends on, and after a loss resends the missing
 * segment rather than only its first one. The connection is created with
 * every acknowledged byte (ks_reasm_place), so nothing acked is lost.
 * What is held past n (more than one rewritten segment carries, or past a
 * hole) is told in SACK blocks when the client offered SACK: it sends on
 * past our window's left edge, and resends only what is missing; the new
 * connection, which gets only the first n bytes, acknowledges no SACK
 * block, and the client resends the rest to it (RFC 2018 reneging: Linux
 * waits max(RTT/2, 10 ms)). Then the ACK is n - 1, one held byte short:
 * Linux takes no SACK block that starts at the ACK (tcp_is_sackblock_valid
 * wants it past snd_una), and counted none of those bytes delivered, so it
 * stopped sending at its send buffer (~48 KB past n) and waited for
 * retransmission timeouts; and the new connection's ACK of n then moves
 * snd_una onto a SACKed segment, which is how Linux sees reneging.
 *
 *   options, with timestamps: NOP NOP TS(10) | NOP NOP SACK(2 + 8k) blocks
 *   (k <= 3; 4 without timestamps): 40 bytes at most
 */
struct ks_sack_ctx {
	const struct ks_reasm *e;
	__u32 *opts;
	__u32 k, max;
};

static __always_inline void ks_sack_block(struct ks_sack_ctx *c, __u32 start, __u32 end)
{
	__u32 at = 1 + 2 * c->k;

	if (c->k >= c->max || end <= start || at + 1 >= 1 + 2 * c->max)
		return;
	c->opts[at] = bpf_htonl(c->e->isn + 1 + start);
	c->opts[at + 1] = bpf_htonl(c->e->isn + 1 + end);
	c->k++;
}

/* Up to max blocks into opts[0 .. 1 + 2 max): the words they take. */
static __always_inline __u32 ks_sack_blocks(const struct ks_reasm *e, __u32 n, __u32 *opts,
					    __u32 max)
{
	struct ks_sack_ctx c = { .e = e, .opts = opts, .max = max };

	if (e->contig > n)
		ks_sack_block(&c, n, e->contig);
#pragma unroll
	for (int i = 0; i < KS_REASM_RUNS; i++)
		if (i < e->nrun)
			ks_sack_block(&c, e->run_start[i], e->run_end[i]);
	if (!c.k)
		return 0;
	opts[0] = bpf_htonl(1 << 24 | 1 << 16 | 5 << 8 | (2 + 8 * c.k));
	return 1 + 2 * c.k;
}

static __always_inline int ks_reasm_ack(struct __sk_buff *skb, struct ks_pkt *p,
					struct ks_tc_scratch *s, struct ks_reasm *e, __u32 n)
{
	struct ks_syn_opts o, seg;
	__u32 opts[10], k = 0, win, ack = n;

	ks_opts_parse(p, &seg);
	ks_cookie_flow_opts(e->cookie, &seg, p->v6, &o);
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
	if (o.sack) {
		k += k ? ks_sack_blocks(e, n, opts + 3, 3) : ks_sack_blocks(e, n, opts, 4);
		if (e->contig > n && n)
			ack = n - 1;              /* its first block starts at n */
	}
	/* The window ends where what we hold does (KS_REASM_WIRE): a 16 KB
	 * hello in 1-byte records (98 KB) fits, and a client sends nothing
	 * we could not keep. Unscaled (no window scaling) it is 64 KB at most;
	 * without SACK it ends at KS_REASM_NOSACK_WIRE. What the hello has
	 * past that edge is never sent to us (ks_reasm_more hands the flow to
	 * ksteerd once it holds up to it). */
	win = (o.sack ? KS_REASM_WIRE : KS_REASM_NOSACK_WIRE) - (ack & KS_WIRE_MASK);
	if (o.wscale != KS_WS_NONE)
		win >>= KS_OUR_WSCALE;
	else if (win > 65535)
		win = 65535;
	e->edge = ack + (o.wscale != KS_WS_NONE ? win << KS_OUR_WSCALE : win);
	if (ks_reply(skb, p, &s->reply, e->cookie + 1, e->isn + 1 + ack, KS_TH_ACK, win, opts, k))
		return TC_ACT_SHOT;               /* no ACK: the client retransmits */
	return bpf_redirect(skb->ifindex, 0);
}

/* Held bytes the segment in hand can carry once rewritten. */
static __always_inline __u32 ks_carry_max(const struct ks_pkt *p)
{
	return p->payload < KS_SKB_MAX ? KS_SKB_MAX - p->payload : 0;
}

/* Held bytes to hand on from e: the first contig, as far as the segment
 * in hand carries them. */
static __always_inline __u32 ks_carried(const struct ks_pkt *p, const struct ks_reasm *e)
{
	return e->contig < ks_carry_max(p) ? e->contig : ks_carry_max(p);
}

/*
 * Acknowledge up to what a placed segment can carry, never past it. Not
 * yet for a full-sized segment in order with every held byte before it
 * acknowledged (L->quiet, ks_reasm_take): the client sends on without our
 * ACK (Nagle, and Minshall's variant that Linux uses, hold back only a
 * small segment, while a small one is unacknowledged; its window after the
 * cookie handshake is 10 segments, ours up to KS_REASM_WIRE), so Chromium's two-segment
 * hello costs no ACK (its build and redirect, and over veth the client's
 * receive of it on this CPU). The next held segment is acknowledged with
 * it, as a receiver acknowledges at least every second full-sized segment
 * (RFC 5681 4.2); a retransmission, an out-of-order or a small segment at
 * once, as before. On a loss the client's own timers resend: its tail
 * loss probe (with SACK) its last segment, its RTO its first
 * unacknowledged one, which we hold, so it is a retransmission and
 * acknowledged (docs/DESIGN.md, "Deferred ACK"). Nothing is
 * acknowledged that is not held, and a hand-over carries what is held
 * (ks_reasm_hand_over), so no held byte is lost.
 */
static __always_inline int ks_reasm_ack_held(struct __sk_buff *skb, struct ks_pkt *p,
					     struct ks_tc_scratch *s, struct ks_reasm *e,
					     const struct ks_tc_linear *L)
{
	__u32 n = ks_carried(p, e);

	if (L->quiet) {
		ks_count(KS_ST_REASM_ACK_DEFERRED);
		return TC_ACT_SHOT;               /* held; the client sends on */
	}
	if (n > e->acked)
		e->acked = n;
	return ks_reasm_ack(skb, p, s, e, e->acked);
}

/* The segment in hand is placed from a held flow: the sk_reuseport
 * program keeps TC's choice for it (ks_tc_placed). */
static __always_inline void ks_tc_placing_set(const struct ks_pkt *p)
{
	__u32 zero = 0;
	struct ks_placing *c = bpf_map_lookup_elem(&ks_tc_placing, &zero);

	if (c) {
		c->ports = p->th.source | (__u32)p->th.dest << 16;
		c->seq = p->th.seq;
	}
}

/*
 * Create the connection from the held flow: the segment in hand is
 * rewritten to carry the first L->n held bytes from ISN + 1 (L->lin holds
 * them) and given to backend L->backend (ksteerd's listener when the
 * backend has none). The entry stays, PLACED, until a segment of the flow
 * meets the new socket: should the kernel not create it after all (a full
 * accept queue, a drop in a reuseport group), the client's retransmission
 * places it again. With no listener anywhere: refused, and the entry goes.
 * A subprogram: every way a held flow ends comes here.
 */
static __attribute__((noinline)) int ks_reasm_place(struct __sk_buff *skb, struct ks_pkt *p,
						    struct ks_tc_scratch *s, struct ks_reasm *e,
						    struct ks_tc_linear *L)
{
	struct ks_config *cfg = ks_cfg();
	__u32 cookie = e->cookie, n = L->n, backend = L->backend;
	int st;

	if (!cfg)
		return TC_ACT_SHOT;
	L->rw.isn = e->isn;
	/* The rewrite's checksum may zero held bytes past n in lin: what lin
	 * holds is no one's now, so a failed placement (the entry kept, the
	 * client sending again) copies all of its pieces again. */
	L->mark.npiece = 0;
	if (ks_reasm_rewrite(skb, p, &L->rw, L->lin, n)) {
		/* Dropped: nothing changes, the client sends again. */
		ks_count(KS_ST_REASM_FAILED);
		return TC_ACT_SHOT;
	}
	if (!backend) {
		/* Refused: the RST acknowledges what we held. */
		ks_decided(p, &s->p, REFUSED, NO_ROUTE, 0);
		ks_reasm_drop(e, &s->flow);
		return ks_refuse(skb, p, s);
	}
	if (backend != KS_FALLBACK_ID) {
		struct ks_backend_stat *bs = bpf_map_lookup_elem(&ks_backend_stats, &backend);

		if (bs)
			bs->routed++;
	}
	ks_tc_placing_set(p);
	st = ks_assign(skb, p, cookie, backend, cfg);
	if (e->state != KS_RS_PLACED)             /* placed again: shown once */
		ks_assigned(p, backend == KS_FALLBACK_ID ? NULL : &s->p, st,
			    backend == KS_FALLBACK_ID ? KS_EV_KSTEERD : KS_EV_REASSEMBLED, L->why,
			    backend);
	if (st == -1 || st == -3) {
		ks_reasm_drop(e, &s->flow);
		return ks_refuse(skb, p, s);
	}
	if (st < 0)
		return TC_ACT_SHOT;               /* the kfunc refused: counted; kept */
	if (e->state != KS_RS_PLACED) {
		e->state = KS_RS_PLACED;
		e->born_ns = bpf_ktime_get_ns();  /* placed: its own, shorter life */
		e->gate = ks_gate_of(s->flow.saddr, s->flow.daddr, s->flow.sport, s->flow.dport);
		e->target = backend;
		e->carried = n;
		ks_gate_add(e->gate, 1);
	}
	return TC_ACT_UNSPEC;                     /* placed; later filters still see it */
}

static __always_inline int ks_reasm_place_on(struct __sk_buff *skb, struct ks_pkt *p,
					     struct ks_tc_scratch *s, struct ks_reasm *e,
					     struct ks_tc_linear *L, __u32 n, __u32 backend,
					     __u32 why)
{
	L->n = n;
	L->backend = backend;
	L->why = why;
	return ks_reasm_place(skb, p, s, e, L);
}

/* A held flow we will not finish (past its lifetime, out of room, a
 * ClientHello bigger than we keep) goes to ksteerd with every byte we
 * acknowledged, or with what is held when none was (a first segment left
 * unacknowledged, ks_reasm_ack_held: the segment in hand may be a later
 * one); the client's own retransmissions bring it the rest. */
static __always_inline int ks_reasm_hand_over(struct __sk_buff *skb, struct ks_pkt *p,
					      struct ks_config *cfg, struct ks_tc_scratch *s,
					      struct ks_reasm *e, struct ks_tc_linear *L, __u32 why)
{
	__u32 n = e->acked ? e->acked : ks_carried(p, e);

	ks_count(KS_ST_REASM_HANDED);
	if (!n) {
		/* Nothing held: the first segment itself goes. */
		__u32 cookie = e->cookie;

		ks_reasm_drop(e, &s->flow);
		return ks_to_fallback(skb, p, cfg, s, cookie, why);
	}
	ks_reasm_linear(e, L->lin, n, &L->mark);
	return ks_reasm_place_on(skb, p, s, e, L, n, KS_FALLBACK_ID, why);
}

/* The held bytes decide: parse them, and place or refuse. */
static __always_inline int ks_reasm_decide(struct __sk_buff *skb, struct ks_pkt *p,
					   struct ks_config *cfg, struct ks_tc_scratch *s,
					   struct ks_reasm *e, struct ks_tc_linear *L)
{
	__u32 n = ks_carried(p, e), backend;
	struct ks_first_job j = { .s = &s->p, .hw = &s->hw, .dport = p->th.dest, .count = 1 };
	int st = ks_first_parse(NULL, L->lin, 0, e->contig, &j);

	if (st == KS_HELLO_INCOMPLETE)
		return ks_reasm_ack_held(skb, p, s, e, L);   /* more segments to come */
	if (st == KS_HELLO_TOO_BIG || st == KS_FIRST_HTTP_BIG) {
		/* Too big for us, not for TLS (HTTP): ksteerd, with what we acked. */
		if (st == KS_HELLO_TOO_BIG)
			ks_count(KS_ST_TOO_BIG);
		return ks_reasm_hand_over(skb, p, cfg, s, e, L, KS_WHY_TOO_BIG);
	}
	if (st != KS_HELLO_COMPLETE) {
		/* Unreadable: the default route's backend answers it. */
		if (st != KS_FIRST_UNNAMED)
			ks_count(KS_ST_MALFORMED);
		s->p.hello.sni_len = 0;
		backend = ks_route(&s->p, &s->r);
		if (backend && st != KS_FIRST_UNNAMED)
			ks_count(KS_ST_UNREADABLE_DEFAULT);
		return ks_reasm_place_on(skb, p, s, e, L, n, backend, KS_WHY_DEFAULT);
	}
	ks_count(KS_ST_REASM_DONE);
	backend = ks_route(&s->p, &s->r);
	if (!backend)
		ks_count(KS_ST_NO_ROUTE);
	return ks_reasm_place_on(skb, p, s, e, L, n, backend, KS_WHY_ROUTED);   /* 0: refused */
}

/*
 * A held ClientHello not whole and not named: acknowledged as far as a
 * placement carries, to wait for more; but once every byte up to the
 * window's right edge is held, as far as whole segments fill it (an
 * unscaled window: 64 KB past what we acknowledged; without SACK, up to
 * 32 KB), the client can send no more, and it goes to ksteerd now rather
 * than at the end of its lifetime.
 */
static __always_inline int ks_reasm_wait(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s,
					 struct ks_reasm *e, struct ks_tc_linear *L)
{
	__u32 seg = p->len - p->payload;

	/* Less room than a segment: a sender sends no part-segment to fill
	 * a window (Linux's tcp_snd_wnd_test), and a full one here is at
	 * least this one or 1460 bytes (Ethernet less headers). */
	if (seg < 1460)
		seg = 1460;
	if (e->edge && e->contig + seg > e->edge) {
		ks_count(KS_ST_REASM_WINDOW);
		return ks_reasm_hand_over(skb, p, cfg, s, e, L, KS_WHY_REASM_HANDED);
	}
	return ks_reasm_ack_held(skb, p, s, e, L);
}

/*
 * A held ClientHello not whole yet: placed as soon as the bytes one
 * rewritten segment carries (the first n held) name its route, as
 * ks_place_named places a first segment: same parser, same rule (not while
 * an ALPN route may still match), and the same bytes the sk_reuseport
 * program then reads. The client resends what is past n (never
 * acknowledged beyond it) to the new connection. Else acknowledged and
 * held. Parsed again only when those bytes doubled, or reached what a
 * segment carries: a prefix of 1-byte records costs a walk of every record
 * (~150 us for 16 KB of them), which parsing it at each segment made ~1.1
 * ms a flow, and this ~0.5.
 */
static __always_inline int ks_reasm_named(struct __sk_buff *skb, struct ks_pkt *p,
					  struct ks_config *cfg, struct ks_tc_scratch *s,
					  struct ks_reasm *e, struct ks_tc_linear *L)
{
	__u32 n = ks_carried(p, e), backend;
	struct ks_first_job j = { .s = &s->p, .hw = &s->hw, .dport = p->th.dest, .count = 0 };

	if (n <= e->named_at || (n < 2 * e->named_at && n < ks_carry_max(p)))
		return ks_reasm_wait(skb, p, cfg, s, e, L);   /* parsed: not named */
	backend = KS_ROUTE_LATER;
	if (ks_first_parse(NULL, L->lin, 0, n, &j) == KS_HELLO_INCOMPLETE && s->p.hello.named)
		backend = ks_route(&s->p, &s->r);
	if (backend == KS_ROUTE_LATER) {
		/* Not named, or its ALPN may still decide: more to come. (A
		 * named one is parsed again should its placement fail.) */
		e->named_at = n;
		return ks_reasm_wait(skb, p, cfg, s, e, L);
	}
	ks_count(KS_ST_REASM_NAMED);
	return ks_reasm_place_on(skb, p, s, e, L, n, backend, KS_WHY_ROUTED_PARTIAL);
}

/*
 * Whether a segment is full-sized: its payload and options fill the MSS
 * our SYN-ACK gave (ks_our_mss), which bounds what the client puts in one,
 * and it is one: not GRO's merge of several (gso_segs), nor twice the MSS
 * (a GSO packet from a local client). A client whose own MSS is smaller
 * never sends one, and its segments are acknowledged as before.
 */
static __always_inline int ks_full_sized(struct __sk_buff *skb, const struct ks_pkt *p)
{
	__u32 seg = p->len - p->l4 - 20, mss = ks_our_mss(skb, p);

	return skb->gso_segs <= 1 && seg >= mss && seg < 2 * mss;
}

/* Keep the segment's payload in e. 0; 1 when it is past what a flow
 * holds, 2 when the pool or the client's share is full (either way the
 * flow goes to ksteerd); -1 when it must be dropped unheld (its
 * checksum is wrong). L->quiet: it was full-sized, in order, new, with
 * nothing unacknowledged before it and nothing held past it
 * (ks_reasm_ack_held). A subprogram. */
static __attribute__((noinline)) int ks_reasm_take(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_tc_scratch *s, struct ks_reasm *e,
					 struct ks_tc_linear *L)
{
	__u32 off = bpf_ntohl(p->th.seq) - (e->isn + 1), len = p->len - p->payload, from;

	L->quiet = 0;
	if (!len || ks_reasm_have(e, off, off + len))
		return 0;                         /* nothing new: a retransmission */
	if (off >= KS_REASM_WIRE || len > KS_REASM_WIRE - off || ks_reasm_room(e, off, off + len) ||
	    e->npiece + (len + KS_REASM_CHUNK - 1) / KS_REASM_CHUNK > KS_REASM_PIECES) {
		ks_count(KS_ST_REASM_OVERFLOW);   /* past the wire, the runs or the pieces we keep */
		return 1;
	}
	if (!ks_seg_csum_ok(skb, p, &L->csum)) {
		/* Corrupted: neither held nor acknowledged; the client resends. */
		ks_count(KS_ST_REASM_BAD_CSUM);
		return -1;
	}
	ks_prefix_of(&s->flow, &L->keep.pk);
	L->keep.at = p->payload;
	L->keep.off = off;
	L->keep.len = len;
	if (ks_reasm_keep(skb, e, NULL, &L->keep)) {
		/* The pool or this client's share ran out: free what is past
		 * its life (at most one sweep per period; e is not), and keep
		 * the rest of the segment if that made room. */
		__u32 done = L->keep.done;

		L->keep.at += done;
		L->keep.off += done;
		L->keep.len -= done;
		ks_reasm_sweep(&L->sweep);
		if (ks_reasm_keep(skb, e, NULL, &L->keep)) {
			ks_count(KS_ST_REASM_FULL);
			return 2;
		}
	}
	from = e->contig;
	ks_reasm_cover(e, off, off + len);
	L->quiet = off == from && off == e->acked && e->contig == off + len && !e->nrun &&
		   ks_full_sized(skb, p);
	return 0;
}

/* A segment of a verified flow whose ClientHello we hold. */
static __always_inline int ks_reasm_more(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s,
					 struct ks_reasm *e)
{
	struct ks_tc_linear *L = KS_CPU_SLOT(ks_tc_linear);
	__u64 now = bpf_ktime_get_ns();           /* one clock read a segment */
	int st;

	if (!L)
		return TC_ACT_SHOT;
	if (p->th.flags & KS_TH_RST) {
		ks_reasm_drop(e, &s->flow);
		return TC_ACT_SHOT;               /* the client gave up */
	}
	if (e->state == KS_RS_PLACED) {
		/* No socket took the placed segment: place it again, once per
		 * KS_REASM_AGAIN_NS at most. A client's retransmissions come
		 * further apart (its RTO: 200 ms or more); one replaying its
		 * last segment faster would make each replay a 16 KB rewrite.
		 * Dropped: the next one places it (and when another CPU
		 * placed it since now was read). */
		if ((__s64)(now - e->seen_ns) < (__s64)KS_REASM_AGAIN_NS) {
			ks_count(KS_ST_REASM_AGAIN_SOON);
			return TC_ACT_SHOT;
		}
		e->seen_ns = now;
		ks_count(KS_ST_REASM_PLACED_AGAIN);
		ks_reasm_linear(e, L->lin, e->carried, &L->mark);
		return ks_reasm_place_on(skb, p, s, e, L, e->carried, e->target, KS_WHY_ROUTED);
	}
	if (ks_reasm_expired(e, now))
		return ks_reasm_hand_over(skb, p, cfg, s, e, L, KS_WHY_REASM_HANDED);
	if (e->echo) {
		struct ks_syn_opts seg;

		/* With timestamps the connection's options are in the echo
		 * (shared/cookie.h), verified on the first segment only: a later
		 * one echoing other bits (our ACKs repeat the same TSval) is
		 * not this flow's as verified. */
		ks_opts_parse(p, &seg);
		if (!seg.ts || seg.tsecr != e->echo) {
			ks_count(KS_ST_COOKIE_BAD);
			return TC_ACT_SHOT;
		}
	}
	st = ks_reasm_take(skb, p, s, e, L);
	if (st < 0)
		return TC_ACT_SHOT;
	if (st)
		return ks_reasm_hand_over(skb, p, cfg, s, e, L,
					  st == 2 ? KS_WHY_REASM_FULL : KS_WHY_REASM_HANDED);
	e->seen_ns = now;
	if (!e->contig)
		return TC_ACT_SHOT;               /* the first segment is still to come */
	ks_reasm_linear(e, L->lin, e->contig, &L->mark);
	/* The record walk tells when a ClientHello's bytes are in; a request
	 * head's end only its parser finds (each segment, 8 KB at most). */
	if (!ks_http_port(cfg, p->th.dest) && !ks_reasm_walk(e, L->lin))
		return ks_reasm_named(skb, p, cfg, s, e, L);   /* placed if named, else held */
	return ks_reasm_decide(skb, p, cfg, s, e, L);
}

/* Fold the segments that came before the first one into e: those that
 * claimed its cookie, and only inside the ClientHello's window. */
static __always_inline void ks_reasm_fold_early(struct ks_tc_scratch *s, struct ks_reasm *e,
						struct ks_tc_linear *L)
{
	struct ks_early *early;
	__u32 off, len;

	__builtin_memcpy(&s->ekey.f, &s->flow, sizeof(s->flow));
	s->ekey.cookie = e->cookie;
	early = bpf_map_lookup_elem(&ks_reasm_early, &s->ekey);
	if (!early)
		return;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (i >= early->nseg)
			break;
		off = early->seq[i] - (e->isn + 1);
		len = early->len[i];
		if (!off || off >= KS_REASM_WIRE || len > KS_REASM_WIRE - off ||
		    ks_reasm_have(e, off, off + len) || ks_reasm_room(e, off, off + len))
			continue;                 /* outside the window, or no room */
		ks_prefix_of(&s->flow, &L->keep.pk);
		L->keep.at = i * KS_REASM_EARLY_SEG;
		L->keep.off = off;
		L->keep.len = len;
		if (!ks_reasm_keep(NULL, e, early->b, &L->keep))
			ks_reasm_cover(e, off, off + len);
	}
	bpf_map_delete_elem(&ks_reasm_early, &s->ekey);
}

/*
 * First segment verified, ClientHello incomplete: a held flow for it, with
 * the segments that came before it (named_at: the bytes of it parsed and
 * found naming no fixed route, for ks_reasm_named); NULL after sending it on (*verdict)
 * when the table is full even after one bounded sweep: to ksteerd as it
 * is, since nothing has been acknowledged yet.
 */
static __always_inline struct ks_reasm *ks_reasm_begin(struct __sk_buff *skb, struct ks_pkt *p,
							struct ks_config *cfg,
							struct ks_tc_scratch *s, __u32 cookie,
							__u32 named_at, int *verdict)
{
	struct ks_tc_linear *L = KS_CPU_SLOT(ks_tc_linear);
	__u32 zero = 0;
	struct ks_reasm *e, *tmp = bpf_map_lookup_elem(&ks_tc_reasm_tmp, &zero);

	*verdict = TC_ACT_SHOT;
	if (!tmp || !L)
		return NULL;
	__builtin_memset(tmp, 0, sizeof(*tmp));
	tmp->head = tmp->tail = KS_CHUNK_NONE;
	tmp->born_ns = tmp->seen_ns = bpf_ktime_get_ns();
	tmp->isn = bpf_ntohl(p->th.seq) - 1;
	tmp->cookie = cookie;
	tmp->named_at = named_at;
	{
		struct ks_syn_opts seg;

		ks_opts_parse(p, &seg);
		tmp->echo = seg.ts ? seg.tsecr : 0;
	}
	if (bpf_map_update_elem(&ks_reasm, &s->flow, tmp, BPF_NOEXIST)) {
		ks_reasm_sweep(&L->sweep);
		if (bpf_map_update_elem(&ks_reasm, &s->flow, tmp, BPF_NOEXIST)) {
			ks_count(KS_ST_REASM_FULL);
			*verdict = ks_to_fallback(skb, p, cfg, s, cookie, KS_WHY_REASM_FULL);
			return NULL;
		}
	}
	e = bpf_map_lookup_elem(&ks_reasm, &s->flow);
	if (!e)
		return NULL;
	ks_count(KS_ST_REASM_STARTED);
	ks_reasm_fold_early(s, e, L);
	return e;
}

/*
 * A data segment that does not verify: maybe a later segment of a
 * ClientHello whose first segment is late or lost. Held, unverified, under
 * the cookie its ACK claims: a forged one lands beside the real client's,
 * never in it. Dropped either way: no ACK and no reply to what might be
 * anyone's stray segment; the client sends it again.
 */
static __always_inline int ks_reasm_hold_early(struct __sk_buff *skb, struct ks_pkt *p,
					       struct ks_tc_scratch *s, __u32 cookie)
{
	struct ks_tc_linear *L = KS_CPU_SLOT(ks_tc_linear);
	__u32 len = p->len - p->payload, zero = 0, i;
	struct ks_early *e, *tmp;

	if (!L)
		return TC_ACT_SHOT;
	__builtin_memcpy(&s->ekey.f, &s->flow, sizeof(s->flow));
	s->ekey.cookie = cookie;
	e = bpf_map_lookup_elem(&ks_reasm_early, &s->ekey);
	if (e && bpf_ktime_get_ns() - e->born_ns > KS_REASM_EARLY_NS) {
		ks_count(KS_ST_REASM_EXPIRED);
		e->born_ns = bpf_ktime_get_ns();  /* stale: start afresh */
		e->nseg = 0;
	}
	if (!e) {
		tmp = bpf_map_lookup_elem(&ks_tc_early_tmp, &zero);
		if (!tmp)
			return TC_ACT_SHOT;
		tmp->born_ns = bpf_ktime_get_ns();
		tmp->nseg = 0;
		if (bpf_map_update_elem(&ks_reasm_early, &s->ekey, tmp, BPF_NOEXIST))
			return TC_ACT_SHOT;
		e = bpf_map_lookup_elem(&ks_reasm_early, &s->ekey);
		if (!e)
			return TC_ACT_SHOT;
	}
	i = e->nseg;
	if (i >= 2 || len == 0 || len > KS_REASM_EARLY_SEG) {
		ks_count(KS_ST_REASM_OVERFLOW);
		return TC_ACT_SHOT;
	}
	if (!ks_seg_csum_ok(skb, p, &L->csum)) {
		ks_count(KS_ST_REASM_BAD_CSUM);
		return TC_ACT_SHOT;
	}
	if (i ? bpf_skb_load_bytes(skb, p->payload, e->b + KS_REASM_EARLY_SEG, len)
	      : bpf_skb_load_bytes(skb, p->payload, e->b, len))
		return TC_ACT_SHOT;
	e->seq[i & 1] = bpf_ntohl(p->th.seq);
	e->len[i & 1] = len;
	e->nseg = i + 1;
	ks_count(KS_ST_REASM_EARLY);
	return TC_ACT_SHOT;
}

/* A segment met a socket on its 4-tuple: a placed flow's connection
 * exists, so its held bytes can go. */
static __always_inline void ks_reasm_seen(struct ks_pkt *p, struct ks_tc_scratch *s)
{
	struct ks_reasm *e;

	ks_flow_of(p, &s->flow);
	e = bpf_map_lookup_elem(&ks_reasm, &s->flow);
	if (e)
		ks_reasm_drop(e, &s->flow);
}

static __always_inline int ks_handle_ack(struct __sk_buff *skb, struct ks_pkt *p,
					 struct ks_config *cfg, struct ks_tc_scratch *s)
{
	struct bpf_sock *skc;
	struct ks_reasm *e;
	__u32 cookie;
	int st, valid, named;

	/* Every segment of an established flow comes through here: a socket
	 * lookup is the cheapest way to step aside. */
	skc = ks_lookup(skb, p, s);
	if (skc) {
		int listening = skc->state == BPF_TCP_LISTEN;

		bpf_sk_release(skc);
		if (!listening) {
			if (ks_gate_open(p))
				ks_reasm_seen(p, s);
			/* ... unless ksteerd is handing it back */
			return ks_hb_frozen(p, &s->flow) ? TC_ACT_SHOT : TC_ACT_UNSPEC;
		}
	}
	if (ks_pkt_load_rest(skb, p))
		return TC_ACT_UNSPEC;             /* unreadable: the kernel's */
	if (ks_hb_place(skb, p, &s->flow, cfg, &st))   /* handback.h */
		return st;
	valid = ks_cookie_valid(p, cfg, s, &cookie);
	ks_flow_of(p, &s->flow);
	e = bpf_map_lookup_elem(&ks_reasm, &s->flow);
	if (e) {
		if (e->cookie == cookie)
			goto held;
		if (!valid) {
			/* A placed flow's client acknowledging bytes past our
			 * SYN-ACK has heard from its server: the connection was
			 * made, and has ended (no socket met this segment), so
			 * what was kept for a retransmission is done with, and
			 * its share of the pool goes back now, not at a sweep. */
			if (e->state == KS_RS_PLACED && (int)(cookie - e->cookie) > 0)
				ks_reasm_drop(e, &s->flow);
			ks_count(KS_ST_COOKIE_BAD);
			return TC_ACT_UNSPEC;     /* not the flow we hold */
		}
		/* A new connection on the 4-tuple of a held one (the client
		 * reused its port): the old flow is over. */
		ks_count(KS_ST_REASM_REPLACED);
		ks_reasm_drop(e, &s->flow);
	}
	if (!valid) {
		/* Maybe a later segment of a ClientHello whose first segment is
		 * late or lost. Anything else is the kernel's. */
		if (p->payload < p->len && !(p->th.flags & (KS_TH_RST | KS_TH_FIN)))
			return ks_reasm_hold_early(skb, p, s, cookie);
		ks_count(KS_ST_COOKIE_BAD);
		return TC_ACT_UNSPEC;
	}
	ks_count(KS_ST_COOKIE_OK);
	if (p->th.flags & KS_TH_RST)
		return TC_ACT_SHOT;               /* nothing exists to reset */
	if (p->payload >= p->len) {
		/* Defer accept: the ClientHello will carry the same cookie. */
		ks_count(KS_ST_BARE_ACK);
		return TC_ACT_SHOT;
	}

	{
		struct ks_first_job j = { .s = &s->p, .hw = &s->hw, .dport = p->th.dest, .count = 1 };

		st = ks_first_parse(skb, NULL, p->payload, p->len, &j);
	}
	if (st == KS_HELLO_COMPLETE)
		return ks_place(skb, p, cfg, s, cookie);
	if (st != KS_HELLO_INCOMPLETE)
		return ks_not_placed(skb, p, cfg, s, cookie, st);
	named = ks_place_named(skb, p, cfg, s, cookie, &st);
	if (named == 1)
		return st;
	/* What it routes by is in a later segment: hold this one until
	 * the rest comes; its bytes, just parsed, name no route yet
	 * (unless later ones came first: parsed again with them). */
	ks_count(KS_ST_INCOMPLETE);
	e = ks_reasm_begin(skb, p, cfg, s, cookie, named ? 0 : p->len - p->payload, &st);
	if (!e)
		return st;
held:
	return ks_reasm_more(skb, p, cfg, s, e);
}

/* slot's socket, referenced: from ks_quic_sk by index (*index its 1 +),
 * else from ks_listeners (*index 0: a socket registered before ks_quic_sk
 * was, or ksteerd's). */
static __always_inline struct bpf_sock *ks_quic_sock(const struct ks_slot *slot, __u32 *index)
{
	__u32 i = KS_UDP_INDEX(slot->backend, slot->slot);
	struct bpf_sock *sk;

	*index = 0;
	if (slot->backend < KS_MAX_BACKENDS && (slot->slot & KS_SLOT_UDP)) {
		sk = bpf_map_lookup_elem(&ks_quic_sk, &i);
		if (sk) {
			*index = i + 1;
			return sk;
		}
	}
	return bpf_map_lookup_elem(&ks_listeners, slot);
}

/* Give the datagram to sk, slot's socket (ks_quic_sock's; released
 * here), noting the choice for the group's sk_reuseport run (quic.h). */
static __always_inline int ks_quic_assign(struct __sk_buff *skb, const struct ks_pkt *p,
					  struct bpf_sock *sk, const struct ks_slot *slot, __u32 index)
{
	long err = bpf_sk_assign(skb, sk, 0);
	struct ks_quic_note *note;

	bpf_sk_release(sk);
	if (!err) {
		/* The group's selection runs after TC returns: a datagram
		 * dropped here leaves no note behind. */
		note = ks_quic_note_get();
		if (note) {
			note->skb = (__u64)(long)bpf_cast_to_kern_ctx(skb);
			note->slot = *slot;
			note->len = p->len - p->l4;
			note->index = index;
		}
		return TC_ACT_UNSPEC;             /* given; later filters still see it */
	}
	/* Not a socket this packet can be given to: dropped, counted. */
	ks_count(KS_ST_QUIC_ASSIGN_ERR);
	return TC_ACT_SHOT;
}

/* An unknown QUIC connection: to one of ksteerd's UDP sockets, which reads
 * its Initial and installs the route; never to a guessed server. */
static __attribute__((noinline)) int ks_quic_to_fallback(struct __sk_buff *skb,
							 const struct ks_pkt *p, __u32 why)
{
	struct ks_slot key = { .backend = KS_FALLBACK_ID };
	__u32 start = bpf_get_prandom_u32(), i, v6 = p->v6;
	struct bpf_sock *sk;

	ks_count(why);
#pragma unroll
	for (i = 0; i < 2 * KS_MAX_SLOTS; i++) {
		key.slot = KS_UDP_TRY_SLOT(v6, i, start);
		sk = bpf_map_lookup_elem(&ks_listeners, &key);
		if (sk) {
			if (why == KS_ST_QUIC_STALE)
				ks_decided(p, NULL, QUIC_KSTEERD, SERVER_GONE, KS_FALLBACK_ID);
			else
				ks_decided(p, NULL, QUIC_KSTEERD, NEW_CONN, KS_FALLBACK_ID);
			return ks_quic_assign(skb, p, sk, &key, 0);
		}
	}
	/* No ksteerd to read it: dropped, the client retransmits. */
	ks_count(KS_ST_QUIC_DROPPED);
	ks_decided(p, NULL, DROPPED, NO_KSTEERD, 0);
	return TC_ACT_SHOT;
}

/* One of backend's QUIC sockets that takes the client's family, picked by
 * the DCID as ksteerd's fb_q_pick_slot does: referenced, or NULL. */
static __always_inline struct bpf_sock *ks_quic_pick(const struct ks_pkt *p, const struct ks_cid *dcid,
						     __u32 backend, struct ks_slot *slot)
{
	__u32 h = 0, i;
	struct bpf_sock *sk;

#pragma unroll
	for (i = 0; i < KS_CID_MAX; i++)
		if (i < dcid->len)
			h = h * 31 + dcid->id[i];
	slot->backend = backend;
#pragma unroll
	for (i = 0; i < 2 * KS_MAX_SLOTS; i++) {
		slot->slot = KS_UDP_TRY_SLOT(p->v6, i, h);
		sk = bpf_map_lookup_elem(&ks_listeners, slot);
		if (sk)
			return sk;
	}
	return NULL;
}

_Static_assert(KS_ST_QK_E_TOO_BIG - KS_ST_QK_E_TRUNCATED == KS_QC_E_TOO_BIG - KS_QC_E_TRUNCATED,
	       "a counter for each of the header's refusals, in their order");

/* Why a new connection's Initial stayed ksteerd's (enum ks_qk_out), counted. */
static __always_inline void ks_quic_new_count(int out)
{
	if (out >= KS_QC_E_TRUNCATED && out <= KS_QC_E_TOO_BIG)
		ks_count(KS_ST_QK_E_TRUNCATED + out - KS_QC_E_TRUNCATED);
	else if (out == KS_QK_NOT_ADMITTED)
		ks_count(KS_ST_QK_NOT_ADMITTED);
	else if (out == KS_QK_BUDGET)
		ks_count(KS_ST_QK_BUDGET);
	else if (out == KS_QK_MALFORMED)
		ks_count(KS_ST_QK_MALFORMED);
	else if (out == KS_QK_STREAM_ODD)
		ks_count(KS_ST_QK_STREAM);
	else
		ks_count(KS_ST_QK_PARTIAL);
}

/* The held datagram h and this one, its successor, to sk (released here)
 * in the client's order (bpf/quic_hold.h); the entry done with. */
static __always_inline int ks_quic_both(struct __sk_buff *skb, const struct ks_pkt *p,
					struct ks_qk *w, struct ks_qh *h, struct bpf_sock *sk,
					const struct ks_slot *slot)
{
	int r = ks_qh_swap(skb, p, h);

	bpf_map_delete_elem(&ks_quic_held, &w->key);
	if (!r) {
		ks_count(KS_ST_QH_ROUTED);
		return ks_quic_assign(skb, p, sk, slot, 0);
	}
	/* One of the two not sent on (the client resends it): with the
	 * clone out, this skb is neither datagram. */
	ks_count(KS_ST_QH_LOST);
	if (r > 0)
		return ks_quic_assign(skb, p, sk, slot, 0);
	bpf_sk_release(sk);
	return TC_ACT_SHOT;
}

/*
 * A new connection whose ClientHello the kernel read whole (in w->lin):
 * routed as TCP's are, the DCID (and the pair, as ksteerd writes it)
 * installed for the datagrams after it, and the datagram given to the
 * server's socket; with h, the held datagram that began the ClientHello
 * first (ks_quic_both).
 */
static __attribute__((noinline)) int ks_quic_place(struct __sk_buff *skb, const struct ks_pkt *p,
						   struct ks_tc_scratch *s, struct ks_qk *w,
						   struct ks_qh *h)
{
	struct ks_slot slot;
	struct bpf_sock *sk;
	__u32 backend;

	if (ks_hello_parse(NULL, w->lin, 3, KS_QK_HDR + (w->prefix & (KS_QK_STREAM * 2 - 1)),
			   &s->p) != KS_HELLO_COMPLETE) {
		/* Whole but not a ClientHello we read: nobody to give it to
		 * (ksteerd's parser is the same). Dropped, with the held one. */
		ks_count(KS_ST_QK_HELLO_BAD);
		goto drop;
	}
	backend = ks_route(&s->p, &s->r);
	sk = backend ? ks_quic_pick(p, &s->qh.dcid, backend, &slot) : NULL;
	if (!sk) {
		/* No route, or no QUIC socket of its backend: as ksteerd
		 * would (quic_no_route), dropped; the client retransmits. */
		ks_count(KS_ST_QK_NO_ROUTE);
		ks_decided(p, &s->p, DROPPED, NO_ROUTE, backend);
		goto drop;
	}
	if (bpf_map_update_elem(&ks_quic_cids, &s->qh.dcid, &slot, BPF_ANY)) {
		bpf_sk_release(sk);
		ks_count(KS_ST_QK_NO_ROUTE);
		goto drop;
	}
	ks_count(KS_ST_QK_ROUTED);
	ks_decided(p, &s->p, QUIC_ROUTED, ROUTED, backend);
	if (h)
		return ks_quic_both(skb, p, w, h, sk, &slot);
	return ks_quic_assign(skb, p, sk, &slot, 0);
drop:
	if (h)
		bpf_map_delete_elem(&ks_quic_held, &w->key);
	return TC_ACT_SHOT;
}

/* A held datagram and this one do not make a whole ClientHello: both to
 * ksteerd (which holds as many as it needs), and the connection's later
 * Initials for the entry's life, which starts again. */
static __attribute__((noinline)) int ks_quic_held_give_up(struct __sk_buff *skb,
							  const struct ks_pkt *p, struct ks_qh *h)
{
	int r;

	h->state = KS_QH_KSTEERD;
	h->born_ns = bpf_ktime_get_ns();
	ks_count(KS_ST_QH_TO_KSTEERD);
	r = ks_qh_swap(skb, p, h);
	if (r)
		ks_count(KS_ST_QH_LOST);
	if (r < 0)
		return TC_ACT_SHOT;               /* the clone is out; this skb is neither */
	return ks_quic_to_fallback(skb, p, KS_ST_QUIC_TO_FALLBACK);
}

/*
 * This datagram's frames onto the stream of its connection's held datagram
 * h: KS_QK_WHOLE (h still held), or why not. A retransmission overlapping
 * it (the client resent that data) replaces it: *hp cleared, the entry
 * deleted, the datagram walked alone.
 */
static __always_inline int ks_quic_resume(struct ks_qk *w, struct ks_qh **hp)
{
	int r;

	if (ks_qh_resume(w, *hp))
		return KS_QK_STREAM_ODD;
	r = ks_qk_walk(w);
	if (r != KS_QK_STREAM_ODD)
		return r;
	ks_qk_empty(w);
	r = ks_qk_walk(w);
	if (r == KS_QK_WHOLE || r == KS_QK_PARTIAL) {
		ks_count(KS_ST_QH_REPLACED);
		bpf_map_delete_elem(&ks_quic_held, &w->key);
		*hp = NULL;
	}
	return r;
}

/* ksteer_tc_quic, put in by `up` when it loaded (an empty slot: the tail
 * call falls through to ksteerd's path). Pinned: the kernel empties a
 * program array when its last pin or file descriptor goes, and `up` exits. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_tc_progs SEC(".maps");

/* A datagram to a public address:port: into the socket of the server that
 * owns its QUIC connection. What is not QUIC (STUN, a VPN, anything else
 * sharing the port) is not ours: it passes untouched. */
static __always_inline int ks_quic_ingress(struct __sk_buff *skb, struct ks_pkt *p,
					   struct ks_tc_scratch *s, __u32 flags)
{
	struct ks_slot slot;
	struct bpf_sock *sk;
	__u32 how = 0, index;
	__u8 b0;
	int r;

	/* A short header TC's first look did not read in place (IP options,
	 * an extension header): the group's program routes it still. */
	if (KS_CFG_QUIC_GROUP_ON(flags) && !bpf_skb_load_bytes(skb, p->payload, &b0, 1) &&
	    !(b0 & 0x80))
		return TC_ACT_UNSPEC;
	if (ks_quic_parse(skb, p->payload, p->len, &s->qh) ||
	    (s->qh.long_hdr && !ks_quic_long_plausible(&s->qh)))
		goto not_quic;
	r = ks_quic_lookup(&s->qh, &slot, &how);
	if (r > 0 && !s->qh.long_hdr) {
		/* Routed by its CID: from a new pair (NAT rebinding), the
		 * owner's answer teaches the pair. Checked when the CID's
		 * last-seen time is due (once a second), not per datagram. */
		ks_flow_of(p, &s->qf);
		ks_quic_expect(&s->qf, &slot);
	} else if (r < 0) {
		ks_flow_of(p, &s->qf);
		r = ks_quic_unknown(p, &s->qh, &s->qf, &s->qhost, &slot);
		if (r == 1)
			goto not_quic;
		if (r > 1) {
			how = r;
			r = 0;
		}
		/* A new connection: its Initial is read by ksteer_tc_quic
		 * (a program of its own: the decryption's verification would
		 * not fit in this one's), which finds p and s as left here. */
		if (r < 0 && s->qh.long_hdr && s->qh.dcid.len &&
		    (flags & KS_CFG_QUIC_KERNEL))
			bpf_tail_call(skb, &ks_tc_progs, 0);
		if (r < 0)
			return ks_quic_to_fallback(skb, p, KS_ST_QUIC_TO_FALLBACK);
	}
	sk = ks_quic_sock(&slot, &index);
	if (!sk)
		return ks_quic_to_fallback(skb, p, KS_ST_QUIC_STALE);   /* server gone */
	ks_count(how);
	if (how == KS_ST_QUIC_BY_PEER)
		ks_decided(p, NULL, QUIC_ROUTED, BY_PEER, slot.backend);
	else if (how == KS_ST_QUIC_BY_PROBE)
		ks_decided(p, NULL, QUIC_ROUTED, BY_PROBE, slot.backend);
	return ks_quic_assign(skb, p, sk, &slot, index);
not_quic:
	ks_count(KS_ST_UDP_NOT_QUIC);
	return TC_ACT_UNSPEC;
}

/*
 * A long header with a DCID no one knows: a new connection. Entered only
 * from ksteer_tc, by tail call, with this CPU's scratch (packet and QUIC
 * header) as ksteer_tc left it. Its Initial is read here (bpf/quic_route.h)
 * and placed; a partial one is held for the next datagram, which routes
 * both (bpf/quic_hold.h); what the kernel cannot read whole goes to
 * ksteerd as before.
 * (The decryption runs in this frame: its global functions' stacks are
 * deep.)
 */
SEC("tc")
int ksteer_tc_quic(struct __sk_buff *skb)
{
	struct ks_tc_scratch *s = KS_CPU_SLOT(ks_tc_scratch);
	__u32 zero = 0;
	struct ks_qk *w = bpf_map_lookup_elem(&ks_tc_quic, &zero);
	struct ks_qh *h;
	struct ks_pkt *p;
	int r;

	if (!s)
		return TC_ACT_UNSPEC;
	p = &s->pkt;
	if (!w)
		return ks_quic_to_fallback(skb, p, KS_ST_QUIC_TO_FALLBACK);
	/* A connection whose first datagram is held, or given to ksteerd. */
	w->key.pair = s->qf;
	w->key.dcid = s->qh.dcid;
	h = ks_qh_find(&w->key, bpf_ktime_get_ns());
	if (h && h->state != KS_QH_HELD)
		return ks_quic_to_fallback(skb, p, KS_ST_QUIC_TO_FALLBACK);
	ks_qh_keys(w, h);
	r = ks_qk_start(skb, p->payload, p->len - p->payload, w);
	if (r == KS_QK_MORE && h) {
		r = ks_quic_resume(w, &h);
		if (h && r != KS_QK_WHOLE)
			return ks_quic_held_give_up(skb, p, h);
	} else if (r == KS_QK_MORE) {
		ks_qk_empty(w);
		r = ks_qk_walk(w);
	}
	if (r == KS_QK_WHOLE)
		return ks_quic_place(skb, p, s, w, h);
	ks_quic_new_count(r);
	/* Part of a ClientHello: held for the next datagram; the skb's bytes
	 * are in the entry (dropped here, sent on by ks_qh_swap). */
	if (r == KS_QK_PARTIAL && !ks_qh_hold(skb, p, &w->key, w))
		return TC_ACT_SHOT;
	return ks_quic_to_fallback(skb, p, KS_ST_QUIC_TO_FALLBACK);
}

/*
 * With every QUIC server in the public SO_REUSEPORT group
 * (KS_CFG_QUIC_GROUP_ON), a short header is the group's sk_reuseport
 * program's to route (steer_reuseport.bpf.c, ks_quic_group): the kernel
 * runs it on the datagram anyway, and it does there the one lookup and all
 * TC did (pair, probe, rebinding, stale server). Told here from the
 * headers in place, nothing looked up: IPv4 without options nor fragment,
 * or IPv6 with UDP next, and the first payload byte's form bit (0x80)
 * clear. Not even the port is read: a datagram to a port not ours passes
 * anyway. Anything else takes the full path.
 */
static __always_inline int ks_quic_group_short(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 off = ks_l3_offset(skb);
	__u8 *l3 = data + (off & 0x3f);

	if (off > 0x3f)
		return 0;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)l3;

		if (l3 + 29 > (__u8 *)end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP ||
		    (ip->frag_off & bpf_htons(0x3fff)))
			return 0;
		return !(l3[28] & 0x80);
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (l3 + 49 > (__u8 *)end || ((struct ipv6hdr *)l3)->nexthdr != IPPROTO_UDP)
			return 0;
		return !(l3[48] & 0x80);
	}
	return 0;
}

SEC("tc")
int ksteer_tc(struct __sk_buff *skb)
{
	struct ks_config *cfg = ks_cfg();
	struct ks_tc_scratch *s;
	struct ks_pkt *p;

	if (!cfg || !(cfg->flags & KS_CFG_ACTIVE))
		return TC_ACT_UNSPEC;
	if (KS_CFG_QUIC_GROUP_ON(cfg->flags) && ks_quic_group_short(skb))
		return TC_ACT_UNSPEC;             /* the group's program routes it */
	/* A frame this device did not take for itself is some other
	 * device's: one for a macvlan's or another host's MAC (eth_type_trans
	 * said PACKET_OTHERHOST), or tagged with a VLAN id (the kernel moved
	 * the tag to vlan_tci and delivers it on that VLAN's device). Ours
	 * there, if we are attached there; acting here too would place it
	 * twice. Priority tags (id 0) are this device's. */
	if (skb->pkt_type != PACKET_HOST || (skb->vlan_present && (skb->vlan_tci & 0x0fff)))
		return TC_ACT_UNSPEC;
	s = KS_CPU_SLOT(ks_tc_scratch);
	if (!s)
		return TC_ACT_UNSPEC;
	p = &s->pkt;
	switch (ks_pkt_load(skb, cfg, p, 0)) {
	case KS_PKT_TCP:
		break;
	case KS_PKT_UDP:
		return cfg->flags & KS_CFG_QUIC ? ks_quic_ingress(skb, p, s, cfg->flags) : TC_ACT_UNSPEC;
	case KS_PKT_UNSUPPORTED:
		/* Ours, but not readable here: the kernel's path, which the
		 * sk_reuseport program keeps off random group members. */
		ks_count(KS_ST_UNSUPPORTED);
		return TC_ACT_UNSPEC;
	default:
		return TC_ACT_UNSPEC;
	}
	if ((p->th.flags & (KS_TH_SYN | KS_TH_ACK | KS_TH_RST)) == KS_TH_SYN)
		return ks_pkt_load_rest(skb, p) ? TC_ACT_UNSPEC : ks_handle_syn(skb, p, cfg, s);
	if (p->th.flags & KS_TH_SYN)
		return TC_ACT_UNSPEC;             /* SYN-ACK to us: not a server flow */
	return ks_handle_ack(skb, p, cfg, s);
}

char _license[] SEC("license") = "GPL";
