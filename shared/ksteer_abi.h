/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map ABI shared by the BPF programs (bpf/) and userspace (lib/ and the
 * programs over it).
 * Every map is pinned by name under KS_PIN_DIR; the CLI edits them live.
 * Changing a struct here changes the ABI: bump KS_ABI_VERSION.
 */
#ifndef KSTEER_ABI_H
#define KSTEER_ABI_H

#include "ksteer_counters.h"
#include "ksteer_events.h"

#define KS_ABI_VERSION 8
#define KS_PIN_DIR "/sys/fs/bpf/ksteer"

#define KS_NAME_MAX 256       /* reversed host name + terminator (LPM max) */
#define KS_ALPN_KEY_MAX 31    /* longest ALPN protocol a route can name */
#define KS_MAX_BACKENDS 256   /* backend ids are 1..KS_MAX_BACKENDS-2 */
#define KS_FALLBACK_ID 255    /* ksteerd's listeners: what the kernel can't place */
#define KS_MAX_SLOTS 16       /* listeners one backend can have */
#define KS_MAX_ROUTES 65536
#define KS_MAX_ALPN_ROUTES 8192  /* (host, protocol) pairs: few hosts need one */
#define KS_MAX_ADDRS 1024
#define KS_MAX_PORTS 8        /* public ports */
#define KS_MAX_PUBLIC 256     /* public addresses */
#define KS_PUB4_INLINE 8      /* public addresses ks_config holds itself: a */
#define KS_PUB6_INLINE 4      /* packet not ours costs no hash lookup */

/* ks_config: one entry, key 0. */
struct ks_config {
	__u16 ports[KS_MAX_PORTS];  /* public ports, network byte order; 0: unused */
	__u16 flags;          /* KS_CFG_* */
	__u16 tc_prio;        /* priority of our tc filters (CLI only) */
	__u32 abi;            /* KS_ABI_VERSION of whoever wrote it */
	__u64 netns_cookie;   /* the namespace `up` ran in: only its listeners register */
	/* The first public addresses, compared in place (0: unused); with
	 * more than fit (pub_more bit 0 IPv4, bit 1 IPv6) ks_public has all. */
	__u32 pub4[KS_PUB4_INLINE];
	__u32 pub6[KS_PUB6_INLINE][4];
	__u32 pub_more;
	__u32 http_ports;     /* bit i: ports[i] speaks plain HTTP (else TLS) */
	char cgroup[192];     /* where sock_ops is attached (CLI only) */
};

/*
 * ks_keys: the SYN cookie keys (shared/cookie.h), apart from ks_config so that
 * a program never reads a key half-written. An array of maps with one slot;
 * the map in it holds one struct ks_cookie_keys and is never written once
 * published: each change is a new map, filled, frozen, and swapped into the
 * slot by one update, which readers see whole or not at all (the kernel
 * frees the old map only after every program that may hold it has ended).
 * lib/keys.c is the only writer.
 */
struct ks_cookie_keys {
	__u64 key[2];         /* SipHash-2-4 key: new cookies, and verified */
	__u64 prev_key[2];    /* the key before the last change */
	__u64 rotated_ns;     /* CLOCK_TAI when key replaced prev_key */
	__u32 has_prev;       /* prev_key verifies for one slot after rotated_ns */
	__u32 pad;
};

#define KS_CFG_ACTIVE 1       /* routing on; off = every packet passes */
#define KS_CFG_QUIC 2         /* steer UDP to the port too (ksteer up --quic) */
#define KS_CFG_HANDBACK 4     /* TC ingress runs on lo: ksteerd may hand back */
#define KS_CFG_QUIC_KERNEL 8  /* TC decodes and routes QUIC Initials (else ksteerd) */
/* Every QUIC server socket registered is in a SO_REUSEPORT group running
 * our sk_reuseport program (lib/listeners.c), and none outside one ever was
 * (KS_CFG_QUIC_NOGROUP, sticky; set by the programs too, on finding a
 * server's socket outside the group a datagram reached): TC passes short
 * headers untouched, the group's program routes them alone. */
#define KS_CFG_QUIC_GROUP 16
#define KS_CFG_QUIC_NOGROUP 32
#define KS_CFG_QUIC_GROUP_ON(f) (((f) & (KS_CFG_QUIC | KS_CFG_QUIC_GROUP | KS_CFG_QUIC_NOGROUP)) == \
				 (KS_CFG_QUIC | KS_CFG_QUIC_GROUP))

