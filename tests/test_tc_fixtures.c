// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN fixtures for the TC program, Katran style: a packet in,
 * the verdict and the packet out, and which counter moved.
 *
 *   SYN (v4, v6, with and without options) -> SYN-ACK: addresses, ports,
 *       ack = ISN + 1, options, and both checksums verified here
 *   cookies (bpf/cookie.h)                 -> with timestamps the options in
 *       our TSval, all 32 bits of seq a MAC, none of them or of the echoed
 *       option bits alterable; without, today's layout; the slots and the
 *       previous key's one slot, forged for any instant (the check takes
 *       the time as an argument; rotation stamps are set in the past);
 *       key snapshots published whole while the program reads them
 *   bare ACK with our cookie               -> dropped
 *   ACK with a wrong cookie                -> passed to the kernel
 *   ClientHello with each route kind       -> routed to the right backend
 *   no route, malformed, incomplete        -> RST / dropped, counted
 *   ClientHello in 3 segments, any order   -> one rewritten segment, routed
 *   too many segments, past lifetime, full -> to ksteerd with the held bytes
 *   not to a public address and port       -> next filter (UNSPEC), untouched,
 *                                             no counter moved
 *   NIC padding, IP options, IPv6 destination options
 *                                          -> read by the IP lengths, answered
 *   a VLAN tag in the data, IP fragments   -> the kernel's, counted
 *   host sysctls off (timestamps, SACK, window scaling, ECN, syncookies)
 *                                          -> not offered / the kernel's
 *   a SYN on an ESTABLISHED or TIME_WAIT 4-tuple -> the kernel's
 *   hand-back (ks_handback entries)        -> marked segment of a READY flow
 *       reaches the kfunc for its backend's listener; unmarked or FROZEN:
 *       dropped; stale: deleted, normal path; gauge 0 or no entry: normal
 *       path; a segment to an established socket of a flow being handed
 *       back: dropped
 *
 * The fixtures run in a network namespace of their own (its sysctls, its
 * sockets on the public address); BPF_PROG_TEST_RUN always builds an
 * Ethernet skb, so devices without a link header are tested end to end.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "hello.h"
#include "check.h"
#include "pkt.h"
#include "ksteer.h"
#include "../bpf/cookie.h"
#include "steer_tc.skel.h"

#define TC_ACT_UNSPEC (-1)        /* passed on: the next tc filter runs */
#define TC_ACT_SHOT 2
#define TC_ACT_REDIRECT 7

static struct steer_tc *skel;
static int lfd = -1;      /* backend 1's listener, open for the whole run */
static int ncpu;


/* in with skb->mark = mark (0: no context given). */
static int run_marked(const struct pkt *in, struct pkt *out, __u32 mark)
{
	struct __sk_buff ctx = { .mark = mark };
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in->b, .data_size_in = in->n,
		    .data_out = out->b, .data_size_out = sizeof(out->b), .repeat = 1,
		    .ctx_in = mark ? &ctx : NULL, .ctx_size_in = mark ? sizeof(ctx) : 0);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ksteer_tc), &o);

	if (err) {
		printf("FAIL - test_run: %s\n", strerror(errno));
		failed++;
		return -1;
	}
	out->n = o.data_size_out;
	locate(out);
	return o.retval;
}

static int run(const struct pkt *in, struct pkt *out)
{
	return run_marked(in, out, 0);
}

static uint64_t stat(int id)
{
	return ks_stat_sum(bpf_map__fd(skel->maps.ks_stats), id);
}

static uint64_t routed(__u32 backend)
{
	struct ks_backend_stat v[256];
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(bpf_map__fd(skel->maps.ks_backend_stats), &backend, v))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += v[i].routed;
	return sum;
}

/* addr (no port) is public: TC acts on packets to it. Like `up`, it goes
 * into ks_public and, inline is set, into ks_config's own few. */
static void public_addr(int family, const char *addr, int inline_too)
{
	struct ks_addr a = { .family = family };
	struct ks_config cfg;
	__u32 one = 1, zero = 0;
	int cfd = bpf_map__fd(skel->maps.ks_config);

	inet_pton(family, addr, a.addr);
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_public), &a, &one, BPF_ANY);
	bpf_map_lookup_elem(cfd, &zero, &cfg);
	if (!inline_too)
		cfg.pub_more |= family == AF_INET ? 1 : 2;
	else if (family == AF_INET)
		memcpy(&cfg.pub4[0], a.addr, 4);
	else
		memcpy(cfg.pub6[0], a.addr, 16);
	bpf_map_update_elem(cfd, &zero, &cfg, BPF_ANY);
}

/* ---- fixtures ---------------------------------------------------------- */

static const uint8_t syn_opts[20] = {
	2, 4, 0x05, 0xb4,                          /* MSS 1460 */
	4, 2,                                      /* SACK permitted */
	8, 10, 0, 0, 0x12, 0x34, 0, 0, 0, 0,       /* TS val 0x1234 */
	1, 3, 3, 7,                                /* NOP, WS 7 */
};

/* The option bits our SYN-ACK gave: its TSval's low bits with timestamps,
 * else its sequence number's (bpf/cookie.h). */
static uint32_t synack_opts(const struct pkt *out)
{
	const uint8_t *ts = find_opt(out, 8);

	return (ts ? be32(ts + 2) : be32(out->b + out->l4 + 4)) & KS_COOKIE_OPT_MASK;
}

/* SYN -> SYN-ACK; returns the cookie (our ISN). */
static uint32_t fixture_syn(const struct flow *f, uint32_t isn, const char *what,
			    const uint8_t *opts, size_t optlen)
{
	struct pkt in, out;
	uint64_t before = stat(KS_ST_SYN);
	const uint8_t *t, *ip;
	int v;

	build(&in, f, isn, 0, 0x02, opts, optlen, NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_REDIRECT, "%s: SYN is answered (verdict %d)", what, v);
	CHECK(stat(KS_ST_SYN) == before + 1, "%s: syn counted", what);
	t = out.b + out.l4;
	ip = out.b + 14;
	CHECK(!memcmp(out.b, in.b + 6, 6) && !memcmp(out.b + 6, in.b, 6), "%s: MACs swapped", what);
	if (f->v6)
		CHECK(!memcmp(ip + 8, f->dst, 16) && !memcmp(ip + 24, f->src, 16),
		      "%s: addresses swapped", what);
	else
		CHECK(!memcmp(ip + 12, f->dst, 4) && !memcmp(ip + 16, f->src, 4) &&
		      csum_fold(csum_add(0, ip, 20)) == 0, "%s: addresses swapped, IP checksum", what);
	CHECK(tcp_csum(&out, f->v6) == 0, "%s: TCP checksum valid", what);
	CHECK((t[0] << 8 | t[1]) == f->dport && (t[2] << 8 | t[3]) == f->sport, "%s: ports", what);
	CHECK(t[13] == 0x12, "%s: flags SYN|ACK (0x%02x)", what, t[13]);
	CHECK(be32(t + 8) == isn + 1, "%s: ack = ISN + 1", what);
	CHECK(out.n == out.l4 + (t[12] >> 4) * 4, "%s: no payload, length %zu", what, out.n);
	return be32(t + 4);
}

static void test_syn(void)
{
	struct flow f4 = { .v6 = 0, .src = {198, 18, 0, 2}, .dst = {198, 18, 0, 1},
			   .sport = 40000, .dport = 443 };
	struct flow f6 = { .v6 = 1, .sport = 40001, .dport = 443 };
	struct pkt in, out;
	const uint8_t *o;
	uint32_t c1, c2;

	inet_pton(AF_INET6, "fd00:6b73::2", f6.src);
	inet_pton(AF_INET6, "fd00:6b73::1", f6.dst);
	c1 = fixture_syn(&f4, 1000, "v4 full options", syn_opts, sizeof(syn_opts));
	build(&in, &f4, 1000, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	run(&in, &out);
	o = find_opt(&out, 2);
	CHECK(o && o[1] == 4, "v4: MSS option present");
	o = find_opt(&out, 3);
	CHECK(o && o[2] == 7, "v4: our window scale 7");
	CHECK(find_opt(&out, 4) != NULL, "v4: SACK permitted echoed");
	o = find_opt(&out, 8);
	CHECK(o && be32(o + 6) == 0x1234, "v4: timestamp echoes the client's TSval");
	CHECK(synack_opts(&out) == (4 << 7 | KS_OPT_TS | 1 << 4 | 7),
	      "v4: the TSval's option bits: WS 7, SACK, TS, MSS 1460 (0x%03x)", synack_opts(&out));
	c2 = fixture_syn(&f4, 1000, "v4 same SYN again", syn_opts, sizeof(syn_opts));
	CHECK(c1 == c2, "v4: cookie is deterministic within a slot");
	c2 = fixture_syn(&f4, 1001, "v4 other ISN", syn_opts, sizeof(syn_opts));
	CHECK(c1 >> 10 != c2 >> 10, "v4: the ISN changes the MAC");

	c1 = fixture_syn(&f4, 5, "v4 no options", NULL, 0);
	build(&in, &f4, 5, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, &out);
	CHECK(find_opt(&out, 8) == NULL && find_opt(&out, 3) == NULL && find_opt(&out, 4) == NULL,
	      "v4 no options: only MSS in the SYN-ACK");
	CHECK((c1 & 0xf) == 0xf && ((c1 >> 7) & 7) == 0, "v4 no options: cookie WS none, MSS 536");

	fixture_syn(&f6, 77, "v6", syn_opts, sizeof(syn_opts));
	build(&in, &f6, 77, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	run(&in, &out);
	CHECK((synack_opts(&out) & 0xf) == 7, "v6: the options carry WS");
}

static const struct flow F4 = { .v6 = 0, .src = {198, 18, 0, 2}, .dst = {198, 18, 0, 1},
				.sport = 41000, .dport = 443 };

/* Handshake up to our SYN-ACK, then send data; returns the verdict. */
static int after_handshake(uint16_t sport, const uint8_t *data, size_t len, struct pkt *out)
{
	struct flow f = F4;
	struct pkt in;
	uint32_t cookie;

	f.sport = sport;
	build(&in, &f, 9000, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, out);
	cookie = be32(out->b + out->l4 + 4);
	build(&in, &f, 9001, cookie + 1, 0x18, NULL, 0, data, len);
	return run(&in, out);
}

static void test_ack_paths(void)
{
	struct flow f = F4;
	struct pkt in, out;
	uint64_t before;
	uint32_t cookie;
	int v;

	build(&in, &f, 3000, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, &out);
	cookie = be32(out.b + out.l4 + 4);

	before = stat(KS_ST_BARE_ACK);
	build(&in, &f, 3001, cookie + 1, 0x10, NULL, 0, NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_BARE_ACK) == before + 1,
	      "bare ACK with our cookie: dropped, counted (verdict %d)", v);

	before = stat(KS_ST_COOKIE_BAD);
	build(&in, &f, 3001, cookie + 2, 0x10, NULL, 0, NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_COOKIE_BAD) == before + 1,
	      "ACK with a wrong cookie: passed to the kernel, counted (verdict %d)", v);
	build(&in, &f, 3002, cookie + 1, 0x10, NULL, 0, NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC, "ACK whose seq is not ISN + 1: not ours (verdict %d)", v);

	f.dport = 8443;
	build(&in, &f, 3000, 0, 0x02, NULL, 0, NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC && out.n == in.n && !memcmp(out.b, in.b, in.n),
	      "SYN to another port: untouched");
}

static int add_backend(const char *name, __u32 id)
{
	struct ks_backend_info bi = { .flags = KS_BE_IN_USE };

	snprintf(bi.name, sizeof(bi.name), "%s", name);
	return bpf_map_update_elem(bpf_map__fd(skel->maps.ks_backend_info), &id, &bi, BPF_ANY);
}

static void add_route(const char *host, __u32 backend, const char *alpn, __u32 route_id)
{
	struct ks_route_key k;
	struct ks_route_val v = {};
	int fd = bpf_map__fd(skel->maps.ks_routes);

	ks_route_key_from_host(host, &k);
	bpf_map_lookup_elem(fd, &k, &v);
	v.prefixlen = k.prefixlen;
	v.route_id = route_id;
	if (alpn) {
		struct ks_alpn_key ak = { .route_id = route_id, .len = strlen(alpn) };

		memcpy(ak.proto, alpn, ak.len);
		bpf_map_update_elem(bpf_map__fd(skel->maps.ks_alpn_routes), &ak, &backend, BPF_ANY);
		v.flags |= KS_RT_ALPN;
	} else {
		v.backend = backend;
		v.flags |= KS_RT_PLAIN;
	}
	bpf_map_update_elem(fd, &k, &v, BPF_ANY);
}

