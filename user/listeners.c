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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "ksteer.h"

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

int ks_register_listener(__u32 backend, int sock_fd, bool attach_reuseport)
{
	struct ks_slot key = { .backend = backend };
	__u64 cookie = ks_sock_cookie(sock_fd), have, val = sock_fd;
	int map, on = 0, err = -ENOSPC;
	socklen_t len = sizeof(on);

	if (getsockopt(sock_fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) || !on)
		return -ENOTCONN;
	map = ks_map("ks_listeners");
	if (map < 0)
		return -ENOENT;
	for (key.slot = 0; key.slot < KS_MAX_SLOTS; key.slot++)
		if (!bpf_map_lookup_elem(map, &key, &have) && have == cookie) {
			err = 0;                  /* already registered */
			goto attach;
		}
	for (key.slot = 0; key.slot < KS_MAX_SLOTS; key.slot++)
		if (!bpf_map_update_elem(map, &key, &val, BPF_NOEXIST)) {
			err = 0;
			break;
		}
attach:
	close(map);
	if (err)
		return err;
	len = sizeof(on);
	if (attach_reuseport && !getsockopt(sock_fd, SOL_SOCKET, SO_REUSEPORT, &on, &len) && on) {
		char path[256];
		int prog;

		/* The group re-selects on the ClientHello: it must run our
		 * program, or the kernel would hash across backends. */
		snprintf(path, sizeof(path), "%s/prog_reuseport", ks_pin_dir());
		prog = bpf_obj_get(path);
		if (prog < 0)
			return -errno;
		if (setsockopt(sock_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog, sizeof(prog)))
			err = -errno;
		close(prog);
	}
	return err;
}

/* Inodes of TCP listeners bound exactly to addr, from /proc/net/tcp{,6}. */
static int ks_listening_inodes(const struct ks_addr *a, unsigned long *inodes, int max)
{
	const char *path = a->family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp";
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
		unsigned int port, st, w[4] = {0};
		unsigned long inode;
		__u8 addr[16] = {0};
		int ok;

		if (sscanf(line, "%*d: %63[0-9A-Fa-f]:%x %*s %x %*s %*s %*s %*d %*d %lu",
			   local, &port, &st, &inode) != 4 || st != 0x0A)
			continue;
		if (a->family == AF_INET6)
			ok = sscanf(local, "%8x%8x%8x%8x", &w[0], &w[1], &w[2], &w[3]) == 4;
		else
			ok = sscanf(local, "%8x", &w[0]) == 1;
		if (!ok)
			continue;
		/* /proc prints each 32-bit word of the address as a host integer. */
		memcpy(addr, w, a->family == AF_INET6 ? 16 : 4);
		if (port == (unsigned int)ntohs(a->port) && !memcmp(addr, a->addr, 16))
			inodes[n++] = inode;
	}
	fclose(f);
	return n;
}

int ks_adopt_listeners(__u32 backend, const struct ks_addr *a, int *adopted)
{
	unsigned long inodes[KS_MAX_INODES];
	int done[KS_MAX_INODES] = {0};
	int n = ks_listening_inodes(a, inodes, KS_MAX_INODES), err = 0;
	DIR *proc;
	struct dirent *pe;

	*adopted = 0;
	if (!n)
		return 0;
	proc = opendir("/proc");
	if (!proc)
		return -errno;
	while ((pe = readdir(proc))) {
		char dir[64], link[320], target[64];
		DIR *fds;
		struct dirent *fe;
		int pid = atoi(pe->d_name);

		if (pid <= 0)
			continue;
		snprintf(dir, sizeof(dir), "/proc/%d/fd", pid);
		fds = opendir(dir);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			unsigned long ino;
			ssize_t len;
			int i, fd;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(link, sizeof(link), "%s/%s", dir, fe->d_name);
			len = readlink(link, target, sizeof(target) - 1);
			if (len <= 0)
				continue;
			target[len] = 0;
			if (sscanf(target, "socket:[%lu]", &ino) != 1)
				continue;
			for (i = 0; i < n; i++) {
				if (inodes[i] != ino || done[i])
					continue;
				fd = ks_pidfd_getfd(pid, atoi(fe->d_name));
				if (fd < 0)
					break;
				err = ks_register_listener(backend, fd, true);
				close(fd);
				if (err)
					goto out;
				done[i] = 1;
				(*adopted)++;
			}
		}
		closedir(fds);
		continue;
out:
		closedir(fds);
		break;
	}
	closedir(proc);
	return err;
}
