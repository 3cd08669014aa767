// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd's decisions into the monitor's ring buffer: a syscall program
 * ksteerd runs (BPF_PROG_RUN) with the event as its context, so that one
 * ring, one lease and one sampling carry the kernel's decisions and
 * ksteerd's alike (bpf/monitor.h).
 */
#include "ks_bpf.h"
#include "monitor.h"

SEC("syscall")
int ks_event_user(struct ks_event *ctx)
{
	struct ks_event *ev;

	if (!ks_monitor_on())
		return 0;
	ev = bpf_ringbuf_reserve(&ks_events, sizeof(*ev), 0);
	if (!ev) {
		ks_count(KS_ST_MONITOR_LOST);
		return 0;
	}
	if (bpf_probe_read_kernel(ev, sizeof(*ev), ctx)) {
		bpf_ringbuf_discard(ev, 0);
		return 0;
	}
	ev->ns = bpf_ktime_get_ns();
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
	return 0;
}

char _license[] SEC("license") = "GPL";