static void test_routes(void)
{
	static const struct {
		const char *sni, *alpn;
		__u32 backend;
		const char *what;
	} cases[] = {
		{ "a.example", NULL, 1, "exact" },
		{ "A.EXAMPLE", "h2", 1, "exact, mixed case" },
		{ "x.b.example", NULL, 2, "wildcard" },
		{ "y.x.b.example", NULL, 2, "wildcard, deeper" },
		{ "x.c.b.example", NULL, 3, "longest wildcard wins" },
		{ "b.example", NULL, 4, "wildcard does not match its own suffix" },
		{ "unknown.org", NULL, 4, "default" },
		{ NULL, "h2", 4, "no SNI: default" },
		{ "a.example", "acme-tls/1", 5, "ALPN qualifier" },
		{ "only-alpn.example", "acme-tls/1", 5, "ALPN-only host, ALPN matches" },
		{ "only-alpn.example", "h2", 4, "ALPN-only host falls through to default" },
	};
	struct pkt out;
	uint8_t hello[1200];
	int v;
	__u32 b;

	for (b = 1; b <= 5; b++)
		add_backend(b == 5 ? "acme" : "site", b);
	add_route("a.example", 1, NULL, 11);
	add_route("*.b.example", 2, NULL, 12);
	add_route("*.c.b.example", 3, NULL, 13);
	add_route("default", 4, NULL, 14);
	add_route("a.example", 5, "acme-tls/1", 11);
	add_route("only-alpn.example", 5, "acme-tls/1", 15);

	/* A real listener for backend 1, so the kfunc is reached. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	struct ks_slot slot = { 1, 0 };
	__u64 fdv = lfd;

	bind(lfd, (void *)&sin, sizeof(sin));
	listen(lfd, 16);
	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.ks_listeners), &slot, &fdv, BPF_ANY),
	      "listener into SOCKHASH: %s", strerror(errno));

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t before = routed(cases[i].backend);
		size_t n = client_hello(hello, cases[i].sni, cases[i].alpn);

		v = after_handshake(42000 + i, hello, n, &out);
		CHECK(routed(cases[i].backend) == before + 1, "route %s: %s -> backend %u (verdict %d)",
		      cases[i].what, cases[i].sni ? cases[i].sni : "(none)", cases[i].backend, v);
	}

	/* Backend 2 has no listener: the client gets a RST, not a hang. */
	uint64_t nl = stat(KS_ST_NO_LISTENER);
	size_t n = client_hello(hello, "z.b.example", NULL);

	v = after_handshake(43000, hello, n, &out);
	CHECK(v == TC_ACT_REDIRECT && stat(KS_ST_NO_LISTENER) == nl + 1 &&
	      (out.b[out.l4 + 13] & 0x04) && tcp_csum(&out, 0) == 0,
	      "no listener: RST with valid checksum (verdict %d)", v);

	/* No default: no route, RST. */
	struct ks_route_key k;

	ks_route_key_from_host("default", &k);
	bpf_map_delete_elem(bpf_map__fd(skel->maps.ks_routes), &k);
	uint64_t nr = stat(KS_ST_NO_ROUTE);

	n = client_hello(hello, "unknown.org", NULL);
	v = after_handshake(43001, hello, n, &out);
	const uint8_t *t = out.b + out.l4;

	CHECK(v == TC_ACT_REDIRECT && stat(KS_ST_NO_ROUTE) == nr + 1 && t[13] == 0x14 &&
	      be32(t + 8) == 9001 + n, "no route and no default: RST|ACK acking the data (verdict %d)", v);

	uint64_t mal = stat(KS_ST_MALFORMED);

	v = after_handshake(43002, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, &out);
	CHECK(v == TC_ACT_REDIRECT && stat(KS_ST_MALFORMED) == mal + 1,
	      "plain HTTP on the TLS port: refused, counted as malformed (verdict %d)", v);
	n = client_hello(hello, "a.example", NULL);
	hello[51] ^= 0xff;                        /* low byte of the extensions length */
	v = after_handshake(43003, hello, n, &out);
	CHECK(stat(KS_ST_MALFORMED) == mal + 2, "broken ClientHello: malformed (verdict %d, malformed %llu->%llu, too big %llu, no route %llu)", v,
	      (unsigned long long)mal, (unsigned long long)stat(KS_ST_MALFORMED), (unsigned long long)stat(KS_ST_TOO_BIG), (unsigned long long)stat(KS_ST_NO_ROUTE));

	/* With a default route, what cannot be read goes there, so that its
	 * backend answers as it would direct (an alert, an HTTP 400). */
	{
		static const uint8_t sslv2[] = {
			0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15, 0x00, 0x00, 0x00, 0x10,
			0x07, 0x00, 0xc0, 0x05, 0x00, 0x80, 0x03, 0x00, 0x80, 0x01, 0x00,
			0x80, 0x06, 0x00, 0x40, 0x04, 0x00, 0x80, 0x02, 0x00, 0x80,
			1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		};
		uint64_t ud = stat(KS_ST_UNREADABLE_DEFAULT), r1 = routed(1);

		add_route("default", 1, NULL, 14);
		v = after_handshake(43010, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, &out);
		CHECK(routed(1) == r1 + 1 && stat(KS_ST_UNREADABLE_DEFAULT) == ud + 1,
		      "default route: plain HTTP goes to the default backend (verdict %d)", v);
		v = after_handshake(43011, sslv2, sizeof(sslv2), &out);
		CHECK(routed(1) == r1 + 2 && stat(KS_ST_UNREADABLE_DEFAULT) == ud + 2,
		      "default route: an SSLv2-compatible ClientHello goes there (verdict %d)", v);
		n = client_hello(hello, "a.example", NULL);
		hello[51] ^= 0xff;
		v = after_handshake(43012, hello, n, &out);
		CHECK(routed(1) == r1 + 3 && stat(KS_ST_UNREADABLE_DEFAULT) == ud + 3,
		      "default route: a broken ClientHello naming a.example goes to default, not to a (verdict %d)", v);
		ks_route_key_from_host("default", &k);
		bpf_map_delete_elem(bpf_map__fd(skel->maps.ks_routes), &k);
	}

	uint64_t inc = stat(KS_ST_INCOMPLETE);

	n = client_hello(hello, "a.example", NULL);
	v = after_handshake(43004, hello, n - 5, &out);
	CHECK(v == TC_ACT_REDIRECT && (out.b[out.l4 + 13] == 0x10) &&
	      stat(KS_ST_INCOMPLETE) == inc + 1 && stat(KS_ST_REASM_STARTED) >= 1,
	      "ClientHello cut short: held for reassembly and acknowledged (verdict %d)", v);
}

/* Empty the reassembly table: under BPF_PROG_TEST_RUN the kfunc never
 * makes the connection (the skb is not at TC ingress), so a completed flow
 * stays held, as it does on a real host until its connection is seen. */
static void clear_map(int fd, size_t key_size)
{
	uint8_t k[64];

	while (key_size <= sizeof(k) && !bpf_map_get_next_key(fd, NULL, k))
		bpf_map_delete_elem(fd, k);
}

/* All of the reassembly state as a fresh `up` makes it: no flow held, no
 * share counted, every chunk free. */
static void clear_held(void)
{
	int q = bpf_map__fd(skel->maps.ks_reasm_free), g = bpf_map__fd(skel->maps.ks_reasm_gate);
	__u32 id, zero = 0;

	clear_map(bpf_map__fd(skel->maps.ks_reasm), sizeof(struct ks_flow));
	clear_map(bpf_map__fd(skel->maps.ks_reasm_src), sizeof(struct ks_prefix));
	clear_map(bpf_map__fd(skel->maps.ks_reasm_early), sizeof(struct ks_early_key));
	for (id = 0; id < KS_REASM_GATE; id++)
		bpf_map_update_elem(g, &id, &zero, BPF_ANY);
	while (!bpf_map_lookup_and_delete_elem(q, NULL, &id))
		;
	ks_reasm_pool_fill(skel->obj);
}

/* A 3.3 KB ClientHello: 3000 bytes of padding, then the SNI, as Chrome's
 * shuffled post-quantum hellos put it in a later segment. */
static size_t big_hello(uint8_t *out, const char *sni)
{
	uint8_t ext[3400];
	size_t e = 0;

	ext[e++] = 0; ext[e++] = 21; ext[e++] = 3000 >> 8; ext[e++] = 3000 & 0xff;
	memset(ext + e, 0, 3000); e += 3000;
	e += sni_ext(ext + e, sni);
	return hello_record(out, ext, e);
}

/*
 * The hello in 3 segments of 1448 B, sent in `order`; the last one sent
 * completes it and comes out rewritten: seq ISN + 1, the whole hello as
 * payload, valid checksums, routed to backend 1 (whose listener the kfunc
 * rejects under BPF_PROG_TEST_RUN, so the verdict is a drop).
 */
static void reasm_case(const char *what, const int *order, int nsend, uint16_t sport)
{
	static uint8_t hello[4000];
	size_t n = big_hello(hello, "a.example"), mss = 1448;
	struct flow f = F4;
	struct pkt in, out;
	uint32_t cookie, isn = 70000;
	uint64_t r1 = routed(1), done = stat(KS_ST_REASM_DONE);
	int v = -1;

	clear_held();
	f.sport = sport;
	build(&in, &f, isn, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, &out);
	cookie = be32(out.b + out.l4 + 4);
	int have[4] = { 0 };

	for (int i = 0; i < nsend; i++) {
		size_t off = order[i] * mss, len = n - off < mss ? n - off : mss, contig = 0;
		const uint8_t *t;

		build(&in, &f, isn + 1 + off, cookie + 1, 0x10, NULL, 0, hello + off, len);
		v = run(&in, &out);
		have[order[i]] = 1;
		if (i == nsend - 1)
			break;
		if (!have[0]) {
			/* Without the first segment nothing verifies: no reply. */
			CHECK(v == TC_ACT_SHOT, "%s: segment %d held silently (verdict %d)", what,
			      order[i], v);
			continue;
		}
		for (int k = 0; k < 3 && have[k]; k++)
			contig += n - k * mss < mss ? n - k * mss : mss;
		t = out.b + out.l4;
		CHECK(v == TC_ACT_REDIRECT && t[13] == 0x10 && be32(t + 8) == isn + 1 + contig &&
		      be32(t + 4) == cookie + 1 && out.n == out.l4 + (t[12] >> 4) * 4 &&
		      tcp_csum(&out, 0) == 0,
		      "%s: segment %d held, ACK up to %zu sent (verdict %d)", what, order[i], contig, v);
	}
	CHECK(stat(KS_ST_REASM_DONE) == done + 1 && routed(1) == r1 + 1,
	      "%s: completed on the last segment and routed by its SNI (verdict %d)", what, v);
	CHECK(out.n == out.l4 + 20 + n && be32(out.b + out.l4 + 4) == isn + 1 &&
	      !memcmp(out.b + out.l4 + 20, hello, n),
	      "%s: rewritten to carry the whole hello from ISN + 1 (%zu B, n %zu, seq %u isn %u)", what, out.n - out.l4 - 20, out.n, be32(out.b + out.l4 + 4), isn);
	CHECK(tcp_csum(&out, 0) == 0 && csum_fold(csum_add(0, out.b + 14, 20)) == 0 &&
	      (size_t)(out.b[16] << 8 | out.b[17]) == out.n - 14, "%s: lengths and checksums valid", what);
}

static void test_reassembly(void)
{
	static const int in_order[] = { 0, 1, 2 }, reversed[] = { 2, 1, 0 },
			 middle_first[] = { 1, 0, 2 }, lost_then_retx[] = { 0, 2, 2, 1 };

	reasm_case("in order", in_order, 3, 45000);
	reasm_case("reversed", reversed, 3, 45001);
	reasm_case("second first", middle_first, 3, 45002);
	reasm_case("second lost, retransmitted", lost_then_retx, 4, 45003);
}

/* ---- reassembly limits ------------------------------------------------- */

