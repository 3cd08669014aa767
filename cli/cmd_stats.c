// SPDX-License-Identifier: GPL-2.0
/* ksteer stats [-j]: every counter the programs keep, summed over CPUs. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "cli.h"

static const char *const ks_stat_names[KS_ST_MAX] = {
	[KS_ST_SYN] = "syn",
	[KS_ST_SYN_BAD] = "syn_unanswered",
	[KS_ST_COOKIE_OK] = "cookie_ok",
	[KS_ST_COOKIE_BAD] = "cookie_bad",
	[KS_ST_BARE_ACK] = "bare_ack_dropped",
	[KS_ST_ASSIGNED] = "assigned",
	[KS_ST_INCOMPLETE] = "hello_incomplete",
	[KS_ST_MALFORMED] = "hello_malformed",
	[KS_ST_TOO_BIG] = "hello_too_big",
	[KS_ST_NO_ROUTE] = "no_route",
	[KS_ST_NO_LISTENER] = "no_listener",
	[KS_ST_ASSIGN_ERR] = "assign_error",
	[KS_ST_RST_SENT] = "rst_sent",
	[KS_ST_RST_FAIL] = "rst_failed",
	[KS_ST_RP_SELECTED] = "reuseport_selected",
	[KS_ST_RP_PASS] = "reuseport_passed",
	[KS_ST_RP_DROP] = "reuseport_dropped",
	[KS_ST_REGISTERED] = "listeners_registered",
	[KS_ST_REGISTER_FULL] = "listeners_rejected_full",
	[KS_ST_UNSTEERED_GROUP] = "reuseport_group_unsteered",
	[KS_ST_REASM_STARTED] = "reasm_started",
	[KS_ST_REASM_DONE] = "reasm_completed",
	[KS_ST_REASM_EARLY] = "reasm_early_segment",
	[KS_ST_REASM_EXPIRED] = "reasm_expired",
	[KS_ST_REASM_OVERFLOW] = "reasm_overflow",
	[KS_ST_REASM_FAILED] = "reasm_rewrite_failed",
	[KS_ST_RP_MIGRATED] = "reuseport_migrated",
	[KS_ST_RP_MIGRATE_DROP] = "reuseport_migrate_dropped",
	[KS_ST_TO_FALLBACK] = "to_fallback",
	[KS_ST_TW_DETOUR] = "time_wait_detour",
	[KS_ST_RP_FALLBACK] = "reuseport_fallback",
	[KS_ST_REASM_FULL] = "reasm_full_to_fallback",
	[KS_ST_REASM_HANDED] = "reasm_handed_to_fallback",
	[KS_ST_REASM_SWEPT] = "reasm_swept",
	[KS_ST_QUIC_BY_CID] = "quic_by_cid",
	[KS_ST_QUIC_BY_LB] = "quic_by_lb_server_id",
	[KS_ST_QUIC_BY_PEER] = "quic_by_peer",
	[KS_ST_QUIC_TO_FALLBACK] = "quic_to_fallback",
	[KS_ST_QUIC_DROPPED] = "quic_dropped_no_fallback",
	[KS_ST_QUIC_STALE] = "quic_socket_gone",
	[KS_ST_QUIC_LEARNED] = "quic_cids_learned",
	[KS_ST_QUIC_ASSIGN_ERR] = "quic_assign_error",
	[KS_ST_RP_QUIC_SELECTED] = "reuseport_quic_selected",
	[KS_ST_QUIC_BY_HOST] = "quic_by_client_address",
	[KS_ST_SYN_EXISTING] = "syn_existing_socket",
	[KS_ST_SYN_NO_COOKIES] = "syn_no_syncookies",
	[KS_ST_UNSUPPORTED] = "passed_unsupported",
	[KS_ST_UDP_NOT_QUIC] = "udp_not_quic",
	[KS_ST_REG_OTHER_NETNS] = "register_other_netns",
	[KS_ST_REG_MPTCP] = "register_mptcp",
	[KS_ST_RP_SYN_DROP] = "reuseport_syn_dropped",
	[KS_ST_HB_ASSIGNED] = "handback_assigned",
	[KS_ST_HB_DROPPED] = "handback_segment_dropped",
	[KS_ST_HB_STALE] = "handback_stale",
	[KS_ST_HB_UNPLACED] = "handback_unplaced",
	[KS_ST_UNREADABLE_DEFAULT] = "hello_unreadable_to_default",
	[KS_ST_REASM_BAD_CSUM] = "reasm_bad_checksum",
	[KS_ST_REASM_REPLACED] = "reasm_stale_replaced",
	[KS_ST_REASM_PLACED_AGAIN] = "reasm_placed_again",
};

static const char *const ks_fb_names[KS_FB_MAX] = {
	[KS_FB_ACCEPTED] = "accepted",
	[KS_FB_HANDOFF] = "handoff",
	[KS_FB_HANDOFF_FAILED] = "handoff_failed",
	[KS_FB_PROXY] = "proxy",
	[KS_FB_PROXY_FAILED] = "proxy_failed",
	[KS_FB_TIMEOUT] = "hello_timeout",
	[KS_FB_TOO_BIG] = "hello_too_big",
	[KS_FB_MALFORMED] = "hello_malformed",
	[KS_FB_NO_ROUTE] = "no_route",
	[KS_FB_CLOSED_EARLY] = "closed_early",
	[KS_FB_ACTIVE] = "active",
	[KS_FB_QUIC_DATAGRAMS] = "quic_datagrams",
	[KS_FB_QUIC_ROUTED] = "quic_routed",
	[KS_FB_QUIC_REINJECTED] = "quic_reinjected",
	[KS_FB_QUIC_UNREADABLE] = "quic_unreadable",
	[KS_FB_QUIC_NO_ROUTE] = "quic_no_route",
	[KS_FB_QUIC_MALFORMED] = "quic_hello_malformed",
	[KS_FB_QUIC_TIMEOUT] = "quic_hello_timeout",
	[KS_FB_QUIC_FULL] = "quic_pending_full",
	[KS_FB_QUIC_UNKNOWN] = "quic_unknown_connection",
	[KS_FB_QUIC_PENDING] = "quic_pending",
	[KS_FB_HANDBACK] = "handback",
	[KS_FB_HANDBACK_FAILED] = "handback_failed",
	[KS_FB_HANDBACK_RETRIED] = "handback_retried",
	[KS_FB_REFUSED_NO_CLIENT_ADDR] = "refused_no_client_address",
	[KS_FB_HANDBACK_PENDING] = "handback_pending",
	[KS_FB_TO_DEFAULT] = "unreadable_to_default",
};

/* ksteerd's counters: "fallback": {...} in JSON, "fallback_*" lines. */
static void ks_fb_stats(int json)
{
	int fd = ks_map("ks_fallback_stats");
	__u64 v;

	if (json)
		printf(",\"fallback\":{");
	for (__u32 i = 0; fd >= 0 && i < KS_FB_MAX; i++) {
		if (bpf_map_lookup_elem(fd, &i, &v))
			v = 0;
		if (json)
			printf("%s\"%s\":%llu", i ? "," : "", ks_fb_names[i], (unsigned long long)v);
		else
			printf("fallback_%-19s %llu\n", ks_fb_names[i], (unsigned long long)v);
	}
	if (json)
		printf("}");
	/* ksteerd's listeners, registered as the fallback backend. */
	fd = ks_map("ks_listeners");
	if (fd >= 0) {
		struct ks_slot slot = { .backend = KS_FALLBACK_ID };
		int n = 0;

		for (slot.slot = 0; slot.slot < KS_MAX_SLOTS; slot.slot++)
			n += !bpf_map_lookup_elem(fd, &slot, &v);
		if (json)
			printf(",\"fallback_listeners\":%d", n);
		else
			printf("%-28s %d\n", "fallback_listeners", n);
	}
}

