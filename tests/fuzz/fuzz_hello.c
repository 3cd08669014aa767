// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the ClientHello parser (the code the BPF programs
 * run). Beyond memory safety it checks the parser's promises: a complete
 * parse names a legal host of the length it claims, ALPN entries lie inside
 * the copied handshake, incomplete or malformed input names nothing unless
 * it is a named prefix (tls_hello.h), and a named prefix of a complete
 * hello names what the whole does: the kernel places on such a prefix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"

static struct ks_scratch S, P;

/* A named prefix's SNI and, once final, ALPN are the whole hello's. */
static void check_prefix(const uint8_t *data, size_t cut)
{
	const struct ks_hello *h = &S.hello, *p = &P.hello;

	if (ks_parse_buf(data, cut, &P) != KS_HELLO_INCOMPLETE || !p->named)
		return;
	if (p->sni_len != h->sni_len || strcmp(p->sni, h->sni))
		abort();
	if (!(p->named & KS_NAMED_ALPN))
		return;
	if (p->alpn_count != h->alpn_count)
		abort();
	for (unsigned i = 0; i < p->alpn_count; i++)
		if (p->alpn_len[i] != h->alpn_len[i] ||
		    memcmp(&P.hs[p->alpn_off[i]], &S.hs[h->alpn_off[i]], p->alpn_len[i]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const struct ks_hello *h = &S.hello;
	int st = ks_parse_buf(data, len, &S);

	if (st != KS_HELLO_COMPLETE) {
		if (h->named && st != KS_HELLO_INCOMPLETE)
			abort();
		if (!h->named && (h->sni_len || h->alpn_count))
			abort();
		if (h->named && (!h->sni_len || (!(h->named & KS_NAMED_ALPN) && h->alpn_count)))
			abort();
		return 0;
	}
	if (h->named)
		abort();
	if (len > 1)
		check_prefix(data, h->wire_len * data[len - 1] / 256);
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
