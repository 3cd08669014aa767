// SPDX-License-Identifier: GPL-2.0
/*
 * One connection through ksteerd: peek at the ClientHello (MSG_PEEK, so
 * nothing is consumed) until the shared parser says it is whole, route it
 * with the shared route lookup on the pinned maps, then deliver it:
 *
 *   handoff   the socket itself goes to the backend over its unix socket
 *             (SCM_RIGHTS); the backend reads the ClientHello first-hand
 *   hand-back the client's connection goes back into the kernel, into a
 *             listener of the routed backend (fb_handback.c): the backend
 *             accept()s the client's own connection
 *   proxy     ksteerd connects to the backend's own proxy target (a remote
 *             upstream, or what the operator named for when hand-back is
 *             impossible), optionally with a PROXY v2 header, and relays
 *   refused   none of those: a RST. Never a connection to the backend's
 *             own address from ksteerd's, where the client would appear as
 *             this host (allow 127.0.0.1, status pages, trusted headers)
 *
 * Peeking connections wait in a list ordered by deadline (all deadlines
 * are now + the same delay), so expiry looks at the head only.
 *
 * Events come from io_uring: each end has one multishot poll (POLLIN |
 * POLLOUT | POLLRDHUP, edge triggered) from its socket's start to its
 * close, with the end's address as user_data. One mask for its whole life
 * means a poll is never updated or replaced, so at most one request per end
 * is in flight. Freeing follows one rule: a connection is freed only once
 * the last CQE of each of its polls (the one without IORING_CQE_F_MORE) has
 * been seen. Every CQE of a request comes before or as that one, so no CQE
 * arriving later can name freed memory; closing asks for it with a cancel,
 * whose own CQE names nothing (FB_UD_IGNORE).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/un.h>
#include <unistd.h>
#include "fb.h"

void fb_list_add(struct fb_list *l, struct fb_conn *c, uint64_t deadline)
{
	c->deadline = deadline;
	c->on = l;
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

void fb_list_del(struct fb_conn *c)
{
	struct fb_list *l = c->on;

	if (!l)
		return;
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	c->on = NULL;
}

static void fb_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fb_arm(struct fb_env *env, struct fb_end *e)
{
	struct io_uring_sqe *sqe = fb_sqe(env);

	io_uring_prep_poll_multishot(sqe, e->fd, POLLIN | POLLOUT | POLLRDHUP);
	io_uring_sqe_set_data(sqe, e);
	e->armed = 1;
}

/*
 * A poll holds the file, not our descriptor: until it is removed the socket
 * stays open after close() (no FIN or RST to the client), and a handed-off
 * one, open in the backend, would go on reporting the backend's traffic.
 * armed stays set until the poll's last CQE says it is gone.
 *
 * A cancel by user_data, not IORING_OP_POLL_REMOVE: a poll remove gives up
 * (-EALREADY) when a wakeup of that poll is pending, e.g. the peer's FIN
 * that made us close, and the poll stays armed for good; a cancel marks
 * the poll cancelled, which the pending wakeup honours with the last CQE.
 */
static void fb_disarm(struct fb_env *env, struct fb_end *e)
{
	struct io_uring_sqe *sqe;

	if (!e->armed)
		return;
	sqe = fb_sqe(env);
	io_uring_prep_cancel64(sqe, (uintptr_t)e, 0);
	io_uring_sqe_set_data64(sqe, FB_UD_IGNORE);
}

/* Stop watching e's socket and close it. */
void fb_drop_socket(struct fb_env *env, struct fb_end *e)
{
	fb_disarm(env, e);
	fb_close_fd(&e->fd);
}

