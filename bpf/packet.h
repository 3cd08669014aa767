/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet headers for the TC program: read with bpf_skb_load_bytes (the
 * payload is never linear, and the headers need not be), and replies (SYN-ACK,
 * RST) written whole into a scratch buffer and stored back.
 */
#ifndef KS_PACKET_H
#define KS_PACKET_H

#include "ks_bpf.h"
#include "cookie.h"

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
	__u32 l3;             /* offset of the IP header: 14 after Ethernet, 0 on
			       * devices without a link header (tun, wireguard) */
	__u32 l4;             /* offset of the TCP/UDP header */
	__u32 payload;        /* offset of the TCP/UDP payload */
	__u32 len;            /* end of the IP packet, from its own length field:
			       * a NIC's padding after it is not data */
	__u32 saddr[4];       /* network order; IPv4 in [0] */
	__u32 daddr[4];
	__be16 sport, dport;
	__u8 proto;           /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 eth[14];
	__u8 optlen;
	__u32 opt_i;          /* option walk cursor (map memory, see ks_walk) */
	struct ks_tcp th;
	__u8 opts[64];        /* 40 used; 64 so a masked index stays inside */
	__u32 parsed;         /* `so` holds opts parsed (ks_opts_parse) */
	struct ks_syn_opts so;
	__u8 hdr[48];         /* header bytes being read */
	struct ks_addr pub;   /* ks_public lookup key */
};

/* What ks_pkt_load found. */
enum ks_pkt_kind {
	KS_PKT_NOT_OURS,      /* not to a public address and port: untouched */
	KS_PKT_UNSUPPORTED,   /* to one, but not something we can read here */
	KS_PKT_TCP,
	KS_PKT_UDP,
};

#define KS_IP6_EXT_MAX 4      /* extension headers walked before giving up */

/*
 * Where the IP header starts. The kernel knows: at TC the data begins at
 * the link header it parsed, so the network header's offset is the link
 * header's length: 14 for Ethernet, 0 for L3 devices (tun, wireguard,
 * ipip), whatever skb->len says. Padding, tags and tunnels are the
 * kernel's to know; we read its answer rather than guess from the bytes.
 */
static __always_inline __u32 ks_l3_offset(struct __sk_buff *skb)
{
	struct sk_buff *k = bpf_cast_to_kern_ctx(skb);

	return k->network_header - (__u32)(k->data - k->head);
}

/* len bytes at off into dst: straight from the linear area when the
 * headers are there (they almost always are), else by copy. */
static __always_inline int ks_read(struct __sk_buff *skb, __u32 off, void *dst, __u32 len)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;

	off &= 0xff;
	if (data + off + len <= end) {
		__builtin_memcpy(dst, data + off, len);
		return 0;
	}
	return bpf_skb_load_bytes(skb, off, dst, len);
}

/* Whether port (network order) is a public one: what most packets that
 * are not ours fail, so it comes before the address lookup. */
static __always_inline int ks_public_port(const struct ks_config *cfg, __be16 port)
{
	int hit = 0;

#pragma unroll
	for (int i = 0; i < KS_MAX_PORTS; i++)
		hit |= cfg->ports[i] == port;
	return hit && port;
}

/* Whether addr (IPv4 in [0]) is among the public addresses ks_config
 * holds in place: 1 yes, 0 no, -1 not known there (more than fit). */
static __always_inline int ks_public_inline(const struct ks_config *cfg, int v6, const __u32 *addr)
{
	int hit = 0;

	if (!v6) {
#pragma unroll
		for (int i = 0; i < KS_PUB4_INLINE; i++)
			hit |= cfg->pub4[i] == addr[0];
		if (hit && addr[0])
			return 1;
		return cfg->pub_more & 1 ? -1 : 0;
	}
#pragma unroll
	for (int i = 0; i < KS_PUB6_INLINE; i++)
		hit |= cfg->pub6[i][0] == addr[0] && cfg->pub6[i][1] == addr[1] &&
		       cfg->pub6[i][2] == addr[2] && cfg->pub6[i][3] == addr[3];
	if (hit && (addr[0] | addr[1] | addr[2] | addr[3]))
		return 1;
	return cfg->pub_more & 2 ? -1 : 0;
}

/* Whether addr is public: in place, or for a host with more public
 * addresses than ks_config holds, in ks_public. */
