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
 *           [--max-hello B] [--max-conns N] [--quic [--quic-pending N] [--quic-per-source N]]
 *           [--metrics ADDR:PORT]
 *
 * (fb_options.c). With --metrics it serves its counters and the kernel's
 * to Prometheus over HTTP (fb_metrics.c).
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
 * One thread, one io_uring (fb_loop.c): a multishot accept per listener,
 * a multishot poll on the signalfd and on each connection end (fb_conn.c),
 * and the wait for the next CQE bounded by the next deadline. Bytes are
 * moved by splice(2) (fb_relay.c). What the parts share is one context,
 * struct fb_env (fb.h), which main builds phase by phase below, hands to
 * the loop and releases on its one way out.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "config.h"
#include "fb.h"

/* -c FILE: the maps made to match it before the first connection. */
static int fb_apply_config(const struct fb_env *env)
{
	return env->cfg->config && fb_config_load(env->cfg->config, NULL);
}

static int fb_start_quic(struct fb_env *env)
{
	return env->cfg->quic && fb_quic_init(env);
}

/* ksteerd reads a ClientHello by peeking, so the whole of it (up to
 * --max-hello bytes of records) must fit in the receive window unread: a
 * receive buffer for twice that (the kernel keeps half for overhead),
 * inherited by every connection; memory only while bytes are queued.
 * SO_RCVBUFFORCE passes net.core.rmem_max (root); SO_RCVBUF otherwise. */
static int fb_rcvbuf(const struct fb_cfg *cfg, int fd)
{
	int want = 2 * cfg->max_hello + 65536;

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want)))
		return -1;
	return 0;
}

/* --listen i: a listener sharing the port (SO_REUSEPORT), registered as
 * the fallback backend, and with --quic a UDP socket there too; -1 after
 * saying why (what was opened is the env's to close). */
static int fb_listen(struct fb_env *env, int i)
{
	const char *addr_s = env->cfg->listen[i];
	struct sockaddr_storage ss;
	socklen_t len = fb_sockaddr(addr_s, &ss);
	int fd, on = 1, err;

	if (!len)
		return -1;
	fd = env->lfd[i] = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) ||
	    fb_rcvbuf(env->cfg, fd) || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096))
		return ks_err("cannot listen on %s: %s", addr_s, strerror(errno)), -1;
	err = ks_register_listener(KS_FALLBACK_ID, fd, true);
	if (err)
		return ks_err("cannot register the listener on %s: %s", addr_s, strerror(-err)), -1;
	if (env->cfg->quic && (env->ufd[i] = fb_quic_socket(env, &ss, len, addr_s)) < 0)
		return -1;
	return 0;
}

/* Phase: listen and register every --listen address, each armed in the ring. */
static int fb_listen_all(struct fb_env *env)
{
	for (int i = 0; i < env->cfg->nlisten; i++) {
		if (fb_listen(env, i))
			return -1;
		fb_arm_accept(env, i);
		if (env->ufd[i] >= 0)
			fb_arm_udp(env, i);
	}
	return 0;
}

/* SIGTERM, SIGINT and SIGHUP arrive as reads of a signalfd in the ring,
 * between completions, never in the middle of one. */
static int fb_catch_signals(struct fb_env *env)
{
	sigset_t sigs;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	env->sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (env->sfd < 0)
		return ks_err("signalfd: %s", strerror(errno)), -1;
	fb_arm_signal(env);
	return 0;
}

static void fb_announce(const struct fb_cfg *cfg)
{
	fprintf(stderr, "ksteerd: listening on");
	for (int i = 0; i < cfg->nlisten; i++)
		fprintf(stderr, " %s", cfg->listen[i]);
	fprintf(stderr, " (%sdeadline %d ms, ClientHello cap %d B%s%s)\n",
		cfg->quic ? "TCP and QUIC, " : "", cfg->deadline_ms, cfg->max_hello,
		cfg->metrics ? ", metrics on " : "", cfg->metrics ? cfg->metrics : "");
}

static int fb_watch(struct fb_env *env)
{
	fb_monitor_init(env);             /* none is no error */
	return 0;
}

/* The phases in the order they depend on each other: the maps before
 * anything counts, hand-back's table emptied and -c FILE applied before
 * the first connection is accepted; one way out from any of them. */
int main(int argc, char **argv)
{
	struct fb_cfg cfg;
	struct fb_env env;
	int rc = 1;

	ks_prog = "ksteerd";              /* its errors say so */
	rc = fb_options(argc, argv, &cfg);
	if (rc >= 0)
		return rc;                /* --help, --version, a bad command line */
	rc = 1;
	if (fb_env_init(&env, &cfg) ||
	    fb_open_maps(&env) ||                 /* routes, backends, counters */
	    fb_watch(&env) ||                     /* ksteer monitor's view */
	    fb_ring_init(&env) ||
	    fb_handback_init(&env) ||             /* a clean ks_handback */
	    fb_apply_config(&env) ||              /* -c FILE */
	    fb_start_quic(&env) ||                /* --quic */
	    fb_listen_all(&env) ||                /* listen and register */
	    fb_metrics_init(&env) ||              /* --metrics */
	    fb_catch_signals(&env))
		goto out;
	fb_announce(&cfg);
	rc = fb_loop(&env);
out:
	fb_env_free(&env);
	return rc;
}
