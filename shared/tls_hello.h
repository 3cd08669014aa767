/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ClientHello parser: written once, compiled into the BPF programs and
 * into userspace (ksteer parse, unit tests, fuzz target).
 *
 * The includer defines, before including this file:
 *   KS_LOAD(c, off, dst, len)    copy len bytes at off of the source of loop
 *                                context c to dst, 0 on success (an skb, or a
 *                                linear buffer c->lin, in BPF)
 *   KS_LOOP(n, cb, arg)          call cb(i, arg) for i < n until it returns
 *                                non-zero (bpf_loop in BPF)
 *
 * Two stages. Stage 1 walks TLS records and copies the handshake bytes of
 * consecutive handshake records into a linear buffer (a ClientHello may be
 * split over several records). Stage 2 parses the ClientHello from that
 * buffer. Every buffer index is masked with KS_HS_MASK so the verifier can
 * see it stays inside; logical bounds are checked against msg_len first, so
 * the mask never changes which byte is read.
 */
#ifndef KS_TLS_HELLO_H
#define KS_TLS_HELLO_H

/*
 * Limits. The kernel takes a ClientHello of up to 16 KB (TLS's largest
 * record, and more than any client sends: browsers' post-quantum ones are
 * about 2 KB) in records taking up to 128 KB on the wire, headers included
 * (so in any records: 1-byte ones make 98 KB of a 16 KB hello);
 * ksteerd, built with bigger values, takes up to 64 KB (a handshake
 * message's 24-bit length allows more, no client needs it) in up to
 * 512 KB of records. KS_HS_MASK = 2^n - 1 >= KS_HS_MAX and KS_HS_BUF =
 * 2^(n+1), so that a masked start plus a masked length stays inside.
 * Records and extensions have no limit of their own: every record holds at
 * least one byte (6 on the wire), every extension takes 4.
 */
#ifndef KS_HS_MAX
#define KS_HS_MAX (16384 + 4) /* ClientHello bytes kept, header included */
#define KS_HS_MASK 32767
#define KS_HS_BUF 65536
#define KS_WIRE_MAX 131071    /* its records on the wire, headers included */
#endif
#define KS_MAX_RECORDS (KS_WIRE_MAX / 6 + 1)
#define KS_MAX_EXTS (KS_HS_MAX / 4 + 1)
#define KS_MAX_ALPN 8         /* ALPN names reported; more are validated */
#define KS_MAX_ALPN_WALK (KS_HS_MAX / 2 + 1) /* a name takes 2 bytes at least */
#define KS_SNI_MAX 255
#define KS_SNI_STEP 8         /* characters of a name per loop callback (KS_STEPS) */
#define KS_EXT_STEP 4         /* extensions per callback (a browser's hello has ~16) */
#define KS_TLS_RECORD_MAX 16384

enum ks_hello_status {
	KS_HELLO_COMPLETE = 0,    /* whole ClientHello parsed */
	KS_HELLO_INCOMPLETE = 1,  /* valid so far, more bytes needed */
	KS_HELLO_MALFORMED = 2,   /* breaks the TLS grammar */
	KS_HELLO_NOT_TLS = 3,     /* first byte is not a handshake record */
	KS_HELLO_TOO_BIG = 4,     /* bigger than KS_HS_MAX, or its records than KS_WIRE_MAX */
};

/*
 * A ClientHello not yet whole whose bytes so far already fix its route
 * (ks_hello.named, with status KS_HELLO_INCOMPLETE): every record and
 * field up to the last byte at hand is valid, and a whole server_name
 * extension naming a host is in (sni); KS_NAMED_ALPN when a whole ALPN
 * extension is in too (alpn_*), else one may still follow (duplicates
 * are malformed, so neither can change). No later byte changes the
 * route; a tail that breaks the grammar is the backend's to answer, as
 * it would be direct. A prefix without a host name, or one that breaks
 * the grammar already, is not named: its route needs the whole hello.
 */
