/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `ksteer monitor`: each steering decision as an event in a ring buffer,
 * only while a monitor holds the lease in ks_monitor (it renews it every
 * second; a monitor that died stops the stream within KS_MONITOR_LEASE).
 * Off, a decision costs one array lookup and a clock read; on, about
 * 0.45 us more (make bench-bpf: hello_monitored). Events are submitted
 * without a wakeup (one costs 5.5 us: an irq_work per event); the monitor
 * reads the ring every 50 ms. A full ring (a slow reader) loses the event,
 * counted; the data path never waits.
 * The event's layout: shared/ksteer_events.h.
 */
#ifndef KS_MONITOR_H
#define KS_MONITOR_H

#include "ks_bpf.h"
#include "packet.h"

/* The decisions, for the one monitor that reads them. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, KS_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_events SEC(".maps");

/* The monitor's lease and sampling (mmapable: ksteerd reads the lease
 * without a system call). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct ks_monitor);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_monitor SEC(".maps");

/* Whether this decision is to be shown: a monitor holds the lease, and
 * the sample lets this one through. No lease (0: none taken yet, or the
 * monitor gave it back) is told without reading the clock. */
static __always_inline int ks_monitor_on(void)
{
	__u32 zero = 0;
	struct ks_monitor *m = bpf_map_lookup_elem(&ks_monitor, &zero);

	if (!m || !m->lease_ns || bpf_ktime_get_ns() > m->lease_ns)
		return 0;
	return m->sample <= 1 || bpf_get_prandom_u32() % m->sample == 0;
}

/* The event for the segment or datagram in p; h: its parsed ClientHello
 * (NULL when none was read). A subprogram: one copy for every call site. */
static __attribute__((noinline)) void ks_event_put(const struct ks_pkt *p,
						   const struct ks_scratch *h, __u32 path,
						   __u32 why, __u32 backend)
{
	struct ks_event *ev = bpf_ringbuf_reserve(&ks_events, sizeof(*ev), 0);
	__u32 n;

	if (!ev) {
		ks_count(KS_ST_MONITOR_LOST);
		return;
	}
	ev->ns = bpf_ktime_get_ns();
	ev->path = path;
	ev->why = why;
	ev->v6 = p->v6;
	ev->proto = p->proto;
	ev->sport = p->sport;
	ev->dport = p->dport;
	__builtin_memcpy(ev->saddr, p->saddr, 16);
	__builtin_memcpy(ev->daddr, p->daddr, 16);
	ev->backend = backend;
	ev->sni_len = 0;
	ev->alpn_len = 0;
	ev->pad = 0;
	ev->sni[0] = 0;
	ev->alpn[0] = 0;
	if (h && h->hello.sni_len) {
		ev->sni_len = h->hello.sni_len & KS_SNI_MAX;
		bpf_probe_read_kernel(ev->sni, sizeof(ev->sni), h->hello.sni);
	}
	if (h && h->hello.alpn_count) {
		n = h->hello.alpn_len[0];
		n = n < KS_EV_ALPN ? n : KS_EV_ALPN - 1;
		if (n && !bpf_probe_read_kernel(ev->alpn, n & (KS_EV_ALPN - 1),
						h->hs + (h->hello.alpn_off[0] & KS_HS_MASK)))
			ev->alpn_len = n;
	}
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
}

/* Show the decision when a monitor runs (path and why: KS_EV_ and KS_WHY_ names). */
#define ks_decided(p, h, path, why, backend)                                     \
	do {                                                                    \
		if (ks_monitor_on())                                            \
			ks_event_put((p), (h), KS_EV_##path, KS_WHY_##why, (backend)); \
	} while (0)

#endif
