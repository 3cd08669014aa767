// SPDX-License-Identifier: GPL-2.0
/* SSL_CTX per certificate, SNI selection, ALPN, reload on SIGHUP. */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/err.h>
#include "certs.h"

struct cert {
	char *name;
	SSL_CTX *ctx;
};

struct certset {
	atomic_int refs;
	int n;
	struct cert *v;
	SSL_CTX *def;
};

void certs_put(struct certset *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (int i = 0; i < s->n; i++) {
		SSL_CTX_free(s->v[i].ctx);
		free(s->v[i].name);
	}
	free(s->v);
	free(s);
}

/* http/1.1 is all we speak; a client offering only h2 gets no ALPN. */
static int alpn_cb(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		   const unsigned char *in, unsigned inlen, void *arg)
{
	static const unsigned char ours[] = "\x08http/1.1";

	if (SSL_select_next_proto((unsigned char **)out, outlen, ours, sizeof(ours) - 1,
				  in, inlen) != OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	return SSL_TLSEXT_ERR_OK;
}

static struct cert *find(struct certset *s, const char *name)
{
	const char *dot;

	for (int i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i].name, name))
			return &s->v[i];
	dot = strchr(name, '.');
	if (!dot || !dot[1])
		return NULL;
	for (int i = 0; i < s->n; i++)
		if (!strcasecmp(s->v[i].name, dot + 1))
			return &s->v[i];
	return NULL;
}

static int sni_cb(SSL *ssl, int *alert, void *arg)
{
	struct certset *s = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	struct cert *c = name ? find(s, name) : NULL;

	if (c && c->ctx != SSL_get_SSL_CTX(ssl))
		SSL_set_SSL_CTX(ssl, c->ctx);
	return SSL_TLSEXT_ERR_OK;
}

static SSL_CTX *ctx_new(const char *dir, const char *name, int ktls, char *err, size_t errsz)
{
	char pem[4096], key[4096];
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	snprintf(pem, sizeof(pem), "%s/%s.pem", dir, name);
	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	if (!ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (SSL_CTX_use_certificate_chain_file(ctx, pem) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1)
		goto fail;
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
			    (ktls ? SSL_OP_ENABLE_KTLS : 0));
	/* Idle keep-alive connections hold no record buffers; we always
	 * retry a write with the same buffer. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_read_ahead(ctx, 1);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"ksb", 3);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_cb, NULL);
	return ctx;
fail:
	snprintf(err, errsz, "%s: %s", pem, ERR_reason_error_string(ERR_get_error()));
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static int pem_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 4 && !strcmp(d->d_name + n - 4, ".pem") && d->d_name[0] != '.';
}

void certs_init(struct certstore *st)
{
	pthread_mutex_init(&st->lock, NULL);
	st->cur = NULL;
}

void certs_close(struct certstore *st)
{
	certs_put(st->cur);
	st->cur = NULL;
	pthread_mutex_destroy(&st->lock);
}

int certs_load(struct certstore *st, const char *dir, int ktls, char *err, size_t errsz)
{
	struct dirent **ents = NULL;
	struct certset *s = calloc(1, sizeof(*s)), *old;
	int n = scandir(dir, &ents, pem_filter, alphasort), ok = 0;

	if (n < 0 || !s) {
		snprintf(err, errsz, "%s: cannot read", dir);
		goto out;
	}
	s->v = calloc(n ? n : 1, sizeof(*s->v));
	for (int i = 0; i < n; i++) {
		char *name = strndup(ents[i]->d_name, strlen(ents[i]->d_name) - 4);
		SSL_CTX *ctx = name ? ctx_new(dir, name, ktls, err, errsz) : NULL;

		if (!ctx) {
			free(name);
			goto out;
		}
		s->v[s->n++] = (struct cert){ name, ctx };
		if (!strcmp(name, "default"))
			s->def = ctx;
	}
	if (!s->n) {
		snprintf(err, errsz, "%s: no HOST.pem + HOST.key pair", dir);
		goto out;
	}
	if (!s->def)
		s->def = s->v[0].ctx;
	/* Every context may become the connection's after SNI; only the
	 * first one's callback runs, and it needs the set. */
	for (int i = 0; i < s->n; i++) {
		SSL_CTX_set_tlsext_servername_callback(s->v[i].ctx, sni_cb);
		SSL_CTX_set_tlsext_servername_arg(s->v[i].ctx, s);
	}
	atomic_store(&s->refs, 1);
	pthread_mutex_lock(&st->lock);
	old = st->cur;
	st->cur = s;
	pthread_mutex_unlock(&st->lock);
	certs_put(old);
	s = NULL;
	ok = 1;
out:
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (s) {
		atomic_store(&s->refs, 1);
		certs_put(s);
	}
	return ok ? 0 : -1;
}

SSL *certs_new_ssl(struct certstore *st, struct certset **held)
{
	SSL *ssl;

	pthread_mutex_lock(&st->lock);
	*held = st->cur;
	atomic_fetch_add(&st->cur->refs, 1);
	pthread_mutex_unlock(&st->lock);
	ssl = SSL_new((*held)->def);
	if (!ssl) {
		certs_put(*held);
		*held = NULL;
	}
	return ssl;
}

int certs_count(struct certstore *st)
{
	int n;

	pthread_mutex_lock(&st->lock);
	n = st->cur ? st->cur->n : 0;
	pthread_mutex_unlock(&st->lock);
	return n;
}
