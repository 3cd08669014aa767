/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_ksteerd's harness (test_ksteerd.c), shared by its topics
 * (ksteerd_conn.c, ksteerd_relay.c): named subtests, the routes and
 * backends a subtest gives ksteerd, an env turned as fb_loop turns it, and
 * the sockets the test plays the client and the backends with.
 */
#ifndef KS_TEST_KSTEERD_H
#define KS_TEST_KSTEERD_H

#include <stddef.h>
#include <sys/socket.h>
#include "fb.h"

/* ---- subtests ---------------------------------------------------------- */

extern int t_passed, t_failed, t_skipped;
extern int t_bad;                 /* the running subtest's failed expectations */

void t_begin(const char *name);
/* A reason of the subtest's failure, as a comment line before its verdict. */
void t_why(int line, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void t_end(void);
void t_skip(const char *why);

#define T_COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Every row of a case table through its runner, one subtest a row. */
#define T_EACH(table, run)                                                 \
	for (size_t t_row = 0; t_row < T_COUNT(table); t_row++)            \
		run(&(table)[t_row])

#define EXPECT(cond, ...)                                                  \
	do {                                                               \
		if (!(cond))                                               \
			t_why(__LINE__, __VA_ARGS__);                      \
	} while (0)

/* ---- the routes and backends a subtest gives ksteerd ------------------- */

#define T_BACKENDS 4
enum { T_NONE, T_A, T_DEFAULT, T_B };    /* backend ids */

struct t_route {
	const char *sni;          /* "" for the default route */
	__u32 id;
};
extern struct t_route t_routes[4];
extern struct ks_backend_info t_backend[T_BACKENDS];
void t_reset_world(void);

/* ---- an env, turned as fb_loop turns it -------------------------------- */

struct t_env {
	struct fb_env env;
	struct fb_cfg cfg;
	__u64 stats[KS_FB_MAX];
};

extern const struct fb_cfg t_cfg;
/* Its routes and backends are whatever t_routes and t_backend say. */
struct t_env *t_env_new(const struct fb_cfg *cfg);
void t_env_free(struct t_env *te);
/* Its connections arrive on a plain-HTTP port: ksteerd reads request heads. */
void t_env_http(struct t_env *te);
/* One turn of the loop, waiting cap_ms at most for a completion. */
void t_turn(struct t_env *te, int cap_ms);
void t_settle(struct t_env *te, int ms);
/* Nothing held: no connection open, none waiting to be freed, the gauge 0. */
int t_idle(const struct t_env *te);
/* Turn until ksteerd holds nothing; 0, or -1 after timeout_ms. */
int t_until_idle(struct t_env *te, int timeout_ms);

/* ---- sockets ------------------------------------------------------------ */

socklen_t t_loopback(int family, struct sockaddr_storage *ss);
/* A TCP listener on the loopback address of family, any port; *at its address. */
int t_listener(int family, struct ks_addr *at);
int t_has_loopback(int family);
void t_nonblock(int fd);
/* A loopback TCP connection: *cli the client's end (non-blocking), *srv the other. */
int t_tcp_pair(int family, int *cli, int *srv);

/* What the client's end says now, without waiting. */
enum t_heard { T_QUIET, T_DATA, T_EOF, T_RESET };
enum t_heard t_hear(int fd);
const char *t_heard_name(enum t_heard h);
/* Turn until the client's end hears something, timeout_ms at most. */
enum t_heard t_wait_heard(struct t_env *te, int fd, int timeout_ms);

/* A unix socket backend that takes hand-offs (path in t_backend[id]). */
int t_handoff_backend(__u32 id, const char *tag);
void t_handoff_close(__u32 id, int fd);
/* The socket a hand-off brought to backend lfd, or -1 if none came. */
int t_handoff_take(int lfd);
/* Two sockets are the two ends of one TCP connection. */
int t_same_conn(int a, int b);
/* tests/data/captures/name into buf; its length, 0 if unreadable. */
size_t t_capture(const char *name, __u8 *buf, size_t max);

/* The topics. */
void test_conn(void);
void test_relay(void);
void test_metrics(void);

#endif
