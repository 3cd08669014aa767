/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet headers for the TC program: read with bpf_skb_load_bytes (the
 * payload is never linear, and the headers need not be), and replies (SYN-ACK,
 * RST) written whole into a scratch buffer and stored back.
 */
#ifndef KS_PACKET_H
#define KS_PACKET_H

#include "ks_bpf.h"

#define KS_TH_FIN 0x01
#define KS_TH_SYN 0x02
#define KS_TH_RST 0x04
#define KS_TH_PSH 0x08
#define KS_TH_ACK 0x10
#define KS_TH_ECE 0x40
#define KS_TH_CWR 0x80

struct ks_tcp {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff;            /* high nibble */
	__u8 flags;
	__be16 window;
	__sum16 check;
	__be16 urg_ptr;
};

struct ks_pkt {
	__u32 v6;
	__u32 l3;             /* offset of the IP header */
	__u32 l4;             /* offset of the TCP header */
	__u32 payload;        /* offset of the TCP payload */
	__u32 len;            /* skb->len */
	__u32 saddr[4];       /* network order; IPv4 in [0] */
	__u32 daddr[4];
	__u8 eth[14];
	__u8 optlen;
	__u8 pad;
	__u32 opt_i;          /* option walk cursor (map memory, see ks_walk) */
	struct ks_tcp th;
	__u8 opts[64];        /* 40 used; 64 so a masked index stays inside */
};

/*
 * 0: a TCP segment we understand; -1: anything else (passed untouched).
 * Only the IP and TCP fixed headers: most segments to the port belong to
 * established connections and need no more (ks_pkt_load_rest reads the
 * Ethernet header and the options for the ones we answer or parse).
 */
static __always_inline int ks_pkt_load(struct __sk_buff *skb, struct ks_pkt *p)
{
	__u32 hl;

	p->len = skb->len;
	p->l3 = 14;
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, p->l3, &ip, sizeof(ip)))
			return -1;
		/* Fragments and options-laden oddities go to the kernel. */
		if (ip.version != 4 || ip.ihl < 5 || ip.protocol != IPPROTO_TCP ||
		    (ip.frag_off & bpf_htons(0x3fff)))
			return -1;
		p->v6 = 0;
		p->saddr[0] = ip.saddr;
		p->daddr[0] = ip.daddr;
		p->saddr[1] = p->saddr[2] = p->saddr[3] = 0;
		p->daddr[1] = p->daddr[2] = p->daddr[3] = 0;
		p->l4 = p->l3 + ip.ihl * 4;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr ip6;

		if (bpf_skb_load_bytes(skb, p->l3, &ip6, sizeof(ip6)))
			return -1;
		/* Extension headers are rare on TCP; the kernel handles them. */
		if (ip6.version != 6 || ip6.nexthdr != IPPROTO_TCP)
			return -1;
		p->v6 = 1;
		__builtin_memcpy(p->saddr, &ip6.saddr, 16);
		__builtin_memcpy(p->daddr, &ip6.daddr, 16);
		p->l4 = p->l3 + 40;
	} else {
		return -1;
	}
	if (bpf_skb_load_bytes(skb, p->l4, &p->th, sizeof(p->th)))
		return -1;
	hl = (p->th.doff >> 4) * 4;
	if (hl < 20)
		return -1;
	p->payload = p->l4 + hl;
	if (p->payload > p->len)
		return -1;
	p->optlen = (hl - 20) & 63;
	return p->optlen <= 40 ? 0 : -1;
}

/* The rest of what ks_pkt_load skipped: Ethernet header, TCP options. */
static __always_inline int ks_pkt_load_rest(struct __sk_buff *skb, struct ks_pkt *p)
{
	__u32 n = p->optlen;

	if (bpf_skb_load_bytes(skb, 0, p->eth, 14))
		return -1;
	if (!n)
		return 0;
	/* Two tests, not clang's fused (n - 1) <= 39, which the verifier
	 * cannot read as a non-zero bounded length. */
	asm volatile("" : "+r"(n));
	if (n > 40 || bpf_skb_load_bytes(skb, p->l4 + 20, p->opts, n))
		return -1;
	return 0;
}

/*
 * TCP options (RFC 9293 3.1): kind 1 B, len 1 B, data; NOP (1) and EOL (0)
 * are single bytes.
 *   MSS kind 2 len 4 | WS kind 3 len 3 | SACK_PERM kind 4 len 2 |
 *   TS kind 8 len 10 (TSval 4 B, TSecr 4 B)
 */
struct ks_opt_walk {
	struct ks_pkt *p;
	struct ks_syn_opts *o;
};

