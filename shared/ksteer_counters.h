/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every counter ksteer keeps, written once: its enum name, its ABI value,
 * the name `ksteer stats` prints and its meaning (the README's counters
 * table is generated from these: build/test_counters --update). Included by
 * ksteer_abi.h; the tables are macros only, so the BPF programs pay nothing
 * for the text.
 *
 * Each set is a table macro over two callbacks, grouped by stage in the
 * order a connection meets them:
 *   STAGE(title, what the stage is)
 *   C(ID, value, "printed name", "meaning")    -> KS_ST_ID = value
 *   C(ID, value, "printed name", kind, "meaning")   ksteerd's: -> KS_FB_ID
 * kind is KS_COUNTER (only ever grows) or KS_GAUGE (a level: it goes down
 * too); the README writes "gauge: " before a gauge's meaning, and the
 * Prometheus exposition (lib/metrics.c) gives each its TYPE. The kernel's
 * and the per-backend counters are all KS_COUNTER.
 * The values are the ABI (the programs index the pinned maps by them, and
 * older or newer tools read the same maps), so they are written out rather
 * than taken from the order, which follows the stages. A new counter goes
 * in its stage with the value KS_*_MAX had, and KS_*_MAX grows by one; a
 * printed name never changes (scripts read `ksteer stats -j` keys). The
 * compiler checks that the values fill 0..MAX-1, each once (below).
 */
#ifndef KSTEER_COUNTERS_H
#define KSTEER_COUNTERS_H

#define KS_CTR_NO_STAGE(title, doc)

enum ks_ctr_kind { KS_COUNTER, KS_GAUGE };

