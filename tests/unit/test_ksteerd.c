// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd's connection and relay code, driven through its context (struct
 * fb_env) without BPF or root: a real io_uring turned as fb_loop turns it,
 * loopback TCP connections accepted by the test and given to fb_accept,
 * the routes and backends from a table (fb_routes) instead of the pinned
 * maps, the counters in an array of the test's, and backends played by the
 * test: a unix socket that takes hand-offs, a TCP upstream for the proxy.
 * Hand-back needs TC and raw sockets, so these envs have none (env->hb
 * NULL), as ksteerd has none when the kernel cannot take one.
 *
 * Each check is a named subtest ("ok - NAME" or the reasons, then
 * "FAIL - NAME"), the peek cases in a table; the topics are
 * ksteerd_conn.c (peek, route, deadline, refusals), ksteerd_relay.c
 * (proxy, half-close, PROXY v2) and ksteerd_metrics.c (a scraper's
 * request), over this harness (test_ksteerd.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "test_ksteerd.h"

/* ---- subtests ----------------------------------------------------------- */

int t_passed, t_failed, t_skipped;
static const char *t_name;        /* the subtest running */
int t_bad;                 /* its failed expectations */

void t_begin(const char *name)
{
	t_name = name;
	t_bad = 0;
}

/* A reason of the subtest's failure, as a comment line before its verdict. */
void t_why(int line, const char *fmt, ...)
{
	va_list ap;

	t_bad++;
	printf("#   ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (line %d)\n", line);
}


void t_end(void)
{
	if (t_bad) {
		t_failed++;
		printf("FAIL - %s\n", t_name);
	} else {
		t_passed++;
		printf("ok - %s\n", t_name);
	}
}

void t_skip(const char *why)
{
	t_skipped++;
	printf("skip - %s: %s\n", t_name, why);
}

/* ---- the routes and backends a subtest gives ksteerd ----------------------- */


struct t_route t_routes[4];
struct ks_backend_info t_backend[T_BACKENDS];

/* Exact names, then the default: what route.h gives for these routes;
 * SSH clients (their route space) to backend A. */
static __u32 t_route(const struct fb_env *env, struct ks_scratch *s)
{
	const struct t_route *r;

	if (s->hello.space == KS_SPACE_SSH)
		return T_A;

	for (r = t_routes; r->sni; r++)
		if (*r->sni && strlen(r->sni) == s->hello.sni_len &&
		    !memcmp(r->sni, s->hello.sni, s->hello.sni_len))
			return r->id;
	for (r = t_routes; r->sni; r++)
		if (!*r->sni)
			return r->id;
	return 0;
}

static int t_backend_info(const struct fb_env *env, __u32 id, struct ks_backend_info *bi)
{
	if (id >= T_BACKENDS || !t_backend[id].flags)
		return -1;
	*bi = t_backend[id];
	return 0;
}

static const struct fb_routes t_table = { .route = t_route, .backend = t_backend_info };

/* The same, every port a plain-HTTP one. */
static int t_http_port(const struct fb_env *env, __u16 port)
{
	return 1;
}

static const struct fb_routes t_http_table = {
	.route = t_route, .backend = t_backend_info, .http_port = t_http_port,
};

void t_env_http(struct t_env *te)
{
	te->env.routes = &t_http_table;
}

/* ---- an env, turned as fb_loop turns it -------------------------------------- */


const struct fb_cfg t_cfg = {
	.deadline_ms = 300, .max_hello = 65536, .max_conns = 100, .quic_pending = 1,
};

/* Its routes and backends are whatever t_routes and t_backend say. */
struct t_env *t_env_new(const struct fb_cfg *cfg)
{
	struct t_env *te = calloc(1, sizeof(*te));

	if (!te)
		return NULL;
	te->cfg = cfg ? *cfg : t_cfg;
	if (fb_env_init(&te->env, &te->cfg) || fb_ring_init(&te->env)) {
		fb_env_free(&te->env);
		free(te);
		return NULL;
	}
	te->env.routes = &t_table;
	te->env.maps.stats = te->stats;
	return te;
}

void t_env_free(struct t_env *te)
{
	if (!te)
		return;
	te->env.maps.stats = NULL;        /* the test's array, not an mmap */
	fb_env_free(&te->env);
	free(te);
}

/* One turn of the loop, waiting cap_ms at most for a completion. */
void t_turn(struct t_env *te, int cap_ms)
{
	int ms = fb_due(&te->env);

	fb_wait(&te->env, ms < 0 || ms > cap_ms ? cap_ms : ms);
	fb_dispatch(&te->env);
}

void t_settle(struct t_env *te, int ms)
{
	uint64_t until = fb_now_ms() + ms;

	while (fb_now_ms() < until)
		t_turn(te, 5);
}

/* Nothing held: no connection open, none waiting to be freed, the gauge 0. */
int t_idle(const struct t_env *te)
{
	return !te->env.held && !te->env.dead && !te->env.peeking.head &&
	       !te->stats[KS_FB_ACTIVE];
}

/* Turn until ksteerd holds nothing; 0, or -1 after timeout_ms. */
int t_until_idle(struct t_env *te, int timeout_ms)
{
	uint64_t until = fb_now_ms() + timeout_ms;

	while (!t_idle(te)) {
		if (fb_now_ms() > until)
			return -1;
		t_turn(te, 5);
	}
	return 0;
}

/* ---- sockets -------------------------------------------------------------- */

socklen_t t_loopback(int family, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	ss->ss_family = family;
	if (family == AF_INET) {
		((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(struct sockaddr_in);
	}
	((struct sockaddr_in6 *)ss)->sin6_addr = in6addr_loopback;
	return sizeof(struct sockaddr_in6);
}

/* A TCP listener on the loopback address of family, any port; *at its
 * address as a backend names it. -1 when the family has no loopback. */
int t_listener(int family, struct ks_addr *at)
{
	struct sockaddr_storage ss;
	socklen_t len = t_loopback(family, &ss);
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 16) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (at) {
		memset(at, 0, sizeof(*at));
		at->family = family;
		if (family == AF_INET) {
			at->port = ((struct sockaddr_in *)&ss)->sin_port;
			memcpy(at->addr, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		} else {
			at->port = ((struct sockaddr_in6 *)&ss)->sin6_port;
			memcpy(at->addr, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		}
	}
	return fd;
}

int t_has_loopback(int family)
{
	int fd = t_listener(family, NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

void t_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* A loopback TCP connection: *cli the client's end (non-blocking), *srv
 * the accepted one, as ksteerd's multishot accept gives it. Over IPv4 the
 * client is 127.0.0.3, so its address and the one it connected to differ. */
int t_tcp_pair(int family, int *cli, int *srv)
{
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000003) };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int l = t_listener(family, NULL);

	*cli = *srv = -1;
	if (l < 0 || getsockname(l, (struct sockaddr *)&ss, &len))
		goto out;
	*cli = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*cli < 0 || (family == AF_INET && bind(*cli, (struct sockaddr *)&from, sizeof(from))) ||
	    connect(*cli, (struct sockaddr *)&ss, len))
		goto out;
	*srv = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	t_nonblock(*cli);
out:
	if (l >= 0)
		close(l);
	return *srv < 0 ? -1 : 0;
}

/* What the client's end says now, without waiting. */


enum t_heard t_hear(int fd)
{
	char b;
	ssize_t n = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	if (n > 0)
		return T_DATA;
	if (n == 0)
		return T_EOF;
	return errno == ECONNRESET ? T_RESET : T_QUIET;
}

/* Turn until the client's end hears something, timeout_ms at most. */
enum t_heard t_wait_heard(struct t_env *te, int fd, int timeout_ms)
{
	uint64_t until = fb_now_ms() + timeout_ms;
	enum t_heard h;

	while ((h = t_hear(fd)) == T_QUIET && fb_now_ms() < until)
		t_turn(te, 5);
	return h;
}

const char *t_heard_name(enum t_heard h)
{
	static const char *names[] = { "nothing", "data", "EOF", "a reset" };

	return names[h];
}

/* A unix socket backend that takes hand-offs (path in t_backend[id]). */
int t_handoff_backend(__u32 id, const char *tag)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "/tmp/ks-test-ksteerd-%d-%s.sock", getpid(),
		 tag);
	unlink(sun.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 16))
		return -1;
	t_backend[id].flags = KS_BE_IN_USE | KS_BE_HANDOFF;
	snprintf(t_backend[id].path, sizeof(t_backend[id].path), "%s", sun.sun_path);
	return fd;
}

