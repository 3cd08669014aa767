// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd -c FILE: at start and on each SIGHUP, make the pinned maps match
 * FILE (config.c parses it, config_sync.c applies it). Only what differs
 * is written, so connections ksteerd holds and unchanged routes are not
 * touched; a file that does not parse or check changes nothing, and
 * ksteerd keeps serving with the configuration in force.
 */
#include <stdio.h>
#include "config.h"
#include "fb.h"

int fb_config_load(const char *path, const char *why)
{
	const char *sep = why ? ": " : "";
	struct ks_conf_diff d;
	enum ks_sync_result res = KS_SYNC_REJECTED;
	struct ks_conf c;

	why = why ? why : "";
	if (!ks_conf_parse(path, &c)) {
		res = ks_conf_sync(&c, true, &d);
		if (res == KS_SYNC_OK)
			fprintf(stderr, "ksteerd: %s%s%s: %d backends, %d routes (%d added, "
				"%d removed, %d changed)\n", why, sep, path, c.nbe, c.nrt,
				d.added, d.removed, d.changed);
		ks_conf_free(&c);
	}
	if (res == KS_SYNC_REJECTED)
		fprintf(stderr, "ksteerd: %s%s%s: not applied, the configuration in force "
			"is unchanged\n", why, sep, path);
	else if (res == KS_SYNC_PARTIAL)
		fprintf(stderr, "ksteerd: %s%s%s: applied in part; fix the cause above and "
			"reload again\n", why, sep, path);
	return res != KS_SYNC_OK;
}
