/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The HTTP/1.x request-head parser: which host a plain-HTTP request on a
 * public HTTP port names. Written once, compiled into the TC program and
 * into userspace (ksteerd, ksteer parse --http, unit tests, fuzz target),
 * like tls_hello.h, whose KS_LOAD / KS_LOOP and struct ks_scratch it uses:
 * the head is copied into s->hs and the host goes to s->hello.sni and
 * sni_len, where shared/route.h reads an SNI, with s->hello.space the
 * port's route space (ksteer_abi.h).
 *
 * A request head (RFC 9112 2.1, 3, 5):
 *
 *   GET /.well-known/acme-challenge/x HTTP/1.1 CRLF       request-line
 *   Host: a.example:80 CRLF                               field line
 *   User-Agent: curl/7.88 CRLF                            field line ...
 *   CRLF                                                  end of the head
 *
 *   request-line  = method SP request-target SP HTTP-version CRLF
 *   method        = 1*tchar  (ALPHA DIGIT ! # $ % & ' * + - . ^ _ ` | ~)
 *   request-target: origin-form "/p?q", absolute-form "http://host:80/p"
 *                   (its host is the request's, RFC 9112 3.2.2, whatever
 *                   Host says), authority-form "host:443" (CONNECT),
 *                   asterisk-form "*"; visible ASCII, 1 byte at least
 *   HTTP-version  = "HTTP/1.0" / "HTTP/1.1"; "PRI * HTTP/2.0" is the
 *                   cleartext HTTP/2 preface (prior knowledge, RFC 9113
 *                   3.3): it names no host, so the default route takes it
 *   field line    = field-name ":" OWS field-value OWS CRLF
 *   Host          = uri-host [ ":" port ]   (a name, an IPv4 address, or
 *                   "[" an IPv6 literal "]"; compared case-insensitively,
 *                   the port stripped, one trailing dot dropped)
 *
 * Refused as malformed (RFC 9112 5.1, 5.2; 9110 7.2): a second Host field
 * (request smuggling across routers that disagree on which is meant), a
 * line folded onto the one before it (obs-fold: a line starting with SP
 * or HTAB), whitespace between a field name and its colon, a CR not
 * before LF, control bytes, another version, a Host that is not a host.
 * A bare LF ends a line as CRLF does (RFC 9112 2.2). HTTP/1.1 without Host
 * and HTTP/1.0 without it name no host: the route space's default.
 *
 * Bounded: the head is at most KS_HTTP_MAX bytes (the kernel's 8 KB, as
 * nginx's default header buffers; ksteerd's build 64 KB), each a step of
 * one bpf_loop; the host, at most KS_HTTP_HOST_MAX bytes, another.
 */
#ifndef KS_HTTP_REQ_H
#define KS_HTTP_REQ_H

#include "ksteer_abi.h"       /* KS_SPACE_HTTP */

#ifndef KS_HTTP_MAX
#define KS_HTTP_MAX 8192      /* bytes of request head read, at most */
#endif
#define KS_HTTP_HOST_MAX (KS_SNI_MAX + 8)  /* name, ":" and a port, or "[v6]:port" */

/* The outcomes: the ClientHello parser's values where they mean the same,
 * so that the callers' decisions serve both. */
enum ks_http_status {
	KS_HTTP_COMPLETE = KS_HELLO_COMPLETE,     /* the head is whole: sni (maybe none) */
	KS_HTTP_INCOMPLETE = KS_HELLO_INCOMPLETE, /* valid so far, no end yet */
	KS_HTTP_MALFORMED = KS_HELLO_MALFORMED,
	KS_HTTP_TOO_BIG = KS_HELLO_TOO_BIG,       /* no end within KS_HTTP_MAX bytes */
	KS_HTTP_PRIOR_H2 = 5,                     /* "PRI * HTTP/2.0": default route */
};

enum ks_http_state {
	KS_H_METHOD, KS_H_TARGET, KS_H_VERSION, KS_H_RL_LF,
	KS_H_FSTART, KS_H_NAME, KS_H_OWS, KS_H_VALUE, KS_H_F_LF, KS_H_END_LF,
};

enum ks_http_host_from { KS_HOST_NONE, KS_HOST_FIELD, KS_HOST_TARGET };

/* The walk's state (map memory in BPF: see struct ks_walk's comment). */
struct ks_http_walk {
	__u32 end;            /* bytes of the head in s->hs */
	__u32 state;          /* enum ks_http_state */
	__u32 status;         /* set when the walk ends; done: head length */
	__u32 done;
	__u32 tok;            /* where the method / version began */
	__u32 tgt_off, tgt_len;
	__u32 name_len;
	__u32 is_host;        /* the field name so far is a prefix of "host" */
	__u32 val_off, val_end;   /* the field value, OWS trimmed */
	__u32 nhost, host_off, host_len;
	__u32 version;        /* 10, 11 or 20 */
	__u32 host_from;      /* enum ks_http_host_from */
	/* the host walk */
	__u32 hp, hend, hn, port, v6, bad;
};

/* What the parse works on: the result, the walk, and the port (host
 * order) it came to. A pointer to it is the loops' context. */
struct ks_http_ctx {
	struct ks_scratch *s;
	struct ks_http_walk *w;
	__u32 port;
};

static __always_inline int ks_http_tchar(__u32 c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '!' || c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' ||
	       c == '*' || c == '+' || c == '-' || c == '.' || c == '^' || c == '_' ||
	       c == '`' || c == '|' || c == '~';
}

static __always_inline __u32 ks_http_lower(__u32 c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* The version token [tok, i): 10, 11, 20 or 0. */
static __always_inline __u32 ks_http_version(const struct ks_scratch *s, __u32 tok, __u32 i)
{
	if (i - tok != 8 || ks_hs8(s, tok) != 'H' || ks_hs8(s, tok + 1) != 'T' ||
	    ks_hs8(s, tok + 2) != 'T' || ks_hs8(s, tok + 3) != 'P' || ks_hs8(s, tok + 4) != '/' ||
	    ks_hs8(s, tok + 6) != '.')
		return 0;
	if (ks_hs8(s, tok + 5) == '1' && (ks_hs8(s, tok + 7) == '0' || ks_hs8(s, tok + 7) == '1'))
		return 10 + ks_hs8(s, tok + 7) - '0';
	if (ks_hs8(s, tok + 5) == '2' && ks_hs8(s, tok + 7) == '0')
		return 20;
	return 0;
}

/* The request line ended at i (its CR or LF): check what it said. */
static __always_inline int ks_http_line_end(struct ks_scratch *s, struct ks_http_walk *w, __u32 i)
{
	w->version = ks_http_version(s, w->tok, i);
	if (w->version == 20) {
		/* Only as the preface, which names nothing. */
		if (w->tgt_len == 1 && ks_hs8(s, w->tgt_off) == '*' && w->tgt_off == 4 &&
		    ks_hs8(s, 0) == 'P' && ks_hs8(s, 1) == 'R' && ks_hs8(s, 2) == 'I')
			w->status = KS_HTTP_PRIOR_H2;
		else
			w->status = KS_HTTP_MALFORMED;
		return 1;
	}
	if (!w->version) {
		w->status = KS_HTTP_MALFORMED;
		return 1;
	}
	return 0;
}

/* A field line's value ended: keep it if it is Host's. 1: malformed. */
static __always_inline int ks_http_field_end(struct ks_http_walk *w)
{
	if (!w->is_host)
		return 0;
	if (w->nhost) {                           /* a second Host */
		w->status = KS_HTTP_MALFORMED;
		return 1;
	}
	w->nhost = 1;
	w->host_off = w->val_off;
	w->host_len = w->val_end - w->val_off;
	return 0;
}

/* Bytes of a field value besides SP and HTAB (taken apart): visible ASCII
 * and obs-text. */
static __always_inline int ks_http_vchar(__u32 c)
{
	return c >= 0x21 && c != 0x7f;
}

/* The request line: method SP target SP version. 1: the walk ends. */
static __always_inline long ks_http_rl_step(struct ks_scratch *s, struct ks_http_walk *w,
					    __u32 i, __u32 c)
{
	switch (w->state) {
	case KS_H_METHOD:
		if (c == ' ' && i > 0) {
			w->tgt_off = i + 1;
			w->state = KS_H_TARGET;
			return 0;
		}
		break;                            /* below: a tchar goes on, all else is malformed */
	case KS_H_TARGET:
		if (c == ' ' && i > w->tgt_off) {
			w->tgt_len = i - w->tgt_off;
			w->tok = i + 1;
			w->state = KS_H_VERSION;
			return 0;
		}
		if (c > 0x20 && c < 0x7f)
			return 0;
		w->status = KS_HTTP_MALFORMED;    /* no version (HTTP/0.9), or control bytes */
		return 1;
	case KS_H_VERSION:
		if (c == '\r' || c == '\n') {
			if (ks_http_line_end(s, w, i))
				return 1;
			w->state = c == '\r' ? KS_H_RL_LF : KS_H_FSTART;
			return 0;
		}
		if (c > 0x20 && c < 0x7f && i - w->tok < 8)
			return 0;
		w->status = KS_HTTP_MALFORMED;
		return 1;
	}
	if (ks_http_tchar(c))
		return 0;
	w->status = KS_HTTP_MALFORMED;
	return 1;
}

/* The start of a line after the request line: the end of the head, or a
 * field name's first byte. */
static __always_inline long ks_http_fstart(struct ks_http_walk *w, __u32 i, __u32 c)
{
	if (c == '\r') {
		w->state = KS_H_END_LF;
		return 0;
	}
	if (c == '\n') {
		w->done = i + 1;
		return 1;
	}
	if (!ks_http_tchar(c)) {                  /* SP / HTAB: obs-fold */
		w->status = KS_HTTP_MALFORMED;
		return 1;
	}
	w->name_len = 1;
	w->is_host = ks_http_lower(c) == 'h';
	w->state = KS_H_NAME;
	return 0;
}

/* Field lines: name ":" OWS value OWS (CR) LF. */
static __always_inline long ks_http_field_step(struct ks_http_walk *w, __u32 i, __u32 c)
{
	switch (w->state) {
	case KS_H_NAME:
		if (c == ':') {
			w->is_host = w->is_host && w->name_len == 4;
			w->state = KS_H_OWS;
			return 0;
		}
		if (!ks_http_tchar(c))
			break;                    /* whitespace before the colon, or worse */
		w->is_host = w->is_host && w->name_len < 4 &&
			     ks_http_lower(c) == ((0x74736f68 >> (8 * (w->name_len & 3))) & 0xff);  /* "host" */
		w->name_len++;
		return 0;
	case KS_H_OWS:
		if (c == ' ' || c == '\t')
			return 0;
		w->val_off = w->val_end = i;
		if (c != '\r' && c != '\n') {
			if (!ks_http_vchar(c))
				break;
			w->val_end = i + 1;
			w->state = KS_H_VALUE;
			return 0;
		}
		__attribute__((fallthrough));     /* an empty value */
	case KS_H_VALUE:
		if (c == '\r' || c == '\n') {
			if (ks_http_field_end(w))
				return 1;
			w->state = c == '\r' ? KS_H_F_LF : KS_H_FSTART;
			return 0;
		}
		if (c == ' ' || c == '\t')
			return 0;
		if (!ks_http_vchar(c))
			break;
		w->val_end = i + 1;
		return 0;
	}
	w->status = KS_HTTP_MALFORMED;
	return 1;
}

/* The head's byte i: 0 to go on, 1 when the walk stops. */
static __always_inline int ks_http_byte(struct ks_http_ctx *x, __u32 i)
{
	struct ks_scratch *s = x->s;
	struct ks_http_walk *w = x->w;
	__u32 c;

	if (i >= w->end) {
		w->status = KS_HTTP_INCOMPLETE;
		return 1;
	}
	c = ks_hs8(s, i);
	switch (w->state) {
	case KS_H_METHOD:
	case KS_H_TARGET:
	case KS_H_VERSION:
		return ks_http_rl_step(s, w, i, c);
	case KS_H_RL_LF:
	case KS_H_F_LF:
		if (c != '\n')
			break;                    /* a CR not before LF */
		w->state = KS_H_FSTART;
		return 0;
	case KS_H_END_LF:
		if (c != '\n')
			break;
		w->done = i + 1;
		return 1;
	case KS_H_FSTART:
		return ks_http_fstart(w, i, c);
	default:
		return ks_http_field_step(w, i, c);
	}
	w->status = KS_HTTP_MALFORMED;
	return 1;
}

#define KS_HTTP_STEP 8        /* bytes per loop callback (tls_hello.h KS_STEPS) */
KS_STEPS(ks_http_step, struct ks_http_ctx, KS_HTTP_STEP, ks_http_byte)

/*
 * The host, from [hp, hend) of s->hs, into s->hello.sni:
 *
 *   a.example[.][:port]      letters, digits, '-', '_', dots between labels
 *   192.0.2.1[:port]         (a name to the route lookup: no route has it)
 *   [2001:db8::1][:port]     an IPv6 literal: no name, the default route
 *
 * port = *DIGIT (RFC 3986: may be empty). w->port counts the bytes after
 * the ':' (0: none yet); w->v6 is 1 inside the brackets, 2 after them.
 */
static __always_inline int ks_http_host_one(struct ks_http_ctx *x, __u32 i)
{
	struct ks_scratch *s = x->s;
	struct ks_http_walk *w = x->w;
	__u32 at = w->hp + i, c;

	if (at >= w->hend)
		return 1;
	c = ks_http_lower(ks_hs8(s, at));
	if (w->port) {                            /* after the ':' */
		w->bad = c < '0' || c > '9' || w->port > 5;
		w->port++;
		return !!w->bad;
	}
	if (w->v6 == 1) {                         /* hex digits, ':' and '.' (v4-mapped) */
		if (c == ']')
			w->v6 = 2;
		else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.'))
			w->bad = 1;
		return !!w->bad;
	}
	if (c == ':' && (w->hn || w->v6)) {
		w->port = 1;
		return 0;
	}
	if (i == 0 && c == '[') {
		w->v6 = 1;
		return 0;
	}
	if (w->v6 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		       c == '.') || w->hn >= KS_SNI_MAX ||
	    (c == '.' && (w->hn == 0 || s->hello.sni[(w->hn - 1) & KS_SNI_MAX] == '.'))) {
		w->bad = 1;
		return 1;
	}
	s->hello.sni[w->hn & KS_SNI_MAX] = c;
	w->hn++;
	return 0;
}

KS_STEPS(ks_http_host_chars, struct ks_http_ctx, KS_SNI_STEP, ks_http_host_one)

static __always_inline int ks_http_host(struct ks_http_ctx *x, __u32 off, __u32 len)
{
	struct ks_scratch *s = x->s;
	struct ks_http_walk *w = x->w;

	s->hello.sni_len = 0;
	if (!len)
		return KS_HTTP_COMPLETE;          /* "Host:" empty: no host */
	if (len > KS_HTTP_HOST_MAX)
		return KS_HTTP_MALFORMED;
	w->hp = off;
	w->hend = off + len;
	w->hn = w->port = w->v6 = w->bad = 0;
	KS_LOOP(KS_STEPS_FOR(KS_HTTP_HOST_MAX, KS_SNI_STEP), ks_http_host_chars, x);
	if (w->bad || w->v6 == 1)
		return KS_HTTP_MALFORMED;
	if (w->v6)
		return KS_HTTP_COMPLETE;          /* an IPv6 literal names no host */
	if (w->hn && s->hello.sni[(w->hn - 1) & KS_SNI_MAX] == '.')
		w->hn--;                          /* "a.example." is a.example */
	if (!w->hn)
		return KS_HTTP_MALFORMED;
	s->hello.sni_len = w->hn;
	s->hello.sni[w->hn & KS_SNI_MAX] = 0;
	return KS_HTTP_COMPLETE;
}

/* An absolute-form target's authority ends at '/', '?', '#' or the end
 * of the target; userinfo ('@') is not in an http URI (RFC 9110 4.2.4). */
static long ks_http_auth_char(__u32 i, void *arg)
{
	struct ks_http_ctx *x = arg;
	struct ks_http_walk *w = x->w;
	__u32 c;

	if (w->hp >= w->hend)
		return 1;
	c = ks_hs8(x->s, w->hp);
	if (c == '/' || c == '?' || c == '#')
		return 1;
	if (c == '@')
		w->bad = 1;
	w->hp++;
	return !!w->bad;
}

/* "http://" or "https://" (any case) opening the target: 1, the authority
 * in [*off, *off + *len) (too long a length when it cannot be a host). */
static __always_inline int ks_http_absolute(struct ks_http_ctx *x, __u32 *off, __u32 *len)
{
	struct ks_scratch *s = x->s;
	struct ks_http_walk *w = x->w;
	__u32 t = w->tgt_off, at = t + 4;

	if (w->tgt_len < 8 || ks_http_lower(ks_hs8(s, t)) != 'h' ||
	    ks_http_lower(ks_hs8(s, t + 1)) != 't' || ks_http_lower(ks_hs8(s, t + 2)) != 't' ||
	    ks_http_lower(ks_hs8(s, t + 3)) != 'p')
		return 0;
	if (ks_http_lower(ks_hs8(s, at)) == 's')
		at++;
	if (ks_hs8(s, at) != ':' || ks_hs8(s, at + 1) != '/' || ks_hs8(s, at + 2) != '/')
		return 0;
	at += 3;
	w->hp = at;
	w->hend = t + w->tgt_len;
	w->bad = 0;
	KS_LOOP(KS_HTTP_HOST_MAX + 1, ks_http_auth_char, x);
	*off = at;
	*len = w->bad ? KS_HTTP_HOST_MAX + 1 : w->hp - at;
	return 1;
}

/* The head is whole: the host it names, from the target or Host. */
static __always_inline int ks_http_named(struct ks_http_ctx *x)
{
	struct ks_http_walk *w = x->w;
	__u32 off, len;

	if (ks_http_absolute(x, &off, &len)) {
		w->host_from = KS_HOST_TARGET;
		if (!len)
			return KS_HTTP_MALFORMED; /* "http:///x" */
		return ks_http_host(x, off, len);
	}
	if (!w->nhost)
		return KS_HTTP_COMPLETE;          /* no Host: the default */
	w->host_from = KS_HOST_FIELD;
	return ks_http_host(x, w->host_off, w->host_len);
}

/*
 * Parse the request head that starts at off in src (or in the linear
 * buffer lin when it is not NULL; end = bytes available) arriving on
 * public port x->port: x->s->hello gets the host and the route space;
 * x->w the walk (and, for ksteer parse, the version and where the host
 * came from). The return value is s->hello.status. A subprogram in BPF.
 */
static __attribute__((noinline)) int ks_http_parse(void *src, __u8 *lin, __u32 off, __u32 end,
						    struct ks_http_ctx *x)
{
	struct ks_scratch *s = x->s;
	struct ks_http_walk *w = x->w;
	struct ks_loop_ctx c = { .src = src, .lin = lin, .s = s };
	struct ks_hello *h = &s->hello;
	__u32 n = end > off ? end - off : 0, more = n > KS_HTTP_MAX;

	ks_hello_reset(h, KS_SPACE_HTTP(x->port));
	if (more)
		n = KS_HTTP_MAX;
	n &= KS_HS_MASK;                          /* no-op: KS_HTTP_MAX < KS_HS_BUF */
	h->hs_len = n;
	__builtin_memset(w, 0, sizeof(*w));
	if (n == 0)
		return h->status;
	if (KS_LOAD(&c, off, s->hs, n)) {
		h->status = KS_HTTP_MALFORMED;
		return h->status;
	}
	w->end = n;
	w->state = KS_H_METHOD;
	w->status = KS_HTTP_INCOMPLETE;           /* a loop run out says so too */
	KS_LOOP(KS_STEPS_FOR(KS_HTTP_MAX + 1, KS_HTTP_STEP), ks_http_step, x);
	if (w->status == KS_HTTP_INCOMPLETE && more)
		w->status = KS_HTTP_TOO_BIG;      /* no end in the bytes we read */
	if (!w->done && w->status != KS_HTTP_PRIOR_H2) {
		h->status = w->status;
		return h->status;
	}
	h->wire_len = w->done;
	h->status = w->status == KS_HTTP_PRIOR_H2 ? KS_HTTP_PRIOR_H2 : ks_http_named(x);
	if (h->status != KS_HTTP_COMPLETE)
		h->sni_len = 0;
	return h->status;
}

#endif
