// SPDX-License-Identifier: GPL-2.0
/* ksteer stats [-j]: every counter the programs keep, summed over CPUs,
 * named and ordered (by stage) by the tables of shared/ksteer_counters.h. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "cli.h"

/* A counter of ks_stats or ks_fallback_stats: its index and its name. */
struct ks_counter {
	__u32 index;
	const char *name;
};

#define KS_COUNTER(id, val, name, doc) { (val), (name) },
static const struct ks_counter ks_stat_counters[] = {
	KS_STAT_COUNTERS(KS_CTR_NO_STAGE, KS_COUNTER)
};
static const struct ks_counter ks_fb_counters[] = {
	KS_FB_COUNTERS(KS_CTR_NO_STAGE, KS_COUNTER)
};
#define KS_BE_NAME(field, doc) #field,
static const char *const ks_be_names[] = { KS_BACKEND_COUNTERS(KS_CTR_NO_STAGE, KS_BE_NAME) };
#define KS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* One value: "name":v in JSON (a comma before all but the first), else a
 * line whose name, prefix included, fills 28 columns. */
static void ks_put(int json, int first, const char *prefix, const char *name, __u64 v)
{
	if (json)
		printf("%s\"%s\":%llu", first ? "" : ",", name, (unsigned long long)v);
	else
		printf("%s%-*s %llu\n", prefix, (int)(28 - strlen(prefix)), name,
		       (unsigned long long)v);
}

/* ksteerd's counters: "fallback": {...} in JSON, "fallback_*" lines. */
static void ks_fb_stats(int json)
{
	int fd = ks_map("ks_fallback_stats");
	__u64 v;

	if (json)
		printf(",\"fallback\":{");
	for (size_t i = 0; fd >= 0 && i < KS_NELEM(ks_fb_counters); i++) {
		if (bpf_map_lookup_elem(fd, &ks_fb_counters[i].index, &v))
			v = 0;
		ks_put(json, !i, "fallback_", ks_fb_counters[i].name, v);
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
		ks_put(json, 0, "", KS_FALLBACK_LISTENERS, n);
	}
}

/* One backend's counters summed over CPUs, in ks_be_names' order. */
static void ks_be_sum(const struct ks_backend_stat *per, int ncpu, __u64 *sum)
{
	for (int c = 0; c < ncpu; c++) {
		int i = 0;

#define KS_BE_ADD(field, doc) sum[i++] += per[c].field;
		KS_BACKEND_COUNTERS(KS_CTR_NO_STAGE, KS_BE_ADD)
	}
}

/* Each backend's counters: "backends": {"NAME": {...}} in JSON, else one
 * "backend NAME counter N ..." line each. */
static void ks_be_stats(int json, int info, int bst, struct ks_backend_stat *per, int ncpu)
{
	struct ks_backend_info bi;
	int first = 1;

	if (json)
		printf(",\"backends\":{");
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++) {
		__u64 sum[KS_NELEM(ks_be_names)] = { 0 };

		if (bpf_map_lookup_elem(info, &id, &bi) || !(bi.flags & KS_BE_IN_USE))
			continue;
		if (!bpf_map_lookup_elem(bst, &id, per))
			ks_be_sum(per, ncpu, sum);
		if (json) {
			printf("%s", first ? "" : ",");
			ks_json_str(stdout, bi.name, strlen(bi.name));
			printf(":{");
		} else {
			printf("backend %-20s", bi.name);
		}
		for (size_t i = 0; i < KS_NELEM(ks_be_names); i++) {
			if (json)
				printf("%s\"%s\":%llu", i ? "," : "", ks_be_names[i],
				       (unsigned long long)sum[i]);
			else
				printf(" %s %llu", ks_be_names[i], (unsigned long long)sum[i]);
		}
		printf(json ? "}" : "\n");
		first = 0;
	}
	if (json)
		printf("}");
}

int cmd_stats(const struct ks_env *e)
{
	int json = ks_opt_given(e, 'j');
	int ncpu = libbpf_num_possible_cpus(), fd, bst, info;
	struct ks_backend_stat *per = calloc(ncpu, sizeof(*per));

	if ((fd = ks_map("ks_stats")) < 0 || (bst = ks_map("ks_backend_stats")) < 0 ||
	    (info = ks_map("ks_backend_info")) < 0)
		return 1;
	if (json)
		printf("{");
	for (size_t i = 0; i < KS_NELEM(ks_stat_counters); i++)
		ks_put(json, !i, "", ks_stat_counters[i].name,
		       ks_stat_sum(fd, ks_stat_counters[i].index));
	ks_fb_stats(json);
	ks_be_stats(json, info, bst, per, ncpu);
	if (json)
		printf("}\n");
	free(per);
	return 0;
}