/*
 * ks_routes: an LPM trie over the reversed, lower-cased host name.
 *   exact "a.example.com"  -> "moc.elpmaxe.a\0", prefixlen = 8 * (len + 1)
 *   wildcard "*.example.com" -> "moc.elpmaxe.",  prefixlen = 8 * 12
 *   default                -> "",               prefixlen = 0
 * The terminating NUL keeps an exact name from matching as a prefix, and the
 * dot that ends a wildcard keeps "*.example.com" from matching
 * "badexample.com"; longest prefix is therefore most specific route.
 */
struct ks_route_key {
	__u32 prefixlen;
	__u8 name[KS_NAME_MAX];
};

/*
 * Route spaces: which connections a route is for, the first bytes of its
 * key, before the reversed name:
 *   TLS ports (SNI)   nothing: "moc.elpmaxe.a\0"   (a name never starts
 *                     with a byte below '-')
 *   HTTP port P       01 P(2 bytes, big-endian) "moc.elpmaxe.a\0"; its
 *                     default: 01 P, prefixlen 24
 *   SSH on TLS ports  02, prefixlen 8 (no name: SSH carries none)
 * A lookup in a space never takes a shorter match than its prefix (the
 * TLS default, prefixlen 0, matches every key). A space's key has room
 * for names of 255 bytes less its prefix; a longer one finds the default.
 * space is a __u32: the tag in the top byte, an HTTP port (host order)
 * in the low 16 bits.
 */
#define KS_SPACE_TLS 0
#define KS_SPACE_TAG_HTTP 1
#define KS_SPACE_TAG_SSH 2
#define KS_SPACE_HTTP(port) ((__u32)KS_SPACE_TAG_HTTP << 24 | (__u16)(port))
#define KS_SPACE_SSH ((__u32)KS_SPACE_TAG_SSH << 24)

/* The space's first bytes of a key into name: how many (0, 1 or 3). */
static inline __u32 ks_space_prefix(__u32 space, __u8 *name)
{
	__u32 tag = space >> 24;

	if (tag == KS_SPACE_TAG_HTTP) {
		name[0] = tag;
		name[1] = space >> 8;
		name[2] = space;
		return 3;
	}
	if (tag == KS_SPACE_TAG_SSH) {
		name[0] = tag;
		return 1;
	}
	return 0;
}

#define KS_RT_PLAIN 1         /* backend is set: route without ALPN */
#define KS_RT_ALPN 2          /* ks_alpn_routes has entries for route_id */

struct ks_route_val {
	__u32 backend;        /* backend id when KS_RT_PLAIN */
	__u32 flags;
	__u32 prefixlen;      /* copy of the key's, to step to a shorter match */
	__u32 route_id;       /* key of the ALPN qualified routes */
};

/* ks_alpn_routes: (route_id, ALPN protocol) -> backend id (__u32). */
struct ks_alpn_key {
	__u32 route_id;
	__u8 len;
	__u8 proto[KS_ALPN_KEY_MAX];
};

/* ks_backend_addrs: where a backend's listeners are bound -> backend id.
 * ks_public: the public addresses (port 0) -> 1. TC acts only on packets
 * to one of them on one of ks_config.ports; everything else is not ours. */
struct ks_addr {
	__u16 family;         /* AF_INET or AF_INET6 */
	__u16 port;           /* network byte order */
	__u8 addr[16];        /* IPv4 in the first 4 bytes, rest zero */
};

/* ks_listeners: SOCKHASH of listening sockets, (backend, slot) -> socket. */
struct ks_slot {
	__u32 backend;
	__u32 slot;
};

/* ks_slot_used's index for a TCP slot (slot < KS_MAX_SLOTS). */
static inline __u32 ks_slot_used_key(__u32 backend, __u32 slot)
{
	return (backend & (KS_MAX_BACKENDS - 1)) * KS_MAX_SLOTS + (slot & (KS_MAX_SLOTS - 1));
}

/* UDP sockets (QUIC servers) sit in ks_listeners beside the TCP listeners,
 * in slots KS_SLOT_UDP | class << 4 | 0..KS_MAX_SLOTS-1 of their backend,
 * the class saying which datagrams the socket can take: a datagram given to
 * a socket of the other family is lost. */