/* ks_stats: per-CPU, kept by the BPF programs, index = enum ks_stat. */
#define KS_STAT_COUNTERS(STAGE, C)                                                      \
	STAGE("TC ingress", "every packet to a public address and port; what TC "      \
	      "cannot read is the kernel's.")                                           \
	C(UNSUPPORTED, 46, "passed_unsupported",                                        \
	  "to a public address and port, but not readable here (an IP fragment, an "   \
	  "IPv6 fragment or ESP header, a VLAN tag in the data): left to the kernel")   \
                                                                                        \
	STAGE("SYN", "TC answers it with our cookie, or leaves it to the kernel.")     \
	C(SYN, 0, "syn",                                                                \
	  "SYNs answered with a cookie SYN-ACK, sent back out of the same interface")  \
	C(SYN_BAD, 1, "syn_unanswered",                                                 \
	  "SYNs whose SYN-ACK could not be built: dropped (the client retransmits)")   \
	C(TW_DETOUR, 29, "time_wait_detour",                                            \
	  "SYNs on the 4-tuple of a TIME_WAIT socket: left to the kernel, which "      \
	  "reuses the 4-tuple; the public port's listener takes it (in a steered "     \
	  "group, ksteerd's)")                                                         \
	C(SYN_EXISTING, 44, "syn_existing_socket",                                      \
	  "SYNs on the 4-tuple of another live socket (established, closing): left to " \
	  "the kernel, which answers as without us")                                   \
	C(SYN_NO_COOKIES, 45, "syn_no_syncookies",                                      \
	  "SYNs left to the kernel: `net.ipv4.tcp_syncookies` is 0 in the namespace, " \
	  "so no cookie of ours would be checked")                                     \
                                                                                        \
	STAGE("Cookie", "a segment that no socket has is ours only with our cookie.")  \
	C(COOKIE_OK, 2, "cookie_ok",                                                    \
	  "segments with no socket whose cookie verified (the ACK of our SYN-ACK, "    \
	  "with or without data)")                                                     \
	C(COOKIE_BAD, 3, "cookie_bad",                                                  \
	  "segments with no socket whose cookie did not verify and that carry nothing " \
	  "to hold (a bare ACK, FIN, RST), or that claim another cookie on a held "    \
	  "flow's 4-tuple: passed to the kernel; and a held flow's segment whose "     \
	  "timestamp echo differs from its first segment's: dropped")                  \
	C(BARE_ACK, 4, "bare_ack_dropped",                                              \
	  "verified ACKs without data, dropped: the connection is created with the "   \
	  "ClientHello (defer accept)")                                                \
                                                                                        \
	STAGE("ClientHello", "TC parses the first data segment and routes it.")        \
	C(INCOMPLETE, 6, "hello_incomplete",                                            \
	  "the first data segment holds only part of the ClientHello (or request "     \
	  "head) and not yet what it routes by: reassembly starts (below)")            \
	C(PLACED_PARTIAL, 98, "hello_placed_partial",                                   \
	  "the first data segment holds only part of the ClientHello, but its whole "  \
	  "server_name (and ALPN, when the name has ALPN routes): placed on it as a "  \
	  "whole one is, nothing held; the rest goes to the new socket")               \
	C(MALFORMED, 7, "hello_malformed",                                              \
	  "not TLS, an SSLv2-compatible hello or a broken ClientHello (in one segment " \
	  "or held): what it names is not trusted, so it goes to the `default` "       \
	  "route's backend, refused (RST) without one")                                \
	C(UNREADABLE_DEFAULT, 55, "hello_unreadable_to_default",                        \
	  "of `hello_malformed`: given to the `default` route's backend, which "       \
	  "answers it as it would directly")                                           \
	C(TOO_BIG, 8, "hello_too_big",                                                  \
	  "ClientHellos over what the kernel keeps (16 KB, in records of any size): "  \
	  "to ksteerd's listener, which reads up to 64 KB (refused without " \
	  "one: `no_listener`)")                                                       \
	C(NO_ROUTE, 9, "no_route",                                                      \
	  "whole ClientHellos (request heads, SSH clients) that match no route, with " \
	  "no `default`: refused (RST)")                                               \
                                                                                        \
	STAGE("Plain HTTP and SSH", "on a plain-HTTP port TC reads the request head "  \
	      "instead (reassembled over segments as ClientHellos are); on a TLS port, " \
	      "an SSH client's first bytes.")                                           \
	C(HTTP_HOST, 60, "http_by_host",                                                \
	  "requests on a plain-HTTP port routed by the host they name (Host, or an "   \
	  "absolute-form target), in that port's routes (`route add --port`)")         \
	C(HTTP_NO_HOST, 61, "http_no_host",                                             \
	  "requests naming no host (HTTP/1.0 or 1.1 without Host, an empty Host, an "  \
	  "IPv6 literal): the port's `default` route")                                 \
	C(HTTP_H2_PRIOR, 62, "http_h2_prior_knowledge",                                 \
	  "cleartext HTTP/2 with prior knowledge (`PRI * HTTP/2.0`): the port's "      \
	  "`default` route")                                                           \
	C(HTTP_MALFORMED, 63, "http_malformed",                                         \
	  "request heads that break HTTP/1.x (a second Host, obs-fold, a bad request " \
	  "line, version or Host; not HTTP): the port's `default` route, refused "     \
	  "(RST) without one")                                                         \
	C(HTTP_TOO_BIG, 64, "http_too_big",                                             \
	  "request heads not ended within 8 KB: to ksteerd's listener, which reads "   \
	  "up to 64 KB")                                                               \
	C(SSH, 65, "ssh",                                                               \
	  "connections on a TLS port opening with an SSH identification (`SSH-2.0-`): " \
	  "to the SSH route's backend (`route add --proto ssh`), refused without one") \
                                                                                        \
	STAGE("Placing", "TC creates the connection in the chosen listener's accept "  \
	      "queue, or refuses it.")                                                  \
	C(ASSIGNED, 5, "assigned",                                                      \
	  "connections created in a backend's accept queue (or ksteerd's)")            \
	C(TO_FALLBACK, 28, "to_fallback",                                               \
	  "the routed backend has no listener: given to ksteerd's listener instead")   \
	C(NO_LISTENER, 10, "no_listener",                                               \
	  "neither the chosen backend nor ksteerd has a listener: refused (RST)")      \
	C(UNSTEERED_GROUP, 19, "reuseport_group_unsteered",                             \
	  "the listener on the public port is in a SO_REUSEPORT group without our "    \
	  "sk_reuseport program: refused (RST) rather than hashed across backends")    \
	C(ASSIGN_ERR, 11, "assign_error",                                               \
	  "the kernel refused to create the connection (`bpf_sk_assign_tcp_reqsk`), "  \
	  "for a ClientHello or a hand-back: dropped")                                 \
	C(RST_SENT, 12, "rst_sent",                                                     \
	  "refusals sent (RSTs), only ever to a segment that carried our cookie")      \
	C(RST_FAIL, 13, "rst_failed",                                                   \
	  "refusals whose RST could not be built: the segment dropped instead")        \
                                                                                        \
	STAGE("Reassembly", "TC holds a ClientHello that spans several segments, "     \
	      "acknowledging them as they come.")                                       \
	C(REASM_STARTED, 20, "reasm_started",                                           \
	  "ClientHellos (request heads) held over several segments (a verified first " \
	  "segment, part of one)")                                                     \
	C(REASM_DONE, 21, "reasm_completed",                                            \
	  "held ClientHellos (request heads) completed, then routed and placed as "    \
	  "above")                                                                     \
	C(REASM_EARLY, 22, "reasm_early_segment",                                       \
	  "a later segment that came before the first: held unverified, 3 s at most "  \
	  "(two of up to 2 KB per 4-tuple and claimed cookie)")                        \
	C(REASM_EXPIRED, 23, "reasm_expired",                                           \
	  "unverified early segments past their 3 s, found when the flow sent again: " \
	  "discarded")                                                                 \
	C(REASM_OVERFLOW, 24, "reasm_overflow",                                         \
	  "more than a flow holds (128 pieces of up to 2 KB, 4 runs past holes, "      \
	  "128 KB on the wire): the flow goes to ksteerd; a third early segment, or one over " \
	  "2 KB: dropped")                                                             \
	C(REASM_NAMED, 101, "reasm_placed_named",                                       \
	  "held ClientHellos placed before they were whole: the held bytes one "       \
	  "segment carries (16 KB) named the route (its whole server_name, and ALPN "  \
	  "when the name has ALPN routes); the client sends the rest to the new "      \
	  "socket")                                                                    \
	C(REASM_WINDOW, 103, "reasm_window_full",                                       \
	  "held ClientHellos not yet whole nor named when every byte up to the "      \
	  "window TC advertised was held (a client without window scaling: 64 KB "   \
	  "past the first 16 KB; without SACK: 32 KB of records): to ksteerd, as "   \
	  "the client can send no more")                                             \
	C(REASM_ACK_DEFERRED, 104, "reasm_ack_deferred",                               \
	  "held segments not acknowledged at once: a full-sized one in order, after "  \
	  "which the client sends on without our ACK; as a receiver's delayed ACK, "   \
	  "the next one is acknowledged (with this one), as is every retransmission, " \
	  "out-of-order or small segment")                                             \
	C(REASM_AGAIN_SOON, 102, "reasm_placed_again_too_soon",                         \
	  "a placed flow's segment that met no socket within 50 ms of its last "       \
	  "placement: dropped, not placed again (each placement rewrites up to 16 KB); " \
	  "the client's next retransmission places it")                               \
	C(REASM_BAD_CSUM, 56, "reasm_bad_checksum",                                     \
	  "a segment to hold whose TCP checksum is wrong: neither held nor "           \
	  "acknowledged (the client resends it)")                                      \
	C(REASM_FAILED, 25, "reasm_rewrite_failed",                                     \
	  "the segment that completes a held flow could not be rewritten to carry the " \
	  "held bytes: dropped (the client resends)")                                  \
	C(REASM_FULL, 31, "reasm_full_to_fallback",                                     \
	  "the table, the pool or the client /24 (/64)'s share (1/16 of the pool) was " \
	  "full even after a sweep: the flow went to ksteerd")                         \
	C(REASM_HANDED, 32, "reasm_handed_to_fallback",                                 \
	  "a held flow past its 10 s lifetime, past what it holds (overflow, full) or " \
	  "with a ClientHello over 16 KB: to ksteerd with the bytes acknowledged (RST " \
	  "if ksteerd has no listener)")                                               \
	C(REASM_SWEPT, 33, "reasm_swept",                                               \
	  "entries past their lifetime (held 10 s, placed 3 s) freed by a bounded "    \
	  "sweep, run when the table, the pool or a share is full")                    \
	C(REASM_REPLACED, 57, "reasm_stale_replaced",                                   \
	  "a held flow's 4-tuple began a new connection (a verified cookie of its "    \
	  "own): the old entry dropped")                                               \
	C(REASM_PLACED_AGAIN, 58, "reasm_placed_again",                                 \
	  "a placed flow's next segment met no socket (the accept queue or a "         \
	  "reuseport group dropped it): placed again")                                 \
                                                                                        \
	STAGE("sk_reuseport", "inside a SO_REUSEPORT group the kernel selects again; " \
	      "our program picks the member, never the kernel's hash across backends.") \
	C(RP_SELECTED, 14, "reuseport_selected",                                        \
	  "TCP: one of the chosen backend's sockets selected (ksteerd's and "          \
	  "migrations included, which `reuseport_fallback` and `reuseport_migrated` "  \
	  "count again)")                                                              \
	C(RP_FALLBACK, 30, "reuseport_fallback",                                        \
	  "ksteerd's socket chosen: SYNs, ClientHellos whose backend is absent from "  \
	  "the group or too big for the kernel, QUIC datagrams no server owns")        \
	C(RP_DROP, 16, "reuseport_dropped",                                             \
	  "no place in the group: no route and no `default`, or neither the backend "  \
	  "nor ksteerd has a socket in it (TCP or QUIC): dropped, never hashed")       \
	C(RP_PASS, 15, "reuseport_passed",                                              \
	  "a SYN in a group off the public address and port (one backend's workers), " \
	  "no ksteerd socket in it: the kernel's hash")                                \
	C(RP_SYN_DROP, 50, "reuseport_syn_dropped",                                     \
	  "a SYN left to the kernel in a group on the public address, no ksteerd "     \
	  "socket there: dropped, not hashed (the client retries)")                    \
	C(RP_MIGRATED, 26, "reuseport_migrated",                                        \
	  "a closing listener's queued connection moved to a sibling of its backend "  \
	  "(or to ksteerd's socket), never to another backend")                        \
	C(RP_MIGRATE_DROP, 27, "reuseport_migrate_dropped",                             \
	  "a closing listener's queued connection with neither a sibling nor "         \
	  "ksteerd's socket left: dropped")                                            \
	C(RP_QUIC_SELECTED, 42, "reuseport_quic_selected",                              \
	  "UDP: a QUIC server's socket selected, by TC's choice, the datagram's "      \
	  "connection ID or the registered socket the kernel found")                   \
	C(RP_QUIC_TC_PICK, 89, "reuseport_quic_tc_choice",                              \
	  "UDP: of those, selected by the choice TC noted for that very datagram, "    \
	  "its packet not read again")                                                 \
	C(RP_QUIC_GROUP, 99, "reuseport_quic_group_routed",                             \
	  "UDP: of those, short headers TC passed untouched (every QUIC server in a "  \
	  "SO_REUSEPORT group): routed by this program alone, by CID, pair or probe")  \
                                                                                        \
	STAGE("Listeners", "sock_ops registers every listener bound to a backend's address.") \
	C(REGISTERED, 17, "listeners_registered",                                       \
	  "listeners registered as one of their backend's slots")                      \
	C(REGISTER_FULL, 18, "listeners_rejected_full",                                 \
	  "listeners not registered: the backend has 16 already")                      \
	C(REG_OTHER_NETNS, 48, "register_other_netns",                                  \
	  "a listener on a backend's address in another network namespace than "       \
	  "`up`'s: not registered")                                                    \
	C(REG_MPTCP, 49, "register_mptcp",                                              \
	  "an MPTCP listener on a backend's address: not registered (its backend's "   \
	  "`mptcp_refused`)")                                                          \
                                                                                        \
	STAGE("Hand-back", "TC places a connection ksteerd has read into its "         \
	      "backend's listener (`fallback.handback`).")                              \
	C(HB_ASSIGNED, 51, "handback_assigned",                                         \
	  "a handed-back connection created in its backend's queue")                   \
	C(HB_UNPLACED, 54, "handback_unplaced",                                         \
	  "ksteerd's marked segment not placed (no listener, a full queue, an "        \
	  "unsteered group, the kfunc refused): dropped, ksteerd retries")             \
	C(HB_DROPPED, 52, "handback_segment_dropped",                                   \
	  "segments of a flow being handed back, dropped (the client retransmits), "   \
	  "and ksteerd's marked segments of a flow no longer handed back")             \
	C(HB_STALE, 53, "handback_stale",                                               \
	  "hand-back entries older than 1 s (a ksteerd that died mid-way): deleted")   \
                                                                                        \
	STAGE("QUIC", "TC steers UDP datagrams to the server socket of their "         \
	      "connection (`ksteer up --quic`).")                                       \
	C(UDP_NOT_QUIC, 47, "udp_not_quic",                                             \
	  "UDP to a public address and port that is not QUIC: passed untouched")       \
	C(QUIC_BY_CID, 34, "quic_by_cid",                                               \
	  "datagrams whose server was found by a learned connection ID")               \
	C(QUIC_BY_LB, 35, "quic_by_lb_server_id",                                       \
	  "short-header datagrams whose server was found by a QUIC-LB server ID in "   \
	  "the connection ID (`backend add --quic-sid`)")                              \
	C(QUIC_BY_PEER, 36, "quic_by_peer",                                             \
	  "short-header datagrams whose server was found by the address pair (the "    \
	  "connection ID not known)")                                                  \
	C(QUIC_BY_PROBE, 43, "quic_probed",                                             \
	  "short-header datagrams of an unknown connection ID and address pair (a "    \
	  "migrated client): given to the QUIC servers in turn until the owner "       \
	  "answers the new path")                                                      \
	C(QUIC_PROBE_FULL, 68, "quic_probe_full",                                       \
	  "of those: no probe entry free (`ks_quic_probes` full): for ksteerd")        \
	C(QUIC_TO_FALLBACK, 37, "quic_to_fallback",                                     \
	  "datagrams of unknown connections (a new Initial's connection ID, a short "  \
	  "header nothing matches): for ksteerd")                                      \
	C(QUIC_STALE, 39, "quic_socket_gone",                                           \
	  "the owning server's socket closed: the datagram for ksteerd")               \
	C(QUIC_DROPPED, 38, "quic_dropped_no_fallback",                                 \
	  "of those for ksteerd: dropped, ksteerd has no UDP socket (the client "      \
	  "retransmits)")                                                              \
	C(QUIC_OUTSIDE_GROUP, 100, "quic_outside_group",                                \
	  "a short header TC passed to the SO_REUSEPORT group whose server socket is " \
	  "not in that group: dropped (the client retransmits), and TC routes short "  \
	  "headers itself from then on")                                               \
	C(QUIC_ASSIGN_ERR, 41, "quic_assign_error",                                     \
	  "the kernel refused the chosen socket (`bpf_sk_assign`): dropped (also "     \
	  "counted by how it was found)")                                              \
	C(QUIC_LEARNED, 40, "quic_cids_learned",                                        \
	  "TC egress: server connection IDs learned from the servers' long headers")   \
	C(QUIC_PATH_LEARNED, 71, "quic_paths_learned",                                  \
	  "TC egress: address pairs learned from a server's first flight (never over " \
	  "another server's)")                                                         \
	C(QUIC_PROBE_LEARNED, 66, "quic_probe_learned",                                 \
	  "TC egress: address pairs learned from the owner's answer to a new path "    \
	  "(probed, or routed by connection ID)")                                      \
	C(QUIC_PROBE_DROPPED, 67, "quic_probe_dropped",                                 \
	  "TC egress: a probed server's answer shorter than what it was given (a "     \
	  "Stateless Reset for a CID it does not own): dropped")                       \
	C(QUIC_PATH_AMBIGUOUS, 72, "quic_path_ambiguous",                               \
	  "TC egress: a second live server answering an address pair: the pair "       \
	  "routes nothing (connection IDs still do)")                                  \
	C(QUIC_TABLE_FULL, 69, "quic_table_full",                                       \
	  "a server CID, address pair or client address not stored: its table at "     \
	  "the connection limit (`up --quic-entries`)")                                \
	C(QUIC_EXPIRED, 70, "quic_expired",                                             \
	  "learned entries unused for 120 s, deleted when their table was full")       \
	C(QUIC_BIND_SEEN, 73, "quic_server_binds",                                      \
	  "a QUIC server (a registered backend's cgroup) bound the public UDP port: "   \
	  "ksteerd registers its sockets (a restarted server)")                        \
	C(QK_ROUTED, 74, "quic_kernel_routed",                                          \
	  "new connections whose Initial TC decrypted and routed by its ClientHello: " \
	  "CIDs installed, the datagram given to the server (no ksteerd)")             \
	C(QK_PARTIAL, 75, "quic_kernel_partial",                                        \
	  "of the new connections TC decrypted: the ClientHello not whole in the "     \
	  "first datagram (Chromium's span two): held for the next "                   \
	  "(quic_kernel_held), else for ksteerd")                                      \
	C(QK_BUDGET, 76, "quic_kernel_budget",                                          \
	  "new connections past this CPU's 8192 decryptions a second: for ksteerd, "   \
	  "undecrypted")                                                               \
	C(QK_NO_ROUTE, 77, "quic_kernel_no_route",                                      \
	  "a ClientHello TC read with no route, or no QUIC socket of its backend: "    \
	  "dropped (the client retransmits)")                                          \
	C(QK_NOT_ADMITTED, 78, "quic_kernel_not_admitted",                              \
	  "a new connection's Initial in a datagram under 1200 bytes, or with a DCID " \
	  "under 8 bytes: not decrypted, for ksteerd (which drops it)")               \
	C(QK_E_TRUNCATED, 79, "quic_kernel_truncated",                                  \
	  "a new connection's long header running past the datagram: for ksteerd")     \
	C(QK_E_NOT_INITIAL, 80, "quic_kernel_not_initial",                              \
	  "a new connection's first packet not an Initial: for ksteerd")               \
	C(QK_E_VERSION, 81, "quic_kernel_version",                                      \
	  "a version with no keys (v1, v2 have them): for ksteerd (Version "           \
	  "Negotiation)")                                                              \
	C(QK_E_CID, 82, "quic_kernel_cid",                                              \
	  "a connection ID over 20 bytes: for ksteerd")                                \
	C(QK_E_TOKEN, 83, "quic_kernel_token",                                          \
	  "a token length past the datagram: for ksteerd")                             \
	C(QK_E_LENGTH, 84, "quic_kernel_length",                                        \
	  "a Length past the datagram or too short to sample: for ksteerd")            \
	C(QK_E_TOO_BIG, 85, "quic_kernel_too_big",                                      \
	  "a datagram over the kernel's 2048 bytes: for ksteerd")                      \
	C(QK_MALFORMED, 86, "quic_kernel_malformed",                                    \
	  "decrypted, then reserved bits set, no frames, a malformed frame, one not "  \
	  "allowed in Initial, or more ACK ranges than the kernel reads: for ksteerd") \
	C(QK_STREAM, 87, "quic_kernel_crypto_odd",                                      \
	  "CRYPTO frames overlapping each other or past the kernel's 4 KB of stream: " \
	  "for ksteerd")                                                               \
	C(QK_HELLO_BAD, 88, "quic_kernel_hello_bad",                                    \
	  "a whole CRYPTO stream that is no ClientHello the parser reads: dropped")    \
	C(QH_HELD, 90, "quic_kernel_held",                                              \
	  "a new connection's first datagram with part of its ClientHello, held at TC " \
	  "(up to 1 s) for the next datagram")                                         \
	C(QH_ROUTED, 91, "quic_kernel_held_routed",                                     \
	  "ClientHellos made whole by a held datagram and the next: routed, both "     \
	  "given to the server in the client's order (no ksteerd)")                    \
	C(QH_TO_KSTEERD, 92, "quic_kernel_held_to_ksteerd",                             \
	  "a held datagram and the next not a whole ClientHello (a third needed, a "   \
	  "frame the kernel does not read): both, and the connection's next 1 s, "     \
	  "to ksteerd")                                                                \
	C(QH_REPLACED, 93, "quic_kernel_held_replaced",                                 \
	  "a held datagram dropped for a retransmission overlapping it (the client "   \
	  "resent its data)")                                                          \
	C(QH_EXPIRED, 94, "quic_kernel_held_expired",                                   \
	  "a held datagram past its 1 s with no next one: dropped (the next was lost; " \
	  "the client resends both)")                                                  \
	C(QH_FULL, 95, "quic_kernel_hold_full",                                         \
	  "a partial first datagram not held: 512 held already (none past its "        \
	  "life): for ksteerd")                                                        \
	C(QH_SOURCE, 96, "quic_kernel_hold_source",                                     \
	  "a partial first datagram not held: its client's /24 or /64 made 16 this "   \
	  "second: for ksteerd")                                                       \
	C(QH_LOST, 97, "quic_kernel_held_lost",                                         \
	  "a held datagram or its successor not sent on (the clone into ingress or "   \
	  "the rewrite failed): the client resends it")                                \
                                                                                        \
	STAGE("Monitor", "`ksteer monitor`'s stream of decisions.")                   \
	C(MONITOR_LOST, 59, "monitor_events_lost",                                      \
	  "decisions not shown to `ksteer monitor`: its ring buffer was full (a slow " \
	  "reader loses events; the data path never waits for it)")