static size_t count_held(void)
{
	struct ks_flow k, next;
	size_t n = 0;
	int fd = bpf_map__fd(skel->maps.ks_reasm);

	for (int err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &k, &next), n++)
		k = next;
	return n;
}


/* Make the held flow whose ISN is isn look `ns` older. */
static int age_held(uint32_t isn, uint64_t ns)
{
	static struct ks_reasm e;
	struct ks_flow k, next;
	int fd = bpf_map__fd(skel->maps.ks_reasm);

	for (int err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &k, &next)) {
		k = next;
		if (!bpf_map_lookup_elem(fd, &k, &e) && e.isn == isn) {
			e.born_ns -= ns;
			return bpf_map_update_elem(fd, &k, &e, BPF_EXIST);
		}
	}
	return -1;
}

/* SYN, then the hello's bytes [0, upto) in segments of seg bytes; the
 * verdict of the last one, and its output in out. */
static int held_flow(uint16_t sport, uint32_t isn, const uint8_t *hello, size_t upto, size_t seg,
		     uint32_t *cookie, struct pkt *out)
{
	struct flow f = F4;
	struct pkt in;
	int v = -1;

	f.sport = sport;
	build(&in, &f, isn, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, out);
	*cookie = be32(out->b + out->l4 + 4);
	for (size_t off = 0; off < upto; off += seg) {
		build(&in, &f, isn + 1 + off, *cookie + 1, 0x10, NULL, 0, hello + off,
		      upto - off < seg ? upto - off : seg);
		v = run(&in, out);
	}
	return v;
}

/* out carries hello[0, n) from ISN + 1, with valid checksums. */
static int carries(const struct pkt *out, uint32_t isn, const uint8_t *hello, size_t n)
{
	return out->n == out->l4 + 20 + n && be32(out->b + out->l4 + 4) == isn + 1 &&
	       !memcmp(out->b + out->l4 + 20, hello, n) && tcp_csum(out, 0) == 0;
}

/*
 * The ACK of a held segment repeats the TSval the client echoes: the child
 * the kernel creates later starts its clock from that echo, and a newer
 * TSval seen by the client would make its PAWS check drop the child's first
 * replies (a 200 ms stall, seen in the benchmark before this).
 */
static void test_reasm_timestamps(void)
{
	static uint8_t hello[4000];
	uint8_t opts[12] = { 1, 1, 8, 10 };
	size_t len;
	struct flow f = F4;
	struct pkt in, out;
	const uint8_t *ts;
	uint32_t cookie, t0;
	int v;

	len = big_hello(hello, "a.example");
	f.sport = 47000;
	build(&in, &f, 9000, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	run(&in, &out);
	cookie = be32(out.b + out.l4 + 4);
	ts = find_opt(&out, 8);
	t0 = ts ? be32(ts + 2) : 0;
	usleep(3000);                         /* our clock moves on */
	opts[4] = 0; opts[5] = 0; opts[6] = 0x20; opts[7] = 0x00;   /* client TSval 0x2000 */
	opts[8] = t0 >> 24; opts[9] = t0 >> 16; opts[10] = t0 >> 8; opts[11] = t0;
	build(&in, &f, 9001, cookie + 1, 0x10, opts, sizeof(opts), hello, 1000);
	v = run(&in, &out);
	ts = find_opt(&out, 8);
	CHECK(v == TC_ACT_REDIRECT && out.b[out.l4 + 13] == 0x10 && ts && be32(ts + 2) == t0 &&
	      be32(ts + 6) == 0x2000,
	      "held segment acked with TSval = the client's echo 0x%08x, TSecr = its TSval (got 0x%08x 0x%08x)",
	      t0, ts ? be32(ts + 2) : 0, ts ? be32(ts + 6) : 0);
	{
		/* The options are in the echo, verified on the first segment:
		 * a later one echoing other option bits is not taken. */
		uint8_t other[12];
		uint64_t bad = stat(KS_ST_COOKIE_BAD), done = stat(KS_ST_REASM_DONE);
		size_t held = count_held();

		memcpy(other, opts, sizeof(other));
		other[11] ^= 0x01;
		build(&in, &f, 9001 + 1000, cookie + 1, 0x10, other, sizeof(other), hello + 1000,
		      len - 1000);
		v = run(&in, &out);
		CHECK(v == TC_ACT_SHOT && stat(KS_ST_COOKIE_BAD) == bad + 1 &&
		      stat(KS_ST_REASM_DONE) == done && count_held() == held,
		      "a later segment echoing other option bits: dropped, the flow kept (verdict %d)", v);
	}
	build(&in, &f, 9001 + 1000, cookie + 1, 0x10, opts, sizeof(opts), hello + 1000, len - 1000);
	run(&in, &out);                       /* completes (or not: no listener); frees the entry */
}

/*
 * What the kernel will not finish goes to ksteerd (backend KS_FALLBACK_ID)
 * with every acknowledged byte, or is refused at once when ksteerd does
 * not run: too many segments, past the lifetime, a full table. Abandoned
 * entries are swept when the table fills. The table has 4 entries here.
 */
static void test_reasm_limits(void)
{
	static uint8_t hello[4000];
	struct ks_slot fb = { KS_FALLBACK_ID, 0 };
	__u64 fdv = lfd;
	uint64_t handed = stat(KS_ST_REASM_HANDED), nl = stat(KS_ST_NO_LISTENER);
	uint64_t aerr = stat(KS_ST_ASSIGN_ERR), full = stat(KS_ST_REASM_FULL);
	uint64_t over = stat(KS_ST_REASM_OVERFLOW);
	uint32_t cookie;
	struct pkt out;
	size_t k, piece = 64, many = (KS_REASM_PIECES + 1) * piece;
	int v;

	big_hello(hello, "a.example");
	/* 33 segments of 64 B: the 33rd is a piece more than a flow holds.
	 * No ksteerd: refused at once, the RST acking the 2048 held bytes. */
	clear_held();
	v = held_flow(46000, 1000, hello, many, piece, &cookie, &out);
	CHECK(v == TC_ACT_REDIRECT && (out.b[out.l4 + 13] & 0x04) &&
	      be32(out.b + out.l4 + 8) == 1000 + 1 + KS_REASM_PIECES * piece &&
	      stat(KS_ST_REASM_HANDED) == handed + 1 && stat(KS_ST_REASM_OVERFLOW) == over + 1 &&
	      stat(KS_ST_NO_LISTENER) == nl + 1 && count_held() == 0,
	      "33 segments, no ksteerd: refused at once, RST acking the 2048 held bytes (verdict %d)", v);

	CHECK(!bpf_map_update_elem(bpf_map__fd(skel->maps.ks_listeners), &fb, &fdv, BPF_ANY),
	      "a listener for ksteerd: %s", strerror(errno));
	clear_held();
	v = held_flow(46001, 2000, hello, many, piece, &cookie, &out);
	CHECK(stat(KS_ST_REASM_HANDED) == handed + 2 && stat(KS_ST_ASSIGN_ERR) == aerr + 1 &&
	      carries(&out, 2000, hello, KS_REASM_PIECES * piece) && count_held() == 1,
	      "33 segments: to ksteerd's listener with the 2048 held bytes from ISN + 1, "
	      "still held until its connection is seen (verdict %d)", v);

	/* Past its lifetime: the next segment hands over what is held. */
	clear_held();
	v = held_flow(46002, 3000, hello, 1448, 1448, &cookie, &out);
	CHECK(v == TC_ACT_REDIRECT && out.b[out.l4 + 13] == 0x10, "first segment held and acked");
	CHECK(!age_held(3000, KS_REASM_LIFE_NS + 1000000000ULL), "aged past its lifetime");
	{
		struct flow f = F4;
		struct pkt in;

		f.sport = 46002;
		build(&in, &f, 3000 + 1 + 1448, cookie + 1, 0x10, NULL, 0, hello + 1448, 1448);
		v = run(&in, &out);
	}
	CHECK(stat(KS_ST_REASM_HANDED) == handed + 3 && stat(KS_ST_ASSIGN_ERR) == aerr + 2 &&
	      carries(&out, 3000, hello, 1448),
	      "past its lifetime: to ksteerd with the 1448 acked bytes, the new ones left to the client (verdict %d)", v);

	/* 300 extensions, the SNI last, over two segments: the parser has no
	 * limit of extensions of its own, so the kernel routes it. */
	{
		static uint8_t manyx[4000], ext[3000];
		uint64_t done = stat(KS_ST_REASM_DONE), r1 = routed(1);
		size_t e = 0, len;

		clear_held();
		ext[e++] = 0; ext[e++] = 21; ext[e++] = 300 >> 8; ext[e++] = 300 & 0xff;
		memset(ext + e, 0, 300); e += 300;
		for (int i = 0; i < 300; i++) {
			ext[e++] = 0xfe; ext[e++] = i; ext[e++] = 0; ext[e++] = 0;
		}
		e += sni_ext(ext + e, "a.example");
		len = hello_record(manyx, ext, e);
		v = held_flow(46003, 3500, manyx, len, 1448, &cookie, &out);
		CHECK(stat(KS_ST_REASM_DONE) == done + 1 && routed(1) == r1 + 1 &&
		      carries(&out, 3500, manyx, len),
		      "%zu B with 302 extensions, the SNI last: routed by the kernel (verdict %d)", len, v);
	}

	/* Fill the table; the flow that finds it full goes to ksteerd as it
	 * is (nothing acked yet). */
	clear_held();
	for (k = 0; k < 4; k++) {
		v = held_flow(46010 + k, 4000 + 10 * k, hello, 1448, 1448, &cookie, &out);
		CHECK(v == TC_ACT_REDIRECT, "flow %zu held (verdict %d)", k, v);
	}
	v = held_flow(46020, 5000, hello, 1448, 1448, &cookie, &out);
	CHECK(stat(KS_ST_REASM_FULL) == full + 1 && stat(KS_ST_ASSIGN_ERR) == aerr + 4 &&
	      carries(&out, 5000, hello, 1448) && count_held() == 4,
	      "table full: the first segment goes to ksteerd unchanged (verdict %d)", v);

	/* An entry past its lifetime is swept for a new one. */
	uint64_t swept = stat(KS_ST_REASM_SWEPT);

	CHECK(!age_held(4000 + 10 * (4 - 1), KS_REASM_LIFE_NS + 1000000000ULL), "one entry abandoned");
	usleep(KS_REASM_SWEEP_NS / 1000 + 50000);      /* the last sweep was just now */
	v = held_flow(46021, 6000, hello, 1448, 1448, &cookie, &out);
	CHECK(v == TC_ACT_REDIRECT && stat(KS_ST_REASM_SWEPT) == swept + 1 &&
	      stat(KS_ST_REASM_FULL) == full + 1 && count_held() == 4,
	      "full with an abandoned entry: swept, the new flow held (verdict %d)", v);
	bpf_map_delete_elem(bpf_map__fd(skel->maps.ks_listeners), &fb);
	clear_held();
}

/* ---- reassembly that cannot be stalled or poisoned ------------------- */

/* The segment [off, off + len) of hello for a flow of sport whose cookie
 * is cookie and ISN isn; its verdict, the output in out. */
static int seg(uint16_t sport, uint32_t isn, uint32_t cookie, const uint8_t *hello, size_t off,
	       size_t len, struct pkt *out)
{
	struct flow f = F4;
	struct pkt in;

	f.sport = sport;
	build(&in, &f, isn + 1 + off, cookie + 1, 0x10, NULL, 0, hello + off, len);
	return run(&in, out);
}

/* Our cookie for a SYN of sport with ISN isn. */
static uint32_t syn_cookie(uint16_t sport, uint32_t isn)
{
	struct flow f = F4;
	struct pkt in, out;

	f.sport = sport;
	build(&in, &f, isn, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, &out);
	return be32(out.b + out.l4 + 4);
}

static void test_reasm_robust(void)
{
	static uint8_t hello[4000], tail[2400];
	size_t n = big_hello(hello, "a.example"), mss = 1448;
	uint64_t done, r1, bad = stat(KS_ST_REASM_BAD_CSUM), repl = stat(KS_ST_REASM_REPLACED);
	uint32_t c, c2;
	struct pkt in, out;
	struct flow f = F4;
	int v;

	/* A placement the kernel does not turn into a connection (here the
	 * kfunc refuses: BPF_PROG_TEST_RUN; on a host, a full accept queue)
	 * is placed again by the client's retransmission: the held bytes
	 * stayed. Before, they were deleted first, and the retransmitted last
	 * segment became an unverifiable early one, forever. */
	clear_held();
	c = syn_cookie(48000, 100);
	seg(48000, 100, c, hello, 0, mss, &out);
	seg(48000, 100, c, hello, mss, mss, &out);
	done = stat(KS_ST_REASM_DONE);
	r1 = routed(1);
	seg(48000, 100, c, hello, 2 * mss, n - 2 * mss, &out);
	CHECK(stat(KS_ST_REASM_DONE) == done + 1 && count_held() == 1,
	      "completed, not placed: still held");
	v = seg(48000, 100, c, hello, 2 * mss, n - 2 * mss, &out);
	CHECK(stat(KS_ST_REASM_DONE) == done + 2 && routed(1) == r1 + 2 && carries(&out, 100, hello, n),
	      "the last segment again: the whole hello placed again (verdict %d)", v);

	/* A held flow whose client reused its port for a new connection: the
	 * new first segment (its cookie verifies) replaces the stale entry.
	 * Before, the cookie mismatch passed it to the kernel: a RST, as long
	 * as the stale entry lived. */
	c2 = syn_cookie(48000, 900000);
	v = seg(48000, 900000, c2, hello, 0, mss, &out);
	CHECK(v == TC_ACT_REDIRECT && out.b[out.l4 + 13] == 0x10 &&
	      be32(out.b + out.l4 + 8) == 900000 + 1 + mss && stat(KS_ST_REASM_REPLACED) == repl + 1 &&
	      count_held() == 1,
	      "a new connection on a held flow's 4-tuple: held afresh, acknowledged (verdict %d)", v);

	/* A corrupted segment is neither held nor acknowledged: the client
	 * resends it. Before, it was held, acked and rewritten under a fresh
	 * checksum, and the handshake failed for good. */
	clear_held();
	c = syn_cookie(48001, 200);
	seg(48001, 200, c, hello, 0, mss, &out);
	f.sport = 48001;
	build(&in, &f, 200 + 1 + mss, c + 1, 0x10, NULL, 0, hello + mss, mss);
	in.b[in.l4 + 20 + 100] ^= 0x20;           /* a bit flipped in transit */
	v = run(&in, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_REASM_BAD_CSUM) == bad + 1,
	      "a segment with a bad checksum: dropped, unacknowledged (verdict %d)", v);
	seg(48001, 200, c, hello, mss, mss, &out);
	done = stat(KS_ST_REASM_DONE);
	v = seg(48001, 200, c, hello, 2 * mss, n - 2 * mss, &out);
	CHECK(stat(KS_ST_REASM_DONE) == done + 1 && carries(&out, 200, hello, n),
	      "... its good retransmission completes the hello intact (verdict %d)", v);

	/* Early segments are kept under the cookie they claim: a forged one
	 * (another cookie) lands beside the real one and never in it; one far
	 * outside the ClientHello's window is not folded in. Before, the first
	 * early segment fixed the entry's cookie, and the real client's
	 * segments were passed on (RST) for 3 s. */
	clear_held();
	c = syn_cookie(48002, 300);
	seg(48002, 300, c ^ 0x5a5a0000, hello, mss, mss, &out);     /* forged, other cookie */
	v = seg(48002, 300, c, hello, mss, mss, &out);                 /* the real second */
	CHECK(v == TC_ACT_SHOT, "the real early segment beside a forged one: held (verdict %d)", v);
	seg(48002, 300, c, hello, 0, mss, &out);                       /* the first, late */
	done = stat(KS_ST_REASM_DONE);
	v = seg(48002, 300, c, hello, 2 * mss, n - 2 * mss, &out);
	CHECK(stat(KS_ST_REASM_DONE) == done + 1 && carries(&out, 300, hello, n),
	      "the first segment late: the real early segment folded in, the hello whole (verdict %d)", v);
	clear_held();
	c = syn_cookie(48003, 400);
	{
		/* Its claimed sequence number is 1 MB past the first byte. */
		struct flow g = F4;

		g.sport = 48003;
		build(&in, &g, 400 + 1 + 1000000, c + 1, 0x10, NULL, 0, hello + mss, mss);
		run(&in, &out);
	}
	v = seg(48003, 400, c, hello, 0, mss, &out);
	CHECK(v == TC_ACT_REDIRECT && be32(out.b + out.l4 + 8) == 400 + 1 + mss,
	      "an early segment outside the ClientHello's window: not folded in (ack %u)",
	      be32(out.b + out.l4 + 8));

	/* A completing segment with more than the ClientHello (a GRO super-
	 * packet carrying early data): placed, the bytes past what one segment
	 * can carry left to the client. Before: refused past 8 KB. */
	clear_held();
	c = syn_cookie(48004, 500);
	memcpy(tail, hello + mss, n - mss);
	memset(tail + n - mss, 0x17, sizeof(tail) - (n - mss));   /* application data after it */
	seg(48004, 500, c, hello, 0, mss, &out);
	done = stat(KS_ST_REASM_DONE);
	{
		struct flow g = F4;

		g.sport = 48004;
		build(&in, &g, 500 + 1 + mss, c + 1, 0x10, NULL, 0, tail, sizeof(tail));
		v = run(&in, &out);
	}
	CHECK(stat(KS_ST_REASM_DONE) == done + 1 && out.n == out.l4 + 20 + mss + sizeof(tail) &&
	      be32(out.b + out.l4 + 4) == 500 + 1 && !memcmp(out.b + out.l4 + 20, hello, n),
	      "completing segment with 800 bytes past the hello: placed with all of it (verdict %d)", v);
	clear_held();
}

