// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer monitor [-j] [--sample N] [--count N]: each steering decision as
 * it is made, read from the programs' ring buffer (bpf/monitor.h). The
 * programs write events only while a monitor holds the lease in
 * ks_monitor, renewed here every second; one monitor at a time (a ring
 * buffer has one reader). Events a full ring lost are reported as they
 * are counted.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "hello.h"

#define KS_OPT_SAMPLE 256
#define KS_OPT_COUNT 257
#define KS_MONITOR_LEASE_NS (3ULL * 1000000000)   /* renewed every second */

const struct ks_opt ks_monitor_opts[] = {
	{ 'j', "json", NULL, "one JSON object a decision" },
	{ KS_OPT_SAMPLE, "sample", "N", "show one decision in N, chosen at random" },
	{ KS_OPT_COUNT, "count", "N", "stop after N decisions" },
	{ 0 },
};

#define KS_EV_NAME(id, val, name, doc) [val] = name,
static const char *const ks_path_names[KS_EV_MAX] = { KS_EVENT_PATHS(KS_EV_NAME) };
static const char *const ks_why_names[KS_WHY_MAX] = { KS_EVENT_WHYS(KS_EV_NAME) };

struct ks_mon {
	int json, info, stats, map;
	long count, seen;
	__u64 lost;
	__s64 mono_to_real;   /* ns: CLOCK_REALTIME - CLOCK_MONOTONIC */
};

static volatile sig_atomic_t ks_mon_stop;

static void ks_mon_signal(int sig)
{
	ks_mon_stop = 1;
}

static __u64 ks_clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static long ks_mon_num(const char *what, const char *arg)
{
	char *end;
	long v = strtol(arg, &end, 10);

	if (*end || !*arg || v < 1 || v > 1000000000) {
		ks_err("bad %s '%s' (1 to 1000000000)", what, arg);
		return -1;
	}
	return v;
}

/* Take the lease (0), or say who holds it (1). */
static int ks_mon_lease(struct ks_mon *m, __u32 sample, int take)
{
	struct ks_monitor cur, mine = { 0 };
	__u32 zero = 0;

	if (take && !bpf_map_lookup_elem(m->map, &zero, &cur) && cur.pid &&
	    cur.pid != (__u32)getpid() && cur.lease_ns > ks_clock_ns(CLOCK_MONOTONIC) &&
	    kill(cur.pid, 0) == 0)
		return ks_err("another ksteer monitor (pid %u) is reading the decisions", cur.pid);
	if (take) {
		mine.lease_ns = ks_clock_ns(CLOCK_MONOTONIC) + KS_MONITOR_LEASE_NS;
		mine.sample = sample;
		mine.pid = getpid();
	}
	if (bpf_map_update_elem(m->map, &zero, &mine, BPF_ANY))
		return ks_err("cannot update ks_monitor: %s", strerror(errno));
	return 0;
}

static void ks_mon_addr(const struct ks_event *ev, const __u32 *a, char *buf, size_t len)
{
	inet_ntop(ev->v6 ? AF_INET6 : AF_INET, a, buf, len);
}

/* "2026-12-01T10:05:03.123456Z" */
static void ks_mon_time(const struct ks_mon *m, __u64 ns, char *buf, size_t len)
{
	__u64 real = ns + m->mono_to_real;
	time_t sec = real / 1000000000ULL;
	struct tm tm;

	gmtime_r(&sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (unsigned)(real % 1000000000ULL / 1000));
}

static void ks_mon_backend(const struct ks_mon *m, __u32 id, char *buf, size_t len)
{
	if (id == KS_FALLBACK_ID)
		snprintf(buf, len, "ksteerd");
	else if (!id || ks_backend_name(m->info, id, buf, len))
		buf[0] = 0;
}

static void ks_mon_json(const struct ks_mon *m, const struct ks_event *ev, const char *when,
			const char *cli, const char *srv, const char *be)
{
	printf("{\"time\":\"%s\",\"path\":\"%s\",\"why\":\"%s\",\"proto\":\"%s\","
	       "\"client\":\"%s\",\"client_port\":%u,\"server\":\"%s\",\"server_port\":%u,"
	       "\"sni\":", when, ks_path_names[ev->path], ks_why_names[ev->why],
	       ev->proto == IPPROTO_UDP ? "udp" : "tcp", cli, ntohs(ev->sport), srv,
	       ntohs(ev->dport));
	if (ev->sni_len)
		ks_json_str(stdout, ev->sni, ev->sni_len);
	else
		printf("null");
	printf(",\"alpn\":");
	if (ev->alpn_len)
		ks_json_str(stdout, ev->alpn, ev->alpn_len);
	else
		printf("null");
	printf(",\"backend\":");
	if (*be)
		ks_json_str(stdout, be, strlen(be));
	else
		printf("null");
	printf("}\n");
}

