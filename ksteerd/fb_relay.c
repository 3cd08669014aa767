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
#include <poll.h>
#include <unistd.h>
#include "fb.h"

#define FB_PIPE_CHUNK (1 << 16)  /* a pipe's default capacity: 16 pages */

/* Empty pipes of closed connections are kept for the next ones (env->pipes):
 * a proxied connection would otherwise cost two pipe2() and four close()
 * calls, a good part of what it costs in all when it is short. */
static int fb_pipe_get(struct fb_pipes *pool, int p[2])
{
	if (pool->n) {
		p[0] = pool->fds[--pool->n][0];
		p[1] = pool->fds[pool->n][1];
		return 0;
	}
	return pipe2(p, O_NONBLOCK | O_CLOEXEC);
}

void fb_pipe_put(struct fb_env *env, int p[2], size_t in_pipe)
{
	struct fb_pipes *pool = &env->pipes;

	if (p[0] >= 0 && !in_pipe && pool->n < FB_PIPE_POOL) {
		pool->fds[pool->n][0] = p[0];
		pool->fds[pool->n++][1] = p[1];
	} else {
		if (p[0] >= 0)
			close(p[0]);
		if (p[1] >= 0)
			close(p[1]);
	}
	p[0] = p[1] = -1;
}

void fb_pipes_close(struct fb_env *env)
{
	while (env->pipes.n) {
		env->pipes.n--;
		close(env->pipes.fds[env->pipes.n][0]);
		close(env->pipes.fds[env->pipes.n][1]);
	}
}

/* Both ends' polls already watch POLLIN | POLLOUT: only the pipes are new. */
int fb_relay_start(struct fb_env *env, struct fb_conn *c)
{
	if (fb_pipe_get(&env->pipes, c->client.pipe) || fb_pipe_get(&env->pipes, c->up.pipe))
		return -1;
	c->state = FB_RELAY;
	return 0;
}

/* Move what can move from src to dst; -1 on a hard error. Reads go on
 * until EAGAIN: a short splice does not say the socket is empty (a pipe
 * holds 16 buffers, whatever their size), and the poll is edge triggered. */
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

/* e's poll reported events (e NULL: pump both ways). Only what the events
 * can have changed is tried: what e has to read, and what waits in the
 * other end's pipe for e to take; a splice that would only say EAGAIN is
 * a syscall for nothing. */
int fb_relay_pump(struct fb_conn *c, struct fb_end *e, unsigned int events)
{
	struct fb_end *o = e == &c->client ? &c->up : &c->client;

	if (!e) {
		if (fb_pump(&c->client, &c->up) || fb_pump(&c->up, &c->client))
			return 1;
	} else {
		if ((events & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) && fb_pump(e, o))
			return 1;
		if ((events & POLLOUT) && o->in_pipe && fb_pump(o, e))
			return 1;
	}
	return c->client.eof && !c->client.in_pipe && c->up.eof && !c->up.in_pipe;
}
