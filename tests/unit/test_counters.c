// SPDX-License-Identifier: GPL-2.0
/*
 * The counters' tables (shared/ksteer_counters.h) and the README's counters
 * table, which is generated from them: every name printable as a JSON key
 * and used once, every meaning one table cell, and the README's text
 * between its marker lines exactly what the tables give.
 *   build/test_counters [README]            check (README.md by default)
 *   build/test_counters --print             the generated text
 *   build/test_counters --update [README]   rewrite it between the markers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "ksteer_counters.h"
#include "ksteer_events.h"
#include "metrics.h"
#include "check.h"

#define BEGIN_MARK "<!-- counters: generated from shared/ksteer_counters.h by " \
		   "build/test_counters --update; edit them there -->\n"
#define END_MARK "<!-- counters end -->\n"

/* ---- the generated text ------------------------------------------------- */

static void md_stage(FILE *f, const char *title, const char *doc)
{
	fprintf(f, "\n**%s**: %s\n\n| counter | meaning |\n| --- | --- |\n", title, doc);
}

/* A gauge's meaning starts "gauge: " (its kind in the table). */
static void md_row(FILE *f, const char *prefix, const char *name, enum ks_ctr_kind kind,
		   const char *doc)
{
	fprintf(f, "| `%s%s` | %s%s |\n", prefix, name, kind == KS_GAUGE ? "gauge: " : "", doc);
}

/* ksteerd's first stage opens with its listeners, which ksteer stats counts
 * itself: the one row that is not a counter. */
static int fb_stages;

static void md_fb_stage(FILE *f, const char *title, const char *doc)
{
	md_stage(f, title, doc);
	if (!fb_stages++)
		md_row(f, "", KS_FALLBACK_LISTENERS, KS_GAUGE, KS_FALLBACK_LISTENERS_DOC);
}

#define MD_STAGE(title, doc) md_stage(f, title, doc);
#define MD_FB_STAGE(title, doc) md_fb_stage(f, title, doc);
#define MD_ST(id, val, name, doc) md_row(f, "", name, KS_COUNTER, doc);
#define MD_FB(id, val, name, kind, doc) md_row(f, "fallback.", name, kind, doc);
#define MD_BE(field, doc) md_row(f, "", #field, KS_COUNTER, doc);
#define MD_EV(id, val, name, doc) md_row(f, "", name, KS_COUNTER, doc);

/* What the README holds between its markers: a table a stage, in the
 * order a connection meets them. */
static char *md_generate(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	fb_stages = 0;
	KS_STAT_COUNTERS(MD_STAGE, MD_ST)
	KS_BACKEND_COUNTERS(MD_STAGE, MD_BE)
	KS_FB_COUNTERS(MD_FB_STAGE, MD_FB)
	/* `ksteer monitor`'s words: shared/ksteer_events.h. */
	md_stage(f, "`ksteer monitor`: path", "where each decision sent the connection "
		 "(`\"path\"`)");
	KS_EVENT_PATHS(MD_EV)
	md_stage(f, "`ksteer monitor`: why", "what decided it (`\"why\"`)");
	KS_EVENT_WHYS(MD_EV)
	fputc('\n', f);
	fclose(f);
	return text;
}

/* ---- the tables' own rules ----------------------------------------------- */

/* Names in the order `ksteer stats -j` has them at one level of its object. */
struct names {
	const char *v[128];
	int n;
};

static void add_name(struct names *s, const char *name)
{
	if (s->n < (int)(sizeof(s->v) / sizeof(s->v[0])))
		s->v[s->n++] = name;
}

/* A JSON key a script can name unquoted in Python or jq: [a-z0-9_]+, once. */
static void check_names(const char *set, const struct names *s)
{
	for (int i = 0; i < s->n; i++) {
		const char *p = s->v[i];

		int again = 0;

		for (int j = 0; j < i; j++)
			again |= !strcmp(p, s->v[j]);
		CHECK(*p && strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(p) &&
		      !again, "%s: name '%s' is not [a-z0-9_]+ or is used twice", set, p);
	}
}

/* One table cell: not empty, no '|' (it would end the cell). */
static void check_cell(const char *what, const char *doc)
{
	CHECK(*doc && !strpbrk(doc, "|\n"), "%s: its text '%s' is not one table cell", what, doc);
}

#define ADD_ST(id, val, name, doc) add_name(&top, name), check_cell(name, doc);
#define ADD_FB(id, val, name, kind, doc) add_name(&fb, name), check_cell(name, doc);
#define ADD_BE(field, doc) add_name(&be, #field), check_cell(#field, doc);
#define CHECK_STAGE(title, doc) check_cell("a stage", title), check_cell(title, doc);

