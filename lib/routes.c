// SPDX-License-Identifier: GPL-2.0
/*
 * The route model: add and delete routes in the pinned maps, list them.
 * Each change is one map update that the BPF programs see atomically;
 * entries are written so that a reader never finds a flag before the entry
 * it points at.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "hello.h"
#include "ksteer.h"

int ks_route_maps_open(struct ks_route_maps *m)
{
	m->alpn = m->ids = m->info = -1;
	m->routes = ks_map("ks_routes");
	if (m->routes < 0)
		return -1;
	m->alpn = ks_map("ks_alpn_routes");
	m->ids = ks_map("ks_route_ids");
	m->info = ks_map("ks_backend_info");
	return m->alpn < 0 || m->ids < 0 || m->info < 0 ? -1 : 0;
}

/* ksteerd reuses these functions on each reload: no descriptor may leak. */
void ks_route_maps_close(struct ks_route_maps *m)
{
	close(m->routes);
	close(m->alpn);
	close(m->ids);
	close(m->info);
}

static int ks_alpn_key(struct ks_alpn_key *ak, __u32 route_id, const char *proto)
{
	size_t n = strlen(proto);

	memset(ak, 0, sizeof(*ak));
	if (n == 0 || n > KS_ALPN_KEY_MAX)
		return -1;
	ak->route_id = route_id;
	ak->len = n;
	memcpy(ak->proto, proto, n);
	return 0;
}

/* The route for exactly this key. A lookup in the LPM trie returns the
 * longest prefix that matches: for "a.example" with only "*.example" in the
 * map, the wildcard's entry, which must not be taken for a.example's. */
static int ks_route_lookup(int routes, const struct ks_route_key *key, struct ks_route_val *val)
{
	if (bpf_map_lookup_elem(routes, key, val) || val->prefixlen != key->prefixlen)
		return -1;
	return 0;
}

static __u32 ks_new_route_id(int ids, const struct ks_route_key *key)
{
	for (int tries = 0; tries < 64; tries++) {
		__u32 id;

		if (getrandom(&id, sizeof(id), 0) != sizeof(id) || !id)
			continue;
		if (!bpf_map_update_elem(ids, &id, key, BPF_NOEXIST))
			return id;
	}
	return 0;
}

/* The key of host in space; 1 after saying why there is none. */
static int ks_route_key_of(const char *host, __u32 space, struct ks_route_key *key)
{
	if (!ks_route_key_in(host, space, key))
		return 0;
	if (space == KS_SPACE_SSH)
		return ks_err("SSH routes name no host");
	return ks_err("bad host '%s' (want NAME, *.SUFFIX or default)", host);
}

int ks_route_add(const char *host, __u32 space, const char *backend, const char *alpn)
{
	struct ks_route_maps m;
	struct ks_route_key key;
	struct ks_route_val val = {};
	struct ks_alpn_key ak;
	int err = 1;
	__u32 id;

	if (ks_route_key_of(host, space, &key))
		return 1;
	if (alpn && space != KS_SPACE_TLS)
		return ks_err("only TLS routes take an ALPN protocol");
	if (alpn && (strlen(alpn) == 0 || strlen(alpn) > KS_ALPN_KEY_MAX))
		return ks_err("bad ALPN protocol '%s' (1 to %d bytes)", alpn, KS_ALPN_KEY_MAX);
	if (ks_route_maps_open(&m))
		goto out;
	id = ks_backend_find(m.info, backend);
	if (!id) {
		ks_err("unknown backend '%s'", backend);
		goto out;
	}
	if (ks_route_lookup(m.routes, &key, &val)) {
		memset(&val, 0, sizeof(val));
		val.prefixlen = key.prefixlen;
		val.route_id = ks_new_route_id(m.ids, &key);
		if (!val.route_id) {
			ks_err("cannot allocate a route id: %s", strerror(errno));
			goto out;
		}
	}
	if (alpn) {
		ks_alpn_key(&ak, val.route_id, alpn);
		if (bpf_map_update_elem(m.alpn, &ak, &id, BPF_ANY)) {
			if (errno == E2BIG)
				ks_err("cannot add ALPN route: all %d are in use", KS_MAX_ALPN_ROUTES);
			else
				ks_err("cannot add ALPN route: %s", strerror(errno));
			goto out;
		}
		val.flags |= KS_RT_ALPN;
	} else {
		val.backend = id;
		val.flags |= KS_RT_PLAIN;
	}
	if (bpf_map_update_elem(m.routes, &key, &val, BPF_ANY))
		ks_err("cannot add route: %s", strerror(errno));
	else
		err = 0;
out:
	ks_route_maps_close(&m);
	return err;
}

