// SPDX-License-Identifier: GPL-2.0
/*
 * How many bytes a TCP socket of this namespace has taken in order, found
 * by its 4-tuple through sock_diag (NETLINK_SOCK_DIAG, an exact lookup:
 * one request, one answer). A hand-back larger than one segment feeds the
 * rest to the connection it created and learns from this what arrived.
 *
 *   request: nlmsghdr | inet_diag_req_v2 { family, TCP, ext INET_DIAG_INFO,
 *            all states, id { sport, dport, src, dst, no cookie } }
 *   answer:  nlmsghdr | inet_diag_msg | rtattr INET_DIAG_INFO: tcp_info
 *            (tcpi_bytes_received: Linux 4.1), or NLMSG_ERROR; the listener
 *            on the local end when the connection is gone (refused here),
 *            no INET_DIAG_INFO for a TIME_WAIT one
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/rtnetlink.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include "fb.h"

/* The socket whose local end is (laddr, lport) and remote (raddr, rport),
 * all in network order: its tcpi_bytes_received in *got; 0, or -1 when
 * that connection does not exist (any more). *sock: the netlink socket,
 * opened here on first use and kept for the next questions. */
int fb_diag_bytes_received(int *sock, int v6, const __u32 *laddr, __u16 lport,
			   const __u32 *raddr, __u16 rport, __u64 *got)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST },
		.r = { .sdiag_family = v6 ? AF_INET6 : AF_INET, .sdiag_protocol = IPPROTO_TCP,
		       .idiag_ext = 1 << (INET_DIAG_INFO - 1), .idiag_states = ~0u,
		       .id = { .idiag_sport = lport, .idiag_dport = rport,
			       .idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } } },
	};
	union {
		struct nlmsghdr nh;
		char b[4096];
	} ans;
	struct inet_diag_msg *m;
	struct rtattr *a;
	ssize_t n;
	int left;

	memcpy(req.r.id.idiag_src, laddr, v6 ? 16 : 4);
	memcpy(req.r.id.idiag_dst, raddr, v6 ? 16 : 4);
	if (*sock < 0)
		*sock = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (*sock < 0 || send(*sock, &req, sizeof(req), 0) != sizeof(req))
		return -1;
	n = recv(*sock, &ans, sizeof(ans), 0);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(*m)) || ans.nh.nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return -1;                        /* NLMSG_ERROR: no such socket */
	m = NLMSG_DATA(&ans.nh);
	/* With no connection on the 4-tuple the kernel answers for the
	 * listener on the local end: not the socket asked for. */
	if (m->idiag_state == 10 /* TCP_LISTEN */ || m->id.idiag_dport != rport)
		return -1;
	left = (int)ans.nh.nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	for (a = (struct rtattr *)(m + 1); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == INET_DIAG_INFO &&
		    RTA_PAYLOAD(a) >= (int)(offsetof(struct tcp_info, tcpi_bytes_received) + 8)) {
			memcpy(got, (char *)RTA_DATA(a) + offsetof(struct tcp_info, tcpi_bytes_received),
			       8);
			return 0;
		}
	return -1;
}
