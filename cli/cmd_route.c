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
	char on[16];

	ks_space_name(r->space, on, sizeof(on));
	if (!json) {
		printf("%-40s %-16s %-10s %s\n", r->host, r->has_alpn ? r->alpn : "-", on,
		       r->backend);
		return;
	}
	printf("%s{\"host\":", first ? "" : ",");
	ks_json_str(stdout, r->host, strlen(r->host));
	printf(",\"proto\":\"%s\",\"port\":", ks_space_proto(r->space));
	if (r->space >> 24 == KS_SPACE_TAG_HTTP)
		printf("%u", r->space & 0xffff);
	else
		printf("null");
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
		printf("%-40s %-16s %-10s %s\n", "HOST", "ALPN", "ON", "BACKEND");
	for (size_t i = 0; i < n; i++)
		ks_row_print(&rows[i], json, i == 0);
	if (json)
		printf("]\n");
	free(rows);
	return 0;
}

enum { KS_OPT_ALPN = KS_LONG_ONLY, KS_OPT_PORT, KS_OPT_PROTO };

const struct ks_opt ks_route_add_opts[] = {
	{ KS_OPT_ALPN, "alpn", "PROTO", "the route applies when the client offers PROTO" },
	{ KS_OPT_PORT, "port", "PORT", "the route is for requests on the plain-HTTP public "
				       "port PORT, by their Host (else: the TLS ports, by SNI)" },
	{ KS_OPT_PROTO, "proto", "PROTO", "ssh (the only one): the route is for SSH clients on "
					  "the TLS ports (no HOST)" },
	{ 0 },
};

const struct ks_opt ks_route_test_opts[] = {
	{ KS_OPT_ALPN, "alpn", "PROTO", "a protocol the client offers (repeatable, in its order)" },
	{ KS_OPT_PORT, "port", "PORT", "a request on the plain-HTTP public port PORT" },
	{ KS_OPT_PROTO, "proto", "PROTO", "ssh: an SSH client on a TLS port" },
	{ 0 },
};

/* The route space the options name, and the host operand ("default" for
 * SSH's); 1 after saying what is wrong. others: the operands the command
 * takes besides HOST (route add's BACKEND). */
static int ks_route_where(const struct ks_env *e, int others, __u32 *space, const char **host)
{
	const char *port = ks_opt_arg(e, KS_OPT_PORT), *proto = ks_opt_arg(e, KS_OPT_PROTO);
	unsigned int p;
	int http;

	*space = KS_SPACE_TLS;
	*host = NULL;
	if (proto) {
		if (strcmp(proto, "ssh"))
			return ks_err("bad --proto '%s' (only ssh)", proto);
		if (port || ks_opt_given(e, KS_OPT_ALPN))
			return ks_err("--proto ssh takes no --port or --alpn");
		if (e->nargs != others)
			return ks_err("--proto ssh takes no HOST");
		*space = KS_SPACE_SSH;
		*host = "default";
		return 0;
	}
	if (e->nargs != others + 1)
		return ks_err("expected HOST (or --proto ssh)");
	*host = e->args[0];
	if (!port)
		return 0;
	if (ks_opt_given(e, KS_OPT_ALPN))
		return ks_err("routes with --port take no --alpn (HTTP has no ALPN)");
	if (ks_port_spec(port, &p, &http) || strchr(port, ':'))
		return ks_err("bad --port '%s' (1 to 65535)", port);
	*space = KS_SPACE_HTTP(p);
	return 0;
}

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

/* ksteer route test HOST|- [--alpn PROTO]... [--port PORT] | --proto ssh:
 * the backend the kernel picks. */
int cmd_route_test(const struct ks_env *e)
{
	static struct ks_scratch s;
	const char *host;
	struct ks_route_maps m;
	size_t n;
	char name[64];
	__u32 id, space;

	if (ks_route_where(e, 0, &space, &host))
		return 1;
	n = strlen(host);
	memset(&s.hello, 0, sizeof(s.hello));
	s.hello.space = space;
	if (space != KS_SPACE_SSH && strcmp(host, "-")) {
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
	const char *host;
	__u32 space;

	if (ks_route_where(e, 1, &space, &host))
		return 1;
	if (ks_route_add(host, space, e->args[e->nargs - 1], ks_opt_arg(e, KS_OPT_ALPN)))
		return 1;
	/* Added all the same: `up` may make it one later. */
	if (space >> 24 == KS_SPACE_TAG_HTTP && !ks_port_is_http(space & 0xffff))
		fprintf(stderr, "ksteer: port %u is not a plain-HTTP public port (up -p http:%u): "
			"the route serves nothing until it is\n", space & 0xffff, space & 0xffff);
	return 0;
}

int cmd_route_del(const struct ks_env *e)
{
	const char *host;
	__u32 space;

	if (ks_route_where(e, 0, &space, &host))
		return 1;
	return ks_route_del(host, space, ks_opt_arg(e, KS_OPT_ALPN));
}

int cmd_route_list(const struct ks_env *e)
{
	return ks_route_list(ks_opt_given(e, 'j'));
}
