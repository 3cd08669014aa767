// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd: the fallback router. It listens on the public address:port
 * (SO_REUSEPORT, beside any backends there) and registers its listeners as
 * the fallback backend, so the kernel gives it what the fast path cannot
 * place: a SYN that met a TIME_WAIT socket, a routed backend with no
 * listener (restarting, or served by hand-off or proxy), a ClientHello
 * over 8 KB or over more segments than the kernel holds, and everything on
 * kernels without the kfunc (ksteer up --fallback-only). Routes are the
 * same pinned maps the kernel reads. A connection of a backend with a
 * listener goes back into that listener (fb_handback.c), so the backend
 * sees the client; ksteerd proxies only to a backend's own proxy target.
 *
 *   ksteerd --listen ADDR:PORT [--listen ...] [-c|--config FILE] [--deadline MS]
 *           [--max-hello B] [--max-conns N] [--quic [--quic-pending N]]
 *
 * With --quic it also takes UDP datagrams on each address: QUIC connections
 * that no server owns yet, routed by the SNI of their Initial (fb_quic.c).
 *
 * Foreground service: logs to stderr; SIGTERM/SIGINT stop it (proxied
 * connections end with it, handed-off and fast-path ones do not). With
 * -c FILE, the pinned maps are made to match FILE at start and on each
 * SIGHUP (fb_config.c); without, SIGHUP has nothing to reload (routes and
 * backends are read live from the maps).
 *
 * One thread, one io_uring (liburing; Linux 6.0 or later): a multishot
 * accept per listener, a multishot poll on the signalfd and on each
 * connection end (fb_conn.c), and the wait for the next CQE bounded by the
 * next ClientHello deadline. Bytes are moved by splice(2) (fb_relay.c).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "config.h"
#include "fb.h"

#define FB_SQ_ENTRIES 256
#define FB_CQ_ENTRIES 8192        /* a multishot request whose CQE finds the
				   * CQ full ends, and is armed again */

struct fb_opts fb_opts = { .deadline_ms = 5000, .max_hello = KS_WIRE_MAX + 1, .max_conns = 10000,
			   .quic_pending = 256 };
struct fb_maps fb_maps;
struct io_uring fb_ring;

uint64_t fb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

void fb_count(enum ks_fb_stat s, int delta)
{
	if (fb_maps.stats)
		__atomic_fetch_add(&fb_maps.stats[s], (__u64)(__s64)delta, __ATOMIC_RELAXED);
}

/* Expiring many peeks at once can queue more SQEs than the SQ holds: submit
 * what is queued to make room (completions stay in the CQ until read). */
struct io_uring_sqe *fb_sqe(void)
{
	struct io_uring_sqe *sqe;
	int err;

