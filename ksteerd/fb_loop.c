// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd's event loop: one io_uring (liburing; Linux 6.0 or later) with a
 * multishot accept per listener, a multishot poll on each QUIC socket, on
 * the signalfd and on each connection end (fb_conn.c). A turn runs what is
 * due (ClientHello deadlines, QUIC deadlines, hand-back checks, scrapers'
 * deadlines), waits for
 * completions until the soonest of those, and hands each CQE to its owner
 * by its user_data (enum fb_ud). The unit tests turn it the same way.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "config.h"
#include "fb.h"

#define FB_SQ_ENTRIES 256
#define FB_CQ_ENTRIES 8192        /* a multishot request whose CQE finds the
				   * CQ full ends, and is armed again */

/* Expiring many peeks at once can queue more SQEs than the SQ holds: submit
 * what is queued to make room (completions stay in the CQ until read). */
struct io_uring_sqe *fb_sqe(struct fb_env *env)
{
	struct io_uring_sqe *sqe;
	int err;

	while (!(sqe = io_uring_get_sqe(&env->ring))) {
		err = io_uring_submit(&env->ring);
		if (err < 0 && err != -EINTR && err != -EAGAIN) {
			ks_err("io_uring_submit: %s", strerror(-err));
			exit(1);
		}
	}
	return sqe;
}

/* SINGLE_ISSUER and COOP_TASKRUN: only this thread submits, so completions
 * need not interrupt it (they run when it enters the kernel, which it does
 * for every splice and wait). SUBMIT_ALL: an SQE the kernel refuses at
 * submission must not hold back the ones queued after it. */
int fb_ring_init(struct fb_env *env)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL |
			 IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		.cq_entries = FB_CQ_ENTRIES,
	};
	int err = io_uring_queue_init_params(FB_SQ_ENTRIES, &env->ring, &p);

	if (err)
		return ks_err("cannot set up io_uring: %s (needs Linux 6.0 or later, "
			      "io_uring not disabled by sysctl)", strerror(-err)), -1;
	env->ring_ok = 1;
	return 0;
}

void fb_arm_accept(struct fb_env *env, int i)
{
	struct io_uring_sqe *sqe = fb_sqe(env);

	io_uring_prep_multishot_accept(sqe, env->lfd[i], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, (uint64_t)i << FB_UD_SHIFT | FB_UD_LISTEN);
}

void fb_arm_udp(struct fb_env *env, int i)
{
	struct io_uring_sqe *sqe = fb_sqe(env);

	io_uring_prep_poll_multishot(sqe, env->ufd[i], POLLIN);
	io_uring_sqe_set_data64(sqe, (uint64_t)(FB_MAX_LISTEN + i) << FB_UD_SHIFT | FB_UD_LISTEN);
}

void fb_arm_signal(struct fb_env *env)
{
	struct io_uring_sqe *sqe = fb_sqe(env);

	io_uring_prep_poll_multishot(sqe, env->sfd, POLLIN);
	io_uring_sqe_set_data64(sqe, FB_UD_SIGNAL);
}

/* A multishot accept ends on an error (e.g. EMFILE) or a full CQ: arm it
 * again, as a level-triggered listener would be polled again. */
static void fb_accepted(struct fb_env *env, int i, const struct io_uring_cqe *cqe)
{
	if (cqe->res >= 0)
		fb_accept(env, cqe->res);
	if (!(cqe->flags & IORING_CQE_F_MORE))
		fb_arm_accept(env, i);
}

/* The nearer of two "ms to the next deadline" (-1: none). */
static int fb_sooner(int a, int b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

#define FB_ADOPT_MS 250           /* how often QUIC servers' binds are looked at */
#define FB_ADOPT_SETTLE_NS (200 * 1000000ull)   /* a server binds v4 and v6 in a row */

/* With --quic: register the QUIC servers that bound the public port again
 * (restarted; ks_quic_adopt, lib/quic_servers.c). ms to the next look. */
static int fb_quic_adopt(struct fb_env *env)
{
	static uint64_t next;
	static int binds = -1;
	uint64_t now = fb_now_ms();
	char path[256];

	if (!env->quic)
		return -1;
	if (now < next)
		return next - now;
	next = now + FB_ADOPT_MS;
	if (binds < 0) {
		snprintf(path, sizeof(path), "%s/ks_quic_binds", ks_pin_dir());
		binds = bpf_obj_get(path);        /* silent: an older `up` has none */
	}
	if (binds >= 0)
		ks_quic_adopt(binds, FB_ADOPT_SETTLE_NS);
	return FB_ADOPT_MS;
}

int fb_due(struct fb_env *env)
{
	return fb_sooner(fb_sooner(fb_sooner(fb_expire(env), fb_quic_expire(env)),
				   fb_sooner(fb_handback_expire(env), fb_metrics_expire(env))),
			 fb_quic_adopt(env));
}

/* Submit what the last batch queued and wait for a CQE, until the next
 * deadline at most (ms < 0: none). One io_uring_enter: with the kernel's
 * EXT_ARG the timeout is an argument of the wait, not a timeout SQE. */
int fb_wait(struct fb_env *env, int ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000ll };
	struct io_uring_cqe *cqe;

	return io_uring_submit_and_wait_timeout(&env->ring, &cqe, 1, ms < 0 ? NULL : &ts, NULL);
}

/* The signalfd is readable: SIGHUP reloads -c FILE; 1 for a signal that
 * stops ksteerd (SIGTERM, SIGINT). */
static int fb_signalled(struct fb_env *env, const struct io_uring_cqe *cqe)
{
	struct signalfd_siginfo si;

	while (read(env->sfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP && env->cfg->config) {
			fb_config_load(env->cfg->config, "SIGHUP");
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			fprintf(stderr, "ksteerd: SIGHUP: routes are live, nothing to reload\n");
			continue;
		}
		fprintf(stderr, "ksteerd: signal %u, exiting\n", si.ssi_signo);
		return 1;
	}
	if (!(cqe->flags & IORING_CQE_F_MORE))
		fb_arm_signal(env);
	return 0;
}

/* One CQE to its owner; 1: stop. */
static int fb_complete(struct fb_env *env, const struct io_uring_cqe *cqe)
{
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	int i = ud >> FB_UD_SHIFT;

	switch (ud & FB_UD_MASK) {
	case FB_UD_SIGNAL:
		return fb_signalled(env, cqe);
	case FB_UD_LISTEN:
		if (i >= FB_UD_METRICS) {
			fb_metrics_event(env, i, cqe);
			break;
		}
		if (i < FB_MAX_LISTEN) {
			fb_accepted(env, i, cqe);
			break;
		}
		fb_quic_readable(env, env->ufd[i - FB_MAX_LISTEN]);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			fb_arm_udp(env, i - FB_MAX_LISTEN);
		break;
	case FB_UD_END:
		fb_event(env, (struct fb_end *)(uintptr_t)ud, cqe->res, cqe->flags);
		break;
	}
	return 0;
}

/* Every CQE that came, then the connections no CQE can name any more.
 * A stop leaves the rest unread: the process ends with them. */
int fb_dispatch(struct fb_env *env)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&env->ring, head, cqe) {
		n++;
		if (fb_complete(env, cqe))
			return 1;
	}
	io_uring_cq_advance(&env->ring, n);
	fb_reap(env);
	return 0;
}

int fb_loop(struct fb_env *env)
{
	for (;;) {
		int err = fb_wait(env, fb_due(env));

		if (fb_dispatch(env))
			return 0;
		if (err < 0 && err != -ETIME && err != -EINTR)
			return ks_err("io_uring wait: %s", strerror(-err));
	}
}