#define KS_NAMED_SNI 1
#define KS_NAMED_ALPN 2

struct ks_hello {
	__u32 status;
	__u32 space;          /* the route space (ksteer_abi.h): the parser's */
	__u32 wire_len;       /* source bytes through the ClientHello's last byte */
	__u32 hs_len;         /* handshake bytes copied into hs[] */
	__u32 msg_len;        /* 4 + ClientHello length, 0 until known */
	__u32 sni_len;        /* 0: no server_name */
	__u32 alpn_count;     /* entries in alpn_off/alpn_len */
	__u32 alpn_total;     /* entries in the client's list */
	__u32 named;          /* incomplete: KS_NAMED_ bits, 0 when its route needs more */
	__u16 alpn_off[KS_MAX_ALPN]; /* offsets into hs[] */
	__u8 alpn_len[KS_MAX_ALPN];
	char sni[KS_SNI_MAX + 1]; /* lower-cased, NUL-terminated */
};

/*
 * Loop state lives in the scratch map, not on the stack: the verifier
 * tracks stack scalars precisely and would explore every iteration of a
 * bpf_loop callback as a new state; a map value is an unknown scalar each
 * time it is read, so the masks alone bound it and states converge.
 */
struct ks_walk {
	__u32 off;            /* records: next header in the source */
	__u32 end;            /* records: bytes in the source */
	__u32 hs_len;
	__u32 msg_len;
	__u32 status;
	__u32 done;
	__u32 p;              /* extensions / ALPN / SNI: cursor */
	__u32 xend;           /* ... and its end */
	__u32 avail;          /* extensions: handshake bytes at hand (< xend: a prefix) */
	__u32 sni_off, sni_len;
	__u32 alpn_off, alpn_len;
	__u32 seen;           /* bit 0: server_name, bit 1: ALPN */
	__u32 count;
	__u32 bad;
};

struct ks_scratch {
	__u8 hs[KS_HS_BUF];
	struct ks_hello hello;
	struct ks_walk w;
};

/* What a bpf_loop callback gets: pointers only (a stack pointer is all
 * bpf_loop accepts as its context). */
struct ks_loop_ctx {
	void *src;            /* the skb (BPF) or a struct ks_buf (userspace) */
	__u8 *lin;            /* BPF: read this linear buffer instead, if set */
	struct ks_scratch *s;
};

/*
 * KS_STEPS(name, ctx_type, n, one): a KS_LOOP callback that calls
 * one(x, k) for k = n * i ... n * i + n - 1 and stops (1) at the first
 * that returns non-zero; KS_LOOP it KS_STEPS_FOR(items, n) times. A
 * bpf_loop iteration is a call and a return, and returns are dear under
 * the return-thunk mitigations (SRSO, retbleed): the walks over
 * characters and extensions take several items a call.
 */
#define KS_STEPS(name, ctx_type, n, one)                                  \
	static long name(__u32 i, void *arg)                              \
	{                                                                 \
		ctx_type *x = arg;                                        \
		_Pragma("unroll")                                         \
		for (__u32 j = 0; j < (n); j++)                           \
			if (one(x, i * (n) + j))                          \
				return 1;                                 \
		return 0;                                                 \
	}
#define KS_STEPS_FOR(items, n) (((items) + (n) - 1) / (n))

static __always_inline __u32 ks_hs8(const struct ks_scratch *s, __u32 i)
{
	return s->hs[i & KS_HS_MASK];
}

static __always_inline __u32 ks_hs16(const struct ks_scratch *s, __u32 i)
{
	return ks_hs8(s, i) << 8 | ks_hs8(s, i + 1);
}

static __always_inline __u32 ks_hs24(const struct ks_scratch *s, __u32 i)
{
	return ks_hs8(s, i) << 16 | ks_hs16(s, i + 1);
}

/* ---- stage 1: records ------------------------------------------------- */

