// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the ClientHello parser (the code the BPF programs
 * run). Beyond memory safety it checks the parser's promises: a complete
 * parse names a legal host of the length it claims, ALPN entries lie inside
 * the copied handshake, and incomplete or malformed input names nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"

static struct ks_scratch S;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct ks_hello *h = &S.hello;
	int st = ks_parse_buf(data, len, &S);

	if (st != KS_HELLO_COMPLETE) {
		if (h->sni_len || h->alpn_count)
			abort();
		return 0;
	}
	if (h->sni_len > KS_SNI_MAX || strlen(h->sni) != h->sni_len)
		abort();
	for (unsigned i = 0; i < h->sni_len; i++) {
		char c = h->sni[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			abort();
	}
	if (h->alpn_count > KS_MAX_ALPN || h->msg_len > KS_HS_MAX || h->wire_len > len)
		abort();
	for (unsigned i = 0; i < h->alpn_count; i++)
		if (!h->alpn_len[i] || h->alpn_off[i] + h->alpn_len[i] > h->msg_len)
			abort();
	return 0;
}
