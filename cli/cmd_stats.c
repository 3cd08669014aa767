// SPDX-License-Identifier: GPL-2.0
/* ksteer stats [-j|--prometheus]: every counter the programs keep, summed
 * over CPUs, named and ordered (by stage) by the tables of
 * shared/ksteer_counters.h, read once (lib/metrics.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "metrics.h"
#include "cli.h"

enum { KS_OPT_PROMETHEUS = KS_LONG_ONLY };

const struct ks_opt ks_stats_opts[] = {
	{ 'j', "json", NULL, "print JSON" },
	{ KS_OPT_PROMETHEUS, "prometheus", NULL, "print the Prometheus text format (HELP and "
						 "TYPE lines, a backend label per backend)" },
	{ 0 },
};

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

/* ksteerd's counters: "fallback": {...} in JSON, "fallback_*" lines; then
 * its listeners. */
static void ks_fb_stats(int json, const struct ks_counts *c)
{
	if (json)
		printf(",\"fallback\":{");
	for (int i = 0; c->have_fb && i < KS_FB_MAX; i++)
		ks_put(json, !i, "fallback_", ks_fb_defs[i].name, c->fb[ks_fb_defs[i].index]);
	if (json)
		printf("}");
	if (c->fb_listeners >= 0)
		ks_put(json, 0, "", KS_FALLBACK_LISTENERS, c->fb_listeners);
}

/* Each backend's counters: "backends": {"NAME": {...}} in JSON, else one
 * "backend NAME counter N ..." line each. */
static void ks_be_stats(int json, const struct ks_counts *c)
{
	if (json)
		printf(",\"backends\":{");
	for (int b = 0; b < c->nbe; b++) {
		if (json) {
			printf("%s", b ? "," : "");
			ks_json_str(stdout, c->be[b].name, strlen(c->be[b].name));
			printf(":{");
		} else {
			printf("backend %-20s", c->be[b].name);
		}
		for (size_t i = 0; i < KS_BE_NCOUNTERS; i++) {
			unsigned long long v = c->be[b].v[ks_be_defs[i].index];

			if (json)
				printf("%s\"%s\":%llu", i ? "," : "", ks_be_defs[i].name, v);
			else
				printf(" %s %llu", ks_be_defs[i].name, v);
		}
		printf(json ? "}" : "\n");
	}
	if (json)
		printf("}");
}

int cmd_stats(const struct ks_env *e)
{
	int json = ks_opt_given(e, 'j');
	struct ks_counter_maps m;
	struct ks_counts *c;

	if (json && ks_opt_given(e, KS_OPT_PROMETHEUS))
		return ks_usage_err(e);
	if (ks_counter_maps_open(&m))
		return 1;
	c = malloc(sizeof(*c));
	if (!c) {
		ks_counter_maps_close(&m);
		return ks_err("out of memory");
	}
	ks_counts_read(&m, c);
	ks_counter_maps_close(&m);
	if (ks_opt_given(e, KS_OPT_PROMETHEUS)) {
		ks_metrics_format(stdout, c);
	} else {
		if (json)
			printf("{");
		for (int i = 0; i < KS_ST_MAX; i++)
			ks_put(json, !i, "", ks_stat_defs[i].name, c->st[ks_stat_defs[i].index]);
		ks_fb_stats(json, c);
		ks_be_stats(json, c);
		if (json)
			printf("}\n");
	}
	free(c);
	return 0;
}