static __always_inline int ks_public_addr(const struct ks_config *cfg, struct ks_pkt *p,
					  const __u32 addr[4])
{
	int in = ks_public_inline(cfg, p->v6, addr);

	if (in >= 0)
		return in;
	p->pub.family = p->v6 ? AF_INET6 : AF_INET;
	p->pub.port = 0;
	__builtin_memcpy(p->pub.addr, addr, 16);
	return bpf_map_lookup_elem(&ks_public, &p->pub) != NULL;
}

/*
 * Most packets on an interface are not ours, and almost all of them have
 * plain IP headers (no IPv4 options, fragments or IPv6 extension headers)
 * in the linear area: those are read here in place, without a copy.
 * KS_QUICK_NOT_OURS: not TCP/UDP to a public port and address (dir as in
 * ks_pkt_load); KS_QUICK_READ: ours, p has its addresses, ports, protocol,
 * l4 and len; KS_QUICK_SLOW: anything else, for ks_ip_load to read.
 */
enum { KS_QUICK_SLOW, KS_QUICK_NOT_OURS, KS_QUICK_READ };

static __always_inline int ks_quick_load(struct __sk_buff *skb, const struct ks_config *cfg,
					 struct ks_pkt *p, int dir)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	__u32 l3 = p->l3 & 0x3f, *addr;
	struct ipv6hdr *ip6 = NULL;
	struct iphdr *ip = NULL;
	__be16 *ports;
	__u8 proto;
	int v6, in;

	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		ip = data + l3;
		if ((void *)ip + 24 > end || ip->ihl != 5 || (ip->frag_off & bpf_htons(0x3fff)))
			return KS_QUICK_SLOW;
		proto = ip->protocol;
		ports = (void *)ip + 20;
		addr = dir ? &ip->saddr : &ip->daddr;
		v6 = 0;
	} else if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		ip6 = data + l3;
		if ((void *)ip6 + 44 > end)
			return KS_QUICK_SLOW;
		proto = ip6->nexthdr;
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
			return KS_QUICK_SLOW;     /* extension headers, ICMPv6: read on */
		ports = (void *)ip6 + 40;
		addr = dir ? (__u32 *)&ip6->saddr : (__u32 *)&ip6->daddr;
		v6 = 1;
	} else {
		return KS_QUICK_SLOW;             /* ARP, a tag in the data: read on */
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return KS_QUICK_NOT_OURS;
	if (!ks_public_port(cfg, ports[dir ? 0 : 1]))
		return KS_QUICK_NOT_OURS;
	in = ks_public_inline(cfg, v6, addr);
	if (in == 0)
		return KS_QUICK_NOT_OURS;
	if (in < 0)
		return KS_QUICK_SLOW;             /* more public addresses: the map */
	p->v6 = v6;
	p->proto = proto;
	p->sport = ports[0];
	p->dport = ports[1];
	if (ip) {
		__u32 tot = bpf_ntohs(ip->tot_len);

		p->saddr[0] = ip->saddr;
		p->daddr[0] = ip->daddr;
		p->saddr[1] = p->saddr[2] = p->saddr[3] = 0;
		p->daddr[1] = p->daddr[2] = p->daddr[3] = 0;
		p->l4 = l3 + 20;
		p->len = tot ? l3 + tot : skb->len;   /* 0: BIG TCP, sized by the skb */
	} else if (ip6) {
		__u32 plen = bpf_ntohs(ip6->payload_len);

		__builtin_memcpy(p->saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->daddr, &ip6->daddr, 16);
		p->l4 = l3 + 40;
		p->len = plen ? l3 + 40 + plen : skb->len;
	}
	return KS_QUICK_READ;
}

/*
 * IPv6 extension headers (RFC 8200 4): each starts with Next Header and
 * its length; hop-by-hop (0), routing (43) and destination options (60)
 * in 8-octet units after the first 8, AH (51) in 4-octet units after the
 * first 8. Fragment (44) we do not reassemble. A routing header with
 * segments left is for another node, so the packet is not ours. Sets
 * p->l4 and p->proto: 0; -1: not TCP/UDP (or not for us); -2: a header
 * we do not read (fragment, ESP, more than KS_IP6_EXT_MAX of them).
 *
 *   +--------+--------+-------------------------+
 *   | next   | length | ... (routing: type, segments left, ...)
 *   +--------+--------+-------------------------+
 */