void t_handoff_close(__u32 id, int fd)
{
	if (fd >= 0)
		close(fd);
	unlink(t_backend[id].path);
}

/* The socket a hand-off brought to backend lfd, or -1 if none came. */
int t_handoff_take(int lfd)
{
	char tag, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &tag, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm;
	int u = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), fd = -1;

	if (u < 0)
		return -1;
	if (recvmsg(u, &msg, 0) == 1 && tag == 'K' && (cm = CMSG_FIRSTHDR(&msg)) &&
	    cm->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
	close(u);
	return fd;
}

/* Two sockets are the two ends of one TCP connection. */
int t_same_conn(int a, int b)
{
	struct sockaddr_storage al, bp;
	socklen_t ll = sizeof(al), pl = sizeof(bp);

	return !getsockname(a, (struct sockaddr *)&al, &ll) &&
	       !getpeername(b, (struct sockaddr *)&bp, &pl) && ll == pl && !memcmp(&al, &bp, ll);
}

/* tests/data/captures/name into buf; its length, 0 if unreadable. */
size_t t_capture(const char *name, __u8 *buf, size_t max)
{
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "tests/data/captures/%s", name);
	f = fopen(path, "rb");
	if (!f)
		return 0;
	n = fread(buf, 1, max, f);
	fclose(f);
	return n;
}

void t_reset_world(void)
{
	memset(t_routes, 0, sizeof(t_routes));
	memset(t_backend, 0, sizeof(t_backend));
}


int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	signal(SIGPIPE, SIG_IGN);         /* as ksteerd: a write to a reset peer */
	test_conn();
	test_relay();
	test_metrics();
	printf("%d passed, %d failed, %d skipped\n", t_passed, t_failed, t_skipped);
	return t_failed ? 1 : 0;
}