/* One client prefix (/24) holds at most its share of the pool; another
 * client's flows are held still. Before: 1024 partial ClientHellos from
 * one address took the whole table. */
static void test_reasm_share(void)
{
	static uint8_t hello[8000];
	uint8_t ext[7000];
	size_t e = 0, piece = 64;
	uint64_t full = stat(KS_ST_REASM_FULL);
	uint32_t share, c;
	struct pkt out;
	int v;
	size_t held;

	/* A 7 KB hello held in 64-byte segments takes a chunk per segment. */
	ext[e++] = 0; ext[e++] = 21; ext[e++] = 6500 >> 8; ext[e++] = 6500 & 0xff;
	memset(ext + e, 0, 6500); e += 6500;
	e += sni_ext(ext + e, "a.example");
	hello_record(hello, ext, e);
	share = bpf_map__max_entries(skel->maps.ks_reasm_pool) / KS_REASM_SHARE;
	if (share < KS_REASM_PIECES)
		share = KS_REASM_PIECES;
	clear_held();
	/* Flows of 198.18.0.2 of up to 32 chunks each fill the share... */
	for (uint32_t left = share, i = 0; left; i++) {
		uint32_t n = left < KS_REASM_PIECES ? left : KS_REASM_PIECES;

		held_flow(49000 + i, 1000 + 1000 * i, hello, n * piece, piece, &c, &out);
		left -= n;
	}
	held = count_held();
	/* ... and one more is past it. */
	v = held_flow(48999, 500, hello, piece, piece, &c, &out);
	CHECK(stat(KS_ST_REASM_FULL) == full + 1 && count_held() == held,
	      "a flow from the same /24 past its share (%u chunks, %zu flows): to ksteerd (verdict %d)",
	      share, held, v);
	{
		/* Another client's flow is held as always. */
		struct flow f = F4;
		struct pkt in;

		f.src[2] = 1;                     /* 198.18.1.2 */
		f.sport = 49003;
		build(&in, &f, 4000, 0, 0x02, NULL, 0, NULL, 0);
		run(&in, &out);
		c = be32(out.b + out.l4 + 4);
		build(&in, &f, 4001, c + 1, 0x10, NULL, 0, hello, 1448);
		v = run(&in, &out);
		CHECK(v == TC_ACT_REDIRECT && out.b[out.l4 + 13] == 0x10 && count_held() == held + 1,
		      "a flow from another /24: held and acknowledged (verdict %d)", v);
	}
	{
		/* The share's flows go silent past their life: the next flow
		 * that finds the share spent sweeps them and is held. */
		uint64_t swept = stat(KS_ST_REASM_SWEPT);

		for (uint32_t i = 0; i < held; i++)
			age_held(1000 + 1000 * i, KS_REASM_LIFE_NS + 1000000000ULL);
		usleep(KS_REASM_SWEEP_NS / 1000 + 50000);
		v = held_flow(48998, 700, hello, piece, piece, &c, &out);
		CHECK(v == TC_ACT_REDIRECT && stat(KS_ST_REASM_SWEPT) == swept + held &&
		      stat(KS_ST_REASM_FULL) == full + 1 && count_held() == 2,
		      "share spent by abandoned flows: swept, the new flow held (verdict %d)", v);
	}
	clear_held();
	/* Every chunk went back to the pool: the share counts are zero. */
	{
		struct ks_prefix k, next;
		int fd = bpf_map__fd(skel->maps.ks_reasm_src), left = 0;

		for (int err = bpf_map_get_next_key(fd, NULL, &next); !err;
		     err = bpf_map_get_next_key(fd, &k, &next), left++)
			k = next;
		CHECK(left == 0, "no share left counted after every flow went (%d)", left);
	}
}

/* ---- cookies (bpf/cookie.h) and their keys (bpf/keys.h) ---------------- */

static const __u64 KEY0[2] = { 0x0123456789abcdefULL, 42 };
static const __u64 KEY1[2] = { 0x1111222233334444ULL, 0x5555666677778888ULL };
static const __u64 KEY2[2] = { 0x9999aaaabbbbccccULL, 0xddddeeeeffff0000ULL };
static const struct flow F6 = { .v6 = 1, .src = { 0xfd, 0, 0x6b, 0x73, [15] = 2 },
				.dst = { 0xfd, 0, 0x6b, 0x73, [15] = 1 }, .sport = 41000, .dport = 443 };
#define MS 1000000ULL
#define SEC 1000000000ULL

/* Publish key as current, prev (NULL: none) replaced at rotated_ns. */
static void publish_keys(const __u64 key[2], const __u64 *prev, __u64 rotated_ns)
{
	struct ks_cookie_keys k = { .rotated_ns = rotated_ns, .has_prev = prev != NULL };

	memcpy(k.key, key, sizeof(k.key));
	if (prev)
		memcpy(k.prev_key, prev, sizeof(k.prev_key));
	if (ks_keys_publish(bpf_map__fd(skel->maps.ks_keys), &k))
		CHECK(0, "cookie keys published: %s", strerror(errno));
}

static uint32_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((__u64)ts.tv_sec * SEC + ts.tv_nsec) / MS;
}

/* CLOCK_TAI now, 0.5 s clear of a slot's edges and of the verifier's 2 s
 * allowance, so the slot computed here is the one the program reads a
 * moment later. */
static __u64 tai_mid_slot(void)
{
	for (;;) {
		__u64 now = ks_tai_now_ns(), in = now % KS_SLOT_NS;

		if (in > SEC / 2 && in < KS_SLOT_NS - KS_SLOT_SKEW_NS - SEC / 2)
			return now;
		usleep(100000);
	}
}

/* The cookie key gives flow f (client ISN isn) in slot for option bits
 * opts, computed here as the program does; the flow's timestamp offset in
 * *ts_off (may be NULL). */
static uint32_t forge(const __u64 key[2], const struct flow *f, uint32_t isn, uint32_t slot,
		      uint32_t opts, uint32_t *ts_off)
{
	__u32 src[4] = { 0 }, dst[4] = { 0 }, off;
	__u64 m[KS_SIP_WORDS];

	memcpy(src, f->src, f->v6 ? 16 : 4);
	memcpy(dst, f->dst, f->v6 ? 16 : 4);
	ks_cookie_words(m, src, dst, htons(f->sport), htons(f->dport), isn);
	return ks_cookie_seq(key, m, slot, opts, ts_off ? ts_off : &off);
}

/* A bare ACK of flow f (client ISN isn) acking cookie, with a timestamp
 * echoing tsecr when has_ts: 1 if it verified (dropped, defer accept), 0
 * if it did not (passed on, cookie_bad), -1 for anything else. */