/* ks_fallback_stats: ksteerd's counters, an mmap-able array it increments
 * in place, index = enum ks_fb_stat; `ksteer stats -j` shows them under
 * "fallback" (`fallback_NAME` lines without -j). */
#define KS_FB_COUNTERS(STAGE, C)                                                        \
	STAGE("ksteerd", "the fallback router reads the ClientHello of what the "      \
	      "kernel could not place (`\"fallback\"` in `ksteer stats -j`).")          \
	C(ACCEPTED, 0, "accepted", KS_COUNTER,                                          \
	  "connections ksteerd accepted (what TC or sk_reuseport gave its listeners)") \
	C(ACTIVE, 10, "active", KS_GAUGE,                                               \
	  "connections ksteerd holds now (reading, handing back, proxying)")           \
	C(CLOSED_EARLY, 9, "closed_early", KS_COUNTER,                                  \
	  "the client left before its ClientHello was whole")                          \
	C(TIMEOUT, 5, "hello_timeout", KS_COUNTER,                                      \
	  "ClientHello not whole by the deadline (`--deadline`, 5 s): to the "         \
	  "`default` route's backend (slowloris), reset without one")                  \
	C(TOO_BIG, 6, "hello_too_big", KS_COUNTER,                                      \
	  "ClientHello beyond ksteerd's cap (64 KB, in up to `--max-hello` bytes of "  \
	  "records, 512 KB by default): reset")                                        \
	C(MALFORMED, 7, "hello_malformed", KS_COUNTER,                                  \
	  "not TLS or a broken ClientHello: to the `default` route's backend, reset "  \
	  "without one")                                                               \
	C(TO_DEFAULT, 26, "unreadable_to_default", KS_COUNTER,                          \
	  "of `fallback.hello_malformed` and `fallback.hello_timeout`: given to the "  \
	  "`default` route's backend")                                                 \
	C(NO_ROUTE, 8, "no_route", KS_COUNTER,                                          \
	  "no route and no `default` (or a backend since deleted): reset")             \
	C(HTTP, 41, "http", KS_COUNTER,                                                 \
	  "connections on a plain-HTTP port whose request head ksteerd read (the "     \
	  "kernel's parser; its outcomes counted as a ClientHello's)")                 \
	C(SSH, 42, "ssh", KS_COUNTER,                                                   \
	  "SSH clients on a TLS port: to the SSH route")                               \
                                                                                        \
	STAGE("ksteerd delivery", "the routed backend gets the connection: handed "    \
	      "back into its listener, handed off over its unix socket, or proxied.")   \
	C(HANDBACK, 21, "handback", KS_COUNTER,                                         \
	  "connections ksteerd handed back into their backend's listener")             \
	C(HANDBACK_FAILED, 22, "handback_failed", KS_COUNTER,                           \
	  "not placed after every retry, or not fed whole within 5 s: reset (RST)")    \
	C(HANDBACK_RETRIED, 23, "handback_retried", KS_COUNTER,                         \
	  "injections sent again (TC had not placed it yet)")                          \
	C(HANDBACK_PENDING, 25, "handback_pending", KS_GAUGE,                           \
	  "hand-backs under way (TC reads `ks_handback` only while it is non-zero)")   \
	C(HANDOFF, 1, "handoff", KS_COUNTER,                                            \
	  "handed to the backend over its unix socket (`backend add --handoff`)")      \
	C(HANDOFF_FAILED, 2, "handoff_failed", KS_COUNTER,                              \
	  "the backend's unix socket absent or refusing: reset")                       \
	C(PROXY, 3, "proxy", KS_COUNTER,                                                \
	  "proxied to the backend's own target (`backend add --proxy`), with no "      \
	  "hand-back possible")                                                        \
	C(PROXY_FAILED, 4, "proxy_failed", KS_COUNTER,                                  \
	  "the proxy target unreachable (or its PROXY v2 header not sent): reset")     \
	C(REFUSED_NO_CLIENT_ADDR, 24, "refused_no_client_address", KS_COUNTER,          \
	  "no hand-back possible and no proxy target of the backend's own: refused "   \
	  "(RST), never proxied as from this host")                                    \
                                                                                        \
	STAGE("ksteerd QUIC", "routes unknown QUIC connections by the SNI of their "   \
	      "client Initial (`ksteerd --quic`).")                                     \
	C(QUIC_DATAGRAMS, 11, "quic_datagrams", KS_COUNTER,                             \
	  "UDP datagrams of unknown QUIC connections")                                 \
	C(QUIC_UNKNOWN, 19, "quic_unknown_connection", KS_COUNTER,                      \
	  "a short header of a connection nobody owns (ended, or aged out): dropped")  \
	C(QUIC_UNREADABLE, 14, "quic_unreadable", KS_COUNTER,                           \
	  "not a decryptable client Initial (forged, damaged, another packet type): "  \
	  "dropped")                                                                   \
	C(QUIC_FULL, 18, "quic_pending_full", KS_COUNTER,                               \
	  "too many connections waiting for their ClientHello (`--quic-pending`): "    \
	  "the oldest dropped for the new one (its client retransmits)")               \
	C(QUIC_SOURCE_FULL, 31, "quic_source_full", KS_COUNTER,                         \
	  "a client address with `--quic-per-source` connections pending: its "        \
	  "oldest dropped for the new one")                                            \
	C(QUIC_SMALL, 29, "quic_initial_small", KS_COUNTER,                             \
	  "an Initial (or an unknown version) in a datagram below 1200 bytes: "        \
	  "dropped, no state (RFC 9000 14.1)")                                         \
	C(QUIC_SHORT_DCID, 30, "quic_dcid_short", KS_COUNTER,                           \
	  "an Initial whose client-chosen DCID is below 8 bytes: dropped, no state "   \
	  "(RFC 9000 7.2)")                                                            \
	C(QUIC_VN_SENT, 27, "quic_version_negotiation", KS_COUNTER,                     \
	  "a version ksteerd cannot read: answered with Version Negotiation "          \
	  "(listing v1 and v2)")                                                       \
	C(QUIC_VN_LIMITED, 28, "quic_version_negotiation_limited", KS_COUNTER,          \
	  "a version ksteerd cannot read, over the rate of Version Negotiation it "    \
	  "sends (100/s), or not sendable: dropped")                                                    \
	C(QUIC_PENDING, 20, "quic_pending", KS_GAUGE,                                   \
	  "connections waiting for their ClientHello")                                 \
	C(QUIC_TIMEOUT, 17, "quic_hello_timeout", KS_COUNTER,                           \
	  "ClientHello not whole by the deadline: dropped")                            \
	C(QUIC_MALFORMED, 16, "quic_hello_malformed", KS_COUNTER,                       \
	  "the ClientHello inside broke the TLS grammar: dropped")                     \
	C(QUIC_NO_ROUTE, 15, "quic_no_route", KS_COUNTER,                               \
	  "an SNI with no route, a backend with no QUIC socket, or a route that could " \
	  "not be installed: dropped")                                                 \
	C(QUIC_ROUTED, 12, "quic_routed", KS_COUNTER,                                   \
	  "QUIC connections routed by their Initial's SNI (TC then steers them by "    \
	  "connection ID and address pair)")                                           \
	C(QUIC_REINJECTED, 13, "quic_reinjected", KS_COUNTER,                           \
	  "their held datagrams given back to the kernel, to reach the server")        \
	C(QUIC_ZERO_RTT_HELD, 32, "quic_zero_rtt_held", KS_COUNTER,                     \
	  "datagrams of 0-RTT (no Initial) held with their pending connection, "       \
	  "re-injected after its Initials")                                            \
	C(QUIC_HELD_FULL, 33, "quic_held_full", KS_COUNTER,                             \
	  "a pending connection already holds 16 datagrams or 80 KB: the next "        \
	  "dropped unread (the client retransmits)")                                   \
	C(QUIC_LATE, 34, "quic_reinjected_late", KS_COUNTER,                           \
	  "datagrams of a connection just routed that were already queued to "         \
	  "ksteerd: re-injected as they come")                                         \
	C(QUIC_REFUSED_LATE, 37, "quic_refused_late", KS_COUNTER,                       \
	  "datagrams of a connection just refused (no route, malformed) that were "    \
	  "already queued to ksteerd: dropped, not read again")                        \
	C(QUIC_LOOPED, 35, "quic_looped", KS_COUNTER,                                   \
	  "a datagram ksteerd re-injected came back to it (TC could not steer it): "   \
	  "dropped, never re-injected again")                                          \
	C(QUIC_REINJECT_FAILED, 36, "quic_reinject_failed", KS_COUNTER,                 \
	  "re-injection refused by the kernel (raw socket): the client retransmits") \
                                                                                        \
	STAGE("ksteerd metrics", "the Prometheus endpoint (`ksteerd --metrics`).")     \
	C(METRICS_SCRAPES, 38, "metrics_scrapes", KS_COUNTER,                           \
	  "`GET /metrics` answered with the counters (200)")                           \
	C(METRICS_BAD, 39, "metrics_bad_request", KS_COUNTER,                           \
	  "answered with an error, then closed: another path (404), not GET or HEAD "  \
	  "(405), a malformed head or one over 2 KB (400)")                            \
	C(METRICS_DROPPED, 40, "metrics_dropped", KS_COUNTER,                           \
	  "closed unanswered: over 16 scrapers at once, not done within 5 s, or gone " \
	  "before their request was whole")

