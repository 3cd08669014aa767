/* SPDX-License-Identifier: GPL-2.0 */
/* Counters for --stats-file: process-wide, updated with relaxed atomics
 * by the workers and read by the main thread. */
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

extern struct ksb_stats stats;

#define STAT_ADD(n, v) atomic_fetch_add_explicit(&stats.n, (v), memory_order_relaxed)
#define STAT_INC(n) STAT_ADD(n, 1)
#define STAT_DEC(n) STAT_ADD(n, -1)

/* Writes the counters as one JSON object to path (via a temporary file
 * and rename, so readers never see half of it). 0 or -1. */
int stats_write(const char *path);

#endif
