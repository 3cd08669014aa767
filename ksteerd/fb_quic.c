// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd's QUIC Initial router (ksteerd --quic).
 *
 * TC gives ksteerd's UDP socket the datagrams of connections that no server
 * owns yet. For each new client connection (client address + the DCID of
 * its first Initial) the Initials are decrypted and the CRYPTO stream put
 * back together (quic_initial.c) until the ClientHello is whole; its SNI and
 * ALPN are routed like a TCP ClientHello, and then:
 *
 *   - ks_quic_cids[that DCID] names one of the routed backend's QUIC
 *     sockets, so that the client's next packets go straight to it (not
 *     the address pair: an Initial's source is unverified, and TC egress
 *     learns the pair from the server's answer);
 *   - the datagrams held so far are sent again through a raw socket, from
 *     the client's address to the address the client sent them to: TC on
 *     lo steers them by the DCID just installed, and the server receives
 *     them as if from the client. It needs no change and never learns of us.
 *
 * What may create state here, and how much, is in DESIGN.md ("QUIC"): only
 * an Initial of at least 1200 bytes whose DCID has at least 8 bytes, once
 * it decrypted; at most --quic-per-source from one client address and
 * --quic-pending in all (full, the oldest goes), each until the ClientHello
 * deadline and holding at most FB_Q_HELD datagrams / FB_Q_HELD_BYTES.
 * 0-RTT datagrams of a pending connection are held with it and re-injected
 * after its Initials; datagrams still queued to us when the route went in
 * are re-injected as they come (FB_Q_DONE). A version we cannot read is
 * answered with Version Negotiation (stateless, rate-bounded). What cannot
 * be read or routed is dropped and counted: QUIC has no reset to send
 * before keys exist, and a client whose Initial is dropped retransmits or
 * gives up, which is the right outcome for a connection nobody should
 * serve. Routing reads only datagrams that are then delivered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "fb.h"
#include "quic_initial.h"

#define FB_Q_HELD 16              /* datagrams held per pending connection */
#define FB_Q_HELD_BYTES (80 * 1024) /* ... and bytes: one of the largest, and more */
#define FB_Q_DGRAM_MAX 65527      /* the largest UDP payload (IPv6; IPv4's is 65507) */
#define FB_Q_BATCH 64             /* datagrams read per wake-up, then others run */
#define FB_Q_DONE 64              /* connections just routed, remembered ... */
#define FB_Q_DONE_MS 1000         /* ... this long, for datagrams already queued */
#define FB_Q_VN_RATE 100          /* Version Negotiation packets a second, at most */

/* One held datagram and the TOS byte (DSCP, ECN) it came with. */
struct fb_qheld {
	__u32 len;
	__u8 tos;
	__u8 data[];
};

/* A client connection: where from, where to, its first DCID. */
struct fb_qkey {
	struct sockaddr_storage peer;   /* the client */
	struct sockaddr_storage local;  /* where it sent to (IP_PKTINFO) */
	__u8 dcid[KS_QUIC_CID_MAX], dcid_len;
};

struct fb_qconn {
	struct fb_qkey k;
	uint64_t deadline;              /* also its age: all get the same delay */
	int nheld;
	size_t held_bytes;
	struct fb_qheld *held[FB_Q_HELD];
	struct ks_quic_conn q;
};

/* A connection routed or refused a moment ago (a ring, the oldest
 * overwritten). */
struct fb_qdone {
	struct fb_qkey k;
	uint64_t until;
	int routed;
};

/* What recvmsg said beside the payload. */
struct fb_qmeta {
	struct sockaddr_storage peer, local;
	int fd;
	__u8 tos;
	int looped;                     /* carries KS_HANDBACK_MARK: our own */
	int truncated;
};

/* QUIC's part of the context (env->quic). */
struct fb_quic {
	struct fb_qconn **tab;          /* pending connections, unordered */
	int n, max;
	struct fb_qdone done[FB_Q_DONE];
	unsigned done_next;
	uint64_t vn_second;             /* Version Negotiation: this second's ... */
	int vn_sent;                    /* ... count */
	int listeners, cids;            /* maps */
	struct ks_scratch *scratch;
	struct {                        /* our UDP sockets and where each is bound */
		int fd;
		struct sockaddr_storage bound;
	} socks[FB_MAX_LISTEN];
	int nsocks;
	__u8 buf[65536];                /* the datagram being read */
	__u8 pkt[FB_RAW_HEADROOM + 8 + FB_Q_DGRAM_MAX];   /* the one re-injected */
};

