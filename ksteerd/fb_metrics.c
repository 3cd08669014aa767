// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd --metrics ADDR:PORT: the counters of `ksteer stats --prometheus`
 * (lib/metrics.c, read from the pinned maps at each scrape) served over
 * plain HTTP/1.x at /metrics, from ksteerd's own ring and thread. Nothing
 * here may hold up the loop or grow with what a scraper does: sockets are
 * non-blocking, at most FB_METRICS_CONNS scrapers at once (the next one is
 * closed unanswered), each with a fixed request buffer and a whole life of
 * FB_METRICS_MS from accept to its last byte, then one response and close.
 *
 * A connection's life: READ (until the head ends in an empty line) ->
 * WRITE (the response, whole, however slowly it is taken) -> LINGER (our
 * side shut, the scraper's bytes read and dropped until its FIN, so that
 * closing with unread data cannot reset the response away) -> closed.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fb.h"
#include "fb_http.h"
#include "metrics.h"

#define FB_METRICS_CONNS 16       /* scrapers served at once */
#define FB_METRICS_MS 5000        /* a scrape's whole life */

enum fb_mstate { FB_M_FREE, FB_M_READ, FB_M_WRITE, FB_M_LINGER, FB_M_CLOSING };

struct fb_mconn {
	enum fb_mstate state;
	int fd;
	int armed;                /* its poll's CQE is to come */
	uint64_t deadline;        /* monotonic ms */
	size_t got;               /* request bytes in req */
	char *out;                /* the response, while it is written */
	size_t out_len, out_off;
	char req[FB_HTTP_REQ_MAX];
};

struct fb_metrics {
	int lfd;
	struct ks_counter_maps maps;
	struct fb_mconn c[FB_METRICS_CONNS];
};

static uint64_t fb_mud(int k)
{
	return (uint64_t)(FB_UD_METRICS + 1 + k) << FB_UD_SHIFT | FB_UD_LISTEN;
}

static void fb_metrics_arm_accept(struct fb_env *env)
{
	struct io_uring_sqe *sqe = fb_sqe(env);

	io_uring_prep_multishot_accept(sqe, env->metrics->lfd, NULL, NULL,
				       SOCK_NONBLOCK | SOCK_CLOEXEC);
	io_uring_sqe_set_data64(sqe, (uint64_t)FB_UD_METRICS << FB_UD_SHIFT | FB_UD_LISTEN);
}

/* One poll for what connection k waits for next. */
static void fb_mpoll(struct fb_env *env, int k, unsigned int events)
{
	struct io_uring_sqe *sqe = fb_sqe(env);

	io_uring_prep_poll_add(sqe, env->metrics->c[k].fd, events);
	io_uring_sqe_set_data64(sqe, fb_mud(k));
	env->metrics->c[k].armed = 1;
}

/* Ends connection k (counted as why unless why < 0); the slot is free
 * again once no CQE of its poll can come. */
static void fb_mclose(struct fb_env *env, int k, int why)
{
	struct fb_mconn *m = &env->metrics->c[k];

	if (why >= 0)
		fb_count(env, why, 1);
	if (m->armed) {                   /* a cancel: the poll's last CQE frees it */
		struct io_uring_sqe *sqe = fb_sqe(env);

		io_uring_prep_cancel64(sqe, fb_mud(k), 0);
		io_uring_sqe_set_data64(sqe, FB_UD_IGNORE);
	}
	close(m->fd);
	m->fd = -1;
	free(m->out);
	m->out = NULL;
	m->state = m->armed ? FB_M_CLOSING : FB_M_FREE;
}

/* The response to status into m->out: the exposition for 200. 0 or -1. */
static int fb_mrespond(struct fb_metrics *mx, struct fb_mconn *m, int status, int head)
{
	char *body = NULL;
	size_t body_len = 0;
	FILE *f = open_memstream(&body, &body_len);
	int rc;

	if (!f)
		return -1;
	if (status == 200)
		rc = ks_metrics_write(f, &mx->maps);
	else
		rc = fprintf(f, "%d %s\n", status, fb_http_reason(status)) < 0;
	if (fclose(f) || rc) {
		free(body);
		return -1;
	}
	rc = asprintf(&m->out, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "Connection: close\r\n%s\r\n%.*s", status, fb_http_reason(status),
		      status == 200 ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain",
		      body_len, status == 405 ? "Allow: GET, HEAD\r\n" : "",
		      head ? 0 : (int)body_len, body);
	free(body);
	if (rc < 0)
		return m->out = NULL, -1;
	m->out_len = rc;
	m->out_off = 0;
	return 0;
}

/* READ: what came; the head whole (or too long): its response, WRITE. */
static void fb_mread(struct fb_env *env, int k)
{
	struct fb_mconn *m = &env->metrics->c[k];
	ssize_t n = recv(m->fd, m->req + m->got, sizeof(m->req) - m->got, 0);
	int status, head;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return fb_mpoll(env, k, POLLIN);
	if (n <= 0)                       /* gone before a whole request */
		return fb_mclose(env, k, KS_FB_METRICS_DROPPED);
	m->got += n;
	status = fb_http_request(m->req, m->got, &head);
	if (!status)
		return fb_mpoll(env, k, POLLIN);
	if (fb_mrespond(env->metrics, m, status, head))
		return fb_mclose(env, k, KS_FB_METRICS_DROPPED);   /* out of memory */
	fb_count(env, status == 200 ? KS_FB_METRICS_SCRAPES : KS_FB_METRICS_BAD, 1);
	m->state = FB_M_WRITE;
	fb_mpoll(env, k, POLLOUT);
}

