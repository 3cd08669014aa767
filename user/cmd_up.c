// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer up / down / key: the loader. One cleanup path: everything `up`
 * creates is pinned under the pin directory or recorded in ks_ifaces and
 * ks_config, and `down` removes exactly that.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "ksteer.h"
#include "steer_tc.skel.h"
#include "steer_tc_egress.skel.h"
#include "steer_sockops.skel.h"
#include "steer_reuseport.skel.h"

#define KS_TC_HANDLE 0x5ee7
#define KS_TC_PRIO 1
#define KS_MAX_IFACES 32

static int ks_libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN && getenv("KSTEER_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	if (level == LIBBPF_DEBUG && getenv("KSTEER_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static int ks_prog_path(const char *name, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%s", ks_pin_dir(), name);
}

static int ks_ensure_bpffs(void)
{
	struct statfs st;

	if (statfs("/sys/fs/bpf", &st) == 0 && st.f_type == BPF_FS_MAGIC)
		goto mkdir_pins;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL))
		return ks_err("cannot mount bpffs on /sys/fs/bpf: %s", strerror(errno));
mkdir_pins:
	if (mkdir(ks_pin_dir(), 0700) && errno != EEXIST)
		return ks_err("cannot create %s: %s", ks_pin_dir(), strerror(errno));
	return 0;
}

/* The fast path needs the kfunc (Linux >= 6.9 with CONFIG_SYN_COOKIES). */
static int ks_check_kernel(void)
{
	struct btf *btf;
	int id;

	if (getenv("KSTEER_FORCE_NO_KFUNC"))
		id = -1;
	else {
		btf = btf__load_vmlinux_btf();
		if (!btf)
			return ks_err("no kernel BTF (/sys/kernel/btf/vmlinux): this kernel "
				      "cannot run the fast path; use the fallback router ksteerd");
		id = btf__find_by_name_kind(btf, "bpf_sk_assign_tcp_reqsk", BTF_KIND_FUNC);
		btf__free(btf);
	}
	if (id < 0)
		return ks_err("kernel lacks the kfunc bpf_sk_assign_tcp_reqsk (needs Linux >= 6.9 "
			      "with CONFIG_SYN_COOKIES); the fallback router ksteerd covers this kernel: "
			      "ksteer up --fallback-only");
	return 0;
}

static int ks_pin_prog(struct bpf_program *prog, const char *name)
{
	char path[256];

	ks_prog_path(name, path, sizeof(path));
	unlink(path);
	if (bpf_program__pin(prog, path))
		return ks_err("cannot pin %s: %s", path, strerror(errno));
	return 0;
}

/* handback: TC ingress will run on lo, where ksteerd's hand-back segments
 * arrive (bpf/handback.h); without it ksteerd must not try one. */
static int ks_write_config(int cfg_fd, __u16 port, const char *cgroup, int quic, int handback)
{
	struct ks_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg))
		return ks_err("cannot read ks_config: %s", strerror(errno));
	if (cfg.abi != KS_ABI_VERSION) {
		/* First up: a fresh random cookie key. */
		memset(&cfg, 0, sizeof(cfg));
		if (getrandom(cfg.key, sizeof(cfg.key), 0) != sizeof(cfg.key))
			return ks_err("getrandom: %s", strerror(errno));
		cfg.abi = KS_ABI_VERSION;
	}
	cfg.port = htons(port);
	cfg.flags |= KS_CFG_ACTIVE;
	cfg.flags = quic ? cfg.flags | KS_CFG_QUIC : cfg.flags & ~KS_CFG_QUIC;
	cfg.flags = handback ? cfg.flags | KS_CFG_HANDBACK : cfg.flags & ~KS_CFG_HANDBACK;
	snprintf(cfg.cgroup, sizeof(cfg.cgroup), "%s", cgroup);
	if (bpf_map_update_elem(cfg_fd, &zero, &cfg, BPF_ANY))
		return ks_err("cannot write ks_config: %s", strerror(errno));
	return 0;
}

