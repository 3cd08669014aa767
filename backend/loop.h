/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A worker: one thread, one io_uring, its own SO_REUSEPORT listener on
 * each --listen address, its own fixed-file table and receive buffers.
 * Nothing is shared between workers but the context (ksb.h): the
 * certificates, the counters and the connection limit.
 */
#ifndef KSB_LOOP_H
#define KSB_LOOP_H

#include <liburing.h>
#include <pthread.h>
#include <time.h>
#include "bufring.h"
#include "ksb.h"

struct conn;

/* What a completion is about: the kind in the top byte of user_data,
 * a connection pointer or a number below. */
enum ud_kind {
	UD_ACCEPT = 1, UD_HANDOFF_ACCEPT, UD_HANDOFF_POLL, UD_TICK, UD_WAKE,
	UD_RECV, UD_SEND, UD_READ, UD_POLL, UD_IGNORE,
};
#define UD(kind, val)	((uint64_t)(kind) << 56 | (uint64_t)(uintptr_t)(val))
#define UD_KIND(ud)	((int)((ud) >> 56))
#define UD_VAL(ud)	((ud) & ((1ULL << 56) - 1))

struct worker {
	int id;
	struct ksb_ctx *ctx;
	/* The context's, copied here: the paths that read them start from
	 * a connection's worker. */
	const struct ksb_config *cfg;
	struct ksb_stats *stats;
	struct io_uring ring;
	struct bufring br;
	int lfd[KSB_MAX_LISTEN];
	int nl;
	int hfd;			/* hand-off listener (worker 0), or -1 */
	int efd;			/* eventfd: the main thread's "stop" */
	uint64_t efd_val;
	int *free_slots, nfree, nslots;
	struct conn *conns;
	int nconns;
	struct conn *wait_head, *wait_tail;	/* waiting for a receive buffer */
	int bufs_freed;
	int ms_accept;			/* multishot accept works here */
	int accept_down;		/* accepts to re-arm on the next tick */
	struct __kernel_timespec tick_ts;
	time_t now;
	int stopping;
	time_t stop_deadline;
	char date[30];			/* IMF-fixdate of `now` */
	char logbuf[16384];
	size_t loglen;
	int ring_up;			/* ring and buffer ring set up */
	int failed;			/* its ring could not be set up, or failed */
	pthread_t th;
};

/* A worker of ctx with no listener yet (lfd[], hfd: -1). 0 or -1. */
int worker_init(struct worker *w, struct ksb_ctx *ctx, int id);
/* Runs w in a thread of its own; it posts ctx->ready once its ring is
 * set up (w->failed if not) and ends when ctx->stopping has drained it. */
int worker_start(struct worker *w);
/* After its thread has ended (or never started): frees what it holds. */
void worker_free(struct worker *w);
/* Tells w to look at ctx->stopping now rather than at its next tick. */
void worker_wake(struct worker *w);

/* An SQE, submitting first when the queue is full. */
struct io_uring_sqe *worker_sqe(struct worker *w);
void worker_release_slot(struct worker *w, int slot);
/* c waits for a receive buffer; re-armed when one comes back. */
void worker_wait_buf(struct worker *w, struct conn *c);
void worker_unwait(struct worker *w, struct conn *c);
/* One access-log line for c's response. */
void worker_log_access(struct worker *w, struct conn *c);

#endif
