// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer: load, configure and observe the TLS steering fast path. The
 * command table is here: each command's name, summary and usage once,
 * from which args.c prints `ksteer --help`, every command's --help and
 * every usage error.
 */
#include "cli.h"

const struct ks_cmd ks_cmds[] = {
	{ "up", "load, attach or update the programs and the public side",
	  "-a ADDR [-a ADDR]... [-p PORT]... [-i IFACE]... [-c FILE] [--cgroup DIR] "
	  "[--fallback-only] [--reasm-entries N] [--quic] [--quic-entries N] [--tc-prio N]",
	  ks_up_opts, 0, 0, cmd_up },
	{ "down", "detach and unpin everything up made", "", NULL, 0, 0, cmd_down },
	{ "backend add", "name a backend: its listeners, or how ksteerd reaches it",
	  "NAME ADDR:PORT\n"
	  "NAME --pid PID [--fd FD] [--quic-sid CR:HEX]\n"
	  "NAME --proxy ADDR:PORT [--proxy-protocol]\n"
	  "NAME --handoff PATH",
	  ks_backend_add_opts, 1, 2, cmd_backend_add },
	{ "backend del", "remove a backend that no route uses", "NAME", NULL, 1, 1,
	  cmd_backend_del },
	{ "backend list", "the backends, their listeners and counters", "[-j]", ks_json_opts,
	  0, 0, cmd_backend_list },
	{ "route add", "send a host to a backend (--alpn: when the client offers PROTO; "
	  "--port: on a plain-HTTP port; --proto ssh: SSH on the TLS ports)",
	  "HOST BACKEND [--alpn PROTO]\n"
	  "HOST BACKEND --port PORT\n"
	  "--proto ssh BACKEND", ks_route_add_opts, 1, 2, cmd_route_add },
	{ "route del", "remove a route",
	  "HOST [--alpn PROTO]\n"
	  "HOST --port PORT\n"
	  "--proto ssh", ks_route_add_opts, 0, 1, cmd_route_del },
	{ "route list", "the routes", "[-j]", ks_json_opts, 0, 0, cmd_route_list },
	{ "route test", "which backend a ClientHello with this SNI and ALPN gets (a "
	  "request with this Host on HTTP port PORT, an SSH client)",
	  "HOST|- [--alpn PROTO]...\n"
	  "HOST|- --port PORT\n"
	  "--proto ssh", ks_route_test_opts, 0, 1, cmd_route_test },
	{ "stats", "every counter of the programs and of ksteerd", "[-j|--prometheus]",
	  ks_stats_opts, 0, 0, cmd_stats },
	{ "monitor", "each steering decision as it is made (Ctrl-C ends it)",
	  "[-j] [--sample N] [--count N]", ks_monitor_opts, 0, 0, cmd_monitor },
	{ "parse", "parse raw ClientHellos (--quic: QUIC Initials; --http: request heads) "
	  "as ksteer does",
	  "[--quic|--http] [-j] FILE...", ks_parse_opts, 1, -1, cmd_parse },
	{ "key set", "make the key in FILE (-: standard input) the SYN cookie key", "FILE|-",
	  NULL, 1, 1, cmd_key_set },
	{ "key rotate", "make a random SYN cookie key current", "", NULL, 0, 0, cmd_key_rotate },
	{ "key show", "the cookie keys' fingerprints, never a key", "", NULL, 0, 0, cmd_key_show },
	{ NULL },
};

int main(int argc, char **argv)
{
	return ks_dispatch(argc - 1, argv + 1);
}