#define KS_SLOT_UDP 0x100
enum ks_udp_class {
	KS_UDP_V4,            /* AF_INET */
	KS_UDP_V6,            /* AF_INET6, IPV6_V6ONLY */
	KS_UDP_DUAL,          /* AF_INET6 taking IPv4 too */
	KS_UDP_CLASSES
};
#define KS_UDP_SLOT(class, i) (KS_SLOT_UDP | (class) << 4 | ((i) & (KS_MAX_SLOTS - 1)))
/* The i-th slot to try (0 <= i < 2 * KS_MAX_SLOTS), from start, for a
 * datagram of family v6: sockets of its family first, then dual-stack. */
#define KS_UDP_TRY_SLOT(v6, i, start) \
	KS_UDP_SLOT((i) < KS_MAX_SLOTS ? ((v6) ? KS_UDP_V6 : KS_UDP_V4) : KS_UDP_DUAL, (start) + (i))
/* ks_quic_sk: SOCKMAP, the same UDP sockets again, at the index of their
 * (backend, UDP slot): what an established datagram's socket is found by
 * in TC and selected by in sk_reuseport, an array index where ks_listeners
 * hashes its key (some 35 ns a lookup here). Written and cleared with
 * ks_listeners' UDP slots (lib); a closed socket leaves both by itself. */
#define KS_UDP_INDEX(backend, slot)                                           \
	(((backend) * KS_UDP_CLASSES + ((slot) >> 4 & 3)) * KS_MAX_SLOTS + ((slot) & (KS_MAX_SLOTS - 1)))
#define KS_QUIC_SK_ENTRIES (KS_MAX_BACKENDS * KS_UDP_CLASSES * KS_MAX_SLOTS)

/*
 * QUIC steering maps (bpf/quic.h; who can create what: docs/DESIGN.md).
 * ks_quic_scids: hash, a connection ID the server chose (the SCID of its
 *   long headers, seen at TC egress) -> its socket: what short headers are
 *   looked up in. Sized from the connection limit (`up --quic-entries`);
 *   full, a new CID is not stored (counted) and entries idle past
 *   KS_QUIC_IDLE_NS are swept; live ones are never evicted.
 * ks_quic_cids: LRU, a client-chosen DCID (the first Initial's) -> the
 *   socket ksteerd routed it to: long headers only (Initial, 0-RTT,
 *   Handshake before the client switches to the server's CID).
 * ks_quic_paths: hash, (client addr/port, server addr/port) as the client
 *   sends it -> the socket that answers that path, learned only from what
 *   servers send (TC egress): for short headers whose CID the server issued
 *   inside encrypted frames, and zero-length server CIDs. A second live
 *   server answering the same pair makes it ambiguous (backend 0).
 * ks_quic_hosts: hash, a client address (ks_flow with only saddr and v6)
 *   -> last time a server sent to it: a short header with the fixed bit
 *   clear (RFC 9287 greasing) from there is QUIC.
 * ks_quic_probes: hash, a pair whose packets carry a CID nobody knows (a
 *   migrated client) -> the servers given its datagrams in turn, and how
 *   long an answer must be to be the owner's rather than a stateless reset.
 * ks_quic_socks: registered UDP socket cookie -> its slot (CLI writes).
 * ks_quic_lb: QUIC-LB plaintext server IDs (config rotation, ID) -> slot,
 *   for backends that encode their server ID in the CIDs they choose;
 *   ks_quic_lb_len[config rotation] is that config's server ID length.
 * ks_quic_cid_lens: bit n set once a server CID of length n was learned;
 *   short headers do not carry the length, so lookups try the lengths
 *   seen, longest first.
 */
#define KS_CID_MAX 20
#define KS_QUIC_SID_MAX 15
#define KS_QUIC_CIDS 16384   /* default of each table; ksteer up --quic-entries */
#define KS_QUIC_OFF 16       /* their size without --quic: LRU maps are allocated whole */
#define KS_QUIC_PROBES 1024  /* pairs being probed at once */
#define KS_QUIC_TRIED 8      /* servers a probe remembers (their late resets are dropped) */
#define KS_QUIC_PROBE_NS (2ULL * 1000000000)   /* a probe's life: the owner answers in an RTT */
#define KS_QUIC_IDLE_NS (120ULL * 1000000000)  /* unused this long: swept when a table is full */
#define KS_QUIC_SEEN_NS (1ULL * 1000000000)    /* a last-seen time is rewritten at most this often */
#define KS_QUIC_SWEEP_NS (1ULL * 1000000000)   /* a full table is swept at most this often */
#define KS_QUIC_RESET_MAX 1200  /* resets are shorter (RFC 9000 10.3; ngtcp2: 43 bytes) */