/* 1 if a and b are one address (and one port, if ports). */
static int fb_q_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b, int ports)
{
	__u32 x[4], y[4];
	__u16 px, py;

	return fb_addr_of(a, x, &px) == fb_addr_of(b, y, &py) && (!ports || px == py) &&
	       !memcmp(x, y, 16);
}

static int fb_q_is(const struct fb_qkey *k, const struct sockaddr_storage *peer,
		   const struct ks_quic_hdr *h)
{
	return k->dcid_len == h->dcid_len && !memcmp(k->dcid, h->dcid, h->dcid_len) &&
	       fb_q_same(&k->peer, peer, 1);
}

/* The kernel steers nothing here unless TC runs on lo too: the datagrams
 * we re-inject arrive there, and without TC they would be looked up as any
 * datagram to the port, and could come back to us, again and again. */
static int fb_q_check_config(void)
{
	struct ks_config kc;
	__u32 zero = 0;
	int cfg = ks_map("ks_config"), err;

	err = cfg < 0 || bpf_map_lookup_elem(cfg, &zero, &kc);
	if (cfg >= 0)
		close(cfg);
	if (err)
		return ks_err("QUIC: cannot read ks_config (ksteer up --quic first?)"), -1;
	if (!(kc.flags & KS_CFG_HANDBACK))
		return ks_err("QUIC: ksteer's TC program does not run on lo (`ksteer up -i` without "
			      "lo, or --fallback-only): re-injected datagrams would loop; run "
			      "ksteer up with lo"), -1;
	if (!(kc.flags & KS_CFG_QUIC))
		fprintf(stderr, "ksteerd: warning: ksteer is up without --quic: the kernel steers no "
			"datagram here until it is\n");
	return 0;
}

int fb_quic_init(struct fb_env *env)
{
	struct fb_quic *q = calloc(1, sizeof(*q));

	if (!q)
		return ks_err("out of memory"), -1;
	env->quic = q;
	q->max = env->cfg->quic_pending;
	if (env->maps.stats)
		env->maps.stats[KS_FB_QUIC_PENDING] = 0;  /* a previous ksteerd's gauge */
	q->tab = calloc(q->max, sizeof(*q->tab));
	q->scratch = calloc(1, sizeof(*q->scratch));
	q->listeners = ks_map("ks_listeners");
	q->cids = q->listeners < 0 ? -1 : ks_map("ks_quic_cids");
	if (!q->tab || !q->scratch || q->cids < 0)
		return ks_err("QUIC: cannot open the maps (ksteer up --quic first?)"), -1;
	if (fb_q_check_config())
		return -1;
	if (fb_raw_init(&env->raw))
		return ks_err("QUIC: cannot open a raw socket: %s (needs CAP_NET_RAW)",
			      strerror(errno)), -1;
	return 0;
}

/* What recvmsg is to tell beside each datagram: where it was sent to, its
 * TOS byte, and its mark (SO_RCVMARK, Linux 5.19; without it, no loop
 * guard beyond fb_q_check_config). */
static int fb_q_sockopts(int fd, int family)
{
	int on = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVMARK, &on, sizeof(on));
	if (family == AF_INET)
		return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) ||
		       setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
	/* IPv4-mapped datagrams on a dual-stack socket report IP_TOS. */
	setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &on, sizeof(on));
	return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) ||
	       setsockopt(fd, IPPROTO_IPV6, IPV6_RECVTCLASS, &on, sizeof(on));
}

/* A UDP socket on addr beside the QUIC servers (they may bind the same port
 * with SO_REUSEADDR or SO_REUSEPORT), registered as the fallback's. */
int fb_quic_socket(struct fb_env *env, const struct sockaddr_storage *ss, socklen_t len,
		   const char *name)
{
	struct fb_quic *q = env->quic;
	int fd, on = 1, err;

	fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) ||
	    fb_q_sockopts(fd, ss->ss_family) || bind(fd, (const struct sockaddr *)ss, len))
		return ks_err("QUIC: cannot bind UDP %s: %s", name, strerror(errno)), -1;
	err = ks_register_udp(KS_FALLBACK_ID, fd, NULL);
	if (err)
		return ks_err("QUIC: cannot register UDP %s: %s (is it ksteer's public port?)", name,
			      strerror(-err)), -1;
	if (q->nsocks == FB_MAX_LISTEN)
		return ks_err("QUIC: at most %d UDP sockets", FB_MAX_LISTEN), -1;
	q->socks[q->nsocks].fd = fd;
	q->socks[q->nsocks++].bound = *ss;
	return fd;
}

