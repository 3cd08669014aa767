// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer up / down: the loader. One cleanup path: everything `up`
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
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "config.h"
#include "cli.h"
#include "steer_tc.skel.h"
#include "steer_tc_egress.skel.h"
#include "steer_sockops.skel.h"
#include "steer_reuseport.skel.h"

#define KS_TC_HANDLE 0x5ee7
/* Our tc filters' priority: mid-range, so that other filters can run
 * before us (lower numbers: a firewall that must see every packet first)
 * or after us (higher: they see every packet we do not consume). */
#define KS_TC_PRIO 0x5ee7
#define KS_TC_PRIO_OLD 1          /* what ksteer used before: removed on up */
#define KS_MAX_IFACES 32

/* The four skeletons; they share every pinned map. */
struct ks_up_progs {
	struct steer_tc *tc;
	struct steer_tc_egress *eg;
	struct steer_sockops *so;
	struct steer_reuseport *rp;
};

/* An `up` under way: what it was asked to make, and what it holds until
 * it ends (the skeletons; their programs and maps stay pinned). */
struct ks_up {
	const char *config, *cgroup;
	char *ifaces[KS_MAX_IFACES];
	int nif;
	int named_ifaces;             /* -i given: exactly those */
	struct ks_addr pub[KS_MAX_PUBLIC];
	int npub;
	unsigned int ports[KS_MAX_PORTS];   /* host order */
	int http[KS_MAX_PORTS];             /* ports[i] speaks plain HTTP */
	int nports;
	int fallback_only, quic;
	long reasm_entries, quic_entries;
	int tc_prio;
	struct ks_up_progs pr;
	int fresh_pool;               /* the reassembly pool is this up's: fill it */
	int quic_kernel;              /* TC decodes Initials: the kernel can, and it loaded */
	int quic_refused;             /* ... its verifier refused the Initial path */
	int old_prio;                 /* the tc priority the last up attached at */
};

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

/* The namespace this runs in, as sock_ops names it (bpf_get_netns_cookie). */
static __u64 ks_netns_cookie(void)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd >= 0)
		getsockopt(fd, SOL_SOCKET, 71 /* SO_NETNS_COOKIE */, &cookie, &len);
	close(fd);
	return cookie;
}

/* The first public addresses into cfg, for TC to compare in place; the
 * rest are in ks_public only (pub_more says so). */
static void ks_config_public(struct ks_config *cfg, const struct ks_up *u)
{
	int n4 = 0, n6 = 0;

	memset(cfg->pub4, 0, sizeof(cfg->pub4));
	memset(cfg->pub6, 0, sizeof(cfg->pub6));
	cfg->pub_more = 0;
	for (int i = 0; i < u->npub; i++) {
		if (u->pub[i].family == AF_INET && n4 < KS_PUB4_INLINE)
			memcpy(&cfg->pub4[n4++], u->pub[i].addr, 4);
		else if (u->pub[i].family == AF_INET6 && n6 < KS_PUB6_INLINE)
			memcpy(cfg->pub6[n6++], u->pub[i].addr, 16);
		else
			cfg->pub_more |= u->pub[i].family == AF_INET ? 1 : 2;
	}
}

/* TC will run on lo, where ksteerd's hand-back segments arrive
 * (bpf/handback.h): lo is among the interfaces picked without -i, and -i
 * must name it. Without it ksteerd must not try a hand-back. */
static int ks_up_on_lo(const struct ks_up *u)
{
	if (u->fallback_only)
		return 0;
	if (!u->named_ifaces)
		return 1;
	for (int i = 0; i < u->nif; i++)
		if (if_nametoindex(u->ifaces[i]) == KS_LOOPBACK_IFINDEX)
			return 1;
	return 0;
}

/*
 * Whether TC decodes and routes QUIC Initials (issue 14; docs/DESIGN.md,
 * "Initials in the kernel"): it needs bpf_loop in TC programs (Linux >=
 * 5.17) and global functions, not bpf_crypto, whose contexts cannot take
 * per-connection keys at TC. Without it ksteerd decodes them all.
 * KSTEER_FORCE_NO_BPF_LOOP makes the tests see a kernel without it.
 */
static int ks_up_quic_kernel(void)
{
	return !getenv("KSTEER_FORCE_NO_BPF_LOOP") &&
	       libbpf_probe_bpf_helper(BPF_PROG_TYPE_SCHED_CLS, BPF_FUNC_loop, NULL) == 1;
}

