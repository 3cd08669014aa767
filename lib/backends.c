// SPDX-License-Identifier: GPL-2.0
/* The backend model: add, change and delete backends in the pinned maps,
 * and take their listeners; the CLI and the config file both edit through it. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "hello.h"
#include "ksteer.h"

int ks_backend_name_ok(const char *n)
{
	size_t len = strlen(n);

	if (len == 0 || len >= sizeof(((struct ks_backend_info *)0)->name))
		return 0;
	for (; *n; n++)
		if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
		      (*n >= '0' && *n <= '9') || *n == '-' || *n == '_' || *n == '.'))
			return 0;
	return 1;
}

int ks_backend_path_ok(const char *path)
{
	return path[0] == '/' && strlen(path) < sizeof(((struct ks_backend_info *)0)->path);
}

/* Find NAME, or give it a free id. */
static __u32 ks_backend_get(int info, const char *name, struct ks_backend_info *bi)
{
	__u32 id = ks_backend_find(info, name);

	if (id) {
		bpf_map_lookup_elem(info, &id, bi);
		return id;
	}
	for (id = 1; id < KS_FALLBACK_ID; id++)
		if (!bpf_map_lookup_elem(info, &id, bi) && !(bi->flags & KS_BE_IN_USE)) {
			memset(bi, 0, sizeof(*bi));
			snprintf(bi->name, sizeof(bi->name), "%s", name);
			bi->flags = KS_BE_IN_USE;
			return id;
		}
	return 0;
}

/* Delete every entry of map whose ks_slot value is backend id's. */
static void ks_drop_slots_of(const char *name, size_t key_size, __u32 id)
{
	int fd = ks_map(name);
	__u8 key[64], next[64];
	union {
		struct ks_slot slot;      /* every value starts with its slot */
		__u8 b[256];
	} v;

	int more;

	if (fd < 0 || key_size > sizeof(key)) {
		close(fd);
		return;
	}
	/* The next key is read before this one goes: a hash map's walk
	 * from a deleted key starts over. */
	more = !bpf_map_get_next_key(fd, NULL, key);
	while (more) {
		more = !bpf_map_get_next_key(fd, key, next);
		if (!bpf_map_lookup_elem(fd, key, &v) && v.slot.backend == id)
			bpf_map_delete_elem(fd, key);
		memcpy(key, next, key_size);
	}
	close(fd);
}

static void ks_backend_drop_listeners(int lst, __u32 id)
{
	struct ks_slot slot = { .backend = id };
	int sk = ks_map("ks_quic_sk");
	__u32 index;

	for (int i = 0; i < KS_MAX_SLOTS; i++) {
		slot.slot = i;
		bpf_map_delete_elem(lst, &slot);
		for (int c = 0; c < KS_UDP_CLASSES; c++) {
			slot.slot = KS_UDP_SLOT(c, i);
			bpf_map_delete_elem(lst, &slot);
			index = KS_UDP_INDEX(id, slot.slot);
			if (sk >= 0)
				bpf_map_delete_elem(sk, &index);
		}
	}
	close(sk);
	/* Its QUIC sockets and server IDs: no datagram is steered to them. */
	ks_drop_slots_of("ks_quic_socks", sizeof(__u64), id);
	ks_drop_slots_of("ks_quic_lb", sizeof(struct ks_quic_sid), id);
}

/* A deleted backend's QUIC connections as learned (CIDs, address pairs):
 * gone with it, so that a backend that takes the id next inherits none.
 * Probes expire by themselves (KS_QUIC_PROBE_NS) and teach only from an
 * answer of a registered socket. */
static void ks_backend_drop_quic(__u32 id)
{
	ks_drop_slots_of("ks_quic_cgroups", sizeof(__u64), id);
	ks_drop_slots_of("ks_quic_scids", sizeof(struct ks_cid), id);
	ks_drop_slots_of("ks_quic_cids", sizeof(struct ks_cid), id);
	ks_drop_slots_of("ks_quic_paths", sizeof(struct ks_flow), id);
}