static void fb_q_release(struct fb_qconn *c)
{
	for (int i = 0; i < c->nheld; i++)
		free(c->held[i]);
	free(c);
}

static void fb_q_free(struct fb_env *env, int i)
{
	struct fb_quic *q = env->quic;

	fb_q_release(q->tab[i]);
	q->tab[i] = q->tab[--q->n];
	fb_count(env, KS_FB_QUIC_PENDING, -1);
}

/* One datagram, again, from the client to where it was sent, with the TOS
 * it came with (ECN validation: RFC 9000 13.4). */
static int fb_q_reinject(const struct fb_env *env, const struct fb_qkey *k, const __u8 *data,
			 size_t len, __u8 tos)
{
	struct fb_quic *q = env->quic;
	__u8 *udp = q->pkt + FB_RAW_HEADROOM;
	__u32 src[4], dst[4];
	__u16 sport, dport;
	int v6 = fb_addr_of(&k->peer, src, &sport), err;

	fb_addr_of(&k->local, dst, &dport);
	memcpy(udp, &sport, 2);
	memcpy(udp + 2, &dport, 2);
	udp[4] = (8 + len) >> 8;
	udp[5] = (8 + len) & 0xff;
	memcpy(udp + 8, data, len);
	err = fb_raw_send_tos(&env->raw, v6, src, dst, IPPROTO_UDP, tos, udp, 8 + len);
	if (err)
		fb_count(env, KS_FB_QUIC_REINJECT_FAILED, 1);
	return err;
}

/* One of backend's QUIC sockets that can take the client's family (the
 * same for a given DCID); 0 if none. */
static int fb_q_pick_slot(const struct fb_quic *q, __u32 backend, const struct fb_qkey *k,
			  int v6, struct ks_slot *slot)
{
	__u32 h = 0;
	__u64 cookie;

	for (int i = 0; i < k->dcid_len; i++)
		h = h * 31 + k->dcid[i];
	slot->backend = backend;
	for (int i = 0; i < 2 * KS_MAX_SLOTS; i++) {
		slot->slot = KS_UDP_TRY_SLOT(v6, i, h);
		if (!bpf_map_lookup_elem(q->listeners, slot, &cookie))
			return 1;
	}
	return 0;
}

/* The ClientHello is whole: route it, install the route, give the kernel
 * back what we hold. 1 if routed; the caller frees c. */
static int fb_q_route(struct fb_env *env, struct fb_qconn *c)
{
	struct fb_quic *q = env->quic;
	struct ks_cid cid = { .len = c->k.dcid_len };
	struct ks_slot slot;
	__u32 backend = env->routes->route(env, q->scratch), peer[4];
	__u16 port;
	int bad = 0, v6 = fb_addr_of(&c->k.peer, peer, &port);

	if (!backend || !fb_q_pick_slot(q, backend, &c->k, v6, &slot)) {
		fb_count(env, KS_FB_QUIC_NO_ROUTE, 1);
		return 0;
	}
	memcpy(cid.id, c->k.dcid, c->k.dcid_len);
	if (bpf_map_update_elem(q->cids, &cid, &slot, BPF_ANY)) {
		ks_err("QUIC: cannot install a route: %s", strerror(errno));
		fb_count(env, KS_FB_QUIC_NO_ROUTE, 1);
		return 0;
	}
	fb_count(env, KS_FB_QUIC_ROUTED, 1);
	for (int i = 0; i < c->nheld; i++)
		bad |= fb_q_reinject(env, &c->k, c->held[i]->data, c->held[i]->len, c->held[i]->tos);
	fb_count(env, KS_FB_QUIC_REINJECTED, c->nheld);
	if (bad)
		ks_err("QUIC: re-injection failed: %s (the client will retransmit)", strerror(errno));
	return 1;
}

/* Remember c, done with, for its datagrams still queued to us. */
static void fb_q_remember(struct fb_quic *q, const struct fb_qconn *c, int routed)
{
	struct fb_qdone *d = &q->done[q->done_next++ % FB_Q_DONE];

	d->k = c->k;
	d->until = fb_now_ms() + FB_Q_DONE_MS;
	d->routed = routed;
}

