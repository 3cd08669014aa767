// SPDX-License-Identifier: GPL-2.0
/*
 * Hand-back: a connection ksteerd holds for an address backend goes back
 * into the kernel, into one of that backend's listeners, so the backend
 * accept()s the client's own connection (its peer is the client, its local
 * address the public one). No proxy, no copy, and nothing ksteerd holds
 * afterwards. The sequence (DESIGN.md "Hand-back" says why each step):
 *
 *   1. freeze   ks_handback[flow] = FROZEN: TC drops every segment of the
 *               flow from now on, so no byte reaches ksteerd's socket after
 *               the queue is read (it would be acknowledged, then lost)
 *   2. read     TCP_REPAIR: the queued bytes (peeked), the first unread
 *               and next send sequence numbers, the negotiated options
 *   3. ready    the entry gets what bpf_sk_assign_tcp_reqsk needs
 *   4. detach   connect(AF_UNSPEC) in repair mode: tcp_disconnect() with
 *               nothing sent, the socket unhashed at once
 *   5. inject   one segment "from the client" carrying the queued bytes
 *               (the first FB_HB_MAX of them), marked, through lo: TC
 *               assigns it to the backend's listener with the entry's
 *               attrs and deletes the entry
 *   6. confirm  FB_HB_CHECK_MS later: entry gone = placed; else sent again
 *               (FB_HB_TRIES), then the client gets a RST
 *   7. feed     queued bytes past the first segment (a ClientHello of up
 *               to 64 KB in small records takes up to 512 KB) go to the new
 *               connection as ordinary segments, as far ahead as its
 *               window may take, until sock_diag shows every byte taken in
 *               order (the backend reads as they come); FB_HB_FEED_MS at
 *               most, then both ends are reset
 *
 * Until step 4 every failure undoes the freeze and leaves the socket as it
 * was (the caller proxies or refuses); after it the connection exists only
 * here and in the client, so it ends placed or reset, never silently.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fb.h"

#define FB_HB_MAX 60000           /* payload of one segment: lo carries 64 KB
				   * packets; a margin for headers */
#define FB_HB_QUEUED_MAX (1 << 20) /* bytes queued that a hand-back takes */
#define FB_HB_AHEAD 65536         /* bytes fed past what the connection has */
#define FB_HB_CHECK_MS 10         /* TC runs within the injecting sendto() */
#define FB_HB_TRIES 3             /* injections after the first */
#define FB_HB_FEED_MS 5000        /* the rest is in by then, or both are reset */
#define FB_HB_FEED_CHECK_MS 2     /* between rounds of feeding */
#define FB_HB_TCP_HDR 32          /* 20 B + NOP NOP TS (12 B) */

struct fb_hb {
	struct ks_flow flow;      /* as the client sends it */
	struct ks_handback e;
	__u32 seq;                /* first byte the backend has not read */
	__u32 ack;                /* next byte to send the client */
	__u16 win;                /* the client's window, as it sends it */
	size_t len;               /* bytes queued, every one handed on */
	size_t first;             /* ... of them in the segment that places it */
	int tries;
	uint64_t feed_until;      /* ms: the rest fed by then */
	__u8 data[];              /* the queued bytes */
};

/* Hand-back's part of the context (env->hb). */
struct fb_handback {
	int map, cfg, listeners;  /* ks_handback, ks_config, ks_listeners */
	int raw_ok;
	int diag;                 /* sock_diag (fb_diag.c), opened on first use */
	struct fb_list waiting;   /* being placed or fed, by when to look again */
	__u8 seg[FB_RAW_HEADROOM + FB_HB_TCP_HDR + FB_HB_MAX];   /* the one being sent */
};

static __u64 fb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);      /* bpf_ktime_get_ns's clock */
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int fb_hb_pinned(const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ks_pin_dir(), name);
	return bpf_obj_get(path);
}

/* The maps, and a clean table: a previous ksteerd's entries and gauge. */
int fb_handback_init(struct fb_env *env)
{
	struct fb_handback *hb = calloc(1, sizeof(*hb));
	struct ks_flow k, next;

	if (!hb)
		return ks_err("out of memory"), -1;
	env->hb = hb;
	hb->diag = -1;
	hb->map = fb_hb_pinned("ks_handback");
	hb->cfg = fb_hb_pinned("ks_config");
	hb->listeners = fb_hb_pinned("ks_listeners");
	hb->raw_ok = !fb_raw_init(&env->raw);
	if (env->maps.stats)
		env->maps.stats[KS_FB_HANDBACK_PENDING] = 0;
	while (hb->map >= 0 && !bpf_map_get_next_key(hb->map, NULL, &next)) {
		k = next;
		bpf_map_delete_elem(hb->map, &k);
	}
	if (!hb->raw_ok)
		fprintf(stderr, "ksteerd: warning: no raw socket (%s): connections of address "
			"backends are refused, not handed back\n", strerror(errno));
	return 0;
}

