// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer-backend's connections, whole, in one process: contexts opened
 * and started as main does (ring, workers, listeners on loopback, the
 * hand-off socket), driven by an OpenSSL client from the test's thread.
 * Request -> response bytes, SNI and ALPN, keep-alive and pipelining,
 * errors that close, a file larger than the socket buffers, hand-offs
 * (a socket passed over the unix socket; messages that are not one),
 * resets en masse that leave nothing behind, two contexts side by side
 * with their own limits and counters, the drain, the access log and the
 * counters at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <openssl/ssl.h>
#include "ksb.h"
#include "ksb_test.h"
#include "stats.h"

#define BIG_SIZE	(4 << 20)	/* far more than a small receive buffer */
#define SMALL_RCVBUF	32768

static char dir[64], certs[128], www[128], www2[128], alog[128];
static char hsock[sizeof(((struct sockaddr_un *)0)->sun_path)];
static SSL_CTX *cctx;

/* ---- a backend in this process ---------------------------------------- */

struct backend {
	struct ksb_config cfg;
	struct ksb_ctx ctx;
	char listen[32];
	int port;
};

static struct backend A, B;

/* A free loopback port, held by a bound SO_REUSEPORT socket (not
 * listening) until the backend's listeners are bound beside it. */
static int reserve_port(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
	    bind(fd, (void *)&a, sizeof(a)) || getsockname(fd, (void *)&a, &al)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

/* Opens and starts b's context on a fresh port; b->cfg set but listen. */
static int backend_start(struct backend *b)
{
	int held = reserve_port(&b->port), rc;

	if (held < 0)
		return -1;
	snprintf(b->listen, sizeof(b->listen), "127.0.0.1:%d", b->port);
	b->cfg.listen[0] = b->listen;
	b->cfg.nlisten = 1;
	rc = ksb_ctx_open(&b->ctx, &b->cfg) || ksb_ctx_start(&b->ctx) ? -1 : 0;
	close(held);
	return rc;
}

static int backend_stop(struct backend *b)
{
	int rc;

	ksb_ctx_stop(&b->ctx);
	rc = ksb_ctx_join(&b->ctx);
	ksb_ctx_close(&b->ctx);
	return rc;
}

/* Polls a counter of b until it is want (the workers run apart from us). */
#define STAT_WAIT(b, n, want) stat_wait(&(b)->ctx.stats.n, (want))

static int64_t stat_wait(_Atomic int64_t *v, int64_t want)
{
	for (int i = 0; i < 300 && atomic_load(v) != want; i++)
		usleep(10000);
	return atomic_load(v);
}

/* ---- a client --------------------------------------------------------- */

struct client {
	int fd;
	SSL *ssl;
	char buf[1 << 16];		/* received, not yet taken */
	size_t len;
};

struct response {
	int status;
	char head[8192];
	char *body;
	size_t body_len;
};

static int tcp_connect(int port, int rcvbuf)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { 5, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (connect(fd, (void *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* TLS over fd (taken either way); alpn in wire form or NULL. 0 or -1. */
static int client_tls(struct client *cl, int fd, const char *sni, const char *alpn)
{
	cl->len = 0;
	cl->fd = fd;
	cl->ssl = SSL_new(cctx);
	if (!cl->ssl)
		return -1;
	SSL_set_fd(cl->ssl, fd);
	if (sni)
		SSL_set_tlsext_host_name(cl->ssl, sni);
	if (alpn)
		SSL_set_alpn_protos(cl->ssl, (const unsigned char *)alpn, strlen(alpn));
	return SSL_connect(cl->ssl) == 1 ? 0 : -1;
}

static void client_close(struct client *cl)
{
	SSL_free(cl->ssl);
	cl->ssl = NULL;
	if (cl->fd >= 0)
		close(cl->fd);
	cl->fd = -1;
}

static int client_open(struct client *cl, int port, const char *sni, int rcvbuf)
{
	int fd = tcp_connect(port, rcvbuf);

	cl->ssl = NULL;
	cl->fd = fd;
	if (fd < 0)
		return -1;
	if (client_tls(cl, fd, sni, NULL)) {
		client_close(cl);
		return -1;
	}
	return 0;
}

/* Ends cl with a reset: no close_notify, no FIN. */
static void client_reset(struct client *cl)
{
	struct linger l = { 1, 0 };

	setsockopt(cl->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	client_close(cl);
}

static int client_send(struct client *cl, const char *s)
{
	return SSL_write(cl->ssl, s, (int)strlen(s)) == (int)strlen(s) ? 0 : -1;
}

/* Until cl->buf holds n bytes; -1 when the connection ends first. */
static int need(struct client *cl, size_t n)
{
	while (cl->len < n) {
		int r = SSL_read(cl->ssl, cl->buf + cl->len, sizeof(cl->buf) - cl->len);

		if (r <= 0)
			return -1;
		cl->len += r;
	}
	return 0;
}

static void take(struct client *cl, void *to, size_t n)
{
	if (to)
		memcpy(to, cl->buf, n);
	memmove(cl->buf, cl->buf + n, cl->len - n);
	cl->len -= n;
}

/* The value of header name in r's head, up to its CR; "" when absent. */
static const char *header(const struct response *r, const char *name, char *out, size_t n)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	p = strcasestr(r->head, key);
	out[0] = 0;
	if (p)
		snprintf(out, n, "%.*s", (int)strcspn(p + strlen(key), "\r"), p + strlen(key));
	return out;
}

static size_t content_length(const struct response *r)
{
	char v[32];

	return strtoull(header(r, "Content-Length", v, sizeof(v)), NULL, 10);
}

/* The body after r's head: Content-Length bytes (none for HEAD, 304). */
static int read_body(struct client *cl, struct response *r, int head_only)
{
	size_t want = head_only || r->status == 304 ? 0 : content_length(r), have;

	r->body = malloc(want + 1);
	if (!r->body)
		return -1;
	have = cl->len < want ? cl->len : want;
	take(cl, r->body, have);
	while (have < want) {
		int n = SSL_read(cl->ssl, r->body + have, (int)(want - have));

		if (n <= 0)
			return -1;
		have += n;
	}
	r->body[want] = 0;
	r->body_len = want;
	return 0;
}

/* One response, whole. 0 or -1 (the connection ended, or garbage). */
static int read_response(struct client *cl, struct response *r, int head_only)
{
	char *end;
	size_t n;

	memset(r, 0, sizeof(*r));
	for (;;) {
		end = memmem(cl->buf, cl->len, "\r\n\r\n", 4);
		if (end || need(cl, cl->len + 1))
			break;
	}
	if (!end || (n = end + 4 - cl->buf) >= sizeof(r->head))
		return -1;
	take(cl, r->head, n);
	r->head[n] = 0;
	if (sscanf(r->head, "HTTP/1.1 %d ", &r->status) != 1)
		return -1;
	return read_body(cl, r, head_only);
}

/* Sends req and reads its response; the status, or -1. */
static int roundtrip(struct client *cl, const char *req, struct response *r)
{
	if (client_send(cl, req) || read_response(cl, r, !strncmp(req, "HEAD ", 5)))
		return -1;
	return r->status;
}

/* 1 if the server ended cl with close_notify and nothing after it. */
static int ended_tls(struct client *cl)
{
	char b[16];
	int n;

	if (cl->len)
		return 0;
	n = SSL_read(cl->ssl, b, sizeof(b));
	return n == 0 && SSL_get_error(cl->ssl, n) == SSL_ERROR_ZERO_RETURN;
}

/* 1 if the peer closed fd (EOF or reset) within the receive timeout. */
static int closed_fd(int fd)
{
	char b[64];
	ssize_t n;

	do
		n = read(fd, b, sizeof(b));
	while (n > 0);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

static void response_free(struct response *r)
{
	free(r->body);
	r->body = NULL;
}

/* ---- the subtests ------------------------------------------------------ */

static void peer_cn(struct client *cl, char *cn, size_t n)
{
	X509 *x = SSL_get1_peer_certificate(cl->ssl);

	cn[0] = 0;
	if (x)
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, (int)n);
	X509_free(x);
}

static void sni_and_alpn(void)
{
	static const struct { const char *sni, *cn, *what; } cases[] = {
		{ "a.example", "a.example", "an exact name" },
		{ "b.example", "b.example", "another exact name" },
		{ "www.b.example", "b.example", "the parent's certificate (a *.HOST wildcard)" },
		{ "B.EXAMPLE", "b.example", "names are case-insensitive" },
		{ "other.test", "a.example", "an unknown name: the default, first by name" },
		{ NULL, "a.example", "no SNI: the default" },
	};
	struct client cl;
	const unsigned char *proto;
	unsigned plen;
	char cn[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ok = !client_open(&cl, A.port, cases[i].sni, 0);

		if (ok)
			peer_cn(&cl, cn, sizeof(cn));
		T(ok && !strcmp(cn, cases[i].cn), "%s: %s -> %s", cases[i].what,
		  cases[i].sni ? cases[i].sni : "(none)", cases[i].cn);
		client_close(&cl);
	}
	T(!client_tls(&cl, tcp_connect(A.port, 0), "a.example", "\x02h2\x08http/1.1"),
	  "ALPN h2,http/1.1: handshake");
	SSL_get0_alpn_selected(cl.ssl, &proto, &plen);
	T(plen == 8 && !memcmp(proto, "http/1.1", 8), "ALPN: http/1.1 selected");
	client_close(&cl);
	T(!client_tls(&cl, tcp_connect(A.port, 0), "a.example", "\x02h2"),
	  "ALPN h2 only: the handshake completes");
	SSL_get0_alpn_selected(cl.ssl, &proto, &plen);
	T(plen == 0, "ALPN h2 only: none selected");
	client_close(&cl);
}

/* Request -> response bytes over one keep-alive connection. */
static void requests(void)
{
	struct response r;
	struct client cl;
	char v[128];
	int ok = 1;

	T(!client_open(&cl, A.port, "a.example", 0), "connected");
	T(roundtrip(&cl, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200 &&
	  !strcmp(r.body, "site A\n"), "GET /: 200 and the index");
	T(!strcmp(header(&r, "Server", v, sizeof(v)), "ksteer-backend"), "Server");
	T(!strcmp(header(&r, "Content-Type", v, sizeof(v)), "text/html; charset=utf-8"),
	  "Content-Type");
	T(!strcmp(header(&r, "Connection", v, sizeof(v)), "keep-alive"), "keep-alive");
	response_free(&r);
	T(roundtrip(&cl, "GET /nope HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 404 &&
	  !strcmp(r.body, "404 Not Found\n"), "404 with its body, the connection goes on");
	response_free(&r);
	T(roundtrip(&cl, "HEAD /big.bin HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200 &&
	  content_length(&r) == BIG_SIZE && !r.body_len, "HEAD: the length, no body");
	response_free(&r);
	T(roundtrip(&cl, "GET /big.bin HTTP/1.1\r\nHost: a\r\nRange: bytes=100000-100099\r\n\r\n",
		    &r) == 206 && r.body_len == 100, "Range: 206, 100 bytes");
	for (size_t i = 0; i < r.body_len; i++)
		ok &= (unsigned char)r.body[i] == t_pattern(100000 + i);
	T(ok, "Range: the right bytes");
	T(!strcmp(header(&r, "Content-Range", v, sizeof(v)), "bytes 100000-100099/4194304"),
	  "Content-Range");
	response_free(&r);
	T(roundtrip(&cl, "POST / HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 405, "POST: 405");
	response_free(&r);
	T(roundtrip(&cl, "GET /f.txt HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200 &&
	  !strcmp(r.body, "x\n"), "and GET again on the same connection");
	response_free(&r);
	client_close(&cl);
}

static void keepalive_pipelining(void)
{
	int64_t t0 = atomic_load(&A.ctx.stats.conns_total);
	struct response r[3];
	struct client cl;

	T(!client_open(&cl, A.port, "a.example", 0) &&
	  !client_send(&cl, "GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /sub/ HTTP/1.1\r\nHost: a\r\n\r\n"
			"GET /f.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
	  "three requests in one write");
	T(!read_response(&cl, &r[0], 0) && !read_response(&cl, &r[1], 1) &&
	  !read_response(&cl, &r[2], 0), "three responses");
	T(r[0].status == 200 && !strcmp(r[0].body, "site A\n"), "first: GET /");
	T(r[1].status == 200 && !r[1].body_len && content_length(&r[1]) == 6, "second: HEAD /sub/");
	T(r[2].status == 200 && !strcmp(r[2].body, "x\n") && strstr(r[2].head, "Connection: close"),
	  "third: GET /f.txt, Connection: close");
	T(ended_tls(&cl), "then close_notify");
	T(atomic_load(&A.ctx.stats.conns_total) == t0 + 1, "all on one connection");
	for (int i = 0; i < 3; i++)
		response_free(&r[i]);
	client_close(&cl);

	T(!client_open(&cl, A.port, "a.example", 0) &&
	  roundtrip(&cl, "GET / HTTP/1.0\r\n\r\n", &r[0]) == 200 && ended_tls(&cl),
	  "HTTP/1.0: answered, then close_notify");
	response_free(&r[0]);
	client_close(&cl);
	T(!client_open(&cl, A.port, "a.example", 0) &&
	  roundtrip(&cl, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", &r[0]) == 200 &&
	  roundtrip(&cl, "GET /f.txt HTTP/1.0\r\n\r\n", &r[1]) == 200 && ended_tls(&cl),
	  "HTTP/1.0 keep-alive: two responses, then close_notify");
	response_free(&r[0]);
	response_free(&r[1]);
	client_close(&cl);
}

static void errors_close(void)
{
	static char big[17 * 1024 + 64];
	struct response r;
	struct client cl;

	T(!client_open(&cl, A.port, "a.example", 0) &&
	  roundtrip(&cl, "GARBAGE\r\n\r\n", &r) == 400 && ended_tls(&cl),
	  "a malformed request line: 400, then close_notify");
	response_free(&r);
	client_close(&cl);
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nHost: a\r\nX-Big: %0*d\r\n\r\n", 17 * 1024, 0);
	T(!client_open(&cl, A.port, "a.example", 0) && roundtrip(&cl, big, &r) == 413 &&
	  ended_tls(&cl), "a 17 KB head: 413, then close_notify");
	response_free(&r);
	client_close(&cl);
	T(!client_open(&cl, A.port, "a.example", 0) &&
	  roundtrip(&cl, "GET /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", &r) ==
	  400 && ended_tls(&cl), "a chunked body: 400, then close_notify");
	response_free(&r);
	client_close(&cl);
}

/* More than the socket buffers hold: file reads, partial sends, waits. */
static void big_file(void)
{
	struct response r;
	struct client cl;
	size_t bad = 0;

	T(!client_open(&cl, A.port, "a.example", SMALL_RCVBUF) &&
	  roundtrip(&cl, "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200 &&
	  r.body_len == BIG_SIZE, "4 MB through a 32 KB receive buffer");
	for (size_t i = 0; i < r.body_len; i++)
		bad += (unsigned char)r.body[i] != t_pattern(i);
	T(r.body_len && !bad, "every byte right");
	response_free(&r);
	T(roundtrip(&cl, "GET /f.txt HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200, "and the next request");
	response_free(&r);
	client_close(&cl);
}

/* What ksteerd does: connect to the hand-off socket, send tag with fd. */
static int handoff_send(char tag, int fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl = { { 0 } };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	int u = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), rc;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", hsock);
	if (u < 0 || connect(u, (void *)&sun, sizeof(sun)))
		return -1;
	if (fd >= 0) {
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof(ctl.b);
		CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
		CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
		CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &fd, sizeof(int));
	}
	rc = sendmsg(u, &m, 0) == 1 ? 0 : -1;
	close(u);
	return rc;
}

/* A loopback connection of our own: *srv is its server side. */
static int own_connection(int *srv)
{
	int port, l = reserve_port(&port), cli;

	*srv = -1;
	if (l < 0 || listen(l, 1)) {
		if (l >= 0)
			close(l);
		return -1;
	}
	cli = tcp_connect(port, 0);
	if (cli >= 0)
		*srv = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	close(l);
	return cli;
}

static void handoff(void)
{
	struct response r;
	struct client cl;
	int64_t errors;
	int srv, cli;

	/* The connections before are ended (and counted) before we count. */
	T(STAT_WAIT(&A, conns_open, 0) == 0, "no connection open before");
	errors = atomic_load(&A.ctx.stats.errors);
	cli = own_connection(&srv);

	T(cli >= 0 && srv >= 0, "a connection to hand off");
	T(!handoff_send('K', srv), "sent over %s", hsock);
	close(srv);			/* the backend holds the only copy now */
	T(!client_tls(&cl, cli, "a.example", NULL), "the client's handshake, with the backend");
	T(roundtrip(&cl, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200 &&
	  !strcmp(r.body, "site A\n"), "served");
	T(atomic_load(&A.ctx.stats.handoffs) == 1, "counted");
	response_free(&r);
	client_close(&cl);
	T(STAT_WAIT(&A, conns_open, 0) == 0 && atomic_load(&A.ctx.stats.errors) == errors,
	  "its end (no close_notify) is no error");

	cli = own_connection(&srv);
	T(!handoff_send('X', srv), "a socket with the wrong tag");
	close(srv);
	T(STAT_WAIT(&A, errors, errors + 1) == errors + 1, "refused, counted as an error");
	T(closed_fd(cli), "and the socket closed, not served");
	close(cli);
	T(!handoff_send('K', -1), "a message without a socket");
	T(STAT_WAIT(&A, errors, errors + 2) == errors + 2, "refused, counted as an error");
	T(atomic_load(&A.ctx.stats.handoffs) == 1, "neither counted as a hand-off");
}

/* Resets at every stage, then nothing may be left held. */
static void faults(void)
{
	static const char hello_start[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	struct client cl[30];
	int n = 0, ok = 1;

	for (int i = 0; i < 30; i++) {
		if (i % 3 == 0) {
			cl[n].ssl = NULL;
			cl[n].fd = tcp_connect(A.port, 0);
			ok &= cl[n].fd >= 0 &&
			      write(cl[n].fd, hello_start, sizeof(hello_start) - 1) > 0;
		} else if (i % 3 == 1) {
			ok &= !client_open(&cl[n], A.port, "a.example", 0) &&
			      !client_send(&cl[n], "GET / HTTP/1.1\r\nHost: a\r\nX-Half: ");
		} else {
			ok &= !client_open(&cl[n], A.port, "a.example", SMALL_RCVBUF) &&
			      !client_send(&cl[n], "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n") &&
			      !need(&cl[n], 1000);
		}
		if (cl[n].fd >= 0)
			n++;
	}
	T(ok && n == 30, "30 connections: mid-handshake, mid-request, mid-response");
	usleep(100000);
	for (int i = 0; i < n; i++)
		client_reset(&cl[i]);
	T(STAT_WAIT(&A, conns_open, 0) == 0, "after their resets: no connection open");
	T(STAT_WAIT(&A, slots_in_use, 0) == 0, "every fixed-file slot back");
	T(STAT_WAIT(&A, bufs_in_use, 0) == 0, "every receive buffer back");
	T(atomic_load(&A.ctx.conns) == 0, "the connection count back to 0");
}

/* B beside A: its own root, limits and counters; none of A's moves. */
static void two_contexts(void)
{
	struct response r;
	struct client held, cl;
	int rc;

	B.cfg = (struct ksb_config){ .workers = 1, .root = www2, .certs = certs,
				     .access_log = "off", .max_conns = 1, .idle_timeout = 10,
				     .header_timeout = 2, .drain_timeout = 5, .bufs = 16,
				     .buf_size = 16384 };
	rc = backend_start(&B);
	T(!rc, "B started on %s beside A on %s", B.listen, A.listen);
	T(!client_open(&cl, A.port, "a.example", 0) && roundtrip(&cl, "GET / HTTP/1.1\r\nHost: a\r\n"
	  "Connection: close\r\n\r\n", &r) == 200 && !strcmp(r.body, "site A\n"), "A serves A's root");
	response_free(&r);
	client_close(&cl);
	T(!client_open(&held, B.port, "a.example", 0) &&
	  roundtrip(&held, "GET / HTTP/1.1\r\nHost: b\r\n\r\n", &r) == 200 &&
	  !strcmp(r.body, "site B\n"), "B serves B's root");
	response_free(&r);
	T(client_open(&cl, B.port, "a.example", 0), "B's --max-conns 1: a second connection is refused");
	client_close(&cl);
	T(STAT_WAIT(&B, rejected_max_conns, 1) == 1, "counted by B");
	T(atomic_load(&A.ctx.stats.rejected_max_conns) == 0, "not by A");
	T(!client_open(&cl, A.port, "a.example", 0), "A still takes connections meanwhile");
	client_close(&cl);
	/* A head begun and never finished: cut at B's --header-timeout 2. */
	T(!client_send(&held, "GET / HTTP/1.1\r\nHost: b\r\n"), "B: half a request head");
	T(closed_fd(held.fd), "cut by the header timeout");
	T(STAT_WAIT(&B, timeouts, 1) == 1 && atomic_load(&A.ctx.stats.timeouts) == 0,
	  "a timeout for B, none for A");
	client_close(&held);
	STAT_WAIT(&B, conns_open, 0);
	T(!client_open(&cl, B.port, "a.example", 0) &&
	  roundtrip(&cl, "GET / HTTP/1.1\r\nHost: b\r\n\r\n", &r) == 200,
	  "B serves again once its one connection is gone");
	response_free(&r);
	client_close(&cl);
	T(!backend_stop(&B), "B stopped, A goes on");
	T(!client_open(&cl, A.port, "a.example", 0) &&
	  roundtrip(&cl, "GET /f.txt HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200 &&
	  !strcmp(r.body, "x\n"), "A serves after B is gone");
	response_free(&r);
	client_close(&cl);
}

/* SIGTERM's path: idle connections get close_notify, a response in
 * progress finishes, new connections are refused, the workers end. */
static void drain(void)
{
	struct client idle, dl;
	struct response r;
	size_t bad = 0;
	int refused = 0;

	T(!client_open(&idle, A.port, "a.example", 0) &&
	  roundtrip(&idle, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 200, "an idle keep-alive");
	response_free(&r);
	T(!client_open(&dl, A.port, "a.example", SMALL_RCVBUF) &&
	  !client_send(&dl, "GET /big.bin HTTP/1.1\r\nHost: a\r\n\r\n") && !need(&dl, 65536),
	  "a download begun");
	ksb_ctx_stop(&A.ctx);
	T(ended_tls(&idle), "stop: the idle connection gets close_notify");
	/* The workers close their listeners as they see the stop. */
	for (int i = 0; i < 100 && !refused; i++) {
		int fd = tcp_connect(A.port, 0);

		refused = fd < 0;
		if (fd >= 0) {
			close(fd);
			usleep(10000);
		}
	}
	T(refused, "new connections refused");
	T(!read_response(&dl, &r, 0) && r.body_len == BIG_SIZE, "the download completes");
	for (size_t i = 0; i < r.body_len; i++)
		bad += (unsigned char)r.body[i] != t_pattern(i);
	T(r.body_len && !bad, "intact");
	T(ended_tls(&dl), "then close_notify");
	response_free(&r);
	client_close(&idle);
	client_close(&dl);
	T(!ksb_ctx_join(&A.ctx), "every worker ended, none failed");
	T(atomic_load(&A.ctx.stats.conns_open) == 0 && atomic_load(&A.ctx.conns) == 0,
	  "no connection left");
}

static int log_has(const char *text, const char *what)
{
	return strstr(text, what) != NULL;
}

/* After the workers ended: what they logged and counted. */
static void log_and_stats(void)
{
	const struct ksb_stats *s = &A.ctx.stats;
	char text[1 << 16] = { 0 }, path[200], json[2048] = { 0 };
	FILE *f = fopen(alog, "r");
	size_t n = f ? fread(text, 1, sizeof(text) - 1, f) : 0;

	if (f)
		fclose(f);
	T(n > 0 && !strncmp(text, "127.0.0.1 - - [", 15), "the peer address first");
	T(log_has(text, "] \"GET /f.txt HTTP/1.1\" 200 2\n"), "method, target, status, bytes");
	T(log_has(text, "] \"GET /big.bin HTTP/1.1\" 206 100\n"), "a range: the bytes sent");
	T(log_has(text, "] \"HEAD /big.bin HTTP/1.1\" 200 0\n"), "HEAD: no body bytes");
	T(log_has(text, "] \"- - HTTP/1.1\" 400 "), "an unparsable request as - -");
	T(log_has(text, "] \"GET / HTTP/1.0\" 200 7\n"), "HTTP/1.0");
	T(log_has(text, "] \"GET /big.bin HTTP/1.1\" 200 4194304\n"), "a whole 4 MB response");
	T(STAT_GET(s, handoffs) == 1 && STAT_GET(s, conns_open) == 0 &&
	  STAT_GET(s, slots_in_use) == 0 && STAT_GET(s, bufs_in_use) == 0,
	  "counters: one hand-off, nothing held");
	T(STAT_GET(s, userspace_conns) > 20 && STAT_GET(s, ktls_conns) == 0,
	  "the userspace send path, counted (%lld)", (long long)STAT_GET(s, userspace_conns));
	/* Each response sent whole: requests 6, pipelining 6, errors 3, the
	 * big file 2, the hand-off 1, beside B 2, the drain 2 (the resets'
	 * are cut before their ends). */
	T(STAT_GET(s, requests) == 22 && STAT_GET(s, bytes_out) > 2 * BIG_SIZE,
	  "requests and bytes counted (%lld, %lld)", (long long)STAT_GET(s, requests),
	  (long long)STAT_GET(s, bytes_out));
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	T(!stats_write(s, ksb_send_path(&A.ctx), path), "the stats file written");
	f = fopen(path, "r");
	if (f) {
		if (!fread(json, 1, sizeof(json) - 1, f))
			json[0] = 0;
		fclose(f);
	}
	T(strstr(json, "\"handoffs\": 1, ") && strstr(json, "\"send_path\": \"userspace\""),
	  "with the counters and the send path");
}

/* ---- set-up ------------------------------------------------------------ */

static int make_files(void)
{
	char p[256];
	int rc = 0;

	snprintf(certs, sizeof(certs), "%s/certs", dir);
	snprintf(www, sizeof(www), "%s/www", dir);
	snprintf(www2, sizeof(www2), "%s/www2", dir);
	snprintf(hsock, sizeof(hsock), "%s/h.sock", dir);
	snprintf(alog, sizeof(alog), "%s/access.log", dir);
	rc |= mkdir(certs, 0755) | mkdir(www, 0755) | mkdir(www2, 0755);
	rc |= t_cert(certs, "a.example", 1) | t_cert(certs, "b.example", 2);
	rc |= t_file(www, "index.html", "site A\n", 7) | t_file(www, "f.txt", "x\n", 2);
	rc |= t_file(www, "big.bin", NULL, BIG_SIZE) | t_file(www2, "index.html", "site B\n", 7);
	snprintf(p, sizeof(p), "%s/sub", www);
	rc |= mkdir(p, 0755) | t_file(p, "index.html", "sub A\n", 6);
	return rc;
}

int main(void)
{
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);	/* as main does: a peer gone is an error, not death */
	cctx = SSL_CTX_new(TLS_client_method());
	if (!cctx || !t_scratch(dir, sizeof(dir), "conn") || make_files()) {
		printf("FAIL - cannot set up in /tmp\n0 passed, 1 failed\n");
		return 1;
	}
	SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, NULL);
	A.cfg = (struct ksb_config){ .workers = 2, .root = www, .certs = certs, .handoff = hsock,
				     .access_log = alog, .max_conns = 200, .idle_timeout = 10,
				     .header_timeout = 10, .drain_timeout = 10, .bufs = 64,
				     .buf_size = 16384 };
	rc = backend_start(&A);
	T(!rc, "A: 2 workers on %s and %s", A.listen, hsock);
	if (!failed) {
		SUBTEST(sni_and_alpn);
		SUBTEST(requests);
		SUBTEST(keepalive_pipelining);
		SUBTEST(errors_close);
		SUBTEST(big_file);
		SUBTEST(handoff);
		SUBTEST(faults);
		SUBTEST(two_contexts);
		SUBTEST(drain);
		SUBTEST(log_and_stats);
	}
	ksb_ctx_close(&A.ctx);
	subtest = "cleanup";
	T(access(hsock, F_OK), "the hand-off socket removed");
	SSL_CTX_free(cctx);
	t_scratch_remove(dir);
	return t_summary();
}
