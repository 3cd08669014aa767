// SPDX-License-Identifier: GPL-2.0
/*
 * PROXY protocol v2 header (haproxy.org proxy-protocol.txt, 2.2), so a
 * proxied backend still learns the client's address:
 *
 *   +-------------------------+---------+--------+---------+
 *   | signature (12 B)        | ver/cmd | family | len     |
 *   | \r\n\r\n\0\r\nQUIT\n     | 0x21    | 0x11/21| 2 B     |
 *   +-------------------------+---------+--------+---------+
 *   | IPv4: src 4 | dst 4 | sport 2 | dport 2     (12 B)   |
 *   | IPv6: src 16 | dst 16 | sport 2 | dport 2   (36 B)   |
 *   +-------------------------------------------------------+
 *
 * src/dst are the client socket's peer and local address: the client and
 * the public address it connected to.
 */
#include <netinet/in.h>
#include <string.h>
#include "fb.h"

static const unsigned char fb_v2_sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A,
};

/* Header for client_fd into buf; its length, or -1. */
int fb_proxy_v2_header(int client_fd, unsigned char *buf, size_t len)
{
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	size_t n;

	if (len < 16 + 36 || getpeername(client_fd, (struct sockaddr *)&peer, &pl) ||
	    getsockname(client_fd, (struct sockaddr *)&local, &ll) ||
	    peer.ss_family != local.ss_family)
		return -1;
	memcpy(buf, fb_v2_sig, 12);
	buf[12] = 0x21;                           /* version 2, PROXY */
	if (peer.ss_family == AF_INET) {
		struct sockaddr_in *s = (void *)&peer, *d = (void *)&local;

		buf[13] = 0x11;                   /* TCP over IPv4 */
		memcpy(buf + 16, &s->sin_addr, 4);
		memcpy(buf + 20, &d->sin_addr, 4);
		memcpy(buf + 24, &s->sin_port, 2);
		memcpy(buf + 26, &d->sin_port, 2);
		n = 12;
	} else if (peer.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (void *)&peer, *d = (void *)&local;

		buf[13] = 0x21;                   /* TCP over IPv6 */
		memcpy(buf + 16, &s->sin6_addr, 16);
		memcpy(buf + 32, &d->sin6_addr, 16);
		memcpy(buf + 48, &s->sin6_port, 2);
		memcpy(buf + 50, &d->sin6_port, 2);
		n = 36;
	} else {
		return -1;
	}
	buf[14] = n >> 8;
	buf[15] = n & 0xff;
	return 16 + n;
}
