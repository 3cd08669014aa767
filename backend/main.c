// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer-backend: the reference backend behind ksteer, an HTTPS static
 * file server on io_uring and OpenSSL 3.
 *
 *   ksteer-backend --listen ADDR:PORT [--listen ...] [--reuseport N]
 *                  --root DIR --certs DIR [--handoff PATH] [options]
 *
 * The main thread parses options, loads certificates, opens listeners,
 * starts the workers (loop.c) and then only handles signals: SIGTERM and
 * SIGINT drain and exit 0, SIGHUP reloads --certs, SIGUSR1 writes the
 * stats file (also written every second).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>
#include <openssl/ssl.h>
#include "certs.h"
#include "ksb.h"
#include "ksteer_handoff.h"
#include "ktls.h"
#include "listen.h"
#include "loop.h"
#include "stats.h"
#include "tls_bio.h"

struct ksb_config cfg = {
	.workers = 1, .max_conns = 10000, .idle_timeout = 60, .header_timeout = 10,
	.drain_timeout = 60, .bufs = 1024, .buf_size = 16384, .access_log = "-",
};
int root_fd = -1, log_fd = -1;
atomic_int g_stopping, g_conns;

static struct worker workers[KSB_MAX_WORKERS];

void ksb_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	fprintf(stderr, "ksteer-backend: %.*s", n, buf);
	fflush(stderr);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ksteer-backend --listen ADDR:PORT [--listen ...] [--reuseport N]\n"
		"         --root DIR --certs DIR [--handoff PATH] [--access-log FILE|-|off]\n"
		"         [--stats-file PATH] [--max-conns N] [--idle-timeout S]\n"
		"         [--header-timeout S] [--drain-timeout S] [--bufs N] [--no-ktls]\n");
	exit(2);
}

static int num(const char *s, int lo, int hi)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < lo || v > hi) {
		fprintf(stderr, "ksteer-backend: bad number '%s' (%d..%d)\n", s, lo, hi);
		exit(2);
	}
	return (int)v;
}

static void parse_args(int argc, char **argv, int *no_ktls)
{
	static const struct option opts[] = {
		{ "listen", 1, 0, 'l' }, { "reuseport", 1, 0, 'n' }, { "root", 1, 0, 'r' },
		{ "certs", 1, 0, 'c' }, { "handoff", 1, 0, 'H' }, { "access-log", 1, 0, 'a' },
		{ "stats-file", 1, 0, 's' }, { "max-conns", 1, 0, 'm' },
		{ "idle-timeout", 1, 0, 'i' }, { "header-timeout", 1, 0, 't' },
		{ "drain-timeout", 1, 0, 'd' }, { "bufs", 1, 0, 'b' }, { "no-ktls", 0, 0, 'K' },
		{ "help", 0, 0, 'h' }, { 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			if (cfg.nlisten == KSB_MAX_LISTEN)
				usage();
			cfg.listen[cfg.nlisten++] = optarg;
			break;
		case 'n': cfg.workers = num(optarg, 1, KSB_MAX_WORKERS); break;
		case 'r': cfg.root = optarg; break;
		case 'c': cfg.certs = optarg; break;
		case 'H': cfg.handoff = optarg; break;
		case 'a': cfg.access_log = optarg; break;
		case 's': cfg.stats_file = optarg; break;
		case 'm': cfg.max_conns = num(optarg, 1, 1 << 20); break;
		case 'i': cfg.idle_timeout = num(optarg, 1, 86400); break;
		case 't': cfg.header_timeout = num(optarg, 1, 86400); break;
		case 'd': cfg.drain_timeout = num(optarg, 1, 86400); break;
		case 'b': cfg.bufs = num(optarg, 16, 32768); break;
		case 'K': *no_ktls = 1; break;
		default: usage();
		}
	}
	if (optind != argc || (!cfg.nlisten && !cfg.handoff) || !cfg.root || !cfg.certs)
		usage();
	if (cfg.bufs & (cfg.bufs - 1)) {
		fprintf(stderr, "ksteer-backend: --bufs must be a power of two\n");
		exit(2);
	}
}