static int ks_route_has_alpn(int alpn, __u32 route_id)
{
	struct ks_alpn_key k, *prev = NULL;

	while (!bpf_map_get_next_key(alpn, prev, &k)) {
		if (k.route_id == route_id)
			return 1;
		prev = &k;
	}
	return 0;
}

int ks_route_del(const char *host, __u32 space, const char *alpn)
{
	struct ks_route_maps m;
	struct ks_route_key key;
	struct ks_route_val val;
	struct ks_alpn_key ak;
	char where[16];
	int err = 1;

	if (ks_route_key_of(host, space, &key))
		return 1;
	ks_space_name(space, where, sizeof(where));
	if (ks_route_maps_open(&m))
		goto out;
	if (ks_route_lookup(m.routes, &key, &val)) {
		ks_err("no route for '%s'%s%s", host, space ? " on " : "", space ? where : "");
		goto out;
	}
	if (alpn) {
		if (ks_alpn_key(&ak, val.route_id, alpn) || bpf_map_delete_elem(m.alpn, &ak)) {
			ks_err("no route for '%s' with ALPN '%s'", host, alpn);
			goto out;
		}
		if (!ks_route_has_alpn(m.alpn, val.route_id))
			val.flags &= ~KS_RT_ALPN;
	} else {
		if (!(val.flags & KS_RT_PLAIN)) {
			ks_err("no route for '%s' without ALPN", host);
			goto out;
		}
		val.flags &= ~KS_RT_PLAIN;
		val.backend = 0;
	}
	if (!val.flags) {
		bpf_map_delete_elem(m.routes, &key);
		bpf_map_delete_elem(m.ids, &val.route_id);
	} else if (bpf_map_update_elem(m.routes, &key, &val, BPF_ANY)) {
		ks_err("cannot update route: %s", strerror(errno));
		goto out;
	}
	err = 0;
out:
	ks_route_maps_close(&m);
	return err;
}

int ks_route_row_cmp(const void *a, const void *b)
{
	const struct ks_route_row *x = a, *y = b;
	int c = x->space != y->space ? (x->space < y->space ? -1 : 1) : strcmp(x->host, y->host);

	return c ? c : strcmp(x->alpn, y->alpn);
}

static struct ks_route_row *ks_route_row_new(struct ks_route_row **rows, size_t *n, size_t *cap)
{
	struct ks_route_row *more;

	if (*n == *cap) {
		more = realloc(*rows, (*cap * 2 + 16) * sizeof(**rows));
		if (!more)
			return NULL;
		*rows = more;
		*cap = *cap * 2 + 16;
	}
	memset(&(*rows)[*n], 0, sizeof(**rows));
	return &(*rows)[(*n)++];
}

int ks_route_rows(struct ks_route_row **rows_out, size_t *n_out)
{
	struct ks_route_maps m;
	struct ks_route_key k, *prev = NULL, rk;
	struct ks_route_val v;
	struct ks_alpn_key ak, *aprev = NULL;
	struct ks_route_row *rows = NULL, *r;
	size_t n = 0, cap = 0;
	int err = 1;
	__u32 b;

	if (ks_route_maps_open(&m))
		goto out;
	while (!bpf_map_get_next_key(m.routes, prev, &k)) {
		prev = &k;
		if (bpf_map_lookup_elem(m.routes, &k, &v) || !(v.flags & KS_RT_PLAIN))
			continue;
		if (!(r = ks_route_row_new(&rows, &n, &cap)))
			goto nomem;
		ks_host_from_route_key(&k, r->host, sizeof(r->host));
		r->space = ks_route_key_space(&k);
		ks_backend_name(m.info, v.backend, r->backend, sizeof(r->backend));
	}
	while (!bpf_map_get_next_key(m.alpn, aprev, &ak)) {
		aprev = &ak;
		if (bpf_map_lookup_elem(m.alpn, &ak, &b) ||
		    bpf_map_lookup_elem(m.ids, &ak.route_id, &rk))
			continue;
		if (!(r = ks_route_row_new(&rows, &n, &cap)))
			goto nomem;
		ks_host_from_route_key(&rk, r->host, sizeof(r->host));
		memcpy(r->alpn, ak.proto, ak.len);
		r->has_alpn = 1;
		ks_backend_name(m.info, b, r->backend, sizeof(r->backend));
	}
	if (n)
		qsort(rows, n, sizeof(*rows), ks_route_row_cmp);
	*rows_out = rows;
	*n_out = n;
	rows = NULL;
	err = 0;
	goto out;
nomem:
	ks_err("out of memory");
out:
	free(rows);
	ks_route_maps_close(&m);
	return err;
}

