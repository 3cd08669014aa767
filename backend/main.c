// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer-backend: the reference backend behind ksteer, an HTTPS static
 * file server on io_uring and OpenSSL 3.
 *
 *   ksteer-backend --listen ADDR:PORT [--listen ...] [--reuseport N]
 *                  --root DIR --certs DIR [--handoff PATH] [options]
 *
 * main() is its phases in order: the options, what start-up settles in
 * the configuration (the file limit, the kTLS probe), the context (ctx.c:
 * root, log, certificates), the signals, the workers (loop.c); then the
 * main thread only handles signals: SIGTERM and SIGINT drain and exit 0,
 * SIGHUP reloads --certs, SIGUSR1 writes the stats file (also written
 * every second). Every way out goes through the one ksb_ctx_close().
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include "ksb.h"
#include "ktls.h"
#include "options.h"

/* Each worker registers up to max_conns fixed files, which the kernel
 * bounds by RLIMIT_NOFILE: raise the soft limit to the hard one. */
static void raise_nofile(struct ksb_config *cfg)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < (rlim_t)cfg->max_conns + 64) {
		cfg->max_conns = rl.rlim_cur > 128 ? (int)rl.rlim_cur - 64 : 64;
		ksb_log("max-conns lowered to %d (RLIMIT_NOFILE %llu)", cfg->max_conns,
			(unsigned long long)rl.rlim_cur);
	}
}

/* The send path, from a real probe unless --no-ktls; why: the reason. */
static void probe_ktls(struct ksb_config *cfg, char *why, size_t n)
{
	if (cfg->no_ktls)
		snprintf(why, n, "--no-ktls");
	else
		cfg->ktls = ktls_probe(why, n);
}

/* Signals are taken synchronously by the main thread; the workers,
 * started after this, inherit the mask and never see them. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void write_stats(const struct ksb_ctx *ctx)
{
	if (ctx->cfg->stats_file)
		stats_write(&ctx->stats, ksb_send_path(ctx), ctx->cfg->stats_file);
}

/* Until SIGTERM or SIGINT, which start the drain. */
static void serve_signals(struct ksb_ctx *ctx, sigset_t *set)
{
	const struct timespec second = { 1, 0 };

	for (;;) {
		int sig = sigtimedwait(set, NULL, &second);

		if (sig == SIGTERM || sig == SIGINT) {
			ksb_log("draining (signal %d)", sig);
			ksb_ctx_stop(ctx);
			return;
		}
		if (sig == SIGHUP)
			ksb_ctx_reload(ctx);
		write_stats(ctx);
	}
}

int main(int argc, char **argv)
{
	struct ksb_config cfg;
	struct ksb_ctx ctx;
	char why[256];
	sigset_t set;
	int rc = 1;

	switch (ksb_options(&cfg, argc, argv, stdout, stderr)) {
	case KSB_OPTS_HELP:
		return 0;
	case KSB_OPTS_BAD:
		return 2;
	case KSB_OPTS_OK:
		break;
	}
	raise_nofile(&cfg);
	probe_ktls(&cfg, why, sizeof(why));
	if (ksb_ctx_open(&ctx, &cfg))	/* read-only from here on */
		goto out;
	block_signals(&set);
	ksb_log("send path: %s (%s)", ksb_send_path(&ctx), why);
	if (ksb_ctx_start(&ctx))
		goto out;
	ksb_log("serving %s on %d address(es)%s%s, %d worker(s), %d certificate(s)", cfg.root,
		cfg.nlisten, cfg.handoff ? " and hand-off " : "", cfg.handoff ? cfg.handoff : "",
		cfg.workers, certs_count(&ctx.certs));
	serve_signals(&ctx, &set);
	rc = ksb_ctx_join(&ctx) ? 1 : 0;
	write_stats(&ctx);
	ksb_log("stopped");
out:
	ksb_ctx_close(&ctx);
	return rc;
}