static int ack_verdict(const struct flow *f, uint32_t isn, uint32_t cookie, int has_ts,
		       uint32_t tsecr)
{
	uint64_t bare = stat(KS_ST_BARE_ACK), bad = stat(KS_ST_COOKIE_BAD);
	uint8_t ts[12];
	struct pkt in, out;
	int v;

	build(&in, f, isn + 1, cookie + 1, 0x10, ts, has_ts ? ts_opt(ts, 0x3000, tsecr) : 0, NULL, 0);
	v = run(&in, &out);
	if (v == TC_ACT_SHOT && stat(KS_ST_BARE_ACK) == bare + 1)
		return 1;
	if (v == TC_ACT_UNSPEC && stat(KS_ST_COOKIE_BAD) == bad + 1)
		return 0;
	return -1;
}

/*
 * What a SYN's cookie is, checked against the MAC computed here: with
 * timestamps all 32 bits of seq are MAC and the option bits are the
 * TSval's low bits, the TSval neither ahead of the flow's clock (ms + its
 * keyed offset, no uptime) nor a second behind; without, 22 bits of MAC
 * and the option bits share seq, as before.
 */
static void test_cookie_layouts(void)
{
	static const uint8_t ts_only[12] = { 1, 1, 8, 10, 0, 0, 0x12, 0x34 };
	static const uint8_t ts_ws2_mss1380[20] = { 2, 4, 0x05, 0x64, 1, 3, 3, 2,
						    1, 1, 8, 10, 0, 0, 0x12, 0x34 };
	static const uint8_t sack_mss1240[8] = { 2, 4, 0x04, 0xd8, 1, 1, 4, 2 };
	static const struct {
		const char *what;
		int v6;
		const uint8_t *opts;
		size_t optlen;
		uint32_t bits;            /* the option bits it must be given */
	} cases[] = {
		{ "TS, SACK, WS 7, MSS 1460", 0, syn_opts, sizeof(syn_opts),
		  4 << 7 | KS_OPT_TS | 1 << 4 | 7 },
		{ "TS alone", 0, ts_only, sizeof(ts_only), KS_OPT_TS | KS_WS_NONE },
		{ "TS, WS 2, MSS 1380", 0, ts_ws2_mss1380, sizeof(ts_ws2_mss1380),
		  2 << 7 | KS_OPT_TS | 2 },
		{ "IPv6: TS, SACK, WS 7, MSS 1460 (1440 in the v6 table)", 1, syn_opts,
		  sizeof(syn_opts), 4 << 7 | KS_OPT_TS | 1 << 4 | 7 },
		{ "no options", 0, NULL, 0, KS_WS_NONE },
		{ "SACK, MSS 1240, no TS", 0, sack_mss1240, sizeof(sack_mss1240),
		  1 << 7 | 1 << 4 | KS_WS_NONE },
	};
	struct pkt in, out;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow f = cases[i].v6 ? F6 : F4;
		uint32_t isn = 600 + i, seq, want, off, ms0, ms1, tsval;
		const uint8_t *ts;
		__u64 t;
		int v;

		f.sport = 44100 + i;
		t = tai_mid_slot();
		build(&in, &f, isn, 0, 0x02, cases[i].opts, cases[i].optlen, NULL, 0);
		ms0 = mono_ms();
		v = run(&in, &out);
		ms1 = mono_ms();
		seq = be32(out.b + out.l4 + 4);
		ts = find_opt(&out, 8);
		want = forge(KEY0, &f, isn, ks_slot_issue(t), cases[i].bits, &off);
		if (!(cases[i].bits & KS_OPT_TS)) {
			CHECK(v == TC_ACT_REDIRECT && !ts && seq == want &&
			      (seq & KS_COOKIE_OPT_MASK) == cases[i].bits,
			      "%s: no timestamps: a 22-bit MAC and the option bits in seq (0x%08x, "
			      "want 0x%08x)", cases[i].what, seq, want);
			continue;
		}
		tsval = ts ? be32(ts + 2) : 0;
		CHECK(v == TC_ACT_REDIRECT && ts && seq == want &&
		      (tsval & KS_COOKIE_OPT_MASK) == cases[i].bits,
		      "%s: timestamps: all 32 bits of seq are the MAC (0x%08x, want 0x%08x), the "
		      "option bits in the TSval (0x%03x)", cases[i].what, seq, want,
		      tsval & KS_COOKIE_OPT_MASK);
		CHECK((int32_t)(tsval - (ms1 + off)) <= 0 && (int32_t)(ms0 + off - tsval) < 1024,
		      "%s: the TSval 0x%08x is the flow's clock [0x%08x, 0x%08x] less under 1024 ms",
		      cases[i].what, tsval, ms0 + off, ms1 + off);
	}
}

/*
 * Which segments after our SYN-ACK verify. With timestamps: the exact
 * 32-bit cookie with the exact option bits echoed; the echo's clock bits
 * are not checked (the kernel re-bases the child's clock on them). Without:
 * the exact cookie, its option bits included. A cookie of one layout is
 * never taken in the other.
 */
static void test_cookie_verify(void)
{
	struct flow f = F4;
	struct pkt in, out;
	uint32_t isn = 7700, cookie, tsval, c;
	int nbad, b;

	f.sport = 44200;
	build(&in, &f, isn, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	run(&in, &out);
	cookie = be32(out.b + out.l4 + 4);
	tsval = find_opt(&out, 8) ? be32(find_opt(&out, 8) + 2) : 0;
	CHECK(ack_verdict(&f, isn, cookie, 1, tsval) == 1,
	      "timestamps: the ACK echoing our TSval verifies");
	CHECK(ack_verdict(&f, isn, cookie, 1, tsval ^ ~KS_COOKIE_OPT_MASK) == 1,
	      "timestamps: the echo's clock bits are not checked");
	for (b = 0, nbad = 0; b < 10; b++)
		nbad += ack_verdict(&f, isn, cookie, 1, tsval ^ 1u << b) != 0;
	CHECK(nbad == 0, "timestamps: each of the 10 option bits flipped in the echo: refused "
	      "(%d not)", nbad);
	for (b = 0, nbad = 0; b < 32; b++)
		nbad += ack_verdict(&f, isn, cookie ^ 1u << b, 1, tsval) != 0;
	CHECK(nbad == 0, "timestamps: each of the cookie's 32 bits flipped: refused, all are MAC "
	      "(%d not)", nbad);
	CHECK(ack_verdict(&f, isn, cookie, 0, 0) == 0,
	      "timestamps: the cookie without the echo: refused (its low bits are no options)");

	f.sport = 44201;
	build(&in, &f, isn, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, &out);
	cookie = be32(out.b + out.l4 + 4);
	CHECK(ack_verdict(&f, isn, cookie, 0, 0) == 1, "no timestamps: the cookie verifies");
	CHECK(ack_verdict(&f, isn, cookie, 1, 0) == 1,
	      "no timestamps: an echo claiming no option bits changes nothing");
	for (b = 0, nbad = 0; b < 32; b++)
		nbad += ack_verdict(&f, isn, cookie ^ 1u << b, 0, 0) != 0;
	CHECK(nbad == 0, "no timestamps: each of the cookie's 32 bits flipped (MAC and option "
	      "bits): refused (%d not)", nbad);
	CHECK(ack_verdict(&f, isn, cookie, 1, KS_OPT_TS | (cookie & KS_COOKIE_OPT_MASK)) == 0,
	      "no timestamps: an echo claiming the timestamp layout: refused");
	/* The right MAC of the timestamp layout, shaped as a sequence-number
	 * cookie (TS bit among its own option bits). */
	c = forge(KEY0, &f, isn, ks_slot_issue(tai_mid_slot()), KS_OPT_TS | KS_WS_NONE, NULL);
	c = (c & ~KS_COOKIE_OPT_MASK) | KS_OPT_TS | KS_WS_NONE;
	CHECK(ack_verdict(&f, isn, c, 0, 0) == 0,
	      "a sequence-number cookie claiming timestamps, correctly MACed: refused");
}

/*
 * The options a verified flow gets come from the echo with timestamps and
 * from seq without: seen in the ACK of a held first segment (window scaled
 * by our shift when the client scales, timestamps when negotiated), and by
 * ks_cookie_flow_opts, which ks_assign uses too.
 */
static void test_cookie_options_given(void)
{
	static const uint8_t ws7_mss1460[8] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7 };
	static const struct {
		const char *what;
		const uint8_t *opts;
		size_t optlen;
		int ts;
		uint16_t window;
	} cases[] = {
		{ "timestamps, WS 7 (from the echo)", syn_opts, sizeof(syn_opts), 1, 64240 >> 7 },
		{ "no timestamps, WS 7 (from seq)", ws7_mss1460, sizeof(ws7_mss1460), 0, 64240 >> 7 },
		{ "no options", NULL, 0, 0, 64240 },
	};
	static uint8_t hello[4000];
	struct ks_syn_opts seg = { .ts = 1, .tsecr = 0xabcd0000 | 4 << 7 | KS_OPT_TS | 1 << 4 | 7 }, o;
	struct pkt in, out;

	big_hello(hello, "a.example");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow f = F4;
		uint32_t isn = 8800, cookie, tsval;
		uint8_t ts[12];
		const uint8_t *t;
		int v;

		f.sport = 44250 + i;
		build(&in, &f, isn, 0, 0x02, cases[i].opts, cases[i].optlen, NULL, 0);
		run(&in, &out);
		cookie = be32(out.b + out.l4 + 4);
		tsval = find_opt(&out, 8) ? be32(find_opt(&out, 8) + 2) : 0;
		build(&in, &f, isn + 1, cookie + 1, 0x10, ts, cases[i].ts ? ts_opt(ts, 0x4000, tsval) : 0,
		      hello, 1000);
		v = run(&in, &out);
		t = out.b + out.l4;
		CHECK(v == TC_ACT_REDIRECT && t[13] == 0x10 && (t[14] << 8 | t[15]) == cases[i].window &&
		      !find_opt(&out, 8) == !cases[i].ts,
		      "%s: the held segment's ACK has window %u and %s timestamps (verdict %d, window %u)",
		      cases[i].what, cases[i].window, cases[i].ts ? "" : "no", v, t[14] << 8 | t[15]);
		/* Done: the client resets, the held flow goes. */
		build(&in, &f, isn + 1001, cookie + 1, 0x14, NULL, 0, NULL, 0);
		run(&in, &out);
	}
	ks_cookie_flow_opts(0x12345678, &seg, 0, &o);
	CHECK(o.mss == 1460 && o.ts && o.sack && !o.ecn && o.wscale == 7,
	      "ks_cookie_flow_opts: with an echo, its option bits (not the cookie's)");
	seg.ts = 0;
	ks_cookie_flow_opts(0x12345 << 10 | 2 << 7 | 1 << 5 | KS_WS_NONE, &seg, 0, &o);
	CHECK(o.mss == 1380 && !o.ts && !o.sack && o.ecn && o.wscale == KS_WS_NONE,
	      "ks_cookie_flow_opts: without, the cookie's option bits");
}

/*
 * The replay window, through the program: cookies made here for chosen
 * slots (a cookie is a function of the key, the flow and the CLOCK_TAI
 * slot only, so this is what any host with the key would have sent). The
 * current slot and the one before verify; older and future ones do not.
 */
static void test_cookie_slots(void)
{
	static const struct {
		int slot_off, ts, ok;
	} cases[] = {
		{ 0, 1, 1 }, { -1, 1, 1 }, { -2, 1, 0 }, { 1, 1, 0 }, { -100, 1, 0 },
		{ 0, 0, 1 }, { -1, 0, 1 }, { -2, 0, 0 }, { 1, 0, 0 },
	};
	uint32_t slot = ks_slot_issue(tai_mid_slot());

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow f = F4;
		uint32_t bits = cases[i].ts ? 3 << 7 | KS_OPT_TS | 1 << 4 | 9 : 3 << 7 | 1 << 4 | 9;
		uint32_t c, off;
		int r;

		f.sport = 44300 + i;
		c = forge(KEY0, &f, 900, slot + cases[i].slot_off, bits, &off);
		r = ack_verdict(&f, 900, c, cases[i].ts, 0x77700000 | bits);
		CHECK(r == cases[i].ok, "a cookie of slot %+d, %s timestamps: %s (got %d)",
		      cases[i].slot_off, cases[i].ts ? "with" : "without",
		      cases[i].ok ? "verifies" : "refused", r);
	}
}