static int ks_write_sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(val, f) < 0 || fclose(f))
		return ks_err("cannot set %s: %s", path, strerror(errno));
	return 0;
}

/* Ingress steers; egress (QUIC) learns which server owns a connection. */
static int ks_attach_tc(int prog_fd, int egress_fd, int ifaces_fd, const char *ifname)
{
	unsigned int idx = if_nametoindex(ifname);
	__u32 created = 0, key;
	int err;

	if (!idx)
		return ks_err("no interface '%s'", ifname);
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = idx, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KS_TC_HANDLE, .priority = KS_TC_PRIO,
			    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return ks_err("cannot add clsact qdisc on %s: %s", ifname, strerror(-err));
	key = idx;
	if (!err)
		created = 1;
	else
		bpf_map_lookup_elem(ifaces_fd, &key, &created);   /* keep earlier claim */
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return ks_err("cannot attach TC program on %s: %s", ifname, strerror(-err));
	bpf_map_update_elem(ifaces_fd, &key, &created, BPF_ANY);
	/* Egress only learns QUIC connection IDs: without --quic it is not
	 * there, so TCP traffic runs no program on its way out. */
	hook.attach_point = BPF_TC_EGRESS;
	opts.prog_id = 0;
	if (egress_fd < 0) {
		opts.prog_fd = 0;
		opts.flags = 0;
		bpf_tc_detach(&hook, &opts);      /* an earlier up --quic's */
		return 0;
	}
	opts.prog_fd = egress_fd;
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return ks_err("cannot attach TC egress program on %s: %s", ifname, strerror(-err));
	return 0;
}

static int ks_attach_sockops(int prog_fd, const char *cgroup)
{
	char old_path[256];
	int cg, old, err = 0;

	cg = open(cgroup, O_RDONLY | O_DIRECTORY);
	if (cg < 0)
		return ks_err("cannot open cgroup %s: %s", cgroup, strerror(errno));
	ks_prog_path("prog_sockops", old_path, sizeof(old_path));
	old = bpf_obj_get(old_path);
	if (bpf_prog_attach(prog_fd, cg, BPF_CGROUP_SOCK_OPS, BPF_F_ALLOW_MULTI))
		err = ks_err("cannot attach sock_ops to %s: %s", cgroup, strerror(errno));
	else if (old >= 0)
		bpf_prog_detach2(old, cg, BPF_CGROUP_SOCK_OPS);   /* replaced */
	if (old >= 0)
		close(old);
	close(cg);
	return err;
}