/*
 * TLS record (RFC 8446 5.1), repeated:
 *
 *   0        1        3        5
 *   +--------+--------+--------+------------------------+
 *   | type=22| version| length |  fragment (length B)   |
 *   +--------+--------+--------+------------------------+
 *
 * Fragments of consecutive records are one handshake byte stream:
 *
 *   0        1                 4
 *   +--------+-----------------+--------------------------+
 *   | type=1 | length (24 bit) |  ClientHello body        |
 *   +--------+-----------------+--------------------------+
 */
static long ks_rec_step(__u32 i, void *arg)
{
	struct ks_loop_ctx *c = arg;
	struct ks_scratch *s = c->s;
	struct ks_walk *w = &s->w;
	__u8 h[5];
	__u32 rlen, avail, take, at;

	if (w->off + 5 > w->end || KS_LOAD(c, w->off, h, 5)) {
		w->status = KS_HELLO_INCOMPLETE;
		return 1;
	}
	if (h[0] != 22 || h[1] != 3) {
		w->status = i == 0 ? KS_HELLO_NOT_TLS : KS_HELLO_MALFORMED;
		return 1;
	}
	rlen = (__u32)h[3] << 8 | h[4];
	if (rlen == 0 || rlen > KS_TLS_RECORD_MAX) {
		w->status = KS_HELLO_MALFORMED;
		return 1;
	}
	avail = w->end - (w->off + 5);
	take = rlen < avail ? rlen : avail;
	if (w->msg_len && take > w->msg_len - w->hs_len)
		take = w->msg_len - w->hs_len;
	if (take > KS_HS_MAX - w->hs_len) {
		w->status = KS_HELLO_TOO_BIG;
		return 1;
	}
	take &= KS_HS_MASK;
	at = w->hs_len & KS_HS_MASK;
	if (take > 0 && KS_LOAD(c, w->off + 5, &s->hs[at], take)) {
		w->status = KS_HELLO_MALFORMED;
		return 1;
	}
	w->hs_len += take;
	if (!w->msg_len && w->hs_len >= 4) {
		if (ks_hs8(s, 0) != 1) {          /* not a ClientHello */
			w->status = KS_HELLO_MALFORMED;
			return 1;
		}
		w->msg_len = 4 + ks_hs24(s, 1);
		if (w->msg_len > KS_HS_MAX) {
			w->status = KS_HELLO_TOO_BIG;
			return 1;
		}
	}
	if (w->msg_len && w->hs_len >= w->msg_len) {
		/* wire_len ends at the ClientHello's last byte, even when the
		 * record claims more than the source holds. */
		w->off += 5 + take - (w->hs_len - w->msg_len);
		w->hs_len = w->msg_len;
		w->done = 1;
		return 1;
	}
	if (take < rlen) {                        /* source ends mid-record */
		w->status = KS_HELLO_INCOMPLETE;
		return 1;
	}
	w->off += 5 + rlen;
	return 0;
}

/* ---- stage 2: the ClientHello ---------------------------------------- */

/*
 * ClientHello (RFC 8446 4.1.2), after the 4-byte handshake header:
 *
 *   +---------+-----------+--------+--------+-----+--------+-----+--------+
 *   | version | random 32 | sid_len| sid    | cs  | suites | cm  | methods|
 *   |   2 B   |           |  1 B   | <=32 B | 2 B |        | 1 B |        |
 *   +---------+-----------+--------+--------+-----+--------+-----+--------+
 *   | ext_len 2 B | extension: type 2 B | len 2 B | body | ...          |
 *   +-------------+-------------------------------------------------------+
 */
#define KS_EXT_SERVER_NAME 0
#define KS_EXT_ALPN 16

/* The extension at w->p (the k-th: unused); 1 when the walk stops (done,
 * or w->status). */
