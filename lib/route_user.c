// SPDX-License-Identifier: GPL-2.0
/* The routing of shared/route.h, run in userspace on the pinned maps. */
#include <bpf/bpf.h>
#include "hello.h"
#include "ksteer.h"

static int ks_routes_fd = -1, ks_alpn_fd = -1;

#define KS_RT_LOOKUP(key, val) bpf_map_lookup_elem(ks_routes_fd, (key), (val))
#define KS_ALPN_LOOKUP(akey, b) bpf_map_lookup_elem(ks_alpn_fd, (akey), (b))
#include "route.h"

__u32 ks_route_user(int routes_fd, int alpn_fd, struct ks_scratch *s)
{
	struct ks_route_scratch r = {};

	ks_routes_fd = routes_fd;
	ks_alpn_fd = alpn_fd;
	return ks_route(s, &r);
}
