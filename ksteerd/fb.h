/* SPDX-License-Identifier: GPL-2.0 */
/* ksteerd, the fallback router: shared state of its parts (fb_*.c). */
#ifndef KS_FB_H
#define KS_FB_H

#include <stdint.h>
#include <sys/socket.h>
#include <liburing.h>
#include "hello.h"
#include "ksteer.h"

#define FB_MAX_LISTEN 8            /* --listen addresses */

struct fb_opts {
	int deadline_ms;          /* a ClientHello must be whole by then */
	int max_hello;            /* bytes peeked at most */
	int max_conns;            /* connections held at once */
	int quic;                 /* also route QUIC Initials on UDP */
	int quic_pending;         /* QUIC connections waiting for a ClientHello */
};

struct fb_maps {
	int routes, alpn, info;
	volatile __u64 *stats;    /* ks_fallback_stats, mmap-ed */
};

enum fb_state { FB_PEEK, FB_CONNECT, FB_RELAY, FB_HANDBACK };

struct fb_conn;
/* Connections waiting for a deadline, all of one delay: appended at the
 * tail, they stay in deadline order, so expiry looks at the head only. */
struct fb_list {
	struct fb_conn *head, *tail;
};

struct fb_end {                   /* one side of a relay; its poll's user_data */
	struct fb_conn *c;
	int fd;
	int pipe[2];              /* bytes read from fd, not yet written */
	size_t in_pipe;
	int eof;                  /* fd gave EOF and the pipe is drained */
	int armed;                /* its multishot poll's last CQE is to come */
};

/*
 * io_uring user_data: a struct fb_end pointer (aligned, so its low bits
 * are 0), or a tag in the low bits for what is not a connection, with a
 * listener's index above the tag.
 */
enum fb_ud {
	FB_UD_END,                /* a connection end's poll */
	FB_UD_LISTEN,             /* a listener's multishot accept; index
				   * FB_MAX_LISTEN + i: UDP socket i's poll */
	FB_UD_SIGNAL,             /* the signalfd's poll */
	FB_UD_IGNORE,             /* completions nobody waits for (cancels) */
	FB_UD_MASK = 3,
	FB_UD_SHIFT = 2,
};
_Static_assert(_Alignof(struct fb_end) > FB_UD_MASK, "fb_end pointers carry no tag");

struct fb_conn {
	enum fb_state state;
	struct fb_end client, up;  /* up.fd: the upstream, when proxying */
	uint64_t deadline;         /* monotonic ms */
	struct fb_conn *prev, *next;   /* on one fb_list, by deadline */
	struct fb_list *on;        /* which, or NULL */
	struct fb_hb *hb;          /* FB_HANDBACK: what is being handed back */
	__u32 backend;
	int v2;                    /* send a PROXY v2 header once connected */
	int closed;                /* freed once no poll of it can complete */
	struct fb_conn *dead_next;
};

extern struct fb_opts fb_opts;
extern struct fb_maps fb_maps;
extern struct io_uring fb_ring;

uint64_t fb_now_ms(void);
void fb_count(enum ks_fb_stat s, int delta);
struct io_uring_sqe *fb_sqe(void);        /* never NULL: submits when full */

/* fb_conn.c */
void fb_accept(int fd);           /* a connection the multishot accept gave */
void fb_event(struct fb_end *e, int res, unsigned int cqe_flags);
int fb_expire(void);              /* closes overdue peeks; ms to the next */
void fb_reap(void);               /* free closed ones no CQE can name any more */

void fb_list_add(struct fb_list *l, struct fb_conn *c, uint64_t deadline);
void fb_list_del(struct fb_conn *c);
void fb_close(struct fb_conn *c, int reset);
void fb_drop_socket(struct fb_end *e);

/* fb_handback.c: the client's connection back into its backend's listener */
int fb_handback_init(void);
/* 0: under way (c is the hand-back's now); -1: not possible, c untouched. */
int fb_handback(struct fb_conn *c, __u32 backend);
int fb_handback_expire(void);     /* confirms, retries; ms to the next, -1: none */
void fb_handback_free(struct fb_conn *c);

/* fb_raw.c: packets written whole, marked KS_HANDBACK_MARK */
#define FB_RAW_HEADROOM 40        /* room for the IP header before a segment */
int fb_raw_init(void);
int fb_addr_of(const struct sockaddr_storage *ss, __u32 a[4], __u16 *port);
int fb_raw_send(int v6, const __u32 src[4], const __u32 dst[4], int proto, __u8 *l4, size_t len);

/* fb_diag.c: bytes a TCP socket of ours (local, remote; network order)
 * has taken in order; 0, or -1 when there is no such socket. */
int fb_diag_bytes_received(int v6, const __u32 *laddr, __u16 lport, const __u32 *raddr,
			   __u16 rport, __u64 *got);

/* fb_relay.c */
int fb_relay_start(struct fb_conn *c);
int fb_relay_pump(struct fb_conn *c, struct fb_end *e, unsigned int events); /* 1: finished */
void fb_pipe_put(int p[2], size_t in_pipe);   /* closes it, or keeps it if empty */

/* fb_quic.c: the QUIC Initial router */
int fb_quic_init(int max_pending);
int fb_quic_socket(const struct sockaddr_storage *ss, socklen_t len, const char *name);
void fb_quic_readable(int fd);
int fb_quic_expire(void);         /* drops overdue ones; ms to the next, -1: none */

/* fb_proxy_v2.c */
int fb_proxy_v2_header(int client_fd, unsigned char *buf, size_t len);

#endif
