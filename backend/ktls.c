// SPDX-License-Identifier: GPL-2.0
/* kTLS probe and the socket side of kTLS (see ktls.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "conn.h"
#include "ktls.h"
#include "loop.h"
#include "stats.h"

#ifndef TCP_ULP
#define TCP_ULP 31
#endif

/* The layout of OpenSSL 3's ktls_crypto_info_t on Linux
 * (include/internal/ktls.h): the kernel's structure, then its length. */
struct ossl_tls_crypto_info_all {
	union {
		struct tls12_crypto_info_aes_gcm_128 gcm128;
		struct tls12_crypto_info_aes_gcm_256 gcm256;
		struct tls12_crypto_info_aes_ccm_128 ccm128;
		struct tls12_crypto_info_chacha20_poly1305 chacha20poly1305;
	};
	size_t tls_crypto_info_len;
};

int ktls_probe(char *why, size_t n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	int l = -1, c = -1, s = -1, ok = 0;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || c < 0 || bind(l, (void *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (void *)&a, &al) || connect(c, (void *)&a, sizeof(a)) ||
	    (s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0) {
		snprintf(why, n, "cannot probe: no loopback TCP connection: %s", strerror(errno));
		goto out;
	}
	/* The ULP attaches to an established socket only. */
	if (setsockopt(s, SOL_TCP, TCP_ULP, "tls", sizeof("tls"))) {
		snprintf(why, n, "kernel has no TLS ULP: setsockopt TCP_ULP tls: %s",
			 errno == ENOENT ? "ENOENT" : strerror(errno));
		goto out;
	}
	snprintf(why, n, "kernel TLS ULP present, OpenSSL %s", OpenSSL_version(0));
	ok = 1;
out:
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return ok;
}

/* Blocking send of everything queued: the handshake bytes written under
 * the old keys must be on the wire before the kernel encrypts. */
static int drain_sync(struct conn *c)
{
	size_t off = 0;

	while (off < c->pend.len) {
		ssize_t r = send(c->fd, c->pend.p + off, c->pend.len - off, MSG_NOSIGNAL);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		off += r;
	}
	STAT_ADD(c->w->stats, bytes_out, off);
	c->pend.len = 0;
	return 0;
}

long ktls_enable_tx(struct conn *c, void *crypto_info)
{
	struct ossl_tls_crypto_info_all *ci = crypto_info;

	/* With bytes in flight in io_uring we cannot order ours before the
	 * switch: stay in userspace for this connection (rare: only when
	 * the previous flight's completion has not been reaped yet). */
	if (!ci || c->fly.len > c->fly.off || c->send_armed)
		return 0;
	if (drain_sync(c))
		return 0;
	if (setsockopt(c->fd, SOL_TCP, TCP_ULP, "tls", sizeof("tls")) ||
	    setsockopt(c->fd, SOL_TLS, TLS_TX, ci, ci->tls_crypto_info_len))
		return 0;	/* a ULP without keys passes bytes through */
	c->ktls = 1;
	/* sendfile() must not block the loop. */
	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	return 1;
}

int ktls_send_ctrl(struct conn *c, BIO *b, const char *in, int len)
{
	char cbuf[CMSG_SPACE(sizeof(unsigned char))] = { 0 };
	struct iovec iov = { .iov_base = (void *)in, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	ssize_t r;

	if (c->pend.len && drain_sync(c))
		return -1;
	if (c->fly.len > c->fly.off || c->send_armed) {
		BIO_set_retry_write(b);		/* after the send completes */
		return -1;
	}
	cm->cmsg_level = SOL_TLS;
	cm->cmsg_type = TLS_SET_RECORD_TYPE;
	cm->cmsg_len = CMSG_LEN(sizeof(unsigned char));
	*CMSG_DATA(cm) = (unsigned char)c->ktls_rec_type;
	r = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		BIO_set_retry_write(b);
		c->want_pollout = 1;	/* conn_flush() polls for room */
		return -1;
	}
	return r < 0 ? -1 : (int)r;
}