static int ks_mon_event(void *ctx, void *data, size_t size)
{
	struct ks_mon *m = ctx;
	const struct ks_event *ev = data;
	char when[64], cli[INET6_ADDRSTRLEN], srv[INET6_ADDRSTRLEN], be[80];

	if (size < sizeof(*ev) || ev->path >= KS_EV_MAX || !ks_path_names[ev->path] ||
	    ev->why >= KS_WHY_MAX || !ks_why_names[ev->why])
		return 0;                 /* from a newer ksteer: not ours to show */
	ks_mon_time(m, ev->ns, when, sizeof(when));
	ks_mon_addr(ev, ev->saddr, cli, sizeof(cli));
	ks_mon_addr(ev, ev->daddr, srv, sizeof(srv));
	ks_mon_backend(m, ev->backend, be, sizeof(be));
	if (m->json)
		ks_mon_json(m, ev, when, cli, srv, be);
	else
		printf("%s %s %s %s %s%s%s:%u -> %s%s%s:%u sni=%.*s alpn=%.*s backend=%s\n", when,
		       ks_path_names[ev->path], ks_why_names[ev->why],
		       ev->proto == IPPROTO_UDP ? "udp" : "tcp", ev->v6 ? "[" : "", cli,
		       ev->v6 ? "]" : "", ntohs(ev->sport), ev->v6 ? "[" : "", srv, ev->v6 ? "]" : "",
		       ntohs(ev->dport), ev->sni_len ? ev->sni_len : 1, ev->sni_len ? ev->sni : "-",
		       ev->alpn_len ? ev->alpn_len : 1, ev->alpn_len ? ev->alpn : "-",
		       *be ? be : "-");
	if (m->count && ++m->seen >= m->count)
		ks_mon_stop = 1;
	return 0;
}

/* Events the ring had no room for since the last look: said, once. */
static void ks_mon_lost(struct ks_mon *m)
{
	__u64 now = ks_stat_sum(m->stats, KS_ST_MONITOR_LOST);

	if (now == m->lost)
		return;
	if (m->json)
		printf("{\"lost\":%llu}\n", (unsigned long long)(now - m->lost));
	else
		printf("lost %llu decisions: the ring buffer was full (a slow reader)\n",
		       (unsigned long long)(now - m->lost));
	m->lost = now;
}

int cmd_monitor(const struct ks_env *e)
{
	struct ks_mon m = { .json = ks_opt_given(e, 'j') };
	const char *sample_arg = ks_opt_arg(e, KS_OPT_SAMPLE), *count_arg = ks_opt_arg(e, KS_OPT_COUNT);
	long sample = sample_arg ? ks_mon_num("--sample", sample_arg) : 1;
	struct ring_buffer *rb = NULL;
	__u64 renewed = 0;
	int events, err = 1;

	m.count = count_arg ? ks_mon_num("--count", count_arg) : 0;
	if (sample < 0 || m.count < 0)
		return 1;
	if ((m.map = ks_map("ks_monitor")) < 0 || (events = ks_map("ks_events")) < 0 ||
	    (m.info = ks_map("ks_backend_info")) < 0 || (m.stats = ks_map("ks_stats")) < 0)
		return 1;
	rb = ring_buffer__new(events, ks_mon_event, &m, NULL);
	if (!rb)
		return ks_err("cannot read ks_events: %s", strerror(errno));
	if (ks_mon_lease(&m, sample, 1))
		goto out;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGINT, ks_mon_signal);
	signal(SIGTERM, ks_mon_signal);
	signal(SIGPIPE, ks_mon_signal);
	m.lost = ks_stat_sum(m.stats, KS_ST_MONITOR_LOST);
	m.mono_to_real = (__s64)(ks_clock_ns(CLOCK_REALTIME) - ks_clock_ns(CLOCK_MONOTONIC));
	err = 0;
	while (!ks_mon_stop) {
		if (ks_clock_ns(CLOCK_MONOTONIC) - renewed >= 1000000000ULL) {
			renewed = ks_clock_ns(CLOCK_MONOTONIC);
			if (ks_mon_lease(&m, sample, 1)) {
				err = 1;
				break;
			}
			ks_mon_lost(&m);
		}
		/* The programs submit without waking us (a wakeup costs them
		 * 5.5 us an event): read the ring every 50 ms. */
		usleep(50000);
		if (ring_buffer__consume(rb) < 0 && errno != EINTR) {
			err = ks_err("reading ks_events: %s", strerror(errno));
			break;
		}
	}
	ring_buffer__consume(rb);
	ks_mon_lost(&m);
	ks_mon_lease(&m, 0, 0);           /* let go: the programs stop writing */
out:
	ring_buffer__free(rb);
	return err;
}