/* reset: the client gets a RST rather than a FIN (refusals, errors). */
void fb_close(struct fb_env *env, struct fb_conn *c, int reset)
{
	if (c->closed)
		return;
	if (reset && c->client.fd >= 0) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(c->client.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	fb_list_del(c);
	/* SQEs are issued in order: a cancel queued now follows any poll add of
	 * this end still queued, even one that finds its fd number reused by
	 * the time it is submitted. */
	fb_drop_socket(env, &c->client);
	fb_drop_socket(env, &c->up);
	fb_pipe_put(env, c->client.pipe, c->client.in_pipe);
	fb_pipe_put(env, c->up.pipe, c->up.in_pipe);
	env->held--;
	fb_count(env, KS_FB_ACTIVE, -1);
	/* CQEs of its polls may still be on their way (this batch, or after
	 * the cancels): fb_reap frees it once the last of them is seen. */
	c->closed = 1;
	c->dead_next = env->dead;
	env->dead = c;
}

/* After each batch of CQEs. A closed connection whose polls have not all
 * sent their last CQE waits: a cancel completes within a submit or two,
 * so this list stays short. */
void fb_reap(struct fb_env *env)
{
	struct fb_conn **pp = &env->dead, *c;

	while ((c = *pp)) {
		if (c->client.armed || c->up.armed) {
			pp = &c->dead_next;
			continue;
		}
		*pp = c->dead_next;
		fb_handback_free(c);
		free(c);
	}
}

void fb_accept(struct fb_env *env, int fd)
{
	struct fb_conn *c;

	fb_count(env, KS_FB_ACCEPTED, 1);
	if (!env->peek_buf)
		env->peek_buf = malloc(env->cfg->max_hello);
	c = env->peek_buf && env->held < env->cfg->max_conns ? calloc(1, sizeof(*c)) : NULL;
	if (!c) {
		close(fd);                        /* at capacity: refused */
		return;
	}
	c->client = (struct fb_end){ .c = c, .fd = fd, .pipe = { -1, -1 } };
	c->up = (struct fb_end){ .c = c, .fd = -1, .pipe = { -1, -1 } };
	c->state = FB_PEEK;
	fb_list_add(&env->peeking, c, fb_now_ms() + env->cfg->deadline_ms);
	env->held++;
	fb_count(env, KS_FB_ACTIVE, 1);
	/* A fresh socket is writable, so the poll's first CQE comes at once
	 * and peeks at whatever is queued already. */
	fb_arm(env, &c->client);
}

/* Give the client socket to the backend listening on a unix socket. */
static int fb_handoff(struct fb_conn *c, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, tag = 'K';
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int u, ok;

	/* O_NONBLOCK belongs to the open file, which the backend shares: hand
	 * it over in the blocking mode a plain accept() would give it. */
	fcntl(c->client.fd, F_SETFL, fcntl(c->client.fd, F_GETFL) & ~O_NONBLOCK);
	u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (u < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->client.fd, sizeof(int));
	ok = !connect(u, (struct sockaddr *)&sun, sizeof(sun)) && sendmsg(u, &msg, 0) == 1;
	close(u);
	return ok ? 0 : -1;
}

/* Where a proxied connection goes: the backend's own proxy target (a
 * wildcard address means this host). */
static int fb_upstream(const struct ks_backend_info *bi, struct sockaddr_storage *ss,
		       socklen_t *len)
{
	const struct ks_addr *a = &bi->target;
	static const __u8 any[16];

	memset(ss, 0, sizeof(*ss));
	if (!(bi->flags & KS_BE_PROXY))
		return -1;
	if (a->family == AF_INET) {
		struct sockaddr_in *s = (void *)ss;

		s->sin_family = AF_INET;
		s->sin_port = a->port;
		memcpy(&s->sin_addr, a->addr, 4);
		if (!memcmp(a->addr, any, 4))
			s->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*s);
	} else if (a->family == AF_INET6) {
		struct sockaddr_in6 *s = (void *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = a->port;
		memcpy(&s->sin6_addr, a->addr, 16);
		if (!memcmp(a->addr, any, 16))
			s->sin6_addr = in6addr_loopback;
		*len = sizeof(*s);
	} else {
		return -1;
	}
	return 0;
}

/*
 * A non-blocking connect() waited for by the multishot poll the relay needs
 * on this socket anyway (its first POLLOUT or POLLERR says the connect is
 * done), rather than IORING_OP_CONNECT: that would be a second request per
 * upstream in flight, one more to route and to cancel before a close.
 */
static void fb_proxy(struct fb_env *env, struct fb_conn *c, const struct ks_backend_info *bi)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (fb_upstream(bi, &ss, &len))
		goto fail;
	c->up.fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->up.fd < 0)
		goto fail;
	if (connect(c->up.fd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS)
		goto fail;
	c->v2 = !!(bi->flags & KS_BE_PROXY_V2);
	c->state = FB_CONNECT;
	fb_arm(env, &c->up);
	return;
fail:
	fb_count(env, KS_FB_PROXY_FAILED, 1);
	fb_close(env, c, 1);
}

/* The client's public port (host order) when it is a plain-HTTP one, else 0. */
static __u16 fb_http_port(struct fb_env *env, struct fb_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	__u32 a[4];
	__u16 port;

	if (!env->routes->http_port || getsockname(c->client.fd, (struct sockaddr *)&ss, &len))
		return 0;
	fb_addr_of(&ss, a, &port);                /* 1 for IPv6: the port is set either way */
	port = ntohs(port);
	return env->routes->http_port(env, port) ? port : 0;
}

