// SPDX-License-Identifier: GPL-2.0
/* Packets for the BPF fixtures and benchmarks: Ethernet frames built
 * field by field (the shapes real hosts deliver), read back through views
 * of their headers, checksums, the ClientHellos inside them, and the line
 * a fixture's case prints. */
#include <arpa/inet.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ksteer.h"
#include "pkt.h"

const uint8_t linux_syn[20] = {
	2, 4, 0x05, 0xb4,                          /* MSS 1460 */
	4, 2,                                      /* SACK permitted */
	8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,       /* TS val 0x1234 */
	1, 3, 3, 7,                                /* NOP, WS 7 */
};

void obj_private_maps(struct bpf_object *obj)
{
	struct bpf_map *m;

	bpf_object__for_each_map(m, obj) {
		bpf_map__set_pin_path(m, NULL);
		if (!strncmp(bpf_map__name(m), "ks_quic_", 8) && bpf_map__max_entries(m) == KS_QUIC_OFF)
			bpf_map__set_max_entries(m, 1024);   /* as `up --quic` sizes them */
	}
	ks_size_cpu_maps(obj);
}

static int obj_map(struct bpf_object *obj, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(obj, name));
}

/* This process in a network namespace of its own, its lo up: where a
 * program under BPF_PROG_TEST_RUN may send what it clones into lo's
 * ingress (bpf/quic_hold.h), which goes nowhere there. 0, or -1 (errno). */
int netns_own_lo_up(void)
{
	struct ifreq r = { .ifr_name = "lo" };
	int fd, err;

	if (unshare(CLONE_NEWNET))
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	err = ioctl(fd, SIOCGIFFLAGS, &r);
	r.ifr_flags |= IFF_UP;
	err = err ?: ioctl(fd, SIOCSIFFLAGS, &r);
	close(fd);
	return err;
}

