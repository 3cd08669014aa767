/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A worker: one thread, one io_uring, its own SO_REUSEPORT listener on
 * each --listen address, its own fixed-file table and receive buffers.
 * Nothing is shared between workers but the certificates, the counters
 * and the connection limit.
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
	pthread_t th;
};

int worker_init(struct worker *w, int id);
void *worker_main(void *arg);

/* An SQE, submitting first when the queue is full. */
struct io_uring_sqe *worker_sqe(struct worker *w);
void worker_release_slot(struct worker *w, int slot);
/* c waits for a receive buffer; re-armed when one comes back. */
void worker_wait_buf(struct worker *w, struct conn *c);
void worker_unwait(struct worker *w, struct conn *c);
/* One access-log line for c's response. */
void worker_log_access(struct worker *w, struct conn *c);

#endif