/* TC runs on lo (ksteer up without --fallback-only, lo among its
 * interfaces) and backend has a TCP listener registered. */
static int fb_hb_possible(struct fb_handback *hb, __u32 backend)
{
	struct ks_config kc;
	struct ks_slot slot = { .backend = backend };
	__u32 zero = 0;
	__u64 cookie;

	if (!hb)                          /* an env without hand-back (unit tests) */
		return 0;
	if (hb->map < 0)                  /* ksteerd came first, ksteer up later */
		hb->map = fb_hb_pinned("ks_handback");
	if (hb->map < 0 || hb->listeners < 0 || !hb->raw_ok ||
	    bpf_map_lookup_elem(hb->cfg, &zero, &kc) || !(kc.flags & KS_CFG_HANDBACK))
		return 0;
	for (slot.slot = 0; slot.slot < KS_MAX_SLOTS; slot.slot++)
		if (!bpf_map_lookup_elem(hb->listeners, &slot, &cookie))
			return 1;
	return 0;
}

static int fb_hb_flow(int fd, struct ks_flow *f)
{
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);

	memset(f, 0, sizeof(*f));
	if (getpeername(fd, (struct sockaddr *)&peer, &pl) ||
	    getsockname(fd, (struct sockaddr *)&local, &ll))
		return -1;
	f->v6 = fb_addr_of(&peer, f->saddr, &f->sport);
	return fb_addr_of(&local, f->daddr, &f->dport) == (int)f->v6 ? 0 : -1;
}

static int fb_hb_getsockopt(int fd, int opt, void *v, socklen_t len)
{
	return getsockopt(fd, IPPROTO_TCP, opt, v, &len);
}

/* Repair mode reads one queue at a time: the receive or the send queue. */
static int fb_hb_queue(int fd, int queue)
{
	return setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue, sizeof(queue));
}

#ifndef TCPI_OPT_USEC_TS
#define TCPI_OPT_USEC_TS 64       /* Linux 6.7; Debian 12's headers predate it */
#endif

/* The connection's options as the child must have them (bpf_tcp_req_attrs):
 * the client's MSS (TCP_MAXSEG reads mss_clamp in repair mode), both window
 * scales, SACK, ECN, timestamps. TSval clock: the child's starts at
 * rcv_tsecr, so it is ksteerd's clock now, which no TSval sent exceeds
 * (the client's PAWS check would drop a lower one). rcv_tsval 0: the
 * child's ts_recent stays 0, with which tcp_paws_check() accepts any
 * TSval, until the client's next segment sets it (its real TSval is
 * nowhere to be read). */
