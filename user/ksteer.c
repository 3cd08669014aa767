// SPDX-License-Identifier: GPL-2.0
/* ksteer: load, configure and observe the TLS steering fast path. */
#include <stdio.h>
#include <string.h>
#include "ksteer.h"

static const struct {
	const char *name;
	int (*fn)(int, char **);
} ks_cmds[] = {
	{ "up", cmd_up },         { "down", cmd_down },   { "backend", cmd_backend },
	{ "route", cmd_route },   { "stats", cmd_stats }, { "parse", cmd_parse },
	{ "key", cmd_key },
};

static void ks_usage(FILE *out)
{
	fputs("usage: ksteer COMMAND ...\n"
	      "  up [-c FILE] [-i IFACE]... [-p PORT] [--cgroup DIR] [--fallback-only]\n"
	      "     [--reasm-entries N] [--quic] [--quic-entries N]\n"
	      "  down\n"
	      "  backend add NAME ADDR:PORT | backend add NAME --pid PID [--fd FD] [--quic-sid CR:HEX]\n"
	      "  backend add NAME --proxy ADDR:PORT [--proxy-protocol] | backend add NAME --handoff PATH\n"
	      "  backend del NAME | backend list [-j]\n"
	      "  route add HOST BACKEND [--alpn PROTO] | route del HOST [--alpn PROTO]\n"
	      "  route list [-j] | route test HOST|- [--alpn PROTO]...\n"
	      "  stats [-j]\n"
	      "  parse [--quic] [-j] FILE...\n"
	      "  key set FILE|- | key rotate | key show\n", out);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return ks_usage(stderr), 2;
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return ks_usage(stdout), 0;
	for (size_t i = 0; i < sizeof(ks_cmds) / sizeof(ks_cmds[0]); i++)
		if (!strcmp(argv[1], ks_cmds[i].name))
			return ks_cmds[i].fn(argc - 1, argv + 1);
	return ks_err("unknown command '%s' (ksteer --help lists them)", argv[1]);
}
