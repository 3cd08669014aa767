// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for ksteer-backend's HTTP parser. Beyond memory safety
 * it checks the parser's promises: a complete head lies inside the input
 * and its pointers inside the head, an error carries a 4xx/5xx status, a
 * decoded path never holds a ".." segment or a NUL, and a byte range is
 * inside the file.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http_parse.h"

static void inside(const char *p, size_t n, const char *b, size_t len)
{
	if (p && (p < b || p + n > b + len))
		abort();
}

static void check_path(const struct http_req *r)
{
	char out[HTTP_MAX_URI + 1];
	size_t n;

	if (http_target_path(r->target, r->target_len, out, sizeof(out)))
		return;
	n = strlen(out);
	if (n > r->target_len || (n && (out[0] == '/' || out[n - 1] == '/')))
		abort();
	for (char *s = out; s && *s;) {
		char *e = strchr(s, '/');
		size_t l = e ? (size_t)(e - s) : strlen(s);

		if (!l || (l == 2 && s[0] == '.' && s[1] == '.') || (l == 1 && s[0] == '.'))
			abort();
		s = e ? e + 1 : NULL;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *b = (const char *)data;
	struct http_req r;
	uint64_t first, last, size = len * 37;
	int st = http_parse(b, len, &r);

	if (st == HTTP_PARSE_ERR && (r.error < 400 || r.error > 599))
		abort();
	if (st != HTTP_PARSE_DONE)
		return 0;
	if (!r.head_len || r.head_len > len)
		abort();
	inside(r.target, r.target_len, b, r.head_len);
	inside(r.range, r.range_len, b, r.head_len);
	inside(r.ims, r.ims_len, b, r.head_len);
	check_path(&r);
	if (r.range && http_parse_range(r.range, r.range_len, size, &first, &last) ==
			       HTTP_RANGE_OK && (first > last || last >= size))
		abort();
	return 0;
}