/* WRITE: as much as the socket takes; all of it: our side shut, LINGER. */
static void fb_mwrite(struct fb_env *env, int k)
{
	struct fb_mconn *m = &env->metrics->c[k];

	while (m->out_off < m->out_len) {
		ssize_t n = send(m->fd, m->out + m->out_off, m->out_len - m->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return fb_mpoll(env, k, POLLOUT);
		if (n < 0)                /* the scraper gone (reset) */
			return fb_mclose(env, k, KS_FB_METRICS_DROPPED);
		m->out_off += n;
	}
	free(m->out);
	m->out = NULL;
	shutdown(m->fd, SHUT_WR);
	m->state = FB_M_LINGER;
	fb_mpoll(env, k, POLLIN);
}

/* LINGER: the scraper's bytes dropped until its FIN (or the deadline). */
static void fb_mlinger(struct fb_env *env, int k)
{
	struct fb_mconn *m = &env->metrics->c[k];
	char sink[512];
	ssize_t n;

	while ((n = recv(m->fd, sink, sizeof(sink), MSG_DONTWAIT)) > 0)
		;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return fb_mpoll(env, k, POLLIN);
	fb_mclose(env, k, -1);            /* answered and counted already */
}

/* A scraper accepted: a free slot, or closed unanswered. */
static void fb_maccept(struct fb_env *env, int fd)
{
	struct fb_metrics *mx = env->metrics;

	for (int k = 0; k < FB_METRICS_CONNS; k++) {
		struct fb_mconn *m = &mx->c[k];

		if (m->state != FB_M_FREE)
			continue;
		*m = (struct fb_mconn){ .state = FB_M_READ, .fd = fd,
					.deadline = fb_now_ms() + FB_METRICS_MS };
		fb_mread(env, k);         /* the request may be there already */
		return;
	}
	close(fd);                        /* all busy: no more state for a flood */
	fb_count(env, KS_FB_METRICS_DROPPED, 1);
}

void fb_metrics_event(struct fb_env *env, int index, const struct io_uring_cqe *cqe)
{
	int k = index - FB_UD_METRICS - 1;
	struct fb_mconn *m;

	if (k < 0) {                      /* the listener */
		if (cqe->res >= 0)
			fb_maccept(env, cqe->res);
		if (!(cqe->flags & IORING_CQE_F_MORE))
			fb_metrics_arm_accept(env);
		return;
	}
	m = &env->metrics->c[k];
	m->armed = 0;
	if (m->state == FB_M_CLOSING) {
		m->state = FB_M_FREE;
		return;
	}
	if (cqe->res < 0)                 /* the poll failed: nothing to wait for */
		return fb_mclose(env, k, KS_FB_METRICS_DROPPED);
	switch (m->state) {
	case FB_M_READ: fb_mread(env, k); break;
	case FB_M_WRITE: fb_mwrite(env, k); break;
	case FB_M_LINGER: fb_mlinger(env, k); break;
	default: break;
	}
}

int fb_metrics_expire(struct fb_env *env)
{
	uint64_t now = fb_now_ms();
	int next = -1;

	for (int k = 0; env->metrics && k < FB_METRICS_CONNS; k++) {
		struct fb_mconn *m = &env->metrics->c[k];
		int ms;

		if (m->state == FB_M_FREE || m->state == FB_M_CLOSING)
			continue;
		if (m->deadline <= now) {
			/* Too slow to ask, or to take the answer; LINGER's was
			 * answered and counted. */
			fb_mclose(env, k, m->state == FB_M_LINGER ? -1 : KS_FB_METRICS_DROPPED);
			continue;
		}
		ms = m->deadline - now;
		next = next < 0 || ms < next ? ms : next;
	}
	return next;
}

/* --metrics: the maps the counters are read from, the listener, its accept. */
int fb_metrics_init(struct fb_env *env)
{
	const char *addr_s = env->cfg->metrics;
	struct sockaddr_storage ss;
	struct fb_metrics *mx;
	socklen_t len;
	int on = 1;

	if (!addr_s)
		return 0;
	len = fb_sockaddr(addr_s, &ss);
	if (!len)
		return -1;
	mx = env->metrics = calloc(1, sizeof(*mx));
	if (!mx)
		return ks_err("out of memory"), -1;
	mx->lfd = -1;
	if (ks_counter_maps_open(&mx->maps))
		return -1;
	mx->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (mx->lfd < 0 || setsockopt(mx->lfd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    bind(mx->lfd, (struct sockaddr *)&ss, len) || listen(mx->lfd, FB_METRICS_CONNS))
		return ks_err("cannot serve metrics on %s: %s", addr_s, strerror(errno)), -1;
	for (int k = 0; k < FB_METRICS_CONNS; k++)
		mx->c[k].fd = -1;
	fb_metrics_arm_accept(env);
	return 0;
}

/* At exit: the process ends with the ring, so no poll is waited for. */
void fb_metrics_fini(struct fb_env *env)
{
	struct fb_metrics *mx = env->metrics;

	if (!mx)
		return;
	for (int k = 0; k < FB_METRICS_CONNS; k++) {
		if (mx->c[k].fd >= 0)
			close(mx->c[k].fd);
		free(mx->c[k].out);
	}
	if (mx->lfd >= 0)
		close(mx->lfd);
	ks_counter_maps_close(&mx->maps);
	free(mx);
	env->metrics = NULL;
}
