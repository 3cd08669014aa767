// SPDX-License-Identifier: GPL-2.0
/* The worker's event loop: accepts, hand-offs, timers and the dispatch
 * of every completion to its connection. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "conn.h"
#include "ksteer_handoff.h"
#include "loop.h"
#include "stats.h"

#define RING_ENTRIES	2048
#define TICK_MS		500

struct io_uring_sqe *worker_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe;

	while (!(sqe = io_uring_get_sqe(&w->ring)))
		io_uring_submit(&w->ring);
	return sqe;
}

void worker_release_slot(struct worker *w, int slot)
{
	w->free_slots[w->nfree++] = slot;
	STAT_DEC(w->stats, slots_in_use);
}

void worker_wait_buf(struct worker *w, struct conn *c)
{
	c->buf_wait = 1;
	c->want_read = 1;
	c->wait_next = NULL;
	if (w->wait_tail)
		w->wait_tail->wait_next = c;
	else
		w->wait_head = c;
	w->wait_tail = c;
}

void worker_unwait(struct worker *w, struct conn *c)
{
	struct conn **pp = &w->wait_head, *prev = NULL;

	if (!c->buf_wait)
		return;
	for (; *pp; prev = *pp, pp = &(*pp)->wait_next) {
		if (*pp != c)
			continue;
		*pp = c->wait_next;
		if (w->wait_tail == c)
			w->wait_tail = prev;
		break;
	}
	c->buf_wait = 0;
}

/* Buffers came back: as many waiting connections receive again. */
static void rearm_waiters(struct worker *w)
{
	while (w->bufs_freed > 0 && w->wait_head) {
		struct conn *c = w->wait_head;

		worker_unwait(w, c);
		w->bufs_freed--;
		conn_flush(c);
	}
	w->bufs_freed = 0;
}

static void log_flush(struct worker *w)
{
	size_t off = 0;

	while (off < w->loglen) {
		ssize_t n = write(w->ctx->log_fd, w->logbuf + off, w->loglen - off);

		if (n <= 0)
			break;		/* a full disk loses log lines, not service */
		off += n;
	}
	w->loglen = 0;
}

/* Common Log Format, with the peer address of the accepted socket. */
void worker_log_access(struct worker *w, struct conn *c)
{
	struct resp *p = &c->resp;
	char t[40], target[sizeof(p->target)];
	struct tm tm;
	int n;

	if (w->ctx->log_fd < 0)
		return;
	for (size_t i = 0; i < sizeof(target); i++) {
		unsigned char ch = p->target[i];

		target[i] = !ch ? 0 : (ch < 0x21 || ch > 0x7e || ch == '"' || ch == '\\') ? '?' : ch;
		if (!ch)
			break;
	}
	gmtime_r(&w->now, &tm);
	strftime(t, sizeof(t), "%d/%b/%Y:%H:%M:%S +0000", &tm);
	if (w->loglen + 512 + sizeof(target) > sizeof(w->logbuf))
		log_flush(w);
	n = snprintf(w->logbuf + w->loglen, sizeof(w->logbuf) - w->loglen,
		     "%s - - [%s] \"%s %s HTTP/1.%d\" %d %llu\n", c->peer, t, p->method, target,
		     p->minor, p->status, (unsigned long long)p->body_sent);
	if (n > 0 && (size_t)n < sizeof(w->logbuf) - w->loglen)
		w->loglen += n;
}

static void arm_accept(struct worker *w, int i)
{
	struct io_uring_sqe *sqe = worker_sqe(w);

	/* Plain descriptors, not direct ones: the access log needs the
	 * peer's address (a multishot accept has one address buffer for
	 * all its completions) and kTLS and sendfile need a real fd. Each
	 * is then registered in our fixed-file table. */
	if (w->ms_accept)
		io_uring_prep_multishot_accept(sqe, w->lfd[i], NULL, NULL, SOCK_CLOEXEC);
	else
		io_uring_prep_accept(sqe, w->lfd[i], NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, UD(UD_ACCEPT, i));
}

