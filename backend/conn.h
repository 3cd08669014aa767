/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One client connection: its socket (a plain fd and a fixed-file slot),
 * its TLS state, the request bytes read so far and the response being
 * sent. Driven by conn_run() after every completion that concerns it.
 *
 *   HANDSHAKE -> REQUEST <-> RESPOND
 *                   |           |  (Connection: close, close_notify,
 *                   v           v   idle timeout, SIGTERM)
 *                SHUTDOWN (close_notify queued) -> LINGER (FIN sent,
 *                reading until the peer's EOF) -> freed
 *
 * Any error, reset or header timeout: conn_abort(), which shuts the
 * socket down so every operation the kernel holds completes, and the
 * connection is freed when the last one has.
 */
#ifndef KSB_CONN_H
#define KSB_CONN_H

#include <netinet/in.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include "http_parse.h"

struct worker;
struct certset;

enum conn_state { CS_HANDSHAKE, CS_REQUEST, CS_RESPOND, CS_SHUTDOWN, CS_LINGER };

/* Ciphertext on its way out: `pend` collects what OpenSSL writes, `fly`
 * is what the kernel is sending (never moved or grown while it does). */
struct outbuf {
	char *p;
	size_t len, cap, off;
};

#define FBUF_SIZE	(64 * 1024)	/* file bytes per read and SSL_write */
#define OUT_LOW		(64 * 1024)	/* read more of the file below this */
#define OUT_MAX		(4 << 20)	/* the BIO asks OpenSSL to retry above */

struct resp {
	int active;
	int status;
	int close;			/* close the connection after it */
	int file_fd;			/* -1: no body from a file */
	uint64_t off, left;		/* body still to read from file_fd */
	uint64_t body_sent;		/* for the access log */
	char hdr[1024];
	size_t hdr_len;			/* header not yet given to SSL_write */
	char *fbuf;			/* header + file bytes for SSL_write */
	size_t ready;			/* bytes in fbuf waiting for SSL_write */
	size_t ready_body;		/* of which body */
	size_t prefix;			/* header bytes before the file read's */
	int reading;			/* a file read is in flight */
	char method[16];
	char target[256];
	int minor;
};

struct conn {
	struct worker *w;
	struct conn *prev, *next;	/* the worker's list, for timers */
	struct conn *wait_next;		/* waiting for a receive buffer */
	int fd, slot;
	SSL *ssl;
	struct certset *certs;
	enum conn_state state;
	int inflight;			/* operations the kernel holds */
	unsigned recv_armed : 1, send_armed : 1, poll_armed : 1, closing : 1,
		 want_read : 1, peer_eof : 1, peer_closed_tls : 1, buf_wait : 1,
		 ktls : 1, counted_path : 1, shut_wr : 1, want_pollout : 1,
		 sent_close_notify : 1;
	time_t deadline;		/* 0: none */
	int deadline_is_idle;
	/* Receive: the provided buffer OpenSSL is reading from. */
	int rbid;			/* -1: none held */
	const char *rptr;
	size_t rlen;
	/* Bytes a hand-off delivered already read, given to OpenSSL first. */
	char *pre;
	size_t pre_len, pre_off;
	struct outbuf pend, fly;
	int ktls_rec_type;		/* kTLS: record type of the next write */
	/* Plaintext request bytes not yet answered (pipelining). */
	char *req;
	size_t req_len;
	struct resp resp;
	char peer[INET6_ADDRSTRLEN + 8];
};

struct conn *conn_new(struct worker *w, int fd, int slot);
void conn_run(struct conn *c);
void conn_abort(struct conn *c, const char *why);
/* Gives the receive buffer OpenSSL finished reading back to the kernel. */
void conn_release_rbuf(struct conn *c);
/* Frees c if it is closing and the kernel holds nothing of it. */
void conn_maybe_free(struct conn *c);

/* Completion handlers (loop.c dispatches). */
void conn_on_recv(struct conn *c, int res, unsigned flags);
void conn_on_send(struct conn *c, int res);
void conn_on_read(struct conn *c, int res);
void conn_on_poll(struct conn *c, int res);

/* Submits what c waits for: a send of queued bytes, a receive. */
void conn_flush(struct conn *c);
/* Called on each worker tick. */
void conn_tick(struct conn *c, time_t now);

#endif
