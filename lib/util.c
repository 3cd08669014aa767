// SPDX-License-Identifier: GPL-2.0
/* Small helpers shared by the subcommands. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "ksteer.h"

const char *ks_err_context;
const char *ks_prog = "ksteer";

int ks_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", ks_prog);
	if (ks_err_context)
		fprintf(stderr, "%s: ", ks_err_context);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

const char *ks_pin_dir(void)
{
	const char *d = getenv("KSTEER_PIN_DIR");

	return d && *d ? d : KS_PIN_DIR;
}

/* The work buffers the programs keep per CPU in plain arrays (KS_CPU_ARRAY
 * in bpf/ks_bpf.h): an entry for every CPU. */
int ks_size_cpu_maps(struct bpf_object *obj)
{
	static const char *const names[] = {
		"ks_tc_scratch", "ks_tc_linear", "ks_tc_reasm_tmp", "ks_rp_scratch",
	};
	int ncpu = libbpf_num_possible_cpus();
	struct bpf_map *m;

	if (ncpu <= 0)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m = bpf_object__find_map_by_name(obj, names[i]);
		if (m && bpf_map__set_max_entries(m, ncpu))
			return -1;
	}
	return 0;
}

/* The reassembly tables for `flows` held flows: the pool of their bytes
 * (KS_REASM_POOL_PER_FLOW chunks a flow, never fewer than two whole
 * hellos: 1024 flows, 4096 chunks, 8 MB), its queue of free ids, the
 * clients' shares. Before load. */
int ks_reasm_size(struct bpf_object *obj, __u32 flows)
{
	static const char *const names[] = { "ks_reasm", "ks_reasm_pool", "ks_reasm_free",
					     "ks_reasm_src" };
	__u32 chunks = flows * KS_REASM_POOL_PER_FLOW;
	__u32 size[] = { flows, 0, 0, flows };
	struct bpf_map *m;

	size[1] = size[2] = chunks < KS_REASM_POOL_MIN ? KS_REASM_POOL_MIN : chunks;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m = bpf_object__find_map_by_name(obj, names[i]);
		if (!m || bpf_map__set_max_entries(m, size[i]))
			return -1;
	}
	return 0;
}

/* Every chunk of a new reassembly pool into its queue of free ids. */
int ks_reasm_pool_fill(struct bpf_object *obj)
{
	struct bpf_map *q = bpf_object__find_map_by_name(obj, "ks_reasm_free");
	__u32 n = q ? bpf_map__max_entries(q) : 0;
	int fd = q ? bpf_map__fd(q) : -1;

	for (__u32 id = 0; id < n; id++)
		if (bpf_map_update_elem(fd, NULL, &id, BPF_ANY))
			return -1;
	return fd < 0 ? -1 : 0;
}

int ks_map(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ks_pin_dir(), name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			ks_err("ksteer is not up (no %s): run 'ksteer up' first", path);
		else
			ks_err("cannot open %s: %s", path, strerror(errno));
	}
	return fd;
}

/* Counter id of a per-CPU __u64 array (ks_stats), summed over the CPUs;
 * 0 when it cannot be read. */
__u64 ks_stat_sum(int stats_fd, __u32 id)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v = ncpu > 0 ? calloc(ncpu, sizeof(*v)) : NULL, sum = 0;

	if (v && !bpf_map_lookup_elem(stats_fd, &id, v))
		for (int c = 0; c < ncpu; c++)
			sum += v[c];
	free(v);
	return sum;
}

int ks_parse_ip(const char *s, struct ks_addr *a)
{
	char buf[64];
	size_t n = strlen(s);

	memset(a, 0, sizeof(*a));
	if (n >= sizeof(buf))
		return -1;
	if (s[0] == '[' && n > 2 && s[n - 1] == ']') {    /* [v6], as in ADDR:PORT */
		memcpy(buf, s + 1, n - 2);
		buf[n - 2] = 0;
	} else {
		memcpy(buf, s, n + 1);
	}
	if (inet_pton(AF_INET, buf, a->addr) == 1)
		a->family = AF_INET;
	else if (inet_pton(AF_INET6, buf, a->addr) == 1)
		a->family = AF_INET6;
	else
		return -1;
	return 0;
}

int ks_parse_addr(const char *s, struct ks_addr *a)
{
	char host[64];
	const char *colon;
	char *end;
	long port;
	size_t n;

	memset(a, 0, sizeof(*a));
	/* "[v6]:port" or "v4:port": the host is up to the last colon. */
	colon = strrchr(s, ':');
	if (!colon || (s[0] == '[' && colon[-1] != ']'))
		return -1;
	n = colon - s;
	if (n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = 0;
	if (host[0] != '[' && strchr(host, ':'))
		return -1;                        /* an IPv6 address wants brackets */
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || colon[1] == 0 || port < 1 || port > 65535 || ks_parse_ip(host, a))
		return -1;
	a->port = htons(port);
	return 0;
}

void ks_format_addr(const struct ks_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	inet_ntop(a->family, a->addr, ip, sizeof(ip));
	if (a->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, ntohs(a->port));
	else
		snprintf(buf, len, "%s:%u", ip, ntohs(a->port));
}