/* Not a counter: `ksteer stats` counts ksteerd's TCP listeners in
 * ks_listeners (the fallback backend's slots); shown with ksteerd's, a
 * gauge. */
#define KS_FALLBACK_LISTENERS "fallback_listeners"
#define KS_FALLBACK_LISTENERS_DOC                                                       \
	"ksteerd's listeners registered: with none, what TC gives ksteerd is "         \
	"refused (`no_listener`)"

/*
 * ks_backend_stats: per-CPU, index = backend id; struct ks_backend_stat
 * has one __u64 per entry, in this order (the ABI):
 *   C(field, "meaning")   the field's name is the printed one
 */
#define KS_BACKEND_COUNTERS(STAGE, C)                                                   \
	STAGE("Per backend", "each backend's own (`\"backends\"` in `ksteer stats "     \
	      "-j`); `backend list` shows `assigned` and `selected` too, and "          \
	      "`mptcp_refused` with `-j`.")                                             \
	C(routed, "ClientHellos TC routed to it, placed or not (the `default` "        \
	  "route's backend: the unreadable ones too)")                                 \
	C(assigned, "connections TC created in its queue, hand-backs included")        \
	C(selected, "sk_reuseport chose one of its sockets (TCP)")                     \
	C(mptcp_refused, "MPTCP listeners on its address, not registered")