static __always_inline int ks_ip6_walk(struct __sk_buff *skb, struct ks_pkt *p, __u8 nh)
{
	__u8 ext[4];
	__u32 l4 = p->l3 + 40;

#pragma unroll
	for (int i = 0; i < KS_IP6_EXT_MAX; i++) {
		if (nh == IPPROTO_TCP || nh == IPPROTO_UDP)
			break;
		if (nh == 44 || nh == 50)
			return -2;                /* fragment, ESP: not readable here */
		if (nh != 0 && nh != 43 && nh != 60 && nh != 51)
			return -1;                /* ICMPv6, no next header, ... */
		if (bpf_skb_load_bytes(skb, l4 & 0x3ff, ext, 4))
			return -1;
		if (nh == 43 && ext[3])
			return -1;                /* segments left: another node's */
		l4 += nh == 51 ? (ext[1] + 2) * 4 : (ext[1] + 1) * 8;
		nh = ext[0];
	}
	if (nh != IPPROTO_TCP && nh != IPPROTO_UDP)
		return nh == 44 || nh == 50 || nh == 0 || nh == 43 || nh == 60 || nh == 51 ? -2 : -1;
	p->l4 = l4 & 0x3ff;
	p->proto = nh;
	return 0;
}

/* The IPv4 (v6 0) or IPv6 header at p->l3: addresses, protocol, p->l4,
 * p->len. Reads 4 bytes past the fixed header into p->hdr, the ports
 * when nothing lies between. -1: not TCP/UDP over IP; 0: read; 1: a
 * fragment, which the kernel reassembles; 2: extension headers we could
 * not walk to a TCP/UDP header. */
static __always_inline int ks_ip_load(struct __sk_buff *skb, struct ks_pkt *p, int v6)
{
	if (!v6) {
		struct iphdr *ip = (void *)p->hdr;
		__u32 tot;

		if (ks_read(skb, p->l3, p->hdr, 24) || ip->version != 4 || ip->ihl < 5)
			return -1;
		if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
			return -1;
		p->v6 = 0;
		p->proto = ip->protocol;
		p->saddr[0] = ip->saddr;
		p->daddr[0] = ip->daddr;
		p->saddr[1] = p->saddr[2] = p->saddr[3] = 0;
		p->daddr[1] = p->daddr[2] = p->daddr[3] = 0;
		p->l4 = p->l3 + ip->ihl * 4;
		tot = bpf_ntohs(ip->tot_len);
		/* 0: a GRO packet past 64 KB (BIG TCP), sized by the skb. */
		p->len = tot ? p->l3 + tot : skb->len;
		return ip->frag_off & bpf_htons(0x3fff) ? 1 : 0;
	} else {
		struct ipv6hdr *ip6 = (void *)p->hdr;
		__u32 plen;

		if (ks_read(skb, p->l3, p->hdr, 44) || ip6->version != 6)
			return -1;
		p->v6 = 1;
		__builtin_memcpy(p->saddr, &ip6->saddr, 16);
		__builtin_memcpy(p->daddr, &ip6->daddr, 16);
		plen = bpf_ntohs(ip6->payload_len);
		/* 0: a jumbogram (BIG TCP), sized by the skb. */
		p->len = plen ? p->l3 + 40 + plen : skb->len;
		if (ip6->nexthdr == IPPROTO_TCP || ip6->nexthdr == IPPROTO_UDP) {
			p->proto = ip6->nexthdr;
			p->l4 = p->l3 + 40;
			return 0;
		}
		switch (ks_ip6_walk(skb, p, ip6->nexthdr)) {
		case 0: return 0;
		case -1: return -1;
		default: return 2;
		}
	}
}

/*
 * Classify the packet and read its IP and transport headers into p. dir
 * says which end must be public: 0 the destination (ingress), 1 the
 * source (egress). Only the fixed headers are read: most packets to the
 * port belong to established connections and need no more
 * (ks_pkt_load_rest reads the Ethernet header and the TCP options for the
 * ones we answer or parse).
 *
 * A VLAN tag still in the data (the kernel has already moved the outer one
 * to skb->vlan_tci; this is a second, QinQ tag) is read through, so that
 * a packet to a public address is counted; it is left to the kernel, which
 * untags it for the inner VLAN device: the kfunc only builds connections
 * from untagged IP packets.
 */
static __always_inline int ks_pkt_load(struct __sk_buff *skb, const struct ks_config *cfg,
				       struct ks_pkt *p, int dir)
{
	__u16 proto = skb->protocol;
	__u32 *addr = dir ? p->saddr : p->daddr;
	int tagged = 0, st;
	__u32 hl;

