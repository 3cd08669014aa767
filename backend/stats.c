// SPDX-License-Identifier: GPL-2.0
/* The --stats-file writer. */
#include <stdio.h>
#include <unistd.h>
#include "ksb.h"
#include "stats.h"

struct ksb_stats stats;

int stats_write(const char *path)
{
	char tmp[4096];
	FILE *f;
	const char *sep = "";

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fputc('{', f);
#define X(n)								\
	fprintf(f, "%s\"" #n "\": %lld", sep,				\
		(long long)atomic_load_explicit(&stats.n, memory_order_relaxed)); \
	sep = ", ";
	KSB_STATS(X)
#undef X
	fprintf(f, ", \"send_path\": \"%s\"}\n", cfg.ktls ? "ktls" : "userspace");
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