static void test_tables(void)
{
	struct names top = { 0 }, fb = { 0 }, be = { 0 };

	KS_STAT_COUNTERS(CHECK_STAGE, ADD_ST)
	KS_FB_COUNTERS(CHECK_STAGE, ADD_FB)
	KS_BACKEND_COUNTERS(CHECK_STAGE, ADD_BE)
	/* The top level holds the objects and the listeners beside ks_stats. */
	add_name(&top, "fallback");
	add_name(&top, "backends");
	add_name(&top, KS_FALLBACK_LISTENERS);
	check_cell(KS_FALLBACK_LISTENERS, KS_FALLBACK_LISTENERS_DOC);
	CHECK(top.n == KS_ST_MAX + 3 && fb.n == KS_FB_MAX, "names: %d at the top, %d in fallback",
	      top.n, fb.n);
	check_names("ksteer stats -j", &top);
	check_names("\"fallback\"", &fb);
	check_names("a backend's", &be);
	{
		struct names path = { 0 }, why = { 0 };

#define ADD_PATH(id, val, name, doc) add_name(&path, name); check_cell(name, doc);
#define ADD_WHY(id, val, name, doc) add_name(&why, name); check_cell(name, doc);
		KS_EVENT_PATHS(ADD_PATH)
		KS_EVENT_WHYS(ADD_WHY)
		CHECK(path.n == KS_EV_MAX - 1 && why.n == KS_WHY_MAX - 1,
		      "monitor: %d paths, %d reasons, their values 1..n", path.n, why.n);
		check_names("monitor paths", &path);
		check_names("monitor reasons", &why);
	}
}

/* ---- the Prometheus exposition --------------------------------------------- */

/* The exposition of zeros with two backends (one name to escape): each
 * metric one HELP and one TYPE line, then its samples; names unique and
 * legal, counters ending _total, and the gauges exactly ksteerd's levels. */
static void test_exposition(void)
{
	static struct ks_counts c = { .have_fb = true, .fb_listeners = 1, .nbe = 2 };
	char *text = NULL, *line, *save, names[160][128];
	const char *gauges[] = { "ksteer_fallback_active", "ksteer_fallback_handback_pending",
				 "ksteer_fallback_quic_pending", "ksteer_fallback_listeners" };
	size_t len = 0;
	int n = 0, ngauge = 0, samples = 0, bad = 0;
	FILE *f = open_memstream(&text, &len);

	snprintf(c.be[0].name, sizeof(c.be[0].name), "site-a");
	snprintf(c.be[1].name, sizeof(c.be[1].name), "we\\ird\"");
	ks_metrics_format(f, &c);
	fclose(f);
	CHECK(strstr(text ? text : "", "ksteer_backend_routed_total{backend=\"we\\\\ird\\\"\"} 0"),
	      "exposition: a backend label's \\ and \" escaped");
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[128], kind[16];

		if (sscanf(line, "# HELP %127s", name) == 1) {
			int again = 0;

			for (int i = 0; i < n; i++)
				again |= !strcmp(names[i], name);
			bad += again || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") !=
						strlen(name) || n == 160;
			if (n < 160)
				snprintf(names[n++], sizeof(names[0]), "%s", name);
		} else if (sscanf(line, "# TYPE %127s %15s", name, kind) == 2) {
			bool total = strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total");

			bad += !n || strcmp(name, names[n - 1]) ||
			       !(strcmp(kind, "counter") ? !strcmp(kind, "gauge") && !total : total);
			for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++)
				ngauge += !strcmp(kind, "gauge") && !strcmp(name, gauges[g]);
		} else {
			samples++;
			bad += !n || strncmp(line, names[n - 1], strlen(names[n - 1]));
		}
	}
	CHECK(!bad, "exposition: a metric name repeated, illegal, or a TYPE or sample out of place");
	CHECK(n == KS_ST_MAX + KS_FB_MAX + 1 + (int)KS_BE_NCOUNTERS,
	      "exposition: %d metrics, one a counter", n);
	CHECK(ngauge == 4, "exposition: %d of ksteerd's 4 gauges typed gauge", ngauge);
	CHECK(samples == KS_ST_MAX + KS_FB_MAX + 1 + 2 * (int)KS_BE_NCOUNTERS,
	      "exposition: %d samples, one a backend for each backend counter", samples);
	free(text);
}