	p->parsed = 0;
	p->l3 = ks_l3_offset(skb);
	if (p->l3 > 64)
		return KS_PKT_NOT_OURS;
	st = ks_quick_load(skb, cfg, p, dir);
	if (st == KS_QUICK_NOT_OURS)
		return KS_PKT_NOT_OURS;
	if (st == KS_QUICK_READ) {
		st = 0;
		goto transport;
	}
	if (proto == bpf_htons(0x8100) || proto == bpf_htons(0x88a8)) {
		__be16 tag[2];              /* TCI, encapsulated protocol */

		if (ks_read(skb, p->l3, tag, 4))
			return KS_PKT_NOT_OURS;
		p->l3 += 4;
		tagged = 1;
		proto = tag[1];
	}
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
		return KS_PKT_NOT_OURS;       /* ARP, another tag, ... */
	st = ks_ip_load(skb, p, proto == bpf_htons(ETH_P_IPV6));
	if (st < 0)
		return KS_PKT_NOT_OURS;
	if (st == 2) {
		/* No transport header reached: the port is unknown, so only
		 * the address says whether it may have been ours. */
		return ks_public_addr(cfg, p, addr) ? KS_PKT_UNSUPPORTED : KS_PKT_NOT_OURS;
	}
	if (p->l4 == p->l3 + (p->v6 ? 40 : 20)) {
		__builtin_memcpy(&p->sport, p->hdr + (p->v6 ? 40 : 20), 2);
		__builtin_memcpy(&p->dport, p->hdr + (p->v6 ? 42 : 22), 2);
	} else if (ks_read(skb, p->l4, &p->sport, 4)) {
		return KS_PKT_NOT_OURS;
	}
	if (!ks_public_port(cfg, dir ? p->sport : p->dport) || !ks_public_addr(cfg, p, addr))
		return KS_PKT_NOT_OURS;
transport:
	/* Ours, but the kfunc takes only untagged IP packets, and the kernel
	 * reassembles fragments: to the kernel, counted by the caller. */
	if (st || tagged || p->len > skb->len)
		return KS_PKT_UNSUPPORTED;
	if (p->proto == IPPROTO_UDP) {
		p->payload = p->l4 + 8;
		return p->payload <= p->len ? KS_PKT_UDP : KS_PKT_UNSUPPORTED;
	}
	if (ks_read(skb, p->l4, &p->th, sizeof(p->th)))
		return KS_PKT_UNSUPPORTED;
	hl = (p->th.doff >> 4) * 4;
	p->payload = p->l4 + hl;
	p->optlen = (hl - 20) & 63;
	if (hl < 20 || p->payload > p->len || p->optlen > 40)
		return KS_PKT_UNSUPPORTED;
	return KS_PKT_TCP;
}

/* The packet's flow as its sender sent it (a map key: IPv4 in [0]). */
static __always_inline void ks_flow_of(const struct ks_pkt *p, struct ks_flow *k)
{
	__builtin_memcpy(k->saddr, p->saddr, 16);
	__builtin_memcpy(k->daddr, p->daddr, 16);
	k->sport = p->sport;
	k->dport = p->dport;
	k->v6 = p->v6;
}

