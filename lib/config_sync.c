// SPDX-License-Identifier: GPL-2.0
/*
 * Bring the pinned maps to a parsed config file (config.c): `ksteer up -c`
 * adds and updates; ksteerd -c also removes (prune) what the file no
 * longer has.
 *
 * The maps are read once and the file is checked against them before
 * anything is written, so a file that cannot apply changes nothing. Then
 * only what differs is written, with the CLI's own functions: an unchanged
 * backend or route is not touched, nor are the connections on it. The
 * order keeps every route pointing at a backend that exists:
 *
 *   1. addresses that a backend of the file takes from another are freed
 *      (that one gets another address from the file, or is removed in 5)
 *   2. new and changed backends of the file
 *   3. new and changed routes of the file
 *   4. prune: routes not in the file
 *   5. prune: backends neither in the file nor used by a route of it
 */
#include <bpf/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"

/* What the pinned maps hold before the change. */
struct ks_state {
	struct ks_backend_info be[KS_MAX_BACKENDS];   /* index: id; flags 0: free */
	struct ks_route_row *rows;                     /* by ks_route_row_cmp */
	size_t nrows;
};

static int ks_state_read(struct ks_state *s)
{
	int info = ks_map("ks_backend_info");

	if (info < 0)
		return -1;
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++)
		if (bpf_map_lookup_elem(info, &id, &s->be[id]) || !(s->be[id].flags & KS_BE_IN_USE))
			memset(&s->be[id], 0, sizeof(s->be[id]));
	close(info);
	return ks_route_rows(&s->rows, &s->nrows) ? -1 : 0;
}

static __u32 ks_state_find(const struct ks_state *s, const char *name)
{
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++)
		if (s->be[id].flags && !strcmp(s->be[id].name, name))
			return id;
	return 0;
}

/* The backend that owns listeners bound to a, or 0. */
static __u32 ks_state_owner(const struct ks_state *s, const struct ks_addr *a)
{
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++)
		if ((s->be[id].flags & KS_BE_HAS_ADDR) && !memcmp(&s->be[id].addr, a, sizeof(*a)))
			return id;
	return 0;
}

static bool ks_conf_uses(const struct ks_conf *c, const char *name)
{
	for (int i = 0; i < c->nrt; i++)
		if (!strcmp(c->rt[i].r.backend, name))
			return true;
	return false;
}

/* Step 5 removes it: pruning, and the file neither defines nor uses it. */
static bool ks_sync_removes(const struct ks_conf *c, const char *name, bool prune)
{
	return prune && !ks_conf_backend(c, name) && !ks_conf_uses(c, name);
}

static bool ks_same_addr(const struct ks_backend_info *a, const struct ks_backend_info *b)
{
	if ((a->flags ^ b->flags) & KS_BE_HAS_ADDR)
		return false;
	return !(a->flags & KS_BE_HAS_ADDR) || !memcmp(&a->addr, &b->addr, sizeof(a->addr));
}

static bool ks_same_via(const struct ks_backend_info *a, const struct ks_backend_info *b)
{
	if ((a->flags ^ b->flags) & (KS_BE_PROXY | KS_BE_PROXY_V2 | KS_BE_HANDOFF))
		return false;
	if ((a->flags & KS_BE_PROXY) && memcmp(&a->target, &b->target, sizeof(a->target)))
		return false;
	return !(a->flags & KS_BE_HANDOFF) || !strcmp(a->path, b->path);
}

/* The backend that keeps w's address from it: one that owns it now and
 * neither moves away (the file gives it another) nor goes (step 5). */
static const char *ks_addr_keeper(const struct ks_conf *c, const struct ks_state *s,
				  const struct ks_backend_info *w, bool prune)
{
	__u32 owner = ks_state_owner(s, &w->addr);
	const char *name = s->be[owner].name;

	if (!owner || !strcmp(name, w->name) || ks_conf_backend(c, name) ||
	    ks_sync_removes(c, name, prune))
		return NULL;
	return name;
}

/* What only the maps can tell: backends the routes name, addresses held by
 * backends that keep them, room for the new backends (added before any
 * is removed). */
static int ks_sync_check(const struct ks_conf *c, const struct ks_state *s, bool prune)
{
	int used = 0, fresh = 0;
	const char *keeper;
	char addr[80];

	for (int i = 0; i < c->nrt; i++) {
		const struct ks_conf_route *r = &c->rt[i];

		if (ks_conf_backend(c, r->r.backend) || ks_state_find(s, r->r.backend))
			continue;
		ks_conf_at(c, r->line);
		return ks_err("unknown backend '%s'", r->r.backend);
	}
	for (int i = 0; i < c->nbe; i++) {
		const struct ks_backend_info *w = &c->be[i].want;

		fresh += !ks_state_find(s, w->name);
		if (!(w->flags & KS_BE_HAS_ADDR) || !(keeper = ks_addr_keeper(c, s, w, prune)))
			continue;
		ks_conf_at(c, c->be[i].line);
		ks_format_addr(&w->addr, addr, sizeof(addr));
		return ks_err("address %s already belongs to backend '%s'", addr, keeper);
	}
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++)
		used += !!s->be[id].flags;
	if (used + fresh > KS_FALLBACK_ID - 1) {
		ks_conf_at(c, 0);
		return ks_err("too many backends: %d in use and %d new (max %d)", used, fresh,
			      KS_FALLBACK_ID - 1);
	}
	return 0;
}

