// SPDX-License-Identifier: GPL-2.0
/*
 * The public addresses and ports: the only destinations TC acts on. `up`
 * states them (-a, -p, or the config file's public/port lines) and finds
 * the interfaces that carry them; `backend add` and registration ask
 * whether an address:port is one of them.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksteer.h"

/* Make ks_public hold exactly addrs[0..n): stale entries are collected
 * first and deleted after the walk, which they would otherwise restart. */
int ks_public_write(const struct ks_addr *addrs, int n)
{
	struct ks_addr stale[KS_MAX_PUBLIC], cur, next;
	__u32 one = 1;
	int fd = ks_map("ks_public"), err = 0, nstale = 0, first = 1;

	if (fd < 0)
		return 1;
	while (nstale < KS_MAX_PUBLIC && !bpf_map_get_next_key(fd, first ? NULL : &cur, &next)) {
		int keep = 0;

		first = 0;
		cur = next;
		for (int i = 0; i < n; i++)
			keep |= !memcmp(&addrs[i], &cur, sizeof(cur));
		if (!keep)
			stale[nstale++] = cur;
	}
	for (int i = 0; i < nstale; i++)
		bpf_map_delete_elem(fd, &stale[i]);
	for (int i = 0; i < n && !err; i++)
		if (bpf_map_update_elem(fd, &addrs[i], &one, BPF_ANY))
			err = ks_err("cannot write ks_public: %s", strerror(errno));
	close(fd);
	return err;
}

/* The public ports (host order) in ks_config; their number. */
int ks_public_ports(unsigned int ports[KS_MAX_PORTS])
{
	struct ks_config cfg;
	__u32 zero = 0;
	int fd = ks_map("ks_config"), n = 0;

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &cfg))
		for (int i = 0; i < KS_MAX_PORTS; i++)
			if (cfg.ports[i])
				ports[n++] = ntohs(cfg.ports[i]);
	close(fd);
	return n;
}

int ks_port_is_http(unsigned int port)
{
	struct ks_config cfg;
	__u32 zero = 0;
	int fd = ks_map("ks_config"), http = 0;

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &cfg))
		for (int i = 0; i < KS_MAX_PORTS; i++)
			if (cfg.ports[i] && ntohs(cfg.ports[i]) == port && ((cfg.http_ports >> i) & 1))
				http = 1;
	close(fd);
	return http;
}

int ks_port_is_public(unsigned int port)
{
	unsigned int ports[KS_MAX_PORTS];
	int n = ks_public_ports(ports);

	for (int i = 0; i < n; i++)
		if (ports[i] == port)
			return 1;
	return 0;
}

/* a (with its port) is where the public traffic arrives: a public port,
 * and a public address or the wildcard one (which takes it too). */
int ks_addr_is_public(const struct ks_addr *a)
{
	static const __u8 any[16];
	struct ks_addr key = *a;
	__u32 v;
	int fd, hit;

	if (!ks_port_is_public(ntohs(a->port)))
		return 0;
	if (!memcmp(a->addr, any, sizeof(any)))
		return 1;
	fd = ks_map("ks_public");
	if (fd < 0)
		return 0;
	key.port = 0;
	hit = !bpf_map_lookup_elem(fd, &key, &v);
	close(fd);
	return hit;
}

/* The interface addresses of this namespace, for ks_public_ifaces. */
static int ks_ifaddr_of(const struct ifaddrs *ifa, struct ks_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (!ifa->ifa_addr)
		return -1;
	a->family = ifa->ifa_addr->sa_family;
	if (a->family == AF_INET)
		memcpy(a->addr, &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr, 4);
	else if (a->family == AF_INET6)
		memcpy(a->addr, &((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr, 16);
	else
		return -1;
	return 0;
}

/*
 * The interfaces that carry one of addrs[0..n), into names[] (strdup-ed),
 * and lo: local clients reach a public address over lo, and ksteerd
 * re-injects packets there (QUIC Initials, connections it hands back).
 * *local[i] says whether addrs[i] is on an interface. The number of names.
 */
int ks_public_ifaces(const struct ks_addr *addrs, int n, int *local, char **names, int max)
{
	struct ifaddrs *all, *ifa;
	struct ks_addr a;
	int k = 0;

	memset(local, 0, n * sizeof(*local));
	names[k++] = strdup("lo");
	if (getifaddrs(&all))
		return k;
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		int carries = 0, dup = 0;

		if (ks_ifaddr_of(ifa, &a))
			continue;
		for (int i = 0; i < n; i++)
			if (addrs[i].family == a.family && !memcmp(addrs[i].addr, a.addr, 16))
				carries = local[i] = 1;
		for (int j = 0; j < k; j++)
			dup |= !strcmp(names[j], ifa->ifa_name);
		if (carries && !dup && k < max)
			names[k++] = strdup(ifa->ifa_name);
	}
	freeifaddrs(all);
	return k;
}

/* Whether interface name carries one of addrs[0..n). */
int ks_iface_carries(const char *name, const struct ks_addr *addrs, int n)
{
	struct ifaddrs *all, *ifa;
	struct ks_addr a;
	int hit = 0;

	if (getifaddrs(&all))
		return 0;
	for (ifa = all; ifa && !hit; ifa = ifa->ifa_next) {
		if (strcmp(ifa->ifa_name, name) || ks_ifaddr_of(ifa, &a))
			continue;
		for (int i = 0; i < n; i++)
			hit |= addrs[i].family == a.family && !memcmp(addrs[i].addr, a.addr, 16);
	}
	freeifaddrs(all);
	return hit;
}
