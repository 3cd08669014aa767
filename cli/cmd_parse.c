// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer parse [-j] FILE...: the kernel's parser, run on raw ClientHellos.
 * ksteer parse --quic [-j] FILE...: the UDP payloads of one QUIC
 * connection's first datagrams, in order, through ksteerd's Initial decoder.
 * ksteer parse --http [-j] FILE...: plain-HTTP request heads, through the
 * kernel's request parser (shared/http_req.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "cli.h"
#include "quic_initial.h"

#define KS_PARSE_FILE_MAX (1 << 20)

static unsigned char *ks_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;

	if (!f)
		return NULL;
	buf = malloc(KS_PARSE_FILE_MAX);
	if (buf)
		*len = fread(buf, 1, KS_PARSE_FILE_MAX, f);
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static void ks_hello_text(const char *file, const struct ks_scratch *s)
{
	const struct ks_hello *h = &s->hello;

	printf("%s: %s", file, ks_hello_status_name(h->status));
	if (h->status != KS_HELLO_COMPLETE && !h->named) {
		putchar('\n');
		return;
	}
	/* A named prefix (tls_hello.h): what it routes by, and whether an
	 * ALPN extension may still follow ("alpn=?"). */
	if (h->named)
		fputs(" named", stdout);
	printf(" sni=%s alpn=", h->sni_len ? h->sni : "-");
	if (h->named && !(h->named & KS_NAMED_ALPN))
		putchar('?');
	else if (!h->alpn_count)
		putchar('-');
	for (__u32 i = 0; i < h->alpn_count; i++)
		printf("%s%.*s", i ? "," : "", h->alpn_len[i], &s->hs[h->alpn_off[i]]);
	putchar('\n');
}

/* The parse object, plus what the QUIC decoder saw. */
static void ks_quic_json(const char *file, const struct ks_scratch *s,
			 const struct ks_quic_conn *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (m) {
		ks_hello_json(m, file, s);
		fclose(m);
	}
	if (!m || !buf || !len || buf[len - 1] != '}') {
		free(buf);
		ks_hello_json(stdout, file, s);
		putchar('\n');
		return;
	}
	fwrite(buf, 1, len - 1, stdout);
	printf(",\"quic\":{\"version\":\"0x%08x\",\"datagrams\":%u,\"initial_packets\":%u,"
	       "\"crypto_frames\":%u,\"crypto_bytes\":%u,\"stream_prefix\":%u}}\n",
	       c->version, c->st.datagrams, c->st.initials, c->st.crypto_frames,
	       c->st.crypto_bytes, c->cs.prefix);
	free(buf);
}

/* All files are one connection: the first bad datagram ends it. */
static int ks_parse_quic(int n, char **files, int json, struct ks_scratch *s)
{
	struct ks_quic_conn *c = malloc(sizeof(*c));
	int err = 0;

	if (!c)
		return ks_err("out of memory");
	ks_quic_conn_init(c);
	for (int i = 0; i < n && !err; i++) {
		size_t len = 0;
		unsigned char *buf = ks_read_file(files[i], &len);
		int r;

		if (!buf) {
			err = ks_err("cannot read %s: %s", files[i], strerror(errno));
			break;
		}
		r = ks_quic_datagram(c, buf, len);
		if (r < 0)
			err = ks_err("%s: %s", files[i], ks_quic_strerror(r));
		free(buf);
	}
	if (!err) {
		ks_quic_hello(c, s);
		if (json)
			ks_quic_json(files[0], s, c);
		else
			ks_hello_text(files[0], s);
	}
	free(c);
	return err;
}

enum { KS_OPT_QUIC = KS_LONG_ONLY, KS_OPT_HTTP };

const struct ks_opt ks_parse_opts[] = {
	{ KS_OPT_QUIC, "quic", NULL, "the files are one QUIC connection's first UDP payloads, "
				     "in order" },
	{ KS_OPT_HTTP, "http", NULL, "each file is a plain-HTTP request (from its request "
				     "line): the host it is routed by" },
	{ 'j', "json", NULL, "print one JSON object a file" },
	{ 0 },
};

/* One file's bytes through a parser, printed as JSON or text. */
typedef void ks_parse_one_fn(const char *file, const unsigned char *buf, size_t len, int json,
			     struct ks_scratch *s);

static void ks_parse_one_tls(const char *file, const unsigned char *buf, size_t len, int json,
			     struct ks_scratch *s)
{
	ks_parse_buf(buf, len, s);
	if (json) {
		ks_hello_json(stdout, file, s);
		putchar('\n');
	} else {
		ks_hello_text(file, s);
	}
}

static void ks_http_text(const char *file, const struct ks_scratch *s,
			 const struct ks_http_walk *w)
{
	const struct ks_hello *h = &s->hello;

	printf("%s: %s", file, ks_http_status_name(h->status));
	if (h->status == KS_HTTP_COMPLETE)
		printf(" host=%s version=%u.%u from=%s", h->sni_len ? h->sni : "-", w->version / 10,
		       w->version % 10, w->host_from == KS_HOST_TARGET ? "target" :
		       w->host_from == KS_HOST_FIELD ? "host_field" : "none");
	putchar('\n');
}

/* A request head, as a plain-HTTP port's first bytes. */
static void ks_parse_one_http(const char *file, const unsigned char *buf, size_t len, int json,
			      struct ks_scratch *s)
{
	struct ks_http_walk w;

	ks_http_parse_buf(buf, len, 80, s, &w);
	if (json) {
		ks_http_json(stdout, file, s, &w);
		putchar('\n');
	} else {
		ks_http_text(file, s, &w);
	}
}

/* Each file on its own (a ClientHello from its first record header, or a
 * request head); a bad one is said and the rest still parsed. */
static int ks_parse_files(int n, char **files, int json, struct ks_scratch *s,
			  ks_parse_one_fn *one)
{
	int err = 0;

	for (int i = 0; i < n; i++) {
		size_t len = 0;
		unsigned char *buf = ks_read_file(files[i], &len);

		if (!buf) {
			err = ks_err("cannot read %s: %s", files[i], strerror(errno));
			continue;
		}
		one(files[i], buf, len, json, s);
		free(buf);
	}
	return err;
}

int cmd_parse(const struct ks_env *e)
{
	struct ks_scratch *s = calloc(1, sizeof(*s));
	int json = ks_opt_given(e, 'j'), err;

	if (!s)
		return ks_err("out of memory");
	if (ks_opt_given(e, KS_OPT_QUIC) && ks_opt_given(e, KS_OPT_HTTP))
		err = ks_err("--quic and --http: one or the other");
	else if (ks_opt_given(e, KS_OPT_QUIC))
		err = ks_parse_quic(e->nargs, e->args, json, s);
	else if (ks_opt_given(e, KS_OPT_HTTP))
		err = ks_parse_files(e->nargs, e->args, json, s, ks_parse_one_http);
	else
		err = ks_parse_files(e->nargs, e->args, json, s, ks_parse_one_tls);
	free(s);
	return err;
}