static int ks_write_config(int cfg_fd, const struct ks_up *u, int *old_prio)
{
	struct ks_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(cfg_fd, &zero, &cfg))
		return ks_err("cannot read ks_config: %s", strerror(errno));
	if (cfg.abi != KS_ABI_VERSION) {
		memset(&cfg, 0, sizeof(cfg));     /* first up */
		cfg.abi = KS_ABI_VERSION;
	}
	*old_prio = cfg.tc_prio;
	memset(cfg.ports, 0, sizeof(cfg.ports));
	cfg.http_ports = 0;
	for (int i = 0; i < u->nports; i++) {
		cfg.ports[i] = htons(u->ports[i]);
		cfg.http_ports |= (__u32)!!u->http[i] << i;
	}
	cfg.flags |= KS_CFG_ACTIVE;
	cfg.flags = u->quic ? cfg.flags | KS_CFG_QUIC : cfg.flags & ~KS_CFG_QUIC;
	cfg.flags = u->quic_kernel ? cfg.flags | KS_CFG_QUIC_KERNEL : cfg.flags & ~KS_CFG_QUIC_KERNEL;
	cfg.flags = ks_up_on_lo(u) ? cfg.flags | KS_CFG_HANDBACK : cfg.flags & ~KS_CFG_HANDBACK;
	cfg.tc_prio = u->tc_prio;
	cfg.netns_cookie = ks_netns_cookie();
	ks_config_public(&cfg, u);
	snprintf(cfg.cgroup, sizeof(cfg.cgroup), "%s", u->cgroup);
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

static int ks_read_sysctl(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;

	if (f && fscanf(f, "%d", &v) != 1)
		v = -1;
	if (f)
		fclose(f);
	return v;
}

/*
 * The namespace's TCP settings that decide what the fast path can do. The
 * TC program reads them itself at each SYN (a change while up holds from
 * the next SYN on); here `up` says what they mean, and turns on the two
 * it needs.
 */
static int ks_host_sysctls(void)
{
	static const struct { const char *name, *off; } offered[] = {
		{ "tcp_timestamps", "timestamps" },
		{ "tcp_sack", "SACK" },
		{ "tcp_window_scaling", "window scaling" },
	};
	char path[96];

	/* A backend worker that closes its listener hands its queue to a
	 * sibling (our sk_reuseport program keeps it within the backend). */
	if (ks_write_sysctl("/proc/sys/net/ipv4/tcp_migrate_req", "1"))
		return 1;
	/* The kernel checks a BPF cookie only while syncookies are on; 1
	 * (the kernel's default) sends its own cookies only when a listen
	 * queue overflows, so turning it on changes nothing else. */
	if (ks_read_sysctl("/proc/sys/net/ipv4/tcp_syncookies") == 0) {
		if (ks_write_sysctl("/proc/sys/net/ipv4/tcp_syncookies", "1"))
			return 1;
		fprintf(stderr, "ksteer: net.ipv4.tcp_syncookies was 0, set to 1: the kernel "
				"checks ksteer's SYN cookies only when it is on (1 sends its own "
				"only when a listen queue overflows)\n");
	}
	for (size_t i = 0; i < sizeof(offered) / sizeof(offered[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", offered[i].name);
		if (ks_read_sysctl(path) == 0)
			fprintf(stderr, "ksteer: net.ipv4.%s is 0 here: connections are made without "
					"%s\n", offered[i].name, offered[i].off);
	}
	return 0;
}

static void ks_tc_detach(unsigned int ifindex, int prio)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KS_TC_HANDLE, .priority = prio);

	bpf_tc_detach(&hook, &opts);
	hook.attach_point = BPF_TC_EGRESS;
	bpf_tc_detach(&hook, &opts);
}

/* Ingress steers; egress (QUIC) learns which server owns a connection. */
static int ks_attach_tc(int prog_fd, int egress_fd, int ifaces_fd, unsigned int idx,
			const char *ifname, int prio, int old_prio)
{
	__u32 created = 0, key = idx;
	int err;

	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = idx, .attach_point = BPF_TC_INGRESS);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = KS_TC_HANDLE, .priority = prio,
			    .prog_fd = prog_fd, .flags = BPF_TC_F_REPLACE);
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return ks_err("cannot add clsact qdisc on %s: %s", ifname, strerror(-err));
	if (!err)
		created = 1;
	else
		bpf_map_lookup_elem(ifaces_fd, &key, &created);   /* keep earlier claim */
	/* An earlier up's filter at another priority would run twice. */
	if (old_prio != prio)
		ks_tc_detach(idx, old_prio ? old_prio : KS_TC_PRIO_OLD);
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

