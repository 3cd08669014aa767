// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer backend add|del|list: the arguments and the printing; the changes
 * are the backend model's (lib/backends.c).
 */
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
#include "cli.h"

/* "proxy 10.0.0.1:443 (PROXY v2)", "handoff /run/x.sock", or "". */
static void ks_backend_via(const struct ks_backend_info *bi, char *buf, size_t len)
{
	char t[80];

	buf[0] = 0;
	if (bi->flags & KS_BE_PROXY) {
		ks_format_addr(&bi->target, t, sizeof(t));
		snprintf(buf, len, "proxy %s%s", t, bi->flags & KS_BE_PROXY_V2 ? " (PROXY v2)" : "");
	} else if (bi->flags & KS_BE_HANDOFF) {
		snprintf(buf, len, "handoff %s", bi->path);
	}
}

static int ks_backend_list(int json)
{
	int info = ks_map("ks_backend_info"), lst, bst, ncpu = libbpf_num_possible_cpus();
	struct ks_backend_stat *per = calloc(ncpu, sizeof(*per));
	struct ks_backend_info bi;
	struct ks_slot slot;
	__u64 cookie;
	int first = 1;

	if (info < 0 || (lst = ks_map("ks_listeners")) < 0 || (bst = ks_map("ks_backend_stats")) < 0)
		return 1;
	if (json)
		printf("[");
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++) {
		__u64 assigned = 0, selected = 0, mptcp = 0;
		int listeners = 0, quic = 0;
		char addr[80] = "-", via[160];

		if (bpf_map_lookup_elem(info, &id, &bi) || !(bi.flags & KS_BE_IN_USE))
			continue;
		slot.backend = id;
		for (int i = 0; i < KS_MAX_SLOTS; i++) {
			slot.slot = i;
			if (!bpf_map_lookup_elem(lst, &slot, &cookie))
				listeners++;
			for (int c = 0; c < KS_UDP_CLASSES; c++) {
				slot.slot = KS_UDP_SLOT(c, i);
				if (!bpf_map_lookup_elem(lst, &slot, &cookie))
					quic++;
			}
		}
		if (!bpf_map_lookup_elem(bst, &id, per))
			for (int c = 0; c < ncpu; c++) {
				assigned += per[c].assigned;
				selected += per[c].selected;
				mptcp += per[c].mptcp_refused;
			}
		if (mptcp)
			ks_err("backend '%s': %llu MPTCP listener(s) on its address were not registered: "
			       "%s", bi.name, (unsigned long long)mptcp,
			       ks_register_strerror(-EPROTONOSUPPORT));
		if (bi.flags & KS_BE_HAS_ADDR)
			ks_format_addr(&bi.addr, addr, sizeof(addr));
		ks_backend_via(&bi, via, sizeof(via));
		if (json) {
			printf("%s{\"name\":", first ? "" : ",");
			ks_json_str(stdout, bi.name, strlen(bi.name));
			printf(",\"id\":%u,\"addr\":", id);
			ks_json_str(stdout, bi.flags & KS_BE_HAS_ADDR ? addr : NULL, strlen(addr));
			printf(",\"via\":");
			ks_json_str(stdout, via[0] ? via : NULL, strlen(via));
			printf(",\"listeners\":%d,\"quic_sockets\":%d,\"assigned\":%llu,\"selected\":%llu,"
			       "\"mptcp_refused\":%llu}", listeners, quic, (unsigned long long)assigned,
			       (unsigned long long)selected, (unsigned long long)mptcp);
		} else {
			if (first)
				printf("%-20s %-4s %-28s %9s %4s %10s %10s  %s\n", "NAME", "ID", "ADDRESS",
				       "LISTENERS", "QUIC", "ASSIGNED", "SELECTED", "VIA KSTEERD");
			printf("%-20s %-4u %-28s %9d %4d %10llu %10llu  %s\n", bi.name, id, addr,
			       listeners, quic, (unsigned long long)assigned,
			       (unsigned long long)selected, via[0] ? via : "-");
		}
		first = 0;
	}
	if (json)
		printf("]\n");
	free(per);
	return 0;
}