/* ---- the README ------------------------------------------------------------ */

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, len = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap && !(buf = realloc(buf, cap = 2 * cap + 4096 + 1)))
			break;
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n);
	fclose(f);
	if (buf)
		buf[len] = 0;
	return buf;
}

/* The text between the marker lines: [*start, *end) of doc; -1 if the
 * markers are not there, once each and in order. */
static int find_region(const char *doc, const char **start, const char **end)
{
	const char *b = strstr(doc, BEGIN_MARK), *e = strstr(doc, END_MARK);

	if (!b || !e || e < b || strstr(b + 1, BEGIN_MARK) || strstr(e + 1, END_MARK))
		return -1;
	*start = b + strlen(BEGIN_MARK);
	*end = e;
	return 0;
}

static int line_no(const char *doc, const char *at)
{
	int n = 1;

	for (const char *p = doc; p < at; p++)
		n += *p == '\n';
	return n;
}

/* Whether the line at p (up to its newline) is one of text's lines. */
static int has_line(const char *text, const char *text_end, const char *p)
{
	size_t n = strcspn(p, "\n");

	for (const char *q = text; q < text_end; q += strcspn(q, "\n") + 1)
		if (strcspn(q, "\n") == n && !memcmp(q, p, n))
			return 1;
	return 0;
}

#define REPORT_MAX 20

/* One line of [p, end) that [text, text_end) lacks (blank lines aside):
 * printed while fewer than REPORT_MAX were. */
static int report_line(const char *text, const char *text_end, const char *p, int n,
		       const char *where, int line)
{
	int len = strcspn(p, "\n");

	if (!len || has_line(text, text_end, p))
		return 0;
	if (n < REPORT_MAX && line)
		printf("  %s:%d: not from the tables: %.*s\n", where, line, len, p);
	else if (n < REPORT_MAX)
		printf("  %s lacks: %.*s\n", where, len, p);
	return 1;
}

/* Each line one side has and the other lacks, named with its README line
 * where it has one; the count of them. */
static int report_lines(const char *path, const char *doc, const char *start, const char *end,
			const char *want)
{
	const char *want_end = want + strlen(want);
	int n = 0;

	for (const char *p = start; p < end; p += strcspn(p, "\n") + 1)
		n += report_line(want, want_end, p, n, path, line_no(doc, p));
	for (const char *p = want; p < want_end; p += strcspn(p, "\n") + 1)
		n += report_line(start, end, p, n, path, 0);
	if (n > REPORT_MAX)
		printf("  ... %d lines more\n", n - REPORT_MAX);
	return n;
}

static void test_readme(const char *path)
{
	char *doc = read_all(path), *want = md_generate();
	const char *start, *end;
	int same;

	CHECK(doc && want, "%s: cannot read it", path);
	if (!doc || !want)
		goto out;
	CHECK(!find_region(doc, &start, &end), "%s: the counters table's marker lines, once each: %s%s",
	      path, BEGIN_MARK, END_MARK);
	if (find_region(doc, &start, &end))
		goto out;
	same = (size_t)(end - start) == strlen(want) && !memcmp(start, want, end - start);
	if (!same && !report_lines(path, doc, start, end, want))
		printf("  %s:%d: the same lines, in another order or spacing\n", path,
		       line_no(doc, start));
	CHECK(same, "%s: its counters table is not the one shared/ksteer_counters.h gives "
	      "(build/test_counters --update rewrites it)", path);
out:
	free(doc);
	free(want);
}

/* Rewrite path with the generated text between its markers. */
static int update_readme(const char *path)
{
	char *doc = read_all(path), *want = md_generate(), tmp[4096];
	const char *start, *end;
	FILE *f;
	int err = 1;

	if (!doc || !want || find_region(doc, &start, &end)) {
		fprintf(stderr, "%s: cannot read it, or its marker lines are not there once each\n",
			path);
		goto out;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		goto out;
	fwrite(doc, 1, start - doc, f);
	fputs(want, f);
	fputs(end, f);
	err = fclose(f) || rename(tmp, path);
	if (err)
		perror(path);
out:
	free(doc);
	free(want);
	return err;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--print")) {
		char *want = md_generate();

		return want ? fputs(want, stdout), free(want), 0 : 1;
	}
	if (argc >= 2 && !strcmp(argv[1], "--update"))
		return update_readme(argc > 2 ? argv[2] : "README.md");
	test_tables();
	test_exposition();
	test_readme(argc > 1 ? argv[1] : "README.md");
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