/* Remove our filters (and the clsact qdisc, when `up` created it) from
 * interface key, and forget it. */
static void ks_release_iface(int ifaces_fd, __u32 key, int prio)
{
	__u32 created = 0;

	ks_tc_detach(key, prio ? prio : KS_TC_PRIO_OLD);
	if (prio && prio != KS_TC_PRIO_OLD)
		ks_tc_detach(key, KS_TC_PRIO_OLD);
	if (ifaces_fd < 0)
		return;
	/* The qdisc was ours, and holds nobody else's filters (added since
	 * up by an operator or another tool, which must not go with it):
	 * INGRESS|EGRESS is what deletes it. */
	if (!bpf_map_lookup_elem(ifaces_fd, &key, &created) && created &&
	    ks_tc_filters_left(key) == 0) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = key,
				    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		bpf_tc_hook_destroy(&hook);
	}
	bpf_map_delete_elem(ifaces_fd, &key);
}

/* Our filters off every interface (down, or up --fallback-only). */
static void ks_detach_tc_all(int ifaces_fd, int prio)
{
	struct if_nameindex *all = if_nameindex(), *i;

	for (i = all; i && i->if_index; i++)
		ks_release_iface(ifaces_fd, i->if_index, prio);
	if (all)
		if_freenameindex(all);
}

/* The cgroup programs: sock_ops (TCP listeners register by listening) and
 * post_bind (a QUIC server that binds again is registered by ksteerd). */
static const struct ks_cg_prog {
	const char *pin;
	enum bpf_attach_type type;
} ks_cg_progs[] = {
	{ "prog_sockops", BPF_CGROUP_SOCK_OPS },
	{ "prog_bind4", BPF_CGROUP_INET4_POST_BIND },
	{ "prog_bind6", BPF_CGROUP_INET6_POST_BIND },
};

/*
 * Attach by a link pinned beside the program ("link_sockops", ...): the
 * pin is the attachment, so whatever removes ksteer's pins (down, or the
 * pin directory deleted by hand) detaches it too, and no program of ours
 * outlives them on the cgroup. The new link is in before the old one (an
 * earlier up's link, or a plain attachment from before links) goes.
 */
