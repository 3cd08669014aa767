// SPDX-License-Identifier: GPL-2.0
/* ksteer parse [-j] FILE...: the kernel's parser, run on raw ClientHellos. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "ksteer.h"

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

int cmd_parse(int argc, char **argv)
{
	struct ks_scratch *s = calloc(1, sizeof(*s));
	int json = 0, i = 1, err = 0;

	if (i < argc && !strcmp(argv[i], "-j")) {
		json = 1;
		i++;
	}
	if (i == argc)
		return ks_err("usage: ksteer parse [-j] FILE...");
	for (; i < argc; i++) {
		size_t len = 0;
		unsigned char *buf = ks_read_file(argv[i], &len);

		if (!buf) {
			err = ks_err("cannot read %s: %s", argv[i], strerror(errno));
			continue;
		}
		ks_parse_buf(buf, len, s);
		if (json) {
			ks_hello_json(stdout, argv[i], s);
			putchar('\n');
		} else {
			ks_hello_text(argv[i], s);
		}
		free(buf);
	}
	free(s);
	return err;
}
