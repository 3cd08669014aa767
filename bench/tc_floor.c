// SPDX-License-Identifier: GPL-2.0
/*
 * bench/tc_floor.sh's loader: one program on a device's ingress, by
 * cls_bpf (a clsact filter, as `ksteer up` attaches) or by TCX (a bpf_link,
 * kernel 6.6+), or (rp) an sk_reuseport program on the SO_REUSEPORT group
 * of process PID's UDP sockets (taken with pidfd_getfd, as `ksteer backend
 * add --pid` does). The program is PROG of build/tc_floor.bpf.o, pinned
 * (with its link) under DIR so that it outlives this process and its run
 * time can be read, the group's members put in its floor_socks in fd
 * order; or, with PROG "-", the program pinned at OBJ (ksteer's own
 * prog_tc or prog_reuseport), pinned nowhere else.
 *   tc_floor OBJ|PIN PROG|- IFINDEX cls|tcx DIR
 *   tc_floor OBJ|PIN PROG|- PID rp DIR
 *   tc_floor OBJ PROG - pin DIR      loaded and pinned only
 *   tc_floor - - PID rp-off -        the group's program detached
 * Detach otherwise: rm DIR/link (TCX), remove the clsact qdisc (cls_bpf).
 * cls_bpf filters go in at priority 2 (1 is left for a filter before them).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KS_TCX_INGRESS 46         /* BPF_TCX_INGRESS, for older headers */

/* prog on (prog < 0: off) the group of pid's UDP sockets (fds 3..63),
 * each also in map when map >= 0; 0 when there was one. */
static int attach_group(int prog, int map, int pid)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), n = 0;

	if (pidfd < 0)
		return -1;
	for (int fd = 3; fd < 64; fd++) {
		int s = syscall(SYS_pidfd_getfd, pidfd, fd, 0), type = 0, err = 0;
		socklen_t len = sizeof(type);
		__u64 v = s;

		if (s < 0)
			continue;
		if (!getsockopt(s, SOL_SOCKET, SO_TYPE, &type, &len) && type == SOCK_DGRAM) {
			if (map >= 0)
				err = bpf_map_update_elem(map, &n, &v, BPF_ANY);
			if (!err && !n)
				err = prog < 0 ? setsockopt(s, SOL_SOCKET, SO_DETACH_REUSEPORT_BPF, &n, sizeof(n)) :
					setsockopt(s, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF, &prog, sizeof(prog));
			if (err && !(prog < 0 && errno == ENOENT))
				return fprintf(stderr, "tc_floor: fd %d: %s\n", fd, strerror(errno)), -1;
			n++;
		}
		close(s);
	}
	close(pidfd);
	return n ? 0 : -1;
}

/* PROG of OBJ, pinned as DIR/prog, or the program pinned at OBJ: its fd. */
static int get_prog(const char *objf, const char *name, const char *dir, int *map)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	char path[512];
	int fd;

	*map = -1;
	if (!strcmp(name, "-"))
		return bpf_obj_get(objf);
	obj = bpf_object__open_file(objf, NULL);
	if (!obj || bpf_object__load(obj))
		return fprintf(stderr, "tc_floor: cannot load %s\n", objf), -1;
	prog = bpf_object__find_program_by_name(obj, name);
	if (!prog)
		return fprintf(stderr, "tc_floor: no program %s\n", name), -1;
	fd = bpf_program__fd(prog);
	*map = bpf_object__find_map_fd_by_name(obj, "floor_socks");
	snprintf(path, sizeof(path), "%s/prog", dir);
	if (bpf_obj_pin(fd, path))
		return fprintf(stderr, "tc_floor: pin %s: %s\n", path, strerror(errno)), -1;
	return fd;
}

int main(int argc, char **argv)
{
	char path[512];
	int target, fd, link, err, map;

	if (argc != 6)
		return fprintf(stderr, "usage: tc_floor OBJ|PIN PROG|- IFINDEX|PID cls|tcx|rp|rp-off DIR\n"), 2;
	target = atoi(argv[3]);
	if (!strcmp(argv[4], "rp-off"))
		return attach_group(-1, -1, target) ? 1 : 0;
	fd = get_prog(argv[1], argv[2], argv[5], &map);
	if (fd < 0)
		return fprintf(stderr, "tc_floor: no program %s\n", argv[1]), 1;
	if (!strcmp(argv[4], "pin"))
		return 0;
	if (!strcmp(argv[4], "rp"))
		return attach_group(fd, map, target) ? fprintf(stderr, "tc_floor: no group of pid %d\n", target), 1 : 0;
	if (!strcmp(argv[4], "tcx")) {
		link = bpf_link_create(fd, target, KS_TCX_INGRESS, NULL);
		snprintf(path, sizeof(path), "%s/link", argv[5]);
		if (link < 0 || bpf_obj_pin(link, path))
			return fprintf(stderr, "tc_floor: TCX attach: %s\n", strerror(errno)), 1;
		return 0;
	}
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = target, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = fd, .handle = 1, .priority = 2);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return fprintf(stderr, "tc_floor: clsact: %s\n", strerror(-err)), 1;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return fprintf(stderr, "tc_floor: cls_bpf attach: %s\n", strerror(-err)), 1;
	return 0;
}