static int ks_attach_cg(int prog_fd, const char *cgroup, const struct ks_cg_prog *p)
{
	char old_path[256], link_path[256], name[64];
	int cg, old, link, err = 0;

	cg = open(cgroup, O_RDONLY | O_DIRECTORY);
	if (cg < 0)
		return ks_err("cannot open cgroup %s: %s", cgroup, strerror(errno));
	snprintf(name, sizeof(name), "link_%s", p->pin + 5);
	ks_prog_path(name, link_path, sizeof(link_path));
	ks_prog_path(p->pin, old_path, sizeof(old_path));
	old = bpf_obj_get(old_path);
	link = bpf_link_create(prog_fd, cg, p->type, NULL);
	if (link < 0) {
		err = ks_err("cannot attach %s to %s: %s", p->pin + 5, cgroup, strerror(errno));
		goto out;
	}
	unlink(link_path);                     /* an earlier up's link: detached */
	if (old >= 0)
		bpf_prog_detach2(old, cg, p->type);   /* a pre-link attachment, if any */
	if (bpf_obj_pin(link, link_path))
		err = ks_err("cannot pin %s: %s", link_path, strerror(errno));
	close(link);
out:
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

/* The map pinned as name: its info; -1 when none is pinned. */
static int ks_pinned_info(const char *name, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);
	char path[256];
	int fd, err;

	memset(info, 0, sizeof(*info));
	ks_prog_path(name, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -1;
	err = bpf_obj_get_info_by_fd(fd, info, &len);
	close(fd);
	if (err)
		info->type = BPF_MAP_TYPE_UNSPEC;
	return 0;
}

/* Entries of the map pinned as name; -1: none pinned, 0: not of type. */
static long ks_pinned_entries(const char *name, __u32 type)
{
	struct bpf_map_info info;

	if (ks_pinned_info(name, &info))
		return -1;
	return info.type == type ? (long)info.max_entries : 0;
}

/*
 * Size the QUIC tables (connection IDs, address pairs, client addresses):
 * `want` connections (0: KS_QUIC_CIDS) with --quic, each table holding one
 * entry per connection (its handshake CID, its pair, its address); without
 * --quic tiny (KS_QUIC_OFF): the LRU maps are allocated whole. Every program's copy must agree
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
static int ks_size_reasm(struct steer_tc *tc, long want, int *fresh)
{
	struct bpf_map_info info;
	__u32 flows;

	*fresh = ks_pinned_info("ks_reasm_free", &info) != 0;
	if (ks_pinned_info("ks_reasm", &info)) {
		flows = want ? want : KS_REASM_ENTRIES;
	} else {
		if (info.type != BPF_MAP_TYPE_HASH || *fresh)
			return ks_err("ks_reasm is from an older ksteer: run 'ksteer down', then 'up'");
		if (want && want != (long)info.max_entries)
			return ks_err("the reassembly table holds %u flows; 'ksteer down' first to "
				      "resize it", info.max_entries);
		flows = info.max_entries;
	}
	if (ks_reasm_size(tc->obj, flows))
		return ks_err("cannot size the reassembly tables: %s", strerror(errno));
	return 0;
}

enum {
	KS_OPT_CGROUP = KS_LONG_ONLY, KS_OPT_FALLBACK_ONLY, KS_OPT_REASM_ENTRIES, KS_OPT_QUIC,
	KS_OPT_QUIC_ENTRIES, KS_OPT_TC_PRIO,
};

const struct ks_opt ks_up_opts[] = {
	{ 'a', "address", "ADDR", "a public address, IPv4 or IPv6 (repeatable; required)" },
	{ 'p', "port", "PORT", "a public port (repeatable, up to 8; default 443): PORT, tls:PORT "
			       "or http:PORT (plain HTTP, routed by Host; a bare 80 is HTTP)" },
	{ 'i', "interface", "IFACE", "attach TC there (repeatable; default: the interfaces "
				     "that carry a public address, and lo)" },
	{ 'c', "config", "FILE", "add the backends, routes, public addresses and ports "
				 "FILE states" },
	{ KS_OPT_CGROUP, "cgroup", "DIR", "attach sock_ops to this cgroup v2 (default: the root)" },
	{ KS_OPT_FALLBACK_ONLY, "fallback-only", NULL, "no TC program: every connection takes "
						       "the kernel's path to ksteerd" },
	{ KS_OPT_REASM_ENTRIES, "reasm-entries", "N", "ClientHellos held in reassembly at once "
						     "(default 1024, up to 131072)" },
	{ KS_OPT_QUIC, "quic", NULL, "steer QUIC on UDP too (TC egress learns connection IDs)" },
	{ KS_OPT_QUIC_ENTRIES, "quic-entries", "N", "QUIC connections the tables hold (16 to "
						   "4194304, default 16384); implies --quic" },
	{ KS_OPT_TC_PRIO, "tc-prio", "N", "priority of ksteer's tc filters (2 to 65535, default "
					  "24295)" },
	{ 0 },
};

/* A number in [lo, hi] from arg, or -1 after saying what is wrong. */
static long ks_opt_num(const char *what, const char *arg, long lo, long hi)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || !*arg || v < lo || v > hi) {
		ks_err("bad %s '%s' (%ld to %ld)", what, arg, lo, hi);
		return -1;
	}
	return v;
}

static int ks_up_add_port(struct ks_up *u, unsigned int port, int http)
{
	for (int i = 0; i < u->nports; i++)
		if (u->ports[i] == port)
			return u->http[i] == http ? 0 :
			       ks_err("port %u given as both tls and http", port);
	if (u->nports == KS_MAX_PORTS)
		return ks_err("too many public ports (max %d)", KS_MAX_PORTS);
	u->http[u->nports] = http;
	u->ports[u->nports++] = port;
	return 0;
}

static int ks_up_add_addr(struct ks_up *u, const struct ks_addr *a)
{
	for (int i = 0; i < u->npub; i++)
		if (!memcmp(&u->pub[i], a, sizeof(*a)))
			return 0;
	if (u->npub == KS_MAX_PUBLIC)
		return ks_err("too many public addresses (max %d)", KS_MAX_PUBLIC);
	u->pub[u->npub++] = *a;
	return 0;
}