static int fb_q_find(const struct fb_quic *q, const struct sockaddr_storage *peer,
		     const struct ks_quic_hdr *h)
{
	for (int i = 0; i < q->n; i++)
		if (fb_q_is(&q->tab[i]->k, peer, h))
			return i;
	return -1;
}

/* A datagram of a connection routed a moment ago, queued to us before its
 * route was installed: TC steers it now, so it goes straight back. Of one
 * refused a moment ago: dropped, not read again (1: either). */
static int fb_q_late(struct fb_env *env, const struct sockaddr_storage *peer,
		     const struct ks_quic_hdr *h, const __u8 *buf, size_t len, __u8 tos)
{
	struct fb_quic *q = env->quic;
	uint64_t now = fb_now_ms();

	for (int i = 0; i < FB_Q_DONE; i++) {
		if (q->done[i].until <= now || !fb_q_is(&q->done[i].k, peer, h))
			continue;
		if (!q->done[i].routed)
			fb_count(env, KS_FB_QUIC_REFUSED_LATE, 1);
		else if (!fb_q_reinject(env, &q->done[i].k, buf, len, tos))
			fb_count(env, KS_FB_QUIC_LATE, 1);
		return 1;
	}
	return 0;
}

/*
 * Decode one datagram on c and hold it, if it is to be delivered: it gave
 * Initial packets (even if a coalesced packet after them failed: the
 * server gets the bytes we route on), or it carries only other packets of
 * the connection (0-RTT). Routing never reads a datagram it would not
 * deliver: with no room to hold it, it is not decoded. 0 held, -1 dropped.
 */
static int fb_q_take(struct fb_env *env, struct fb_qconn *c, const __u8 *buf, size_t len,
		     __u8 tos)
{
	__u32 before = c->q.st.initials;
	struct fb_qheld *hd;
	int r;

	if (c->nheld == FB_Q_HELD || c->held_bytes + len > FB_Q_HELD_BYTES) {
		fb_count(env, KS_FB_QUIC_HELD_FULL, 1);     /* the client retransmits */
		return -1;
	}
	hd = malloc(sizeof(*hd) + len);
	if (!hd)
		return -1;
	r = ks_quic_datagram(&c->q, buf, len);
	if (r < 0 && c->q.st.initials == before) {
		if (r != -KS_QUIC_E_NOT_INITIAL || !c->q.version) {
			/* Forged, damaged, or of no Initial: gave nothing. */
			fb_count(env, KS_FB_QUIC_UNREADABLE, 1);
			free(hd);
			return -1;
		}
		fb_count(env, KS_FB_QUIC_ZERO_RTT_HELD, 1);
	}
	hd->len = len;
	hd->tos = tos;
	memcpy(hd->data, buf, len);
	c->held[c->nheld++] = hd;
	c->held_bytes += len;
	return 0;
}

/*
 * c waits for the rest of its ClientHello. Full (at --quic-per-source
 * from its client address, or --quic-pending in all), the oldest such
 * connection makes room: spoofed Initials can only push out each other
 * and connections slower than they are, never refuse a new one; a real
 * ClientHello in one or two back-to-back datagrams is routed long before.
 */
static void fb_q_insert(struct fb_env *env, struct fb_qconn *c)
{
	struct fb_quic *q = env->quic;
	int same = 0, oldest_src = -1, oldest = -1;

	for (int i = 0; i < q->n; i++) {
		if (oldest < 0 || q->tab[i]->deadline < q->tab[oldest]->deadline)
			oldest = i;
		if (!fb_q_same(&q->tab[i]->k.peer, &c->k.peer, 0))
			continue;
		same++;
		if (oldest_src < 0 || q->tab[i]->deadline < q->tab[oldest_src]->deadline)
			oldest_src = i;
	}
	if (same >= env->cfg->quic_per_source) {
		fb_count(env, KS_FB_QUIC_SOURCE_FULL, 1);
		fb_q_free(env, oldest_src);
	} else if (q->n == q->max) {
		fb_count(env, KS_FB_QUIC_FULL, 1);
		fb_q_free(env, oldest);
	}
	q->tab[q->n++] = c;
	fb_count(env, KS_FB_QUIC_PENDING, 1);
}