static __always_inline int ks_ext_one(struct ks_loop_ctx *x, __u32 k)
{
	struct ks_scratch *s = x->s;
	struct ks_walk *w = &s->w;
	__u32 type, len, bit;

	if (w->p == w->xend) {
		w->done = 1;
		return 1;
	}
	if (w->p + 4 > w->xend) {
		w->status = KS_HELLO_MALFORMED;
		return 1;
	}
	if (w->p + 4 > w->avail) {                /* a prefix ends here */
		w->status = KS_HELLO_INCOMPLETE;
		return 1;
	}
	type = ks_hs16(s, w->p);
	len = ks_hs16(s, w->p + 2);
	if (w->p + 4 + len > w->xend) {
		w->status = KS_HELLO_MALFORMED;
		return 1;
	}
	if (w->p + 4 + len > w->avail) {          /* ... or inside this extension */
		w->status = KS_HELLO_INCOMPLETE;
		return 1;
	}
	if (type == KS_EXT_SERVER_NAME || type == KS_EXT_ALPN) {
		bit = type == KS_EXT_ALPN ? 2 : 1;
		if (w->seen & bit) {              /* duplicates are illegal */
			w->status = KS_HELLO_MALFORMED;
			return 1;
		}
		w->seen |= bit;
		if (bit == 1) {
			w->sni_off = w->p + 4;
			w->sni_len = len;
		} else {
			w->alpn_off = w->p + 4;
			w->alpn_len = len;
		}
	}
	w->p += 4 + len;
	return 0;
}

KS_STEPS(ks_ext_steps, struct ks_loop_ctx, KS_EXT_STEP, ks_ext_one)

/*
 * server_name body (RFC 6066 3):
 *   list_len 2 B | name_type 1 B (0 = host_name) | name_len 2 B | name
 * One entry, filling the list exactly: the RFC allows one name per type
 * and defines no other type, and OpenSSL refuses anything else. A name
 * shorter than its list would otherwise route by a truncated name.
 * Character k of the name, lower-cased into sni[k]; 1 past the name's end
 * and (w->bad) at one that may not stand there.
 */
static __always_inline int ks_sni_one(struct ks_loop_ctx *x, __u32 k)
{
	struct ks_scratch *s = x->s;
	struct ks_walk *w = &s->w;
	__u8 ch;

	if (k >= w->xend)
		return 1;
	ch = ks_hs8(s, w->p + k);
	if (ch >= 'A' && ch <= 'Z')
		ch += 'a' - 'A';
	/* Letters, digits, '-', '_' (seen in the wild) and dots between labels. */
	if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	      ch == '-' || ch == '_' || ch == '.') ||
	    (ch == '.' && (k == 0 || k == w->xend - 1 || ks_hs8(s, w->p + k - 1) == '.'))) {
		w->bad = 1;
		return 1;
	}
	s->hello.sni[k & KS_SNI_MAX] = ch;
	return 0;
}

KS_STEPS(ks_sni_chars, struct ks_loop_ctx, KS_SNI_STEP, ks_sni_one)

static __always_inline int ks_parse_sni(struct ks_loop_ctx *c, __u32 off, __u32 len)
{
	struct ks_scratch *s = c->s;
	__u32 list, name_len;

	if (len < 5)
		return KS_HELLO_MALFORMED;
	list = ks_hs16(s, off);
	if (list != len - 2)
		return KS_HELLO_MALFORMED;
	if (ks_hs8(s, off + 2) != 0)              /* not host_name: no SNI */
		return KS_HELLO_COMPLETE;
	name_len = ks_hs16(s, off + 3);
	if (name_len == 0 || name_len > KS_SNI_MAX || 3 + name_len != list)
		return KS_HELLO_MALFORMED;
	s->w.p = off + 5;
	s->w.xend = name_len;
	s->w.bad = 0;
	KS_LOOP(KS_STEPS_FOR(KS_SNI_MAX, KS_SNI_STEP), ks_sni_chars, c);
	if (s->w.bad)
		return KS_HELLO_MALFORMED;
	s->hello.sni_len = name_len;
	s->hello.sni[name_len & KS_SNI_MAX] = 0;
	return KS_HELLO_COMPLETE;
}

