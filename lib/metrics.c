// SPDX-License-Identifier: GPL-2.0
/*
 * The counters at one moment, from the pinned maps, and their Prometheus
 * text exposition: each metric's HELP is its meaning in the tables of
 * shared/ksteer_counters.h, its TYPE the table's kind.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "metrics.h"

#define KS_DEF_ST(id, val, name, doc) { (val), (name), KS_COUNTER, (doc) },
const struct ks_counter_def ks_stat_defs[KS_ST_MAX] = {
	KS_STAT_COUNTERS(KS_CTR_NO_STAGE, KS_DEF_ST)
};
#define KS_DEF_FB(id, val, name, kind, doc) { (val), (name), (kind), (doc) },
const struct ks_counter_def ks_fb_defs[KS_FB_MAX] = {
	KS_FB_COUNTERS(KS_CTR_NO_STAGE, KS_DEF_FB)
};
#define KS_DEF_BE(field, doc)                                                         \
	{ offsetof(struct ks_backend_stat, field) / sizeof(__u64), #field, KS_COUNTER, (doc) },
const struct ks_counter_def ks_be_defs[KS_BE_NCOUNTERS] = {
	KS_BACKEND_COUNTERS(KS_CTR_NO_STAGE, KS_DEF_BE)
};

/* ---- reading ------------------------------------------------------------- */

void ks_counter_maps_close(struct ks_counter_maps *m)
{
	int *fds[] = { &m->stats, &m->fb_stats, &m->listeners, &m->backend_stats,
		       &m->backend_info };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int ks_counter_maps_open(struct ks_counter_maps *m)
{
	*m = (struct ks_counter_maps){ -1, -1, -1, -1, -1 };
	if ((m->stats = ks_map("ks_stats")) < 0 ||
	    (m->backend_stats = ks_map("ks_backend_stats")) < 0 ||
	    (m->backend_info = ks_map("ks_backend_info")) < 0) {
		ks_counter_maps_close(m);
		return 1;
	}
	m->fb_stats = ks_map("ks_fallback_stats");
	m->listeners = ks_map("ks_listeners");
	return 0;
}

/* ksteerd's listeners: the fallback backend's registered slots. */
static int ks_fb_listeners(int fd)
{
	struct ks_slot slot = { .backend = KS_FALLBACK_ID };
	__u64 v;
	int n = 0;

	for (slot.slot = 0; slot.slot < KS_MAX_SLOTS; slot.slot++)
		n += !bpf_map_lookup_elem(fd, &slot, &v);
	return n;
}

/* Backend id's counters summed over the CPUs into v. */
static void ks_be_sum(int fd, __u32 id, __u64 v[KS_BE_NCOUNTERS])
{
	int ncpu = libbpf_num_possible_cpus();
	struct ks_backend_stat *per = ncpu > 0 ? calloc(ncpu, sizeof(*per)) : NULL;

	if (per && !bpf_map_lookup_elem(fd, &id, per))
		for (int c = 0; c < ncpu; c++)
			for (size_t i = 0; i < KS_BE_NCOUNTERS; i++)
				v[i] += ((const __u64 *)&per[c])[i];
	free(per);
}

void ks_counts_read(const struct ks_counter_maps *m, struct ks_counts *c)
{
	struct ks_backend_info bi;

	memset(c, 0, sizeof(*c));
	for (int i = 0; i < KS_ST_MAX; i++)
		c->st[ks_stat_defs[i].index] = ks_stat_sum(m->stats, ks_stat_defs[i].index);
	c->have_fb = m->fb_stats >= 0;
	for (int i = 0; c->have_fb && i < KS_FB_MAX; i++)
		if (bpf_map_lookup_elem(m->fb_stats, &ks_fb_defs[i].index,
					&c->fb[ks_fb_defs[i].index]))
			c->fb[ks_fb_defs[i].index] = 0;
	c->fb_listeners = m->listeners >= 0 ? ks_fb_listeners(m->listeners) : -1;
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++) {
		struct ks_backend_counts *b = &c->be[c->nbe];

		if (bpf_map_lookup_elem(m->backend_info, &id, &bi) || !(bi.flags & KS_BE_IN_USE))
			continue;
		snprintf(b->name, sizeof(b->name), "%s", bi.name);
		ks_be_sum(m->backend_stats, id, b->v);
		c->nbe++;
	}
}

/* ---- the exposition ------------------------------------------------------ */

/* s with each of the characters in special as a backslash and the
 * character ('\n' as "\n"): HELP text escapes \ and newline, a label
 * value " as well. */
static void ks_prom_escaped(FILE *out, const char *s, const char *special)
{
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", out);
		else if (strchr(special, *s))
			fprintf(out, "\\%c", *s);
		else
			fputc(*s, out);
	}
}

/* A metric's HELP and TYPE lines; its name into name. */
static void ks_prom_head(FILE *out, char *name, size_t len, const char *prefix,
			 const struct ks_counter_def *d)
{
	bool counter = d->kind == KS_COUNTER;

	snprintf(name, len, "ksteer_%s%s%s", prefix, d->name, counter ? "_total" : "");
	fprintf(out, "# HELP %s ", name);
	ks_prom_escaped(out, d->doc, "\\");
	fprintf(out, "\n# TYPE %s %s\n", name, counter ? "counter" : "gauge");
}

/* A metric of one value. */
static void ks_prom_one(FILE *out, const char *prefix, const struct ks_counter_def *d, __u64 v)
{
	char name[128];

	ks_prom_head(out, name, sizeof(name), prefix, d);
	fprintf(out, "%s %llu\n", name, (unsigned long long)v);
}

void ks_metrics_format(FILE *out, const struct ks_counts *c)
{
	static const struct ks_counter_def listeners = { 0, KS_FALLBACK_LISTENERS, KS_GAUGE,
							 KS_FALLBACK_LISTENERS_DOC };
	char name[128];

	for (int i = 0; i < KS_ST_MAX; i++)
		ks_prom_one(out, "", &ks_stat_defs[i], c->st[ks_stat_defs[i].index]);
	for (int i = 0; c->have_fb && i < KS_FB_MAX; i++)
		ks_prom_one(out, "fallback_", &ks_fb_defs[i], c->fb[ks_fb_defs[i].index]);
	if (c->fb_listeners >= 0)
		ks_prom_one(out, "", &listeners, c->fb_listeners);
	for (size_t i = 0; i < KS_BE_NCOUNTERS; i++) {
		ks_prom_head(out, name, sizeof(name), "backend_", &ks_be_defs[i]);
		for (int b = 0; b < c->nbe; b++) {
			fprintf(out, "%s{backend=\"", name);
			ks_prom_escaped(out, c->be[b].name, "\\\"");
			fprintf(out, "\"} %llu\n", (unsigned long long)c->be[b].v[ks_be_defs[i].index]);
		}
	}
}

int ks_metrics_write(FILE *out, const struct ks_counter_maps *m)
{
	struct ks_counts *c = malloc(sizeof(*c));

	if (!c)
		return -1;
	ks_counts_read(m, c);
	ks_metrics_format(out, c);
	free(c);
	return 0;
}
