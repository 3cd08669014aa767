// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer route add|del|list. Each change is one map update that the BPF
 * programs see atomically; entries are written so that a reader never finds
 * a flag before the entry it points at.
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

struct ks_route_maps {
	int routes, alpn, ids, info;
};

/* On failure the ones opened stay open: ks_route_maps_close them too. */
static int ks_route_maps_open(struct ks_route_maps *m)
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
static void ks_route_maps_close(struct ks_route_maps *m)
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

int ks_route_add(const char *host, const char *backend, const char *alpn)
{
	struct ks_route_maps m;
	struct ks_route_key key;
	struct ks_route_val val = {};
	struct ks_alpn_key ak;
	int err = 1;
	__u32 id;

	if (ks_route_key_from_host(host, &key))
		return ks_err("bad host '%s' (want NAME, *.SUFFIX or default)", host);
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

int ks_route_del(const char *host, const char *alpn)
{
	struct ks_route_maps m;
	struct ks_route_key key;
	struct ks_route_val val;
	struct ks_alpn_key ak;
	int err = 1;

	if (ks_route_key_from_host(host, &key))
		return ks_err("bad host '%s' (want NAME, *.SUFFIX or default)", host);
	if (ks_route_maps_open(&m))
		goto out;
	if (ks_route_lookup(m.routes, &key, &val)) {
		ks_err("no route for '%s'", host);
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
	int c = strcmp(x->host, y->host);

	return c ? c : strcmp(x->alpn, y->alpn);
}

static void ks_row_print(const struct ks_route_row *r, int json, int first)
{
	if (!json) {
		printf("%-40s %-16s %s\n", r->host, r->has_alpn ? r->alpn : "-", r->backend);
		return;
	}
	printf("%s{\"host\":", first ? "" : ",");
	ks_json_str(stdout, r->host, strlen(r->host));
	printf(",\"alpn\":");
	ks_json_str(stdout, r->has_alpn ? r->alpn : NULL, strlen(r->alpn));
	printf(",\"backend\":");
	ks_json_str(stdout, r->backend, strlen(r->backend));
	printf("}");
}

/* A free row at the end of *rows, grown as needed; NULL when out of memory. */
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

static int ks_route_list(int json)
{
	struct ks_route_row *rows;
	size_t n;

	if (ks_route_rows(&rows, &n))
		return 1;
	if (json)
		printf("[");
	else if (n)
		printf("%-40s %-16s %s\n", "HOST", "ALPN", "BACKEND");
	for (size_t i = 0; i < n; i++)
		ks_row_print(&rows[i], json, i == 0);
	if (json)
		printf("]\n");
	free(rows);
	return 0;
}

/* ksteer route test HOST [--alpn PROTO]...: the backend the kernel picks. */
static int ks_route_test(int argc, char **argv)
{
	static struct ks_scratch s;
	struct ks_route_maps m;
	size_t n = strlen(argv[0]), off = 0;
	char name[64];
	__u32 id;

	memset(&s.hello, 0, sizeof(s.hello));
	if (strcmp(argv[0], "-")) {
		if (n > KS_SNI_MAX)
			return ks_err("host name longer than %d bytes", KS_SNI_MAX);
		for (size_t i = 0; i < n; i++)
			s.hello.sni[i] = argv[0][i] >= 'A' && argv[0][i] <= 'Z' ? argv[0][i] + 32 : argv[0][i];
		s.hello.sni_len = n;
	}
	for (int i = 1; i < argc; i++) {
		size_t len = strlen(argv[i + 1 < argc ? i + 1 : i]);

		if (strcmp(argv[i], "--alpn") || i + 1 >= argc || !len || len > 255 ||
		    s.hello.alpn_count == KS_MAX_ALPN)
			return ks_err("usage: ksteer route test HOST|- [--alpn PROTO]...");
		memcpy(&s.hs[off], argv[++i], len);
		s.hello.alpn_off[s.hello.alpn_count] = off;
		s.hello.alpn_len[s.hello.alpn_count++] = len;
		off += len;
	}
	if (ks_route_maps_open(&m)) {
		ks_route_maps_close(&m);
		return 1;
	}
	id = ks_route_user(m.routes, m.alpn, &s);
	if (id)
		ks_backend_name(m.info, id, name, sizeof(name));
	ks_route_maps_close(&m);
	printf("%s\n", id ? name : "no route");
	return !id;
}

int cmd_route(int argc, char **argv)
{
	const char *usage = "usage: ksteer route add HOST BACKEND [--alpn PROTO] | "
			    "route del HOST [--alpn PROTO] | route list [-j] | "
			    "route test HOST|- [--alpn PROTO]...";

	if (argc < 2)
		return ks_err("%s", usage);
	if (!strcmp(argv[1], "add")) {
		if (argc == 4)
			return ks_route_add(argv[2], argv[3], NULL);
		if (argc == 6 && !strcmp(argv[4], "--alpn"))
			return ks_route_add(argv[2], argv[3], argv[5]);
	} else if (!strcmp(argv[1], "del")) {
		if (argc == 3)
			return ks_route_del(argv[2], NULL);
		if (argc == 5 && !strcmp(argv[3], "--alpn"))
			return ks_route_del(argv[2], argv[4]);
	} else if (!strcmp(argv[1], "test") && argc >= 3) {
		return ks_route_test(argc - 2, argv + 2);
	} else if (!strcmp(argv[1], "list")) {
		if (argc == 2 || (argc == 3 && !strcmp(argv[2], "-j")))
			return ks_route_list(argc == 3);
	}
	return ks_err("%s", usage);
}