static int fb_hb_options(int fd, struct ks_handback *e)
{
	struct tcp_info ti;
	__u32 tsval = 0;
	int mss;

	if (fb_hb_getsockopt(fd, TCP_INFO, &ti, sizeof(ti)) ||
	    fb_hb_getsockopt(fd, TCP_MAXSEG, &mss, sizeof(mss)) ||
	    ti.tcpi_state != TCP_ESTABLISHED)   /* a FIN in rcv_nxt: not handed back */
		return -1;
	e->mss = mss;
	e->wscale_ok = !!(ti.tcpi_options & TCPI_OPT_WSCALE);
	e->snd_wscale = e->wscale_ok ? ti.tcpi_snd_wscale : 0;
	e->rcv_wscale = e->wscale_ok ? ti.tcpi_rcv_wscale : 0;
	e->sack_ok = !!(ti.tcpi_options & TCPI_OPT_SACK);
	e->ecn_ok = !!(ti.tcpi_options & TCPI_OPT_ECN);
	e->tstamp_ok = !!(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
	e->usec_ts_ok = !!(ti.tcpi_options & TCPI_OPT_USEC_TS);
	if (e->tstamp_ok && fb_hb_getsockopt(fd, TCP_TIMESTAMP, &tsval, sizeof(tsval)))
		return -1;
	e->rcv_tsecr = tsval;
	e->rcv_tsval = 0;
	return 0;
}

/*
 * The segment that recreates the connection in the backend's listener:
 *
 *   TCP header (RFC 9293), from the client's port to the public port
 *   +--------------------------+---------------------------------------+
 *   | seq = first unread byte  | ack = next byte ksteerd would send    |
 *   | doff | ACK|PSH           | window = the client's, as it sends it |
 *   | checksum (fb_raw_send)   | urgent 0                              |
 *   +--------------------------+---------------------------------------+
 *   | NOP NOP TS kind 8 len 10, TSval 0, TSecr = rcv_tsecr (with TS)   |
 *   +------------------------------------------------------------------+
 *   | every byte ksteerd's socket had queued                           |
 *   +------------------------------------------------------------------+
 *
 * The kernel makes the child from it (cookie_tcp_reqsk_init): rcv_isn =
 * seq - 1, snt_isn = ack - 1, send window from the window field; so the
 * child continues exactly where ksteerd's socket stood.
 */
static size_t fb_hb_build(__u8 *seg, const struct fb_hb *h, size_t off, size_t n)
{
	__u8 *t = seg + FB_RAW_HEADROOM;
	size_t hl = h->e.tstamp_ok ? FB_HB_TCP_HDR : 20;
	__u32 v;

	memcpy(t + hl, h->data + off, n);
	memset(t, 0, hl);
	memcpy(t, &h->flow.sport, 2);
	memcpy(t + 2, &h->flow.dport, 2);
	v = htonl(h->seq + off);
	memcpy(t + 4, &v, 4);
	v = htonl(h->ack);
	memcpy(t + 8, &v, 4);
	t[12] = (hl / 4) << 4;
	t[13] = 0x18;                             /* ACK | PSH */
	t[14] = h->win >> 8;
	t[15] = h->win & 0xff;
	if (h->e.tstamp_ok) {
		t[20] = t[21] = 1;
		t[22] = 8;
		t[23] = 10;
		v = htonl(h->e.rcv_tsval);
		memcpy(t + 24, &v, 4);
		v = htonl(h->e.rcv_tsecr);
		memcpy(t + 28, &v, 4);
	}
	return hl + n;
}

/* The queued bytes [off, off + n) as one segment (n <= FB_HB_MAX). */
static int fb_hb_send(struct fb_env *env, const struct fb_hb *h, size_t off, size_t n)
{
	__u8 *seg = env->hb->seg;
	size_t seglen = fb_hb_build(seg, h, off, n);

	return fb_raw_send(&env->raw, h->flow.v6, h->flow.saddr, h->flow.daddr, IPPROTO_TCP,
			   seg + FB_RAW_HEADROOM, seglen);
}

/*
 * Step 2 on a frozen flow, in repair mode: what is queued (into h->data,
 * *hp resized for it), where it starts, what ksteerd has sent, the
 * options, the client's window. 0, or -1: not possible (a FIN seen, bytes
 * sent and not acknowledged, more queued than we take), nothing changed
 * but repair mode (*hp stays valid to free).
 */
static int fb_hb_read(int fd, struct fb_hb **hp)
{
	struct tcp_repair_window w;
	struct fb_hb *h = *hp;
	__u32 rcv_nxt, v;
	int on = TCP_REPAIR_ON, inq0 = -1, inq = -1, outq = -1;
	ssize_t n;

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) ||
	    fb_hb_queue(fd, TCP_RECV_QUEUE) || ioctl(fd, SIOCINQ, &inq0) || inq0 <= 0 ||
	    inq0 > FB_HB_QUEUED_MAX || !(h = realloc(h, sizeof(*h) + inq0 + 1)))
		return -1;
	*hp = h;
	/* Peek, then rcv_nxt (TCP_QUEUE_SEQ), then how much is queued: a byte
	 * that slipped in after the peek (a segment past TC just before the
	 * freeze) shows as inq != n and the hand-back is not made. */
	n = recv(fd, h->data, inq0 + 1, MSG_PEEK | MSG_DONTWAIT);
	if (n != inq0 || fb_hb_getsockopt(fd, TCP_QUEUE_SEQ, &rcv_nxt, sizeof(rcv_nxt)) ||
	    ioctl(fd, SIOCINQ, &inq) || inq != n || fb_hb_queue(fd, TCP_SEND_QUEUE) ||
	    fb_hb_getsockopt(fd, TCP_QUEUE_SEQ, &h->ack, sizeof(h->ack)) ||
	    ioctl(fd, SIOCOUTQ, &outq) || outq ||
	    fb_hb_getsockopt(fd, TCP_REPAIR_WINDOW, &w, sizeof(w)) || fb_hb_options(fd, &h->e))
		return -1;
	h->len = n;
	h->first = n < FB_HB_MAX ? n : FB_HB_MAX;
	h->seq = rcv_nxt - n;
	v = h->e.wscale_ok ? w.snd_wnd >> h->e.snd_wscale : w.snd_wnd;
	h->win = v > 0xffff ? 0xffff : v;
	return 0;
}

