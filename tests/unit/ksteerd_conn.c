// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksteerd, part 1: one connection from
 * fb_accept to where it goes. Each row of the table sends its bytes (a
 * real capture or crafted ones) in the pieces it names, or stops and
 * stays silent, and says where the connection must end and what must be
 * counted; every row also checks that ksteerd holds nothing afterwards.
 * Then routed connections whose backend cannot take them (a table too),
 * many connections at once, and the connection cap.
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

enum t_want {
	W_A,              /* handed off to backend A, its bytes unread */
	W_DEFAULT,        /* handed off to the default route's backend */
	W_RESET,          /* refused: the client gets a RST */
	W_GONE,           /* the client left first: ksteerd just closes (EOF) */
};

struct peek_case {
	const char *name;
	const char *capture;      /* tests/data/captures/NAME, or the bytes below */
	const __u8 *bytes;
	size_t len;
	size_t cuts[6];           /* sent in pieces ending at these offsets */
	size_t stop;              /* only this many bytes sent, then silence */
	int silent;               /* nothing sent at all */
	int leaves;               /* the client closes after sending */
	int no_default;           /* no default route */
	int max_hello;            /* --max-hello, if not the test's */
	int http;                 /* it arrives on a plain-HTTP port */
	enum t_want want;
	__u64 counted[KS_FB_MAX]; /* what must be counted, besides one accept */
};

#define BYTES(a) .bytes = (a), .len = sizeof(a)
#define TEXT(s) .bytes = (const __u8 *)(s), .len = sizeof(s) - 1

static const __u8 rec_empty[] = { 0x16, 3, 1, 0, 0 };
static const __u8 server_hello[] = { 0x16, 3, 1, 0, 8, 2, 0, 0, 4, 3, 3, 0, 0 };
/* A handshake header claiming 128 KB: past ksteerd's 64 KB at once. */
static const __u8 hs_128k[] = { 0x16, 3, 1, 0, 4, 1, 2, 0, 0 };
/* A 16 KB record whose ClientHello is still incomplete at 1024 bytes. */
static const __u8 past_cap[1100] = { 0x16, 3, 1, 0x40, 0, 1, 0, 0x3f, 0xfc };