/* One option into u; 0, or 1 after saying what is wrong. */
static int ks_up_option(struct ks_up *u, int val, const char *arg)
{
	struct ks_addr a;
	unsigned int port;
	int http;

	switch (val) {
	case 'a':
		if (ks_parse_ip(arg, &a))
			return ks_err("bad address '%s' (an IPv4 or IPv6 address, no port)", arg);
		return ks_up_add_addr(u, &a);
	case 'p':
		if (ks_port_spec(arg, &port, &http))
			return ks_err("bad port '%s' (PORT, tls:PORT or http:PORT; 1 to 65535)", arg);
		return ks_up_add_port(u, port, http);
	case 'i':
		if (u->nif == KS_MAX_IFACES)
			return ks_err("too many interfaces (max %d)", KS_MAX_IFACES);
		u->ifaces[u->nif++] = strdup(arg);
		u->named_ifaces = 1;
		return 0;
	case 'c': u->config = arg; return 0;
	case KS_OPT_CGROUP: u->cgroup = arg; return 0;
	case KS_OPT_FALLBACK_ONLY: u->fallback_only = 1; return 0;
	case KS_OPT_QUIC: u->quic = 1; return 0;
	case KS_OPT_QUIC_ENTRIES:
		u->quic = 1;
		return (u->quic_entries = ks_opt_num("--quic-entries", arg, 16, 1 << 22)) < 0;
	case KS_OPT_REASM_ENTRIES:
		return (u->reasm_entries = ks_opt_num("--reasm-entries", arg, 1, 1 << 17)) < 0;
	case KS_OPT_TC_PRIO:
		return (u->tc_prio = ks_opt_num("--tc-prio", arg, 2, 65535)) < 0;
	}
	return 0;
}

/* The options, in the order given. */
static int ks_up_parse(const struct ks_env *e, struct ks_up *u)
{
	u->cgroup = ks_default_cgroup();
	u->tc_prio = KS_TC_PRIO;
	for (const struct ks_optarg *o = e->opts; o->val; o++)
		if (ks_up_option(u, o->val, o->arg))
			return 1;
	return 0;
}

/* What a config file states about the public side, beside -a/-p. */
static int ks_up_read_file(struct ks_up *u)
{
	struct ks_conf c;
	int err = 0;

	if (!u->config)
		return 0;
	if (ks_conf_parse(u->config, &c))
		return 1;
	for (int i = 0; i < c.npub && !err; i++)
		err = ks_up_add_addr(u, &c.pub[i]);
	for (int i = 0; i < c.nports && !err; i++)
		err = ks_up_add_port(u, c.ports[i], c.http[i]);
	ks_conf_free(&c);
	return err;
}

/* A public address is needed; the port has a default. */
static int ks_up_check_args(struct ks_up *u)
{
	if (!u->npub)
		return ks_err("no public address: name the addresses whose connections ksteer "
			      "steers with -a ADDR (or a 'public' line in the config file)");
	if (!u->nports)
		ks_up_add_port(u, 443, 0);
	return 0;
}

/* Can it run here: the kfunc (but for --fallback-only), bpffs and the pin
 * directory. */
static int ks_up_check_host(const struct ks_up *u)
{
	return (!u->fallback_only && ks_check_kernel()) || ks_ensure_bpffs();
}

/* The skeletons, their maps to be pinned by name in the pin directory. */
static int ks_up_open(struct ks_up *u)
{
	struct ks_up_progs *pr = &u->pr;
	struct bpf_map_info info;

	DECLARE_LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = ks_pin_dir());
	libbpf_set_print(ks_libbpf_quiet);
	if ((!ks_pinned_info("ks_config", &info) && info.value_size != sizeof(struct ks_config)) ||
	    (!ks_pinned_info("ks_reasm", &info) &&
	     (info.value_size != sizeof(struct ks_reasm) || (info.map_flags & BPF_F_NO_PREALLOC))))
		return ks_err("the pinned maps are from an older ksteer: run 'ksteer down', then 'up'");
	/* Fallback-only: no TC program (it needs the kfunc); every connection
	 * takes the kernel's own path to ksteerd's listener. */
	if (!u->fallback_only) {
		pr->tc = steer_tc__open_opts(&oo);
		pr->eg = steer_tc_egress__open_opts(&oo);
	}
	u->quic_kernel = pr->tc && u->quic && !u->quic_refused && ks_up_quic_kernel();
	if (pr->tc && !u->quic_kernel)
		bpf_program__set_autoload(pr->tc->progs.ksteer_tc_quic, false);
	pr->so = steer_sockops__open_opts(&oo);
	pr->rp = steer_reuseport__open_opts(&oo);
	if ((!(pr->tc && pr->eg) && !u->fallback_only) || !pr->so || !pr->rp) {
		if (errno == EPERM || errno == ENOSYS)
			return ks_err("no BPF support here (%s): run as root on a kernel with BPF",
				      strerror(errno));
		return ks_err("cannot open BPF objects: %s", strerror(errno));
	}
	return 0;
}

