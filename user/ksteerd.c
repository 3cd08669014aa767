// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd: the fallback router. It listens on the public address:port
 * (SO_REUSEPORT, beside any backends there) and registers its listeners as
 * the fallback backend, so the kernel gives it what the fast path cannot
 * place: a SYN that met a TIME_WAIT socket, a routed backend with no
 * listener (restarting, or served by hand-off or proxy), a ClientHello
 * over 8 KB, and everything on kernels without the kfunc (ksteer up
 * --fallback-only). Routes are the same pinned maps the kernel reads.
 *
 *   ksteerd --listen ADDR:PORT [--listen ...] [--deadline MS] [--max-hello B]
 *           [--max-conns N]
 *
 * Foreground service: logs to stderr; SIGTERM/SIGINT stop it (proxied
 * connections end with it, handed-off and fast-path ones do not); SIGHUP
 * is accepted (routes and backends are read live from the maps, so there
 * is nothing to reload).
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fb.h"

#define FB_MAX_LISTEN 8

struct fb_opts fb_opts = { .deadline_ms = 5000, .max_hello = KS_HS_MAX, .max_conns = 10000 };
struct fb_maps fb_maps;
int fb_epoll = -1;

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

/* A listener on addr, sharing the port (SO_REUSEPORT), registered as the
 * fallback backend; -1 after printing why. */
static int fb_listen(const char *addr_s)
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
	    bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096))
		return ks_err("cannot listen on %s: %s", addr_s, strerror(errno)), -1;
	err = ks_register_listener(KS_FALLBACK_ID, fd, true);
	if (err)
		return ks_err("cannot register the listener on %s: %s", addr_s, strerror(-err)), -1;
	return fd;
}

static int fb_usage(void)
{
	return ks_err("usage: ksteerd --listen ADDR:PORT [--listen ...] [--deadline MS] "
		      "[--max-hello BYTES] [--max-conns N]");
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "listen", required_argument, 0, 'l' }, { "deadline", required_argument, 0, 'd' },
		{ "max-hello", required_argument, 0, 'm' }, { "max-conns", required_argument, 0, 'n' },
		{ 0 } };
	int lfds[FB_MAX_LISTEN], nl = 0, c, sfd, i;
	const char *addrs[FB_MAX_LISTEN];
	struct epoll_event ev, evs[256];
	sigset_t sigs;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (nl == FB_MAX_LISTEN)
				return ks_err("at most %d --listen", FB_MAX_LISTEN);
			addrs[nl++] = optarg;
			break;
		case 'd': fb_opts.deadline_ms = atoi(optarg); break;
		case 'm': fb_opts.max_hello = atoi(optarg); break;
		case 'n': fb_opts.max_conns = atoi(optarg); break;
		default: return fb_usage();
		}
	}
	if (!nl || optind != argc || fb_opts.deadline_ms <= 0 || fb_opts.max_hello < 512 ||
	    fb_opts.max_hello > KS_HS_MAX + 5 * KS_MAX_RECORDS || fb_opts.max_conns <= 0)
		return fb_usage();
	if (fb_open_maps())
		return 1;
	fb_epoll = epoll_create1(EPOLL_CLOEXEC);
	for (i = 0; i < nl; i++) {
		lfds[i] = fb_listen(addrs[i]);
		if (lfds[i] < 0)
			return 1;
		ev = (struct epoll_event){ .events = EPOLLIN, .data.ptr = NULL };
		ev.data.u64 = (uint64_t)i + 1;        /* listeners: small numbers */
		epoll_ctl(fb_epoll, EPOLL_CTL_ADD, lfds[i], &ev);
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	ev = (struct epoll_event){ .events = EPOLLIN, .data.u64 = FB_MAX_LISTEN + 1 };
	epoll_ctl(fb_epoll, EPOLL_CTL_ADD, sfd, &ev);
	fprintf(stderr, "ksteerd: listening on");
	for (i = 0; i < nl; i++)
		fprintf(stderr, " %s", addrs[i]);
	fprintf(stderr, " (deadline %d ms, ClientHello cap %d B)\n", fb_opts.deadline_ms,
		fb_opts.max_hello);

	for (;;) {
		int n = epoll_wait(fb_epoll, evs, 256, fb_expire());

		for (int k = 0; k < n; k++) {
			uint64_t tag = evs[k].data.u64;

			if (tag == FB_MAX_LISTEN + 1) {
				struct signalfd_siginfo si;

				while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
					if (si.ssi_signo == SIGHUP) {
						fprintf(stderr, "ksteerd: SIGHUP: routes are live, nothing to reload\n");
						continue;
					}
					fprintf(stderr, "ksteerd: signal %u, exiting\n", si.ssi_signo);
					return 0;
				}
			} else if (tag >= 1 && tag <= FB_MAX_LISTEN) {
				fb_accept(lfds[tag - 1]);
			} else {
				fb_event(evs[k].data.ptr, evs[k].events);
			}
		}
		fb_reap();
		if (n < 0 && errno != EINTR)
			return ks_err("epoll_wait: %s", strerror(errno));
	}
}
