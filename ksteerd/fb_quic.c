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
 *   - ks_quic_cids[that DCID] and ks_quic_peers[address pair] name one of
 *     the routed backend's QUIC sockets, so that the client's next packets
 *     go straight to it;
 *   - the datagrams held so far are sent again through a raw socket, from
 *     the client's address to the address the client sent them to: TC on
 *     lo steers them by the DCID just installed, and the server receives
 *     them as if from the client. It needs no change and never learns of us.
 *
 * Pending connections are bounded in number (--quic-pending), in time (the
 * ClientHello deadline) and in what each holds (FB_Q_HELD datagrams,
 * FB_Q_HELD_BYTES). What cannot be read or routed is dropped and counted:
 * QUIC has no reset to send before keys exist, and a client whose Initial
 * is dropped retransmits or gives up, which is the right outcome for a
 * connection nobody should serve.
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

#define FB_Q_HELD 8               /* datagrams held per pending connection */
#define FB_Q_HELD_BYTES 16384
#define FB_Q_DGRAM_MAX 1500       /* Initials are padded to 1200; few exceed 1500 */
#define FB_Q_BATCH 64             /* datagrams read per wake-up, then others run */

struct fb_qconn {
	struct sockaddr_storage peer;   /* the client */
	struct sockaddr_storage local;  /* where it sent to (IP_PKTINFO) */
	__u8 dcid[KS_QUIC_CID_MAX], dcid_len;
	uint64_t deadline;
	int nheld;
	size_t held_bytes;
	__u16 held_len[FB_Q_HELD];
	unsigned char held[FB_Q_HELD][FB_Q_DGRAM_MAX];
	struct ks_quic_conn q;
};

/* QUIC's part of the context (env->quic). */
struct fb_quic {
	struct fb_qconn **tab;          /* pending connections, unordered */
	int n, max;
	int listeners, cids, peers;     /* maps */
	struct ks_scratch *scratch;
	struct {                        /* our UDP sockets and where each is bound */
		int fd;
		struct sockaddr_storage bound;
	} socks[FB_MAX_LISTEN];
	int nsocks;
	__u8 buf[65536];                /* the datagram being read */
};

static int fb_q_same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	__u32 x[4], y[4];
	__u16 px, py;

	return fb_addr_of(a, x, &px) == fb_addr_of(b, y, &py) && px == py && !memcmp(x, y, 16);
}

int fb_quic_init(struct fb_env *env)
{
	struct fb_quic *q = calloc(1, sizeof(*q));
	struct ks_config kc;
	__u32 zero = 0;
	int cfg;

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
	q->peers = q->cids < 0 ? -1 : ks_map("ks_quic_peers");
	if (!q->tab || !q->scratch || q->peers < 0)
		return ks_err("QUIC: cannot open the maps (ksteer up --quic first?)"), -1;
	cfg = ks_map("ks_config");
	if (cfg < 0 || bpf_map_lookup_elem(cfg, &zero, &kc) || !(kc.flags & KS_CFG_QUIC))
		fprintf(stderr, "ksteerd: warning: ksteer is up without --quic: the kernel steers no "
			"datagram here until it is\n");
	close(cfg);
	if (fb_raw_init(&env->raw))
		return ks_err("QUIC: cannot open a raw socket: %s (needs CAP_NET_RAW)",
			      strerror(errno)), -1;
	return 0;
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
	    (ss->ss_family == AF_INET &&
	     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on))) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on))) ||
	    bind(fd, (const struct sockaddr *)ss, len))
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

static void fb_q_free(struct fb_env *env, int i)
{
	struct fb_quic *q = env->quic;

	free(q->tab[i]);
	q->tab[i] = q->tab[--q->n];
	fb_count(env, KS_FB_QUIC_PENDING, -1);
}

/* One held datagram, again, from the client to where it was sent. */
static int fb_q_reinject(const struct fb_env *env, const struct fb_qconn *c, const __u8 *data,
			 size_t len)
{
	__u8 pkt[FB_RAW_HEADROOM + 8 + FB_Q_DGRAM_MAX], *udp = pkt + FB_RAW_HEADROOM;
	__u32 src[4], dst[4];
	__u16 sport, dport;
	int v6 = fb_addr_of(&c->peer, src, &sport);

	fb_addr_of(&c->local, dst, &dport);
	memcpy(udp, &sport, 2);
	memcpy(udp + 2, &dport, 2);
	udp[4] = (8 + len) >> 8;
	udp[5] = (8 + len) & 0xff;
	memcpy(udp + 8, data, len);
	return fb_raw_send(&env->raw, v6, src, dst, IPPROTO_UDP, udp, 8 + len);
}

/* One of backend's QUIC sockets that can take the client's family (the
 * same for a given DCID); 0 if none. */
static int fb_q_pick_slot(const struct fb_quic *q, __u32 backend, const struct fb_qconn *c,
			  int v6, struct ks_slot *slot)
{
	__u32 h = 0;
	__u64 cookie;

	for (int i = 0; i < c->dcid_len; i++)
		h = h * 31 + c->dcid[i];
	slot->backend = backend;
	for (int i = 0; i < 2 * KS_MAX_SLOTS; i++) {
		slot->slot = KS_UDP_TRY_SLOT(v6, i, h);
		if (!bpf_map_lookup_elem(q->listeners, slot, &cookie))
			return 1;
	}
	return 0;
}

/* The ClientHello is whole: route it, install the route, give the kernel
 * back what we hold. The caller frees c. */
