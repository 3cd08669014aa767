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
#include "hello.h"
#include "ksteer.h"

struct ks_route_maps {
	int routes, alpn, ids, info;
};

static int ks_route_maps_open(struct ks_route_maps *m)
{
	m->routes = ks_map("ks_routes");
	if (m->routes < 0)
		return -1;
	m->alpn = ks_map("ks_alpn_routes");
	m->ids = ks_map("ks_route_ids");
	m->info = ks_map("ks_backend_info");
	return m->alpn < 0 || m->ids < 0 || m->info < 0 ? -1 : 0;
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
	__u32 id;

	if (ks_route_key_from_host(host, &key))
		return ks_err("bad host '%s' (want NAME, *.SUFFIX or default)", host);
	if (alpn && (strlen(alpn) == 0 || strlen(alpn) > KS_ALPN_KEY_MAX))
		return ks_err("bad ALPN protocol '%s' (1 to %d bytes)", alpn, KS_ALPN_KEY_MAX);
	if (ks_route_maps_open(&m))
		return 1;
	id = ks_backend_find(m.info, backend);
	if (!id)
		return ks_err("unknown backend '%s'", backend);
	if (bpf_map_lookup_elem(m.routes, &key, &val)) {
		memset(&val, 0, sizeof(val));
		val.prefixlen = key.prefixlen;
		val.route_id = ks_new_route_id(m.ids, &key);
		if (!val.route_id)
			return ks_err("cannot allocate a route id: %s", strerror(errno));
	}
	if (alpn) {
		ks_alpn_key(&ak, val.route_id, alpn);
		if (bpf_map_update_elem(m.alpn, &ak, &id, BPF_ANY))
			return ks_err("cannot add ALPN route: %s", strerror(errno));
		val.flags |= KS_RT_ALPN;
	} else {
		val.backend = id;
		val.flags |= KS_RT_PLAIN;
	}
	if (bpf_map_update_elem(m.routes, &key, &val, BPF_ANY))
		return ks_err("cannot add route: %s", strerror(errno));
	return 0;
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

static int ks_route_del(const char *host, const char *alpn)
{
	struct ks_route_maps m;
	struct ks_route_key key;
	struct ks_route_val val;
	struct ks_alpn_key ak;

	if (ks_route_key_from_host(host, &key))
		return ks_err("bad host '%s' (want NAME, *.SUFFIX or default)", host);
	if (ks_route_maps_open(&m))
		return 1;
	if (bpf_map_lookup_elem(m.routes, &key, &val))
		return ks_err("no route for '%s'", host);
	if (alpn) {
		if (ks_alpn_key(&ak, val.route_id, alpn) || bpf_map_delete_elem(m.alpn, &ak))
			return ks_err("no route for '%s' with ALPN '%s'", host, alpn);
		if (!ks_route_has_alpn(m.alpn, val.route_id))
			val.flags &= ~KS_RT_ALPN;
	} else {
		if (!(val.flags & KS_RT_PLAIN))
			return ks_err("no route for '%s' without ALPN", host);
		val.flags &= ~KS_RT_PLAIN;
		val.backend = 0;
	}
	if (!val.flags) {
		bpf_map_delete_elem(m.routes, &key);
		bpf_map_delete_elem(m.ids, &val.route_id);
	} else if (bpf_map_update_elem(m.routes, &key, &val, BPF_ANY)) {
		return ks_err("cannot update route: %s", strerror(errno));
	}
	return 0;
}

struct ks_route_row {
	char host[300];
	char alpn[KS_ALPN_KEY_MAX + 1];
	int has_alpn;
	char backend[64];
};

static int ks_row_cmp(const void *a, const void *b)
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

static int ks_route_list(int json)
{
	struct ks_route_maps m;
	struct ks_route_key k, *prev = NULL, rk;
	struct ks_route_val v;
	struct ks_alpn_key ak, *aprev = NULL;
	struct ks_route_row *rows = NULL;
	size_t n = 0, cap = 0;
	__u32 b;

	if (ks_route_maps_open(&m))
		return 1;
	while (!bpf_map_get_next_key(m.routes, prev, &k)) {
		prev = &k;
		if (bpf_map_lookup_elem(m.routes, &k, &v) || !(v.flags & KS_RT_PLAIN))
			continue;
		if (n == cap && !(rows = realloc(rows, (cap = cap * 2 + 16) * sizeof(*rows))))
			return ks_err("out of memory");
		memset(&rows[n], 0, sizeof(rows[n]));
		ks_host_from_route_key(&k, rows[n].host, sizeof(rows[n].host));
		ks_backend_name(m.info, v.backend, rows[n].backend, sizeof(rows[n].backend));
		n++;
	}
	while (!bpf_map_get_next_key(m.alpn, aprev, &ak)) {
		aprev = &ak;
		if (bpf_map_lookup_elem(m.alpn, &ak, &b) ||
		    bpf_map_lookup_elem(m.ids, &ak.route_id, &rk))
			continue;
		if (n == cap && !(rows = realloc(rows, (cap = cap * 2 + 16) * sizeof(*rows))))
			return ks_err("out of memory");
		memset(&rows[n], 0, sizeof(rows[n]));
		ks_host_from_route_key(&rk, rows[n].host, sizeof(rows[n].host));
		memcpy(rows[n].alpn, ak.proto, ak.len);
		rows[n].has_alpn = 1;
		ks_backend_name(m.info, b, rows[n].backend, sizeof(rows[n].backend));
		n++;
	}
	if (n)
		qsort(rows, n, sizeof(*rows), ks_row_cmp);
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
	if (ks_route_maps_open(&m))
		return 1;
	id = ks_route_user(m.routes, m.alpn, &s);
	if (!id) {
		printf("no route\n");
		return 1;
	}
	ks_backend_name(m.info, id, name, sizeof(name));
	printf("%s\n", name);
	return 0;
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