/* Undo a freeze before the socket was detached: it goes on as it was. */
static void fb_hb_thaw(struct fb_env *env, int fd, struct fb_hb *h)
{
	int off = TCP_REPAIR_OFF_NO_WP;   /* leave repair mode sending nothing */

	setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off));
	bpf_map_delete_elem(env->hb->map, &h->flow);
	fb_count(env, KS_FB_HANDBACK_PENDING, -1);
}

static int fb_hb_inject(struct fb_env *env, struct fb_hb *h)
{
	return fb_hb_send(env, h, 0, h->first);
}

/* Steps 2-4 on a frozen flow (*hp resized). 0, or -1 with the freeze
 * undone (*hp stays valid to free). */
static int fb_hb_take(struct fb_env *env, int fd, struct fb_hb **hp)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };

	(*hp)->e.state = KS_HB_READY;
	if (fb_hb_read(fd, hp) ||
	    bpf_map_update_elem(env->hb->map, &(*hp)->flow, &(*hp)->e, BPF_EXIST) ||
	    connect(fd, &unspec, sizeof(unspec))) {
		fb_hb_thaw(env, fd, *hp);
		return -1;
	}
	return 0;
}

/* The client is told at once: a RST from the public address at the
 * sequence number it expects (RFC 5961 accepts it as is). */
static void fb_hb_reset(struct fb_env *env, struct fb_hb *h)
{
	__u8 pkt[FB_RAW_HEADROOM + 20] = { 0 }, *t = pkt + FB_RAW_HEADROOM;
	__u32 seq = htonl(h->ack), ack = htonl(h->seq + h->len);

	memcpy(t, &h->flow.dport, 2);
	memcpy(t + 2, &h->flow.sport, 2);
	memcpy(t + 4, &seq, 4);
	memcpy(t + 8, &ack, 4);
	t[12] = 5 << 4;
	t[13] = 0x14;                             /* RST | ACK */
	fb_raw_send(&env->raw, h->flow.v6, h->flow.daddr, h->flow.saddr, IPPROTO_TCP, t, 20);
}

/* And the connection placed with only part of the bytes: a RST "from the
 * client" at the first byte it lacks, so the backend does not wait on it. */
static void fb_hb_reset_child(struct fb_env *env, struct fb_hb *h, __u64 got)
{
	__u8 pkt[FB_RAW_HEADROOM + 20] = { 0 }, *t = pkt + FB_RAW_HEADROOM;
	__u32 seq = htonl(h->seq + (__u32)got);

	memcpy(t, &h->flow.sport, 2);
	memcpy(t + 2, &h->flow.dport, 2);
	memcpy(t + 4, &seq, 4);
	t[12] = 5 << 4;
	t[13] = 0x04;                             /* RST */
	fb_raw_send(&env->raw, h->flow.v6, h->flow.saddr, h->flow.daddr, IPPROTO_TCP, t, 20);
}

/* The hand-back is over: counted, and ksteerd's part of it freed. */
static void fb_hb_done(struct fb_env *env, struct fb_conn *c, int ok)
{
	fb_count(env, ok ? KS_FB_HANDBACK : KS_FB_HANDBACK_FAILED, 1);
	fb_count(env, KS_FB_HANDBACK_PENDING, -1);
	fb_close(env, c, 0);
}

/*
 * Step 7: the connection exists with got bytes of the len queued; send
 * the next ones, as far as FB_HB_AHEAD past them (what its window does
 * not take is dropped by the kernel and sent again next round), and look
 * again in FB_HB_FEED_CHECK_MS.
 */
static void fb_hb_feed(struct fb_env *env, struct fb_conn *c)
{
	struct fb_hb *h = c->hb;
	__u64 got = 0;

	if (fb_diag_bytes_received(&env->hb->diag, h->flow.v6, h->flow.daddr, h->flow.dport,
				   h->flow.saddr, h->flow.sport, &got) || got >= h->len) {
		/* Every byte in, or the connection over already: its backend
		 * read what it wanted and closed it, and told the client. */
		fb_hb_done(env, c, 1);
		return;
	}
	if (fb_now_ms() > h->feed_until) {
		fb_hb_reset(env, h);
		fb_hb_reset_child(env, h, got);
		fb_hb_done(env, c, 0);
		return;
	}
	for (size_t off = got; off < h->len && off < got + FB_HB_AHEAD; off += FB_HB_MAX)
		fb_hb_send(env, h, off, h->len - off < FB_HB_MAX ? h->len - off : FB_HB_MAX);
	fb_list_add(&env->hb->waiting, c, fb_now_ms() + FB_HB_FEED_CHECK_MS);
}