static const struct peek_case peek_cases[] = {
	{ .name = "peek: a whole ClientHello: routed by its SNI, handed off unread",
	  .capture = "curl_h2.bin", .want = W_A, .counted = { [KS_FB_HANDOFF] = 1 } },
	{ .name = "peek: a ClientHello in 5 pieces: peeked until whole, then routed",
	  .capture = "chromium_1.bin", .cuts = { 100, 500, 1000, 1900 }, .want = W_A,
	  .counted = { [KS_FB_HANDOFF] = 1 } },
	{ .name = "peek: the record header a byte at a time, then the rest",
	  .capture = "curl_h11.bin", .cuts = { 1, 2, 3, 4, 5 }, .want = W_A,
	  .counted = { [KS_FB_HANDOFF] = 1 } },
	{ .name = "deadline: half a ClientHello, then silence: to the default route",
	  .capture = "chromium_1.bin", .cuts = { 300 }, .stop = 1000, .want = W_DEFAULT,
	  .counted = { [KS_FB_TIMEOUT] = 1, [KS_FB_TO_DEFAULT] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "deadline: a client that sends nothing: to the default route",
	  .silent = 1, .want = W_DEFAULT,
	  .counted = { [KS_FB_TIMEOUT] = 1, [KS_FB_TO_DEFAULT] = 1, [KS_FB_HANDOFF] = 1 } },
	/* Nothing unread: only SO_LINGER 0 makes this close a reset. */
	{ .name = "deadline: a client that sends nothing, no default route: refused",
	  .silent = 1, .no_default = 1, .want = W_RESET,
	  .counted = { [KS_FB_TIMEOUT] = 1, [KS_FB_NO_ROUTE] = 1 } },
	{ .name = "deadline: half a ClientHello, no default route: refused",
	  .capture = "chromium_1.bin", .stop = 1000, .no_default = 1, .want = W_RESET,
	  .counted = { [KS_FB_TIMEOUT] = 1, [KS_FB_NO_ROUTE] = 1 } },
	{ .name = "malformed: an HTTP request: to the default route",
	  TEXT("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n"), .want = W_DEFAULT,
	  .counted = { [KS_FB_MALFORMED] = 1, [KS_FB_TO_DEFAULT] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "malformed: an empty record: to the default route",
	  BYTES(rec_empty), .want = W_DEFAULT,
	  .counted = { [KS_FB_MALFORMED] = 1, [KS_FB_TO_DEFAULT] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "malformed: a ServerHello, no default route: refused",
	  BYTES(server_hello), .no_default = 1, .want = W_RESET,
	  .counted = { [KS_FB_MALFORMED] = 1, [KS_FB_NO_ROUTE] = 1 } },
	{ .name = "malformed: an HTTP request, no default route: refused",
	  TEXT("GET / HTTP/1.1\r\n\r\n"), .no_default = 1, .want = W_RESET,
	  .counted = { [KS_FB_MALFORMED] = 1, [KS_FB_NO_ROUTE] = 1 } },
	{ .name = "too big: a handshake message of 128 KB: refused at once",
	  BYTES(hs_128k), .want = W_RESET, .counted = { [KS_FB_TOO_BIG] = 1 } },
	{ .name = "too big: --max-hello bytes peeked and still incomplete: refused",
	  BYTES(past_cap), .max_hello = 1024, .want = W_RESET,
	  .counted = { [KS_FB_TOO_BIG] = 1 } },
	{ .name = "no route: a name nobody serves goes to the default route",
	  .capture = "firefox_1.bin", .want = W_DEFAULT, .counted = { [KS_FB_HANDOFF] = 1 } },
	{ .name = "no route: a name nobody serves, no default route: refused",
	  .capture = "firefox_1.bin", .no_default = 1, .want = W_RESET,
	  .counted = { [KS_FB_NO_ROUTE] = 1 } },
	{ .name = "http: a request head in 3 pieces: routed by its Host, handed off unread",
	  TEXT("GET / HTTP/1.1\r\nUser-Agent: t\r\nHost: Curl.Example.com:80\r\n\r\n"),
	  .cuts = { 10, 40 }, .http = 1, .want = W_A,
	  .counted = { [KS_FB_HTTP] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "http: an absolute-form target names the host",
	  TEXT("GET http://chrome.example.com/x HTTP/1.1\r\nHost: other\r\n\r\n"), .http = 1,
	  .want = W_A, .counted = { [KS_FB_HTTP] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "http: HTTP/1.0 without Host: to the default route",
	  TEXT("GET / HTTP/1.0\r\n\r\n"), .http = 1, .want = W_DEFAULT,
	  .counted = { [KS_FB_HTTP] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "http: a second Host: malformed, to the default route",
	  TEXT("GET / HTTP/1.1\r\nHost: curl.example.com\r\nHost: x\r\n\r\n"), .http = 1,
	  .want = W_DEFAULT, .counted = { [KS_FB_HTTP] = 1, [KS_FB_MALFORMED] = 1,
					  [KS_FB_TO_DEFAULT] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "http: a head cut short, then silence: to the default at the deadline",
	  TEXT("GET / HTTP/1.1\r\nHost: curl.example.com\r\n"), .stop = 20, .http = 1,
	  .want = W_DEFAULT, .counted = { [KS_FB_TIMEOUT] = 1, [KS_FB_TO_DEFAULT] = 1,
					  [KS_FB_HANDOFF] = 1 } },
	{ .name = "ssh: an SSH client on a TLS port, its ident in 2 pieces: to the SSH route",
	  TEXT("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"), .cuts = { 4 }, .want = W_A,
	  .counted = { [KS_FB_SSH] = 1, [KS_FB_HANDOFF] = 1 } },
	{ .name = "closed early: the client leaves before its first byte",
	  .silent = 1, .leaves = 1, .want = W_GONE, .counted = { [KS_FB_CLOSED_EARLY] = 1 } },
	/* A FIN behind queued bytes: the peek still sees the bytes, so the
	 * connection waits for its deadline like any other. */
	{ .name = "closed early: half a ClientHello, a FIN: to the default route at the deadline",
	  .capture = "chromium_1.bin", .stop = 700, .leaves = 1, .want = W_DEFAULT,
	  .counted = { [KS_FB_TIMEOUT] = 1, [KS_FB_TO_DEFAULT] = 1, [KS_FB_HANDOFF] = 1 } },
};

/* A backend socket has a hand-off waiting. */
static int t_pending(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	return lfd >= 0 && poll(&p, 1, 0) == 1;
}

/* Send the row's bytes in its pieces; between two, ksteerd must go on
 * peeking and deliver nothing. */
static void peek_send(struct t_env *te, const struct peek_case *pc, int cli, const __u8 *b,
		      size_t len, int a, int d)
{
	size_t end = pc->silent ? 0 : pc->stop ? pc->stop : len, at = 0;

	for (int i = 0; i < 6 && pc->cuts[i] && pc->cuts[i] < end; i++) {
		EXPECT(send(cli, b + at, pc->cuts[i] - at, 0) == (ssize_t)(pc->cuts[i] - at),
		       "send piece %d", i);
		at = pc->cuts[i];
		t_settle(te, 20);
		EXPECT(te->env.peeking.head && te->env.peeking.head->state == FB_PEEK,
		       "still peeking after %zu bytes", at);
		EXPECT(!t_pending(a) && !t_pending(d), "nothing delivered after %zu bytes", at);
	}
	if (end > at)
		EXPECT(send(cli, b + at, end - at, 0) == (ssize_t)(end - at), "send the rest");
}

/* Where the row's connection ended, as the client and the backends see it
 * (the client sent b[0, sent)). */
static void peek_outcome(struct t_env *te, const struct peek_case *pc, int cli, const __u8 *b,
			 size_t sent, int a, int d)
{
	int to = pc->want == W_A ? a : pc->want == W_DEFAULT ? d : -1, got;
	static __u8 unread[4096];
	enum t_heard h;

	if (pc->want == W_GONE) {
		h = t_wait_heard(te, cli, 1000);
		EXPECT(h == T_EOF, "the client hears EOF, not %s", t_heard_name(h));
		return;
	}
	if (to < 0) {
		h = t_wait_heard(te, cli, 1000);
		EXPECT(h == T_RESET, "the client hears a reset, not %s", t_heard_name(h));
		EXPECT(!t_pending(a) && !t_pending(d), "no backend got it");
		return;
	}
	got = t_handoff_take(to);
	EXPECT(got >= 0, "the %s backend got the socket", pc->want == W_A ? "routed" : "default");
	EXPECT(!t_pending(to == a ? d : a), "and no other backend");
	if (got < 0)
		return;
	EXPECT(t_same_conn(cli, got), "it is the client's own connection");
	t_nonblock(got);
	EXPECT(sent == 0 ? recv(got, unread, sizeof(unread), 0) < 0 :
	       recv(got, unread, sizeof(unread), 0) == (ssize_t)sent && !memcmp(unread, b, sent),
	       "with the %zu bytes sent still unread", sent);
	h = t_hear(cli);
	EXPECT(h == T_QUIET, "the client hears nothing from ksteerd, not %s", t_heard_name(h));
	close(got);
}

/* One accept, and of the rest exactly what want says. */
static void t_expect_counted(const struct t_env *te, const __u64 *want)
{
	EXPECT(te->stats[KS_FB_ACCEPTED] == 1, "one accepted");
	for (int i = 0; i < KS_FB_MAX; i++)
		if (i != KS_FB_ACCEPTED)
			EXPECT(te->stats[i] == want[i], "counter %d: %llu, want %llu", i,
			       (unsigned long long)te->stats[i], (unsigned long long)want[i]);
}

static void peek_run(const struct peek_case *pc)
{
	static __u8 b[4096];
	struct fb_cfg cfg = t_cfg;
	size_t len = pc->len;
	struct t_env *te;
	int cli, srv, a, d = -1;
	uint64_t t0;

	t_begin(pc->name);
	if (pc->capture && !(len = t_capture(pc->capture, b, sizeof(b)))) {
		t_skip("no capture (run from the top of the tree)");
		return;
	}
	if (!pc->capture && len)
		memcpy(b, pc->bytes, len);
	t_reset_world();
	a = t_handoff_backend(T_A, "a");
	t_routes[0] = (struct t_route){ "curl.example.com", T_A };
	t_routes[1] = (struct t_route){ "chrome.example.com", T_A };
	if (!pc->no_default) {
		d = t_handoff_backend(T_DEFAULT, "d");
		t_routes[2] = (struct t_route){ "", T_DEFAULT };
	}
	if (pc->max_hello)
		cfg.max_hello = pc->max_hello;
	te = t_env_new(&cfg);
	EXPECT(te && a >= 0 && (pc->no_default || d >= 0), "set up");
	if (te && pc->http)
		t_env_http(te);
	if (!te || t_tcp_pair(AF_INET, &cli, &srv)) {
		EXPECT(0, "a loopback connection");
		goto out;
	}
	t0 = fb_now_ms();
	fb_accept(&te->env, srv);
	peek_send(te, pc, cli, b, len, a, d);
	if (pc->leaves)
		shutdown(cli, SHUT_WR);
	EXPECT(!t_until_idle(te, cfg.deadline_ms + 2000), "ksteerd holds nothing in the end");
	if ((pc->stop || pc->silent) && pc->want != W_GONE)
		EXPECT(fb_now_ms() - t0 >= (uint64_t)cfg.deadline_ms,
		       "not before the deadline (%llu ms)", (unsigned long long)(fb_now_ms() - t0));
	else
		EXPECT(fb_now_ms() - t0 < (uint64_t)cfg.deadline_ms, "decided before the deadline "
		       "(%llu ms)", (unsigned long long)(fb_now_ms() - t0));
	peek_outcome(te, pc, cli, b, pc->silent ? 0 : pc->stop ? pc->stop : len, a, d);
	t_expect_counted(te, pc->counted);
	close(cli);
out:
	t_env_free(te);
	t_handoff_close(T_A, a);
	t_handoff_close(T_DEFAULT, d);
	t_end();
}

/*
 * A routed connection whose backend cannot take it: the client is reset,
 * and one reason counted. Backend B as the row says: an address backend
 * (hand-back impossible here, no proxy target), a hand-off socket that is
 * gone, a proxy target where nobody listens.
 */
static const struct refusal_case {
	const char *name;
	__u32 flags;
	__u64 counted[KS_FB_MAX];
} refusal_cases[] = {
	{ "refused: a backend with no hand-off, no proxy target, no hand-back",
	  KS_BE_IN_USE | KS_BE_HAS_ADDR, { [KS_FB_REFUSED_NO_CLIENT_ADDR] = 1 } },
	{ "refused: a hand-off backend whose socket is gone",
	  KS_BE_IN_USE | KS_BE_HANDOFF, { [KS_FB_HANDOFF_FAILED] = 1 } },
	{ "refused: a proxy target that refuses the connection",
	  KS_BE_IN_USE | KS_BE_PROXY, { [KS_FB_PROXY_FAILED] = 1 } },
};

/* Backend B as the row has it; its hand-off path and proxy target lead
 * nowhere (the port of a listener just closed). */
static void refusal_backend(const struct refusal_case *rc)
{
	struct ks_backend_info *bi = &t_backend[T_B];

	bi->flags = rc->flags;
	snprintf(bi->path, sizeof(bi->path), "/tmp/ks-test-ksteerd-%d-none", getpid());
	if (rc->flags & KS_BE_PROXY)
		close(t_listener(AF_INET, &bi->target));
}

static void refusal_run(const struct refusal_case *rc)
{
	static __u8 b[4096];
	size_t len = t_capture("curl_h2.bin", b, sizeof(b));
	struct t_env *te;
	enum t_heard h;
	int cli = -1, srv;

	t_begin(rc->name);
	t_reset_world();
	refusal_backend(rc);
	t_routes[0] = (struct t_route){ "curl.example.com", T_B };
	te = t_env_new(NULL);
	if (!te || !len || t_tcp_pair(AF_INET, &cli, &srv)) {
		EXPECT(0, "set up");
		goto out;
	}
	fb_accept(&te->env, srv);
	send(cli, b, len, 0);
	EXPECT(!t_until_idle(te, 2000), "ksteerd holds nothing in the end");
	h = t_wait_heard(te, cli, 1000);
	EXPECT(h == T_RESET, "the client hears a reset, not %s", t_heard_name(h));
	t_expect_counted(te, rc->counted);
out:
	if (cli >= 0)
		close(cli);
	t_env_free(te);
	t_end();
}

/* --max-conns 1: a second connection is closed unread; the first goes on. */
static void test_capacity(void)
{
	struct fb_cfg cfg = t_cfg;
	struct t_env *te;
	int c1 = -1, s1, c2 = -1, s2;
	enum t_heard h;

	t_begin("capacity: at --max-conns the next connection is closed unread");
	t_reset_world();
	cfg.max_conns = 1;
	te = t_env_new(&cfg);
	if (!te || t_tcp_pair(AF_INET, &c1, &s1) || t_tcp_pair(AF_INET, &c2, &s2)) {
		EXPECT(0, "set up");
		goto out;
	}
	fb_accept(&te->env, s1);
	fb_accept(&te->env, s2);
	t_settle(te, 20);
	h = t_hear(c2);
	EXPECT(h == T_EOF, "the second hears EOF, not %s", t_heard_name(h));
	EXPECT(te->env.held == 1 && te->stats[KS_FB_ACTIVE] == 1, "one held");
	EXPECT(te->stats[KS_FB_ACCEPTED] == 2, "both counted accepted");
	close(c1);                                /* the first leaves: freed */
	EXPECT(!t_until_idle(te, 1000) && te->stats[KS_FB_CLOSED_EARLY] == 1, "the first freed");
out:
	if (c1 >= 0)
		close(c1);
	if (c2 >= 0)
		close(c2);
	t_env_free(te);
	t_end();
}

/* Each parse uses the env's one scratch: many connections, their pieces
 * interleaved, must each be routed by their own bytes. */
#define T_MANY 20

static void many_take(int lfd, const int *cli, int *seen, const __u8 (*b)[4096],
		      const size_t *len, int odd)
{
	static __u8 unread[4096];
	int got;

	while ((got = t_handoff_take(lfd)) >= 0) {
		for (int i = 0; i < T_MANY; i++) {
			if (!t_same_conn(cli[i], got))
				continue;
			t_nonblock(got);
			EXPECT(i % 2 == odd, "connection %d at the backend its name routes to", i);
			EXPECT(recv(got, unread, sizeof(unread), 0) == (ssize_t)len[i % 2] &&
			       !memcmp(unread, b[i % 2], len[i % 2]),
			       "connection %d's own bytes", i);
			seen[i]++;
		}
		close(got);
	}
}

static void test_many(void)
{
	static __u8 b[2][4096];
	size_t len[2] = { t_capture("curl_h2.bin", b[0], 4096),
			  t_capture("chromium_1.bin", b[1], 4096) };
	int cli[T_MANY], srv, a, bb, seen[T_MANY] = { 0 }, i;
	struct t_env *te;

	t_begin("peek: 20 connections at once, pieces interleaved: each routed by its own bytes");
	if (!len[0] || !len[1]) {
		t_skip("no capture (run from the top of the tree)");
		return;
	}
	t_reset_world();
	a = t_handoff_backend(T_A, "a");
	bb = t_handoff_backend(T_B, "b");
	t_routes[0] = (struct t_route){ "curl.example.com", T_A };
	t_routes[1] = (struct t_route){ "chrome.example.com", T_B };
	te = t_env_new(NULL);
	for (i = 0; i < T_MANY; i++) {
		cli[i] = -1;
		if (te && !t_tcp_pair(AF_INET, &cli[i], &srv)) {
			fb_accept(&te->env, srv);
			send(cli[i], b[i % 2], 200, 0);
		}
	}
	if (te)
		t_settle(te, 20);
	EXPECT(te && te->env.held == T_MANY && !t_pending(a) && !t_pending(bb),
	       "all %d peeking, none delivered", T_MANY);
	for (i = T_MANY - 1; i >= 0; i--)
		if (cli[i] >= 0)
			send(cli[i], b[i % 2] + 200, len[i % 2] - 200, 0);
	EXPECT(te && !t_until_idle(te, 2000), "all delivered");
	many_take(a, cli, seen, (const __u8 (*)[4096])b, len, 0);
	many_take(bb, cli, seen, (const __u8 (*)[4096])b, len, 1);
	for (i = 0; i < T_MANY; i++)
		EXPECT(seen[i] == 1, "connection %d handed off once (%d)", i, seen[i]);
	EXPECT(te && te->stats[KS_FB_HANDOFF] == T_MANY, "counted %d hand-offs", T_MANY);
	for (i = 0; i < T_MANY; i++)
		if (cli[i] >= 0)
			close(cli[i]);
	t_env_free(te);
	t_handoff_close(T_A, a);
	t_handoff_close(T_B, bb);
	t_end();
}

void test_conn(void)
{
	T_EACH(peek_cases, peek_run);
	test_many();
	T_EACH(refusal_cases, refusal_run);
	test_capacity();
}