/* After a datagram was taken: 1 if c is done with (routed or refused). */
static int fb_q_progress(struct fb_env *env, struct fb_qconn *c)
{
	int st = ks_quic_hello(&c->q, env->quic->scratch);

	if (st == KS_HELLO_INCOMPLETE)
		return 0;
	if (st != KS_HELLO_COMPLETE)
		fb_count(env, KS_FB_QUIC_MALFORMED, 1);
	fb_q_remember(env->quic, c, st == KS_HELLO_COMPLETE && fb_q_route(env, c));
	return 1;
}

/* The first Initial of a connection: state only once it decoded. */
static void fb_q_new(struct fb_env *env, const struct ks_quic_hdr *h, const __u8 *buf,
		     size_t len, const struct fb_qmeta *m)
{
	struct fb_qconn *c = malloc(sizeof(*c));

	if (!c)
		return;
	c->k.peer = m->peer;
	c->k.local = m->local;
	memcpy(c->k.dcid, h->dcid, h->dcid_len);
	c->k.dcid_len = h->dcid_len;
	c->deadline = fb_now_ms() + env->cfg->deadline_ms;
	c->nheld = 0;
	c->held_bytes = 0;
	ks_quic_conn_init(&c->q);
	if (fb_q_take(env, c, buf, len, m->tos) || fb_q_progress(env, c))
		fb_q_release(c);
	else
		fb_q_insert(env, c);
}

/* msg's one control message: the source address to send from. */
static void fb_q_cmsg(struct msghdr *msg, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *cm = msg->msg_control;

	cm->cmsg_level = level;
	cm->cmsg_type = type;
	cm->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(cm), data, len);
	msg->msg_controllen = CMSG_SPACE(len);
}

/*
 * Version Negotiation for a version we cannot read, from the socket the
 * datagram came to and the address it was sent to. Stateless; at most
 * FB_Q_VN_RATE a second (the source may be spoofed: the answer is smaller
 * than the 1200 bytes that drew it, and no more of them than that).
 */
static void fb_q_negotiate(struct fb_env *env, const struct ks_quic_hdr *h,
			   const struct fb_qmeta *m)
{
	struct fb_quic *q = env->quic;
	uint64_t sec = fb_now_ms() / 1000;
	__u8 vn[KS_QUIC_VN_MAX];
	char cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))] = { 0 };
	struct iovec iov = { vn, 0 };
	struct msghdr msg = { .msg_name = (void *)&m->peer, .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf };

	if (sec != q->vn_second) {
		q->vn_second = sec;
		q->vn_sent = 0;
	}
	if (q->vn_sent >= FB_Q_VN_RATE) {
		fb_count(env, KS_FB_QUIC_VN_LIMITED, 1);
		return;
	}
	iov.iov_len = ks_quic_vn_build(h, h->dcid_len ? h->dcid[0] : 0, vn, sizeof(vn));
	if (m->peer.ss_family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = ((struct sockaddr_in *)&m->local)->sin_addr };

		msg.msg_namelen = sizeof(struct sockaddr_in);
		fb_q_cmsg(&msg, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ((struct sockaddr_in6 *)&m->local)->sin6_addr };

		msg.msg_namelen = sizeof(struct sockaddr_in6);
		fb_q_cmsg(&msg, IPPROTO_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
	q->vn_sent++;
	if (sendmsg(m->fd, &msg, 0) < 0)
		fb_count(env, KS_FB_QUIC_VN_LIMITED, 1);   /* the socket's buffer: the same */
	else
		fb_count(env, KS_FB_QUIC_VN_SENT, 1);
}