/*
 * Key changes: the previous key verifies for one slot after the change,
 * then is no longer tried; the test moves the change's stamp into the past
 * rather than the clock forward. ks_keys_change (what `key set` and
 * `key rotate` do) keeps the old key as the previous one, and setting the
 * current key again changes nothing.
 */
static void test_key_rotation(void)
{
	static const struct {
		const char *what;
		int has_prev;
		int64_t ago;              /* the change was this long ago */
		int old_key, slot_off, ok;
	} cases[] = {
		{ "changed 1 s ago: the previous key's cookie verifies", 1, SEC, 1, 0, 1 },
		{ "... and its cookie of the slot before", 1, SEC, 1, -1, 1 },
		{ "... and the new key's", 1, SEC, 0, 0, 1 },
		{ "changed a slot less 1 s ago: the previous key's still", 1, KS_SLOT_NS - SEC, 1, 0, 1 },
		{ "changed a slot and 1 s ago: the previous key is no longer tried", 1,
		  KS_SLOT_NS + SEC, 1, 0, 0 },
		{ "... the new key's cookie verifies", 1, KS_SLOT_NS + SEC, 0, 0, 1 },
		{ "no previous key", 0, SEC, 1, 0, 0 },
		{ "a clock set back before the change ends the previous key", 1, -10 * (int64_t)SEC,
		  1, 0, 0 },
	};
	int fd = bpf_map__fd(skel->maps.ks_keys);
	struct ks_cookie_keys k;
	__u64 now = tai_mid_slot(), before, after, stamp;
	uint32_t slot = ks_slot_issue(now), c;
	struct flow f = F4;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r;

		publish_keys(KEY1, cases[i].has_prev ? KEY0 : NULL, now - cases[i].ago);
		f.sport = 44400 + i;
		c = forge(cases[i].old_key ? KEY0 : KEY1, &f, 500, slot + cases[i].slot_off,
			  KS_WS_NONE, NULL);
		r = ack_verdict(&f, 500, c, 0, 0);
		CHECK(r == cases[i].ok, "key change: %s (got %d)", cases[i].what, r);
	}
	publish_keys(KEY2, KEY1, now - SEC);
	f.sport = 44420;
	c = forge(KEY0, &f, 500, slot, KS_WS_NONE, NULL);
	CHECK(ack_verdict(&f, 500, c, 0, 0) == 0, "two key changes: the first key's cookie refused");

	publish_keys(KEY0, NULL, 0);
	before = ks_tai_now_ns();
	CHECK(!ks_keys_change(fd, KEY1), "ks_keys_change to a new key");
	after = ks_tai_now_ns();
	CHECK(ks_keys_read(fd, &k) == 1 && !memcmp(k.key, KEY1, 16) && !memcmp(k.prev_key, KEY0, 16) &&
	      k.has_prev && k.rotated_ns >= before && k.rotated_ns <= after,
	      "ks_keys_change: the new key current, the old one previous, stamped now (CLOCK_TAI)");
	stamp = k.rotated_ns;
	CHECK(!ks_keys_change(fd, KEY1) && ks_keys_read(fd, &k) == 1 && k.rotated_ns == stamp &&
	      !memcmp(k.prev_key, KEY0, 16),
	      "ks_keys_change to the current key: nothing changes (the previous keeps its slot)");
	f.sport = 44421;
	c = forge(KEY0, &f, 500, slot, KS_WS_NONE, NULL);
	CHECK(ack_verdict(&f, 500, c, 0, 0) == 1, "after ks_keys_change the old key's cookie verifies");
	publish_keys(KEY0, NULL, 0);
}

/*
 * ks_cookie_check itself at chosen instants, no program (it takes the time
 * as an argument): a cookie made at t is taken until the verifier's clock
 * plus 2 s leaves the slot after t's; a verifier whose clock is up to 2 s
 * behind still takes it; the previous key lives exactly one slot. And our
 * TSval: option bits below, never ahead of the clock, under 1024 ms behind,
 * monotonic, across the 32-bit wrap.
 */
static void test_cookie_clock(void)
{
	const __u64 L = KS_SLOT_NS, S = 24736000ULL * L;       /* a slot of 2023 (CLOCK_TAI) */
	static const struct {
		const char *what;
		__u64 made;               /* within slot S */
		int64_t later;
		int ok;
	} *c, cases[] = {
		{ "checked at once", 10 * MS, 0, 1 },
		{ "made early in a slot, checked 2 slots less 2 s less 1 ns later",
		  10 * MS, 2 * KS_SLOT_NS - KS_SLOT_SKEW_NS - 10 * MS - 1, 1 },
		{ "... 1 ns later still", 10 * MS, 2 * KS_SLOT_NS - KS_SLOT_SKEW_NS - 10 * MS, 0 },
		{ "made at a slot's end, checked a slot less 2 s later", KS_SLOT_NS - MS,
		  KS_SLOT_NS - KS_SLOT_SKEW_NS, 1 },
		{ "... 1 ms later still", KS_SLOT_NS - MS, KS_SLOT_NS - KS_SLOT_SKEW_NS + MS, 0 },
		{ "checked by a host whose clock is 2 s behind", 10 * MS, -2 * (int64_t)SEC, 1 },
		{ "checked by a host 2.1 s behind, made early in a slot", 10 * MS,
		  -21 * (int64_t)SEC / 10, 0 },
		{ "checked by a host 2.1 s behind, made mid-slot", KS_SLOT_NS / 2,
		  -21 * (int64_t)SEC / 10, 1 },
	};
	struct ks_cookie_keys k = { .has_prev = 0 };
	struct ks_syn_opts seg = { 0 };
	__u64 m[KS_SIP_WORDS];
	__u32 a[4] = { 1, 2, 3, 4 }, cookie, off, ts, prev, bad = 0;

	memcpy(k.key, KEY1, 16);
	memcpy(k.prev_key, KEY0, 16);
	ks_cookie_words(m, a, a, 1, 2, 3);
	for (c = cases; c < cases + sizeof(cases) / sizeof(cases[0]); c++) {
		cookie = ks_cookie_seq(k.key, m, ks_slot_issue(S + c->made), KS_WS_NONE, &off);
		CHECK(ks_cookie_check(&k, m, S + c->made + c->later, cookie, &seg) == c->ok,
		      "clock: %s: %s", c->what, c->ok ? "verifies" : "refused");
	}
	k.has_prev = 1;
	k.rotated_ns = S + L / 3;
	cookie = ks_cookie_seq(k.prev_key, m, ks_slot_issue(k.rotated_ns - MS), KS_WS_NONE, &off);
	CHECK(ks_cookie_check(&k, m, k.rotated_ns + L - 1, cookie, &seg) == 1,
	      "clock: the previous key, a slot less 1 ns after the change: verifies");
	CHECK(ks_cookie_check(&k, m, k.rotated_ns + L, cookie, &seg) == 0,
	      "clock: the previous key, one slot after the change: no longer tried");
	CHECK(!ks_prev_key_live(&k, k.rotated_ns - 1) && ks_prev_key_live(&k, k.rotated_ns),
	      "clock: the previous key lives from the change on, not before");

	prev = ks_cookie_tsval(0xfffff000u, 0x2c7);
	for (__u32 clock = 0xfffff000u; clock != 0x2000; clock++) {
		ts = ks_cookie_tsval(clock, 0x2c7);
		bad += (ts & KS_COOKIE_OPT_MASK) != 0x2c7 || (int32_t)(ts - clock) > 0 ||
		       (int32_t)(clock - ts) >= 1024 || (int32_t)(ts - prev) < 0;
		prev = ts;
	}
	CHECK(bad == 0, "TSval: option bits below, never ahead, under 1024 ms behind, monotonic, "
	      "across the wrap (%u bad)", bad);
}

/* A thread publishing two key sets in turn while the program reads them
 * (each publish waits out an RCU grace period: ~12 ms here). */
struct key_flipper {
	int fd;
	volatile int stop;
	int n;
};

static void *flip_keys(void *arg)
{
	struct key_flipper *fl = arg;
	struct ks_cookie_keys a = { .key = { KEY0[0], KEY0[1] } }, b = { .key = { KEY1[0], KEY1[1] } };

	while (!fl->stop)
		ks_keys_publish(fl->fd, fl->n++ & 1 ? &a : &b);
	return NULL;
}

/*
 * Why a program never reads a key half-written: each change is a new map,
 * read-only to programs, frozen before it is published, swapped in whole;
 * the one it replaces is freed only once no program can hold it. And the
 * proof of it: SYN cookies made while a thread publishes two key sets in
 * turn are every one of them a whole set's, never a mixed key's.
 */
static void test_keys_atomic(void)
{
	int outer = bpf_map__fd(skel->maps.ks_keys), fd, gone = 0;
	struct bpf_map_info info = {};
	__u32 zero = 0, id0 = 0, id1 = 0, len = sizeof(info);
	struct ks_cookie_keys k = {};
	struct key_flipper fl = { .fd = outer };
	struct flow f = F4;
	struct pkt in, out;
	uint32_t ca, cb, slot, seq;
	int na = 0, nb = 0, nmix = 0;
	pthread_t th;

	bpf_map_lookup_elem(outer, &zero, &id0);
	publish_keys(KEY1, NULL, 0);
	bpf_map_lookup_elem(outer, &zero, &id1);
	fd = bpf_map_get_fd_by_id(id1);
	CHECK(fd >= 0 && id1 != id0 && !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	      (info.map_flags & BPF_F_RDONLY_PROG),
	      "a key change publishes a new map (id %u -> %u), read-only to programs", id0, id1);
	CHECK(bpf_map_update_elem(fd, &zero, &k, BPF_ANY) && errno == EPERM,
	      "the published map is frozen: nothing writes it in place (%s)", strerror(errno));
	close(fd);
	for (int i = 0; i < 500 && !gone; i++) {
		fd = bpf_map_get_fd_by_id(id0);
		gone = fd < 0 && errno == ENOENT;
		if (fd >= 0)
			close(fd);
		if (!gone)
			usleep(10000);
	}
	CHECK(gone, "the replaced map is freed once no program can hold it");

	f.sport = 44500;
	slot = ks_slot_issue(tai_mid_slot());
	ca = forge(KEY0, &f, 1234, slot, KS_WS_NONE, NULL);
	cb = forge(KEY1, &f, 1234, slot, KS_WS_NONE, NULL);
	build(&in, &f, 1234, 0, 0x02, NULL, 0, NULL, 0);
	pthread_create(&th, NULL, flip_keys, &fl);
	for (int i = 0; i < 3000 || fl.n < 40; i++) {
		run(&in, &out);
		seq = be32(out.b + out.l4 + 4);
		na += seq == ca;
		nb += seq == cb;
		nmix += seq != ca && seq != cb;
	}
	fl.stop = 1;
	pthread_join(th, NULL);
	CHECK(nmix == 0 && na > 0 && nb > 0,
	      "%d SYNs while %d key sets were published: every cookie a whole set's (%d, %d), "
	      "none of a mixed key (%d)", na + nb + nmix, fl.n, na, nb, nmix);
	publish_keys(KEY0, NULL, 0);
}

/* ---- real hosts: what is not ours, frames as NICs deliver them --------- */

static void stats_all(uint64_t v[KS_ST_MAX])
{
	for (int i = 0; i < KS_ST_MAX; i++)
		v[i] = stat(i);
}

static int stats_moved(const uint64_t before[KS_ST_MAX])
{
	for (int i = 0; i < KS_ST_MAX; i++)
		if (stat(i) != before[i])
			return 1;
	return 0;
}

/*
 * Packets that are not to a public address and port: the next tc filter
 * runs (TC_ACT_UNSPEC), the packet is unchanged, no counter moves. A VLAN
 * tag with an id is the VLAN device's, so it is not ours here either.
 */