static const char *ks_default_cgroup(void)
{
	struct statfs st;

	if (statfs("/sys/fs/cgroup/unified", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

/* Every interface that is up, when none is named. */
static int ks_default_ifaces(char **names, int max)
{
	struct if_nameindex *all = if_nameindex(), *i;
	int n = 0;

	for (i = all; i && i->if_index && n < max; i++)
		names[n++] = strdup(i->if_name);
	if (all)
		if_freenameindex(all);
	return n;
}

static void ks_detach_tc_all(int ifaces_fd);

/* Entries of the map pinned as name; -1: none pinned, 0: not of type. */
static long ks_pinned_entries(const char *name, __u32 type)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[256];
	int fd;

	ks_prog_path(name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.type = BPF_MAP_TYPE_UNSPEC;
	close(fd);
	return info.type == type ? (long)info.max_entries : 0;
}

/*
 * Size the QUIC tables (connection IDs, address pairs): they are LRU maps,
 * allocated whole, so without --quic they are made tiny (KS_QUIC_OFF), and
 * with it `want` entries (0: KS_QUIC_CIDS). Every program's copy must agree
 * with the pinned one; a different size asks for `down` first.
 */
static int ks_size_quic(struct bpf_map *const *maps, int n, int quic, long want)
{
	long have = ks_pinned_entries("ks_quic_cids", BPF_MAP_TYPE_LRU_HASH), size;

	if (!have)
		return ks_err("ks_quic_cids is from an older ksteer: run 'ksteer down', then 'up'");
	size = quic ? (want ? want : KS_QUIC_CIDS) : KS_QUIC_OFF;
	if (have > 0 && quic && have != size && (want || have == KS_QUIC_OFF))
		return ks_err("the QUIC tables hold %ld entries (made by an 'up' %s); 'ksteer down' "
			      "first to resize them", have, have == KS_QUIC_OFF ? "without --quic" :
			      "with another --quic-entries");
	if (have > 0)
		size = have;
	for (int i = 0; i < n; i++)
		if (bpf_map__set_max_entries(maps[i], size))
			return ks_err("cannot size the QUIC tables: %s", strerror(errno));
	return 0;
}

/*
 * Size the reassembly table: `want` flows (0: the default), or what a
 * pinned table from an earlier `up` holds. A pinned map cannot be resized
 * under live flows, so a different size asks for `down` first.
 */
static int ks_size_reasm(struct steer_tc *tc, long want)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[256];
	int fd;

	ks_prog_path("ks_reasm", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return bpf_map__set_max_entries(tc->maps.ks_reasm, want ? want : KS_REASM_ENTRIES);
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.type = BPF_MAP_TYPE_UNSPEC;
	close(fd);
	if (info.type != BPF_MAP_TYPE_HASH)
		return ks_err("%s is from an older ksteer: run 'ksteer down', then 'up'", path);
	if (want && want != (long)info.max_entries)
		return ks_err("the reassembly table holds %u flows; 'ksteer down' first to resize it",
			      info.max_entries);
	return bpf_map__set_max_entries(tc->maps.ks_reasm, info.max_entries);
}

int cmd_up(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "cgroup", required_argument, 0, 'g' },
		{ "fallback-only", no_argument, 0, 'F' },
		{ "reasm-entries", required_argument, 0, 'R' },
		{ "quic", no_argument, 0, 'Q' }, { "quic-entries", required_argument, 0, 'E' },
		{ 0 } };
	int fallback_only = 0, quic = 0, on_lo;
	long reasm_entries = 0, quic_entries = 0;
	const char *config = NULL, *cgroup = ks_default_cgroup();
	char *ifaces[KS_MAX_IFACES];
	int nif = 0, c, err = 1, i, cfg_fd, ifaces_fd;
	long port = 443;
	struct steer_tc *tc = NULL;
	struct steer_tc_egress *eg = NULL;
	struct steer_sockops *so = NULL;
	struct steer_reuseport *rp = NULL;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:i:p:", lo, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'i':
			if (nif == KS_MAX_IFACES)
				return ks_err("too many interfaces (max %d)", KS_MAX_IFACES);
			ifaces[nif++] = optarg;
			break;
		case 'p': {
			char *end;

			port = strtol(optarg, &end, 10);
			if (*end || port < 1 || port > 65535)
				return ks_err("bad port '%s'", optarg);
			break;
		}
		case 'g': cgroup = optarg; break;
		case 'F': fallback_only = 1; break;
		case 'Q': quic = 1; break;
		case 'E': {
			char *end;

			quic_entries = strtol(optarg, &end, 10);
			if (*end || quic_entries < 16 || quic_entries > 1 << 22)
				return ks_err("bad --quic-entries '%s' (16 to %d connection IDs)", optarg,
					      1 << 22);
			quic = 1;
			break;
		}
		case 'R': {
			char *end;

			reasm_entries = strtol(optarg, &end, 10);
			if (*end || reasm_entries < 1 || reasm_entries > 1 << 20)
				return ks_err("bad --reasm-entries '%s' (1 to %d flows)", optarg, 1 << 20);
			break;
		}
		default:
			return ks_err("usage: ksteer up [-c FILE] [-i IFACE]... [-p PORT] [--cgroup DIR] "
				      "[--fallback-only] [--reasm-entries N] [--quic] [--quic-entries N]");
		}
	}
	if (optind != argc)
		return ks_err("unexpected argument '%s'", argv[optind]);
	if (config && access(config, R_OK))
		return ks_err("cannot read config %s: %s", config, strerror(errno));
	if ((!fallback_only && ks_check_kernel()) || ks_ensure_bpffs())
		return 1;
	libbpf_set_print(ks_libbpf_quiet);
	if (!nif)
		nif = ks_default_ifaces(ifaces, KS_MAX_IFACES);

	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = ks_pin_dir());
	/* Fallback-only: no TC program (it needs the kfunc); every connection
	 * takes the kernel's own path to ksteerd's listener. */
	if (!fallback_only) {
		tc = steer_tc__open_opts(&oo);
		eg = steer_tc_egress__open_opts(&oo);
	}
	so = steer_sockops__open_opts(&oo);
	rp = steer_reuseport__open_opts(&oo);
	if ((!(tc && eg) && !fallback_only) || !so || !rp) {
		if (errno == EPERM || errno == ENOSYS)
			ks_err("no BPF support here (%s): run as root on a kernel with BPF",
			       strerror(errno));
		else
			ks_err("cannot open BPF objects: %s", strerror(errno));
		goto out;
	}
	if (tc && ks_size_reasm(tc, reasm_entries))
		goto out;
	{
		struct bpf_map *qm[6] = { rp->maps.ks_quic_cids, rp->maps.ks_quic_peers };
		int nq = 2;

		if (tc) {
			qm[nq++] = tc->maps.ks_quic_cids;
			qm[nq++] = tc->maps.ks_quic_peers;
			qm[nq++] = eg->maps.ks_quic_cids;
			qm[nq++] = eg->maps.ks_quic_peers;
		}
		if (ks_size_quic(qm, nq, quic, quic_entries))
			goto out;
	}
	if ((tc && (steer_tc__load(tc) || steer_tc_egress__load(eg))) || steer_sockops__load(so) ||
	    steer_reuseport__load(rp)) {
		ks_err("cannot load BPF programs: %s (KSTEER_DEBUG=1 shows the verifier log)",
		       strerror(errno));
		goto out;
	}
	if ((tc && (ks_pin_prog(tc->progs.ksteer_tc, "prog_tc") ||
		    ks_pin_prog(eg->progs.ksteer_tc_egress, "prog_tc_egress"))) ||
	    ks_pin_prog(rp->progs.ksteer_reuseport, "prog_reuseport"))
		goto out;
	cfg_fd = bpf_map__fd(so->maps.ks_config);
	ifaces_fd = bpf_map__fd(so->maps.ks_ifaces);
	for (i = 0, on_lo = 0; !fallback_only && i < nif; i++)
		on_lo |= if_nametoindex(ifaces[i]) == KS_LOOPBACK_IFINDEX;
	if (ks_write_config(cfg_fd, port, cgroup, quic, on_lo))
		goto out;
	/* A backend worker that closes its listener hands its queue to a
	 * sibling (our sk_reuseport program keeps it within the backend). */
	if (ks_write_sysctl("/proc/sys/net/ipv4/tcp_migrate_req", "1"))
		goto out;
	if (ks_attach_sockops(bpf_program__fd(so->progs.ksteer_sockops), cgroup) ||
	    ks_pin_prog(so->progs.ksteer_sockops, "prog_sockops"))
		goto out;
	if (fallback_only)
		ks_detach_tc_all(ifaces_fd);      /* switching modes: no fast path */
	for (i = 0; tc && i < nif; i++)
		if (ks_attach_tc(bpf_program__fd(tc->progs.ksteer_tc),
				 quic ? bpf_program__fd(eg->progs.ksteer_tc_egress) : -1, ifaces_fd,
				 ifaces[i]))
			goto out;
	if (config && ks_apply_config(config))
		goto out;
	/* Listeners that exist already, and SO_REUSEPORT groups on the public
	 * port created since the last up (a restarted backend): steer them. */
	if (ks_adopt_all())
		goto out;
	err = ks_steer_port_groups(port, &i);
	if (err) {
		ks_err("cannot attach sk_reuseport to the groups on port %ld: %s", port, strerror(-err));
		err = 1;
		goto out;
	}
