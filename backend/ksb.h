/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksteer-backend: its configuration and its context. main() fills the
 * configuration (options.c, then what start-up settles: the file limit,
 * the kTLS probe) and from then on it is read-only. Everything else the
 * workers share is in one context main makes and hands down (ctx.c):
 * every worker, and every connection through its worker, reaches it, so
 * no file keeps state of its own and a test can run several in one
 * process.
 */
#ifndef KSB_H
#define KSB_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <openssl/bio.h>
#include "certs.h"
#include "stats.h"

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
	int no_ktls;			/* --no-ktls */
	int ktls;			/* the probe said the kernel can (and not --no-ktls) */
};

struct worker;

struct ksb_ctx {
	const struct ksb_config *cfg;
	int root_fd;			/* O_PATH of --root: every open is beneath it */
	int log_fd;			/* access log, -1 when off */
	int log_own;			/* log_fd is ours to close (not stdout) */
	struct certstore certs;
	BIO_METHOD *bio;		/* every connection's BIO is one of these */
	struct ksb_stats stats;
	atomic_int stopping;		/* drain and exit */
	atomic_int conns;		/* open connections, all workers (--max-conns) */
	int handoff_bound;		/* we made cfg->handoff: unlink it at the end */
	struct worker *workers;		/* cfg->workers of them */
	int inited, started, joined;	/* workers set up, threads run, ended */
	sem_t ready;			/* posted by each worker once its ring is set up */
};

/* Everything but the workers: --root, the access log, the certificates,
 * the BIO method. 0, or -1 after one line on stderr. ksb_ctx_close()
 * undoes what was done either way. */
int ksb_ctx_open(struct ksb_ctx *ctx, const struct ksb_config *cfg);
/* The workers, each with its listeners (worker 0 the hand-off socket),
 * running once this returns 0; -1 after one line on stderr. */
int ksb_ctx_start(struct ksb_ctx *ctx);
/* Asks the workers to drain: no new connections, idle ones closed,
 * responses in progress finished, at most --drain-timeout. */
void ksb_ctx_stop(struct ksb_ctx *ctx);
/* Waits for every worker to end; 0, or -1 if one failed. */
int ksb_ctx_join(struct ksb_ctx *ctx);
/* The one cleanup: stops and joins workers still running, frees them,
 * closes what ksb_ctx_open() opened. */
void ksb_ctx_close(struct ksb_ctx *ctx);
/* The send path for the start-up line and the stats file. */
const char *ksb_send_path(const struct ksb_ctx *ctx);
/* Reloads --certs (SIGHUP); the old set stays when the new one fails. */
void ksb_ctx_reload(struct ksb_ctx *ctx);

/* One line to stderr, prefixed "ksteer-backend: ". */
void ksb_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
