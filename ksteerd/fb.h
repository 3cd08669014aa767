/* SPDX-License-Identifier: GPL-2.0 */
/* ksteerd, the fallback router: the context its parts (fb_*.c) are handed. */
#ifndef KS_FB_H
#define KS_FB_H

#include <stdint.h>
#include <sys/socket.h>
#include <liburing.h>
#include "hello.h"
#include "ksteer.h"

#define FB_MAX_LISTEN 8            /* --listen addresses */
#define FB_PIPE_POOL 64            /* empty pipes kept for the next relays */

/* What the command line says: read-only once parsed (ksteerd.c). */
struct fb_cfg {
	int deadline_ms;          /* a ClientHello must be whole by then */
	int max_hello;            /* bytes peeked at most */
	int max_conns;            /* connections held at once */
	int quic;                 /* also route QUIC Initials on UDP */
	int quic_pending;         /* QUIC connections waiting for a ClientHello */
	int quic_per_source;      /* of those, from one client address */
	const char *config;       /* -c FILE: the maps made to match it, or NULL */
	const char *metrics;      /* --metrics ADDR:PORT, or NULL */
	const char *listen[FB_MAX_LISTEN];
	int nlisten;
};

struct fb_maps {
	int routes, alpn, info, stats_fd;
	volatile __u64 *stats;    /* ks_fallback_stats, mmap-ed */
};

struct fb_env;
/*
 * How a parsed ClientHello becomes a backend. ksteerd reads the pinned
 * maps (fb_env.c: fb_map_routes); the unit tests give a table of their
 * own, so the connection code runs without BPF.
 */
struct fb_routes {
	/* shared/route.h on s: a backend id, 0 for no route */
	__u32 (*route)(const struct fb_env *env, struct ks_scratch *s);
	/* ks_backend_info[id] into *bi: 0, or -1 when there is none */
	int (*backend)(const struct fb_env *env, __u32 id, struct ks_backend_info *bi);
	/* whether port (host order) is a plain-HTTP one; NULL: none is */
	int (*http_port)(const struct fb_env *env, __u16 port);
};

/* Raw sockets (fb_raw.c), shared by hand-back and QUIC re-injection. */
struct fb_raw {
	int fd4, fd6;
};

/* Empty pipes of closed relays (fb_relay.c). */
struct fb_pipes {
	int fds[FB_PIPE_POOL][2];
	int n;
};

enum fb_state { FB_PEEK, FB_CONNECT, FB_RELAY, FB_HANDBACK };

struct fb_conn;
/* Connections waiting for a deadline, all of one delay: appended at the
 * tail, they stay in deadline order, so expiry looks at the head only. */
struct fb_list {
	struct fb_conn *head, *tail;
};

/*
 * Everything ksteerd's parts share, created by main's phases and handed
 * down to each function that needs it; nothing of it lives in a global.
 * What only one part reads is that part's own (hb, quic: opaque here).
 */
struct fb_env {
	const struct fb_cfg *cfg;
	const struct fb_routes *routes;
	struct fb_maps maps;
	struct io_uring ring;
	int ring_ok;                      /* ring set up: to tear down */
	int lfd[FB_MAX_LISTEN];           /* TCP listeners, by --listen */
	int ufd[FB_MAX_LISTEN];           /* --quic: the UDP socket beside each */
	int sfd;                          /* the signalfd */
	/* fb_conn.c */
	struct fb_list peeking;           /* by ClientHello deadline */
	struct fb_conn *dead;             /* closed, not yet freed */
	int held;                         /* connections held now */
	unsigned char *peek_buf;          /* cfg->max_hello bytes, on first use */
	struct ks_scratch *scratch;       /* the parser's, for TCP */
	struct fb_pipes pipes;
	struct fb_raw raw;
	struct fb_handback *hb;           /* fb_handback.c; NULL: no hand-back */
	struct fb_quic *quic;             /* fb_quic.c; NULL without --quic */
	struct fb_monitor *mon;           /* fb_monitor.c; NULL: no ksteer up */
	struct fb_metrics *metrics;       /* fb_metrics.c; NULL without --metrics */
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
				   * FB_MAX_LISTEN + i: UDP socket i's poll;
				   * from FB_UD_METRICS: fb_metrics.c's */
	FB_UD_SIGNAL,             /* the signalfd's poll */
	FB_UD_IGNORE,             /* completions nobody waits for (cancels) */
	FB_UD_MASK = 3,
	FB_UD_SHIFT = 2,
};
_Static_assert(_Alignof(struct fb_end) > FB_UD_MASK, "fb_end pointers carry no tag");
/* FB_UD_LISTEN's index FB_UD_METRICS: the metrics listener's accept;
 * FB_UD_METRICS + 1 + k: the poll of its connection k. */
#define FB_UD_METRICS (2 * FB_MAX_LISTEN)

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

/* fb_options.c: the command line into *cfg; -1 to run, else the exit
 * status (0 after --help or --version, 2 after one line on stderr). */
int fb_options(int argc, char **argv, struct fb_cfg *cfg);

