// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd's decisions for `ksteer monitor`: while a monitor holds the
 * lease (ks_monitor, read here through its mmap, no system call), each
 * decision is an event run through the syscall program of
 * bpf/monitor_user.bpf.c, which writes it into the same ring buffer as the
 * kernel's. Without ksteer up (no ks_events pinned) there is nothing to
 * show and nothing is loaded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fb.h"
#include "monitor_user.skel.h"

struct fb_monitor {
	struct monitor_user *skel;
	const volatile struct ks_monitor *lease;  /* the pinned map, mmapped */
	size_t len;
};

void fb_monitor_init(struct fb_env *env)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .pin_root_path = ks_pin_dir());
	struct fb_monitor *m;
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/ks_events", ks_pin_dir());
	if (access(path, F_OK) || !(m = calloc(1, sizeof(*m))))
		return;                   /* no ksteer up: no monitor */
	m->skel = monitor_user__open_opts(&o);
	if (!m->skel || monitor_user__load(m->skel))
		goto fail;
	fd = bpf_map__fd(m->skel->maps.ks_monitor);
	m->len = sysconf(_SC_PAGESIZE);
	m->lease = mmap(NULL, m->len, PROT_READ, MAP_SHARED, fd, 0);
	if (m->lease == MAP_FAILED)
		goto fail;
	env->mon = m;
	return;
fail:
	fprintf(stderr, "ksteerd: warning: no decisions for ksteer monitor: %s\n", strerror(errno));
	monitor_user__destroy(m->skel);
	free(m);
}

void fb_monitor_fini(struct fb_env *env)
{
	struct fb_monitor *m = env->mon;

	if (!m)
		return;
	munmap((void *)m->lease, m->len);
	monitor_user__destroy(m->skel);
	free(m);
	env->mon = NULL;
}

static int fb_monitor_on(const struct fb_monitor *m)
{
	struct timespec ts;

	if (!m)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);    /* bpf_ktime_get_ns's clock */
	return m->lease->lease_ns > (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* The client's end of c: its addresses, and the ClientHello env's parser
 * holds when with_hello. */
static void fb_event_of(const struct fb_env *env, const struct fb_conn *c, int with_hello,
			struct ks_event *ev)
{
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	const struct ks_hello *h = &env->scratch->hello;

	if (!getpeername(c->client.fd, (struct sockaddr *)&peer, &pl) &&
	    !getsockname(c->client.fd, (struct sockaddr *)&local, &ll)) {
		ev->v6 = fb_addr_of(&peer, ev->saddr, &ev->sport);
		fb_addr_of(&local, ev->daddr, &ev->dport);
	}
	ev->proto = IPPROTO_TCP;
	if (!with_hello)
		return;
	ev->sni_len = h->sni_len < KS_EV_SNI ? h->sni_len : KS_EV_SNI - 1;
	memcpy(ev->sni, h->sni, ev->sni_len);
	if (h->alpn_count && h->alpn_len[0] < KS_EV_ALPN) {
		ev->alpn_len = h->alpn_len[0];
		memcpy(ev->alpn, &env->scratch->hs[h->alpn_off[0]], ev->alpn_len);
	}
}

void fb_decided(const struct fb_env *env, const struct fb_conn *c, int path, int why,
		__u32 backend, int with_hello)
{
	struct ks_event ev = { .path = path, .why = why, .backend = backend };
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &ev, .ctx_size_in = sizeof(ev));

	if (!fb_monitor_on(env->mon))
		return;
	fb_event_of(env, c, with_hello, &ev);
	bpf_prog_test_run_opts(bpf_program__fd(env->mon->skel->progs.ks_event_user), &o);
}
