/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stateless SYN cookies, kept in the sequence number of our SYN-ACK.
 *
 *   31                               10 9   7   6     5     4    3    0
 *   +----------------------------------+-----+----+-----+------+------+
 *   |  MAC: SipHash-2-4 (22 bits)      | MSS | TS | ECN | SACK |  WS  |
 *   +----------------------------------+-----+----+-----+------+------+
 *
 * MAC = low 32 bits of SipHash(key, saddr, daddr, sport, dport, client ISN,
 * time slot, option bits) with the option bits cleared: the options are
 * authenticated too, so a client cannot change them after the SYN-ACK. A slot is 2^36 ns (~69 s); the
 * current and the previous slot verify, under the current key and, for one
 * rotation, the previous key. The high 32 bits of the same hash offset our
 * TCP timestamp so it leaks no uptime. WS = 0xf: the client sent no window
 * scale. MSS is an index into a table of common MSS values, rounded down.
 */
#ifndef KS_COOKIE_H
#define KS_COOKIE_H

#include "siphash.h"

#define KS_COOKIE_OPT_MASK 0x3ffu
#define KS_WS_NONE 0xf
#define KS_SLOT_SHIFT 36
#define KS_OUR_WSCALE 7       /* what Linux picks with default tcp_rmem */

struct ks_syn_opts {
	__u16 mss;            /* client's MSS, 0 if absent */
	__u8 wscale;          /* client's shift, KS_WS_NONE if absent */
	__u8 sack;
	__u8 ts;
	__u8 ecn;
	__u32 tsval;          /* client's TSval (timestamps only) */
	__u32 tsecr;
};

/* A switch, not a static table: libbpf 1.1 trips over .rodata.cst arrays. */
static __always_inline __u32 ks_mss_value(__u32 idx, int v6)
{
	__u32 m;

	switch (idx & 7) {
	case 0: m = 536; break;
	case 1: m = 1240; break;
	case 2: m = 1380; break;
	case 3: m = 1440; break;
	case 4: m = 1460; break;
	case 5: m = 4312; break;
	case 6: m = 8960; break;
	default: m = 65483; break;
	}
	if (v6)
		m = idx == 0 ? 1220 : m - 20; /* IPv6 header is 20 B longer */
	return m;
}

static __always_inline __u32 ks_mss_index(__u32 mss, int v6)
{
	__u32 i = 7;

	/* Largest table entry not above the client's MSS; 536 is the floor. */
#pragma unroll
	for (int k = 0; k < 7; k++)
		if (i > 0 && ks_mss_value(i, v6) > mss)
			i--;
	return i;
}

/* m[0..3] = addresses, m[4] = ports | ISN, m[5] = option bits | slot. */
static __always_inline void ks_cookie_words(__u64 m[KS_SIP_WORDS],
					    const __u32 saddr[4], const __u32 daddr[4],
					    __u16 sport, __u16 dport, __u32 isn)
{
	m[0] = (__u64)saddr[0] << 32 | saddr[1];
	m[1] = (__u64)saddr[2] << 32 | saddr[3];
	m[2] = (__u64)daddr[0] << 32 | daddr[1];
	m[3] = (__u64)daddr[2] << 32 | daddr[3];
	m[4] = (__u64)isn << 32 | (__u32)sport << 16 | dport;
	m[5] = 0;
}

static __always_inline __u32 ks_cookie_opts(const struct ks_syn_opts *o, int v6)
{
	return (ks_mss_index(o->mss, v6) << 7) | (o->ts ? 1u << 6 : 0) |
	       (o->ecn ? 1u << 5 : 0) | (o->sack ? 1u << 4 : 0) |
	       (o->wscale > 14 ? KS_WS_NONE : o->wscale);
}

/* The cookie for time slot `slot`, and the timestamp offset via *ts_off. */
static __always_inline __u32 ks_cookie_make(const __u64 key[2], __u64 m[KS_SIP_WORDS],
					    __u32 slot, __u32 opts, __u32 *ts_off)
{
	__u64 h;

	m[5] = (__u64)opts << 32 | slot;
	h = ks_siphash(key, m);
	*ts_off = h >> 32;
	return ((__u32)h & ~KS_COOKIE_OPT_MASK) | opts;
}

/* 1 if cookie is ours for this slot and key. */
static __always_inline int ks_cookie_match(const __u64 key[2], __u64 m[KS_SIP_WORDS],
					   __u32 slot, __u32 cookie)
{
	__u64 h;

	m[5] = (__u64)(cookie & KS_COOKIE_OPT_MASK) << 32 | slot;
	h = ks_siphash(key, m);
	return (((__u32)h ^ cookie) & ~KS_COOKIE_OPT_MASK) == 0;
}

static __always_inline void ks_cookie_decode(__u32 cookie, int v6, struct ks_syn_opts *o)
{
	o->mss = ks_mss_value((cookie >> 7) & 7, v6);
	o->ts = (cookie >> 6) & 1;
	o->ecn = (cookie >> 5) & 1;
	o->sack = (cookie >> 4) & 1;
	o->wscale = cookie & 0xf;
}

#endif