/* Route what env->scratch holds (nothing: the default route) and deliver;
 * why (a KS_WHY_) is what `ksteer monitor` says routed it. */
static void fb_deliver(struct fb_env *env, struct fb_conn *c, int why)
{
	struct ks_backend_info bi;
	__u32 id = env->routes->route(env, env->scratch);

	fb_list_del(c);                           /* no deadline from here */
	if (!id || env->routes->backend(env, id, &bi) || !(bi.flags & KS_BE_IN_USE)) {
		fb_count(env, KS_FB_NO_ROUTE, 1);
		fb_decided(env, c, KS_EV_KSTEERD_REFUSED, KS_WHY_NO_ROUTE, 0, 1);
		fb_close(env, c, 1);
		return;
	}
	c->backend = id;
	if (bi.flags & KS_BE_HANDOFF) {
		if (fb_handoff(c, bi.path)) {
			fb_count(env, KS_FB_HANDOFF_FAILED, 1);
			fb_decided(env, c, KS_EV_KSTEERD_REFUSED, KS_WHY_HANDOFF_FAILED, id, 1);
			fb_close(env, c, 1);
			return;
		}
		fb_count(env, KS_FB_HANDOFF, 1);
		fb_decided(env, c, KS_EV_KSTEERD_HANDOFF, why, id, 1);
		fb_close(env, c, 0);              /* the backend holds it now */
		return;
	}
	if (!fb_handback(env, c, id))
		return;                           /* into the backend's listener: TC says */
	if (bi.flags & KS_BE_PROXY) {
		fb_decided(env, c, KS_EV_KSTEERD_PROXY, why, id, 1);
		fb_proxy(env, c, &bi);            /* the operator's own target */
		return;
	}
	/* No listener to hand it to (none registered, --fallback-only, too
	 * much data) and no proxy target: refused rather than proxied from
	 * this host, where the client would look local to the backend. */
	fb_count(env, KS_FB_REFUSED_NO_CLIENT_ADDR, 1);
	fb_decided(env, c, KS_EV_KSTEERD_REFUSED, KS_WHY_NO_CLIENT_ADDR, id, 1);
	fb_close(env, c, 1);
}

/* A ClientHello that names nothing we can trust (not TLS, broken, or not
 * whole by the deadline): to the default route's backend, which answers
 * it as it would directly (HAProxy's default_backend); refused without one. */
static void fb_deliver_default(struct fb_env *env, struct fb_conn *c, int why)
{
	__u16 port = fb_http_port(env, c);

	/* The scratch may hold another connection's parse: this one's space. */
	env->scratch->hello.space = port ? KS_SPACE_HTTP(port) : KS_SPACE_TLS;
	env->scratch->hello.sni_len = 0;
	env->scratch->hello.alpn_count = 0;
	env->scratch->hello.named = 0;
	if (env->routes->route(env, env->scratch))
		fb_count(env, KS_FB_TO_DEFAULT, 1);
	fb_deliver(env, c, why);
}

/*
 * What the first n bytes are, by the port (bpf/first.h does the same in
 * the kernel, with the same parsers): a request head on a plain-HTTP port
 * (its status as a ClientHello's: the h2 preface names nothing), else a
 * ClientHello or an SSH client's identification.
 */
static int fb_first_parse(struct fb_env *env, struct fb_conn *c, __u32 n)
{
	struct ks_http_walk w;
	__u16 port = fb_http_port(env, c);
	int st;

	if (port) {
		st = ks_http_parse_buf(env->peek_buf, n, port, env->scratch, &w);
		if (st != KS_HTTP_INCOMPLETE)
			fb_count(env, KS_FB_HTTP, 1);
		if (st != KS_HTTP_PRIOR_H2)
			return st;
		env->scratch->hello.sni_len = 0;
		return KS_HELLO_COMPLETE;
	}
	st = ks_parse_buf(env->peek_buf, n, env->scratch);
	if (st != KS_HELLO_NOT_TLS && st != KS_HELLO_INCOMPLETE)
		return st;
	switch (ks_ssh_ident(env->peek_buf, n < KS_SSH_IDENT_LEN ? n : KS_SSH_IDENT_LEN)) {
	case KS_SSH_YES:
		ks_hello_reset(&env->scratch->hello, KS_SPACE_SSH);
		fb_count(env, KS_FB_SSH, 1);
		return KS_HELLO_COMPLETE;
	case KS_SSH_MORE:
		return KS_HELLO_INCOMPLETE;
	}
	return st;
}