/*
 * The enums. Each value once (a value used twice is a second enumerator of
 * one name), each below MAX (an array of negative size), and as many
 * counters as MAX (a struct of one byte each): no index is left unnamed.
 */
#define KS_ST_ENUM(id, val, name, doc) KS_ST_##id = (val),
enum ks_stat {
	KS_STAT_COUNTERS(KS_CTR_NO_STAGE, KS_ST_ENUM)
	KS_ST_MAX = 105       /* the next counter's value */
};
#define KS_ST_VALUE_ONCE(id, val, name, doc) ks_st_value_##val,
#define KS_ST_BELOW_MAX(id, val, name, doc) char ks_st_##id[(val) < KS_ST_MAX ? 1 : -1];
enum ks_st_values { KS_STAT_COUNTERS(KS_CTR_NO_STAGE, KS_ST_VALUE_ONCE) };
struct ks_st_check { KS_STAT_COUNTERS(KS_CTR_NO_STAGE, KS_ST_BELOW_MAX) };
_Static_assert(sizeof(struct ks_st_check) == KS_ST_MAX, "every ks_stats index has one");

#define KS_FB_ENUM(id, val, name, kind, doc) KS_FB_##id = (val),
enum ks_fb_stat {
	KS_FB_COUNTERS(KS_CTR_NO_STAGE, KS_FB_ENUM)
	KS_FB_MAX = 43        /* the next counter's value */
};
#define KS_FB_VALUE_ONCE(id, val, name, kind, doc) ks_fb_value_##val,
#define KS_FB_BELOW_MAX(id, val, name, kind, doc) char ks_fb_##id[(val) < KS_FB_MAX ? 1 : -1];
enum ks_fb_values { KS_FB_COUNTERS(KS_CTR_NO_STAGE, KS_FB_VALUE_ONCE) };
struct ks_fb_check { KS_FB_COUNTERS(KS_CTR_NO_STAGE, KS_FB_BELOW_MAX) };
_Static_assert(sizeof(struct ks_fb_check) == KS_FB_MAX, "every ks_fallback_stats index has one");

#endif
