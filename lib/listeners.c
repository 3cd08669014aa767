// SPDX-License-Identifier: GPL-2.0
/*
 * Listeners that already exist: registering them needs their socket, so we
 * take a duplicate from the owning process with pidfd_getfd(2). The socket
 * stays the process's own; ours is closed once it is in the SOCKHASH.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ksteer.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

#define KS_MAX_INODES 256

static int ks_pidfd_getfd(int pid, int fd)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), dup;

	if (pidfd < 0)
		return -1;
	dup = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	close(pidfd);
	return dup;
}

static __u64 ks_sock_cookie(int fd)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);

	getsockopt(fd, SOL_SOCKET, SO_COOKIE, &cookie, &len);
	return cookie;
}

/* Make the socket's SO_REUSEPORT group run our program (no-op without one):
 * the group re-selects on the ClientHello, and a plain hash could pick
 * another backend's socket. */
static int ks_steer_group(int sock_fd)
{
	char path[256];
	int on = 0, prog, err = 0;
	socklen_t len = sizeof(on);

	if (getsockopt(sock_fd, SOL_SOCKET, SO_REUSEPORT, &on, &len) || !on)
		return 0;
	snprintf(path, sizeof(path), "%s/prog_reuseport", ks_pin_dir());
	prog = bpf_obj_get(path);
	if (prog < 0)
		return -errno;
	if (setsockopt(sock_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog, sizeof(prog)))
		err = -errno;
	close(prog);
	return err;
}

int ks_listener_put(int map, int used, const struct ks_slot *key, int sock_fd, __u64 flags)
{
	__u64 val = sock_fd;
	__u32 one = 1, u;

	if (used >= 0 && key->slot < KS_MAX_SLOTS) {
		u = ks_slot_used_key(key->backend, key->slot);
		bpf_map_update_elem(used, &u, &one, BPF_ANY);
	}
	return bpf_map_update_elem(map, key, &val, flags);
}

int ks_slot_used_sync(void)
{
	struct ks_slot key, next;
	int map = ks_map("ks_listeners"), used = ks_map("ks_slot_used"), first = 1;
	__u32 one = 1, u;

	if (map < 0 || used < 0) {
		close(map);
		close(used);
		return -ENOENT;
	}
	while (!bpf_map_get_next_key(map, first ? NULL : &key, &next)) {
		first = 0;
		key = next;
		if (key.slot >= KS_MAX_SLOTS)
			continue;                 /* UDP: not picked through the hint */
		u = ks_slot_used_key(key.backend, key.slot);
		bpf_map_update_elem(used, &u, &one, BPF_ANY);
	}
	close(map);
	close(used);
	return 0;
}

/* sock_fd into the first free of backend's slots base .. base + KS_MAX_SLOTS
 * - 1 of ks_listeners, unless one of them holds it already: 0 with
 * key->slot its slot, or -ENOSPC. */
static int ks_take_slot(int map, int used, __u32 base, int sock_fd, __u64 cookie,
			struct ks_slot *key)
{
	__u64 have;

	for (int i = 0; i < KS_MAX_SLOTS; i++) {
		key->slot = base + i;
		if (!bpf_map_lookup_elem(map, key, &have) && have == cookie)
			return 0;                 /* already registered */
	}
	for (int i = 0; i < KS_MAX_SLOTS; i++) {
		key->slot = base + i;
		if (!ks_listener_put(map, used, key, sock_fd, BPF_NOEXIST))
			return 0;
	}
	return -ENOSPC;
}

/* 0 when sock_fd is in the namespace `up` ran in, which is the only one
 * the kfunc and bpf_sk_assign can give a packet to; else -EXDEV. */
static int ks_same_netns(int sock_fd)
{
	struct ks_config cfg;
	__u64 ns = 0;
	__u32 zero = 0;
	socklen_t len = sizeof(ns);
	int fd = ks_map("ks_config"), err = 0;

	if (fd < 0)
		return -ENOENT;
	if (!bpf_map_lookup_elem(fd, &zero, &cfg) && cfg.netns_cookie &&
	    !getsockopt(sock_fd, SOL_SOCKET, SO_NETNS_COOKIE, &ns, &len) && ns != cfg.netns_cookie)
		err = -EXDEV;
	close(fd);
	return err;
}