/* "CR:HEX": QUIC-LB config rotation 0..6, then the server ID in hex. */
static int ks_parse_sid(const char *arg, struct ks_quic_sid *sid)
{
	size_t n;

	memset(sid, 0, sizeof(*sid));
	if (arg[0] < '0' || arg[0] > '6' || arg[1] != ':')
		return -1;
	sid->config = arg[0] - '0';
	n = strlen(arg + 2);
	if (!n || n % 2 || n / 2 > KS_QUIC_SID_MAX)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int b;

		if (!isxdigit((unsigned char)arg[2 + 2 * i]) ||
		    !isxdigit((unsigned char)arg[3 + 2 * i]) || sscanf(arg + 2 + 2 * i, "%2x", &b) != 1)
			return -1;
		sid->id[i] = b;
	}
	sid->len = n / 2;
	return 0;
}

enum {
	KS_OPT_PID = KS_LONG_ONLY, KS_OPT_FD, KS_OPT_QUIC_SID, KS_OPT_PROXY, KS_OPT_PROXY_V2,
	KS_OPT_HANDOFF,
};

const struct ks_opt ks_backend_add_opts[] = {
	{ KS_OPT_PID, "pid", "PID", "take the listening sockets of process PID (UDP ones on a "
				    "public port: its QUIC sockets)" },
	{ KS_OPT_FD, "fd", "FD", "only its descriptor FD" },
	{ KS_OPT_QUIC_SID, "quic-sid", "CR:HEX", "the QUIC-LB server ID its connection IDs "
						 "carry: config rotation 0-6, the ID in hex" },
	{ KS_OPT_PROXY, "proxy", "ADDR:PORT", "ksteerd proxies its connections to ADDR:PORT" },
	{ KS_OPT_PROXY_V2, "proxy-protocol", NULL, "with --proxy: a PROXY v2 header first" },
	{ KS_OPT_HANDOFF, "handoff", "PATH", "ksteerd hands its connections over the unix "
					     "socket PATH" },
	{ 0 },
};

/* --pid PID [--fd FD] [--quic-sid CR:HEX] */
static int ks_backend_add_pid_args(const char *name, const struct ks_env *e)
{
	const char *fd_arg = ks_opt_arg(e, KS_OPT_FD), *sid_arg = ks_opt_arg(e, KS_OPT_QUIC_SID);
	const char *pid_arg = ks_opt_arg(e, KS_OPT_PID);
	struct ks_quic_sid sid;
	long pid, fd = -1;
	char *end;

	pid = strtol(pid_arg, &end, 10);
	if (*end || pid <= 0)
		return ks_err("bad pid '%s'", pid_arg);
	if (fd_arg) {
		fd = strtol(fd_arg, &end, 10);
		if (*end || fd < 0 || !*fd_arg)
			return ks_err("bad fd '%s'", fd_arg);
	}
	if (sid_arg && ks_parse_sid(sid_arg, &sid))
		return ks_err("bad --quic-sid '%s' (CONFIG:HEX, config 0-6, 1 to %d bytes)", sid_arg,
			      KS_QUIC_SID_MAX);
	return ks_backend_add_pid(name, pid, fd, sid_arg ? &sid : NULL);
}

/* One of its forms: an address, --pid, --proxy or --handoff, each with
 * only its own options. */
int cmd_backend_add(const struct ks_env *e)
{
	bool pid = ks_opt_given(e, KS_OPT_PID), proxy = ks_opt_given(e, KS_OPT_PROXY);
	bool handoff = ks_opt_given(e, KS_OPT_HANDOFF), addr = e->nargs == 2;
	const char *name = e->args[0];

	if (addr + pid + proxy + handoff != 1 ||
	    (!pid && (ks_opt_given(e, KS_OPT_FD) || ks_opt_given(e, KS_OPT_QUIC_SID))) ||
	    (!proxy && ks_opt_given(e, KS_OPT_PROXY_V2)))
		return ks_usage_err(e);
	if (addr)
		return ks_backend_add_addr(name, e->args[1]);
	if (proxy)
		return ks_backend_add_via(name, ks_opt_arg(e, KS_OPT_PROXY),
					  ks_opt_given(e, KS_OPT_PROXY_V2), NULL);
	if (handoff)
		return ks_backend_add_via(name, NULL, 0, ks_opt_arg(e, KS_OPT_HANDOFF));
	return ks_backend_add_pid_args(name, e);
}

int cmd_backend_del(const struct ks_env *e)
{
	return ks_backend_del(e->args[0]);
}

int cmd_backend_list(const struct ks_env *e)
{
	return ks_backend_list(ks_opt_given(e, 'j'));
}
