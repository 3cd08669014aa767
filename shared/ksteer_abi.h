/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The map ABI shared by the BPF programs (bpf/) and userspace (lib/ and the
 * programs over it).
 * Every map is pinned by name under KS_PIN_DIR; the CLI edits them live.
 * Changing a struct here changes the ABI: bump KS_ABI_VERSION.
 */
#ifndef KSTEER_ABI_H
#define KSTEER_ABI_H

#define KS_ABI_VERSION 5
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
	__u32 pad2;
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

/*
 * QUIC steering maps (bpf/quic.h).
 * ks_quic_cids: LRU, connection ID -> the server socket that owns it:
 *   learned from the servers' long-header packets (TC egress) and written
 *   by ksteerd for the client's original DCID. LRU: QUIC connections end
 *   inside encrypted frames, so nothing tells us when to delete.
 * ks_quic_peers: LRU, (client addr/port, server addr/port) as the client
 *   sends it -> server socket, for short-header packets whose CID the server
 *   issued inside encrypted frames (NEW_CONNECTION_ID) from the same path;
 *   with client port 0: the client address's only server (bpf/quic.h).
 * ks_quic_socks: registered UDP socket cookie -> its slot (CLI writes).
 * ks_quic_lb: QUIC-LB plaintext server IDs (config rotation, ID) -> slot,
 *   for backends that encode their server ID in the CIDs they choose;
 *   ks_quic_lb_len[config rotation] is that config's server ID length.
 * ks_quic_cid_lens: bit n set once a CID of length n was learned; short
 *   headers do not carry the length, so lookups try the lengths seen.
 */
#define KS_CID_MAX 20
#define KS_QUIC_SID_MAX 15
#define KS_QUIC_CIDS 16384   /* default of each table; ksteer up --quic-entries */
#define KS_QUIC_OFF 16       /* their size without --quic: LRU maps are allocated whole */

struct ks_cid {
	__u8 len;
	__u8 id[KS_CID_MAX];
	__u8 pad[3];
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
#define KS_REASM_WIRE 32768   /* a held ClientHello's bytes on the wire, at most */
#define KS_REASM_PIECES 32    /* pieces a flow holds: 32 KB in 1448-byte segments (a power of 2) */
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
#define KS_REASM_SWEEP_MAX 8                       /* entries a sweep frees at most (2^n) */
#define KS_REASM_EARLY_NS (3ULL * 1000000000)      /* not verified yet */

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
	struct ks_reasm_walk w;
	/* Last (a new entry zeroes what is before them): piece i is bytes
	 * [off, off + len) from ISN + 1, in pool chunk id; npiece say how many. */
	__u32 piece_off[KS_REASM_PIECES];
	__u16 piece_len[KS_REASM_PIECES];
	__u32 piece_id[KS_REASM_PIECES];
};