static void fb_peek(struct fb_env *env, struct fb_conn *c)
{
	ssize_t n = recv(c->client.fd, env->peek_buf, env->cfg->max_hello, MSG_PEEK);

	if (n == 0 || (n < 0 && errno != EAGAIN)) {
		fb_count(env, KS_FB_CLOSED_EARLY, 1);
		fb_close(env, c, 0);
		return;
	}
	if (n < 0)
		return;
	switch (fb_first_parse(env, c, n)) {
	case KS_HELLO_COMPLETE:
		fb_deliver(env, c, KS_WHY_KSTEERD_ROUTED);
		return;
	case KS_HELLO_INCOMPLETE:
		if (n < env->cfg->max_hello)
			return;                   /* wait for more */
		fb_count(env, KS_FB_TOO_BIG, 1);  /* the cap is reached */
		fb_decided(env, c, KS_EV_KSTEERD_REFUSED, KS_WHY_TOO_BIG, 0, 0);
		fb_close(env, c, 1);
		return;
	case KS_HELLO_TOO_BIG:
		fb_count(env, KS_FB_TOO_BIG, 1);
		fb_decided(env, c, KS_EV_KSTEERD_REFUSED, KS_WHY_TOO_BIG, 0, 0);
		fb_close(env, c, 1);
		return;
	default:
		fb_count(env, KS_FB_MALFORMED, 1);
		fb_deliver_default(env, c, KS_WHY_DEFAULT);
	}
}

static void fb_connected(struct fb_env *env, struct fb_conn *c)
{
	unsigned char hdr[64];
	int err = 0, len;
	socklen_t el = sizeof(err);

	if (getsockopt(c->up.fd, SOL_SOCKET, SO_ERROR, &err, &el) || err)
		goto fail;
	if (c->v2) {
		len = fb_proxy_v2_header(c->client.fd, hdr, sizeof(hdr));
		/* A fresh socket's buffer takes 52 bytes at once. */
		if (len < 0 || write(c->up.fd, hdr, len) != len)
			goto fail;
	}
	fb_count(env, KS_FB_PROXY, 1);
	if (fb_relay_start(env, c))
		goto fail;
	if (fb_relay_pump(c, NULL, 0))
		fb_close(env, c, 0);
	return;
fail:
	fb_count(env, KS_FB_PROXY_FAILED, 1);
	fb_close(env, c, 1);
}

static void fb_ready(struct fb_env *env, struct fb_conn *c, struct fb_end *e,
		     unsigned int events)
{
	switch (c->state) {
	case FB_PEEK:
		fb_peek(env, c);
		break;
	case FB_CONNECT:
		/* The client's events wait (the relay's first pump reads what
		 * came); the connect is done at POLLOUT, or failed. */
		if (e == &c->up && events & (POLLOUT | POLLERR | POLLHUP))
			fb_connected(env, c);
		break;
	case FB_RELAY:
		if (fb_relay_pump(c, e, events))
			fb_close(env, c, 0);
		break;
	case FB_HANDBACK:
		break;                            /* its socket is gone (fb_event) */
	}
}

/* A CQE of e's multishot poll: res is the ready mask or -errno. */
void fb_event(struct fb_env *env, struct fb_end *e, int res, unsigned int cqe_flags)
{
	struct fb_conn *c = e->c;

	if (!(cqe_flags & IORING_CQE_F_MORE))
		e->armed = 0;                     /* its last: none will follow */
	if (c->closed || c->state == FB_HANDBACK)
		return;                           /* fb_reap frees it once disarmed; a
						   * hand-back needs its socket no more */
	if (res < 0) {                            /* not our cancel: c is open */
		fb_close(env, c, 1);
		return;
	}
	fb_ready(env, c, e, res);
	/* The kernel ends a multishot poll whose CQE found the CQ full: poll
	 * again (its first CQE reports what is ready now, so nothing is lost). */
	if (!c->closed && !e->armed)
		fb_arm(env, e);
}

int fb_expire(struct fb_env *env)
{
	uint64_t now = fb_now_ms();

	while (env->peeking.head && env->peeking.head->deadline <= now) {
		/* Slow or silent client: it names nothing by now, so it goes
		 * where nothing is named, and ksteerd holds it no longer
		 * (slowloris); the default backend's own timeout decides. */
		fb_count(env, KS_FB_TIMEOUT, 1);
		fb_deliver_default(env, env->peeking.head, KS_WHY_TIMEOUT);
	}
	return env->peeking.head ? (int)(env->peeking.head->deadline - now) : -1;
}
