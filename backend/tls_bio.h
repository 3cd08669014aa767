/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The BIO between OpenSSL and io_uring. Reads hand OpenSSL the bytes
 * straight from the provided receive buffer the kernel filled (the one
 * copy, into OpenSSL's record buffer; no BIO_s_mem in between) and give
 * the buffer back once consumed. Writes append to the connection's
 * pending output, which conn_flush() sends with io_uring. It also
 * answers OpenSSL's kTLS controls (ktls.c does the socket part).
 */
#ifndef KSB_TLS_BIO_H
#define KSB_TLS_BIO_H

#include <openssl/bio.h>

struct conn;
struct outbuf;

/* The BIO method every connection's BIO is made from (one per context),
 * or NULL; freed with tls_bio_free(). */
BIO_METHOD *tls_bio_method(void);
void tls_bio_free(BIO_METHOD *meth);
BIO *tls_bio_new(BIO_METHOD *meth, struct conn *c);
/* Appends to an outbuf, growing it; 0 or -1. */
int outbuf_append(struct outbuf *o, const void *p, size_t n);

#endif