static long ks_opt_step(__u32 n, void *arg)
{
	struct ks_opt_walk *w = arg;
	__u8 *op = w->p->opts;
	__u32 i = w->p->opt_i, kind, len;

	if (i >= w->p->optlen)
		return 1;
	kind = op[i & 63];
	if (kind == 0)
		return 1;
	if (kind == 1) {
		w->p->opt_i = i + 1;
		return 0;
	}
	if (i + 1 >= w->p->optlen)
		return 1;
	len = op[(i + 1) & 63];
	if (len < 2 || i + len > w->p->optlen)
		return 1;                 /* broken list: stop, keep what we have */
	if (kind == 2 && len == 4)
		w->o->mss = op[(i + 2) & 63] << 8 | op[(i + 3) & 63];
	else if (kind == 3 && len == 3)
		w->o->wscale = op[(i + 2) & 63] > 14 ? 14 : op[(i + 2) & 63];
	else if (kind == 4 && len == 2)
		w->o->sack = 1;
	else if (kind == 8 && len == 10) {
		w->o->ts = 1;
		w->o->tsval = (__u32)op[(i + 2) & 63] << 24 | (__u32)op[(i + 3) & 63] << 16 |
			      (__u32)op[(i + 4) & 63] << 8 | op[(i + 5) & 63];
		w->o->tsecr = (__u32)op[(i + 6) & 63] << 24 | (__u32)op[(i + 7) & 63] << 16 |
			      (__u32)op[(i + 8) & 63] << 8 | op[(i + 9) & 63];
	}
	w->p->opt_i = i + len;
	return 0;
}

static __always_inline void ks_opts_parse(struct ks_pkt *p, struct ks_syn_opts *o)
{
	struct ks_opt_walk w = { .p = p, .o = o };

	o->mss = 0;
	o->wscale = KS_WS_NONE;
	o->sack = o->ts = o->ecn = 0;
	o->tsval = o->tsecr = 0;
	p->opt_i = 0;
	bpf_loop(40, ks_opt_step, &w, 0);
}

static __always_inline __u16 ks_csum_fold(__s64 csum)
{
	__u64 s = (__u64)csum;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

#define KS_REPLY_MAX 128

struct ks_reply {
	__u8 buf[KS_REPLY_MAX];
	__u32 pseudo[10];     /* TCP pseudo-header, for the checksum */
};

/*
 * Turn the skb into a reply to the segment in p: addresses and ports
 * swapped, our seq/ack/flags, tcp options opts[0..optlen). The caller
 * redirects it out of the interface it came in on.
 */
static __always_inline int ks_reply(struct __sk_buff *skb, struct ks_pkt *p, struct ks_reply *r,
				    __u32 seq, __u32 ack, __u8 flags, __u16 window,
				    const __u32 *opts, __u32 optwords)
{
	__u32 iplen = p->v6 ? 40 : 20, tcplen, total, i;
	__u8 *b = r->buf;
	struct ks_tcp *t;
	__s64 cs;

	optwords &= 7;
	tcplen = 20 + optwords * 4;
	total = 14 + iplen + tcplen;
	/* Ethernet: back to whoever sent it. */
	__builtin_memcpy(b, p->eth + 6, 6);
	__builtin_memcpy(b + 6, p->eth, 6);
	__builtin_memcpy(b + 12, p->eth + 12, 2);
	if (p->v6) {
		struct ipv6hdr *ip6 = (void *)(b + 14);

		*(__be32 *)ip6 = bpf_htonl(0x60000000);
		ip6->payload_len = bpf_htons(tcplen);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		__builtin_memcpy(&ip6->saddr, p->daddr, 16);
		__builtin_memcpy(&ip6->daddr, p->saddr, 16);
		__builtin_memcpy(r->pseudo, p->daddr, 16);
		__builtin_memcpy(r->pseudo + 4, p->saddr, 16);
		r->pseudo[8] = bpf_htonl(tcplen);
		r->pseudo[9] = bpf_htonl(IPPROTO_TCP);
	} else {
		struct iphdr *ip = (void *)(b + 14);

		*(__u16 *)ip = bpf_htons(0x4500);
		ip->tot_len = bpf_htons(iplen + tcplen);
		ip->id = 0;
		ip->frag_off = bpf_htons(0x4000);     /* DF */
		ip->ttl = 64;
		ip->protocol = IPPROTO_TCP;
		ip->check = 0;
		ip->saddr = p->daddr[0];
		ip->daddr = p->saddr[0];
		cs = bpf_csum_diff(0, 0, (void *)ip, 20, 0);
		ip->check = ks_csum_fold(cs);
		r->pseudo[0] = p->daddr[0];
		r->pseudo[1] = p->saddr[0];
		r->pseudo[2] = bpf_htonl(IPPROTO_TCP << 16 | tcplen);
	}
	t = (void *)(b + 14 + iplen);
	t->source = p->th.dest;
	t->dest = p->th.source;
	t->seq = bpf_htonl(seq);
	t->ack_seq = bpf_htonl(ack);
	t->doff = (tcplen / 4) << 4;
	t->flags = flags;
	t->window = bpf_htons(window);
	t->check = 0;
	t->urg_ptr = 0;
#pragma unroll
	for (i = 0; i < 5; i++)
		if (i < optwords)
			*(__u32 *)(b + 14 + iplen + 20 + 4 * i) = opts[i];
	cs = bpf_csum_diff(0, 0, r->pseudo, p->v6 ? 40 : 12, 0);
	cs = bpf_csum_diff(0, 0, (void *)t, tcplen & 60, cs);
	t->check = ks_csum_fold(cs);

	if (bpf_skb_change_tail(skb, total, 0))
		return -1;
	total &= KS_REPLY_MAX - 1;
	if (total < 54 || bpf_skb_store_bytes(skb, 0, b, total, 0))
		return -1;
	return 0;
}

#endif
