// SPDX-License-Identifier: GPL-2.0
/* A connection's life: TLS handshake, requests, responses, the ways it
 * ends (see conn.h for the states). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>
#include "certs.h"
#include "conn.h"
#include "http_serve.h"
#include "loop.h"
#include "stats.h"
#include "tls_bio.h"

#define REQ_BUF		(HTTP_MAX_HEAD + 1024)	/* the parser decides before it fills */
#define LINGER_SECS	2	/* wait for the peer's FIN after ours */

static void peer_name(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sockaddr_in6 *s6 = (void *)&ss;

	snprintf(c->peer, sizeof(c->peer), "-");
	if (getpeername(c->fd, (void *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, c->peer, sizeof(c->peer));
	else if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], c->peer, sizeof(c->peer));
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, c->peer, sizeof(c->peer));
}

struct conn *conn_new(struct worker *w, int fd, int slot)
{
	struct conn *c = calloc(1, sizeof(*c));
	BIO *b = NULL;
	int one = 1;

	if (!c)
		return NULL;
	c->w = w;
	c->fd = fd;
	c->slot = slot;
	c->rbid = -1;
	c->resp.file_fd = -1;
	c->ssl = certs_new_ssl(&w->ctx->certs, &c->certs);
	if (c->ssl)
		b = tls_bio_new(w->ctx->bio, c);
	if (!b) {
		if (c->ssl) {
			SSL_free(c->ssl);
			certs_put(c->certs);
		}
		free(c);
		return NULL;
	}
	SSL_set_bio(c->ssl, b, b);
	SSL_set_accept_state(c->ssl);
	/* Responses are written whole; Nagle would only delay their tails. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	peer_name(c);
	c->state = CS_HANDSHAKE;
	c->deadline = w->now + w->cfg->header_timeout;
	c->next = w->conns;
	if (w->conns)
		w->conns->prev = c;
	w->conns = c;
	w->nconns++;
	STAT_INC(w->stats, conns_open);
	STAT_INC(w->stats, conns_total);
	return c;
}

/* A receive buffer back to the kernel; the loop re-arms a waiter for it. */
static void rbuf_put(struct conn *c, unsigned bid)
{
	bufring_put(&c->w->br, bid);
	STAT_DEC(c->w->stats, bufs_in_use);
	c->w->bufs_freed++;
}

void conn_release_rbuf(struct conn *c)
{
	if (c->rbid < 0)
		return;
	rbuf_put(c, c->rbid);
	c->rbid = -1;
	c->rptr = NULL;
	c->rlen = 0;
}

static void conn_free(struct conn *c)
{
	struct worker *w = c->w;
	int none = -1;

	if (c->resp.active && c->resp.status)
		worker_log_access(w, c);	/* cut short: what was sent */
	conn_release_rbuf(c);
	worker_unwait(w, c);
	if (c->prev)
		c->prev->next = c->next;
	else
		w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	w->nconns--;
	io_uring_register_files_update(&w->ring, c->slot, &none, 1);
	worker_release_slot(w, c->slot);
	close(c->fd);
	SSL_free(c->ssl);
	certs_put(c->certs);
	resp_reset(&c->resp);
	free(c->resp.fbuf);
	free(c->req);
	free(c->pend.p);
	free(c->fly.p);
	free(c->pre);
	atomic_fetch_sub(&w->ctx->conns, 1);
	STAT_DEC(w->stats, conns_open);
	free(c);
}

void conn_maybe_free(struct conn *c)
{
	if (c->closing && !c->inflight)
		conn_free(c);
}

/* Ends c at once: shutting the socket down completes every receive,
 * send and poll the kernel holds for it; conn_maybe_free() then frees. */
void conn_abort(struct conn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = 1;
	if (why)
		STAT_INC(c->w->stats, errors);
	shutdown(c->fd, SHUT_RDWR);
	worker_unwait(c->w, c);
}

static void submit_send(struct conn *c)
{
	struct io_uring_sqe *sqe = worker_sqe(c->w);

	io_uring_prep_send(sqe, c->slot, c->fly.p + c->fly.off, c->fly.len - c->fly.off,
			   MSG_NOSIGNAL);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, UD(UD_SEND, c));
	c->send_armed = 1;
	c->inflight++;
}