/* Their maps sized to this up's options, or to what an earlier up pinned
 * (a pinned map is reused as it is, so the sizes must agree). */
static int ks_up_size(struct ks_up *u)
{
	const struct ks_up_progs *pr = &u->pr;
	struct bpf_map *qm[18];
	int nq = 0;

	if (pr->tc && ks_size_reasm(pr->tc, u->reasm_entries, &u->fresh_pool))
		return 1;
	if ((pr->tc && ks_size_cpu_maps(pr->tc->obj)) || ks_size_cpu_maps(pr->rp->obj))
		return ks_err("cannot size the per-CPU buffers: %s", strerror(errno));
#define KS_QUIC_SIZED(o) \
	(qm[nq++] = (o)->maps.ks_quic_cids, qm[nq++] = (o)->maps.ks_quic_scids, \
	 qm[nq++] = (o)->maps.ks_quic_paths, \
	 qm[nq++] = (o)->maps.ks_quic_hosts)
	KS_QUIC_SIZED(pr->rp);
	if (pr->tc) {
		KS_QUIC_SIZED(pr->tc);
		KS_QUIC_SIZED(pr->eg);
	}
#undef KS_QUIC_SIZED
	return ks_size_quic(qm, nq, u->quic, u->quic_entries);
}

static void ks_up_destroy(struct ks_up_progs *pr)
{
	steer_tc__destroy(pr->tc);
	steer_tc_egress__destroy(pr->eg);
	steer_sockops__destroy(pr->so);
	steer_reuseport__destroy(pr->rp);
	memset(pr, 0, sizeof(*pr));
}

/*
 * TC ingress, with the Initial path (ksteer_tc_quic) in ks_tc_progs when
 * it is to run, its slot emptied when not (the pinned array may hold an
 * older up's). A verifier that refuses it (a kernel that cannot check
 * that much) leaves ksteerd's path: the objects opened again without it.
 */
static int ks_up_load_tc(struct ks_up *u)
{
	const struct ks_up_progs *pr = &u->pr;
	__u32 zero = 0;
	int fd;

	if (steer_tc__load(pr->tc)) {
		if (!u->quic_kernel)
			return -1;
		u->quic_refused = 1;
		ks_up_destroy(&u->pr);
		if (ks_up_open(u) || ks_up_size(u) || steer_tc__load(u->pr.tc))
			return -1;
	}
	fd = bpf_map__fd(u->pr.tc->maps.ks_tc_progs);
	if (!u->quic_kernel)
		return bpf_map_delete_elem(fd, &zero) && errno != ENOENT ? -1 : 0;
	return bpf_map_update_elem(fd, &zero, &(int){ bpf_program__fd(u->pr.tc->progs.ksteer_tc_quic) },
				   BPF_ANY);
}

/* Load the programs and pin them (maps pin by name as they load). */
static int ks_up_load(struct ks_up *u)
{
	const struct ks_up_progs *pr = &u->pr;

	if ((pr->tc && (ks_up_load_tc(u) || steer_tc_egress__load(pr->eg))) ||
	    steer_sockops__load(pr->so) || steer_reuseport__load(pr->rp))
		return ks_err("cannot load BPF programs: %s (KSTEER_DEBUG=1 shows the verifier log)",
			      strerror(errno));
	if ((pr->tc && (ks_pin_prog(pr->tc->progs.ksteer_tc, "prog_tc") ||
			ks_pin_prog(pr->eg->progs.ksteer_tc_egress, "prog_tc_egress"))) ||
	    ks_pin_prog(pr->rp->progs.ksteer_reuseport, "prog_reuseport"))
		return 1;
	/* A pool this up created is all free. */
	if (pr->tc && u->fresh_pool && ks_reasm_pool_fill(pr->tc->obj))
		return ks_err("cannot fill the reassembly pool: %s", strerror(errno));
	return 0;
}

/* ks_config, the public addresses, the cookie keys and the listener-slot
 * hint, before TC runs: a random key on the first up. */