/* Each worker registers up to max_conns fixed files, which the kernel
 * bounds by RLIMIT_NOFILE: raise the soft limit to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)cfg.max_conns + 64) {
		cfg.max_conns = rl.rlim_cur > 128 ? (int)rl.rlim_cur - 64 : 64;
		ksb_log("max-conns lowered to %d (RLIMIT_NOFILE %llu)", cfg.max_conns,
			(unsigned long long)rl.rlim_cur);
	}
}

static void open_files(void)
{
	char err[512];

	root_fd = open(cfg.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root_fd < 0) {
		ksb_log("--root %s: %s", cfg.root, strerror(errno));
		exit(1);
	}
	if (!strcmp(cfg.access_log, "-"))
		log_fd = STDOUT_FILENO;
	else if (strcmp(cfg.access_log, "off"))
		log_fd = open(cfg.access_log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (strcmp(cfg.access_log, "off") && log_fd < 0) {
		ksb_log("--access-log %s: %s", cfg.access_log, strerror(errno));
		exit(1);
	}
	if (certs_load(cfg.certs, cfg.ktls, err, sizeof(err))) {
		ksb_log("--certs: %s", err);
		exit(1);
	}
}

static void start_workers(void)
{
	for (int i = 0; i < cfg.workers; i++) {
		struct worker *w = &workers[i];

		if (worker_init(w, i)) {
			ksb_log("worker %d: %s", i, strerror(errno));
			exit(1);
		}
		for (int j = 0; j < cfg.nlisten; j++) {
			w->lfd[j] = listen_on(cfg.listen[j], 4096);
			if (w->lfd[j] < 0) {
				ksb_log("listen %s: %s", cfg.listen[j], strerror(errno));
				exit(1);
			}
		}
		w->nl = cfg.nlisten;
		if (i == 0 && cfg.handoff) {
			w->hfd = ksteer_handoff_listen(cfg.handoff);
			if (w->hfd < 0) {
				ksb_log("--handoff %s: %s", cfg.handoff, strerror(errno));
				exit(1);
			}
		}
		if (pthread_create(&w->th, NULL, worker_main, w)) {
			ksb_log("pthread_create failed");
			exit(1);
		}
	}
}

/* Signals are taken synchronously here; workers never see them. */
static void signal_loop(sigset_t *set)
{
	const struct timespec second = { 1, 0 };
	int stopped = 0;

	for (;;) {
		int sig = sigtimedwait(set, NULL, &second);
		char err[512];

		if (sig == SIGTERM || sig == SIGINT) {
			if (stopped++)
				continue;
			ksb_log("draining (signal %d)", sig);
			atomic_store(&g_stopping, 1);
			for (int i = 0; i < cfg.workers; i++)
				eventfd_write(workers[i].efd, 1);
			break;
		} else if (sig == SIGHUP) {
			if (certs_load(cfg.certs, cfg.ktls, err, sizeof(err)))
				ksb_log("reload failed, keeping the old certificates: %s", err);
			else
				ksb_log("certificates reloaded: %d", certs_count());
			STAT_INC(cert_reloads);
		}
		if (cfg.stats_file)
			stats_write(cfg.stats_file);
	}
}

int main(int argc, char **argv)
{
	char why[256];
	int no_ktls = 0, rc = 0;
	sigset_t set;

	parse_args(argc, argv, &no_ktls);
	raise_nofile();
	if (no_ktls)
		snprintf(why, sizeof(why), "--no-ktls");
	else
		cfg.ktls = ktls_probe(why, sizeof(why));
	if (tls_bio_init())
		return 1;
	open_files();
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	ksb_log("send path: %s (%s)", cfg.ktls ? "ktls" : "userspace", why);
	start_workers();
	ksb_log("serving %s on %d address(es)%s%s, %d worker(s), %d certificate(s)", cfg.root,
		cfg.nlisten, cfg.handoff ? " and hand-off " : "", cfg.handoff ? cfg.handoff : "",
		cfg.workers, certs_count());
	signal_loop(&set);
	for (int i = 0; i < cfg.workers; i++) {
		void *ret = NULL;

		pthread_join(workers[i].th, &ret);
		if (ret)
			rc = 1;
	}
	if (cfg.stats_file)
		stats_write(cfg.stats_file);
	if (cfg.handoff)
		unlink(cfg.handoff);
	ksb_log("stopped");
	return rc;
}