/*
 * Forget where backend id listens: its address, and the listeners taken
 * for it there, which are not its own any more. The address entry goes
 * only while it is still this backend's: a config reload may have given it
 * to another one already. Updates bi; the caller writes it.
 */
static void ks_backend_forget_addr(int addrs, int lst, __u32 id, struct ks_backend_info *bi)
{
	__u32 owner;

	if (!(bi->flags & KS_BE_HAS_ADDR))
		return;
	if (!bpf_map_lookup_elem(addrs, &bi->addr, &owner) && owner == id)
		bpf_map_delete_elem(addrs, &bi->addr);
	ks_backend_drop_listeners(lst, id);
	bi->flags &= ~KS_BE_HAS_ADDR;
}

/* Every map fd these functions open is closed again: ksteerd calls them on
 * each reload and must not run out of descriptors. close(-1) is harmless. */
int ks_backend_add_addr(const char *name, const char *addr_s)
{
	struct ks_backend_info bi;
	struct ks_addr a;
	__u32 id, owner;
	int info, addrs = -1, lst = -1, adopted, err = 1;
	char buf[64];

	if (!ks_backend_name_ok(name))
		return ks_err("bad backend name '%s' (letters, digits, - _ . ; max 47)", name);
	if (ks_parse_addr(addr_s, &a))
		return ks_err("bad address '%s' (want IPv4:PORT or [IPv6]:PORT)", addr_s);
	/* Every listener there would be this backend's, whoever opened it:
	 * backends sharing the public address:port register by process. */
	if (ks_addr_is_public(&a))
		return ks_err("%s is where the public traffic arrives, not a backend's own "
			      "address: backends sharing it register with 'backend add NAME --pid PID'",
			      addr_s);
	info = ks_map("ks_backend_info");
	addrs = info < 0 ? -1 : ks_map("ks_backend_addrs");
	lst = addrs < 0 ? -1 : ks_map("ks_listeners");
	if (lst < 0)
		goto out;
	id = ks_backend_get(info, name, &bi);
	if (!id) {
		ks_err("too many backends (max %d)", KS_FALLBACK_ID - 1);
		goto out;
	}
	if (!bpf_map_lookup_elem(addrs, &a, &owner) && owner != id) {
		ks_backend_name(info, owner, buf, sizeof(buf));
		ks_err("address %s already belongs to backend '%s'", addr_s, buf);
		goto out;
	}
	if ((bi.flags & KS_BE_HAS_ADDR) && memcmp(&bi.addr, &a, sizeof(a)))
		ks_backend_forget_addr(addrs, lst, id, &bi);      /* moved */
	bi.addr = a;
	bi.flags |= KS_BE_HAS_ADDR;
	/* Name first, then the address: sock_ops never sees an unnamed id. */
	if (bpf_map_update_elem(info, &id, &bi, BPF_ANY) ||
	    bpf_map_update_elem(addrs, &a, &id, BPF_ANY)) {
		ks_err("cannot update backend maps: %s", strerror(errno));
		goto out;
	}
	err = ks_adopt_listeners(id, &a, &adopted);
	if (err)
		err = ks_err("backend '%s': cannot register the listener on %s: %s",
			     name, addr_s, ks_register_strerror(err));
out:
	close(info);
	close(addrs);
	close(lst);
	return err;
}

/* The backend owns no listeners by address any more: its config line
 * names none. Listeners it took by --pid, without an address, stay. */
int ks_backend_drop_addr(const char *name)
{
	struct ks_backend_info bi;
	int info, addrs = -1, lst = -1, err = 1;
	__u32 id;

	info = ks_map("ks_backend_info");
	addrs = info < 0 ? -1 : ks_map("ks_backend_addrs");
	lst = addrs < 0 ? -1 : ks_map("ks_listeners");
	if (lst < 0)
		goto out;
	id = ks_backend_find(info, name);
	if (!id || bpf_map_lookup_elem(info, &id, &bi)) {
		ks_err("unknown backend '%s'", name);
		goto out;
	}
	ks_backend_forget_addr(addrs, lst, id, &bi);
	if (bpf_map_update_elem(info, &id, &bi, BPF_ANY))
		ks_err("cannot update backend maps: %s", strerror(errno));
	else
		err = 0;
out:
	close(info);
	close(addrs);
	close(lst);
	return err;
}