/* fb_env.c: the context, the pinned maps, the counters */
extern const struct fb_routes fb_map_routes;
int fb_env_init(struct fb_env *env, const struct fb_cfg *cfg);
int fb_open_maps(struct fb_env *env);
void fb_env_free(struct fb_env *env);   /* releases whatever was set up */
uint64_t fb_now_ms(void);
void fb_count(const struct fb_env *env, enum ks_fb_stat s, int delta);
/* ADDR:PORT as a socket address; its length, or 0 after saying why. */
socklen_t fb_sockaddr(const char *addr_s, struct sockaddr_storage *ss);

/* fb_loop.c: the io_uring event loop */
int fb_ring_init(struct fb_env *env);
struct io_uring_sqe *fb_sqe(struct fb_env *env);   /* never NULL: submits when full */
void fb_arm_accept(struct fb_env *env, int i);
void fb_arm_udp(struct fb_env *env, int i);
void fb_arm_signal(struct fb_env *env);
int fb_due(struct fb_env *env);           /* runs what is due; ms to the next, -1: none */
int fb_wait(struct fb_env *env, int ms);  /* submits, waits for a CQE ms at most */
int fb_dispatch(struct fb_env *env);      /* the CQEs that came; 1: told to stop */
int fb_loop(struct fb_env *env);          /* until a signal stops it; the exit code */

/* fb_conn.c */
void fb_accept(struct fb_env *env, int fd);   /* a connection the multishot accept gave */
void fb_event(struct fb_env *env, struct fb_end *e, int res, unsigned int cqe_flags);
int fb_expire(struct fb_env *env);        /* closes overdue peeks; ms to the next */
void fb_reap(struct fb_env *env);         /* free closed ones no CQE can name any more */

void fb_list_add(struct fb_list *l, struct fb_conn *c, uint64_t deadline);
void fb_list_del(struct fb_conn *c);
void fb_close(struct fb_env *env, struct fb_conn *c, int reset);
void fb_drop_socket(struct fb_env *env, struct fb_end *e);

/* fb_handback.c: the client's connection back into its backend's listener */
int fb_handback_init(struct fb_env *env);
/* 0: under way (c is the hand-back's now); -1: not possible, c untouched. */
int fb_handback(struct fb_env *env, struct fb_conn *c, __u32 backend);
int fb_handback_expire(struct fb_env *env);   /* confirms, retries; ms to the next, -1: none */
void fb_handback_free(struct fb_conn *c);
void fb_handback_fini(struct fb_env *env);

/* fb_raw.c: packets written whole, marked KS_HANDBACK_MARK */
#define FB_RAW_HEADROOM 40        /* room for the IP header before a segment */
int fb_raw_init(struct fb_raw *raw);
void fb_raw_close(struct fb_raw *raw);
int fb_addr_of(const struct sockaddr_storage *ss, __u32 a[4], __u16 *port);
int fb_raw_send_tos(const struct fb_raw *raw, int v6, const __u32 src[4], const __u32 dst[4],
		    int proto, __u8 tos, __u8 *l4, size_t len);
int fb_raw_send(const struct fb_raw *raw, int v6, const __u32 src[4], const __u32 dst[4],
		int proto, __u8 *l4, size_t len);

/* fb_diag.c: bytes a TCP socket of ours (local, remote; network order)
 * has taken in order; 0, or -1 when there is no such socket. *sock is the
 * sock_diag socket, opened on first use and kept there. */
int fb_diag_bytes_received(int *sock, int v6, const __u32 *laddr, __u16 lport,
			   const __u32 *raddr, __u16 rport, __u64 *got);

/* fb_relay.c */
int fb_relay_start(struct fb_env *env, struct fb_conn *c);
int fb_relay_pump(struct fb_conn *c, struct fb_end *e, unsigned int events); /* 1: finished */
/* Closes the pipe, or keeps it for the next relay if it is empty. */
void fb_pipe_put(struct fb_env *env, int p[2], size_t in_pipe);
void fb_pipes_close(struct fb_env *env);

/* fb_quic.c: the QUIC Initial router */
int fb_quic_init(struct fb_env *env);
int fb_quic_socket(struct fb_env *env, const struct sockaddr_storage *ss, socklen_t len,
		   const char *name);
void fb_quic_readable(struct fb_env *env, int fd);
int fb_quic_expire(struct fb_env *env);   /* drops overdue ones; ms to the next, -1: none */
void fb_quic_fini(struct fb_env *env);

/* fb_metrics.c: --metrics, the Prometheus text format over HTTP */
int fb_metrics_init(struct fb_env *env);  /* listens and arms; 0 or -1 */
void fb_metrics_event(struct fb_env *env, int index, const struct io_uring_cqe *cqe);
int fb_metrics_expire(struct fb_env *env);    /* cuts overdue ones; ms to the next, -1: none */
void fb_metrics_fini(struct fb_env *env);

/* fb_proxy_v2.c */
int fb_proxy_v2_header(int client_fd, unsigned char *buf, size_t len);

/* ksteerd -c FILE, at start (why NULL) and on SIGHUP: one log line (fb_config.c). */
int fb_config_load(const char *path, const char *why);

/* fb_monitor.c: ksteerd's decisions for `ksteer monitor` (path and why:
 * KS_EV_ and KS_WHY_ values; with_hello: env's parser holds c's hello). */
void fb_monitor_init(struct fb_env *env);
void fb_monitor_fini(struct fb_env *env);
void fb_decided(const struct fb_env *env, const struct fb_conn *c, int path, int why,
		__u32 backend, int with_hello);

#endif
