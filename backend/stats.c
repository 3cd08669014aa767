// SPDX-License-Identifier: GPL-2.0
/* The --stats-file writer. */
#include <stdio.h>
#include <unistd.h>
#include "stats.h"

int stats_write(const struct ksb_stats *s, const char *send_path, const char *path)
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
	fprintf(f, "%s\"" #n "\": %lld", sep, (long long)STAT_GET(s, n));	\
	sep = ", ";
	KSB_STATS(X)
#undef X
	fprintf(f, ", \"send_path\": \"%s\"}\n", send_path);
	if (fclose(f) || rename(tmp, path)) {
		unlink(tmp);
		return -1;
	}
	return 0;
}
