// SPDX-License-Identifier: GPL-2.0
/*
 * Proxy relay: bytes move socket -> pipe -> socket with splice(2), so they
 * never enter userspace. Each direction has its own pipe; a direction ends
 * at EOF with its pipe drained, and passes the EOF on with shutdown(SHUT_WR)
 * (half-close), so the connection ends when both have.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "fb.h"

#define FB_PIPE_CHUNK (1 << 16)

int fb_relay_start(struct fb_conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET };

	if (pipe2(c->client.pipe, O_NONBLOCK | O_CLOEXEC))
		return -1;
	if (pipe2(c->up.pipe, O_NONBLOCK | O_CLOEXEC))
		return -1;
	fcntl(c->client.pipe[0], F_SETPIPE_SZ, FB_PIPE_CHUNK);
	fcntl(c->up.pipe[0], F_SETPIPE_SZ, FB_PIPE_CHUNK);
	c->state = FB_RELAY;
	ev.data.ptr = &c->client;
	if (epoll_ctl(fb_epoll, EPOLL_CTL_MOD, c->client.fd, &ev))
		return -1;
	ev.data.ptr = &c->up;
	return epoll_ctl(fb_epoll, EPOLL_CTL_MOD, c->up.fd, &ev);
}

/* Move what can move from src to dst; -1 on a hard error. */
static int fb_pump(struct fb_end *src, struct fb_end *dst)
{
	ssize_t n;

	for (;;) {
		if (!src->eof) {
			n = splice(src->fd, NULL, src->pipe[1], NULL, FB_PIPE_CHUNK,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0)
				src->in_pipe += n;
			else if (n == 0)
				src->eof = 1;
			else if (errno != EAGAIN)
				return -1;
		}
		if (src->in_pipe) {
			n = splice(src->pipe[0], NULL, dst->fd, NULL, src->in_pipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0)
				src->in_pipe -= n;
			else if (n < 0 && errno != EAGAIN)
				return -1;
			if (n <= 0)
				return 0;         /* dst full: wait for EPOLLOUT */
			continue;
		}
		if (src->eof) {
			shutdown(dst->fd, SHUT_WR);
			return 0;
		}
		return 0;                         /* src empty: wait for EPOLLIN */
	}
}

int fb_relay_pump(struct fb_conn *c)
{
	if (fb_pump(&c->client, &c->up) || fb_pump(&c->up, &c->client))
		return 1;
	return c->client.eof && !c->client.in_pipe && c->up.eof && !c->up.in_pipe;
}
