// SPDX-License-Identifier: GPL-2.0
/* Userspace glue for the shared ClientHello parser. */
#include <string.h>
#include "hello.h"

int ks_buf_load(void *src, __u32 off, void *dst, __u32 len)
{
	struct ks_buf *b = src;

	if ((size_t)off + len > b->len)
		return -1;
	memcpy(dst, b->p + off, len);
	return 0;
}

void ks_loop(__u32 n, long (*cb)(__u32, void *), void *arg)
{
	for (__u32 i = 0; i < n; i++)
		if (cb(i, arg))
			break;
}

int ks_parse_buf(const void *buf, size_t len, struct ks_scratch *s)
{
	struct ks_buf b = { buf, len };

	if (len > 0xffffffffu)
		len = 0xffffffffu;
	return ks_hello_parse(&b, NULL, 0, (__u32)len, s);
}

const char *ks_hello_status_name(int status)
{
	switch (status) {
	case KS_HELLO_COMPLETE: return "complete";
	case KS_HELLO_INCOMPLETE: return "incomplete";
	case KS_HELLO_MALFORMED: return "malformed";
	case KS_HELLO_NOT_TLS: return "not_tls";
	case KS_HELLO_TOO_BIG: return "too_big";
	}
	return "unknown";
}

void ks_json_str(FILE *out, const char *str, size_t len)
{
	if (!str) {
		fputs("null", out);
		return;
	}
	fputc('"', out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = str[i];

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);   /* ALPN bytes are opaque */
		else
			fputc(c, out);
	}
	fputc('"', out);
}

void ks_hello_json(FILE *out, const char *file, const struct ks_scratch *s)
{
	const struct ks_hello *h = &s->hello;
	int ok = h->status == KS_HELLO_COMPLETE || h->named;

	fputs("{\"file\":", out);
	ks_json_str(out, file, strlen(file));
	/* named: a prefix that fixes the route (tls_hello.h); alpn_final:
	 * no ALPN extension can follow what "alpn" lists. */
	fprintf(out, ",\"complete\":%s,\"status\":\"%s\",\"named\":%s,\"alpn_final\":%s,"
		"\"sni\":", h->status == KS_HELLO_COMPLETE ? "true" : "false",
		ks_hello_status_name(h->status), h->named ? "true" : "false",
		ok && (!h->named || (h->named & KS_NAMED_ALPN)) ? "true" : "false");
	ks_json_str(out, ok && h->sni_len ? h->sni : NULL, h->sni_len);
	fputs(",\"alpn\":[", out);
	for (__u32 i = 0; ok && i < h->alpn_count; i++) {
		if (i)
			fputc(',', out);
		ks_json_str(out, (const char *)&s->hs[h->alpn_off[i]], h->alpn_len[i]);
	}
	fputs("]}", out);
}