/* Same alphabet the parser accepts in an SNI. */
static int ks_host_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '_' || c == '.';
}

int ks_route_key_from_host(const char *host, struct ks_route_key *key)
{
	char name[KS_NAME_MAX];
	size_t n, i, first;
	int wild = 0;

	memset(key, 0, sizeof(*key));
	if (!strcmp(host, "default"))
		return 0;
	if (!strncmp(host, "*.", 2)) {
		wild = 1;
		host += 1;                      /* keep the dot: ".example.com" */
	}
	n = strlen(host);
	/* An exact name needs a terminator byte; a matching name needs at
	 * least one more label than a wildcard suffix. */
	if (n == 0 || n > KS_NAME_MAX - 1 || (wild && n < 2))
		return -1;
	first = wild ? 1 : 0;
	for (i = 0; i < n; i++) {
		char c = host[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		name[i] = c;
		if (i < first)
			continue;
		if (!ks_host_char_ok(c))
			return -1;
		/* No empty labels: no leading, trailing or double dot. */
		if (c == '.' && (i == first || i == n - 1 || host[i - 1] == '.'))
			return -1;
	}
	for (i = 0; i < n; i++)
		key->name[i] = name[n - 1 - i];
	if (wild) {
		key->prefixlen = 8 * n;
	} else {
		key->name[n] = 0;
		key->prefixlen = 8 * (n + 1);
	}
	return 0;
}

int ks_route_key_in(const char *host, __u32 space, struct ks_route_key *key)
{
	struct ks_route_key k;
	__u32 base = ks_space_prefix(space, key->name), n;

	if (ks_route_key_from_host(host, &k))
		return -1;
	n = k.prefixlen / 8;
	if (space == KS_SPACE_SSH && n)
		return -1;                      /* SSH names nothing: only its default */
	if (n + base > KS_NAME_MAX)
		return -1;                      /* no room left by the prefix */
	memset(key->name + base, 0, KS_NAME_MAX - base);
	memcpy(key->name + base, k.name, n);
	key->prefixlen = 8 * (base + n);
	return 0;
}

const char *ks_space_proto(__u32 space)
{
	return space >> 24 == KS_SPACE_TAG_HTTP ? "http" : space == KS_SPACE_SSH ? "ssh" : "tls";
}

void ks_space_name(__u32 space, char *buf, size_t len)
{
	if (space >> 24 == KS_SPACE_TAG_HTTP)
		snprintf(buf, len, "%s:%u", ks_space_proto(space), space & 0xffff);
	else
		snprintf(buf, len, "%s", ks_space_proto(space));
}

int ks_port_spec(const char *s, unsigned int *port, int *http)
{
	char *end;
	long v;

	*http = -1;
	if (!strncmp(s, "http:", 5) || !strncmp(s, "tls:", 4)) {
		*http = s[0] == 'h';
		s = strchr(s, ':') + 1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 65535)
		return -1;
	*port = v;
	if (*http < 0)
		*http = v == 80;
	return 0;
}

__u32 ks_route_key_space(const struct ks_route_key *key)
{
	if (key->prefixlen >= 24 && key->name[0] == KS_SPACE_TAG_HTTP)
		return KS_SPACE_HTTP(key->name[1] << 8 | key->name[2]);
	if (key->prefixlen >= 8 && key->name[0] == KS_SPACE_TAG_SSH)
		return KS_SPACE_SSH;
	return KS_SPACE_TLS;
}

void ks_host_from_route_key(const struct ks_route_key *key, char *buf, size_t len)
{
	__u8 pre[3];
	size_t base = ks_space_prefix(ks_route_key_space(key), pre);
	size_t n = key->prefixlen / 8 - base, i, o = 0;
	const __u8 *name = key->name + base;

	if (n == 0) {
		snprintf(buf, len, "default");
		return;
	}
	if (name[n - 1] == 0) {
		n--;                            /* exact */
	} else if (len > 1) {
		buf[o++] = '*';                 /* wildcard: ends with '.' */
	}
	for (i = 0; i < n && o + 1 < len; i++)
		buf[o++] = name[n - 1 - i];
	buf[o] = 0;
}

__u32 ks_backend_find(int info_fd, const char *name)
{
	struct ks_backend_info bi;

	for (__u32 id = 1; id < KS_MAX_BACKENDS; id++)
		if (!bpf_map_lookup_elem(info_fd, &id, &bi) && (bi.flags & KS_BE_IN_USE) &&
		    !strncmp(bi.name, name, sizeof(bi.name)))
			return id;
	return 0;
}

int ks_backend_name(int info_fd, __u32 id, char *buf, size_t len)
{
	struct ks_backend_info bi;

	if (bpf_map_lookup_elem(info_fd, &id, &bi) || !(bi.flags & KS_BE_IN_USE)) {
		snprintf(buf, len, "#%u", id);
		return -1;
	}
	snprintf(buf, len, "%s", bi.name);
	return 0;
}
