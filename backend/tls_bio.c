// SPDX-License-Identifier: GPL-2.0
/* The custom BIO (see tls_bio.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "conn.h"
#include "ktls.h"
#include "tls_bio.h"

/* OpenSSL's internal kTLS controls (include/internal/bio.h), which it
 * sends to whatever BIO it writes to. */
#define KSB_BIO_CTRL_SET_KTLS		72
#define KSB_BIO_CTRL_SET_KTLS_CTRL_MSG	74
#define KSB_BIO_CTRL_CLEAR_KTLS_CTRL_MSG 75

int outbuf_append(struct outbuf *o, const void *p, size_t n)
{
	if (o->len + n > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *np;

		while (cap < o->len + n)
			cap *= 2;
		np = realloc(o->p, cap);
		if (!np)
			return -1;
		o->p = np;
		o->cap = cap;
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	return 0;
}

static int b_read(BIO *b, char *out, int len)
{
	struct conn *c = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (c->pre_off < c->pre_len) {
		n = c->pre_len - c->pre_off < (size_t)len ? c->pre_len - c->pre_off : (size_t)len;
		memcpy(out, c->pre + c->pre_off, n);
		c->pre_off += n;
		return (int)n;
	}
	if (!c->rlen) {
		if (c->peer_eof)
			return 0;
		BIO_set_retry_read(b);
		return -1;
	}
	n = c->rlen < (size_t)len ? c->rlen : (size_t)len;
	memcpy(out, c->rptr, n);
	c->rptr += n;
	c->rlen -= n;
	if (!c->rlen)
		conn_release_rbuf(c);
	return (int)n;
}

static int b_write(BIO *b, const char *in, int len)
{
	struct conn *c = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (len <= 0)
		return 0;
	if (c->ktls_rec_type)
		return ktls_send_ctrl(c, b, in, len);
	if (c->pend.len > OUT_MAX) {
		BIO_set_retry_write(b);
		return -1;
	}
	if (outbuf_append(&c->pend, in, len))
		return -1;
	return len;
}

static long b_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct conn *c = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;	/* conn_flush() sends after each OpenSSL call */
	case BIO_CTRL_PENDING:
		return (long)(c->rlen + c->pre_len - c->pre_off);
	case BIO_CTRL_WPENDING:
		return (long)(c->pend.len + c->fly.len - c->fly.off);
	case BIO_CTRL_EOF:
		return c->peer_eof && !c->rlen;
	case BIO_C_GET_FD:
		if (ptr)
			*(int *)ptr = c->fd;
		return c->fd;
	case BIO_CTRL_GET_KTLS_SEND:
		return c->ktls;
	case BIO_CTRL_GET_KTLS_RECV:
		return 0;
	case KSB_BIO_CTRL_SET_KTLS:
		return num ? ktls_enable_tx(c, ptr) : 0;	/* transmit only */
	case KSB_BIO_CTRL_SET_KTLS_CTRL_MSG:
		c->ktls_rec_type = (int)num;
		return 1;
	case KSB_BIO_CTRL_CLEAR_KTLS_CTRL_MSG:
		c->ktls_rec_type = 0;
		return 1;
	default:
		return 0;
	}
}

static int b_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

BIO_METHOD *tls_bio_method(void)
{
	BIO_METHOD *meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ksb_uring");

	if (!meth)
		return NULL;
	BIO_meth_set_read(meth, b_read);
	BIO_meth_set_write(meth, b_write);
	BIO_meth_set_ctrl(meth, b_ctrl);
	BIO_meth_set_create(meth, b_create);
	return meth;
}

void tls_bio_free(BIO_METHOD *meth)
{
	BIO_meth_free(meth);
}

BIO *tls_bio_new(BIO_METHOD *meth, struct conn *c)
{
	BIO *b = BIO_new(meth);

	if (b)
		BIO_set_data(b, c);
	return b;
}
