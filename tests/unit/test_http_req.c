// SPDX-License-Identifier: GPL-2.0
/*
 * The HTTP request-head parser (shared/http_req.h) as the kernel and
 * ksteerd run it: a table of heads and what each must give (status, host,
 * where the host came from), every head again cut at each byte (a prefix
 * is incomplete or already malformed, never another host), the size limit,
 * and the route space. --seeds DIR writes the table's heads as a fuzzing
 * corpus.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "check.h"

static struct ks_scratch S;
static struct ks_http_walk W;

#define OK KS_HTTP_COMPLETE
#define BAD KS_HTTP_MALFORMED
#define MORE KS_HTTP_INCOMPLETE

static const struct http_case {
	const char *name, *head;
	int status;
	const char *host;     /* NULL: none */
	int from;             /* enum ks_http_host_from, when complete */
} cases[] = {
	{ "1.1 Host", "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", OK, "a.example", KS_HOST_FIELD },
	{ "1.0 Host", "GET / HTTP/1.0\r\nHost: a.example\r\n\r\n", OK, "a.example", KS_HOST_FIELD },
	{ "1.0 no Host", "GET / HTTP/1.0\r\n\r\n", OK, NULL, KS_HOST_NONE },
	{ "1.1 no Host", "GET / HTTP/1.1\r\nAccept: */*\r\n\r\n", OK, NULL, KS_HOST_NONE },
	{ "name case", "GET / HTTP/1.1\r\nhOsT: A.Example\r\n\r\n", OK, "a.example", KS_HOST_FIELD },
	{ "port stripped", "GET / HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", OK, "a.example",
	  KS_HOST_FIELD },
	{ "empty port", "GET / HTTP/1.1\r\nHost: a.example:\r\n\r\n", OK, "a.example", KS_HOST_FIELD },
	{ "trailing dot", "GET / HTTP/1.1\r\nHost: a.example.:80\r\n\r\n", OK, "a.example",
	  KS_HOST_FIELD },
	{ "OWS", "GET / HTTP/1.1\r\nHost:\t a.example \t\r\n\r\n", OK, "a.example", KS_HOST_FIELD },
	{ "no OWS", "GET / HTTP/1.1\r\nHost:a.example\r\n\r\n", OK, "a.example", KS_HOST_FIELD },
	{ "empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", OK, NULL, KS_HOST_FIELD },
	{ "bare LF", "GET / HTTP/1.1\nHost: a.example\n\n", OK, "a.example", KS_HOST_FIELD },
	{ "many fields", "POST /x?y=1 HTTP/1.1\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n"
	  "Host: b.example\r\nContent-Length: 3\r\n\r\nabc", OK, "b.example", KS_HOST_FIELD },
	{ "acme", "GET /.well-known/acme-challenge/tok123 HTTP/1.1\r\nHost: a.example\r\n"
	  "User-Agent: Go-http-client/1.1\r\n\r\n", OK, "a.example", KS_HOST_FIELD },
	{ "hosts prefix", "GET / HTTP/1.1\r\nHosts: x.example\r\nHos: y.example\r\n"
	  "XHost: z.example\r\n\r\n", OK, NULL, KS_HOST_NONE },
	{ "absolute", "GET http://a.example/p HTTP/1.1\r\nHost: b.example\r\n\r\n", OK, "a.example",
	  KS_HOST_TARGET },
	{ "absolute port", "GET HTTP://A.example:81?q HTTP/1.1\r\n\r\n", OK, "a.example",
	  KS_HOST_TARGET },
	{ "absolute https", "GET https://c.example#f HTTP/1.0\r\n\r\n", OK, "c.example",
	  KS_HOST_TARGET },
	{ "absolute userinfo", "GET http://u@a.example/ HTTP/1.1\r\n\r\n", BAD, NULL, 0 },
	{ "absolute empty", "GET http:///p HTTP/1.1\r\nHost: a.example\r\n\r\n", BAD, NULL, 0 },
	{ "asterisk", "OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n", OK, "a.example",
	  KS_HOST_FIELD },
	{ "connect", "CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", OK,
	  "a.example", KS_HOST_FIELD },
	{ "ipv4", "GET / HTTP/1.1\r\nHost: 192.0.2.1:80\r\n\r\n", OK, "192.0.2.1", KS_HOST_FIELD },
	{ "ipv6", "GET / HTTP/1.1\r\nHost: [2001:db8::1]:80\r\n\r\n", OK, NULL, KS_HOST_FIELD },
	{ "ipv6 no port", "GET / HTTP/1.1\r\nHost: [::1]\r\n\r\n", OK, NULL, KS_HOST_FIELD },
	{ "ipv6 unclosed", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", BAD, NULL, 0 },
	{ "ipv6 junk", "GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n", BAD, NULL, 0 },
	{ "h2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", KS_HTTP_PRIOR_H2, NULL, 0 },
	{ "h2 other", "GET / HTTP/2.0\r\n\r\n", BAD, NULL, 0 },
	{ "duplicate Host", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", BAD,
	  NULL, 0 },
	{ "duplicate same", "GET / HTTP/1.1\r\nHost: a.example\r\nhost: a.example\r\n\r\n", BAD,
	  NULL, 0 },
	{ "obs-fold", "GET / HTTP/1.1\r\nHost: a.example\r\n b.example\r\n\r\n", BAD, NULL, 0 },
	{ "obs-fold tab", "GET / HTTP/1.1\r\nX: 1\r\n\tHost: b\r\n\r\n", BAD, NULL, 0 },
	{ "space before colon", "GET / HTTP/1.1\r\nHost : a.example\r\n\r\n", BAD, NULL, 0 },
	{ "space in name", "GET / HTTP/1.1\r\nHo st: a.example\r\n\r\n", BAD, NULL, 0 },
	{ "host space", "GET / HTTP/1.1\r\nHost: a.example b\r\n\r\n", BAD, NULL, 0 },
	{ "host bad char", "GET / HTTP/1.1\r\nHost: a%2eexample\r\n\r\n", BAD, NULL, 0 },
	{ "host empty label", "GET / HTTP/1.1\r\nHost: a..example\r\n\r\n", BAD, NULL, 0 },
	{ "host only port", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", BAD, NULL, 0 },
	{ "host bad port", "GET / HTTP/1.1\r\nHost: a.example:8x\r\n\r\n", BAD, NULL, 0 },
	{ "host long port", "GET / HTTP/1.1\r\nHost: a.example:123456\r\n\r\n", BAD, NULL, 0 },
	{ "host dot", "GET / HTTP/1.1\r\nHost: .\r\n\r\n", BAD, NULL, 0 },
	{ "CR alone", "GET / HTTP/1.1\r\nHost: a.example\rX\r\n\r\n", BAD, NULL, 0 },
	{ "NUL in value", "GET / HTTP/1.1\r\nX: a\001b\r\nHost: a\r\n\r\n", BAD, NULL, 0 },
	{ "HTTP/0.9", "GET /\r\n\r\n", BAD, NULL, 0 },
	{ "version case", "GET / http/1.1\r\n\r\n", BAD, NULL, 0 },
	{ "version 1.2", "GET / HTTP/1.2\r\n\r\n", BAD, NULL, 0 },
	{ "two spaces", "GET  / HTTP/1.1\r\n\r\n", BAD, NULL, 0 },
	{ "leading space", " GET / HTTP/1.1\r\n\r\n", BAD, NULL, 0 },
	{ "leading CRLF", "\r\nGET / HTTP/1.1\r\n\r\n", BAD, NULL, 0 },
	{ "TLS hello", "\026\003\001\002\000\001\000\001\374\003\003", BAD, NULL, 0 },
	{ "SSH ident", "SSH-2.0-OpenSSH_9.2p1\r\n", BAD, NULL, 0 },
	{ "no colon", "GET / HTTP/1.1\r\nHost\r\n\r\n", BAD, NULL, 0 },
	{ "unfinished", "GET / HTTP/1.1\r\nHost: a.example\r\n", MORE, NULL, 0 },
	{ "empty", "", MORE, NULL, 0 },
};

static int run(const char *head, size_t len)
{
	return ks_http_parse_buf(head, len, 80, &S, &W);
}

static void test_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct http_case *c = &cases[i];
		int st = run(c->head, strlen(c->head));

		CHECK(st == c->status, "%s: status %s, want %s", c->name, ks_http_status_name(st),
		      ks_http_status_name(c->status));
		if (st != OK)
			continue;
		CHECK(c->host ? S.hello.sni_len == strlen(c->host) && !strcmp(S.hello.sni, c->host)
			      : S.hello.sni_len == 0,
		      "%s: host '%.*s', want '%s'", c->name, (int)S.hello.sni_len, S.hello.sni,
		      c->host ? c->host : "(none)");
		CHECK(W.host_from == (__u32)c->from, "%s: host from %u, want %d", c->name,
		      W.host_from, c->from);
		CHECK(S.hello.space == KS_SPACE_HTTP(80), "%s: space %#x", c->name, S.hello.space);
	}
}

