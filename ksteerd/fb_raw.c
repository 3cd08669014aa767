// SPDX-License-Identifier: GPL-2.0
/*
 * Packets ksteerd writes whole, IP header included, as from the client to
 * the address it connected to: the QUIC datagrams it re-injects and the
 * TCP segment of a hand-back; and, the other way, the RST that ends a
 * hand-back that failed. Routed locally they go through lo, where the TC
 * program runs; every one carries KS_HANDBACK_MARK (SO_MARK), which no
 * remote sender can set, so TC knows them for ksteerd's.
 *
 *   IPv4: 20 B header, no options (length, id, checksum: the kernel's)
 *   IPv6: 40 B header, no extension headers
 *   then the transport header and payload, whose checksum is filled here
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fb.h"

static int fb_raw_open(int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW), mark = KS_HANDBACK_MARK;

	if (fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* IPPROTO_RAW: we write the IP header (the client's source address).
 * Hand-back and QUIC both call it: what one opened the other uses. */
int fb_raw_init(struct fb_raw *raw)
{
	if (raw->fd4 < 0)
		raw->fd4 = fb_raw_open(AF_INET);
	if (raw->fd6 < 0)
		raw->fd6 = fb_raw_open(AF_INET6);
	return raw->fd4 < 0 ? -1 : 0;
}

void fb_raw_close(struct fb_raw *raw)
{
	if (raw->fd4 >= 0)
		close(raw->fd4);
	if (raw->fd6 >= 0)
		close(raw->fd6);
	raw->fd4 = raw->fd6 = -1;
}

/* Addresses as ks_flow holds them: IPv4 (also v4-mapped v6) in [0]; 1 for
 * IPv6. */
int fb_addr_of(const struct sockaddr_storage *ss, __u32 a[4], __u16 *port)
{
	memset(a, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		a[0] = s->sin_addr.s_addr;
		*port = s->sin_port;
		return 0;
	}
	const struct sockaddr_in6 *s6 = (const void *)ss;

	*port = s6->sin6_port;
	if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		memcpy(a, &s6->sin6_addr.s6_addr[12], 4);
		return 0;
	}
	memcpy(a, &s6->sin6_addr, 16);
	return 1;
}

/* The RFC 768 / RFC 9293 checksum over the pseudo-header and the segment. */
static __u16 fb_raw_csum(const void *src, const void *dst, int alen, int proto,
			 const __u8 *l4, size_t len)
{
	__u32 sum = proto + (__u32)len;
	const __u8 *parts[3] = { src, dst, l4 };
	size_t lens[3] = { alen, alen, len };

	for (int k = 0; k < 3; k++) {
		for (size_t i = 0; i + 1 < lens[k]; i += 2)
			sum += parts[k][i] << 8 | parts[k][i + 1];
		if (lens[k] & 1)
			sum += parts[k][lens[k] - 1] << 8;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/*
 * Send the len bytes at l4 (a UDP or TCP header and its payload) from src
 * to dst, with tos as the IPv4 TOS or IPv6 Traffic Class byte (DSCP and
 * ECN as the client sent them: the header is ours, so no IP_TOS cmsg is
 * needed). l4 must have FB_RAW_HEADROOM bytes before it, where the IP
 * header is written. 0, or -1 with errno.
 */
int fb_raw_send_tos(const struct fb_raw *raw, int v6, const __u32 src[4], const __u32 dst[4],
		    int proto, __u8 tos, __u8 *l4, size_t len)
{
	int hl = v6 ? 40 : 20, fd = v6 ? raw->fd6 : raw->fd4, at = proto == IPPROTO_UDP ? 6 : 16;
	__u8 *ip = l4 - hl;
	struct sockaddr_storage to = {};
	socklen_t tolen;
	__u16 sum;

	if (fd < 0)
		return errno = EAFNOSUPPORT, -1;
	memset(ip, 0, hl);
	l4[at] = l4[at + 1] = 0;
	sum = fb_raw_csum(src, dst, v6 ? 16 : 4, proto, l4, len);
	if (proto == IPPROTO_UDP && !sum)
		sum = 0xffff;                     /* 0 would mean "no checksum" */
	l4[at] = sum >> 8;
	l4[at + 1] = sum & 0xff;
	if (v6) {
		struct sockaddr_in6 *t = (void *)&to;

		ip[0] = 0x60 | tos >> 4;          /* version, Traffic Class */
		ip[1] = (tos & 0x0f) << 4;
		ip[4] = len >> 8;
		ip[5] = len & 0xff;
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, src, 16);
		memcpy(ip + 24, dst, 16);
		t->sin6_family = AF_INET6;
		memcpy(&t->sin6_addr, dst, 16);
		tolen = sizeof(*t);
	} else {
		struct sockaddr_in *t = (void *)&to;

		ip[0] = 0x45;
		ip[1] = tos;
		ip[6] = 0x40;                     /* DF */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, src, 4);
		memcpy(ip + 16, dst, 4);
		t->sin_family = AF_INET;
		t->sin_addr.s_addr = dst[0];
		tolen = sizeof(*t);
	}
	return sendto(fd, ip, hl + len, 0, (struct sockaddr *)&to, tolen) < 0 ? -1 : 0;
}

/* TOS 0: hand-back segments and resets. */
int fb_raw_send(const struct fb_raw *raw, int v6, const __u32 src[4], const __u32 dst[4],
		int proto, __u8 *l4, size_t len)
{
	return fb_raw_send_tos(raw, v6, src, dst, proto, 0, l4, len);
}