/* One datagram of an unknown connection. */
static void fb_q_datagram(struct fb_env *env, const __u8 *buf, size_t len,
			  const struct fb_qmeta *m)
{
	struct fb_quic *q = env->quic;
	struct ks_quic_hdr h;
	int i, kind;

	fb_count(env, KS_FB_QUIC_DATAGRAMS, 1);
	if (m->looped) {
		/* One we re-injected, back: TC could not steer it. Again would loop. */
		fb_count(env, KS_FB_QUIC_LOOPED, 1);
		return;
	}
	if (len && !(buf[0] & 0x80)) {
		/* A short header whose CID no server was seen to choose (its
		 * connection ended, or the entry aged out): nobody to give it to. */
		fb_count(env, KS_FB_QUIC_UNKNOWN, 1);
		return;
	}
	kind = m->truncated ? KS_QA_UNREADABLE : ks_quic_admit(buf, len, &h);
	switch (kind) {
	case KS_QA_VERSION:
		fb_q_negotiate(env, &h, m);
		return;
	case KS_QA_SMALL:           /* RFC 9000 14.1: a server discards them */
		fb_count(env, KS_FB_QUIC_SMALL, 1);
		return;
	case KS_QA_SHORT_DCID:      /* RFC 9000 7.2: no client chooses one */
		fb_count(env, KS_FB_QUIC_SHORT_DCID, 1);
		return;
	case KS_QA_UNREADABLE:      /* nothing a server would take from a new client */
		fb_count(env, KS_FB_QUIC_UNREADABLE, 1);
		return;
	}
	if (fb_q_late(env, &m->peer, &h, buf, len, m->tos))
		return;
	i = fb_q_find(q, &m->peer, &h);
	if (i >= 0) {
		if (!fb_q_take(env, q->tab[i], buf, len, m->tos) && fb_q_progress(env, q->tab[i]))
			fb_q_free(env, i);
	} else if (kind == KS_QA_INITIAL) {
		fb_q_new(env, &h, buf, len, m);
	} else {
		/* 0-RTT with no Initial before it: nothing to hold it with, and
		 * no state for what cannot be checked (the client resends its
		 * data in 1-RTT). */
		fb_count(env, KS_FB_QUIC_UNREADABLE, 1);
	}
}

/* The control messages of one datagram into m. */
static void fb_q_cmsgs(struct msghdr *msg, struct fb_qmeta *m)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		int v = 0;

		if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			if (m->local.ss_family == AF_INET)
				((struct sockaddr_in *)&m->local)->sin_addr = pi.ipi_addr;
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			((struct sockaddr_in6 *)&m->local)->sin6_addr = pi.ipi6_addr;
		} else if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_TOS) {
			m->tos = *CMSG_DATA(cm);
		} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_TCLASS) {
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			m->tos = v;
		} else if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_MARK) {
			memcpy(&v, CMSG_DATA(cm), sizeof(v));
			m->looped = (__u32)v == KS_HANDBACK_MARK;
		}
	}
}

/* Read what the socket has (FB_Q_BATCH at most: others get their turn). */
void fb_quic_readable(struct fb_env *env, int fd)
{
	struct fb_quic *q = env->quic;
	const struct sockaddr_storage *bound = NULL;

	for (int i = 0; i < q->nsocks; i++)
		if (q->socks[i].fd == fd)
			bound = &q->socks[i].bound;
	if (!bound)
		return;
	for (int n = 0; n < FB_Q_BATCH; n++) {
		struct fb_qmeta m = { .local = *bound, .fd = fd };
		char cbuf[256];
		struct iovec iov = { q->buf, sizeof(q->buf) };
		struct msghdr msg = { .msg_name = &m.peer, .msg_namelen = sizeof(m.peer),
				      .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		ssize_t len = recvmsg(fd, &msg, 0);

		if (len < 0)
			return;               /* EAGAIN: drained */
		fb_q_cmsgs(&msg, &m);
		m.truncated = (msg.msg_flags & MSG_TRUNC) || len > FB_Q_DGRAM_MAX;
		fb_q_datagram(env, q->buf, len, &m);
	}
}

/* Drop connections whose ClientHello is overdue; ms to the next (-1: none). */
int fb_quic_expire(struct fb_env *env)
{
	struct fb_quic *q = env->quic;
	uint64_t now = fb_now_ms(), next = UINT64_MAX;

	if (!q)
		return -1;
	for (int i = 0; i < q->n;) {
		if (q->tab[i]->deadline <= now) {
			fb_count(env, KS_FB_QUIC_TIMEOUT, 1);
			fb_q_free(env, i);
			continue;
		}
		if (q->tab[i]->deadline < next)
			next = q->tab[i]->deadline;
		i++;
	}
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

/* What is pending is dropped with it (the clients retransmit to a new
 * ksteerd); the UDP sockets are the env's to close. */
void fb_quic_fini(struct fb_env *env)
{
	struct fb_quic *q = env->quic;

	if (!q)
		return;
	for (int i = 0; i < q->n; i++)
		fb_q_release(q->tab[i]);
	free(q->tab);
	free(q->scratch);
	if (q->listeners >= 0)
		close(q->listeners);
	if (q->cids >= 0)
		close(q->cids);
	free(q);
	env->quic = NULL;
}
