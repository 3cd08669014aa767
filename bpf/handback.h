/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hand-back: a connection ksteerd holds goes back into the kernel, into the
 * routed backend's listener, so the backend accept()s the client's own
 * connection (DESIGN.md "Hand-back" has the whole sequence).
 *
 *   ksteerd: entry FROZEN -> reads its socket (repair mode) -> entry READY
 *            -> detaches its socket silently -> injects one segment from
 *            the client, marked KS_HANDBACK_MARK, through lo
 *   TC:      while an entry exists, every segment of the flow is dropped
 *            (ks_hb_frozen, ks_hb_place); the marked segment on lo of a
 *            READY flow is assigned to the backend with the entry's attrs
 *            and the entry deleted (ks_hb_place)
 *
 * Only ksteerd writes ks_handback. A remote sender cannot set skb->mark,
 * and the mark is checked on lo only, so nothing from the wire completes a
 * hand-back. Established traffic pays one array load: the table is looked
 * at only while ksteerd's pending gauge is non-zero.
 */
#ifndef KS_HANDBACK_H
#define KS_HANDBACK_H

#include "ks_bpf.h"
#include "packet.h"
#include "reasm.h"
#include "listener.h"
#include "monitor.h"

/* Connections ksteerd is handing back, by the client's 4-tuple. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_HANDBACK_ENTRIES);
	__type(key, struct ks_flow);
	__type(value, struct ks_handback);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_handback SEC(".maps");

/* This flow's entry (k is filled), or NULL. One load of ksteerd's gauge
 * while nothing is pending; an entry past its lifetime is deleted: a
 * ksteerd that died mid-way must not freeze a flow for long. */
static __always_inline struct ks_handback *ks_hb_lookup(const struct ks_pkt *p,
							 struct ks_flow *k)
{
	struct ks_handback *e;

	if (!ks_hb_pending())
		return NULL;
	ks_flow_of(p, k);
	e = bpf_map_lookup_elem(&ks_handback, k);
	if (e && bpf_ktime_get_ns() - e->born_ns > KS_HANDBACK_LIFE_NS) {
		bpf_map_delete_elem(&ks_handback, k);
		ks_count(KS_ST_HB_STALE);
		return NULL;
	}
	return e;
}

/* A segment to an established socket (ksteerd's, before it lets go): 1 if
 * it must be dropped. ksteerd has read the queue already; a byte its socket
 * took now would be acknowledged to the client and never handed on. The
 * client sends it again, to the backend's socket by then. */
static __always_inline int ks_hb_frozen(const struct ks_pkt *p, struct ks_flow *k)
{
	if (!ks_hb_lookup(p, k))
		return 0;
	ks_count(KS_ST_HB_DROPPED);
	return 1;
}

static __always_inline void ks_hb_attrs(const struct ks_handback *e, struct bpf_tcp_req_attrs *a)
{
	a->mss = e->mss;
	a->rcv_wscale = e->rcv_wscale;
	a->snd_wscale = e->snd_wscale;
	a->wscale_ok = e->wscale_ok;
	a->sack_ok = e->sack_ok;
	a->ecn_ok = e->ecn_ok;
	a->tstamp_ok = e->tstamp_ok;
	a->usec_ts_ok = e->usec_ts_ok;
	a->rcv_tsval = e->rcv_tsval;
	a->rcv_tsecr = e->rcv_tsecr;
}

/* Create the connection in a listener of e->backend; 0 when placed. Never
 * ksteerd's own listener (the entry names the routed backend). Refused
 * (entry kept, ksteerd sends again or resets): no listener of the client's
 * family, a shared-port group without our program (the kernel would hash
 * it across backends), a full accept queue (the kernel would drop the
 * child after we created it), or the kfunc's own refusal. */
static __always_inline int ks_hb_assign(struct __sk_buff *skb, const struct ks_pkt *p,
					const struct ks_handback *e, const struct ks_config *cfg)
{
	struct bpf_tcp_req_attrs attrs = {};
	struct ks_slot key = { .backend = e->backend };
	struct bpf_sock *sk = ks_pick_listener(&key, p->v6);
	int ret;

	if (!sk)
		return -1;
	if ((ks_public_port(cfg, bpf_htons(sk->src_port)) && ks_group_unsteered(sk)) ||
	    ks_queue_full(sk)) {
		bpf_sk_release(sk);
		return -1;
	}
	ks_hb_attrs(e, &attrs);
	ret = bpf_sk_assign_tcp_reqsk(skb, (struct sock *)sk, &attrs, sizeof(attrs));
	bpf_sk_release(sk);
	if (ret)
		ks_count(KS_ST_ASSIGN_ERR);
	return ret ? -1 : 0;
}

/*
 * A segment with no socket on its 4-tuple (before the cookie check).
 * 0: no hand-back of this flow, carry on. 1: *verdict is this segment's:
 * the marked segment on lo of a READY flow is placed; anything else of a
 * flow being handed back is dropped (the client's retransmission, which
 * must meet neither the cookie path nor the kernel's RST; it comes again).
 * A marked segment on lo with no entry is dropped too: ksteerd sent it for
 * a flow placed, given up or stale meanwhile, and the cookie path, which
 * its sequence numbers can pass, would give it to ksteerd again (a loop).
 */
static __always_inline int ks_hb_place(struct __sk_buff *skb, const struct ks_pkt *p,
				       struct ks_flow *k, const struct ks_config *cfg, int *verdict)
{
	int marked = skb->mark == KS_HANDBACK_MARK && skb->ifindex == KS_LOOPBACK_IFINDEX;
	struct ks_handback *e = ks_hb_lookup(p, k);
	struct ks_backend_stat *bs;

	*verdict = TC_ACT_SHOT;
	if (!e) {
		if (marked)
			ks_count(KS_ST_HB_DROPPED);
		return marked;
	}
	if (!marked || e->state != KS_HB_READY) {
		ks_count(KS_ST_HB_DROPPED);
		return 1;
	}
	if (ks_hb_assign(skb, p, e, cfg)) {
		/* Dropped: ksteerd sees the entry still there and sends again. */
		ks_count(KS_ST_HB_UNPLACED);
		return 1;
	}
	bs = bpf_map_lookup_elem(&ks_backend_stats, &e->backend);
	if (bs)
		bs->assigned++;
	ks_decided(p, NULL, HANDBACK, KSTEERD_ROUTED, e->backend);
	bpf_map_delete_elem(&ks_handback, k);
	ks_count(KS_ST_HB_ASSIGNED);
	*verdict = TC_ACT_UNSPEC;                 /* placed; later filters still see it */
	return 1;
}

#endif