/*
 * ALPN body (RFC 7301 3.1):
 *   list_len 2 B | name_len 1 B | name | name_len 1 B | name | ...
 * Every entry is non-empty and the entries fill list_len exactly.
 */
static long ks_alpn_step(__u32 i, void *arg)
{
	struct ks_scratch *s = ((struct ks_loop_ctx *)arg)->s;
	struct ks_walk *w = &s->w;
	__u32 n, k;

	if (w->p == w->xend) {
		w->done = 1;
		return 1;
	}
	n = ks_hs8(s, w->p);
	if (n == 0 || w->p + 1 + n > w->xend) {
		w->bad = 1;
		return 1;
	}
	k = w->count;
	if (k < KS_MAX_ALPN) {
		s->hello.alpn_off[k & (KS_MAX_ALPN - 1)] = w->p + 1;
		s->hello.alpn_len[k & (KS_MAX_ALPN - 1)] = n;
	}
	w->count++;
	w->p += 1 + n;
	return 0;
}

static __always_inline int ks_parse_alpn(struct ks_loop_ctx *c, __u32 off, __u32 len)
{
	struct ks_scratch *s = c->s;

	if (len < 3 || ks_hs16(s, off) != len - 2)
		return KS_HELLO_MALFORMED;
	s->w.p = off + 2;
	s->w.xend = off + len;
	s->w.count = 0;
	s->w.bad = 0;
	s->w.done = 0;
	KS_LOOP(KS_MAX_ALPN_WALK, ks_alpn_step, c);
	if (s->w.bad || !s->w.done)
		return KS_HELLO_MALFORMED;
	s->hello.alpn_total = s->w.count;
	s->hello.alpn_count = s->w.count < KS_MAX_ALPN ? s->w.count : KS_MAX_ALPN;
	return KS_HELLO_COMPLETE;
}

/* Whether n bytes at p lie inside the ClientHello (end; else MALFORMED)
 * and inside the bytes at hand (avail; else INCOMPLETE): 0 when both. */
static __always_inline int ks_need(__u32 p, __u32 n, __u32 avail, __u32 end)
{
	if (p + n > end)
		return KS_HELLO_MALFORMED;
	return p + n > avail ? KS_HELLO_INCOMPLETE : 0;
}

/*
 * The ClientHello in hs[0, end), of which hs[0, avail) is at hand (avail
 * = end when it is whole). A prefix gives KS_HELLO_INCOMPLETE, named when
 * it fixes the route, or KS_HELLO_MALFORMED when it already breaks the
 * grammar; no byte past avail is read.
 */
