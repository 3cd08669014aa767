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

/* Every route, as a table or as one JSON array. */
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

enum { KS_OPT_ALPN = KS_LONG_ONLY };

const struct ks_opt ks_route_alpn_opts[] = {
	{ KS_OPT_ALPN, "alpn", "PROTO", "the route applies when the client offers PROTO" },
	{ 0 },
};

const struct ks_opt ks_route_test_opts[] = {
	{ KS_OPT_ALPN, "alpn", "PROTO", "a protocol the client offers (repeatable, in its order)" },
	{ 0 },
};

/* The --alpn options into the hello's ALPN list, in the order given. */
static int ks_route_test_alpn(const struct ks_env *e, struct ks_scratch *s)
{
	size_t off = 0;

	for (const struct ks_optarg *o = e->opts; o->val; o++) {
		size_t len = strlen(o->arg);

		if (!len || len > 255)
			return ks_err("bad ALPN '%s' (1 to 255 bytes)", o->arg);
		if (s->hello.alpn_count == KS_MAX_ALPN)
			return ks_err("more than %d --alpn", KS_MAX_ALPN);
		memcpy(&s->hs[off], o->arg, len);
		s->hello.alpn_off[s->hello.alpn_count] = off;
		s->hello.alpn_len[s->hello.alpn_count++] = len;
		off += len;
	}
	return 0;
}

/* ksteer route test HOST|- [--alpn PROTO]...: the backend the kernel picks. */
int cmd_route_test(const struct ks_env *e)
{
	static struct ks_scratch s;
	const char *host = e->args[0];
	struct ks_route_maps m;
	size_t n = strlen(host);
	char name[64];
	__u32 id;

	memset(&s.hello, 0, sizeof(s.hello));
	if (strcmp(host, "-")) {
		if (n > KS_SNI_MAX)
			return ks_err("host name longer than %d bytes", KS_SNI_MAX);
		for (size_t i = 0; i < n; i++)
			s.hello.sni[i] = host[i] >= 'A' && host[i] <= 'Z' ? host[i] + 32 : host[i];
		s.hello.sni_len = n;
	}
	if (ks_route_test_alpn(e, &s))
		return 1;
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

int cmd_route_add(const struct ks_env *e)
{
	return ks_route_add(e->args[0], e->args[1], ks_opt_arg(e, KS_OPT_ALPN));
}

int cmd_route_del(const struct ks_env *e)
{
	return ks_route_del(e->args[0], ks_opt_arg(e, KS_OPT_ALPN));
}

int cmd_route_list(const struct ks_env *e)
{
	return ks_route_list(ks_opt_given(e, 'j'));
}