static void arm_handoff(struct worker *w)
{
	struct io_uring_sqe *sqe = worker_sqe(w);

	io_uring_prep_multishot_accept(sqe, w->hfd, NULL, NULL, SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, UD(UD_HANDOFF_ACCEPT, 0));
}

static void arm_tick(struct worker *w)
{
	struct io_uring_sqe *sqe = worker_sqe(w);

	io_uring_prep_timeout(sqe, &w->tick_ts, 0, 0);
	io_uring_sqe_set_data64(sqe, UD(UD_TICK, 0));
}

static void arm_wake(struct worker *w)
{
	struct io_uring_sqe *sqe = worker_sqe(w);

	io_uring_prep_read(sqe, w->efd, &w->efd_val, sizeof(w->efd_val), 0);
	io_uring_sqe_set_data64(sqe, UD(UD_WAKE, 0));
}

/* A new client socket, from accept or from a hand-off. */
static void take_conn(struct worker *w, int fd)
{
	struct conn *c;
	int slot, none = -1;

	if (atomic_fetch_add(&w->ctx->conns, 1) >= w->cfg->max_conns || !w->nfree) {
		atomic_fetch_sub(&w->ctx->conns, 1);
		close(fd);
		STAT_INC(w->stats, rejected_max_conns);
		return;
	}
	slot = w->free_slots[--w->nfree];
	STAT_INC(w->stats, slots_in_use);
	if (io_uring_register_files_update(&w->ring, slot, &fd, 1) != 1)
		goto fail;
	c = conn_new(w, fd, slot);
	if (!c) {
		io_uring_register_files_update(&w->ring, slot, &none, 1);
		goto fail;
	}
	conn_run(c);
	return;
fail:
	worker_release_slot(w, slot);
	close(fd);
	atomic_fetch_sub(&w->ctx->conns, 1);
	STAT_INC(w->stats, errors);
}

static void on_accept(struct worker *w, int i, int res, unsigned flags)
{
	if (!(flags & IORING_CQE_F_MORE) && !w->stopping) {
		if (res == -EINVAL && w->ms_accept) {
			w->ms_accept = 0;	/* no multishot accept: one at a time */
			arm_accept(w, i);
		} else if (res == -EMFILE || res == -ENFILE || res == -ENOMEM) {
			w->accept_down |= 1 << i;	/* retried on the next tick */
		} else {
			arm_accept(w, i);
		}
	}
	if (res < 0) {
		if (res != -ECANCELED && res != -EINVAL && res != -EAGAIN)
			STAT_INC(w->stats, errors);
		return;
	}
	if (w->stopping) {
		close(res);
		return;
	}
	take_conn(w, res);
}

/* ksteerd connected to the hand-off socket: wait for its message. */
static void on_handoff_accept(struct worker *w, int res, unsigned flags)
{
	struct io_uring_sqe *sqe;

	if (!(flags & IORING_CQE_F_MORE) && !w->stopping)
		arm_handoff(w);
	if (res < 0)
		return;
	sqe = worker_sqe(w);
	io_uring_prep_poll_add(sqe, res, POLLIN);
	io_uring_sqe_set_data64(sqe, UD(UD_HANDOFF_POLL, res));
}

static void on_handoff_msg(struct worker *w, int ufd)
{
	/* Readable: the one-byte message with the client's socket is there,
	 * so the library's blocking recvmsg does not block. */
	int fd = ksteer_handoff_recv(ufd);

	close(ufd);
	if (fd < 0) {
		STAT_INC(w->stats, errors);
		return;
	}
	STAT_INC(w->stats, handoffs);
	if (w->stopping) {
		close(fd);
		return;
	}
	take_conn(w, fd);
}

static void update_now(struct worker *w)
{
	time_t now = time(NULL);

	if (now != w->now) {
		w->now = now;
		http_format_date(now, w->date);
	}
}