out:
	steer_tc__destroy(tc);
	steer_tc_egress__destroy(eg);
	steer_sockops__destroy(so);
	steer_reuseport__destroy(rp);
	return err;
}

static void ks_detach_tc_all(int ifaces_fd)
{
	struct if_nameindex *all = if_nameindex(), *i;

	for (i = all; i && i->if_index; i++) {
		__u32 key = i->if_index, created = 0;

		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = i->if_index,
				    .attach_point = BPF_TC_INGRESS);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KS_TC_HANDLE,
				    .priority = KS_TC_PRIO);
		bpf_tc_detach(&hook, &opts);
		hook.attach_point = BPF_TC_EGRESS;
		bpf_tc_detach(&hook, &opts);
		if (ifaces_fd >= 0 && !bpf_map_lookup_elem(ifaces_fd, &key, &created) && created) {
			/* The qdisc was ours; INGRESS|EGRESS is what deletes it. */
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
	}
	if (all)
		if_freenameindex(all);
}

int cmd_down(int argc, char **argv)
{
	char path[512];
	struct ks_config cfg = {};
	__u32 zero = 0;
	int fd, cfg_fd, ifaces_fd;
	DIR *d;
	struct dirent *e;

	if (argc > 1)
		return ks_err("usage: ksteer down");
	libbpf_set_print(ks_libbpf_quiet);
	d = opendir(ks_pin_dir());
	if (!d)
		return 0;                         /* nothing is up: already down */
	ks_prog_path("ks_config", path, sizeof(path));
	cfg_fd = bpf_obj_get(path);
	if (cfg_fd >= 0)
		bpf_map_lookup_elem(cfg_fd, &zero, &cfg);
	ks_prog_path("ks_ifaces", path, sizeof(path));
	ifaces_fd = bpf_obj_get(path);
	ks_detach_tc_all(ifaces_fd);
	ks_prog_path("prog_sockops", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0 && cfg.cgroup[0]) {
		int cg = open(cfg.cgroup, O_RDONLY | O_DIRECTORY);

		if (cg >= 0) {
			bpf_prog_detach2(fd, cg, BPF_CGROUP_SOCK_OPS);
			close(cg);
		}
	}
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", ks_pin_dir(), e->d_name);
		if (unlink(path))
			ks_err("cannot unpin %s: %s", path, strerror(errno));
	}
	closedir(d);
	if (rmdir(ks_pin_dir()))
		return ks_err("cannot remove %s: %s", ks_pin_dir(), strerror(errno));
	return 0;
}

/* ksteer key rotate: new cookie key; the old one verifies one more round. */
int cmd_key(int argc, char **argv)
{
	struct ks_config cfg;
	__u32 zero = 0;
	int fd;

	if (argc != 2 || strcmp(argv[1], "rotate"))
		return ks_err("usage: ksteer key rotate");
	fd = ks_map("ks_config");
	if (fd < 0)
		return 1;
	if (bpf_map_lookup_elem(fd, &zero, &cfg))
		return ks_err("cannot read ks_config: %s", strerror(errno));
	memcpy(cfg.prev_key, cfg.key, sizeof(cfg.key));
	cfg.prev_valid = 1;
	if (getrandom(cfg.key, sizeof(cfg.key), 0) != sizeof(cfg.key))
		return ks_err("getrandom: %s", strerror(errno));
	if (bpf_map_update_elem(fd, &zero, &cfg, BPF_ANY))
		return ks_err("cannot write ks_config: %s", strerror(errno));
	return 0;
}
