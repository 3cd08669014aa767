// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd's context (struct fb_env, fb.h): made empty, filled by main's
 * phases, released by one function whatever phase was reached. Here too
 * what reads the pinned maps on the connections' behalf: the routes and
 * backends (fb_map_routes) and the counters ksteer stats shows.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fb.h"

uint64_t fb_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ull + ts.tv_nsec / 1000000;
}

/* Counters in the mmap-ed array, so ksteer stats sees them at once; an
 * env without them (a unit test may give its own array) counts nothing. */
void fb_count(const struct fb_env *env, enum ks_fb_stat s, int delta)
{
	if (env->maps.stats)
		__atomic_fetch_add(&env->maps.stats[s], (__u64)(__s64)delta, __ATOMIC_RELAXED);
}

static __u32 fb_map_route(const struct fb_env *env, struct ks_scratch *s)
{
	return ks_route_user(env->maps.routes, env->maps.alpn, s);
}

static int fb_map_backend(const struct fb_env *env, __u32 id, struct ks_backend_info *bi)
{
	return bpf_map_lookup_elem(env->maps.info, &id, bi) ? -1 : 0;
}

static int fb_map_http_port(const struct fb_env *env, __u16 port)
{
	return ks_port_is_http(port);
}

const struct fb_routes fb_map_routes = {
	.route = fb_map_route, .backend = fb_map_backend, .http_port = fb_map_http_port,
};

/* Nothing open yet (every descriptor -1), so fb_env_free can follow any
 * phase; the parser's scratch, which every ClientHello needs. */
int fb_env_init(struct fb_env *env, const struct fb_cfg *cfg)
{
	memset(env, 0, sizeof(*env));
	env->cfg = cfg;
	env->routes = &fb_map_routes;
	env->maps = (struct fb_maps){ .routes = -1, .alpn = -1, .info = -1, .stats_fd = -1 };
	for (int i = 0; i < FB_MAX_LISTEN; i++)
		env->lfd[i] = env->ufd[i] = -1;
	env->sfd = -1;
	env->raw = (struct fb_raw){ .fd4 = -1, .fd6 = -1 };
	env->scratch = calloc(1, sizeof(*env->scratch));
	if (!env->scratch)
		return ks_err("out of memory"), -1;
	return 0;
}

int fb_open_maps(struct fb_env *env)
{
	struct fb_maps *m = &env->maps;

	m->routes = ks_map("ks_routes");
	m->alpn = m->routes < 0 ? -1 : ks_map("ks_alpn_routes");
	m->info = m->alpn < 0 ? -1 : ks_map("ks_backend_info");
	m->stats_fd = m->info < 0 ? -1 : ks_map("ks_fallback_stats");
	if (m->stats_fd < 0)
		return -1;
	m->stats = mmap(NULL, KS_FB_MAX * sizeof(__u64), PROT_READ | PROT_WRITE, MAP_SHARED,
			m->stats_fd, 0);
	if (m->stats == MAP_FAILED) {
		m->stats = NULL;
		return ks_err("cannot map ks_fallback_stats: %s", strerror(errno)), -1;
	}
	m->stats[KS_FB_ACTIVE] = 0;               /* a previous ksteerd's gauge */
	return 0;
}

static void fb_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void fb_close_maps(struct fb_maps *m)
{
	if (m->stats)
		munmap((void *)m->stats, KS_FB_MAX * sizeof(__u64));
	m->stats = NULL;
	fb_close_fd(&m->routes);
	fb_close_fd(&m->alpn);
	fb_close_fd(&m->info);
	fb_close_fd(&m->stats_fd);
}

/*
 * The one way out, from any phase: the parts first (they may count), then
 * the ring, the sockets, the maps. Connections still proxied are not
 * walked: their sockets end with the process, as they always did
 * (handed-off and handed-back ones are the backends' already).
 */
void fb_env_free(struct fb_env *env)
{
	fb_metrics_fini(env);
	fb_monitor_fini(env);
	fb_quic_fini(env);
	fb_handback_fini(env);
	if (env->ring_ok)
		io_uring_queue_exit(&env->ring);
	env->ring_ok = 0;
	for (int i = 0; i < FB_MAX_LISTEN; i++) {
		fb_close_fd(&env->lfd[i]);
		fb_close_fd(&env->ufd[i]);
	}
	fb_close_fd(&env->sfd);
	fb_pipes_close(env);
	fb_raw_close(&env->raw);
	fb_close_maps(&env->maps);
	free(env->peek_buf);
	free(env->scratch);
	env->peek_buf = NULL;
	env->scratch = NULL;
}

/* addr_s as a socket address; its length, or 0 after saying why. */
socklen_t fb_sockaddr(const char *addr_s, struct sockaddr_storage *ss)
{
	struct ks_addr a;

	memset(ss, 0, sizeof(*ss));
	if (ks_parse_addr(addr_s, &a))
		return ks_err("bad address '%s' (want IPv4:PORT or [IPv6]:PORT)", addr_s), 0;
	ss->ss_family = a.family;
	if (a.family == AF_INET) {
		struct sockaddr_in *s = (void *)ss;

		s->sin_port = a.port;
		memcpy(&s->sin_addr, a.addr, 4);
		return sizeof(*s);
	}
	struct sockaddr_in6 *s6 = (void *)ss;

	s6->sin6_port = a.port;
	memcpy(&s6->sin6_addr, a.addr, 16);
	return sizeof(*s6);
}
