/* SPDX-License-Identifier: GPL-2.0 */
/* Packets for the BPF fixtures and benchmarks (pkt.c): typed builders and
 * views of the headers, and the fixtures' case tables. */
#ifndef KS_TEST_PKT_H
#define KS_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

struct pkt {
	uint8_t b[16384 + 256]; /* the largest rewritten segment TC makes (KS_SKB_MAX) */
	size_t n;
	int v6;
	size_t l3, l4;            /* offsets of the IP and TCP (or UDP) headers */
};

struct flow {
	int v6;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
};

/* How a real host's frame can differ from the plain one. */
struct shape {
	int vlan;                 /* an 802.1Q tag (this TCI) still in the data */
	int ip_opts;              /* IPv4: 4 bytes of options (NOPs) */
	int dstopts;              /* IPv6: a destination options header */
	int frag;                 /* an IP fragment (more fragments follow) */
	size_t pad_to;            /* a NIC's padding: the frame at least this long */
};

/* TCP flags (RFC 9293; ECE and CWR: RFC 3168). */
#define TCP_F_FIN 0x01
#define TCP_F_SYN 0x02
#define TCP_F_RST 0x04
#define TCP_F_PSH 0x08
#define TCP_F_ACK 0x10
#define TCP_F_ECE 0x40
#define TCP_F_CWR 0x80

/* TCP option kinds. */
#define TCPO_MSS 2
#define TCPO_WS 3
#define TCPO_SACK_OK 4
#define TCPO_TS 8

/* A Linux client's SYN options, 20 bytes as Linux sends them: MSS 1460,
 * SACK permitted, TS (val 0x1234, ecr 0), NOP, WS 7. */
extern const uint8_t linux_syn[20];

/* The headers as they stand in a frame. Every field is bytes, big-endian
 * (be16, be32), so that a view may sit at any offset without padding or
 * alignment of its own. */
struct pkt_eth {
	uint8_t dst[6], src[6], type[2];
};

struct pkt_ip4 {
	uint8_t ver_ihl, tos, len[2], id[2], frag[2], ttl, proto, csum[2];
	uint8_t src[4], dst[4];
};

struct pkt_ip6 {
	uint8_t ver_flow[4], plen[2], next, hops;
	uint8_t src[16], dst[16];
};

struct pkt_tcp {
	uint8_t sport[2], dport[2], seq[4], ack[4], off, flags, win[2], csum[2], urg[2];
};

struct pkt_udp {
	uint8_t sport[2], dport[2], len[2], csum[2];
};

/* The views of p's headers, where build or locate put them. */
static inline const struct pkt_eth *pkt_eth(const struct pkt *p)
{
	return (const struct pkt_eth *)p->b;
}

static inline const struct pkt_ip4 *pkt_ip4(const struct pkt *p)
{
	return (const struct pkt_ip4 *)(p->b + p->l3);
}

static inline const struct pkt_ip6 *pkt_ip6(const struct pkt *p)
{
	return (const struct pkt_ip6 *)(p->b + p->l3);
}

static inline const struct pkt_tcp *pkt_tcp(const struct pkt *p)
{
	return (const struct pkt_tcp *)(p->b + p->l4);
}

/* A TCP segment for tcp_build; what is left zero is: no options, no data,
 * the plain shape. */
struct tcp_seg {
	uint32_t seq, ack;
	uint8_t flags;            /* TCP_F_* */
	const uint8_t *opts;
	size_t optlen;
	const uint8_t *data;
	size_t len;
	const struct shape *shape;    /* NULL: plain */
};

/* A segment's fields in place: tcp_build(p, f, TCP_SEG(.seq = 1, .flags = TCP_F_SYN)). */
#define TCP_SEG(...) (&(const struct tcp_seg){ __VA_ARGS__ })

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t csum_fold(uint32_t sum);
/* One's-complement sum over the pseudo-header and segment: 0 when valid. */
uint16_t tcp_csum(const struct pkt *p, int v6);
/* The same over the IPv4 header, as long as its IHL says: 0 when valid. */
uint16_t ip4_csum(const struct pkt *p);
/* Where the IP and TCP headers of the frame in p are (replies too). */
void locate(struct pkt *p);
/* Segment s of flow f, in an Ethernet frame from the client's MAC. */
void tcp_build(struct pkt *p, const struct flow *f, const struct tcp_seg *s);
/* A UDP datagram of flow f carrying data (no checksum: 0, as IPv4 allows). */
void udp_build(struct pkt *p, const struct flow *f, const uint8_t *data, size_t len);