static __always_inline int ks_parse_client_hello(struct ks_loop_ctx *c, __u32 avail, __u32 end)
{
	struct ks_scratch *s = c->s;
	struct ks_walk *w = &s->w;
	__u32 p = 4, n, ver, sni_off, sni_len, alpn_off, alpn_len, seen;
	int st;

	if ((st = ks_need(p, 2 + 32 + 1, avail, end)))
		return st;
	ver = ks_hs16(s, p);
	if (ver < 0x0300 || ver > 0x03ff)
		return KS_HELLO_MALFORMED;
	p += 2 + 32;
	n = ks_hs8(s, p);                         /* legacy_session_id */
	if (n > 32)
		return KS_HELLO_MALFORMED;
	p += 1 + n;
	if ((st = ks_need(p, 2, avail, end)))
		return st;
	n = ks_hs16(s, p);                        /* cipher_suites */
	if (n < 2 || n & 1)
		return KS_HELLO_MALFORMED;
	p += 2 + n;
	if ((st = ks_need(p, 1, avail, end)))
		return st;
	n = ks_hs8(s, p);                         /* compression_methods */
	if (n < 1)
		return KS_HELLO_MALFORMED;
	p += 1 + n;
	if (p == end)                             /* no extensions at all */
		return avail < end ? KS_HELLO_INCOMPLETE : KS_HELLO_COMPLETE;
	if ((st = ks_need(p, 2, avail, end)))
		return st;
	if (p + 2 + ks_hs16(s, p) != end)
		return KS_HELLO_MALFORMED;
	w->p = p + 2;
	w->xend = end;
	w->avail = avail;
	w->seen = 0;
	w->status = 0;
	w->done = 0;
	KS_LOOP(KS_STEPS_FOR(KS_MAX_EXTS, KS_EXT_STEP), ks_ext_steps, c);
	st = w->status;
	if (st == KS_HELLO_MALFORMED)
		return st;
	if (!st && !w->done)                      /* cannot be: each takes 4 bytes */
		return KS_HELLO_MALFORMED;
	sni_off = w->sni_off;
	sni_len = w->sni_len;
	alpn_off = w->alpn_off;
	alpn_len = w->alpn_len;
	seen = w->seen;
	if (seen & 1) {
		int e = ks_parse_sni(c, sni_off, sni_len);

		if (e)
			return e;
	}
	if (seen & 2) {
		int e = ks_parse_alpn(c, alpn_off, alpn_len);

		if (e)
			return e;
	}
	if (st) {                                 /* a prefix: named if it has a host */
		if (s->hello.sni_len)
			s->hello.named = KS_NAMED_SNI | (seen & 2 ? KS_NAMED_ALPN : 0);
		return st;
	}
	return KS_HELLO_COMPLETE;
}

/* Nothing parsed yet, in route space space: what each parser starts from
 * (the HTTP parser's too, shared/http_req.h). */
static __always_inline void ks_hello_reset(struct ks_hello *h, __u32 space)
{
	h->status = KS_HELLO_INCOMPLETE;
	h->space = space;
	h->sni_len = 0;
	h->sni[0] = 0;
	h->alpn_count = 0;
	h->alpn_total = 0;
	h->named = 0;
	h->msg_len = 0;
	h->wire_len = 0;
	h->hs_len = 0;
}

/*
 * Parse the ClientHello that starts at off in src, or in the linear buffer
 * lin when it is not NULL (end = bytes available). The result is in
 * s->hello; the return value is s->hello.status. A subprogram in BPF (one
 * copy for its call sites).
 */
static __attribute__((noinline)) int ks_hello_parse(void *src, __u8 *lin, __u32 off, __u32 end,
						     struct ks_scratch *s)
{
	struct ks_loop_ctx c = { .src = src, .lin = lin, .s = s };
	struct ks_hello *h = &s->hello;
	struct ks_walk *w = &s->w;

	ks_hello_reset(h, 0);                     /* KS_SPACE_TLS */
	if (off > end)
		return h->status;
	w->off = off;
	w->end = end;
	w->hs_len = 0;
	w->msg_len = 0;
	w->status = 0;
	w->done = 0;
	KS_LOOP(KS_MAX_RECORDS, ks_rec_step, &c);
	h->hs_len = w->hs_len;
	h->msg_len = w->msg_len;
	if (!w->done && (w->status != KS_HELLO_INCOMPLETE || !w->msg_len)) {
		/* Ran out of records without an error: a source longer than
		 * KS_WIRE_MAX of records too small to be whole by then. */
		h->status = w->status ? w->status : KS_HELLO_TOO_BIG;
		return h->status;
	}
	if (w->done) {
		h->wire_len = w->off - off;
		h->status = ks_parse_client_hello(&c, h->msg_len, h->msg_len);
	} else {
		/* A prefix: whether it names its route. One that breaks the
		 * grammar already stays incomplete (the whole one will say
		 * malformed), so callers that wait for the whole see no change. */
		ks_parse_client_hello(&c, h->hs_len, h->msg_len);
		h->status = KS_HELLO_INCOMPLETE;
	}
	if (h->status != KS_HELLO_COMPLETE && !h->named) {
		h->sni_len = 0;
		h->alpn_count = 0;
	}
	return h->status;
}

#endif