static void submit_recv(struct conn *c)
{
	struct io_uring_sqe *sqe = worker_sqe(c->w);

	/* No buffer of ours: the kernel picks one from the ring when data
	 * arrives, so waiting costs no memory. */
	io_uring_prep_recv(sqe, c->slot, NULL, c->w->br.size, 0);
	sqe->flags |= IOSQE_FIXED_FILE | IOSQE_BUFFER_SELECT;
	sqe->buf_group = c->w->br.bgid;
	io_uring_sqe_set_data64(sqe, UD(UD_RECV, c));
	c->recv_armed = 1;
	c->want_read = 0;
	c->inflight++;
}

static void submit_pollout(struct conn *c)
{
	struct io_uring_sqe *sqe = worker_sqe(c->w);

	io_uring_prep_poll_add(sqe, c->slot, POLLOUT);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, UD(UD_POLL, c));
	c->poll_armed = 1;
	c->inflight++;
}

static int out_idle(struct conn *c)
{
	return !c->pend.len && !c->send_armed && c->fly.off >= c->fly.len;
}

void conn_flush(struct conn *c)
{
	if (c->closing)
		return;
	if (!c->send_armed && c->fly.off >= c->fly.len && c->pend.len) {
		struct outbuf t = c->fly;

		c->fly = c->pend;
		c->fly.off = 0;
		c->pend = t;
		c->pend.len = c->pend.off = 0;
		submit_send(c);
	}
	if (c->want_read && !c->recv_armed && !c->rlen && !c->buf_wait)
		submit_recv(c);
	if (c->want_pollout && !c->poll_armed)
		submit_pollout(c);
}

/* After an SSL call returned r <= 0: wait for what it needs, or end. */
static int ssl_wait(struct conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		c->want_read = 1;
		return 0;
	case SSL_ERROR_WANT_WRITE:
		return 0;	/* a send or poll completion runs us again */
	case SSL_ERROR_ZERO_RETURN:
		c->peer_closed_tls = 1;	/* close_notify received */
		c->state = CS_SHUTDOWN;
		return 1;
	case SSL_ERROR_SYSCALL:
		/* EOF without close_notify: the peer is gone. */
		ERR_clear_error();
		conn_abort(c, c->peer_eof ? NULL : "tls syscall");
		return 0;
	default:
		/* OpenSSL 3 reports that EOF as an error of its own: the
		 * same peer gone, not a failure of ours. */
		if (c->peer_eof && c->state != CS_HANDSHAKE &&
		    ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			conn_abort(c, NULL);
			return 0;
		}
		ERR_clear_error();
		if (c->state == CS_HANDSHAKE)
			STAT_INC(c->w->stats, tls_failed);
		conn_abort(c, c->state == CS_HANDSHAKE ? NULL : "tls");
		return 0;
	}
}

static void set_deadline(struct conn *c, int secs, int idle)
{
	c->deadline = c->w->now + secs;
	c->deadline_is_idle = idle;
}

static int step_handshake(struct conn *c)
{
	int r = SSL_do_handshake(c->ssl);

	if (r != 1)
		return ssl_wait(c, r);
	if (c->ktls)
		STAT_INC(c->w->stats, ktls_conns);
	else
		STAT_INC(c->w->stats, userspace_conns);
	c->state = CS_REQUEST;
	set_deadline(c, c->w->cfg->idle_timeout, 1);
	return 1;
}

static void consume_request(struct conn *c, size_t n)
{
	memmove(c->req, c->req + n, c->req_len - n);
	c->req_len -= n;
}

static int step_request(struct conn *c)
{
	struct http_req r;
	int st, n;

	if (c->req_len) {
		st = http_parse(c->req, c->req_len, &r);
		if (st != HTTP_PARSE_MORE) {
			if (st == HTTP_PARSE_DONE) {
				serve_request(c, &r);
				consume_request(c, r.head_len);
			} else {
				serve_error(c, r.error, 1, NULL);
				c->req_len = 0;
			}
			c->state = CS_RESPOND;
			set_deadline(c, c->w->cfg->idle_timeout, 0);	/* a reader that stalls */
			return 1;
		}
	} else if (c->w->stopping) {
		c->state = CS_SHUTDOWN;			/* draining: no new request */
		return 1;
	}
	if (!c->req && !(c->req = malloc(REQ_BUF))) {
		conn_abort(c, "oom");
		return 0;
	}
	n = SSL_read(c->ssl, c->req + c->req_len, REQ_BUF - c->req_len);
	if (n <= 0)
		return ssl_wait(c, n);
	if (!c->req_len)
		set_deadline(c, c->w->cfg->header_timeout, 0);	/* the head has begun */
	c->req_len += n;
	return 1;
}

