/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Certificates from --certs: HOST.pem + HOST.key pairs, one SSL_CTX each,
 * picked by SNI (exact name, then the parent domain, as a *.HOST wildcard
 * would match), else the default: default.pem if present, otherwise the
 * first pair by name. A set is reference counted: SIGHUP loads a new one
 * for new connections while open ones keep theirs.
 */
#ifndef KSB_CERTS_H
#define KSB_CERTS_H

#include <pthread.h>
#include <openssl/ssl.h>

struct certset;

/* The current set, swapped by a reload while workers take references. */
struct certstore {
	pthread_mutex_t lock;
	struct certset *cur;
};

void certs_init(struct certstore *st);
/* Drops the store's reference; connections still open keep theirs. */
void certs_close(struct certstore *st);

/* Loads dir and makes it current. 0, or -1 with a reason in err (the
 * current set stays). ktls: set SSL_OP_ENABLE_KTLS. */
int certs_load(struct certstore *st, const char *dir, int ktls, char *err, size_t errsz);

/* A server SSL for a new connection on the current set; *held is the
 * reference the connection gives back with certs_put(). */
SSL *certs_new_ssl(struct certstore *st, struct certset **held);
void certs_put(struct certset *set);

/* Number of pairs in the current set (for the start-up line). */
int certs_count(struct certstore *st);

#endif
