/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every counter ksteer keeps, read at one moment from the pinned maps
 * (metrics.c), for `ksteer stats` (text, JSON) and for the Prometheus text
 * exposition, which ksteerd can serve as it is. Names, kinds and meanings
 * come from the tables of shared/ksteer_counters.h.
 */
#ifndef KS_METRICS_H
#define KS_METRICS_H

#include <stdio.h>
#include "ksteer.h"

/* One counter of a table: its index in its map, printed name, kind
 * (KS_COUNTER, KS_GAUGE) and meaning. */
struct ks_counter_def {
	__u32 index;
	const char *name;
	enum ks_ctr_kind kind;
	const char *doc;
};

/* The tables, in their order (by stage); the per-backend set's index is the
 * field's place in struct ks_backend_stat. */
extern const struct ks_counter_def ks_stat_defs[KS_ST_MAX];
extern const struct ks_counter_def ks_fb_defs[KS_FB_MAX];
#define KS_BE_NCOUNTERS (sizeof(struct ks_backend_stat) / sizeof(__u64))
extern const struct ks_counter_def ks_be_defs[KS_BE_NCOUNTERS];

/* The maps counters are read from; -1: not there. */
struct ks_counter_maps {
	int stats, fb_stats, listeners, backend_stats, backend_info;
};

struct ks_backend_counts {
	char name[sizeof(((struct ks_backend_info *)0)->name)];
	__u64 v[KS_BE_NCOUNTERS];     /* summed over CPUs, in ks_be_defs' order */
};

/* What is read: the ks_stats counters by index, ksteerd's by index, its
 * listeners, each backend in use in id order. */
struct ks_counts {
	__u64 st[KS_ST_MAX];
	__u64 fb[KS_FB_MAX];
	bool have_fb;                 /* ks_fallback_stats read */
	int fb_listeners;             /* -1: ks_listeners not read */
	int nbe;
	struct ks_backend_counts be[KS_MAX_BACKENDS];
};

/* The pinned maps (ks_stats, ks_backend_stats and ks_backend_info are
 * needed, the others optional); 0, or 1 after one error line, every map
 * closed again. */
int ks_counter_maps_open(struct ks_counter_maps *m);
void ks_counter_maps_close(struct ks_counter_maps *m);

/* Every counter of m into c (a counter that cannot be read is 0). */
void ks_counts_read(const struct ks_counter_maps *m, struct ks_counts *c);

/* c in the Prometheus text format (version 0.0.4): a HELP and a TYPE line
 * a metric, then its samples. ks_stats as ksteer_NAME_total, ksteerd's as
 * ksteer_fallback_NAME (_total for counters), its listeners as
 * ksteer_fallback_listeners, each backend's as
 * ksteer_backend_NAME_total{backend="..."}. */
void ks_metrics_format(FILE *out, const struct ks_counts *c);
/* The same, read from m now; 0, or -1 when out of memory. */
int ks_metrics_write(FILE *out, const struct ks_counter_maps *m);

#endif
