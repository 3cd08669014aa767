// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the HTTP request-head parser the kernel and ksteerd
 * share (shared/http_req.h; fuzz_http.c is ksteer-backend's). Beyond memory
 * safety it checks the parser's promises: a known status; a complete head
 * lies inside the input, and the same head alone gives the same host; a
 * host is a lower-case name of at most 255 bytes with no empty label;
 * nothing before the head's end is already complete (a request over
 * several segments decides only once whole).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"

static struct ks_scratch S, T;
static struct ks_http_walk W, V;

static void check_host(const struct ks_hello *h)
{
	if (h->sni_len > KS_SNI_MAX || h->sni[h->sni_len] || strlen(h->sni) != h->sni_len)
		abort();
	for (__u32 i = 0; i < h->sni_len; i++) {
		char c = h->sni[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			abort();
		if (c == '.' && (i == 0 || i == h->sni_len - 1 || h->sni[i - 1] == '.'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	int st = ks_http_parse_buf(data, len, 80, &S, &W);

	if (st != KS_HTTP_COMPLETE && st != KS_HTTP_INCOMPLETE && st != KS_HTTP_MALFORMED &&
	    st != KS_HTTP_TOO_BIG && st != KS_HTTP_PRIOR_H2)
		abort();
	if (S.hello.space != KS_SPACE_HTTP(80) || S.hello.alpn_count)
		abort();
	if (st == KS_HTTP_TOO_BIG && len <= KS_HTTP_MAX)
		abort();
	if (st != KS_HTTP_COMPLETE) {
		if (S.hello.sni_len)
			abort();
		return 0;
	}
	if (!S.hello.wire_len || S.hello.wire_len > len || S.hello.wire_len > KS_HTTP_MAX)
		abort();
	check_host(&S.hello);
	if (ks_http_parse_buf(data, S.hello.wire_len, 80, &T, &V) != KS_HTTP_COMPLETE ||
	    T.hello.sni_len != S.hello.sni_len || strcmp(T.hello.sni, S.hello.sni))
		abort();
	if (ks_http_parse_buf(data, S.hello.wire_len - 1, 80, &T, &V) != KS_HTTP_INCOMPLETE)
		abort();
	return 0;
}
