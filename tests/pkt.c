// SPDX-License-Identifier: GPL-2.0
/* Packets for the BPF fixtures and benchmarks: Ethernet frames built
 * field by field (the shapes real hosts deliver), checksums, and the
 * ClientHellos inside them. */
#include <string.h>
#include "pkt.h"

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
	const uint8_t *ip = p->b + p->l3, *tcp = p->b + p->l4;
	size_t len = v6 ? p->l3 + 40 + (ip[4] << 8 | ip[5]) - p->l4
			: p->l3 + (ip[2] << 8 | ip[3]) - p->l4;
	uint32_t sum = 0;

	if (v6) {
		sum = csum_add(sum, ip + 8, 32);
	} else {
		sum = csum_add(sum, ip + 12, 8);
	}
	sum += 6 + len;
	sum = csum_add(sum, tcp, len);
	return csum_fold(sum);
}

/* Where the IP and TCP headers of the frame in p are (replies too). */
void locate(struct pkt *p)
{
	const uint8_t *b = p->b;
	size_t l3 = 14;

	if (b[12] == 0x81 && b[13] == 0x00)
		l3 += 4;
	p->l3 = l3;
	p->v6 = (b[l3] >> 4) == 6;
	if (!p->v6) {
		p->l4 = l3 + (b[l3] & 15) * 4;
	} else {
		p->l4 = l3 + 40;
		if (b[l3 + 6] == 60)
			p->l4 += (b[l3 + 40 + 1] + 1) * 8;
	}
}

void build_shaped(struct pkt *p, const struct flow *f, const struct shape *sh,
			 uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opts,
			 size_t optlen, const uint8_t *data, size_t datalen)
{
	uint8_t *b = p->b, *ip, *t;
	size_t l3 = sh->vlan ? 18 : 14, ext = f->v6 ? (sh->dstopts ? 8 : 0) : (sh->ip_opts ? 4 : 0);
	size_t iplen = (f->v6 ? 40 : 20) + ext, tcplen = 20 + optlen;
	uint16_t c;

	memset(b, 0, l3 + iplen + tcplen + datalen + 64);
	/* dst MAC: the server's. BPF_PROG_TEST_RUN runs on lo, whose address
	 * is all zeros: any other is PACKET_OTHERHOST, another host's frame. */
	memset(b, 0, 6);
	memcpy(b + 6, "\x02\x00\x00\x00\x00\x02", 6);  /* src MAC: the client */
	if (sh->vlan) {
		b[12] = 0x81;
		b[14] = sh->vlan >> 8;
		b[15] = sh->vlan;
	}
	b[l3 - 2] = f->v6 ? 0x86 : 0x08;
	b[l3 - 1] = f->v6 ? 0xdd : 0x00;
	ip = b + l3;
	if (f->v6) {
		ip[0] = 0x60;
		ip[4] = (ext + tcplen + datalen) >> 8;
		ip[5] = ext + tcplen + datalen;
		ip[6] = sh->dstopts ? 60 : 6;
		ip[7] = 64;
		memcpy(ip + 8, f->src, 16);
		memcpy(ip + 24, f->dst, 16);
		if (sh->dstopts) {
			ip[40] = sh->frag ? 44 : 6;       /* next: TCP (or a fragment header) */
			ip[41] = 0;                       /* 8 bytes */
			ip[42] = 1;                       /* PadN, 4 bytes of padding */
			ip[43] = 4;
		}
	} else {
		ip[0] = 0x40 | (iplen / 4);
		ip[2] = (iplen + tcplen + datalen) >> 8;
		ip[3] = iplen + tcplen + datalen;
		if (sh->frag)
			ip[6] = 0x20;                     /* more fragments */
		ip[8] = 64;
		ip[9] = 6;
		memcpy(ip + 12, f->src, 4);
		memcpy(ip + 16, f->dst, 4);
		if (sh->ip_opts)
			memset(ip + 20, 1, 4);            /* NOP NOP NOP NOP */
		c = csum_fold(csum_add(0, ip, iplen));
		ip[10] = c >> 8;
		ip[11] = c;
	}
	p->l3 = l3;
	p->l4 = l3 + iplen;
	t = b + p->l4;
	t[0] = f->sport >> 8; t[1] = f->sport;
	t[2] = f->dport >> 8; t[3] = f->dport;
	t[4] = seq >> 24; t[5] = seq >> 16; t[6] = seq >> 8; t[7] = seq;
	t[8] = ack >> 24; t[9] = ack >> 16; t[10] = ack >> 8; t[11] = ack;
	t[12] = (tcplen / 4) << 4;
	t[13] = flags;
	t[14] = 0xff; t[15] = 0xff;
	memcpy(t + 20, opts, optlen);
	memcpy(t + tcplen, data, datalen);
	p->n = p->l4 + tcplen + datalen;
	p->v6 = f->v6;
	c = tcp_csum(p, f->v6);
	t[16] = c >> 8;
	t[17] = c;
	if (p->n < sh->pad_to)
		p->n = sh->pad_to;                /* zeros after the IP packet */
}

void build(struct pkt *p, const struct flow *f, uint32_t seq, uint32_t ack,
		  uint8_t flags, const uint8_t *opts, size_t optlen,
		  const uint8_t *data, size_t datalen)
{
	static const struct shape plain;

	build_shaped(p, f, &plain, seq, ack, flags, opts, optlen, data, datalen);
}

uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }


/* Find TCP option kind in a segment; returns pointer to it or NULL. */
const uint8_t *find_opt(const struct pkt *p, uint8_t kind)
{
	const uint8_t *t = p->b + p->l4;
	size_t hl = (t[12] >> 4) * 4;

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
size_t client_hello(uint8_t *out, const char *sni, const char *alpn)
{
	uint8_t ext[600];
	size_t e = 0, n;

	if (sni)
		e = sni_ext(ext, sni);
	if (alpn) {
		n = strlen(alpn);
		ext[e++] = 0; ext[e++] = 16;
		ext[e++] = 0; ext[e++] = n + 3;
		ext[e++] = 0; ext[e++] = n + 1;
		ext[e++] = n;
		memcpy(ext + e, alpn, n);
		e += n;
	}
	return hello_record(out, ext, e);
}

