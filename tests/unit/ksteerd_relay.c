// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksteerd, part 2: a connection routed
 * to a backend's own proxy target, which the test plays with a loopback
 * listener. The relay must move the ClientHello and then bytes both ways
 * at once, in order; pass each side's FIN on alone (half-close) and end
 * when both have; end on a reset; say who the client is in a PROXY v2
 * header; and keep the pipes of a finished relay for the next one.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include "test_ksteerd.h"

/* The bytes each direction carries: a pattern no shift of it repeats soon. */
static __u8 t_pattern(size_t i, int dir)
{
	return (__u8)(i * 7 + i / 251 + dir);
}

struct t_flow {
	int from, to;
	size_t n, sent, got;
	int dir, bad;
};

/* What can move of one direction now, without blocking either end. */
static void t_flow_step(struct t_flow *f)
{
	static __u8 b[65536];
	ssize_t k;

	while (f->sent < f->n) {
		size_t want = f->n - f->sent < sizeof(b) ? f->n - f->sent : sizeof(b);

		for (size_t i = 0; i < want; i++)
			b[i] = t_pattern(f->sent + i, f->dir);
		k = send(f->from, b, want, MSG_DONTWAIT);
		if (k <= 0)
			break;
		f->sent += k;
	}
	while ((k = recv(f->to, b, sizeof(b), MSG_DONTWAIT)) > 0) {
		for (ssize_t i = 0; i < k; i++)
			f->bad |= b[i] != t_pattern(f->got + i, f->dir);
		f->got += k;
	}
}

/* n_up bytes from the client to the upstream and n_down back, at once,
 * through ksteerd; 0 when each arrived whole and in order. */
static int t_exchange(struct t_env *te, int cli, int up, size_t n_up, size_t n_down)
{
	struct t_flow f[2] = { { .from = cli, .to = up, .n = n_up, .dir = 0 },
			       { .from = up, .to = cli, .n = n_down, .dir = 1 } };
	uint64_t until = fb_now_ms() + 10000;

	while ((f[0].got < n_up || f[1].got < n_down) && fb_now_ms() < until) {
		t_flow_step(&f[0]);
		t_flow_step(&f[1]);
		t_turn(te, 2);
	}
	return f[0].got == n_up && f[1].got == n_down && !f[0].bad && !f[1].bad ? 0 : -1;
}

/* Exactly n bytes from fd into buf, turning ksteerd meanwhile; how many came. */
static size_t t_recv_n(struct t_env *te, int fd, __u8 *buf, size_t n)
{
	uint64_t until = fb_now_ms() + 2000;
	size_t got = 0;
	ssize_t k;

	while (got < n && fb_now_ms() < until) {
		k = recv(fd, buf + got, n - got, MSG_DONTWAIT);
		if (k > 0)
			got += k;
		else if (k == 0)
			break;
		else
			t_turn(te, 2);
	}
	return got;
}

