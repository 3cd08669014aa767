/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A new QUIC connection's first datagram read at TC (docs/DESIGN.md,
 * "Initials in the kernel"): admitted by ksteerd's rule (ks_ql_admit),
 * within a per-CPU budget of decryptions, decrypted (bpf/quic_decrypt.h)
 * lazily, only the blocks the frame walker (shared/quic_frames.h, ksteerd's
 * too) is about to read, its CRYPTO frames put back together by offset
 * (out of order, as Chromium sends them) into a linear buffer behind a
 * synthetic TLS record header, for the one ClientHello parser. The walk
 * stops as soon as the ClientHello is whole. The includer routes on it
 * (steer_tc.bpf.c) or, in a test, reads it back (tests/progs/quic_route.bpf.c).
 *
 * Only the datagram's first packet is read. A ClientHello that is not
 * whole in it (Chromium's span two datagrams) is KS_QK_PARTIAL, its walk
 * taken to the end so that every fragment it carries is in the stream:
 * bpf/quic_hold.h keeps that stream with the datagram and resumes it with
 * the next datagram's (ks_qk_walk over a held stream). Nothing here
 * outlives the datagram but the budget.
 */
#ifndef KS_QUIC_ROUTE_H
#define KS_QUIC_ROUTE_H

/* The walker's bounds in BPF: PADDING taken 32 bytes a call, and at most
 * 2 ACK ranges (a client's first flight acknowledges nothing; more goes
 * to ksteerd, KS_QUIC_E_LIMIT). */
#define KS_QF_PAD_STEP 32
#define KS_QF_ACK_MAX 2
#include "quic_decrypt.h"
#include "quic_frames.h"

#define KS_QK_STREAM 4096         /* CRYPTO stream offsets one datagram may fill */
#define KS_QK_HDR 8               /* lin: a record header at 3..7, the stream from 8 */
#define KS_QK_LIN_MASK (2 * KS_QK_STREAM - 1)
#define KS_QK_RATE 8192           /* decryptions a second per CPU; then ksteerd's */
#define KS_QK_READ KS_QF_READ_MAX(KS_QF_ACK_MAX)

/* What became of a datagram: 0 whole; KS_QC_E_* (1..7) its header refused;
 * then these. All but KS_QK_WHOLE leave it to ksteerd. */
enum ks_qk_out {
	KS_QK_WHOLE = 0,              /* the ClientHello is whole in lin */
	KS_QK_NOT_ADMITTED = 8,       /* under 1200 bytes, a DCID under 8, 0-RTT */
	KS_QK_BUDGET,                 /* this CPU's decryptions for this second spent */
	KS_QK_MALFORMED,              /* reserved bits, no frames, a bad or foreign frame */
	KS_QK_STREAM_ODD,             /* CRYPTO overlapping itself, or past KS_QK_STREAM */
	KS_QK_PARTIAL,                /* the frames end before the ClientHello does */
	KS_QK_MORE,                   /* (the walk goes on) */
};

/* The work area (a per-CPU map value): the decryption's, the walk's, and
 * the stream, linear. */
struct ks_qk {
	__u64 win_ns;                 /* the budget's second began (first: */
	__u32 used;                   /* decryptions in it     tests set them) */
	struct ks_qc c;
	__u32 done;                   /* payload blocks decrypted */
	__u32 off, end;               /* the walker, in c.pkt; end: the plaintext's */
	__u32 prefix;                 /* stream bytes [0, prefix) held */
	__u32 msg_len;                /* 4 + the ClientHello's length; 0 until known */
	struct ks_qf f;
	struct ks_ql_hdr h;           /* the header, for the admission rule */
	struct ks_qh_key {            /* the connection, as bpf/quic_hold.h keys it */
		struct ks_flow pair;
		struct ks_cid dcid;
	} key;
	/* Its Initial keys when a held datagram of it already derived them
	 * (keyed: for this version); ks_qk_open then does not. */
	__u32 keyed, keyed_version;
	struct ks_qc_keys keyed_k;
	__u64 have[KS_QK_STREAM / 64];        /* stream bytes held */
	__u8 lin[2 * KS_QK_STREAM + KS_QC_BUF];
};

/* Decrypt through plaintext byte `upto` (relative to c.pkt), blocks not
 * yet done only. */
static __always_inline void ks_qk_need(struct ks_qk *w, __u32 upto)
{
	struct ks_qc *s = &w->c;
	__u32 nb = upto > s->pt_off ? (upto - s->pt_off + 15) / 16 : 0;

	if (nb > s->blocks)
		nb = s->blocks;
	if (nb > w->done) {
		ks_qc_payload(s, w->done, nb);
		w->done = nb;
	}
}

/* The index of x's lowest set bit (x != 0): BPF has no ctz. */
static __always_inline __u32 ks_qk_low_bit(__u64 x)
{
	__u32 n = 0;

	x &= -x;
	if (x & 0xffffffff00000000ull) n += 32;
	if (x & 0xffff0000ffff0000ull) n += 16;
	if (x & 0xff00ff00ff00ff00ull) n += 8;
	if (x & 0xf0f0f0f0f0f0f0f0ull) n += 4;
	if (x & 0xccccccccccccccccull) n += 2;
	if (x & 0xaaaaaaaaaaaaaaaaull) n += 1;
	return n;
}

/* Mark stream bytes [at, at + n) held (n >= 1, at + n <= KS_QK_STREAM): -1
 * if any already was (ksteerd compares resent bytes; we do not). */
static __always_inline int ks_qk_mark(struct ks_qk *w, __u32 at, __u32 n)
{
	__u32 first = at / 64, last = (at + n - 1) / 64;

	for (__u32 i = 0; i < KS_QC_BUF / 64 + 2; i++) {
		__u32 k = first + i, lo, hi;
		__u64 m;

		if (k > last)
			break;
		lo = k == first ? at % 64 : 0;
		hi = k == last ? (at + n - 1) % 64 + 1 : 64;
		m = (hi - lo == 64 ? ~0ull : ((1ull << (hi - lo)) - 1)) << lo;
		if (w->have[k & 63] & m)
			return -1;
		w->have[k & 63] |= m;
	}
	return 0;
}

/* How far the stream is held from 0: the first word not full, then its
 * first clear bit. */
static __always_inline void ks_qk_prefix(struct ks_qk *w)
{
	__u32 k = w->prefix / 64;

	for (__u32 i = 0; i < KS_QK_STREAM / 64; i++, k++)
		if (k >= KS_QK_STREAM / 64 || ~w->have[k & 63])
			break;
	w->prefix = k >= KS_QK_STREAM / 64 ? KS_QK_STREAM :
		    k * 64 + ks_qk_low_bit(~w->have[k & 63]);
}

/* A CRYPTO frame's data (w->f) into the stream; KS_QK_MORE, or why not. */
static __always_inline int ks_qk_crypto(struct ks_qk *w)
{
	__u32 at, n = w->f.data_len;
	__u8 *b;

	if (w->f.at > KS_QK_STREAM || n > KS_QK_STREAM - w->f.at)
		return KS_QK_STREAM_ODD;
	at = w->f.at;
	if (!n)
		return KS_QK_MORE;
	if (ks_qk_mark(w, at, n))
		return KS_QK_STREAM_ODD;
	ks_qk_need(w, w->f.data_off + n);
	/* n < KS_QC_BUF: the data is inside the datagram. */
	if (bpf_probe_read_kernel(&w->lin[(KS_QK_HDR + at) & KS_QK_LIN_MASK],
				  n & KS_QC_MASK, &w->c.pkt[w->f.data_off & KS_QC_MASK]))
		return KS_QK_MALFORMED;
	ks_qk_prefix(w);
	b = &w->lin[KS_QK_HDR];
	if (!w->msg_len && w->prefix >= 4)       /* type (1), then a 24-bit length */
		w->msg_len = 4 + ((__u32)b[1] << 16 | (__u32)b[2] << 8 | b[3]);
	/* Longer than the stream the kernel keeps: never whole here. (One
	 * longer than this packet is walked to the end: its fragments may be
	 * held for the next datagram, bpf/quic_hold.h.) */
	if (w->msg_len > KS_QK_STREAM)
		return KS_QK_STREAM_ODD;
	if (w->msg_len && w->prefix >= w->msg_len)
		return KS_QK_WHOLE;
	return KS_QK_MORE;
}

/* One frame: decrypt what it may read, read it, and take CRYPTO data. A
 * global function, checked once. KS_QK_MORE or how the walk ends. */
KS_QC_FUNC int ks_qk_frame(struct ks_qk *w)
{
	if (!w)
		return -1;
	if (w->off >= w->end)
		return KS_QK_PARTIAL;
	ks_qk_need(w, w->off + KS_QK_READ);
	if (ks_qf_next(w->c.pkt, w->end, &w->off, &w->f))
		return KS_QK_MALFORMED;
	if (w->f.type != KS_QF_CRYPTO)
		return KS_QK_MORE;
	return ks_qk_crypto(w);
}

struct ks_qk_walk {
	struct ks_qk *w;
	int out;
};

static long ks_qk_step(__u32 i, void *arg)
{
	struct ks_qk_walk *c = arg;

	c->out = ks_qk_frame(c->w);
	return c->out != KS_QK_MORE;
}

/* Admission and budget, then keys and header protection. A global
 * function. KS_QK_MORE when the payload may be walked, or why not. */
KS_QC_FUNC int ks_qk_open(struct __sk_buff *skb, __u32 off, __u32 len, struct ks_qk *w)
{
	struct ks_qc *s;
	__u64 now;
	int err;

	if (!w)
		return -1;
	s = &w->c;
	err = ks_qd_datagram(skb, off, len, s, 0);
	if (err)
		return err;
	/* The header again, for ksteerd's admission rule (token, type). */
	__builtin_memset(&w->h, 0, sizeof(w->h));
	err = ks_ql_parse(s->pkt, s->len, &w->h);
	if (ks_ql_admit(s->pkt[0], s->len, err, &w->h) != KS_QA_INITIAL)
		return KS_QK_NOT_ADMITTED;
	now = bpf_ktime_get_ns();
	if (now - w->win_ns > 1000000000ull) {
		w->win_ns = now;
		w->used = 0;
	}
	if (w->used >= KS_QK_RATE)
		return KS_QK_BUDGET;
	w->used++;
	/* The keys come from the DCID and version alone. */
	if (w->keyed && w->keyed_version == s->version)
		s->k = w->keyed_k;
	else
		ks_qc_derive(s);
	ks_qc_unprotect(s);
	/* RFC 9000 17.2: reserved bits set is a connection error. */
	if ((s->pkt[0] & 0x0c) || !s->pt_len)
		return KS_QK_MALFORMED;
	return KS_QK_MORE;
}

/* The stream empty: no bytes held, the ClientHello's length unknown. */
static __always_inline void ks_qk_empty(struct ks_qk *w)
{
	w->prefix = 0;
	w->msg_len = 0;
	__builtin_memset(w->have, 0, sizeof(w->have));
}

/*
 * The opened datagram's frames, from its first, onto the stream in w (empty,
 * or a held datagram's: ks_qh_resume). KS_QK_WHOLE with the ClientHello as
 * TLS records at w->lin + 3 (KS_QK_HDR - 3 + w->prefix bytes), or why not.
 * Blocks already decrypted (w->done) are not decrypted again: a second
 * walk over the same datagram costs the walk alone.
 */
static __always_inline int ks_qk_walk(struct ks_qk *w)
{
	struct ks_qk_walk c = { .w = w, .out = KS_QK_PARTIAL };
	__u32 n;

	w->off = w->c.pt_off;
	bpf_loop(KS_QC_BUF, ks_qk_step, &c, 0);
	if (c.out != KS_QK_WHOLE)
		return c.out == KS_QK_MORE ? KS_QK_PARTIAL : c.out;
	/* One record (type 22, TLS 1.0 as ClientHellos say) over the prefix,
	 * as ksteerd's ks_quic_hello writes it. */
	n = w->prefix;
	w->lin[3] = 22;
	w->lin[4] = 3;
	w->lin[5] = 1;
	w->lin[6] = n >> 8;
	w->lin[7] = n & 0xff;
	return KS_QK_WHOLE;
}

/*
 * The client Initial that starts the UDP payload at off (len bytes, from
 * the UDP header) opened into w: KS_QK_MORE, its payload ready for
 * ks_qk_walk (after ks_qk_empty, or a held stream), or why not.
 */
static __always_inline int ks_qk_start(struct __sk_buff *skb, __u32 off, __u32 len,
				       struct ks_qk *w)
{
	int r = ks_qk_open(skb, off, len, w);

	if (r != KS_QK_MORE)
		return r;
	w->done = 0;
	w->end = w->c.pt_off + w->c.pt_len;
	return KS_QK_MORE;
}

#endif