	while (!(sqe = io_uring_get_sqe(&fb_ring))) {
		err = io_uring_submit(&fb_ring);
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
static int fb_ring_init(void)
{
	struct io_uring_params p = {
		.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL |
			 IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER,
		.cq_entries = FB_CQ_ENTRIES,
	};
	int err = io_uring_queue_init_params(FB_SQ_ENTRIES, &fb_ring, &p);

	if (err)
		return ks_err("cannot set up io_uring: %s (needs Linux 6.0 or later, "
			      "io_uring not disabled by sysctl)", strerror(-err)), -1;
	return 0;
}

static void fb_arm_accept(int i, int lfd)
{
	struct io_uring_sqe *sqe = fb_sqe();

	io_uring_prep_multishot_accept(sqe, lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, (uint64_t)i << FB_UD_SHIFT | FB_UD_LISTEN);
}

static void fb_arm_udp(int i, int ufd)
{
	struct io_uring_sqe *sqe = fb_sqe();

	io_uring_prep_poll_multishot(sqe, ufd, POLLIN);
	io_uring_sqe_set_data64(sqe, (uint64_t)(FB_MAX_LISTEN + i) << FB_UD_SHIFT | FB_UD_LISTEN);
}

static void fb_arm_signal(int sfd)
{
	struct io_uring_sqe *sqe = fb_sqe();

	io_uring_prep_poll_multishot(sqe, sfd, POLLIN);
	io_uring_sqe_set_data64(sqe, FB_UD_SIGNAL);
}

/* A multishot accept ends on an error (e.g. EMFILE) or a full CQ: arm it
 * again, as a level-triggered listener would be polled again. */
static void fb_accepted(int i, int lfd, const struct io_uring_cqe *cqe)
{
	if (cqe->res >= 0)
		fb_accept(cqe->res);
	if (!(cqe->flags & IORING_CQE_F_MORE))
		fb_arm_accept(i, lfd);
}

/* The nearer of two "ms to the next deadline" (-1: none). */
static int fb_sooner(int a, int b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}

/* Submit what the last batch queued and wait for a CQE, until the next
 * deadline at most (ms < 0: none). One io_uring_enter: with the kernel's
 * EXT_ARG the timeout is an argument of the wait, not a timeout SQE. */
static int fb_wait(int ms)
{
	struct __kernel_timespec ts = { .tv_sec = ms / 1000, .tv_nsec = ms % 1000 * 1000000ll };
	struct io_uring_cqe *cqe;

	return io_uring_submit_and_wait_timeout(&fb_ring, &cqe, 1, ms < 0 ? NULL : &ts, NULL);
}

static int fb_open_maps(void)
{
	int st;

	fb_maps.routes = ks_map("ks_routes");
	fb_maps.alpn = fb_maps.routes < 0 ? -1 : ks_map("ks_alpn_routes");
	fb_maps.info = fb_maps.alpn < 0 ? -1 : ks_map("ks_backend_info");
	st = fb_maps.info < 0 ? -1 : ks_map("ks_fallback_stats");
	if (st < 0)
		return -1;
	fb_maps.stats = mmap(NULL, KS_FB_MAX * sizeof(__u64), PROT_READ | PROT_WRITE, MAP_SHARED,
			     st, 0);
	if (fb_maps.stats == MAP_FAILED)
		return ks_err("cannot map ks_fallback_stats: %s", strerror(errno)), -1;
	fb_maps.stats[KS_FB_ACTIVE] = 0;          /* a previous ksteerd's gauge */
	return 0;
}

/* ksteerd reads a ClientHello by peeking, so the whole of it (up to
 * --max-hello bytes of records) must fit in the receive window unread: a
 * receive buffer for twice that (the kernel keeps half for overhead),
 * inherited by every connection; memory only while bytes are queued.
 * SO_RCVBUFFORCE passes net.core.rmem_max (root); SO_RCVBUF otherwise. */
static int fb_rcvbuf(int fd)
{
	int want = 2 * fb_opts.max_hello + 65536;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)))
		return -1;
	return 0;
}

/* A listener on addr, sharing the port (SO_REUSEPORT), registered as the
 * fallback backend, and with --quic a UDP socket there too (*ufd); -1
 * after printing why. */
static int fb_listen(const char *addr_s, int *ufd)
{
	struct ks_addr a;
	struct sockaddr_storage ss = {};
	socklen_t len;
	int fd, on = 1, err;

	if (ks_parse_addr(addr_s, &a))
		return ks_err("bad address '%s' (want IPv4:PORT or [IPv6]:PORT)", addr_s), -1;
	ss.ss_family = a.family;
	if (a.family == AF_INET) {
		struct sockaddr_in *s = (void *)&ss;

		s->sin_port = a.port;
		memcpy(&s->sin_addr, a.addr, 4);
		len = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (void *)&ss;

		s->sin6_port = a.port;
		memcpy(&s->sin6_addr, a.addr, 16);
		len = sizeof(*s);
	}
	fd = socket(a.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) ||
	    fb_rcvbuf(fd) || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096))
		return ks_err("cannot listen on %s: %s", addr_s, strerror(errno)), -1;
	err = ks_register_listener(KS_FALLBACK_ID, fd, true);
	if (err)
		return ks_err("cannot register the listener on %s: %s", addr_s, strerror(-err)), -1;
	*ufd = -1;
	if (fb_opts.quic && (*ufd = fb_quic_socket(&ss, len, addr_s)) < 0)
		return -1;
	return fd;
}