static void conn_file_data(struct conn *c, size_t n);

static void response_done(struct conn *c)
{
	int close = c->resp.close;

	worker_log_access(c->w, c);
	STAT_INC(c->w->stats, requests);
	resp_reset(&c->resp);
	if (close) {
		c->state = CS_SHUTDOWN;
		set_deadline(c, c->w->cfg->idle_timeout, 0);
		return;
	}
	c->state = CS_REQUEST;
	if (c->req_len)
		set_deadline(c, c->w->cfg->header_timeout, 0);
	else
		set_deadline(c, c->w->cfg->idle_timeout, 1);
}

/* The next chunk of the file: from the page cache at once when it is
 * there (RWF_NOWAIT never blocks), else by io_uring; 1 if read now. */
static int file_read(struct conn *c)
{
	struct resp *p = &c->resp;
	struct io_uring_sqe *sqe;
	size_t n = FBUF_SIZE - p->prefix;
	struct iovec iov;
	ssize_t r;

	if (n > p->left)
		n = p->left;
	iov.iov_base = p->fbuf + p->prefix;
	iov.iov_len = n;
	r = preadv2(p->file_fd, &iov, 1, p->off, RWF_NOWAIT);
	if (r > 0) {
		conn_file_data(c, r);
		return 1;
	}
	sqe = worker_sqe(c->w);
	io_uring_prep_read(sqe, p->file_fd, iov.iov_base, n, p->off);
	io_uring_sqe_set_data64(sqe, UD(UD_READ, c));
	p->reading = 1;
	c->inflight++;
	return 0;
}

/* kTLS: the kernel encrypts what sendfile() puts on the socket. */
static int send_file_ktls(struct conn *c)
{
	struct resp *p = &c->resp;
	off_t off = p->off;
	ssize_t n;

	if (!out_idle(c))
		return 0;	/* the header goes first */
	n = sendfile(c->fd, p->file_fd, &off, p->left < (1 << 20) ? p->left : (1 << 20));
	if (n > 0) {
		p->off = off;
		p->left -= n;
		p->body_sent += n;
		STAT_ADD(c->w->stats, bytes_out, n);
		set_deadline(c, c->w->cfg->idle_timeout, 0);
		return 1;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->want_pollout = 1;
		return 0;
	}
	conn_abort(c, "sendfile");
	return 0;
}

static int step_respond(struct conn *c)
{
	struct resp *p = &c->resp;

	if (p->ready) {
		int n = SSL_write(c->ssl, p->fbuf, (int)p->ready);

		if (n <= 0)
			return ssl_wait(c, n);	/* retried with the same bytes */
		p->body_sent += p->ready_body;
		p->ready = p->ready_body = 0;
		conn_flush(c);	/* on the wire while the next read runs */
		return 1;
	}
	if (p->reading)
		return 0;
	if (!p->fbuf && !(p->fbuf = malloc(FBUF_SIZE))) {
		conn_abort(c, "oom");
		return 0;
	}
	if (p->hdr_len && (!p->left || c->ktls)) {
		memcpy(p->fbuf, p->hdr, p->hdr_len);
		p->ready = p->hdr_len;
		p->hdr_len = 0;
		return 1;
	}
	if (p->left) {
		if (c->ktls)
			return send_file_ktls(c);
		if (c->pend.len >= OUT_LOW)
			return 0;	/* a send completion runs us again */
		/* The header rides in the first record with the body. */
		memcpy(p->fbuf, p->hdr, p->hdr_len);
		p->prefix = p->hdr_len;
		p->hdr_len = 0;
		return file_read(c);
	}
	response_done(c);
	return 1;
}