static void test_not_ours(void)
{
	static const struct {
		const char *what, *dst;
		int v6;
		uint16_t dport;
		struct shape sh;
		uint8_t flags;
	} cases[] = {
		{ "SYN to another local address's :443", "198.18.0.3", 0, 443, {0}, 0x02 },
		{ "SYN to the public address, another port", "198.18.0.1", 0, 8443, {0}, 0x02 },
		{ "data to another address's :443 (forwarded)", "10.1.2.3", 0, 443, {0}, 0x18 },
		{ "IPv6 SYN to another address", "fd00:6b73::3", 1, 443, {0}, 0x02 },
		{ "IPv6 SYN to another address behind options", "fd00:6b73::3", 1, 443,
		  { .dstopts = 1 }, 0x02 },
		{ "tagged SYN to another address", "198.18.0.3", 0, 443, { .vlan = 7 }, 0x02 },
		{ "padded ACK to another address", "198.18.0.3", 0, 443, { .pad_to = 60 }, 0x10 },
	};
	uint64_t before[KS_ST_MAX];
	struct pkt in, out;
	int v;

	/* A host with more public addresses than ks_config holds: the rest
	 * are found in ks_public. */
	{
		struct flow f = F4;

		public_addr(AF_INET, "198.18.0.9", 0);
		f.sport = 40099;
		f.dst[3] = 9;
		build(&in, &f, 777, 0, 0x02, NULL, 0, NULL, 0);
		v = run(&in, &out);
		CHECK(v == TC_ACT_REDIRECT, "a public address beyond the inline ones: answered (verdict %d)", v);
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct flow f = { .v6 = cases[i].v6, .sport = 40100 + i, .dport = cases[i].dport };

		inet_pton(f.v6 ? AF_INET6 : AF_INET, f.v6 ? "fd00:6b73::2" : "198.18.0.2", f.src);
		inet_pton(f.v6 ? AF_INET6 : AF_INET, cases[i].dst, f.dst);
		build_shaped(&in, &f, &cases[i].sh, 777, cases[i].flags == 0x02 ? 0 : 1,
			     cases[i].flags, NULL, 0, (const uint8_t *)"abc",
			     cases[i].flags == 0x18 ? 3 : 0);
		stats_all(before);
		v = run(&in, &out);
		CHECK(v == TC_ACT_UNSPEC && out.n == in.n && !memcmp(out.b, in.b, in.n) &&
		      !stats_moved(before),
		      "not ours: %s: next filter runs, untouched, no counter moved (verdict %d)",
		      cases[i].what, v);
	}
}

/* A SYN of this shape from sport to the public address: answered with a
 * valid SYN-ACK for it; returns the cookie, 0 when it was not, and its
 * TSval in *tsval. */
static uint32_t shaped_syn(const char *what, const struct shape *sh, int v6, uint16_t sport,
			   uint32_t *tsval)
{
	struct flow f = { .v6 = v6, .sport = sport, .dport = 443 };
	struct pkt in, out;
	const uint8_t *t;
	int v;

	inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00:6b73::2" : "198.18.0.2", f.src);
	inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00:6b73::1" : "198.18.0.1", f.dst);
	build_shaped(&in, &f, sh, 5000, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	v = run(&in, &out);
	t = out.b + out.l4;
	CHECK(v == TC_ACT_REDIRECT && t[13] == 0x12 && be32(t + 8) == 5001 &&
	      tcp_csum(&out, v6) == 0 && out.n == out.l4 + (t[12] >> 4) * 4 &&
	      (v6 || csum_fold(csum_add(0, out.b + out.l3, 20)) == 0),
	      "%s: answered, SYN-ACK valid and exactly as long as its headers (verdict %d)", what, v);
	*tsval = find_opt(&out, 8) ? be32(find_opt(&out, 8) + 2) : 0;
	return v == TC_ACT_REDIRECT ? be32(t + 4) : 0;
}

/* The same shape's ClientHello after that SYN-ACK, echoing its TSval:
 * routed to backend 1. */
static void shaped_hello(const char *what, const struct shape *sh, int v6, uint16_t sport,
			 uint32_t cookie, uint32_t tsval)
{
	struct flow f = { .v6 = v6, .sport = sport, .dport = 443 };
	uint8_t hello[600], ts[12];
	size_t n = client_hello(hello, "a.example", NULL);
	uint64_t r = routed(1);
	struct pkt in, out;
	int v;

	inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00:6b73::2" : "198.18.0.2", f.src);
	inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00:6b73::1" : "198.18.0.1", f.dst);
	build_shaped(&in, &f, sh, 5001, cookie + 1, 0x18, ts, ts_opt(ts, 0x2000, tsval), hello, n);
	v = run(&in, &out);
	CHECK(routed(1) == r + 1, "%s: its ClientHello routed by SNI (verdict %d)", what, v);
}

static void test_frames(void)
{
	static const struct shape padded = { .pad_to = 60 }, ipopts = { .ip_opts = 1 },
				  dstopts = { .dstopts = 1 }, tagged = { .vlan = 0x0005 },
				  frag4 = { .frag = 1 }, frag6 = { .dstopts = 1, .frag = 1 };
	struct flow f = F4;
	struct pkt in, out;
	uint64_t bare = stat(KS_ST_BARE_ACK), mal = stat(KS_ST_MALFORMED), uns;
	uint32_t cookie, tsval;
	int v;

	/* A bare ACK without timestamps is 54 bytes; a NIC pads it to 60. */
	f.sport = 40200;
	build(&in, &f, 6000, 0, 0x02, NULL, 0, NULL, 0);
	run(&in, &out);
	cookie = be32(out.b + out.l4 + 4);
	build_shaped(&in, &f, &padded, 6001, cookie + 1, 0x10, NULL, 0, NULL, 0);
	CHECK(in.n == 60, "padded bare ACK is a 60-byte frame (%zu)", in.n);
	v = run(&in, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_BARE_ACK) == bare + 1 && stat(KS_ST_MALFORMED) == mal,
	      "padded bare ACK: a bare ACK (deferred), not 6 bytes of ClientHello (verdict %d)", v);
	/* Two bytes of ClientHello, padded: held, and only they acknowledged
	 * (in a table the limit tests left full, emptied first). */
	clear_held();
	build_shaped(&in, &f, &padded, 6001, cookie + 1, 0x18, NULL, 0, (const uint8_t *)"\x16\x03", 2);
	v = run(&in, &out);
	CHECK(v == TC_ACT_REDIRECT && out.b[out.l4 + 13] == 0x10 && be32(out.b + out.l4 + 8) == 6003,
	      "padded 2-byte first segment: held, ACK for 2 bytes, not 8 (ack %u, flags 0x%x, verdict %d)",
	      be32(out.b + out.l4 + 8), out.b[out.l4 + 13], v);
	shaped_syn("padded SYN without options", &padded, 0, 40201, &tsval);

	cookie = shaped_syn("IPv4 SYN with IP options", &ipopts, 0, 40202, &tsval);
	shaped_hello("IPv4 with IP options", &ipopts, 0, 40202, cookie, tsval);
	cookie = shaped_syn("IPv6 SYN behind a destination options header", &dstopts, 1, 40203, &tsval);
	shaped_hello("IPv6 behind a destination options header", &dstopts, 1, 40203, cookie, tsval);

	/* Ours, but not readable here: left to the kernel, counted. */
	uns = stat(KS_ST_UNSUPPORTED);
	f.sport = 40204;
	build_shaped(&in, &f, &tagged, 6000, 0, 0x02, NULL, 0, NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC && !memcmp(out.b, in.b, in.n) && stat(KS_ST_UNSUPPORTED) == uns + 1,
	      "SYN to the public address with a VLAN tag in the data: to the kernel, counted (verdict %d)", v);
	build_shaped(&in, &f, &frag4, 6000, 0, 0x02, NULL, 0, NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UNSUPPORTED) == uns + 2,
	      "IPv4 fragment to the public address: to the kernel, counted (verdict %d)", v);
	{
		struct flow f6 = { .v6 = 1, .sport = 40205, .dport = 443 };

		inet_pton(AF_INET6, "fd00:6b73::2", f6.src);
		inet_pton(AF_INET6, "fd00:6b73::1", f6.dst);
		build_shaped(&in, &f6, &frag6, 6000, 0, 0x02, NULL, 0, NULL, 0);
		v = run(&in, &out);
		CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UNSUPPORTED) == uns + 3,
		      "IPv6 fragment header to the public address: to the kernel, counted (verdict %d)", v);
	}
}

/* Write a sysctl of the fixtures' own namespace. */
static void sysctl_set(const char *name, const char *val)
{
	char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/%s", name);
	fp = fopen(path, "w");
	if (fp) {
		fputs(val, fp);
		fclose(fp);
	}
}

/* The cookie offers only what the namespace's TCP will accept. */
static void test_host_settings(void)
{
	static const struct {
		const char *sysctl;
		uint8_t opt;              /* the option that must not be offered */
	} off[] = { { "tcp_timestamps", 8 }, { "tcp_sack", 4 }, { "tcp_window_scaling", 3 } };
	struct flow f = F4;
	struct pkt in, out;
	uint64_t nc = stat(KS_ST_SYN_NO_COOKIES);
	uint32_t bits;
	int v;

	for (size_t i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		sysctl_set(off[i].sysctl, "0");
		f.sport = 40300 + i;
		build(&in, &f, 7000, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
		v = run(&in, &out);
		bits = synack_opts(&out);
		CHECK(v == TC_ACT_REDIRECT && !find_opt(&out, off[i].opt) &&
		      (off[i].opt != 8 || !(bits & KS_OPT_TS)) && (off[i].opt != 4 || !(bits >> 4 & 1)) &&
		      (off[i].opt != 3 || (bits & 0xf) == 0xf),
		      "net.ipv4.%s=0: the SYN-ACK and the cookie offer no option %u (verdict %d)",
		      off[i].sysctl, off[i].opt, v);
		sysctl_set(off[i].sysctl, "1");
	}
	sysctl_set("tcp_ecn", "0");
	f.sport = 40310;
	build(&in, &f, 7000, 0, 0x02 | 0x40 | 0x80, syn_opts, sizeof(syn_opts), NULL, 0);
	run(&in, &out);
	CHECK(out.b[out.l4 + 13] == 0x12 && !(synack_opts(&out) >> 5 & 1),
	      "net.ipv4.tcp_ecn=0: ECN asked for, none given");
	sysctl_set("tcp_ecn", "2");
	sysctl_set("tcp_syncookies", "0");
	f.sport = 40311;
	build(&in, &f, 7000, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC && !memcmp(out.b, in.b, in.n) && stat(KS_ST_SYN_NO_COOKIES) == nc + 1,
	      "net.ipv4.tcp_syncookies=0: the SYN is the kernel's, counted (verdict %d)", v);
	sysctl_set("tcp_syncookies", "1");
}

/* A connection between the client's and the public address over lo; the
 * server side's socket is returned, the client's in *cfd. */
static int local_conn(int lst, uint16_t sport, int *cfd)
{
	struct sockaddr_in c = { .sin_family = AF_INET, .sin_port = htons(sport) },
			   d = { .sin_family = AF_INET, .sin_port = htons(443) };
	int one = 1;

	inet_pton(AF_INET, "198.18.0.2", &c.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &d.sin_addr);
	*cfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(*cfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(*cfd, (void *)&c, sizeof(c)) || connect(*cfd, (void *)&d, sizeof(d)))
		return -1;
	return accept(lst, NULL, NULL);
}

/* A SO_REUSEPORT listener on the public address's port 443 (*lst) and a
 * connection to it from the client's port sport (*cli); the server side's
 * socket, or -1. SO_REUSEPORT: a TIME_WAIT an earlier case left on :443
 * does not stand in the way. */
static int public_conn(uint16_t sport, int *lst, int *cli)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(443) };
	int one = 1;

	inet_pton(AF_INET, "198.18.0.1", &a.sin_addr);
	*lst = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(*lst, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (bind(*lst, (void *)&a, sizeof(a)) || listen(*lst, 8))
		return -1;
	return local_conn(*lst, sport, cli);
}

/*
 * A SYN whose 4-tuple has a socket on the server: ESTABLISHED (the client
 * rebooted, or a NAT reused the port) or TIME_WAIT (the server closed
 * first): the kernel's, as without us. A listener on the public address
 * in a SO_REUSEPORT group without our program: refused, never hashed.
 */
