/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libksteer (lib/): what ksteer, ksteerd and the tests share in userspace:
 * errors, pinned maps, addresses, route keys, public addresses, listener
 * registration, cookie keys, and the backend and route model. Nothing here
 * includes a program's headers.
 */
#ifndef KSTEER_H
#define KSTEER_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include "ksteer_abi.h"

/* Print "PROG: <msg>" on stderr (one line) and return 1 (exit status). */
int ks_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* PROG: the program's own name, "ksteer" unless its main sets another
 * before anything else (ksteerd); read-only from then on. */
extern const char *ks_prog;
/* When set, ks_err prefixes it: "FILE:LINE" while applying a config. */
extern const char *ks_err_context;

/* The pin directory: KSTEER_PIN_DIR or KS_PIN_DIR. */
const char *ks_pin_dir(void);

struct bpf_object;
/* Size the programs' per-CPU work arrays before load; 0 or -1. */
int ks_size_cpu_maps(struct bpf_object *obj);
/* Size the reassembly tables for that many held flows (before load). */
int ks_reasm_size(struct bpf_object *obj, __u32 flows);
/* Fill a reassembly pool's queue of free chunks (after load); 0 or -1. */
int ks_reasm_pool_fill(struct bpf_object *obj);

/* Open a pinned map by name; on failure print why and return -1. */
int ks_map(const char *name);
/* Counter id of a per-CPU __u64 array, summed over the CPUs. */
__u64 ks_stat_sum(int stats_fd, __u32 id);

/* Parse "1.2.3.4:443", "[::1]:443"; 0 on success. */
int ks_parse_addr(const char *s, struct ks_addr *a);
/* Parse an address without a port ("1.2.3.4", "::1", "[::1]"); 0 on success. */
int ks_parse_ip(const char *s, struct ks_addr *a);
void ks_format_addr(const struct ks_addr *a, char *buf, size_t len);

/* Host route names: "default", "*.suffix" or an exact name; builds the key. */
int ks_route_key_from_host(const char *host, struct ks_route_key *key);
void ks_host_from_route_key(const struct ks_route_key *key, char *buf, size_t len);
/* The same in a route space (ksteer_abi.h): SSH's has "default" only. */
int ks_route_key_in(const char *host, __u32 space, struct ks_route_key *key);
__u32 ks_route_key_space(const struct ks_route_key *key);
/* A route space as words: "tls", "http:80", "ssh"; its protocol alone. */
void ks_space_name(__u32 space, char *buf, size_t len);
const char *ks_space_proto(__u32 space);
/* A public port as -p and `port` take it: [tls:|http:]PORT, a bare 80
 * plain HTTP, any other TLS. Into *port (host order) and *http. */
int ks_port_spec(const char *s, unsigned int *port, int *http);

/* Backend ids by name; 0 when absent. */
__u32 ks_backend_find(int info_fd, const char *name);
int ks_backend_name(int info_fd, __u32 id, char *buf, size_t len);

/* The public addresses and ports (public.c). */
int ks_public_write(const struct ks_addr *addrs, int n);   /* ks_public = exactly these */
int ks_public_ports(unsigned int ports[KS_MAX_PORTS]);     /* host order; how many */
int ks_port_is_public(unsigned int port);
/* 1 when port (host order) is a public plain-HTTP port (ks_config). */
int ks_port_is_http(unsigned int port);
int ks_addr_is_public(const struct ks_addr *a);             /* with its port */
int ks_public_ifaces(const struct ks_addr *addrs, int n, int *local, char **names, int max);
int ks_iface_carries(const char *name, const struct ks_addr *addrs, int n);

/* Register a listening socket fd under backend id; 0 or -errno: -EXDEV a
 * socket of another network namespace, -EPROTONOSUPPORT an MPTCP one. */
int ks_register_listener(__u32 backend, int sock_fd, bool attach_reuseport);
/* sock_fd into ks_listeners (fd map) at key with flags, its TCP slot first
 * marked in ks_slot_used (fd used; -1: not marked), where TC looks. */
int ks_listener_put(int map, int used, const struct ks_slot *key, int sock_fd, __u64 flags);
/* Mark in ks_slot_used every TCP slot ks_listeners holds (`up`: listeners
 * registered before that map existed). */