/* TC placed it and deleted the entry. */
static int fb_hb_placed(const struct fb_handback *hb, const struct fb_hb *h)
{
	struct ks_handback e;

	return bpf_map_lookup_elem(hb->map, &h->flow, &e) && errno == ENOENT;
}

/* Step 6 for one connection (and step 7 once it is placed). */
static void fb_hb_check(struct fb_env *env, struct fb_conn *c)
{
	struct fb_hb *h = c->hb;

	if (h->feed_until) {
		fb_hb_feed(env, c);
	} else if (fb_hb_placed(env->hb, h)) {
		if (h->first == h->len) {
			fb_hb_done(env, c, 1);
			return;
		}
		h->feed_until = fb_now_ms() + FB_HB_FEED_MS;
		fb_hb_feed(env, c);
	} else if (h->tries < FB_HB_TRIES) {
		/* Not placed yet (lost, no listener took it, queue full): again. */
		h->tries++;
		fb_count(env, KS_FB_HANDBACK_RETRIED, 1);
		fb_hb_inject(env, h);
		fb_list_add(&env->hb->waiting, c, fb_now_ms() + FB_HB_CHECK_MS);
	} else {
		bpf_map_delete_elem(env->hb->map, &h->flow);
		fb_hb_reset(env, h);
		fb_hb_done(env, c, 0);
	}
}

int fb_handback(struct fb_env *env, struct fb_conn *c, __u32 backend)
{
	int fd = c->client.fd;
	struct fb_hb *h;

	if (!fb_hb_possible(env->hb, backend) || !(h = malloc(sizeof(*h))))
		return -1;
	h->tries = 0;
	h->feed_until = 0;
	h->e = (struct ks_handback){ .born_ns = fb_now_ns(), .state = KS_HB_FROZEN,
				     .backend = backend };
	/* The gauge first: TC reads the table only while it is non-zero. */
	fb_count(env, KS_FB_HANDBACK_PENDING, 1);
	if (fb_hb_flow(fd, &h->flow) ||
	    bpf_map_update_elem(env->hb->map, &h->flow, &h->e, BPF_NOEXIST)) {   /* full: none */
		fb_count(env, KS_FB_HANDBACK_PENDING, -1);
		free(h);
		return -1;
	}
	if (fb_hb_take(env, fd, &h)) {
		free(h);
		return -1;
	}
	/* Detached: the connection is ours to place or reset. The socket,
	 * closed in TCP_CLOSE state, sends nothing. */
	fb_drop_socket(env, &c->client);
	c->state = FB_HANDBACK;
	c->hb = h;
	fb_hb_inject(env, h);
	/* TC runs within the sendto() on lo: placed now, the rest follows
	 * at once; else looked at again in FB_HB_CHECK_MS. */
	if (h->first < h->len && fb_hb_placed(env->hb, h)) {
		h->feed_until = fb_now_ms() + FB_HB_FEED_MS;
		fb_hb_feed(env, c);
	} else {
		fb_list_add(&env->hb->waiting, c, fb_now_ms() + FB_HB_CHECK_MS);
	}
	return 0;
}

int fb_handback_expire(struct fb_env *env)
{
	struct fb_list *l = env->hb ? &env->hb->waiting : NULL;
	uint64_t now = fb_now_ms();
	struct fb_conn *c;

	if (!l)
		return -1;
	while ((c = l->head) && c->deadline <= now) {
		fb_list_del(c);
		fb_hb_check(env, c);
	}
	return l->head ? (int)(l->head->deadline - now) : -1;
}

void fb_handback_free(struct fb_conn *c)
{
	free(c->hb);
	c->hb = NULL;
}

/* Its maps and sockets; the entries of hand-backs still under way are left
 * to TC, which ignores and deletes them after 1 s (DESIGN.md). */
void fb_handback_fini(struct fb_env *env)
{
	struct fb_handback *hb = env->hb;

	if (!hb)
		return;
	int fds[] = { hb->map, hb->cfg, hb->listeners, hb->diag };

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(hb);
	env->hb = NULL;
}