static int ks_up_publish(struct ks_up *u)
{
	const struct ks_up_progs *pr = &u->pr;

	if (ks_write_config(bpf_map__fd(pr->so->maps.ks_config), u, &u->old_prio) ||
	    ks_public_write(u->pub, u->npub))
		return 1;
	ks_slot_used_sync();                  /* the pick's hint, for listeners already in */
	return pr->tc && ks_keys_init(bpf_map__fd(pr->tc->maps.ks_keys));
}

static int ks_up_attach_sockops(const struct ks_up *u)
{
	const struct ks_up_progs *pr = &u->pr;
	struct bpf_program *p[] = { pr->so->progs.ksteer_sockops, pr->so->progs.ksteer_bind4,
				    pr->so->progs.ksteer_bind6 };

	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++)
		if (ks_attach_cg(bpf_program__fd(p[i]), u->cgroup, &ks_cg_progs[i]) ||
		    ks_pin_prog(p[i], ks_cg_progs[i].pin))
			return 1;
	return 0;
}

/* The interfaces to attach: those named, or those that carry a public
 * address and lo. Says which public addresses are not local. */
static void ks_up_pick_ifaces(struct ks_up *u)
{
	int local[KS_MAX_PUBLIC];
	char addr[80];

	if (!u->named_ifaces) {
		u->nif = ks_public_ifaces(u->pub, u->npub, local, u->ifaces, KS_MAX_IFACES);
		for (int i = 0; i < u->npub; i++) {
			if (local[i])
				continue;
			ks_format_addr(&u->pub[i], addr, sizeof(addr));
			*strrchr(addr, ':') = 0;
			fprintf(stderr, "ksteer: %s is on no interface here: its packets are steered "
					"only on lo and on interfaces named with -i\n", addr);
		}
		return;
	}
	for (int i = 0; i < u->nif; i++)
		if (strcmp(u->ifaces[i], "lo") && !ks_iface_carries(u->ifaces[i], u->pub, u->npub))
			fprintf(stderr, "ksteer: %s carries no public address: only packets to one "
					"that it forwards in are steered there\n", u->ifaces[i]);
}

/* TC on the chosen interfaces, off every other one of ours. */
static int ks_up_attach_ifaces(const struct ks_up *u, int ifaces_fd)
{
	const struct ks_up_progs *pr = &u->pr;
	unsigned int idx[KS_MAX_IFACES];
	__u32 key, next;
	int first = 1;

	for (int i = 0; i < u->nif; i++) {
		idx[i] = if_nametoindex(u->ifaces[i]);
		if (!idx[i])
			return ks_err("no interface '%s'", u->ifaces[i]);
	}
	for (int i = 0; i < u->nif; i++)
		if (ks_attach_tc(bpf_program__fd(pr->tc->progs.ksteer_tc),
				 u->quic ? bpf_program__fd(pr->eg->progs.ksteer_tc_egress) : -1,
				 ifaces_fd, idx[i], u->ifaces[i], u->tc_prio, u->old_prio))
			return 1;
	/* Interfaces an earlier up attached that are not in this set. */
	while (!bpf_map_get_next_key(ifaces_fd, first ? NULL : &key, &next)) {
		int keep = 0;

		first = 0;
		key = next;
		for (int i = 0; i < u->nif; i++)
			keep |= idx[i] == key;
		if (!keep) {
			ks_release_iface(ifaces_fd, key, u->old_prio);
			first = 1;                /* deleted: walk again from the start */
		}
	}
	return 0;
}

/* TC where it was asked for; with --fallback-only, nowhere (switching
 * modes leaves no fast path behind). */
static int ks_up_attach_tc(struct ks_up *u)
{
	int ifaces_fd = bpf_map__fd(u->pr.so->maps.ks_ifaces);

	if (u->fallback_only) {
		ks_detach_tc_all(ifaces_fd, u->old_prio);
		return 0;
	}
	ks_up_pick_ifaces(u);
	return ks_up_attach_ifaces(u, ifaces_fd);
}

/* The backends and routes of -c FILE. */
static int ks_up_apply_file(const struct ks_up *u)
{
	return u->config && ks_apply_config(u->config);
}

/* Listeners that exist already, and SO_REUSEPORT groups on the public
 * ports created since the last up (a restarted backend): steer them. */
