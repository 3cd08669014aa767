// SPDX-License-Identifier: GPL-2.0
/*
 * QUIC servers that restart: registered again with no operator step.
 *
 * UDP has no listen() for sock_ops to see. `backend add --pid` records the
 * server's own cgroup (v2) in ks_quic_cgroups; the post_bind programs
 * (bpf/steer_sockops.bpf.c) note every process of that cgroup that binds a
 * UDP socket to a public port in ks_quic_binds; ksteerd calls
 * ks_quic_adopt() a few times a second, which takes that process's sockets
 * (pidfd_getfd, as --pid does) for the backend. A process in the root
 * cgroup, or in one another backend's server shares, is not recorded: its
 * bind would name no single backend.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include "ksteer.h"

/* The cgroup v2 id of process pid (the inode of its directory); 0: none
 * of its own (the root) or unreadable. */
static __u64 ks_pid_cgroup(int pid)
{
	static const char *const roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char path[512], line[512], dir[1100];
	struct statfs sf;
	struct stat st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	line[0] = 0;
	while (fgets(line, sizeof(line), f) && strncmp(line, "0::", 3))
		line[0] = 0;
	fclose(f);
	line[strcspn(line, "\n")] = 0;
	if (strncmp(line, "0::/", 4) || !line[4])
		return 0;                         /* the root: everyone's */
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (statfs(roots[i], &sf) || sf.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		snprintf(dir, sizeof(dir), "%s%s", roots[i], line + 3);
		if (!stat(dir, &st))
			return st.st_ino;
	}
	return 0;
}

void ks_quic_note_cgroup(__u32 backend, int pid, const char *name)
{
	__u64 cg = ks_pid_cgroup(pid);
	__u32 have;
	int map;

	if (!cg) {
		fprintf(stderr, "ksteer: backend '%s': process %d has no cgroup of its own: if it "
			"restarts, 'backend add --pid' it again\n", name, pid);
		return;
	}
	map = ks_map("ks_quic_cgroups");
	if (map < 0)
		return;
	if (!bpf_map_lookup_elem(map, &cg, &have) && have != backend) {
		/* Shared by two backends' servers: a bind names neither. */
		bpf_map_delete_elem(map, &cg);
		fprintf(stderr, "ksteer: backend '%s': process %d shares its cgroup with another "
			"backend's server: if it restarts, 'backend add --pid' it again\n", name, pid);
	} else {
		bpf_map_update_elem(map, &cg, &backend, BPF_ANY);
	}
	close(map);
}

/* binds_fd: ks_quic_binds. Processes whose last bind is settle_ns old are
 * registered for their backend; the number registered. */
int ks_quic_adopt(int binds_fd, __u64 settle_ns)
{
	struct ks_backend_info bi;
	struct ks_quic_bind b;
	struct timespec ts;
	__u32 pid, next;
	__u64 now;
	int info, more, n = 0;

	more = !bpf_map_get_next_key(binds_fd, NULL, &pid);
	if (!more)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);      /* bpf_ktime_get_ns's clock */
	now = ts.tv_sec * 1000000000ull + ts.tv_nsec;
	info = ks_map("ks_backend_info");
	while (more && info >= 0) {
		more = !bpf_map_get_next_key(binds_fd, &pid, &next);
		if (!bpf_map_lookup_elem(binds_fd, &pid, &b) && now - b.ns >= settle_ns) {
			bpf_map_delete_elem(binds_fd, &pid);
			if (!bpf_map_lookup_elem(info, &b.backend, &bi) && (bi.flags & KS_BE_IN_USE) &&
			    !ks_backend_add_pid(bi.name, pid, -1, NULL)) {
				fprintf(stderr, "ksteer: backend '%s': QUIC server process %d bound the "
					"public port: registered\n", bi.name, pid);
				n++;
			}
		}
		pid = next;
	}
	close(info);
	return n;
}
