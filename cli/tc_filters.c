// SPDX-License-Identifier: GPL-2.0
/*
 * Whether an interface's clsact qdisc still holds tc filters, by a netlink
 * dump (RTM_GETTFILTER): `down` deletes a qdisc that `up` created only when
 * nothing else was added to it since, so another tool's filters survive.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "cli.h"

#ifndef TC_H_CLSACT
#define TC_H_CLSACT TC_H_INGRESS
#endif
#ifndef TC_H_MIN_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS 0xFFF3U
#endif

/* Filters (messages with a handle) on one hook of ifindex; -1 on error. */
static int ks_tc_count(int nl, unsigned int ifindex, __u32 parent)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = { .nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
		.tc = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex, .tcm_parent = parent },
	};
	char buf[16384];
	int n = 0;

	if (send(nl, &req, sizeof(req), 0) != sizeof(req))
		return -1;
	for (;;) {
		ssize_t len = recv(nl, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len <= 0)
			return -1;
		for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			/* A filter has a handle; the per-priority entries a dump
			 * also lists (tc's "filter ... pref N bpf chain 0") do not. */
			if (h->nlmsg_type == RTM_NEWTFILTER &&
			    ((struct tcmsg *)NLMSG_DATA(h))->tcm_handle)
				n++;
		}
	}
}

int ks_tc_filters_left(unsigned int ifindex)
{
	int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), in, out;

	if (nl < 0)
		return -1;
	in = ks_tc_count(nl, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS));
	out = in < 0 ? -1 : ks_tc_count(nl, ifindex, TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS));
	close(nl);
	return in < 0 || out < 0 ? -1 : in + out;
}