int tc_quic_kernel_up(struct bpf_object *obj, __u32 backend, const char *const *hosts)
{
	struct ks_config cfg = { .ports = { htons(443) },
				 .flags = KS_CFG_ACTIVE | KS_CFG_QUIC | KS_CFG_QUIC_KERNEL,
				 .abi = KS_ABI_VERSION, .pub4 = { htonl(0xc6120001) } };
	struct ks_slot k = { backend, KS_UDP_SLOT(KS_UDP_V4, 0) };
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	__u32 zero = 0;
	__u64 v;
	int fd;

	struct bpf_program *qp = bpf_object__find_program_by_name(obj, "ksteer_tc_quic");
	int qfd = qp ? bpf_program__fd(qp) : -1;

	/* As `up` does: the Initial path's program in its slot. */
	if (bpf_map_update_elem(obj_map(obj, "ks_config"), &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(obj_map(obj, "ks_tc_progs"), &zero, &qfd, BPF_ANY))
		return -1;
	for (; *hosts; hosts++) {
		struct ks_route_key rk;
		struct ks_route_val rv = { .backend = backend, .flags = KS_RT_PLAIN };

		ks_route_key_from_host(*hosts, &rk);
		rv.prefixlen = rk.prefixlen;
		if (bpf_map_update_elem(obj_map(obj, "ks_routes"), &rk, &rv, BPF_ANY))
			return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	v = fd;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    bpf_map_update_elem(obj_map(obj, "ks_listeners"), &k, &v, BPF_ANY)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += p[i] << 8 | p[i + 1];
	if (n & 1)
		sum += p[n - 1] << 8;
	return sum;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* One's-complement sum over the pseudo-header and segment: 0 when valid.
 * The segment ends where the IP header says, not at the frame's end. */
uint16_t tcp_csum(const struct pkt *p, int v6)
{
	size_t len = v6 ? p->l3 + 40 + be16(pkt_ip6(p)->plen) - p->l4
			: p->l3 + be16(pkt_ip4(p)->len) - p->l4;
	uint32_t sum;

	if (v6)
		sum = csum_add(0, pkt_ip6(p)->src, 32);
	else
		sum = csum_add(0, pkt_ip4(p)->src, 8);
	sum += 6 + len;
	sum = csum_add(sum, p->b + p->l4, len);
	return csum_fold(sum);
}

/* Where the IP and TCP headers of the frame in p are (replies too). */
void locate(struct pkt *p)
{
	p->l3 = be16(pkt_eth(p)->type) == 0x8100 ? 18 : 14;    /* a VLAN tag in the data */
	p->v6 = pkt_ip4(p)->ver_ihl >> 4 == 6;
	if (!p->v6) {
		p->l4 = p->l3 + (pkt_ip4(p)->ver_ihl & 15) * 4;
		return;
	}
	p->l4 = p->l3 + 40;
	if (pkt_ip6(p)->next == 60)               /* destination options: 8-byte units less one */
		p->l4 += (p->b[p->l4 + 1] + 1) * 8;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* The Ethernet and IP headers of a frame of flow f in the shape sh around
 * l4len bytes of protocol proto; p->l3, l4, n and v6 set for them. */
static void put_ip(struct pkt *p, const struct flow *f, const struct shape *sh, uint8_t proto,
		   size_t l4len)
{
	size_t l3 = sh->vlan ? 18 : 14, ext = f->v6 ? (sh->dstopts ? 8 : 0) : (sh->ip_opts ? 4 : 0);
	size_t iplen = (f->v6 ? 40 : 20) + ext;
	uint8_t *b = p->b, *ip = b + l3;

	memset(b, 0, l3 + iplen + l4len + 64);
	/* dst MAC: the server's. BPF_PROG_TEST_RUN runs on lo, whose address
	 * is all zeros: any other is PACKET_OTHERHOST, another host's frame. */
	memcpy(b + 6, "\x02\x00\x00\x00\x00\x02", 6);  /* src MAC: the client */
	if (sh->vlan) {
		b[12] = 0x81;
		put16(b + 14, sh->vlan);
	}
	put16(b + l3 - 2, f->v6 ? 0x86dd : 0x0800);
	if (f->v6) {
		struct pkt_ip6 *h = (struct pkt_ip6 *)ip;

		h->ver_flow[0] = 0x60;
		put16(h->plen, ext + l4len);
		h->next = sh->dstopts ? 60 : proto;
		h->hops = 64;
		memcpy(h->src, f->src, 16);
		memcpy(h->dst, f->dst, 16);
		if (sh->dstopts) {
			ip[40] = sh->frag ? 44 : proto;   /* next: ours (or a fragment header) */
			ip[41] = 0;                       /* 8 bytes */
			ip[42] = 1;                       /* PadN, 4 bytes of padding */
			ip[43] = 4;
		}
	} else {
		struct pkt_ip4 *h = (struct pkt_ip4 *)ip;

		h->ver_ihl = 0x40 | (iplen / 4);
		put16(h->len, iplen + l4len);
		if (sh->frag)
			h->frag[0] = 0x20;                /* more fragments */
		h->ttl = 64;
		h->proto = proto;
		memcpy(h->src, f->src, 4);
		memcpy(h->dst, f->dst, 4);
		if (sh->ip_opts)
			memset(ip + 20, 1, 4);            /* NOP NOP NOP NOP */
		put16(h->csum, csum_fold(csum_add(0, ip, iplen)));
	}
	p->l3 = l3;
	p->l4 = l3 + iplen;
	p->n = p->l4 + l4len;
	p->v6 = f->v6;
}

void tcp_build(struct pkt *p, const struct flow *f, const struct tcp_seg *s)
{
	static const struct shape plain;
	const struct shape *sh = s->shape ? s->shape : &plain;
	size_t tcplen = 20 + s->optlen;
	struct pkt_tcp *t;

	put_ip(p, f, sh, 6, tcplen + s->len);
	t = (struct pkt_tcp *)(p->b + p->l4);
	put16(t->sport, f->sport);
	put16(t->dport, f->dport);
	put32(t->seq, s->seq);
	put32(t->ack, s->ack);
	t->off = (tcplen / 4) << 4;
	t->flags = s->flags;
	put16(t->win, 0xffff);
	memcpy(p->b + p->l4 + 20, s->opts, s->optlen);
	memcpy(p->b + p->l4 + tcplen, s->data, s->len);
	put16(t->csum, tcp_csum(p, f->v6));
	if (p->n < sh->pad_to)
		p->n = sh->pad_to;                /* zeros after the IP packet */
}

void udp_build(struct pkt *p, const struct flow *f, const uint8_t *data, size_t len)
{
	static const struct shape plain;
	struct pkt_udp *u;

	put_ip(p, f, &plain, 17, 8 + len);
	u = (struct pkt_udp *)(p->b + p->l4);
	put16(u->sport, f->sport);
	put16(u->dport, f->dport);
	put16(u->len, 8 + len);
	memcpy(p->b + p->l4 + 8, data, len);
}

uint16_t be16(const uint8_t *p) { return p[0] << 8 | p[1]; }
uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }

uint16_t tcp_sport(const struct pkt *p) { return be16(pkt_tcp(p)->sport); }
uint16_t tcp_dport(const struct pkt *p) { return be16(pkt_tcp(p)->dport); }
uint32_t tcp_seq(const struct pkt *p) { return be32(pkt_tcp(p)->seq); }
uint32_t tcp_ack(const struct pkt *p) { return be32(pkt_tcp(p)->ack); }
uint8_t tcp_flags(const struct pkt *p) { return pkt_tcp(p)->flags; }
uint16_t tcp_window(const struct pkt *p) { return be16(pkt_tcp(p)->win); }
size_t tcp_hlen(const struct pkt *p) { return (pkt_tcp(p)->off >> 4) * 4; }

uint8_t *tcp_data(const struct pkt *p)
{
	return (uint8_t *)p->b + p->l4 + tcp_hlen(p);
}

size_t tcp_data_len(const struct pkt *p)
{
	return p->n - p->l4 - tcp_hlen(p);
}

size_t ip_hlen(const struct pkt *p) { return p->l4 - p->l3; }
uint16_t ip4_len(const struct pkt *p) { return be16(pkt_ip4(p)->len); }

const uint8_t *ip_src(const struct pkt *p)
{
	return p->v6 ? pkt_ip6(p)->src : pkt_ip4(p)->src;
}

const uint8_t *ip_dst(const struct pkt *p)
{
	return p->v6 ? pkt_ip6(p)->dst : pkt_ip4(p)->dst;
}

uint16_t ip4_csum(const struct pkt *p)
{
	return csum_fold(csum_add(0, p->b + p->l3, (pkt_ip4(p)->ver_ihl & 15) * 4));
}

/* Find TCP option kind in a segment; returns pointer to it or NULL. */
const uint8_t *find_opt(const struct pkt *p, uint8_t kind)
{
	const uint8_t *t = p->b + p->l4;
	size_t hl = tcp_hlen(p);

	for (size_t i = 20; i < hl;) {
		if (t[i] == 0)
			return NULL;
		if (t[i] == 1) {
			i++;
			continue;
		}
		if (t[i] == kind)
			return t + i;
		i += t[i + 1] < 2 ? 2 : t[i + 1];
	}
	return NULL;
}

uint32_t tcp_tsval(const struct pkt *p)
{
	const uint8_t *ts = find_opt(p, TCPO_TS);

	return ts ? be32(ts + 2) : 0;
}

uint32_t tcp_tsecr(const struct pkt *p)
{
	const uint8_t *ts = find_opt(p, TCPO_TS);

	return ts ? be32(ts + 6) : 0;
}

size_t ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
	for (int i = 0; i < 4; i++) {
		o[4 + i] = tsval >> (24 - 8 * i);
		o[8 + i] = tsecr >> (24 - 8 * i);
	}
	return 12;
}

/* A server_name extension for sni at ext; its length. */
size_t sni_ext(uint8_t *ext, const char *sni)
{
	size_t e = 0, n = strlen(sni);

	ext[e++] = 0; ext[e++] = 0;
	ext[e++] = (n + 5) >> 8; ext[e++] = n + 5;
	ext[e++] = (n + 3) >> 8; ext[e++] = n + 3;
	ext[e++] = 0;
	ext[e++] = n >> 8; ext[e++] = n;
	memcpy(ext + e, sni, n);
	return e + n;
}

/* A TLS record holding a ClientHello with these e bytes of extensions. */
size_t hello_record(uint8_t *out, const uint8_t *ext, size_t e)
{
	uint8_t *body = out + 9;
	size_t b = 0;

	body[b++] = 3; body[b++] = 3;
	memset(body + b, 7, 32); b += 32;
	body[b++] = 0;
	body[b++] = 0; body[b++] = 2; body[b++] = 0x13; body[b++] = 0x01;
	body[b++] = 1; body[b++] = 0;
	body[b++] = e >> 8; body[b++] = e;
	memcpy(body + b, ext, e);
	b += e;
	out[0] = 22; out[1] = 3; out[2] = 1;
	out[3] = (b + 4) >> 8; out[4] = b + 4;
	out[5] = 1; out[6] = 0; out[7] = b >> 8; out[8] = b;
	return b + 9;
}

/* A ClientHello as a real client sends it. */
size_t alpn_ext(uint8_t *ext, const char *alpn)
{
	size_t e = 0, n = strlen(alpn);

	ext[e++] = 0; ext[e++] = 16;
	ext[e++] = 0; ext[e++] = n + 3;
	ext[e++] = 0; ext[e++] = n + 1;
	ext[e++] = n;
	memcpy(ext + e, alpn, n);
	return e + n;
}

size_t pad_ext(uint8_t *ext, size_t n)
{
	ext[0] = 0; ext[1] = 21;
	ext[2] = n >> 8; ext[3] = n & 0xff;
	memset(ext + 4, 0, n);
	return 4 + n;
}

size_t client_hello(uint8_t *out, const char *sni, const char *alpn)
{
	uint8_t ext[600];
	size_t e = 0;

	if (sni)
		e = sni_ext(ext, sni);
	if (alpn)
		e += alpn_ext(ext + e, alpn);
	return hello_record(out, ext, e);
}

void case_line(const char *table, size_t i, const char *name, int ok)
{
	printf("#%s/%zu %s:%s\n", table, i + 1, name, ok ? "OK" : "FAIL");
}