/* Backends that ksteerd serves: a proxy target or a hand-off socket; with
 * neither, the backend is served by ksteerd no more (config reload). */
int ks_backend_add_via(const char *name, const char *proxy, int v2, const char *path)
{
	struct ks_backend_info bi;
	struct ks_addr t;
	int info, err = 0;
	__u32 id;

	if (!ks_backend_name_ok(name))
		return ks_err("bad backend name '%s' (letters, digits, - _ . ; max 47)", name);
	if (proxy && ks_parse_addr(proxy, &t))
		return ks_err("bad address '%s' (want IPv4:PORT or [IPv6]:PORT)", proxy);
	if (path && !ks_backend_path_ok(path))
		return ks_err("bad hand-off socket path '%s' (absolute, under %zu bytes)", path,
			      sizeof(bi.path));
	info = ks_map("ks_backend_info");
	if (info < 0)
		return 1;
	id = ks_backend_get(info, name, &bi);
	if (!id) {
		close(info);
		return ks_err("too many backends (max %d)", KS_FALLBACK_ID - 1);
	}
	bi.flags &= ~(KS_BE_PROXY | KS_BE_PROXY_V2 | KS_BE_HANDOFF);
	if (proxy) {
		bi.target = t;
		bi.flags |= KS_BE_PROXY | (v2 ? KS_BE_PROXY_V2 : 0);
	} else if (path) {
		snprintf(bi.path, sizeof(bi.path), "%s", path);
		bi.flags |= KS_BE_HANDOFF;
	}
	if (bpf_map_update_elem(info, &id, &bi, BPF_ANY))
		err = ks_err("cannot update backend maps: %s", strerror(errno));
	close(info);
	return err;
}

int ks_adopt_all(void)
{
	struct ks_backend_info bi;
	int info = ks_map("ks_backend_info"), adopted, err;
	char addr[80];

	if (info < 0)
		return 1;
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++) {
		if (bpf_map_lookup_elem(info, &id, &bi) || (bi.flags & (KS_BE_IN_USE | KS_BE_HAS_ADDR)) !=
							      (KS_BE_IN_USE | KS_BE_HAS_ADDR))
			continue;
		err = ks_adopt_listeners(id, &bi.addr, &adopted);
		if (err) {
			/* One backend's listener does not stop the others'. */
			ks_format_addr(&bi.addr, addr, sizeof(addr));
			ks_err("backend '%s': cannot register the listener on %s: %s", bi.name,
			       addr, ks_register_strerror(err));
		}
	}
	return 0;
}

/* A QUIC server's socket; else a TCP listener (-ENOTCONN: neither). */
static int ks_register_any(__u32 id, int fd, const struct ks_quic_sid *sid)
{
	int type = 0;
	socklen_t len = sizeof(type);

	if (!getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) && type == SOCK_DGRAM)
		return ks_register_udp(id, fd, sid);
	return ks_register_listener(id, fd, true);
}