uint16_t be16(const uint8_t *p);
uint32_t be32(const uint8_t *p);

/* The fields of p's TCP header. */
uint16_t tcp_sport(const struct pkt *p);
uint16_t tcp_dport(const struct pkt *p);
uint32_t tcp_seq(const struct pkt *p);
uint32_t tcp_ack(const struct pkt *p);
uint8_t tcp_flags(const struct pkt *p);
uint16_t tcp_window(const struct pkt *p);
/* The header's length, options included (its data offset). */
size_t tcp_hlen(const struct pkt *p);
/* The bytes after the TCP header, to the frame's end (a NIC's padding
 * included); writable, as strchr's result is: fixtures corrupt them. */
uint8_t *tcp_data(const struct pkt *p);
size_t tcp_data_len(const struct pkt *p);
/* TCP option kind in the segment, or NULL. */
const uint8_t *find_opt(const struct pkt *p, uint8_t kind);
/* The timestamp option's TSval and TSecr; 0 without one. */
uint32_t tcp_tsval(const struct pkt *p);
uint32_t tcp_tsecr(const struct pkt *p);

/* The IP header's length (IPv6: with its extension headers), and IPv4's
 * total length field. */
size_t ip_hlen(const struct pkt *p);
uint16_t ip4_len(const struct pkt *p);
/* The source and destination address, 4 or 16 bytes by p's version. */
const uint8_t *ip_src(const struct pkt *p);
const uint8_t *ip_dst(const struct pkt *p);

/* NOP, NOP, a timestamp option (TSval, TSecr) at o; its length, 12. */
size_t ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr);
/* A server_name extension for sni at ext; its length. */
size_t sni_ext(uint8_t *ext, const char *sni);
/* An ALPN extension of one protocol; a padding extension of n zero bytes. */
size_t alpn_ext(uint8_t *ext, const char *alpn);
size_t pad_ext(uint8_t *ext, size_t n);
/* A TLS record holding a ClientHello with these e bytes of extensions. */
size_t hello_record(uint8_t *out, const uint8_t *ext, size_t e);
/* A ClientHello as a real client sends it (sni, alpn may be NULL). */
size_t client_hello(uint8_t *out, const char *sni, const char *alpn);

/*
 * Fixtures as case tables, the kernel selftests' named subtests: fn(case,
 * its index, the rest of the arguments) for each case of the array cases,
 * then a line "#table/N name:OK", or FAIL when the includer's failure
 * counter (check.h's `failed`) moved during it.
 */
#define RUN_CASES(table, cases, fn, ...)                                       \
	for (size_t i_ = 0; i_ < sizeof(cases) / sizeof((cases)[0]); i_++) {    \
		int failed_ = failed;                                           \
		fn(&(cases)[i_], i_, ##__VA_ARGS__);                            \
		case_line(table, i_, (cases)[i_].name, failed == failed_);      \
	}
void case_line(const char *table, size_t i, const char *name, int ok);

/* A ksteer object's maps made private (nothing pinned), the QUIC tables
 * sized as `up --quic` would, the per-CPU ones for this machine. */
struct bpf_object;
void obj_private_maps(struct bpf_object *obj);

/* steer_tc's maps (obj loaded) as `up --quic` on 198.18.0.1:443 with the
 * kernel's Initial path leaves them (ksteer_tc_quic in ks_tc_progs), `hosts` (NULL-ended) routed to
 * backend, and a UDP socket on loopback registered as its first IPv4
 * slot: the socket, or -1. */
int tc_quic_kernel_up(struct bpf_object *obj, __u32 backend, const char *const *hosts);
/* This process in a network namespace of its own, lo up: 0, or -1. */
int netns_own_lo_up(void);

#endif
