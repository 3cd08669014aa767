/* SPDX-License-Identifier: GPL-2.0 */
/* Packets for the BPF fixtures and benchmarks (pkt.c). */
#ifndef KS_TEST_PKT_H
#define KS_TEST_PKT_H

#include <stddef.h>
#include <stdint.h>

struct pkt {
	uint8_t b[16384 + 256]; /* the largest rewritten segment TC makes (KS_SKB_MAX) */
	size_t n;
	int v6;
	size_t l3, l4;            /* offsets of the IP and TCP headers */
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

uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n);
uint16_t csum_fold(uint32_t sum);
/* One's-complement sum over the pseudo-header and segment: 0 when valid. */
uint16_t tcp_csum(const struct pkt *p, int v6);
/* Where the IP and TCP headers of the frame in p are (replies too). */
void locate(struct pkt *p);
/* A TCP segment of flow f in the shape sh (plain: build). */
void build_shaped(struct pkt *p, const struct flow *f, const struct shape *sh,
		  uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opts,
		  size_t optlen, const uint8_t *data, size_t datalen);
void build(struct pkt *p, const struct flow *f, uint32_t seq, uint32_t ack,
	   uint8_t flags, const uint8_t *opts, size_t optlen,
	   const uint8_t *data, size_t datalen);
uint32_t be32(const uint8_t *p);
/* TCP option kind in the segment, or NULL. */
const uint8_t *find_opt(const struct pkt *p, uint8_t kind);
/* NOP, NOP, a timestamp option (TSval, TSecr) at o; its length, 12. */
size_t ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr);
/* A server_name extension for sni at ext; its length. */
size_t sni_ext(uint8_t *ext, const char *sni);
/* A TLS record holding a ClientHello with these e bytes of extensions. */
size_t hello_record(uint8_t *out, const uint8_t *ext, size_t e);
/* A ClientHello as a real client sends it (sni, alpn may be NULL). */
size_t client_hello(uint8_t *out, const char *sni, const char *alpn);

#endif