/* Every proper prefix of a complete head is incomplete, or malformed
 * exactly when the whole is: a request over several segments decides the
 * same, and never early. */
static void test_prefixes(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct http_case *c = &cases[i];
		size_t n = strlen(c->head), bad = 0, early = 0;

		if (c->status != OK)
			continue;
		run(c->head, n);
		n = S.hello.wire_len;             /* the head, without a body */
		for (size_t k = 0; k < n; k++) {
			int st = run(c->head, k);

			bad += st != MORE;
			early += st == OK;
		}
		CHECK(!bad && !early, "%s: %zu prefixes not incomplete", c->name, bad);
	}
}

/* The head length and the limit: a head of KS_HTTP_MAX bytes is read, one
 * byte more and no end is too big; more bytes after the end are a body. */
static void test_limits(void)
{
	static char big[KS_HTTP_MAX + 64];
	const char *start = "GET / HTTP/1.1\r\nHost: a.example\r\nX: ";
	size_t n = strlen(start);

	memcpy(big, start, n);
	memset(big + n, 'x', sizeof(big) - n);
	memcpy(big + KS_HTTP_MAX - 4, "\r\n\r\n", 4);
	CHECK(run(big, sizeof(big)) == OK && S.hello.wire_len == KS_HTTP_MAX,
	      "a head of exactly KS_HTTP_MAX bytes: %s, %u", ks_http_status_name(S.hello.status),
	      S.hello.wire_len);
	memcpy(big + KS_HTTP_MAX - 4, "xx\r\n\r\n", 6);
	CHECK(run(big, sizeof(big)) == KS_HTTP_TOO_BIG, "one byte more: %s",
	      ks_http_status_name(S.hello.status));
	CHECK(run(big, KS_HTTP_MAX) == MORE, "the same, cut at the limit: incomplete");

	/* A host of 255 bytes is one; 256 is not. */
	char head[600], name[300];

	memset(name, 'a', sizeof(name));
	for (int k = 63; k < 255; k += 64)
		name[k] = '.';
	snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: %.255s\r\n\r\n", name);
	CHECK(run(head, strlen(head)) == OK && S.hello.sni_len == 255, "a 255-byte host");
	snprintf(head, sizeof(head), "GET / HTTP/1.1\r\nHost: %.256s\r\n\r\n", name);
	CHECK(run(head, strlen(head)) == BAD, "a 256-byte host is malformed");
}