/* QUIC-LB: CIDs whose first octet says config sid->config and whose next
 * sid->len bytes are sid->id belong to slot. A config's server ID length
 * is fixed by the first server registered under it. */
static int ks_quic_sid_set(const struct ks_quic_sid *sid, const struct ks_slot *slot)
{
	__u32 cr = sid->config, len = 0;
	int lens = ks_map("ks_quic_lb_len"), lb = ks_map("ks_quic_lb"), err = 0;

	if (lens < 0 || lb < 0)
		err = -ENOENT;
	else if (bpf_map_lookup_elem(lens, &cr, &len) || (len && len != sid->len))
		err = -EINVAL;
	else if (bpf_map_update_elem(lb, sid, slot, BPF_ANY))
		err = -errno;
	else if (!len && bpf_map_update_elem(lens, &cr, &(__u32){ sid->len }, BPF_ANY))
		err = -errno;
	close(lens);
	close(lb);
	return err;
}

/*
 * A QUIC server's UDP socket on the public port: into a UDP slot of its
 * backend, and its cookie into ks_quic_socks so that TC egress can tell
 * which slot the connection IDs it chooses belong to. With sid, the server
 * also encodes that QUIC-LB server ID in its CIDs. -ENOTCONN: not a UDP
 * socket bound to the public port (skipped by the caller).
 */
/* Cookies of sockets that held slot before (a server that restarted):
 * gone, or the probes would count a server twice. */
static void ks_quic_socks_forget(int socks, const struct ks_slot *slot, __u64 keep)
{
	__u64 key, next;
	struct ks_slot v;
	int more = !bpf_map_get_next_key(socks, NULL, &key);

	while (more) {
		more = !bpf_map_get_next_key(socks, &key, &next);
		if (key != keep && !bpf_map_lookup_elem(socks, &key, &v) &&
		    v.backend == slot->backend && v.slot == slot->slot)
			bpf_map_delete_elem(socks, &key);
		key = next;
	}
}

/* sock_fd at slot's index of ks_quic_sk too (ksteer_abi.h). Without it
 * there (pins of an older ksteer, a failed update) TC finds the socket in
 * ks_listeners, one hash lookup later: nothing is lost. */
static void ks_quic_sk_put(const struct ks_slot *slot, int sock_fd)
{
	__u32 i = KS_UDP_INDEX(slot->backend, slot->slot);
	__u64 val = sock_fd;
	int fd = ks_map("ks_quic_sk");

	if (fd >= 0)
		bpf_map_update_elem(fd, &i, &val, BPF_ANY);
	close(fd);
}

/* ks_config.flags |= set (KS_CFG_QUIC_GROUP or KS_CFG_QUIC_NOGROUP). */
static void ks_config_flag(__u16 set)
{
	struct ks_config cfg;
	__u32 zero = 0;
	int fd = ks_map("ks_config");

	if (fd >= 0 && !bpf_map_lookup_elem(fd, &zero, &cfg) && (cfg.flags & set) != set) {
		cfg.flags |= set;
		bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY);
	}
	close(fd);
}

/*
 * A QUIC server's socket registered (ksteerd's are not servers): in a
 * SO_REUSEPORT group now running our program (grouped: ks_steer_group
 * attached it), so the group may route its short headers alone
 * (KS_CFG_QUIC_GROUP); one outside any group (or KSTEER_QUIC_GROUP=0,
 * for the tests) ends that for good (KS_CFG_QUIC_NOGROUP): TC gives its
 * datagrams to it by bpf_sk_assign, as it did before groups were told.
 * Servers in several groups (one per address, say) are caught by the
 * group's program: a CID whose socket is in another group ends it too.
 */
