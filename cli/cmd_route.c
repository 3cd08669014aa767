// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer route add|del|list|test: the arguments and the printing; the
 * changes are the route model's (lib/routes.c).
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>
#include "hello.h"
#include "cli.h"

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