int ks_backend_add_pid(const char *name, int pid, int only_fd, const struct ks_quic_sid *sid)
{
	struct ks_backend_info bi;
	int info, pidfd, n = 0, udp = 0, err, fd;
	__u32 id;

	if (!ks_backend_name_ok(name))
		return ks_err("bad backend name '%s' (letters, digits, - _ . ; max 47)", name);
	info = ks_map("ks_backend_info");
	if (info < 0)
		return 1;
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		return ks_err("no process %d: %s", pid, strerror(errno));
	id = ks_backend_get(info, name, &bi);
	if (!id)
		return ks_err("too many backends (max %d)", KS_FALLBACK_ID - 1);
	if (bpf_map_update_elem(info, &id, &bi, BPF_ANY))
		return ks_err("cannot update backend maps: %s", strerror(errno));
	for (int target = only_fd >= 0 ? only_fd : 0;
	     target < (only_fd >= 0 ? only_fd + 1 : 4096); target++) {
		fd = syscall(SYS_pidfd_getfd, pidfd, target, 0);
		if (fd < 0) {
			if (only_fd >= 0)
				return ks_err("cannot take fd %d of process %d: %s", target, pid,
					      strerror(errno));
			continue;
		}
		err = ks_register_any(id, fd, sid);
		if (!err && !udp) {
			int type = 0;
			socklen_t tl = sizeof(type);

			udp = !getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) && type == SOCK_DGRAM;
		}
		close(fd);
		if (err == -ENOTCONN || err == -ENOTSOCK || err == -ENOPROTOOPT) {
			if (only_fd >= 0)
				return ks_err("fd %d of process %d is not a listening socket "
					      "(TCP, or UDP on the public port)", target, pid);
			continue;
		}
		if (err)
			return ks_err("cannot register fd %d of process %d: %s", target, pid,
				      ks_register_strerror(err));
		n++;
	}
	close(pidfd);
	if (!n)
		return ks_err("process %d has no listening TCP socket nor UDP socket on the "
			      "public port", pid);
	if (udp)
		ks_quic_note_cgroup(id, pid, name);
	return 0;
}

/* Whether a route or an ALPN route uses backend id; buf says which. */
static int ks_backend_user(int routes, int alpn, __u32 id, char *buf, size_t len)
{
	struct ks_route_key rk, *prev = NULL;
	struct ks_route_val rv;
	struct ks_alpn_key ak, *aprev = NULL;
	char host[300];
	__u32 b;

	while (!bpf_map_get_next_key(routes, prev, &rk)) {
		prev = &rk;
		if (!bpf_map_lookup_elem(routes, &rk, &rv) && (rv.flags & KS_RT_PLAIN) &&
		    rv.backend == id) {
			ks_host_from_route_key(&rk, host, sizeof(host));
			snprintf(buf, len, "route '%s': delete the route first", host);
			return 1;
		}
	}
	while (!bpf_map_get_next_key(alpn, aprev, &ak)) {
		aprev = &ak;
		if (!bpf_map_lookup_elem(alpn, &ak, &b) && b == id) {
			snprintf(buf, len, "an ALPN route (%.*s): delete it first", ak.len,
				 ak.proto);
			return 1;
		}
	}
	return 0;
}

int ks_backend_del(const char *name)
{
	int info, addrs = -1, lst = -1, routes = -1, alpn = -1, err = 1;
	struct ks_backend_info bi;
	char user[360];
	__u32 id;

	info = ks_map("ks_backend_info");
	if (info < 0)
		return 1;
	id = ks_backend_find(info, name);
	if (!id) {
		close(info);
		return ks_err("unknown backend '%s'", name);
	}
	routes = ks_map("ks_routes");
	alpn = routes < 0 ? -1 : ks_map("ks_alpn_routes");
	addrs = alpn < 0 ? -1 : ks_map("ks_backend_addrs");
	lst = addrs < 0 ? -1 : ks_map("ks_listeners");
	if (lst < 0)
		goto out;
	/* Refuse while a route points here: deleting would turn its
	 * connections into refusals without anyone asking for that. */
	if (ks_backend_user(routes, alpn, id, user, sizeof(user))) {
		ks_err("backend '%s' is used by %s", name, user);
		goto out;
	}
	bpf_map_lookup_elem(info, &id, &bi);
	ks_backend_forget_addr(addrs, lst, id, &bi);
	ks_backend_drop_listeners(lst, id);       /* --pid ones too */
	ks_backend_drop_quic(id);
	memset(&bi, 0, sizeof(bi));
	bpf_map_update_elem(info, &id, &bi, BPF_ANY);
	err = 0;
out:
	close(info);
	close(routes);
	close(alpn);
	close(addrs);
	close(lst);
	return err;
}