static void ks_quic_group_note(__u32 backend, int sock_fd, int grouped)
{
	const char *env = getenv("KSTEER_QUIC_GROUP");
	int on = 0;
	socklen_t len = sizeof(on);

	if (backend == KS_FALLBACK_ID)
		return;
	if (getsockopt(sock_fd, SOL_SOCKET, SO_REUSEPORT, &on, &len))
		on = 0;
	ks_config_flag(on && grouped && !(env && !strcmp(env, "0")) ? KS_CFG_QUIC_GROUP
								 : KS_CFG_QUIC_NOGROUP);
}

int ks_register_udp(__u32 backend, int sock_fd, const struct ks_quic_sid *sid)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ks_slot key = { .backend = backend };
	__u64 cookie = ks_sock_cookie(sock_fd);
	int map, socks, err, v6only = 0, class;
	socklen_t ol = sizeof(v6only);
	unsigned int port;

	if (getsockname(sock_fd, (struct sockaddr *)&ss, &sl))
		return -ENOTCONN;
	if (ss.ss_family == AF_INET6)
		getsockopt(sock_fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &ol);
	class = ss.ss_family == AF_INET ? KS_UDP_V4 : v6only ? KS_UDP_V6 : KS_UDP_DUAL;
	port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					       : ((struct sockaddr_in *)&ss)->sin_port);
	if (!port || !ks_port_is_public(port))
		return -ENOTCONN;
	err = ks_same_netns(sock_fd);
	if (err)
		return err;
	map = ks_map("ks_listeners");
	socks = ks_map("ks_quic_socks");
	if (map < 0 || socks < 0) {
		close(map);
		return -ENOENT;
	}
	err = ks_take_slot(map, -1, KS_UDP_SLOT(class, 0), sock_fd, cookie, &key);
	if (!err && bpf_map_update_elem(socks, &cookie, &key, BPF_ANY))
		err = -errno;
	if (!err) {
		ks_quic_sk_put(&key, sock_fd);
		ks_quic_socks_forget(socks, &key, cookie);
	}
	if (!err && sid)
		err = ks_quic_sid_set(sid, &key);
	close(map);
	close(socks);
	if (!err) {
		err = ks_steer_group(sock_fd);
		ks_quic_group_note(backend, sock_fd, !err);
	}
	return err;
}

/* Whether the kernel can place connections in this listener: in our
 * namespace, and not MPTCP (the kfunc refuses those: -EPROTONOSUPPORT). */
static int ks_listener_placeable(int sock_fd)
{
	int proto = 0;
	socklen_t len = sizeof(proto);

	if (!getsockopt(sock_fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) && proto == IPPROTO_MPTCP)
		return -EPROTONOSUPPORT;
	return ks_same_netns(sock_fd);
}

int ks_register_listener(__u32 backend, int sock_fd, bool attach_reuseport)
{
	struct ks_slot key = { .backend = backend };
	__u64 cookie = ks_sock_cookie(sock_fd);
	int map, used, on = 0, err;
	socklen_t len = sizeof(on);

	if (getsockopt(sock_fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) || !on)
		return -ENOTCONN;
	err = ks_listener_placeable(sock_fd);
	if (err)
		return err;
	map = ks_map("ks_listeners");
	if (map < 0)
		return -ENOENT;
	used = ks_map("ks_slot_used");
	err = ks_take_slot(map, used, 0, sock_fd, cookie, &key);
	close(map);
	close(used);
	if (!err) {
		int owners = ks_map("ks_listener_backend");

		if (owners >= 0) {
			bpf_map_update_elem(owners, &cookie, &backend, BPF_ANY);
			close(owners);
		}
	}
	if (!err && attach_reuseport)
		err = ks_steer_group(sock_fd);
	return err;
}

/* Inodes of TCP listeners on `port` (host order) bound to addr, or to any
 * address of the family when addr is NULL, from /proc/net/tcp{,6}. */
