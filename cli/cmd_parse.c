// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer parse [-j] FILE...: the kernel's parser, run on raw ClientHellos.
 * ksteer parse --quic [-j] FILE...: the UDP payloads of one QUIC
 * connection's first datagrams, in order, through ksteerd's Initial decoder.
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
	if (h->status != KS_HELLO_COMPLETE) {
		putchar('\n');
		return;
	}
	printf(" sni=%s alpn=", h->sni_len ? h->sni : "-");
	if (!h->alpn_count)
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

enum { KS_OPT_QUIC = KS_LONG_ONLY };

const struct ks_opt ks_parse_opts[] = {
	{ KS_OPT_QUIC, "quic", NULL, "the files are one QUIC connection's first UDP payloads, "
				     "in order" },
	{ 'j', "json", NULL, "print one JSON object a file" },
	{ 0 },
};

/* Each file a ClientHello from its first record header; a bad one is
 * said and the rest still parsed. */
static int ks_parse_tls(int n, char **files, int json, struct ks_scratch *s)
{
	int err = 0;

	for (int i = 0; i < n; i++) {
		size_t len = 0;
		unsigned char *buf = ks_read_file(files[i], &len);

		if (!buf) {
			err = ks_err("cannot read %s: %s", files[i], strerror(errno));
			continue;
		}
		ks_parse_buf(buf, len, s);
		if (json) {
			ks_hello_json(stdout, files[i], s);
			putchar('\n');
		} else {
			ks_hello_text(files[i], s);
		}
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
	if (ks_opt_given(e, KS_OPT_QUIC))
		err = ks_parse_quic(e->nargs, e->args, json, s);
	else
		err = ks_parse_tls(e->nargs, e->args, json, s);
	free(s);
	return err;
}