struct ks_cid {
	__u8 len;
	__u8 id[KS_CID_MAX];
	__u8 pad[3];
};

/* ks_quic_binds (bpf/steer_sockops.bpf.c): a process of a backend's cgroup
 * bound a UDP socket to a public port; ksteerd registers its sockets. */
#define KS_QUIC_BINDS 64
struct ks_quic_bind {
	__u32 backend;
	__u32 pad;
	__u64 ns;             /* when: adopted once its binds have settled */
};

/* ks_quic_scids and ks_quic_paths values: the slot first (backend
 * deletion walks them as struct ks_slot), then when it was last used. */
struct ks_quic_owner {
	struct ks_slot slot;
	__u64 seen_ns;
};

/* A server given a probed pair's datagrams: its answer to the pair counts
 * as the owner's when at least `atleast` bytes long (0: it owns the CID). */
struct ks_quic_tried {
	struct ks_slot slot;
	__u32 atleast;
	__u32 pad;
};

struct ks_quic_probe {
	__u64 born_ns;
	__u32 next;           /* the next candidate, an index among the sockets */
	__u32 probing;        /* 1: servers tried in turn; 0: only an owner by CID expected */
	__u32 learned;        /* the owner answered: later answers of the others dropped */
	__u32 pad;
	struct ks_quic_tried tried[KS_QUIC_TRIED];
};

struct ks_quic_sid {
	__u8 config;          /* config rotation codepoint, 0..6 */
	__u8 len;
	__u8 id[KS_QUIC_SID_MAX];
	__u8 pad;
};

/*
 * ClientHello reassembly (bpf/reasm.h).
 * ks_reasm: hash, TCP 4-tuple -> a held ClientHello, for flows whose first
 *   segment verified (a completed cookie handshake): small, no bytes in it.
 * ks_reasm_pool: array of KS_REASM_CHUNK-byte chunks holding their bytes,
 *   preallocated (`up` sizes it); ks_reasm_free: queue of the free ids.
 * ks_reasm_early: LRU, (4-tuple, the cookie its ACK claims) -> segments
 *   that came before the first one, unverified: anyone can fill it, so it
 *   is apart, small, and evicts only its own kind.
 * ks_reasm_src: hash, client /24 (IPv6 /64) -> the chunks its flows hold,
 *   at most 1 / KS_REASM_SHARE of the pool (never less than one whole hello).
 * ks_reasm_gate: array of counters, by a hash of the 4-tuple: flows placed
 *   whose entry waits for proof that the connection exists (its next
 *   segment finding a socket); established segments look only there.
 */
#define KS_REASM_CHUNK 2048   /* bytes of a pool chunk: one piece of a segment */
/* A held ClientHello's bytes on the wire, at most: a 16 KB one in 1-byte
 * records takes 16388 x 6 = 98328 (a power of 2, it is a mask). ks_reasm_ack
 * advertises a window that ends here, so a client never sends past it. */
#define KS_REASM_WIRE 131072
/* Without SACK a client counts nothing past what TC acknowledges as
 * delivered, and stops at its send buffer (~48 KB past it): its window
 * ends here, and a hello past it (not named in its first 16 KB) goes to
 * ksteerd once held up to it. */
