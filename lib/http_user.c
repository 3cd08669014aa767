// SPDX-License-Identifier: GPL-2.0
/* Userspace glue for the shared HTTP request-head parser (shared/http_req.h). */
#include <string.h>
#include "hello.h"

int ks_http_parse_buf(const void *buf, size_t len, __u16 port, struct ks_scratch *s,
		      struct ks_http_walk *w)
{
	struct ks_buf b = { buf, len };
	struct ks_http_ctx x = { .s = s, .w = w, .port = port };

	if (len > 0xffffffffu)
		len = 0xffffffffu;
	return ks_http_parse(&b, NULL, 0, (__u32)len, &x);
}

const char *ks_http_status_name(int status)
{
	switch (status) {
	case KS_HTTP_COMPLETE: return "complete";
	case KS_HTTP_INCOMPLETE: return "incomplete";
	case KS_HTTP_MALFORMED: return "malformed";
	case KS_HTTP_TOO_BIG: return "too_big";
	case KS_HTTP_PRIOR_H2: return "h2_prior_knowledge";
	}
	return "unknown";
}

static const char *ks_http_from_name(__u32 from)
{
	return from == KS_HOST_FIELD ? "host_field" : from == KS_HOST_TARGET ? "target" : "none";
}

void ks_http_json(FILE *out, const char *file, const struct ks_scratch *s,
		  const struct ks_http_walk *w)
{
	const struct ks_hello *h = &s->hello;
	int ok = h->status == KS_HTTP_COMPLETE;

	fputs("{\"file\":", out);
	ks_json_str(out, file, strlen(file));
	fprintf(out, ",\"complete\":%s,\"status\":\"%s\",\"host\":", ok ? "true" : "false",
		ks_http_status_name(h->status));
	ks_json_str(out, ok && h->sni_len ? h->sni : NULL, h->sni_len);
	if (w->version)
		fprintf(out, ",\"version\":\"%u.%u\"", w->version / 10, w->version % 10);
	else
		fputs(",\"version\":null", out);
	fprintf(out, ",\"host_from\":\"%s\",\"head_bytes\":%u}",
		ok ? ks_http_from_name(w->host_from) : "none", h->wire_len);
}