static void test_existing_socket(void)
{
	uint64_t ex = stat(KS_ST_SYN_EXISTING), tw = stat(KS_ST_TW_DETOUR);
	uint64_t uns = stat(KS_ST_UNSTEERED_GROUP);
	struct ks_slot slot = { 6, 0 };
	struct flow f = F4;
	struct pkt in, out;
	int lst, srv, cli, v;
	uint8_t hello[600];
	size_t n;
	__u64 fdv;

	if ((srv = public_conn(41990, &lst, &cli)) < 0) {
		CHECK(0, "a local connection to the public address: %s", strerror(errno));
		return;
	}
	f.sport = 41990;
	build(&in, &f, 8000, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC && !memcmp(out.b, in.b, in.n) && stat(KS_ST_SYN_EXISTING) == ex + 1,
	      "SYN on the 4-tuple of an ESTABLISHED connection: the kernel's (verdict %d)", v);
	close(srv);                               /* the server closes first: TIME_WAIT */
	usleep(20000);
	close(cli);
	usleep(50000);
	v = run(&in, &out);
	CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_TW_DETOUR) == tw + 1,
	      "SYN on the 4-tuple of a TIME_WAIT socket: the kernel's (verdict %d)", v);

	fdv = lst;
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_listeners), &slot, &fdv, BPF_ANY);
	add_backend("shared", 6);
	add_route("u.example", 6, NULL, 16);
	n = client_hello(hello, "u.example", NULL);
	v = after_handshake(41991, hello, n, &out);
	CHECK(v == TC_ACT_REDIRECT && (out.b[out.l4 + 13] & 0x04) &&
	      stat(KS_ST_UNSTEERED_GROUP) == uns + 1,
	      "listener on the public port in a group without our program: refused (verdict %d)", v);
	bpf_map_delete_elem(bpf_map__fd(skel->maps.ks_listeners), &slot);
	close(lst);
}

/* ---- hand-back --------------------------------------------------------- */

static void hb_pending(__u64 n)
{
	__u32 k = KS_FB_HANDBACK_PENDING;

	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_fallback_stats), &k, &n, BPF_ANY);
}

static struct ks_flow hb_key(const struct flow *f)
{
	struct ks_flow k = { .sport = htons(f->sport), .dport = htons(f->dport) };

	memcpy(k.saddr, f->src, 4);
	memcpy(k.daddr, f->dst, 4);
	return k;
}

/* ksteerd's entry for f: state, backend, born age_ns ago. */
static void hb_put(const struct flow *f, __u32 state, __u32 backend, uint64_t age_ns)
{
	struct ks_handback e = { .state = state, .backend = backend, .mss = 1460,
				 .wscale_ok = 1, .snd_wscale = 7, .rcv_wscale = 7, .sack_ok = 1 };
	struct ks_flow k = hb_key(f);
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	e.born_ns = ts.tv_sec * 1000000000ull + ts.tv_nsec - age_ns;
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_handback), &k, &e, BPF_ANY);
}

static int hb_held(const struct flow *f)
{
	struct ks_flow k = hb_key(f);
	struct ks_handback e;

	return !bpf_map_lookup_elem(bpf_map__fd(skel->maps.ks_handback), &k, &e);
}

/* The segment ksteerd injects: its hello from seq, acking ours. */
static int hb_segment(const struct flow *f, __u32 mark, struct pkt *out)
{
	static uint8_t hello[1200];
	size_t n = client_hello(hello, "a.example", NULL);
	struct pkt in;

	build(&in, f, 123456, 654321, 0x18, NULL, 0, hello, n);
	return run_marked(&in, out, mark);
}

/*
 * What TC does with ks_handback. Under BPF_PROG_TEST_RUN the kfunc refuses
 * every listener (counted assign_error), so a placed hand-back shows as
 * reaching it: assign_error and handback_unplaced move, the entry stays
 * for ksteerd's next try.
 */
static void test_handback(void)
{
	struct flow f = F4;
	struct pkt out;
	uint64_t aerr, unpl, drop, stale, early, bad;
	int v;

	f.sport = 48000;
	hb_pending(1);
	hb_put(&f, KS_HB_READY, 1, 0);
	aerr = stat(KS_ST_ASSIGN_ERR), unpl = stat(KS_ST_HB_UNPLACED), drop = stat(KS_ST_HB_DROPPED);
	v = hb_segment(&f, KS_HANDBACK_MARK, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_ASSIGN_ERR) == aerr + 1 &&
	      stat(KS_ST_HB_UNPLACED) == unpl + 1 && stat(KS_ST_HB_DROPPED) == drop && hb_held(&f),
	      "hand-back: a marked segment of a READY flow reaches the kfunc for backend 1's "
	      "listener; refused here, the entry is kept for ksteerd (verdict %d)", v);

	v = hb_segment(&f, 0, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_HB_DROPPED) == drop + 1 &&
	      stat(KS_ST_ASSIGN_ERR) == aerr + 1 && hb_held(&f),
	      "hand-back: an unmarked segment of that flow (the client's) is dropped (verdict %d)", v);
	v = hb_segment(&f, KS_HANDBACK_MARK + 1, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_HB_DROPPED) == drop + 2,
	      "hand-back: another mark is not ours: dropped (verdict %d)", v);

	hb_put(&f, KS_HB_FROZEN, 1, 0);
	v = hb_segment(&f, KS_HANDBACK_MARK, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_HB_DROPPED) == drop + 3 &&
	      stat(KS_ST_ASSIGN_ERR) == aerr + 1,
	      "hand-back: a FROZEN flow is not placed, even marked (verdict %d)", v);

	hb_put(&f, KS_HB_READY, 2, 0);            /* backend 2 has no listener */
	v = hb_segment(&f, KS_HANDBACK_MARK, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_HB_UNPLACED) == unpl + 2 &&
	      stat(KS_ST_ASSIGN_ERR) == aerr + 1 && hb_held(&f),
	      "hand-back: a backend with no listener: not placed, never ksteerd's listener (verdict %d)", v);

	stale = stat(KS_ST_HB_STALE), early = stat(KS_ST_REASM_EARLY);
	hb_put(&f, KS_HB_READY, 1, KS_HANDBACK_LIFE_NS + 100000000ULL);
	v = hb_segment(&f, 0, &out);
	CHECK(stat(KS_ST_HB_STALE) == stale + 1 && !hb_held(&f) && stat(KS_ST_ASSIGN_ERR) == aerr + 1 &&
	      stat(KS_ST_REASM_EARLY) == early + 1,
	      "hand-back: an entry past its 1 s is ignored and deleted; the client's segment takes "
	      "the normal path (held as an unverified early segment, verdict %d)", v);

	f.sport = 48001;
	bad = stat(KS_ST_COOKIE_BAD), drop = stat(KS_ST_HB_DROPPED);
	{
		struct pkt in;

		build(&in, &f, 5000, 6000, 0x10, NULL, 0, NULL, 0);
		v = run(&in, &out);
		CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_COOKIE_BAD) == bad + 1 &&
		      stat(KS_ST_HB_DROPPED) == drop,
		      "hand-back: no entry for the flow: the normal cookie path (verdict %d)", v);
		v = run_marked(&in, &out, KS_HANDBACK_MARK);
		CHECK(v == TC_ACT_SHOT && stat(KS_ST_COOKIE_BAD) == bad + 1 &&
		      stat(KS_ST_HB_DROPPED) == drop + 1,
		      "hand-back: ksteerd's marked segment with no entry (placed, given up or stale "
		      "meanwhile): dropped, never the cookie path (verdict %d)", v);
	}

	hb_put(&f, KS_HB_READY, 1, 0);
	hb_pending(0);
	v = hb_segment(&f, 0, &out);
	CHECK(stat(KS_ST_ASSIGN_ERR) == aerr + 1 && stat(KS_ST_HB_DROPPED) == drop + 1 &&
	      stat(KS_ST_HB_UNPLACED) == unpl + 2 && hb_held(&f),
	      "hand-back: gauge 0: the table is not looked at, the client's segment takes the "
	      "normal path (verdict %d)", v);
	v = hb_segment(&f, KS_HANDBACK_MARK, &out);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_ASSIGN_ERR) == aerr + 1 &&
	      stat(KS_ST_HB_DROPPED) == drop + 2 && hb_held(&f),
	      "hand-back: gauge 0: a marked segment is dropped, not placed (verdict %d)", v);
	hb_pending(1);
}

/*
 * A flow being handed back that still has a socket (ksteerd's, before it
 * lets go): its segments are dropped, so no byte lands in a queue already
 * read. A real connection over lo from the client's to the public address
 * provides the socket the TC lookup finds.
 */
static void test_handback_frozen(void)
{
	uint64_t drop = stat(KS_ST_HB_DROPPED);
	struct flow f = F4;
	struct pkt in, out;
	int lst, srv, cli, v1, v2;

	if ((srv = public_conn(41992, &lst, &cli)) < 0) {
		CHECK(0, "a local connection for the frozen-flow case: %s", strerror(errno));
		return;
	}
	f.sport = 41992;
	build(&in, &f, 1, 1, 0x18, NULL, 0, (const uint8_t *)"late bytes", 10);
	v1 = run(&in, &out);
	hb_put(&f, KS_HB_FROZEN, 1, 0);
	v2 = run(&in, &out);
	CHECK(v1 == TC_ACT_UNSPEC && v2 == TC_ACT_SHOT && stat(KS_ST_HB_DROPPED) == drop + 1,
	      "hand-back: a segment to the established socket of a frozen flow is dropped, "
	      "passed without an entry (verdicts %d, %d)", v1, v2);
	close(srv);
	close(cli);
	close(lst);
}

/* ECN: a SYN with ECE|CWR gets ECE back and ecn_ok in the cookie. */
static void test_ecn(void)
{
	struct flow f = F4;
	struct pkt in, out;

	f.sport = 44001;
	build(&in, &f, 800, 0, 0x02 | 0x40 | 0x80, syn_opts, sizeof(syn_opts), NULL, 0);
	run(&in, &out);
	CHECK(out.b[out.l4 + 13] == (0x12 | 0x40) && (synack_opts(&out) >> 5 & 1),
	      "ECN requested: SYN-ACK has ECE, the options have ECN (flags 0x%02x)", out.b[out.l4 + 13]);
	build(&in, &f, 801, 0, 0x02, syn_opts, sizeof(syn_opts), NULL, 0);
	run(&in, &out);
	CHECK(out.b[out.l4 + 13] == 0x12, "no ECN asked: none given");
}

int main(void)
{
	struct ks_config cfg = { .ports = { htons(443) }, .flags = KS_CFG_ACTIVE,
				 .abi = KS_ABI_VERSION };
	struct bpf_map *m;
	__u32 zero = 0;

	if (geteuid()) {
		printf("skip - TC fixtures need root (BPF_PROG_TEST_RUN)\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	/* A namespace of our own: the fixtures set its TCP sysctls and
	 * open sockets on the public address. */
	if (unshare(CLONE_NEWNET) ||
	    system("ip link set lo up && ip addr add 198.18.0.1/32 dev lo && "
		   "ip addr add 198.18.0.2/32 dev lo")) {
		printf("FAIL - a network namespace for the fixtures: %s\n0 passed, 1 failed\n",
		       strerror(errno));
		return 1;
	}
	ncpu = libbpf_num_possible_cpus();
	skel = steer_tc__open();
	if (!skel) {
		printf("FAIL - open: %s\n0 passed, 1 failed\n", strerror(errno));
		return 1;
	}
	/* Private maps: the fixtures must not touch a running ksteer. */
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);
	ks_reasm_size(skel->obj, 4);   /* 4 flows; the pool's least: 64 chunks */
	ks_size_cpu_maps(skel->obj);
	if (steer_tc__load(skel)) {
		printf("FAIL - load: %s\n0 passed, 1 failed\n", strerror(errno));
		return 1;
	}
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_config), &zero, &cfg, BPF_ANY);
	ks_reasm_pool_fill(skel->obj);
	publish_keys(KEY0, NULL, 0);
	public_addr(AF_INET, "198.18.0.1", 1);
	public_addr(AF_INET6, "fd00:6b73::1", 1);
	test_syn();
	test_ack_paths();
	test_cookie_layouts();
	test_cookie_verify();
	test_cookie_options_given();
	test_cookie_slots();
	test_key_rotation();
	test_cookie_clock();
	test_keys_atomic();
	test_routes();
	test_ecn();
	test_reassembly();
	test_reasm_timestamps();
	test_reasm_limits();
	test_reasm_robust();
	test_reasm_share();
	test_not_ours();
	test_frames();
	test_host_settings();
	test_existing_socket();
	test_handback();
	test_handback_frozen();
	close(lfd);
	steer_tc__destroy(skel);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
