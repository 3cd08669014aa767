/* SPDX-License-Identifier: GPL-2.0 */
/* Counters for --stats-file: one set in the context, updated with relaxed
 * atomics by the workers and read by the main thread. */
#ifndef KSB_STATS_H
#define KSB_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define KSB_STATS(X)							\
	X(conns_open) X(conns_total) X(requests) X(ktls_conns)		\
	X(userspace_conns) X(rejected_max_conns) X(timeouts) X(errors)	\
	X(handoffs) X(tls_failed) X(bytes_out) X(slots_in_use)		\
	X(bufs_in_use) X(buf_waits) X(cert_reloads)

struct ksb_stats {
#define X(n) _Atomic int64_t n;
	KSB_STATS(X)
#undef X
};

/* s: a struct ksb_stats *, n: a counter's name. */
#define STAT_ADD(s, n, v) atomic_fetch_add_explicit(&(s)->n, (v), memory_order_relaxed)
#define STAT_INC(s, n) STAT_ADD(s, n, 1)
#define STAT_DEC(s, n) STAT_ADD(s, n, -1)
#define STAT_GET(s, n) atomic_load_explicit(&(s)->n, memory_order_relaxed)

/* Writes the counters and the send path ("ktls", "userspace") as one JSON
 * object to path (via a temporary file and rename, so readers never see
 * half of it). 0 or -1. */
int stats_write(const struct ksb_stats *s, const char *send_path, const char *path);

#endif
