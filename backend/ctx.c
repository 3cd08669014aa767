// SPDX-License-Identifier: GPL-2.0
/* The context main makes and hands down (see ksb.h): what it opens, the
 * workers it starts and stops, the one place that closes it all. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ksb.h"
#include "ksteer_handoff.h"
#include "listen.h"
#include "loop.h"
#include "tls_bio.h"

#define LISTEN_BACKLOG	4096

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

const char *ksb_send_path(const struct ksb_ctx *ctx)
{
	return ctx->cfg->ktls ? "ktls" : "userspace";
}

static int open_log(struct ksb_ctx *ctx)
{
	const char *log = ctx->cfg->access_log;

	if (!strcmp(log, "off"))
		return 0;
	if (!strcmp(log, "-")) {
		ctx->log_fd = STDOUT_FILENO;
		return 0;
	}
	ctx->log_fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (ctx->log_fd < 0) {
		ksb_log("--access-log %s: %s", log, strerror(errno));
		return -1;
	}
	ctx->log_own = 1;
	return 0;
}

int ksb_ctx_open(struct ksb_ctx *ctx, const struct ksb_config *cfg)
{
	char err[512];

	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
	ctx->root_fd = ctx->log_fd = -1;
	certs_init(&ctx->certs);
	sem_init(&ctx->ready, 0, 0);
	ctx->bio = tls_bio_method();
	if (!ctx->bio) {
		ksb_log("BIO_meth_new failed");
		return -1;
	}
	ctx->root_fd = open(cfg->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->root_fd < 0) {
		ksb_log("--root %s: %s", cfg->root, strerror(errno));
		return -1;
	}
	if (open_log(ctx))
		return -1;
	if (certs_load(&ctx->certs, cfg->certs, cfg->ktls, err, sizeof(err))) {
		ksb_log("--certs: %s", err);
		return -1;
	}
	return 0;
}

/* w's own listener on every --listen address; worker 0 takes hand-offs. */
static int open_listeners(struct ksb_ctx *ctx, struct worker *w)
{
	const struct ksb_config *cfg = ctx->cfg;

	for (int j = 0; j < cfg->nlisten; j++) {
		w->lfd[j] = listen_on(cfg->listen[j], LISTEN_BACKLOG);
		if (w->lfd[j] < 0) {
			ksb_log("listen %s: %s", cfg->listen[j], strerror(errno));
			return -1;
		}
	}
	w->nl = cfg->nlisten;
	if (w->id == 0 && cfg->handoff) {
		w->hfd = ksteer_handoff_listen(cfg->handoff);
		if (w->hfd < 0) {
			ksb_log("--handoff %s: %s", cfg->handoff, strerror(errno));
			return -1;
		}
		ctx->handoff_bound = 1;
	}
	return 0;
}

/* Each started worker says whether its ring is up; any failure fails all. */
static int wait_ready(struct ksb_ctx *ctx)
{
	int ok = 1;

	for (int i = 0; i < ctx->started; i++) {
		while (sem_wait(&ctx->ready) && errno == EINTR)
			;
	}
	for (int i = 0; i < ctx->started; i++)
		if (ctx->workers[i].failed)
			ok = 0;
	return ok ? 0 : -1;
}

int ksb_ctx_start(struct ksb_ctx *ctx)
{
	const struct ksb_config *cfg = ctx->cfg;

	ctx->workers = calloc(cfg->workers, sizeof(*ctx->workers));
	if (!ctx->workers) {
		ksb_log("workers: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < cfg->workers; i++) {
		struct worker *w = &ctx->workers[i];

		if (worker_init(w, ctx, i)) {
			ksb_log("worker %d: %s", i, strerror(errno));
			return -1;
		}
		ctx->inited++;
		if (open_listeners(ctx, w))
			return -1;
		if (worker_start(w)) {
			ksb_log("pthread_create failed");
			return -1;
		}
		ctx->started++;
	}
	return wait_ready(ctx);
}

void ksb_ctx_stop(struct ksb_ctx *ctx)
{
	atomic_store(&ctx->stopping, 1);
	for (int i = 0; i < ctx->started; i++)
		worker_wake(&ctx->workers[i]);
}

int ksb_ctx_join(struct ksb_ctx *ctx)
{
	int rc = 0;

	for (; ctx->joined < ctx->started; ctx->joined++) {
		struct worker *w = &ctx->workers[ctx->joined];

		pthread_join(w->th, NULL);
		if (w->failed)
			rc = -1;
	}
	return rc;
}

void ksb_ctx_reload(struct ksb_ctx *ctx)
{
	char err[512];

	if (certs_load(&ctx->certs, ctx->cfg->certs, ctx->cfg->ktls, err, sizeof(err)))
		ksb_log("reload failed, keeping the old certificates: %s", err);
	else
		ksb_log("certificates reloaded: %d", certs_count(&ctx->certs));
	STAT_INC(&ctx->stats, cert_reloads);
}

void ksb_ctx_close(struct ksb_ctx *ctx)
{
	if (ctx->joined < ctx->started) {
		ksb_ctx_stop(ctx);
		ksb_ctx_join(ctx);
	}
	for (int i = 0; i < ctx->inited; i++)
		worker_free(&ctx->workers[i]);
	free(ctx->workers);
	ctx->workers = NULL;
	if (ctx->handoff_bound)
		unlink(ctx->cfg->handoff);
	certs_close(&ctx->certs);
	if (ctx->log_own)
		close(ctx->log_fd);
	if (ctx->root_fd >= 0)
		close(ctx->root_fd);
	tls_bio_free(ctx->bio);
	sem_destroy(&ctx->ready);
}