struct ks_reasm_chunk {
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

/* ks_fallback_stats: ksteerd's counters, an mmap-able array it increments
 * in place; `ksteer stats` shows them. */
enum ks_fb_stat {
	KS_FB_ACCEPTED,       /* connections ksteerd took */
	KS_FB_HANDOFF,        /* handed to a backend over its unix socket */
	KS_FB_HANDOFF_FAILED, /* ... backend socket absent or refused: closed */
	KS_FB_PROXY,          /* proxied to the backend or remote upstream */
	KS_FB_PROXY_FAILED,   /* upstream unreachable: closed */
	KS_FB_TIMEOUT,        /* ClientHello not complete by the deadline */
	KS_FB_TOO_BIG,        /* ClientHello beyond ksteerd's cap */
	KS_FB_MALFORMED,      /* not TLS / broken ClientHello: reset */
	KS_FB_NO_ROUTE,       /* no route, no default: reset */
	KS_FB_CLOSED_EARLY,   /* client left before its ClientHello was whole */
	KS_FB_ACTIVE,         /* gauge: connections ksteerd holds now */
	KS_FB_QUIC_DATAGRAMS, /* UDP datagrams of unknown QUIC connections */
	KS_FB_QUIC_ROUTED,    /* QUIC connections routed by their Initial's SNI */
	KS_FB_QUIC_REINJECTED,/* ... datagrams given back to the kernel for them */
	KS_FB_QUIC_UNREADABLE,/* not a decryptable client Initial: dropped */
	KS_FB_QUIC_NO_ROUTE,  /* SNI with no route, or a backend with no QUIC socket */
	KS_FB_QUIC_MALFORMED, /* the ClientHello inside broke the TLS grammar */
	KS_FB_QUIC_TIMEOUT,   /* ClientHello not whole by the deadline: dropped */
	KS_FB_QUIC_FULL,      /* too many pending connections: dropped */
	KS_FB_QUIC_UNKNOWN,   /* short header of a connection nobody knows: dropped */
	KS_FB_QUIC_PENDING,   /* gauge: connections waiting for their ClientHello */
	KS_FB_HANDBACK,       /* connections handed back into their backend's listener */
	KS_FB_HANDBACK_FAILED,/* ... not placed after every retry: reset (RST) */
	KS_FB_HANDBACK_RETRIED, /* injections sent again (TC had not placed it yet) */
	KS_FB_REFUSED_NO_CLIENT_ADDR, /* no hand-back possible, no proxy target of the
			       * backend's own: reset, never proxied as from us */
	KS_FB_HANDBACK_PENDING, /* gauge: ks_handback entries; TC looks only when > 0 */
	KS_FB_TO_DEFAULT,     /* unreadable or timed-out ClientHello: to the default route */
	KS_FB_MAX
};

/* ks_stats: per-CPU counters, index = enum ks_stat. */
enum ks_stat {
	KS_ST_SYN,            /* SYNs answered with a cookie SYN-ACK */
	KS_ST_SYN_BAD,        /* SYNs passed to the kernel (odd headers) */
	KS_ST_COOKIE_OK,      /* ACKs whose cookie verified */
	KS_ST_COOKIE_BAD,     /* ACKs to the port with no socket, bad cookie */
	KS_ST_BARE_ACK,       /* verified bare ACKs dropped (defer accept) */
	KS_ST_ASSIGNED,       /* connections created in a backend's queue */
	KS_ST_INCOMPLETE,     /* ClientHello not whole in the first segment */
	KS_ST_MALFORMED,      /* not a ClientHello, or broken one */
	KS_ST_TOO_BIG,        /* ClientHello beyond the parser's buffer */
	KS_ST_NO_ROUTE,       /* no route and no default: refused (RST) */
	KS_ST_NO_LISTENER,    /* routed backend has no listener: refused */
	KS_ST_ASSIGN_ERR,     /* the kfunc refused the listener */
	KS_ST_RST_SENT,       /* RSTs we sent (no route / no listener) */
	KS_ST_RST_FAIL,       /* could not build the RST; dropped instead */
	KS_ST_RP_SELECTED,    /* sk_reuseport: selected a backend socket */
	KS_ST_RP_PASS,        /* sk_reuseport: not a ClientHello, kernel hash */
	KS_ST_RP_DROP,        /* sk_reuseport: ClientHello with no place */
	KS_ST_REGISTERED,     /* sock_ops: listeners registered */
	KS_ST_REGISTER_FULL,  /* sock_ops: backend already has KS_MAX_SLOTS */
	KS_ST_UNSTEERED_GROUP,/* listener's SO_REUSEPORT group lacks our program */
	KS_ST_REASM_STARTED,  /* first segment held a partial ClientHello */
	KS_ST_REASM_DONE,     /* ClientHello completed from several segments */
	KS_ST_REASM_EARLY,    /* a later segment came first (held, unverified) */
	KS_ST_REASM_EXPIRED,  /* unverified segments past their lifetime */
	KS_ST_REASM_OVERFLOW, /* too many segments, or beyond the buffer */
	KS_ST_REASM_FAILED,   /* could not rewrite the segment: dropped */
	KS_ST_RP_MIGRATED,    /* a closing listener's connection moved to a sibling */
	KS_ST_RP_MIGRATE_DROP,/* ... with no sibling of its backend left: dropped */
	KS_ST_TO_FALLBACK,    /* routed backend has no listener: to ksteerd */
	KS_ST_TW_DETOUR,      /* SYN met a TIME_WAIT socket: to the kernel/ksteerd */
	KS_ST_RP_FALLBACK,    /* sk_reuseport chose ksteerd's socket */
	KS_ST_REASM_FULL,     /* reassembly table full: the flow went to ksteerd */
	KS_ST_REASM_HANDED,   /* held bytes went to ksteerd (past lifetime, or
			       * too many segments) */
	KS_ST_REASM_SWEPT,    /* abandoned reassembly entries swept */
	KS_ST_QUIC_BY_CID,    /* datagram's server found by a learned connection ID */
	KS_ST_QUIC_BY_LB,     /* ... by a QUIC-LB server ID in its CID */
	KS_ST_QUIC_BY_PEER,   /* ... by its address pair (CID not known) */
	KS_ST_QUIC_TO_FALLBACK, /* unknown connection: for ksteerd */
	KS_ST_QUIC_DROPPED,   /* ... and no ksteerd socket: dropped */
	KS_ST_QUIC_STALE,     /* its server's socket is gone: for ksteerd */
	KS_ST_QUIC_LEARNED,   /* server CIDs learned at egress */
	KS_ST_QUIC_ASSIGN_ERR,/* bpf_sk_assign refused the socket: dropped (besides
			       * the counter of how it was found) */
	KS_ST_RP_QUIC_SELECTED, /* sk_reuseport chose a QUIC server's socket */
	KS_ST_QUIC_BY_HOST,   /* ... by the client's address: its only server */
	KS_ST_SYN_EXISTING,   /* SYN on a 4-tuple with a live socket: the kernel's */
	KS_ST_SYN_NO_COOKIES, /* SYN passed: net.ipv4.tcp_syncookies is 0 here */
	KS_ST_UNSUPPORTED,    /* to a public address:port, unreadable here (IP
			       * fragment, extension header, VLAN tag in the
			       * data): passed to the kernel */
	KS_ST_UDP_NOT_QUIC,   /* UDP to a public address:port, not QUIC: passed */
	KS_ST_REG_OTHER_NETNS,/* sock_ops: a listener in another namespace: ignored */
	KS_ST_REG_MPTCP,      /* sock_ops: an MPTCP listener: not registered */
	KS_ST_RP_SYN_DROP,    /* sk_reuseport: a SYN in a public group, no ksteerd */
	KS_ST_HB_ASSIGNED,    /* connections ksteerd handed back, in their backend's queue */
	KS_ST_HB_DROPPED,     /* segments of a flow being handed back: dropped */
	KS_ST_HB_STALE,       /* hand-back entries past KS_HANDBACK_LIFE_NS: deleted */
	KS_ST_HB_UNPLACED,    /* a hand-back segment no listener of its backend took */
	KS_ST_UNREADABLE_DEFAULT, /* not TLS / broken ClientHello: to the default route */
	KS_ST_REASM_BAD_CSUM, /* a segment with a wrong checksum: neither held nor acked */
	KS_ST_REASM_REPLACED, /* a held flow's 4-tuple began a new connection: dropped */
	KS_ST_REASM_PLACED_AGAIN, /* a placed flow's segment met no socket: placed again */
	KS_ST_MAX
};

/* ks_backend_stats: per-CPU, index = backend id. */
struct ks_backend_stat {
	__u64 routed;         /* TC routed a ClientHello to it */
	__u64 assigned;       /* TC put a connection in its queue */
	__u64 selected;       /* sk_reuseport chose one of its sockets */
	__u64 mptcp_refused;  /* MPTCP listeners on its address, not registered */
};

#endif
