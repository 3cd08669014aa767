/* SPDX-License-Identifier: GPL-2.0 */
/* ksteer-backend: configuration and process-wide state. */
#ifndef KSB_H
#define KSB_H

#include <stdatomic.h>
#include <stdint.h>

#define KSB_MAX_LISTEN	16
#define KSB_MAX_WORKERS	64

struct ksb_config {
	const char *listen[KSB_MAX_LISTEN];
	int nlisten;
	int workers;			/* --reuseport N: listeners and rings per address */
	const char *root, *certs, *handoff, *access_log, *stats_file;
	int max_conns;
	int idle_timeout, header_timeout, drain_timeout;	/* seconds */
	int bufs, buf_size;		/* provided receive buffers per worker */
	int ktls;			/* the probe said the kernel can (and not --no-ktls) */
};

extern struct ksb_config cfg;
extern int root_fd;			/* O_PATH of --root: every open is beneath it */
extern int log_fd;			/* access log, -1 when off */
extern atomic_int g_stopping;		/* SIGTERM: drain and exit */
extern atomic_int g_conns;		/* open connections, all workers (--max-conns) */

/* One line to stderr, prefixed "ksteer-backend: ". */
void ksb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