static void fb_q_route(struct fb_env *env, struct fb_qconn *c)
{
	struct fb_quic *q = env->quic;
	struct ks_cid cid = { .len = c->dcid_len };
	struct ks_flow f = {};
	struct ks_slot slot;
	__u32 backend = env->routes->route(env, q->scratch);
	int bad = 0;

	f.v6 = fb_addr_of(&c->peer, f.saddr, &f.sport);
	if (!backend || !fb_q_pick_slot(q, backend, c, f.v6, &slot)) {
		fb_count(env, KS_FB_QUIC_NO_ROUTE, 1);
		return;
	}
	memcpy(cid.id, c->dcid, c->dcid_len);
	fb_addr_of(&c->local, f.daddr, &f.dport);
	if (bpf_map_update_elem(q->cids, &cid, &slot, BPF_ANY) ||
	    bpf_map_update_elem(q->peers, &f, &slot, BPF_ANY)) {
		ks_err("QUIC: cannot install a route: %s", strerror(errno));
		fb_count(env, KS_FB_QUIC_NO_ROUTE, 1);
		return;
	}
	fb_count(env, KS_FB_QUIC_ROUTED, 1);
	for (int i = 0; i < c->nheld; i++)
		bad |= fb_q_reinject(env, c, c->held[i], c->held_len[i]);
	fb_count(env, KS_FB_QUIC_REINJECTED, c->nheld);
	if (bad)
		ks_err("QUIC: re-injection failed: %s (the client will retransmit)", strerror(errno));
}

static int fb_q_find(const struct fb_quic *q, const struct sockaddr_storage *peer,
		     const __u8 *dcid, int dcid_len)
{
	for (int i = 0; i < q->n; i++)
		if (q->tab[i]->dcid_len == dcid_len && !memcmp(q->tab[i]->dcid, dcid, dcid_len) &&
		    fb_q_same_peer(&q->tab[i]->peer, peer))
			return i;
	return -1;
}

/* One datagram of an unknown connection. */
static void fb_q_datagram(struct fb_env *env, const __u8 *buf, size_t len,
			  const struct sockaddr_storage *peer, const struct sockaddr_storage *local)
{
	struct fb_quic *q = env->quic;
	struct ks_quic_hdr h;
	struct fb_qconn *c;
	int i, st;

	fb_count(env, KS_FB_QUIC_DATAGRAMS, 1);
	if (len && !(buf[0] & 0x80)) {
		/* A short header whose CID no server was seen to choose (its
		 * connection ended, or the entry aged out): nobody to give it to. */
		fb_count(env, KS_FB_QUIC_UNKNOWN, 1);
		return;
	}
	if (len > FB_Q_DGRAM_MAX || ks_quic_parse_long(buf, len, &h)) {
		fb_count(env, KS_FB_QUIC_UNREADABLE, 1);
		return;
	}
	i = fb_q_find(q, peer, h.dcid, h.dcid_len);
	if (i < 0) {
		if (q->n == q->max) {
			fb_count(env, KS_FB_QUIC_FULL, 1);   /* the client retransmits */
			return;
		}
		c = malloc(sizeof(*c));
		if (!c)
			return;
		c->peer = *peer;
		c->local = *local;
		memcpy(c->dcid, h.dcid, h.dcid_len);
		c->dcid_len = h.dcid_len;
		c->deadline = fb_now_ms() + env->cfg->deadline_ms;
		c->nheld = 0;
		c->held_bytes = 0;
		ks_quic_conn_init(&c->q);
		i = q->n++;
		q->tab[i] = c;
		fb_count(env, KS_FB_QUIC_PENDING, 1);
	}
	c = q->tab[i];
	if (ks_quic_datagram(&c->q, buf, len) < 0) {
		/* Forged, damaged, or not an Initial: dropped; a connection
		 * that never decrypted is forgotten. */
		fb_count(env, KS_FB_QUIC_UNREADABLE, 1);
		if (!c->q.version)
			fb_q_free(env, i);
		return;
	}
	if (c->nheld < FB_Q_HELD && c->held_bytes + len <= FB_Q_HELD_BYTES) {
		memcpy(c->held[c->nheld], buf, len);
		c->held_len[c->nheld++] = len;
		c->held_bytes += len;
	}
	st = ks_quic_hello(&c->q, q->scratch);
	if (st == KS_HELLO_INCOMPLETE)
		return;
	if (st == KS_HELLO_COMPLETE)
		fb_q_route(env, c);
	else
		fb_count(env, KS_FB_QUIC_MALFORMED, 1);
	fb_q_free(env, i);
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
		struct sockaddr_storage peer, local = *bound;
		char cbuf[128];
		struct iovec iov = { q->buf, sizeof(q->buf) };
		struct msghdr m = { .msg_name = &peer, .msg_namelen = sizeof(peer), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		ssize_t len = recvmsg(fd, &m, 0);

		if (len < 0)
			return;               /* EAGAIN: drained */
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				((struct sockaddr_in *)&local)->sin_addr = pi.ipi_addr;
			} else if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				((struct sockaddr_in6 *)&local)->sin6_addr = pi.ipi6_addr;
			}
		}
		fb_q_datagram(env, q->buf, len, &peer, &local);
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
		free(q->tab[i]);
	free(q->tab);
	free(q->scratch);
	if (q->listeners >= 0)
		close(q->listeners);
	if (q->cids >= 0)
		close(q->cids);
	if (q->peers >= 0)
		close(q->peers);
	free(q);
	env->quic = NULL;
}