/* The upstream's end of the connection ksteerd made to listener l. */
static int t_upstream_accept(struct t_env *te, int l)
{
	uint64_t until = fb_now_ms() + 2000;
	int fd;

	while ((fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0 &&
	       fb_now_ms() < until)
		t_turn(te, 2);
	return fd;
}

struct t_proxy {
	int family;
	__u32 flags;              /* KS_BE_PROXY_V2 or 0, besides IN_USE | PROXY */
	int wildcard;             /* the target named 0.0.0.0 / [::] */
	int cli, up;              /* the client's end, the upstream's */
	__u8 hello[4096];
	size_t len;
};

/* A connection from p->family's loopback routed to backend B, a proxy to a
 * listener of the test; the ClientHello sent, the upstream accepted, the
 * PROXY v2 header (if any) left unread. -1 when it cannot be set up. */
static int t_proxied(struct t_env *te, struct t_proxy *p)
{
	struct ks_backend_info *bi = &t_backend[T_B];
	int l, srv;

	p->cli = p->up = -1;
	p->len = t_capture("curl_h2.bin", p->hello, sizeof(p->hello));
	l = t_listener(p->family, &bi->target);
	if (!p->len || l < 0)
		return -1;
	t_nonblock(l);
	bi->flags = KS_BE_IN_USE | KS_BE_PROXY | p->flags;
	if (p->wildcard)
		memset(bi->target.addr, 0, sizeof(bi->target.addr));
	t_routes[0] = (struct t_route){ "curl.example.com", T_B };
	if (t_tcp_pair(p->family, &p->cli, &srv)) {
		close(l);
		return -1;
	}
	fb_accept(&te->env, srv);
	send(p->cli, p->hello, p->len, 0);
	p->up = t_upstream_accept(te, l);
	close(l);
	return p->up < 0 ? -1 : 0;
}

static void t_proxy_close(struct t_proxy *p)
{
	if (p->cli >= 0)
		close(p->cli);
	if (p->up >= 0)
		close(p->up);
	p->cli = p->up = -1;
}

/* The ClientHello reaches the upstream whole, first thing. */
static void t_expect_hello(struct t_env *te, struct t_proxy *p)
{
	static __u8 got[4096];

	EXPECT(t_recv_n(te, p->up, got, p->len) == p->len && !memcmp(got, p->hello, p->len),
	       "the upstream reads the ClientHello first");
}

/*
 * A relay subtest: its body runs on a connection proxied as the row says
 * (family, PROXY v2, a wildcard target), the ClientHello sent, the
 * upstream accepted; then everything is released.
 */
struct relay_case {
	const char *name;
	void (*body)(struct t_env *te, struct t_proxy *p, const struct relay_case *rc);
	int family;
	__u32 flags;              /* KS_BE_PROXY_V2 or 0 */
	int wildcard;
	int first_up;             /* half-close: the upstream's FIN first */
};

static void relay_run(const struct relay_case *rc)
{
	struct t_proxy p = { .family = rc->family, .flags = rc->flags, .wildcard = rc->wildcard,
			     .cli = -1, .up = -1 };
	struct t_env *te = NULL;

	t_begin(rc->name);
	if (!t_has_loopback(rc->family)) {
		t_skip("no loopback of that family");
		return;
	}
	t_reset_world();
	te = t_env_new(NULL);
	if (te && !t_proxied(te, &p))
		rc->body(te, &p, rc);
	else
		EXPECT(0, "set up");
	t_proxy_close(&p);
	t_env_free(te);
	t_end();
}

static void both_ways(struct t_env *te, struct t_proxy *p, const struct relay_case *rc)
{
	t_expect_hello(te, p);
	EXPECT(te->env.held == 1 && te->stats[KS_FB_PROXY] == 1, "one proxied connection");
	/* Routed, it has no deadline: a relay outlives the ClientHello's. */
	t_settle(te, te->cfg.deadline_ms + 100);
	EXPECT(!te->stats[KS_FB_TIMEOUT], "no timeout once routed");
	EXPECT(!t_exchange(te, p->cli, p->up, 1 << 20, 1 << 20),
	       "1 MB each way, whole and in order");
	t_proxy_close(p);
	EXPECT(!t_until_idle(te, 2000), "both closed: ksteerd holds nothing");
	EXPECT(!te->stats[KS_FB_PROXY_FAILED], "nothing failed");
}

/* One side's FIN goes through alone; the other side still talks; its FIN
 * ends the relay. */
static void half_close(struct t_env *te, struct t_proxy *p, const struct relay_case *rc)
{
	int first = rc->first_up ? p->up : p->cli, second = rc->first_up ? p->cli : p->up;
	enum t_heard h;

	t_expect_hello(te, p);
	shutdown(first, SHUT_WR);
	h = t_wait_heard(te, second, 1000);
	EXPECT(h == T_EOF, "the other side hears EOF, not %s", t_heard_name(h));
	EXPECT(te->env.held == 1, "the relay goes on, half-closed");
	EXPECT(!(rc->first_up ? t_exchange(te, p->cli, p->up, 100000, 0) :
		 t_exchange(te, p->cli, p->up, 0, 100000)),
	       "the other side still sends 100 KB, all received");
	shutdown(second, SHUT_WR);
	h = t_wait_heard(te, first, 1000);
	EXPECT(h == T_EOF, "then the first hears EOF, not %s", t_heard_name(h));
	EXPECT(!t_until_idle(te, 1000), "both FINs passed on: ksteerd holds nothing");
	EXPECT(te->env.pipes.n == 2, "its two pipes kept for the next relay (%d)", te->env.pipes.n);
	EXPECT(te->stats[KS_FB_PROXY] == 1 && !te->stats[KS_FB_PROXY_FAILED], "counted one proxy");
}

static void client_resets(struct t_env *te, struct t_proxy *p, const struct relay_case *rc)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	enum t_heard h;

	t_expect_hello(te, p);
	setsockopt(p->cli, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(p->cli);
	p->cli = -1;
	h = t_wait_heard(te, p->up, 1000);
	EXPECT(h == T_EOF, "the upstream hears EOF, not %s", t_heard_name(h));
	EXPECT(!t_until_idle(te, 1000), "ksteerd holds nothing");
}

/* Two relays one after the other: the second takes the first one's pipes. */
static void test_pipes_reused(void)
{
	struct t_proxy p = { .family = AF_INET };
	struct t_env *te;
	int rounds = 0;

	t_begin("relay: a finished relay's pipes serve the next one");
	t_reset_world();
	te = t_env_new(NULL);
	for (int i = 0; te && i < 2; i++) {
		if (t_proxied(te, &p))
			break;
		t_expect_hello(te, &p);
		EXPECT(te->env.pipes.n == 0, "relay %d took %s pipes", i, i ? "the pooled" : "new");
		EXPECT(!t_exchange(te, p.cli, p.up, 5000, 5000), "relay %d moves its bytes", i);
		t_proxy_close(&p);
		EXPECT(!t_until_idle(te, 1000) && te->env.pipes.n == 2,
		       "relay %d's pipes pooled", i);
		rounds++;
	}
	EXPECT(rounds == 2, "two relays");
	t_proxy_close(&p);
	t_env_free(te);
	t_end();
}

/* ---- PROXY v2 --------------------------------------------------------- */

static const __u8 t_v2_sig[12] = {
	'\r', '\n', '\r', '\n', 0, '\r', '\n', 'Q', 'U', 'I', 'T', '\n',
};

/* hdr as fb_proxy_v2.c draws it, for the connection whose client end is
 * cli: signature, 0x21, TCP over the family, the length, then the
 * client's address, the address it connected to, their ports. */
static void t_expect_v2(const __u8 *hdr, int cli)
{
	struct sockaddr_storage me, peer;
	socklen_t ml = sizeof(me), pl = sizeof(peer);
	int v6;
	size_t alen, n;

	getsockname(cli, (struct sockaddr *)&me, &ml);
	getpeername(cli, (struct sockaddr *)&peer, &pl);
	v6 = me.ss_family == AF_INET6;
	alen = v6 ? 16 : 4;
	n = 2 * alen + 4;
	EXPECT(!memcmp(hdr, t_v2_sig, 12), "the signature");
	EXPECT(hdr[12] == 0x21, "version 2, PROXY (0x%02x)", hdr[12]);
	EXPECT(hdr[13] == (v6 ? 0x21 : 0x11), "TCP over IPv%d (0x%02x)", v6 ? 6 : 4, hdr[13]);
	EXPECT(hdr[14] == 0 && hdr[15] == n, "length %zu (%u)", n, hdr[14] << 8 | hdr[15]);
	if (v6) {
		struct sockaddr_in6 *s = (void *)&me, *d = (void *)&peer;

		EXPECT(!memcmp(hdr + 16, &s->sin6_addr, 16), "source: the client's address");
		EXPECT(!memcmp(hdr + 32, &d->sin6_addr, 16), "destination: where it connected");
		EXPECT(!memcmp(hdr + 48, &s->sin6_port, 2), "source port: the client's");
		EXPECT(!memcmp(hdr + 50, &d->sin6_port, 2), "destination port: the listener's");
	} else {
		struct sockaddr_in *s = (void *)&me, *d = (void *)&peer;

		EXPECT(!memcmp(hdr + 16, &s->sin_addr, 4), "source: the client's address");
		EXPECT(!memcmp(hdr + 20, &d->sin_addr, 4), "destination: where it connected");
		EXPECT(!memcmp(hdr + 24, &s->sin_port, 2), "source port: the client's");
		EXPECT(!memcmp(hdr + 26, &d->sin_port, 2), "destination port: the listener's");
	}
}

static const struct v2_case {
	const char *name;
	int family;
	size_t room;              /* the buffer given */
	int want;                 /* the header's length, or -1 */
} v2_cases[] = {
	{ "proxy v2 header: TCP over IPv4 is 28 bytes", AF_INET, 64, 28 },
	{ "proxy v2 header: TCP over IPv6 is 52 bytes", AF_INET6, 64, 52 },
	{ "proxy v2 header: exactly 52 bytes of room suffice", AF_INET, 52, 28 },
	{ "proxy v2 header: 51 bytes of room: none", AF_INET, 51, -1 },
	{ "proxy v2 header: a unix socket has no address to state: none", AF_UNIX, 64, -1 },
};

static void v2_run(const struct v2_case *vc)
{
	__u8 hdr[64];
	int cli = -1, srv = -1, sv[2], n;

	t_begin(vc->name);
	if (vc->family != AF_UNIX && !t_has_loopback(vc->family)) {
		t_skip("no loopback of that family");
		return;
	}
	if (vc->family == AF_UNIX && !socketpair(AF_UNIX, SOCK_STREAM, 0, sv)) {
		cli = sv[0];
		srv = sv[1];
	} else if (vc->family != AF_UNIX) {
		EXPECT(!t_tcp_pair(vc->family, &cli, &srv), "a loopback connection");
	}
	n = fb_proxy_v2_header(srv, hdr, vc->room);
	EXPECT(n == vc->want, "length %d, want %d", n, vc->want);
	if (n > 0)
		t_expect_v2(hdr, cli);
	if (cli >= 0)
		close(cli);
	if (srv >= 0)
		close(srv);
	t_end();
}

/* Through the relay: the header, then the ClientHello, on the upstream. */
static void proxied_v2(struct t_env *te, struct t_proxy *p, const struct relay_case *rc)
{
	size_t hl = rc->family == AF_INET6 ? 52 : 28;
	__u8 hdr[52];

	EXPECT(t_recv_n(te, p->up, hdr, hl) == hl, "a %zu-byte header first", hl);
	t_expect_v2(hdr, p->cli);
	t_expect_hello(te, p);
	EXPECT(!t_exchange(te, p->cli, p->up, 3000, 3000), "then the relay as without it");
	t_proxy_close(p);
	EXPECT(!t_until_idle(te, 1000), "ksteerd holds nothing");
}

static const struct relay_case relay_cases[] = {
	{ .name = "relay: the ClientHello, past the deadline 1 MB each way at once, in order",
	  .body = both_ways, .family = AF_INET },
	{ .name = "relay: over IPv6 too", .body = both_ways, .family = AF_INET6 },
	{ .name = "half-close: the client's FIN passes alone, the upstream still answers",
	  .body = half_close, .family = AF_INET },
	{ .name = "half-close: the upstream's FIN passes alone, the client still sends",
	  .body = half_close, .family = AF_INET, .first_up = 1 },
	{ .name = "relay: the client resets mid-relay: the upstream is closed too",
	  .body = client_resets, .family = AF_INET },
	{ .name = "proxy v2: over IPv4, the header before the ClientHello",
	  .body = proxied_v2, .family = AF_INET, .flags = KS_BE_PROXY_V2 },
	{ .name = "proxy v2: over IPv6, the header before the ClientHello",
	  .body = proxied_v2, .family = AF_INET6, .flags = KS_BE_PROXY_V2 },
	{ .name = "proxy: a target of 0.0.0.0 is this host (with a v2 header)",
	  .body = proxied_v2, .family = AF_INET, .flags = KS_BE_PROXY_V2, .wildcard = 1 },
	{ .name = "proxy: a target of [::] is this host (with a v2 header)",
	  .body = proxied_v2, .family = AF_INET6, .flags = KS_BE_PROXY_V2, .wildcard = 1 },
};

void test_relay(void)
{
	T_EACH(relay_cases, relay_run);
	test_pipes_reused();
	T_EACH(v2_cases, v2_run);
}
