/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a connection's first bytes are, by what its public port speaks: on
 * a plain-HTTP port (ks_config.http_ports) the request head
 * (shared/http_req.h); on a TLS port the ClientHello (shared/tls_hello.h)
 * or an SSH client's identification (shared/ssh_ident.h). Shared by the TC
 * and sk_reuseport programs, which must decide alike: the result is in
 * s->hello, its route space included, for shared/route.h.
 */
#ifndef KS_FIRST_H
#define KS_FIRST_H

#include "ks_bpf.h"
#include "packet.h"
#include "http_req.h"
#include "ssh_ident.h"

/* Beyond the ClientHello parser's statuses: what names nothing and goes
 * to the default route (a malformed request head: counted as HTTP's, not
 * as a ClientHello's), and a request head too big for the kernel. */
#define KS_FIRST_UNNAMED 6
#define KS_FIRST_HTTP_BIG 7

/* Whether port (network order) is a public plain-HTTP one. */
static __always_inline int ks_http_port(const struct ks_config *cfg, __be16 port)
{
	int hit = 0;

#pragma unroll
	for (int i = 0; i < KS_MAX_PORTS; i++)
		hit |= cfg->ports[i] == port && ((cfg->http_ports >> i) & 1);
	return hit && port;
}

/* A request head's outcome as the callers' status; counted if count. */
static __always_inline int ks_first_http(struct ks_scratch *s, int st, int count)
{
	__u32 stat;

	switch (st) {
	case KS_HTTP_COMPLETE:
		stat = s->hello.sni_len ? KS_ST_HTTP_HOST : KS_ST_HTTP_NO_HOST;
		break;
	case KS_HTTP_PRIOR_H2:
		s->hello.sni_len = 0;             /* names nothing: the default */
		stat = KS_ST_HTTP_H2_PRIOR;
		st = KS_HELLO_COMPLETE;
		break;
	case KS_HTTP_TOO_BIG:
		stat = KS_ST_HTTP_TOO_BIG;
		st = KS_FIRST_HTTP_BIG;
		break;
	case KS_HTTP_INCOMPLETE:
		return st;
	default:
		stat = KS_ST_HTTP_MALFORMED;
		st = KS_FIRST_UNNAMED;
		break;
	}
	if (count)
		ks_count(stat);
	return st;
}

/* A TLS port's bytes that are not TLS: an SSH client's? */
static __always_inline int ks_first_ssh(void *src, __u8 *lin, __u32 off, __u32 end,
					struct ks_scratch *s, int st, int count)
{
	__u8 b[KS_SSH_IDENT_LEN] = {};
	__u32 n = end > off ? end - off : 0;

	if (n > KS_SSH_IDENT_LEN)
		n = KS_SSH_IDENT_LEN;
	if (n == 0)
		return st;
	if (lin ? bpf_probe_read_kernel(b, n, lin + (off & KS_LIN_MASK))
		: bpf_skb_load_bytes(src, off, b, n))
		return st;
	switch (ks_ssh_ident(b, n)) {
	case KS_SSH_YES:
		ks_hello_reset(&s->hello, KS_SPACE_SSH);
		s->hello.status = KS_HELLO_COMPLETE;
		if (count)
			ks_count(KS_ST_SSH);
		return KS_HELLO_COMPLETE;
	case KS_SSH_MORE:
		return KS_HELLO_INCOMPLETE;       /* its start: wait for 8 bytes */
	}
	return st;
}

/* What ks_first_parse works on: the result, the HTTP walk, the public
 * port (network order) the bytes came to, and whether to count. */
struct ks_first_job {
	struct ks_scratch *s;
	struct ks_http_walk *hw;
	__u32 dport;
	__u32 count;          /* TC counts; sk_reuseport, deciding again, does not */
};

/*
 * Parse the first bytes [off, end) of src (an skb, or lin when not NULL)
 * of the connection j says: a KS_HELLO_ status, or KS_FIRST_UNNAMED /
 * KS_FIRST_HTTP_BIG. A subprogram.
 */
static __attribute__((noinline)) int ks_first_parse(void *src, __u8 *lin, __u32 off, __u32 end,
						     struct ks_first_job *j)
{
	const struct ks_config *cfg = ks_cfg();
	struct ks_scratch *s = j->s;
	int st, count = j->count;

	if (cfg && ks_http_port(cfg, j->dport)) {
		struct ks_http_ctx x = { .s = s, .w = j->hw, .port = bpf_ntohs(j->dport) };

		return ks_first_http(s, ks_http_parse(src, lin, off, end, &x), count);
	}
	st = ks_hello_parse(src, lin, off, end, s);
	if (st == KS_HELLO_NOT_TLS || st == KS_HELLO_INCOMPLETE)
		return ks_first_ssh(src, lin, off, end, s, st, count);
	return st;
}

#endif