#define KS_REASM_NOSACK_WIRE 32768
#define KS_REASM_PIECES 128   /* pieces a flow holds: 98 KB in 1448-byte segments is 68 (a power of 2) */
#define KS_REASM_RUNS 4       /* out-of-order runs held past the contiguous bytes */
#define KS_REASM_ENTRIES 1024                      /* default; ksteer up --reasm-entries */
#define KS_REASM_POOL_PER_FLOW 4   /* pool chunks per flow (a browser's 2-segment hello takes 2) */
#define KS_REASM_POOL_MIN (2 * KS_REASM_PIECES)   /* a small table still holds two whole hellos */
#define KS_REASM_SHARE 16     /* a client prefix holds 1/16 of the pool, and one whole hello, at most */
#define KS_REASM_EARLY_ENTRIES 64
#define KS_REASM_EARLY_SEG 2048    /* early segments held: 2, of up to this many bytes */
#define KS_REASM_GATE 4096
#define KS_REASM_LIFE_NS (10ULL * 1000000000)      /* then what is held goes to ksteerd */
#define KS_REASM_PLACED_NS (3ULL * 1000000000)     /* a placed flow's entry waits this long */
#define KS_REASM_SWEEP_NS (100ULL * 1000000)       /* at most one sweep per this */
#define KS_REASM_AGAIN_NS (50ULL * 1000000)        /* a placed flow placed again: once per this */
#define KS_REASM_SWEEP_MAX 8                       /* entries a sweep frees at most (2^n) */
#define KS_REASM_EARLY_NS (3ULL * 1000000000)      /* not verified yet */
/* The largest skb bpf_skb_change_tail makes (SKB_MAX_ALLOC: 16 KB less the
 * skb's shared info): a rewritten segment carries at most this less its
 * headers (link layer included). What a ClientHello has past it is never
 * acknowledged, so the client sends it again, to the connection by then. */
#define KS_SKB_MAX 16064

struct ks_flow {
	__u32 saddr[4];
	__u32 daddr[4];
	__u16 sport;
	__u16 dport;
	__u32 v6;
};

enum ks_reasm_state {
	KS_RS_HOLDING,        /* segments coming in, acknowledged as they come */
	KS_RS_PLACED,         /* given to a listener; kept until the connection is seen */
};

/* The TLS record walk over the held bytes, resumed as they grow. */
struct ks_reasm_walk {
	__u32 off;            /* next record header, as an offset from ISN + 1 */
	__u32 hs_len;         /* handshake bytes in the records before off */
	__u32 msg_len;        /* 4 + the ClientHello's length once known, else 0 */
	__u32 ready;          /* what is held decides: the parser runs */
	__u8 hdr[4];          /* the handshake header, gathered across records */
};

struct ks_reasm {
	__u64 born_ns;
	__u64 seen_ns;        /* its last segment */
	__u32 isn;            /* client ISN, from the verified first segment */
	__u32 cookie;         /* ack - 1 that every segment carries */
	__u32 state;          /* enum ks_reasm_state */
	__u32 contig;         /* bytes held contiguously from ISN + 1 */
	__u32 acked;          /* of those, acknowledged to the client */
	__u32 nrun;
	__u32 run_start[KS_REASM_RUNS];  /* held past a hole: [start, end) */
	__u32 run_end[KS_REASM_RUNS];
	__u32 npiece;
	__u32 gate;           /* placed: its counter in ks_reasm_gate */
	__u32 target;         /* placed: the backend (or ksteerd) it went to */
	__u32 carried;        /* placed: the bytes the placed segment carried */
	__u32 echo;           /* the verified first segment's TSecr (0: none): the
			       * option bits it carries, which later ones must repeat */
	__u32 named_at;       /* held bytes last parsed for a name (ks_reasm_named) */
	__u32 dropping;       /* set by the one ks_reasm_drop that frees it */
	__u32 edge;           /* the right edge of the window we advertised, from ISN + 1
			       * (0 before our first ACK): held up to it, the client sends no more */
	struct ks_reasm_walk w;
	/* Its npiece pieces, in the order kept: a chain of pool chunks from
	 * head to tail (each chunk says where its bytes go and which is
	 * next), so the entry stays small however many a flow may hold (an
	 * array of 128 in it made a browser's first segment 0.7 us slower:
	 * the hash map copies and allocates the whole value). */
	__u32 head, tail;     /* KS_CHUNK_NONE while there are none */
};

/* No chunk: past every pool id, so a lookup of it finds nothing (a chain
 * never runs on into chunk 0, another flow's maybe). */
#define KS_CHUNK_NONE 0xffffffffu

struct ks_reasm_chunk {
	__u32 off;            /* its bytes are [off, off + len) from ISN + 1 */
	__u32 len;
	__u32 next;           /* the flow's next piece (the tail's: KS_CHUNK_NONE) */
	__u32 pad;
	__u8 b[KS_REASM_CHUNK];
};