/* Step 1. Unchanged backends never lose theirs: the file has each address once. */
static int ks_sync_take_addrs(const struct ks_conf *c, const struct ks_state *s)
{
	for (int i = 0; i < c->nbe; i++) {
		const struct ks_backend_info *w = &c->be[i].want;
		__u32 owner;

		if (!(w->flags & KS_BE_HAS_ADDR))
			continue;
		owner = ks_state_owner(s, &w->addr);
		if (!owner || !strcmp(s->be[owner].name, w->name))
			continue;
		ks_conf_at(c, c->be[i].line);
		if (ks_backend_drop_addr(s->be[owner].name))
			return -1;
	}
	return 0;
}

/* Step 2 for one backend; cur is what it was (flags 0: new). */
static int ks_sync_backend(const struct ks_backend_info *w, const struct ks_backend_info *cur)
{
	char addr[80], target[80];

	if (!ks_same_addr(w, cur)) {
		ks_format_addr(&w->addr, addr, sizeof(addr));
		if (w->flags & KS_BE_HAS_ADDR ? ks_backend_add_addr(w->name, addr)
					      : ks_backend_drop_addr(w->name))
			return -1;
	}
	if (ks_same_via(w, cur))
		return 0;
	ks_format_addr(&w->target, target, sizeof(target));
	return ks_backend_add_via(w->name, w->flags & KS_BE_PROXY ? target : NULL,
				  !!(w->flags & KS_BE_PROXY_V2),
				  w->flags & KS_BE_HANDOFF ? w->path : NULL) ? -1 : 0;
}

static int ks_sync_backends(const struct ks_conf *c, const struct ks_state *s,
			    struct ks_conf_diff *d)
{
	static const struct ks_backend_info none;

	for (int i = 0; i < c->nbe; i++) {
		const struct ks_backend_info *w = &c->be[i].want;
		__u32 id = ks_state_find(s, w->name);
		const struct ks_backend_info *cur = id ? &s->be[id] : &none;

		if (id && ks_same_addr(w, cur) && ks_same_via(w, cur))
			continue;
		ks_conf_at(c, c->be[i].line);
		if (ks_sync_backend(w, cur))
			return -1;
		if (id)
			d->changed++;
		else
			d->added++;
	}
	return 0;
}

/* Step 3. An existing route's update is one map write: no gap. */
static int ks_sync_routes(const struct ks_conf *c, const struct ks_state *s,
			  struct ks_conf_diff *d)
{
	for (int i = 0; i < c->nrt; i++) {
		const struct ks_route_row *r = &c->rt[i].r, *have;

		have = bsearch(r, s->rows, s->nrows, sizeof(*s->rows), ks_route_row_cmp);
		if (have && !strcmp(have->backend, r->backend))
			continue;
		ks_conf_at(c, c->rt[i].line);
		if (ks_route_add(r->host, r->space, r->backend, r->has_alpn ? r->alpn : NULL))
			return -1;
		if (have)
			d->changed++;
		else
			d->added++;
	}
	return 0;
}

/* Steps 4 and 5. */
static int ks_sync_prune(const struct ks_conf *c, const struct ks_state *s,
			 struct ks_conf_diff *d)
{
	ks_conf_at(c, 0);
	for (size_t j = 0; j < s->nrows; j++) {
		const struct ks_route_row *r = &s->rows[j];

		/* c->rt is sorted, and its elements start with a ks_route_row. */
		if (bsearch(r, c->rt, c->nrt, sizeof(*c->rt), ks_route_row_cmp))
			continue;
		if (ks_route_del(r->host, r->space, r->has_alpn ? r->alpn : NULL))
			return -1;
		d->removed++;
	}
	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++) {
		if (!s->be[id].flags || !ks_sync_removes(c, s->be[id].name, true))
			continue;
		if (ks_backend_del(s->be[id].name))
			return -1;
		d->removed++;
	}
	return 0;
}

enum ks_sync_result ks_conf_sync(const struct ks_conf *c, bool prune, struct ks_conf_diff *d)
{
	struct ks_state *s = calloc(1, sizeof(*s));
	enum ks_sync_result res = KS_SYNC_REJECTED;

	memset(d, 0, sizeof(*d));
	if (!s)
		return ks_err("out of memory"), KS_SYNC_REJECTED;
	if (ks_state_read(s) || ks_sync_check(c, s, prune))
		goto out;
	res = KS_SYNC_PARTIAL;
	if (ks_sync_take_addrs(c, s) || ks_sync_backends(c, s, d) || ks_sync_routes(c, s, d) ||
	    (prune && ks_sync_prune(c, s, d)))
		goto out;
	res = KS_SYNC_OK;
out:
	ks_err_context = NULL;
	free(s->rows);
	free(s);
	return res;
}
