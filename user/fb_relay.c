// SPDX-License-Identifier: GPL-2.0
/*
 * Proxy relay: bytes move socket -> pipe -> socket with splice(2), so they
 * never enter userspace. Each direction has its own pipe; a direction ends
 * at EOF with its pipe drained, and passes the EOF on with shutdown(SHUT_WR)
 * (half-close), so the connection ends when both have.
 *
 * io_uring is the event engine, splice the mover: a CQE of an end's
 * multishot poll (fb_conn.c) runs a non-blocking pump here, in ksteerd's
 * thread, until the sockets say EAGAIN (the polls are edge triggered).
 * Not IORING_OP_SPLICE: the kernel always punts it to io-wq worker
 * threads (splice has no non-blocking issue path in io_uring), where a
 * splice from a socket with nothing to read blocks its worker, so every
 * idle connection would hold a kernel thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "fb.h"

#define FB_PIPE_CHUNK (1 << 16)

/* Both ends' polls already watch POLLIN | POLLOUT: only the pipes are new. */
int fb_relay_start(struct fb_conn *c)
{
	if (pipe2(c->client.pipe, O_NONBLOCK | O_CLOEXEC))
		return -1;
	if (pipe2(c->up.pipe, O_NONBLOCK | O_CLOEXEC))
		return -1;
	fcntl(c->client.pipe[0], F_SETPIPE_SZ, FB_PIPE_CHUNK);
	fcntl(c->up.pipe[0], F_SETPIPE_SZ, FB_PIPE_CHUNK);
	c->state = FB_RELAY;
	return 0;
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
				return 0;         /* dst full: wait for POLLOUT */
			continue;
		}
		if (src->eof) {
			shutdown(dst->fd, SHUT_WR);
			return 0;
		}
		return 0;                         /* src empty: wait for POLLIN */
	}
}

int fb_relay_pump(struct fb_conn *c)
{
	if (fb_pump(&c->client, &c->up) || fb_pump(&c->up, &c->client))
		return 1;
	return c->client.eof && !c->client.in_pipe && c->up.eof && !c->up.in_pipe;
}