static int fb_usage(void)
{
	return ks_err("usage: ksteerd --listen ADDR:PORT [--listen ...] [-c|--config FILE] "
		      "[--deadline MS] [--max-hello BYTES] [--max-conns N] [--quic [--quic-pending N]]");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, 0, 'l' }, { "deadline", required_argument, 0, 'd' },
		{ "max-hello", required_argument, 0, 'm' }, { "max-conns", required_argument, 0, 'n' },
		{ "config", required_argument, 0, 'c' }, { "quic", no_argument, 0, 'Q' },
		{ "quic-pending", required_argument, 0, 'P' }, { 0 } };
	const char *config = NULL;
	int lfds[FB_MAX_LISTEN], ufds[FB_MAX_LISTEN], nl = 0, c, sfd, i;
	const char *addrs[FB_MAX_LISTEN];
	sigset_t sigs;

	while ((c = getopt_long(argc, argv, "c:", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (nl == FB_MAX_LISTEN)
				return ks_err("at most %d --listen", FB_MAX_LISTEN);
			addrs[nl++] = optarg;
			break;
		case 'd': fb_opts.deadline_ms = atoi(optarg); break;
		case 'm': fb_opts.max_hello = atoi(optarg); break;
		case 'n': fb_opts.max_conns = atoi(optarg); break;
		case 'c': config = optarg; break;
		case 'Q': fb_opts.quic = 1; break;
		case 'P': fb_opts.quic_pending = atoi(optarg); break;
		default: return fb_usage();
		}
	}
	if (!nl || optind != argc || fb_opts.deadline_ms <= 0 || fb_opts.max_hello < 512 ||
	    fb_opts.max_hello > KS_WIRE_MAX + 1 || fb_opts.max_conns <= 0 ||
	    fb_opts.quic_pending <= 0)
		return fb_usage();
	if (fb_open_maps() || fb_ring_init() || fb_handback_init() ||
	    (config && fb_config_load(config, NULL)) ||
	    (fb_opts.quic && fb_quic_init(fb_opts.quic_pending)))
		return 1;
	for (i = 0; i < nl; i++) {
		lfds[i] = fb_listen(addrs[i], &ufds[i]);
		if (lfds[i] < 0)
			return 1;
		fb_arm_accept(i, lfds[i]);
		if (ufds[i] >= 0)
			fb_arm_udp(i, ufds[i]);
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	fb_arm_signal(sfd);
	fprintf(stderr, "ksteerd: listening on");
	for (i = 0; i < nl; i++)
		fprintf(stderr, " %s", addrs[i]);
	fprintf(stderr, " (%sdeadline %d ms, ClientHello cap %d B)\n",
		fb_opts.quic ? "TCP and QUIC, " : "", fb_opts.deadline_ms, fb_opts.max_hello);

	for (;;) {
		int ms = fb_sooner(fb_sooner(fb_expire(), fb_quic_expire()), fb_handback_expire());
		int err = fb_wait(ms);
		struct io_uring_cqe *cqe;
		unsigned int head, n = 0;

		io_uring_for_each_cqe(&fb_ring, head, cqe) {
			uint64_t ud = io_uring_cqe_get_data64(cqe);

			n++;
			if ((ud & FB_UD_MASK) == FB_UD_SIGNAL) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP && config) {
						fb_config_load(config, "SIGHUP");
						continue;
					}
					if (si.ssi_signo == SIGHUP) {
						fprintf(stderr, "ksteerd: SIGHUP: routes are live, nothing to reload\n");
						continue;
					}
					fprintf(stderr, "ksteerd: signal %u, exiting\n", si.ssi_signo);
					return 0;
				}
				if (!(cqe->flags & IORING_CQE_F_MORE))
					fb_arm_signal(sfd);
			} else if ((ud & FB_UD_MASK) == FB_UD_LISTEN && ud >> FB_UD_SHIFT >= FB_MAX_LISTEN) {
				i = (ud >> FB_UD_SHIFT) - FB_MAX_LISTEN;
				fb_quic_readable(ufds[i]);
				if (!(cqe->flags & IORING_CQE_F_MORE))
					fb_arm_udp(i, ufds[i]);
			} else if ((ud & FB_UD_MASK) == FB_UD_LISTEN) {
				i = ud >> FB_UD_SHIFT;
				fb_accepted(i, lfds[i], cqe);
			} else if ((ud & FB_UD_MASK) == FB_UD_END) {
				fb_event((struct fb_end *)(uintptr_t)ud, cqe->res, cqe->flags);
			}
		}
		io_uring_cq_advance(&fb_ring, n);
		fb_reap();
		if (err < 0 && err != -ETIME && err != -EINTR)
			return ks_err("io_uring wait: %s", strerror(-err));
	}
}
