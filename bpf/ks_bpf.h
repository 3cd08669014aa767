/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every ksteer BPF program shares: helpers, the parser glue and the
 * pinned maps. libbpf reuses a map already pinned under the pin root, so the
 * three programs see one set of maps.
 */
#ifndef KS_BPF_H
#define KS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "ksteer_abi.h"

/* A linear source is a KS_LIN_BUF map buffer holding at most KS_WIRE_MAX + 1
 * bytes of records; the parser checks off + len against what it holds
 * before it loads, and a load is at most KS_HS_MAX bytes, so a masked start
 * plus a length stays inside. */
#define KS_LIN_MASK KS_WIRE_MAX
#define KS_LIN_BUF (KS_WIRE_MAX + 1 + KS_HS_BUF / 2)
#define KS_LOAD(c, off, dst, len)                                              \
	((c)->lin ? bpf_probe_read_kernel((dst), (len), (c)->lin + ((off) & KS_LIN_MASK)) \
		  : bpf_skb_load_bytes((c)->src, (off), (dst), (len)))
#define KS_LOOP(n, cb, arg) bpf_loop((n), (cb), (arg), 0)

#include "tls_hello.h"

/* The kernel's own context of a program (TC: the sk_buff; sk_reuseport:
 * struct sk_reuseport_kern). */
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

#ifndef AF_INET
#define AF_INET 2
#define AF_INET6 10
#endif
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define TC_ACT_UNSPEC (-1)    /* not consumed: the next tc filter runs */
#define PACKET_HOST 0         /* skb->pkt_type: to us */
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define SK_DROP 0
#define SK_PASS 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_config SEC(".maps");

/* Tables sized for the largest deployment (65536 routes) allocate per entry
 * (BPF_F_NO_PREALLOC): preallocated, they held 27 MB for a handful of routes;
 * what stays is a hash table's bucket array (16 B per entry of capacity).
 * Only the CLI writes them; the programs' lookups cost the same either way. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, KS_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_route_key);
	__type(value, struct ks_route_val);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_MAX_ALPN_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_alpn_key);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_alpn_routes SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_MAX_ADDRS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_addr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_backend_addrs SEC(".maps");

/* The public addresses (port 0): the only destinations TC acts on. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_MAX_PUBLIC);
	__type(key, struct ks_addr);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_public SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, KS_MAX_BACKENDS * KS_MAX_SLOTS);
	__type(key, struct ks_slot);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_listeners SEC(".maps");

/* TCP slots of ks_listeners ever taken, at backend * KS_MAX_SLOTS + slot
 * (ks_slot_used_key): 1 once a writer was about to fill that slot. A hint
 * that lets the pick look up only those (a SOCKHASH miss costs a hash and
 * a bucket walk; a backend has 1 listener more often than 16). Marked
 * before the listener goes in, never cleared (a closed listener's slot
 * costs one miss), rebuilt from ks_listeners by every `up`. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_MAX_BACKENDS * KS_MAX_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_slot_used SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_MAX_LISTENER_COOKIES);
	__type(key, __u64);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_listener_backend SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_ST_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct ks_backend_stat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_backend_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_FB_MAX);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_fallback_stats SEC(".maps");

/* Kept for the CLI only (names, route ids, our interfaces); pinned like the
 * rest so that no daemon has to remember them. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, KS_MAX_BACKENDS);
	__type(key, __u32);
	__type(value, struct ks_backend_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_backend_info SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct ks_route_key);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_route_ids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_ifaces SEC(".maps");

/*
 * Work buffers larger than a per-CPU value may be (32 KB): a plain array
 * with one entry per CPU, sized by the loader (ks_size_cpu_maps, which
 * knows these maps by name), each CPU using the entry of its index. TC and
 * sk_reuseport programs run with bottom halves off and do not nest on a
 * CPU, so that entry is theirs for the whole run.
 */
#define KS_CPU_ARRAY(name, vtype)                                              \
	struct {                                                               \
		__uint(type, BPF_MAP_TYPE_ARRAY);                              \
		__uint(max_entries, 1);                                        \
		__type(key, __u32);                                            \
		__type(value, vtype);                                          \
	} name SEC(".maps")
#define KS_CPU_SLOT(map)                                                       \
	({                                                                     \
		__u32 _cpu = bpf_get_smp_processor_id();                       \
		bpf_map_lookup_elem(&(map), &_cpu);                            \
	})

/* For route.h: copy a map value out, 0 if found. */
#define KS_MAP_COPY(map, key, out)                                             \
	({                                                                     \
		typeof(out) _v = bpf_map_lookup_elem(&(map), (key));           \
		if (_v)                                                        \
			*(out) = *_v;                                          \
		_v ? 0 : -1;                                                   \
	})
#define KS_RT_LOOKUP(key, val) KS_MAP_COPY(ks_routes, key, val)
#define KS_ALPN_LOOKUP(akey, b) KS_MAP_COPY(ks_alpn_routes, akey, b)

static __always_inline void ks_count(__u32 stat)
{
	__u64 *c = bpf_map_lookup_elem(&ks_stats, &stat);

	if (c)
		*c += 1;
}

/* ksteerd is handing connections back (bpf/handback.h): its gauge in
 * ks_fallback_stats is non-zero. */
static __always_inline int ks_hb_pending(void)
{
	__u32 idx = KS_FB_HANDBACK_PENDING;
	__u64 *pending = bpf_map_lookup_elem(&ks_fallback_stats, &idx);

	return pending && *pending;
}

/*
 * The segment TC last placed from a held flow on this CPU: its TCP ports
 * and sequence number as the header has them. TC places a held
 * ClientHello of more than 16 KB of records with a segment that carries
 * only a prefix of it (the client resends the rest to the connection),
 * which the sk_reuseport program, reading that segment alone, could not
 * route: for that very segment it keeps TC's choice (ks_tc_placed).
 */
struct ks_placing {
	__u32 ports;
	__u32 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_placing);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_tc_placing SEC(".maps");

/* th: a TCP header's first 8 bytes. Whether TC placed it (above). */
static __always_inline int ks_tc_placed(const __u8 *th)
{
	__u32 zero = 0, w[2];
	struct ks_placing *c = bpf_map_lookup_elem(&ks_tc_placing, &zero);

	__builtin_memcpy(w, th, 8);
	return c && c->ports == w[0] && c->seq == w[1];
}

static __always_inline struct ks_config *ks_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ks_config, &zero);
}

#endif