/* The rest of what ks_pkt_load skipped: link header, TCP options. */
static __always_inline int ks_pkt_load_rest(struct __sk_buff *skb, struct ks_pkt *p)
{
	__u32 n = p->optlen;

	if (p->l3 == 14 && bpf_skb_load_bytes(skb, 0, p->eth, 14))
		return -1;
	p->parsed = 0;                        /* new option bytes: parse again */
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

static __always_inline __u32 ks_opt_be32(const __u8 *b)
{
	return (__u32)b[0] << 24 | (__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3];
}

/*
 * The two lists nearly every segment carries, read without the walk (a
 * bpf_loop step per option costs more than the whole compare), to the
 * same result as the walk: 1 when o is filled.
 *   data/ACK with timestamps (12 B): NOP NOP TS
 *   Linux's SYN (20 B):   MSS(4) SACK_PERM(2) TS(10) NOP WS(3)
 */
static __always_inline int ks_opts_common(const struct ks_pkt *p, struct ks_syn_opts *o)
{
	const __u8 *op = p->opts;

	if (p->optlen == 12 && op[0] == 1 && op[1] == 1 && op[2] == 8 && op[3] == 10) {
		o->ts = 1;
		o->tsval = ks_opt_be32(op + 4);
		o->tsecr = ks_opt_be32(op + 8);
		return 1;
	}
	if (p->optlen == 20 && op[0] == 2 && op[1] == 4 && op[4] == 4 && op[5] == 2 &&
	    op[6] == 8 && op[7] == 10 && op[16] == 1 && op[17] == 3 && op[18] == 3) {
		o->mss = op[2] << 8 | op[3];
		o->sack = 1;
		o->ts = 1;
		o->tsval = ks_opt_be32(op + 8);
		o->tsecr = ks_opt_be32(op + 12);
		o->wscale = op[19] > 14 ? 14 : op[19];
		return 1;
	}
	return !p->optlen;
}

/* The segment's options into *o: read once per packet (the SYN, cookie,
 * reassembly and assign paths each ask), then copied from p->so. */
static __always_inline void ks_opts_parse(struct ks_pkt *p, struct ks_syn_opts *o)
{
	struct ks_opt_walk w = { .p = p, .o = &p->so };

	if (!p->parsed) {
		p->so.mss = 0;
		p->so.wscale = KS_WS_NONE;
		p->so.sack = p->so.ts = p->so.ecn = 0;
		p->so.tsval = p->so.tsecr = 0;
		p->opt_i = 0;
		if (!ks_opts_common(p, &p->so))
			bpf_loop(40, ks_opt_step, &w, 0);
		p->parsed = 1;
	}
	*o = p->so;
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
	__u32 seq, ack;       /* what ks_reply was asked for */
	__u16 window;
	__u8 flags;
	__u8 optwords;
	__u32 opts[10];       /* 40 bytes: TCP's most */
	__u8 buf[KS_REPLY_MAX];
	__u32 pseudo[10];     /* TCP pseudo-header, for the checksum */
};

/*
 * Turn the skb into a reply to the segment in p: addresses and ports
 * swapped, r's seq/ack/flags/window, TCP options r->opts[0..optwords).
 * The caller redirects it out of the interface it came in on. The reply is
 * built at buf + 14 on, its Ethernet header (when the device has one) just
 * before. A subprogram: one copy for every kind of reply.
 */
static __attribute__((noinline)) int ks_reply_build(struct __sk_buff *skb, struct ks_pkt *p,
						    struct ks_reply *r)
{
	__u32 optwords = r->optwords, seq = r->seq, ack = r->ack;
	__u8 flags = r->flags;
	__u16 window = r->window;
	const __u32 *opts = r->opts;
	__u32 iplen = p->v6 ? 40 : 20, tcplen, total, i;
	__u8 *b = r->buf;
	struct ks_tcp *t;
	__s64 cs;

	optwords = optwords > 10 ? 10 : optwords;
	tcplen = 20 + optwords * 4;
	total = iplen + tcplen;
	if (p->l3) {
		/* Ethernet: back to whoever sent it. */
		__builtin_memcpy(b, p->eth + 6, 6);
		__builtin_memcpy(b + 6, p->eth, 6);
		__builtin_memcpy(b + 12, p->eth + 12, 2);
		total += 14;
	}
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
	for (i = 0; i < 10; i++)
		if (i < optwords)
			*(__u32 *)(b + 14 + iplen + 20 + 4 * i) = opts[i];
	cs = bpf_csum_diff(0, 0, r->pseudo, p->v6 ? 40 : 12, 0);
	cs = bpf_csum_diff(0, 0, (void *)t, tcplen & 60, cs);
	t->check = ks_csum_fold(cs);

	/* A SYN-ACK is often as long as the SYN it answers (Linux's options
	 * and ours are 20 bytes each): then the length stands as it is. */
	if (skb->len != total && bpf_skb_change_tail(skb, total, 0))
		return -1;
	if (total < 40 || total > KS_REPLY_MAX - 14)
		return -1;
	if (p->l3)
		return bpf_skb_store_bytes(skb, 0, b, total, 0) ? -1 : 0;
	return bpf_skb_store_bytes(skb, 0, b + 14, total, 0) ? -1 : 0;
}

static __always_inline int ks_reply(struct __sk_buff *skb, struct ks_pkt *p, struct ks_reply *r,
				    __u32 seq, __u32 ack, __u8 flags, __u16 window,
				    const __u32 *opts, __u32 optwords)
{
	r->seq = seq;
	r->ack = ack;
	r->flags = flags;
	r->window = window;
	r->optwords = optwords;
#pragma unroll
	for (int i = 0; i < 10; i++)
		if (i < optwords)
			r->opts[i] = opts[i];
	return ks_reply_build(skb, p, r);
}

#endif