static void begin_stop(struct worker *w)
{
	struct io_uring_sqe *sqe;
	struct conn *c, *next;

	w->stopping = 1;
	w->stop_deadline = w->now + w->cfg->drain_timeout;
	for (int i = 0; i < w->nl; i++) {
		sqe = worker_sqe(w);
		io_uring_prep_cancel64(sqe, UD(UD_ACCEPT, i), 0);
		io_uring_sqe_set_data64(sqe, UD(UD_IGNORE, 0));
		close(w->lfd[i]);	/* queued connections migrate to siblings */
		w->lfd[i] = -1;
	}
	if (w->hfd >= 0) {
		sqe = worker_sqe(w);
		io_uring_prep_cancel64(sqe, UD(UD_HANDOFF_ACCEPT, 0), 0);
		io_uring_sqe_set_data64(sqe, UD(UD_IGNORE, 0));
		close(w->hfd);
		w->hfd = -1;
	}
	/* Idle keep-alive connections end now; busy ones after their
	 * response (step_request sees `stopping`). */
	for (c = w->conns; c; c = next) {
		next = c->next;
		if (c->state == CS_REQUEST && !c->req_len && !c->closing)
			conn_run(c);
	}
}

static void on_tick(struct worker *w)
{
	struct conn *c, *next;

	update_now(w);
	if (atomic_load(&w->ctx->stopping) && !w->stopping)
		begin_stop(w);
	for (c = w->conns; c; c = next) {
		next = c->next;
		if (w->stopping && w->now >= w->stop_deadline)
			conn_abort(c, NULL), conn_maybe_free(c);
		else
			conn_tick(c, w->now);
	}
	for (int i = 0; i < w->nl && !w->stopping; i++) {
		if (w->accept_down & (1 << i))
			arm_accept(w, i);
	}
	w->accept_down = 0;
	arm_tick(w);
}

static void dispatch(struct worker *w, struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	struct conn *c = (struct conn *)(uintptr_t)UD_VAL(ud);

	switch (UD_KIND(ud)) {
	case UD_ACCEPT:
		on_accept(w, (int)UD_VAL(ud), cqe->res, cqe->flags);
		break;
	case UD_HANDOFF_ACCEPT:
		on_handoff_accept(w, cqe->res, cqe->flags);
		break;
	case UD_HANDOFF_POLL:
		on_handoff_msg(w, (int)UD_VAL(ud));
		break;
	case UD_TICK:
		on_tick(w);
		break;
	case UD_WAKE:
		if (atomic_load(&w->ctx->stopping) && !w->stopping)
			begin_stop(w);
		else if (!w->stopping)
			arm_wake(w);
		break;
	case UD_RECV:
		conn_on_recv(c, cqe->res, cqe->flags);
		break;
	case UD_SEND:
		conn_on_send(c, cqe->res);
		break;
	case UD_READ:
		conn_on_read(c, cqe->res);
		break;
	case UD_POLL:
		conn_on_poll(c, cqe->res);
		break;
	default:
		break;
	}
}

/* The ring, its fixed-file table and receive buffers, made in the
 * worker's own thread. Not IORING_SETUP_DEFER_TASKRUN: completions then
 * wait for our next io_uring_enter, and measured with wrk (1 KB files,
 * 50 connections) p99 latency went from 1 ms to 7.6 ms. */
