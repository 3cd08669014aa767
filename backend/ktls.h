/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel TLS (transmit side) under our own BIO. OpenSSL, with
 * SSL_OP_ENABLE_KTLS, hands the BIO the new write keys when they change;
 * from then on it writes plaintext records and the kernel encrypts, so
 * files can go out with sendfile(). Only where the kernel has the "tls"
 * ULP (CONFIG_TLS): ktls_probe() tries it on a real connection.
 */
#ifndef KSB_KTLS_H
#define KSB_KTLS_H

#include <stddef.h>
#include <openssl/bio.h>

struct conn;

/* 1 if setsockopt(TCP_ULP, "tls") works on a loopback TCP connection;
 * why (either way) says what was found, for the start-up line. */
int ktls_probe(char *why, size_t n);

/* BIO control: install OpenSSL's crypto_info as the socket's TLS_TX.
 * 1 when done; 0 makes OpenSSL go on in userspace. */
long ktls_enable_tx(struct conn *c, void *crypto_info);

/* BIO write of a non-application record (alert, ticket) under kTLS:
 * sendmsg with TLS_SET_RECORD_TYPE, once every earlier byte is out. */
int ktls_send_ctrl(struct conn *c, BIO *b, const char *in, int len);

#endif
