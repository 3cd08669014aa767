// SPDX-License-Identifier: GPL-2.0
/*
 * The config file for `ksteer up -c FILE`: one directive per line, the same
 * words as the CLI.
 *
 *   # comment
 *   backend NAME ADDR:PORT
 *   route HOST BACKEND [alpn PROTO]
 *
 * HOST is an exact name, *.suffix or default. The file is applied in order;
 * the first bad line stops it with "FILE:LINE: message".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ksteer.h"

int ks_apply_config(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int lineno = 0;

	if (!f)
		return ks_err("cannot read config %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *w[6], *save = NULL, *t, where[300];
		int n = 0, err = 0;

		lineno++;
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (strchr(line, '#'))
			*strchr(line, '#') = 0;
		for (t = strtok_r(line, " \t\r\n", &save); t && n < 6;
		     t = strtok_r(NULL, " \t\r\n", &save))
			w[n++] = t;
		if (n == 0)
			continue;
		ks_err_context = where;
		if (!strcmp(w[0], "backend") && n == 3)
			err = ks_backend_add_addr(w[1], w[2]);
		else if (!strcmp(w[0], "route") && n == 3)
			err = ks_route_add(w[1], w[2], NULL);
		else if (!strcmp(w[0], "route") && n == 5 && !strcmp(w[3], "alpn"))
			err = ks_route_add(w[1], w[2], w[4]);
		else
			err = ks_err("expected 'backend NAME ADDR:PORT' or "
				     "'route HOST BACKEND [alpn PROTO]'");
		ks_err_context = NULL;
		if (err) {
			fclose(f);
			return err;
		}
	}
	fclose(f);
	return 0;
}