int cmd_stats(const struct ks_env *e)
{
	int json = ks_opt_given(e, 'j');
	int ncpu = libbpf_num_possible_cpus(), fd, bst, info;
	struct ks_backend_stat *per = calloc(ncpu, sizeof(*per));
	struct ks_backend_info bi;

	if ((fd = ks_map("ks_stats")) < 0 || (bst = ks_map("ks_backend_stats")) < 0 ||
	    (info = ks_map("ks_backend_info")) < 0)
		return 1;
	if (json)
		printf("{");
	for (__u32 i = 0; i < KS_ST_MAX; i++) {
		__u64 sum = ks_stat_sum(fd, i);

		if (json)
			printf("%s\"%s\":%llu", i ? "," : "", ks_stat_names[i],
			       (unsigned long long)sum);
		else
			printf("%-28s %llu\n", ks_stat_names[i], (unsigned long long)sum);
	}
	ks_fb_stats(json);
	if (json)
		printf(",\"backends\":{");
	for (__u32 id = 1, first = 1; id < KS_MAX_BACKENDS; id++) {
		__u64 a = 0, s = 0;

		if (bpf_map_lookup_elem(info, &id, &bi) || !(bi.flags & KS_BE_IN_USE))
			continue;
		if (!bpf_map_lookup_elem(bst, &id, per))
			for (int c = 0; c < ncpu; c++) {
				a += per[c].assigned;
				s += per[c].selected;
			}
		if (json) {
			printf("%s", first ? "" : ",");
			ks_json_str(stdout, bi.name, strlen(bi.name));
			printf(":{\"assigned\":%llu,\"selected\":%llu}", (unsigned long long)a,
			       (unsigned long long)s);
		} else {
			printf("backend %-20s assigned %llu selected %llu\n", bi.name,
			       (unsigned long long)a, (unsigned long long)s);
		}
		first = 0;
	}
	if (json)
		printf("}}\n");
	free(per);
	return 0;
}