/* What a parse leaves is the HTTP port's space, and the next TLS parse's
 * is TLS's: one scratch serves both in the TC program. */
static void test_space(void)
{
	const char *h = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";

	ks_http_parse_buf(h, strlen(h), 8080, &S, &W);
	CHECK(S.hello.space == KS_SPACE_HTTP(8080), "space of port 8080");
	ks_parse_buf("\026\003\001", 3, &S);
	CHECK(S.hello.space == KS_SPACE_TLS, "a TLS parse resets the space");
}

static void test_ssh(void)
{
	CHECK(ks_ssh_ident((const __u8 *)"SSH-2.0-OpenSSH_9.2", 19) == KS_SSH_YES, "ssh ident");
	CHECK(ks_ssh_ident((const __u8 *)"SSH-2.0-", 8) == KS_SSH_YES, "ssh ident, 8 bytes");
	CHECK(ks_ssh_ident((const __u8 *)"SSH-2", 5) == KS_SSH_MORE, "ssh prefix");
	CHECK(ks_ssh_ident((const __u8 *)"SSH-1.99-x", 10) == KS_SSH_NO, "ssh 1.99");
	CHECK(ks_ssh_ident((const __u8 *)"\026\003\001", 3) == KS_SSH_NO, "tls");
	CHECK(ks_ssh_ident((const __u8 *)"", 0) == KS_SSH_NO, "nothing");
}

static int write_seeds(const char *dir)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/http%02zu", dir, i);
		f = fopen(path, "wb");
		if (!f)
			return 1;
		fwrite(cases[i].head, 1, strlen(cases[i].head), f);
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		return write_seeds(argv[2]);
	test_table();
	test_prefixes();
	test_limits();
	test_space();
	test_ssh();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