int ks_slot_used_sync(void);
int ks_register_udp(__u32 backend, int sock_fd, const struct ks_quic_sid *sid);
/* One line saying why listener registration failed with err (-errno). */
const char *ks_register_strerror(int err);
/* Take every listener bound to addr, from every process in this netns. */
int ks_adopt_listeners(__u32 backend, const struct ks_addr *addr, int *adopted);
/* Attach our sk_reuseport program to every SO_REUSEPORT group on port. */
int ks_steer_port_groups(unsigned int port, int *groups);
/* Re-take the listeners of every backend configured by address. */
int ks_adopt_all(void);

/* The SYN cookie keys in ks_keys (keys.c). ks_keys_read: 1 and *k, 0 when
 * none is published yet, -1 (errno). ks_keys_publish: 0 or -1 (errno).
 * The others print one error line and return 1 on failure, 0 on success:
 * ks_keys_change makes key the current one (the current one becomes the
 * previous, accepted one more slot; nothing changes if key is current
 * already); ks_keys_init publishes a random key if there is none. */
__u64 ks_tai_now_ns(void);
int ks_keys_read(int outer_fd, struct ks_cookie_keys *k);
int ks_keys_publish(int outer_fd, const struct ks_cookie_keys *k);
int ks_keys_change(int outer_fd, const __u64 key[2]);
int ks_keys_random(__u64 key[2]);
int ks_keys_init(int outer_fd);
/* A key as `key set` reads it: 32 hex digits, optionally one newline; 0 or -1. */
int ks_key_parse(const char *buf, size_t n, __u64 key[2]);
/* What `key show` prints of a key: a MAC under it, never the key. */
__u64 ks_key_fingerprint(const __u64 key[2]);

struct ks_scratch;
/* shared/route.h on the pinned maps: backend id for a parsed hello, 0 if none. */
__u32 ks_route_user(int routes_fd, int alpn_fd, struct ks_scratch *s);

/*
 * The backend and route model (backends.c, routes.c): the CLI's edits and
 * the config file's (config.c, config_sync.c). Each prints one error line
 * and returns 1 on failure, 0 on success, and closes every map it opened
 * (ksteerd calls them on each reload).
 */
int ks_backend_name_ok(const char *name);
int ks_backend_path_ok(const char *path);
int ks_backend_add_addr(const char *name, const char *addr);
/* proxy (v2: with a PROXY v2 header) or path; neither: not served by ksteerd. */
int ks_backend_add_via(const char *name, const char *proxy, int v2, const char *path);
int ks_backend_drop_addr(const char *name);
int ks_backend_del(const char *name);
/* Take the listeners of process pid (only_fd: that descriptor alone, -1:
 * all) for backend name; UDP ones with the QUIC-LB server id sid. */
int ks_backend_add_pid(const char *name, int pid, int only_fd, const struct ks_quic_sid *sid);
/* QUIC servers that restart (quic_servers.c): pid's own cgroup recorded
 * for backend; ksteerd's adoption of processes that bound the port again. */
void ks_quic_note_cgroup(__u32 backend, int pid, const char *name);
int ks_quic_adopt(int binds_fd, __u64 settle_ns);
int ks_route_add(const char *host, __u32 space, const char *backend, const char *alpn);
int ks_route_del(const char *host, __u32 space, const char *alpn);

/* The route maps, opened together; on failure the ones opened stay open:
 * ks_route_maps_close them too. */
struct ks_route_maps {
	int routes, alpn, ids, info;
};
int ks_route_maps_open(struct ks_route_maps *m);
void ks_route_maps_close(struct ks_route_maps *m);

/* One route as `route list` shows it; alpn is "" without one. */
struct ks_route_row {
	__u32 space;                  /* first: routes sort by space, host, ALPN */
	char host[300];
	char alpn[KS_ALPN_KEY_MAX + 1];
	int has_alpn;
	char backend[64];
};

/* Every route in the pinned maps, sorted by ks_route_row_cmp (host, then
 * ALPN); *rows is malloc-ed. */
int ks_route_rows(struct ks_route_row **rows, size_t *n);
int ks_route_row_cmp(const void *a, const void *b);

/* ksteer up -c FILE: add or update what FILE states (config_sync.c). */
int ks_apply_config(const char *path);

#endif