static int ks_listening_inodes(int family, const __u8 *addr, unsigned int port,
			       unsigned long *inodes, int max)
{
	const char *path = family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp";
	FILE *f = fopen(path, "r");
	char line[512];
	int n = 0;

	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f)) {      /* header */
		fclose(f);
		return 0;
	}
	while (n < max && fgets(line, sizeof(line), f)) {
		char local[64];
		unsigned int lport, st, w[4] = {0};
		unsigned long inode;
		__u8 a[16] = {0};
		int ok;

		if (sscanf(line, "%*d: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*d %*d %lu",
			   local, &lport, &st, &inode) != 4 || st != 0x0A || lport != port)
			continue;
		if (family == AF_INET6)
			ok = sscanf(local, "%8x%8x%8x%8x", &w[0], &w[1], &w[2], &w[3]) == 4;
		else
			ok = sscanf(local, "%8x", &w[0]) == 1;
		/* /proc prints each 32-bit word of the address as a host integer. */
		memcpy(a, w, family == AF_INET6 ? 16 : 4);
		if (ok && (!addr || !memcmp(a, addr, 16)))
			inodes[n++] = inode;
	}
	fclose(f);
	return n;
}

/* Call fn(fd, arg) once for a duplicate of each socket in inodes[], taken
 * from whichever process holds it. Stops at the first error. */
static int ks_for_each_socket(const unsigned long *inodes, int n,
			      int (*fn)(int fd, void *arg), void *arg, int *count)
{
	int done[KS_MAX_INODES] = {0}, err = 0;
	DIR *proc = opendir("/proc");
	struct dirent *pe;

	*count = 0;
	if (!proc)
		return -errno;
	while (!err && (pe = readdir(proc))) {
		char dir[64], link[320], target[64];
		int pid = atoi(pe->d_name);
		struct dirent *fe;
		DIR *fds;

		if (pid <= 0)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
		fds = opendir(dir);
		if (!fds)
			continue;
		while (!err && (fe = readdir(fds))) {
			unsigned long ino;
			ssize_t len;

			snprintf(link, sizeof(link), "%s/%s", dir, fe->d_name);
			len = readlink(link, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = 0;
			if (sscanf(target, "socket:[%lu]", &ino) != 1)
				continue;
			for (int i = 0; i < n; i++) {
				int fd;

				if (inodes[i] != ino || done[i])
					continue;
				fd = ks_pidfd_getfd(pid, atoi(fe->d_name));
				if (fd < 0)
					break;
				err = fn(fd, arg);
				close(fd);
				done[i] = 1;
				(*count)++;
				break;
			}
		}
		closedir(fds);
	}
	closedir(proc);
	return err;
}

static int ks_adopt_one(int fd, void *arg)
{
	return ks_register_listener(*(__u32 *)arg, fd, true);
}

int ks_adopt_listeners(__u32 backend, const struct ks_addr *a, int *adopted)
{
	unsigned long inodes[KS_MAX_INODES];
	int n = ks_listening_inodes(a->family, a->addr, ntohs(a->port), inodes, KS_MAX_INODES);

	*adopted = 0;
	return n ? ks_for_each_socket(inodes, n, ks_adopt_one, &backend, adopted) : 0;
}

static int ks_steer_one(int fd, void *arg)
{
	return ks_steer_group(fd);
}

int ks_steer_port_groups(unsigned int port, int *groups)
{
	unsigned long inodes[KS_MAX_INODES];
	int n4 = ks_listening_inodes(AF_INET, NULL, port, inodes, KS_MAX_INODES);
	int n = n4 + ks_listening_inodes(AF_INET6, NULL, port, inodes + n4, KS_MAX_INODES - n4);

	*groups = 0;
	return n ? ks_for_each_socket(inodes, n, ks_steer_one, NULL, groups) : 0;
}

const char *ks_register_strerror(int err)
{
	switch (err) {
	case -EXDEV:
		return "it is a socket of another network namespace; ksteer places connections "
		       "only in the one 'ksteer up' ran in";
	case -EPROTONOSUPPORT:
		return "it is an MPTCP listener, which the kernel cannot place connections in "
		       "(bpf_sk_assign_tcp_reqsk refuses them); make the backend listen with plain "
		       "TCP (Go: ListenConfig.SetMultipathTCP(false), or GODEBUG=multipathtcp=0)";
	case -ENOSPC:
		return "the backend has its 16 listeners already";
	default:
		return strerror(-err);
	}
}