struct ks_early_key {
	struct ks_flow f;
	__u32 cookie;         /* what its ACK claims: a forged one is another key */
};

struct ks_early {
	__u64 born_ns;
	__u32 nseg;
	__u32 seq[2];
	__u32 len[2];
	__u8 b[2 * KS_REASM_EARLY_SEG];  /* segment i at b[i * KS_REASM_EARLY_SEG] */
};

struct ks_prefix {
	__u32 v6;
	__u32 addr[2];        /* IPv4 /24 in [0]; IPv6 /64 */
};

/*
 * ks_handback: hash, TCP 4-tuple as the client sends it (struct ks_flow,
 * ks_flow_of) -> a connection ksteerd is handing back to the kernel
 * (bpf/handback.h, DESIGN.md "Hand-back"). Only ksteerd writes it (the pin
 * is root's); TC reads it only while ks_fallback_stats[KS_FB_HANDBACK_PENDING]
 * is non-zero, and deletes an entry when it placed the connection or when
 * the entry is older than KS_HANDBACK_LIFE_NS. Full: no hand-back (ksteerd
 * refuses that connection).
 */
#define KS_HANDBACK_ENTRIES 1024
#define KS_HANDBACK_LIFE_NS (1ULL * 1000000000)    /* a ksteerd that died mid-way */
#define KS_HANDBACK_MARK 0x6b736862                /* "kshb": skb->mark of ksteerd's raw packets */
#define KS_LOOPBACK_IFINDEX 1                      /* lo, in every network namespace */

enum ks_hb_state {
	KS_HB_FROZEN = 1,     /* ksteerd reads its socket: every segment dropped */
	KS_HB_READY,          /* attrs set: ksteerd's marked segment may place it */
};

struct ks_handback {
	__u64 born_ns;        /* CLOCK_MONOTONIC, as bpf_ktime_get_ns */
	__u32 state;          /* enum ks_hb_state */
	__u32 backend;        /* the routed backend, never KS_FALLBACK_ID */
	/* What bpf_sk_assign_tcp_reqsk needs (struct bpf_tcp_req_attrs),
	 * read from ksteerd's socket in repair mode. */
	__u32 rcv_tsval;
	__u32 rcv_tsecr;      /* the child's first TSval: ksteerd's clock now */
	__u16 mss;
	__u8 rcv_wscale;
	__u8 snd_wscale;
	__u8 ecn_ok;
	__u8 wscale_ok;
	__u8 sack_ok;
	__u8 tstamp_ok;
	__u8 usec_ts_ok;
	__u8 pad[7];
};

/* ks_backend_info: CLI and ksteerd only, index = backend id. */
#define KS_BE_IN_USE 1
#define KS_BE_HAS_ADDR 2      /* listeners bound to addr belong to it */
#define KS_BE_PROXY 4         /* ksteerd proxies to target */
#define KS_BE_PROXY_V2 8      /* ... with a PROXY protocol v2 header */
#define KS_BE_HANDOFF 16      /* ksteerd hands the socket over unix path */

struct ks_backend_info {
	char name[48];
	__u32 flags;
	struct ks_addr addr;
	struct ks_addr target;    /* KS_BE_PROXY */
	char path[108];           /* KS_BE_HANDOFF: unix socket path */
};

/* ks_route_ids: CLI only, route_id -> the host's ks_route_key.
 * ks_ifaces: CLI only, ifindex -> 1 if `up` created the clsact qdisc. */

/* ks_listener_backend: LRU, socket cookie of a registered listener -> its
 * backend id (__u32), so that a closing listener's queue migrates to a
 * sibling of the same backend. Cookies are never reused; stale entries age
 * out of the LRU. */
#define KS_MAX_LISTENER_COOKIES 4096

/* The counters: ks_stats (enum ks_stat) and ks_fallback_stats (enum
 * ks_fb_stat) are defined in ksteer_counters.h, each with its value, name
 * and meaning. ks_backend_stats: per-CPU, index = backend id, its fields
 * from there too: routed, assigned, selected, mptcp_refused. */
#define KS_BE_FIELD(field, doc) __u64 field;
struct ks_backend_stat {
	KS_BACKEND_COUNTERS(KS_CTR_NO_STAGE, KS_BE_FIELD)
};

#endif
