/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What `ksteer monitor` shows of each steering decision, written once: the
 * path a connection took and why, each a table of (ID, value, printed
 * name, meaning) that the BPF programs take the enum from and the CLI the
 * names (the README's list too). Included by ksteer_abi.h; macros only.
 *
 * One event per decision, written into the ks_events ring buffer while a
 * monitor holds its lease (ks_monitor): by the BPF programs, and for
 * ksteerd's own decisions by ksteerd through a syscall program
 * (bpf/monitor_user.bpf.c) that checks the same lease:
 *
 *   struct ks_event: ns (CLOCK_MONOTONIC) | path | why | v6 | proto
 *                    | sport dport (network order) | saddr daddr (4 words)
 *                    | backend | sni_len | alpn_len | sni | alpn (first one)
 */
#ifndef KSTEER_EVENTS_H
#define KSTEER_EVENTS_H

#define KS_EVENT_PATHS(P)                                                              \
	P(FAST, 1, "fast", "placed by TC in the backend's queue from one segment")      \
	P(REASSEMBLED, 2, "reassembled",                                                \
	  "placed by TC from a ClientHello held over several segments")                 \
	P(KSTEERD, 3, "ksteerd", "given to ksteerd's listener, which routes it (why)")  \
	P(REFUSED, 4, "refused", "refused with a RST (why)")                             \
	P(DROPPED, 5, "dropped",                                                        \
	  "the kernel did not create it: dropped, the client retransmits")              \
	P(QUIC_KSTEERD, 6, "quic_ksteerd",                                              \
	  "a QUIC datagram no server is known for: to ksteerd, which reads its Initial") \
	P(QUIC_ROUTED, 7, "quic_routed",                                                \
	  "a QUIC datagram routed other than by a connection ID it carries (why)")       \
	P(HANDBACK, 8, "handback",                                                      \
	  "ksteerd handed the connection back: TC placed it in its backend's queue")    \
	P(KSTEERD_HANDOFF, 9, "ksteerd_handoff",                                        \
	  "ksteerd passed the connection to its backend over the backend's unix socket") \
	P(KSTEERD_PROXY, 10, "ksteerd_proxy",                                           \
	  "ksteerd proxies it to the backend's own target (PROXY v2 if declared)")      \
	P(KSTEERD_REFUSED, 11, "ksteerd_refused", "ksteerd refused it with a RST (why)")

#define KS_EVENT_WHYS(W)                                                               \
	W(ROUTED, 1, "routed", "its SNI and ALPN named the backend")                     \
	W(DEFAULT, 2, "unreadable_default",                                             \
	  "not a readable ClientHello: the default route's backend answers it")         \
	W(NO_ROUTE, 3, "no_route", "no route names it and there is no default")          \
	W(NO_LISTENER, 4, "no_listener",                                                \
	  "neither its backend nor ksteerd has a listener for it")                      \
	W(BACKEND_DOWN, 5, "backend_no_listener",                                       \
	  "its backend has no listener (restarting, or served by ksteerd)")             \
	W(TOO_BIG, 6, "too_big", "a ClientHello over the kernel's 16 KB")                \
	W(REASM_HANDED, 7, "reasm_handed",                                              \
	  "past what the kernel reassembles (segments, bytes, its lifetime)")           \
	W(REASM_FULL, 8, "reasm_full",                                                  \
	  "the reassembly table, pool or the client's share was full")                  \
	W(TIME_WAIT, 9, "time_wait",                                                    \
	  "its SYN met a TIME_WAIT socket of the 4-tuple: left to the kernel")          \
	W(UNSTEERED, 10, "unsteered_group",                                             \
	  "its listener's SO_REUSEPORT group runs no ksteer program")                    \
	W(ASSIGN_ERROR, 11, "assign_error", "the kfunc refused to create it")             \
	W(NEW_CONN, 12, "new_connection", "a long header with an unknown connection ID") \
	W(SERVER_GONE, 13, "server_gone", "its server's socket closed")                  \
	W(BY_PEER, 14, "by_peer", "its address pair's server")                           \
	W(BY_PROBE, 15, "probe", "an unknown CID and pair: the next server in turn")       \
	W(NO_KSTEERD, 16, "no_ksteerd", "ksteerd has no UDP socket: dropped")            \
	W(KSTEERD_ROUTED, 17, "ksteerd_routed", "ksteerd read its ClientHello and routed it") \
	W(TIMEOUT, 18, "hello_timeout",                                                 \
	  "its ClientHello was not whole by ksteerd's deadline: the default route")     \
	W(NO_CLIENT_ADDR, 19, "no_client_address",                                      \
	  "no hand-back possible and no proxy target: never proxied as from this host") \
	W(HANDOFF_FAILED, 20, "handoff_failed", "its backend's unix socket refused it")  \
	W(ROUTED_PARTIAL, 21, "routed_partial",                                         \
	  "its SNI (and ALPN) named the backend before the ClientHello was whole")

#define KS_EV_ENUM_PATH(id, val, name, doc) KS_EV_##id = (val),
#define KS_EV_ENUM_WHY(id, val, name, doc) KS_WHY_##id = (val),
enum ks_event_path { KS_EVENT_PATHS(KS_EV_ENUM_PATH) KS_EV_MAX };
enum ks_event_why { KS_EVENT_WHYS(KS_EV_ENUM_WHY) KS_WHY_MAX };

#define KS_EV_SNI 256         /* KS_SNI_MAX + 1 */
#define KS_EV_ALPN 32

struct ks_event {
	__u64 ns;             /* bpf_ktime_get_ns */
	__u8 path, why, v6, proto;
	__u16 sport, dport;   /* network order */
	__u32 saddr[4], daddr[4];
	__u32 backend;        /* 0: none; KS_FALLBACK_ID: ksteerd */
	__u16 sni_len;
	__u8 alpn_len, pad;
	char sni[KS_EV_SNI];
	char alpn[KS_EV_ALPN];
};

/* ks_monitor: one entry; the data path emits only while now < lease_ns. */
struct ks_monitor {
	__u64 lease_ns;       /* CLOCK_MONOTONIC; the monitor renews it */
	__u32 sample;         /* 1 in this many decisions (0, 1: all) */
	__u32 pid;            /* the monitor holding the lease */
};

#define KS_EVENTS_BYTES (1 << 20)     /* the ring buffer: ~2,800 events */

#endif