static int ring_setup(struct worker *w)
{
	struct io_uring_params p = { 0 };
	struct io_uring_probe *probe;
	static const int ops[] = { IORING_OP_ACCEPT, IORING_OP_RECV, IORING_OP_SEND,
				   IORING_OP_READ, IORING_OP_POLL_ADD, IORING_OP_TIMEOUT,
				   IORING_OP_ASYNC_CANCEL };
	int ret;

	p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN;
	p.cq_entries = RING_ENTRIES * 8;
	ret = io_uring_queue_init_params(RING_ENTRIES, &w->ring, &p);
	if (ret == -EINVAL) {		/* an older kernel: the plain ring */
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_CQSIZE;
		p.cq_entries = RING_ENTRIES * 8;
		ret = io_uring_queue_init_params(RING_ENTRIES, &w->ring, &p);
	}
	if (ret) {
		ksb_log("worker %d: io_uring_queue_init: %s", w->id, strerror(-ret));
		return -1;
	}
	w->ring_up = 1;
	probe = io_uring_get_probe_ring(&w->ring);
	for (size_t i = 0; probe && i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (!io_uring_opcode_supported(probe, ops[i])) {
			ksb_log("worker %d: io_uring lacks opcode %d", w->id, ops[i]);
			io_uring_free_probe(probe);
			return -1;
		}
	}
	if (probe)
		io_uring_free_probe(probe);
	ret = io_uring_register_files_sparse(&w->ring, w->nslots);
	if (ret) {
		ksb_log("worker %d: register %d fixed files: %s", w->id, w->nslots, strerror(-ret));
		return -1;
	}
	ret = bufring_init(&w->ring, &w->br, w->cfg->bufs, w->cfg->buf_size, 0);
	if (ret) {
		ksb_log("worker %d: provided buffer ring: %s", w->id, strerror(-ret));
		return -1;
	}
	return 0;
}

int worker_init(struct worker *w, struct ksb_ctx *ctx, int id)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->ctx = ctx;
	w->cfg = ctx->cfg;
	w->stats = &ctx->stats;
	w->hfd = -1;
	for (int i = 0; i < KSB_MAX_LISTEN; i++)
		w->lfd[i] = -1;
	w->ms_accept = 1;
	w->nslots = w->cfg->max_conns + 16;
	w->free_slots = malloc(sizeof(int) * w->nslots);
	w->efd = eventfd(0, EFD_CLOEXEC);
	if (!w->free_slots || w->efd < 0)
		return -1;
	for (int i = 0; i < w->nslots; i++)
		w->free_slots[w->nfree++] = w->nslots - 1 - i;
	w->tick_ts.tv_nsec = TICK_MS * 1000000LL;
	return 0;
}

/* Until stopped and drained, or the ring fails. */
static void run(struct worker *w)
{
	update_now(w);
	for (int i = 0; i < w->nl; i++)
		arm_accept(w, i);
	if (w->hfd >= 0)
		arm_handoff(w);
	arm_tick(w);
	arm_wake(w);
	while (!(w->stopping && !w->nconns)) {
		struct io_uring_cqe *cqe;
		unsigned head, n = 0;
		int ret = io_uring_submit_and_wait(&w->ring, 1);

		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY) {
			ksb_log("worker %d: io_uring_submit_and_wait: %s", w->id, strerror(-ret));
			w->failed = 1;
			break;
		}
		update_now(w);
		io_uring_for_each_cqe(&w->ring, head, cqe) {
			dispatch(w, cqe);
			n++;
		}
		io_uring_cq_advance(&w->ring, n);
		rearm_waiters(w);
		if (w->loglen)
			log_flush(w);
	}
	io_uring_submit(&w->ring);
	if (w->loglen)
		log_flush(w);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	/* The ring is made in the worker's own thread; whoever started us
	 * waits for the answer before it says it serves. */
	w->failed = ring_setup(w) != 0;
	sem_post(&w->ctx->ready);
	if (!w->failed)
		run(w);
	return NULL;
}

int worker_start(struct worker *w)
{
	return pthread_create(&w->th, NULL, worker_main, w) ? -1 : 0;
}

void worker_wake(struct worker *w)
{
	eventfd_write(w->efd, 1);
}

void worker_free(struct worker *w)
{
	if (w->ring_up) {
		bufring_free(&w->ring, &w->br);
		io_uring_queue_exit(&w->ring);
	}
	for (int i = 0; i < KSB_MAX_LISTEN; i++)
		if (w->lfd[i] >= 0)
			close(w->lfd[i]);
	if (w->hfd >= 0)
		close(w->hfd);
	if (w->efd >= 0)
		close(w->efd);
	free(w->free_slots);
	memset(w, 0, sizeof(*w));
}