static int step_shutdown(struct conn *c)
{
	if (!c->sent_close_notify) {
		c->sent_close_notify = 1;
		if (SSL_shutdown(c->ssl) < 0)
			ERR_clear_error();
		return 1;
	}
	if (!out_idle(c))
		return 0;
	shutdown(c->fd, SHUT_WR);
	if (c->peer_eof || c->peer_closed_tls) {
		conn_abort(c, NULL);
		return 0;
	}
	/* Our FIN is out; read (and drop) until the peer's, so that its
	 * last bytes do not turn our close into a reset. */
	conn_release_rbuf(c);
	c->state = CS_LINGER;
	set_deadline(c, LINGER_SECS, 0);
	c->want_read = 1;
	return 0;
}

void conn_run(struct conn *c)
{
	int more = 1;

	while (more && !c->closing) {
		switch (c->state) {
		case CS_HANDSHAKE:
			more = step_handshake(c);
			break;
		case CS_REQUEST:
			more = step_request(c);
			break;
		case CS_RESPOND:
			more = step_respond(c);
			break;
		case CS_SHUTDOWN:
			more = step_shutdown(c);
			break;
		case CS_LINGER:
			c->want_read = 1;
			more = 0;
			break;
		}
	}
	conn_flush(c);
	conn_maybe_free(c);
}

void conn_on_recv(struct conn *c, int res, unsigned flags)
{
	c->inflight--;
	c->recv_armed = 0;
	if (flags & IORING_CQE_F_BUFFER) {
		unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT;

		STAT_INC(c->w->stats, bufs_in_use);
		if (res > 0 && !c->closing && c->state < CS_SHUTDOWN && c->rbid < 0) {
			c->rbid = bid;
			c->rptr = bufring_addr(&c->w->br, bid);
			c->rlen = res;
		} else {
			rbuf_put(c, bid);	/* closing: dropped */
		}
	}
	if (res == -ENOBUFS) {
		STAT_INC(c->w->stats, buf_waits);
		if (!c->closing)
			worker_wait_buf(c->w, c);
		conn_maybe_free(c);
		return;
	}
	if (res == 0)
		c->peer_eof = 1;
	if (res < 0 && !c->closing)
		conn_abort(c, res == -ECONNRESET ? NULL : "recv");
	if (c->state == CS_LINGER && res == 0)
		conn_abort(c, NULL);	/* the clean end */
	conn_run(c);
}

void conn_on_send(struct conn *c, int res)
{
	c->inflight--;
	c->send_armed = 0;
	if (res <= 0 && !c->closing)
		conn_abort(c, res == -EPIPE || res == -ECONNRESET ? NULL : "send");
	if (c->closing) {
		conn_maybe_free(c);
		return;
	}
	STAT_ADD(c->w->stats, bytes_out, res);
	c->fly.off += res;
	if (c->fly.off < c->fly.len)
		submit_send(c);		/* a partial write: the rest */
	else
		c->fly.len = c->fly.off = 0;
	if (c->state == CS_RESPOND)
		set_deadline(c, c->w->cfg->idle_timeout, 0);
	conn_run(c);
}

static void conn_file_data(struct conn *c, size_t n)
{
	struct resp *p = &c->resp;

	p->ready = p->prefix + n;
	p->ready_body = n;
	p->prefix = 0;
	p->off += n;
	p->left -= n;
}

void conn_on_read(struct conn *c, int res)
{
	struct resp *p = &c->resp;

	c->inflight--;
	p->reading = 0;
	if (res <= 0 && !c->closing)
		conn_abort(c, "file read");	/* the length is promised */
	if (c->closing) {
		conn_maybe_free(c);
		return;
	}
	conn_file_data(c, res);
	conn_run(c);
}

void conn_on_poll(struct conn *c, int res)
{
	c->inflight--;
	c->poll_armed = 0;
	c->want_pollout = 0;
	conn_run(c);
}

void conn_tick(struct conn *c, time_t now)
{
	if (!c->deadline || now < c->deadline || c->closing)
		return;
	c->deadline = 0;
	if (c->state == CS_LINGER) {
		conn_abort(c, NULL);
		conn_maybe_free(c);
		return;
	}
	STAT_INC(c->w->stats, timeouts);
	if (c->state == CS_REQUEST && !c->req_len && c->deadline_is_idle) {
		/* Idle keep-alive: a polite close_notify. */
		c->state = CS_SHUTDOWN;
		set_deadline(c, LINGER_SECS, 0);
		conn_run(c);
		return;
	}
	conn_abort(c, NULL);	/* handshake or head too slow, reader stalled */
	conn_maybe_free(c);
}
