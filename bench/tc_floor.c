// SPDX-License-Identifier: GPL-2.0
/*
 * bench/tc_floor.sh's loader: one program of build/tc_floor.bpf.o on a
 * device's ingress, by cls_bpf (a clsact filter, as `ksteer up` attaches)
 * or by TCX (a bpf_link, kernel 6.6+), the program (and the link) pinned
 * under DIR so that it outlives this process and its run time can be read.
 *   tc_floor OBJ PROG IFINDEX cls|tcx DIR
 * Detach: rm DIR/link (TCX) or remove the clsact qdisc (cls_bpf).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KS_TCX_INGRESS 46         /* BPF_TCX_INGRESS, for older headers */

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	struct bpf_program *prog;
	char path[512];
	int ifindex, fd, link, err;

	if (argc != 6)
		return fprintf(stderr, "usage: tc_floor OBJ PROG IFINDEX cls|tcx DIR\n"), 2;
	ifindex = atoi(argv[3]);
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj))
		return fprintf(stderr, "tc_floor: cannot load %s\n", argv[1]), 1;
	prog = bpf_object__find_program_by_name(obj, argv[2]);
	if (!prog)
		return fprintf(stderr, "tc_floor: no program %s\n", argv[2]), 1;
	fd = bpf_program__fd(prog);
	snprintf(path, sizeof(path), "%s/prog", argv[5]);
	if (bpf_obj_pin(fd, path))
		return fprintf(stderr, "tc_floor: pin %s: %s\n", path, strerror(errno)), 1;
	if (!strcmp(argv[4], "tcx")) {
		link = bpf_link_create(fd, ifindex, KS_TCX_INGRESS, NULL);
		snprintf(path, sizeof(path), "%s/link", argv[5]);
		if (link < 0 || bpf_obj_pin(link, path))
			return fprintf(stderr, "tc_floor: TCX attach: %s\n", strerror(errno)), 1;
		return 0;
	}
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = fd, .handle = 1, .priority = 1);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return fprintf(stderr, "tc_floor: clsact: %s\n", strerror(-err)), 1;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return fprintf(stderr, "tc_floor: cls_bpf attach: %s\n", strerror(-err)), 1;
	return 0;
}