static int ks_up_register(const struct ks_up *u)
{
	int groups;

	if (ks_adopt_all())
		return 1;
	for (int i = 0; i < u->nports; i++) {
		int e = ks_steer_port_groups(u->ports[i], &groups);

		if (e)
			return ks_err("cannot attach sk_reuseport to the groups on port %u: %s",
				      u->ports[i], strerror(-e));
	}
	return 0;
}

/* Which path decodes QUIC Initials: `up` says which is in force. */
static void ks_up_say_quic_path(const struct ks_up *u)
{
	if (!u->quic)
		return;
	if (u->quic_kernel)
		fprintf(stderr, "ksteer: QUIC Initials: decoded by the kernel (TC, BPF); ksteerd "
			"takes ClientHellos over three or more datagrams\n");
	else if (u->quic_refused)
		fprintf(stderr, "ksteer: QUIC Initials: decoded by ksteerd (userspace); this kernel's "
			"verifier refused the BPF Initial path (KSTEER_DEBUG=1 shows why)\n");
	else
		fprintf(stderr, "ksteer: QUIC Initials: decoded by ksteerd (userspace); this kernel "
			"cannot decrypt them in BPF (no bpf_loop in TC programs, Linux < 5.17)\n");
}

/* What the run held; what it made stays pinned. */
static void ks_up_release(struct ks_up *u)
{
	for (int i = 0; i < u->nif; i++)
		free(u->ifaces[i]);
	ks_up_destroy(&u->pr);
}

/*
 * ksteer up: its steps in order. Each says what failed in one line; the
 * first failure ends the run, and what the run holds is released in one
 * place. What it made stays pinned or recorded, for the next up or down.
 */
int cmd_up(const struct ks_env *e)
{
	struct ks_up u = {};
	int err;

	err = ks_up_parse(e, &u) ||
	      ks_up_read_file(&u) ||          /* its public addresses and ports */
	      ks_up_check_args(&u) ||
	      ks_up_check_host(&u) ||
	      ks_up_open(&u) ||
	      ks_up_size(&u) ||
	      ks_up_load(&u) ||
	      ks_up_publish(&u) ||            /* ks_config, public addresses, keys */
	      ks_host_sysctls() ||
	      ks_up_attach_sockops(&u) ||
	      ks_up_attach_tc(&u) ||
	      ks_up_apply_file(&u) ||         /* its backends and routes */
	      ks_up_register(&u);             /* listeners, SO_REUSEPORT groups */
	if (!err)
		ks_up_say_quic_path(&u);
	ks_up_release(&u);
	return err;
}

/* What `up` attached: TC off every interface (and our clsact qdiscs),
 * the cgroup programs off the cgroup ks_config names (their links go with
 * the pins, ks_down_unpin; this detaches a pre-link up's attachments). */
static void ks_down_detach(void)
{
	struct ks_config cfg = {};
	char path[512];
	__u32 zero = 0;
	int fd, cg;

	ks_prog_path("ks_config", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		bpf_map_lookup_elem(fd, &zero, &cfg);
		close(fd);
	}
	ks_prog_path("ks_ifaces", path, sizeof(path));
	fd = bpf_obj_get(path);
	ks_detach_tc_all(fd, cfg.tc_prio);
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(ks_cg_progs) / sizeof(ks_cg_progs[0]); i++) {
		ks_prog_path(ks_cg_progs[i].pin, path, sizeof(path));
		fd = bpf_obj_get(path);
		cg = fd >= 0 && cfg.cgroup[0] ? open(cfg.cgroup, O_RDONLY | O_DIRECTORY) : -1;
		if (cg >= 0) {
			bpf_prog_detach2(fd, cg, ks_cg_progs[i].type);
			close(cg);
		}
		if (fd >= 0)
			close(fd);
	}
}

/* Every pin in d, then the pin directory itself. */
static int ks_down_unpin(DIR *d)
{
	struct dirent *ent;
	char path[512];

	while ((ent = readdir(d))) {
		if (ent->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", ks_pin_dir(), ent->d_name);
		if (unlink(path))
			ks_err("cannot unpin %s: %s", path, strerror(errno));
	}
	closedir(d);
	if (rmdir(ks_pin_dir()))
		return ks_err("cannot remove %s: %s", ks_pin_dir(), strerror(errno));
	return 0;
}

int cmd_down(const struct ks_env *e)
{
	DIR *d;

	libbpf_set_print(ks_libbpf_quiet);
	d = opendir(ks_pin_dir());
	if (!d)
		return 0;                         /* nothing is up: already down */
	ks_down_detach();
	return ks_down_unpin(d);
}
