/* SPDX-License-Identifier: GPL-2.0 */
/* The config file: its parser (config.c), bringing the pinned maps to it
 * (config_sync.c), and ksteerd's reload (fb_config.c). */
#ifndef KS_CONFIG_H
#define KS_CONFIG_H

#include "ksteer.h"

struct ks_conf_backend {
	struct ks_backend_info want;  /* name, KS_BE_* and fields as its line states */
	int line;
};

struct ks_conf_route {
	struct ks_route_row r;        /* first: ks_route_row_cmp compares these too */
	int line;
};

struct ks_conf {
	const char *path;
	struct ks_conf_backend *be;   /* in file order */
	struct ks_conf_route *rt;     /* sorted by ks_route_row_cmp */
	int nbe, nrt;
	int be_cap, rt_cap;
	/* public/port lines: read by `ksteer up` only (they decide which
	 * interfaces carry the programs); ksteerd's reload leaves them. */
	struct ks_addr pub[KS_MAX_PUBLIC];
	int npub;
	unsigned int ports[KS_MAX_PORTS];
	int http[KS_MAX_PORTS];       /* ports[i] speaks plain HTTP */
	int nports;
};

struct ks_conf_diff {
	int added, removed, changed;  /* backends and routes together */
};

/* Read and check FILE whole; on error print "FILE:LINE: message", free
 * what was read and return 1. */
int ks_conf_parse(const char *path, struct ks_conf *c);
void ks_conf_free(struct ks_conf *c);
/* The backend FILE defines under name, or NULL. */
const struct ks_conf_backend *ks_conf_backend(const struct ks_conf *c, const char *name);
/* Errors that follow are prefixed "FILE:LINE" (line 0: "FILE"). */
void ks_conf_at(const struct ks_conf *c, int line);

enum ks_sync_result {
	KS_SYNC_OK,
	KS_SYNC_REJECTED,             /* checked against the maps: nothing changed */
	KS_SYNC_PARTIAL,              /* a map update failed part way */
};

/* Add and update what c states; with prune, also remove routes and
 * backends it does not have (a backend one of its routes uses stays). */
enum ks_sync_result ks_conf_sync(const struct ks_conf *c, bool prune, struct ks_conf_diff *d);

#endif
