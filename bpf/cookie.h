/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Stateless SYN cookies: what our SYN-ACK carries so that the client's next
 * segments prove the handshake, and the options it was given. Two layouts.
 *
 * Without timestamps, the sequence number holds a MAC and the options:
 *
 *   seq   31                               10 9   7   6     5     4    3    0
 *         +----------------------------------+-----+----+-----+------+------+
 *         |  MAC: SipHash-2-4 (22 bits)      | MSS | TS | ECN | SACK |  WS  |
 *         +----------------------------------+-----+----+-----+------+------+
 *                                                    TS = 0
 *
 * With timestamps, the whole sequence number is MAC and the same option
 * bits ride in the low bits of our TSval, which the client echoes in the
 * TSecr of its ACK and data (as Linux's own syncookies keep options there):
 *
 *   seq   31                                                             0
 *         +---------------------------------------------------------------+
 *         |  MAC: SipHash-2-4 (32 bits)                                   |
 *         +---------------------------------------------------------------+
 *   TSval 31                               10 9   7   6     5     4    3    0
 *         +----------------------------------+-----+----+-----+------+------+
 *         |  clock (ms + the flow's offset)  | MSS | TS | ECN | SACK |  WS  |
 *         +----------------------------------+-----+----+-----+------+------+
 *                                                    TS = 1
 *
 * MAC = the low 32 bits of SipHash(key, saddr, daddr, sport, dport, client
 * ISN, time slot, option bits), keeping 22 of them in the first layout. The
 * option bits are hashed in either layout, so a client cannot alter them,
 * and so is the TS bit, so a MAC of one layout is no MAC of the other. The
 * layout a segment is checked in is the one its TSecr claims (bit 6 set in
 * an echoed timestamp), one per segment. The high 32 bits of the same hash
 * offset the clock part of our TSval, so that it leaks no uptime; the
 * kernel re-bases the child's clock on the echo (tsoff = TSecr - now), so
 * the clock part is not checked. WS = 0xf: the client sent no window scale.
 * MSS is an index into a table of common MSS values, rounded down.
 *
 * Time slots are 2^36 ns (~68.7 s) of CLOCK_TAI, a clock hosts share, so a
 * cookie one host made verifies at another holding the same key. A slot
 * and the one before it verify, read 2 s ahead (KS_SLOT_SKEW_NS) so a host
 * whose clock is up to 2 s behind the issuer's still takes its cookies.
 * The previous key verifies for one slot after a key change. Time is an
 * argument here, never read: the checks are testable at any instant.
 */
#ifndef KS_COOKIE_H
#define KS_COOKIE_H

#include "siphash.h"
#include "../include/ksteer_abi.h"

#define KS_COOKIE_OPT_MASK 0x3ffu
#define KS_OPT_TS (1u << 6)   /* timestamps: the second layout */
#define KS_WS_NONE 0xf
#define KS_SLOT_SHIFT 36
#define KS_SLOT_NS (1ULL << KS_SLOT_SHIFT)
#define KS_SLOT_SKEW_NS 2000000000ULL
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

/* The slot a SYN-ACK sent at CLOCK_TAI time tai_ns is made in. */
static __always_inline __u32 ks_slot_issue(__u64 tai_ns)
{
	return tai_ns >> KS_SLOT_SHIFT;
}

/* The newest slot a segment received at tai_ns may carry; it and the one
 * before verify. */
static __always_inline __u32 ks_slot_verify(__u64 tai_ns)
{
	return (tai_ns + KS_SLOT_SKEW_NS) >> KS_SLOT_SHIFT;
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

/* The option bits for what the SYN asked and the host allows; KS_OPT_TS
 * picks the timestamp layout. */
static __always_inline __u32 ks_cookie_opts(const struct ks_syn_opts *o, int v6)
{
	return (ks_mss_index(o->mss, v6) << 7) | (o->ts ? KS_OPT_TS : 0) |
	       (o->ecn ? 1u << 5 : 0) | (o->sack ? 1u << 4 : 0) |
	       (o->wscale > 14 ? KS_WS_NONE : o->wscale);
}

/*
 * Our SYN-ACK's sequence number for the option bits opts, made in time
 * slot `slot`: the same function makes the cookie and checks it. The
 * flow's timestamp offset goes to *ts_off.
 */
static __always_inline __u32 ks_cookie_seq(const __u64 key[2], __u64 m[KS_SIP_WORDS],
					   __u32 slot, __u32 opts, __u32 *ts_off)
{
	__u64 h;

	m[5] = (__u64)opts << 32 | slot;
	h = ks_siphash(key, m);
	*ts_off = h >> 32;
	return opts & KS_OPT_TS ? (__u32)h : ((__u32)h & ~KS_COOKIE_OPT_MASK) | opts;
}

/*
 * Our SYN-ACK's TSval in the timestamp layout: the clock (ms, offset) with
 * its low bits replaced by opts, never ahead of the clock (a step back of
 * 1024 ms when it would be), so the child, whose clock the kernel starts
 * from this value, moves on from it as the client expects.
 */
static __always_inline __u32 ks_cookie_tsval(__u32 clock, __u32 opts)
{
	__u32 ts = (clock & ~KS_COOKIE_OPT_MASK) | opts;

	if ((__s32)(ts - clock) > 0)
		ts -= KS_COOKIE_OPT_MASK + 1;
	return ts;
}

/*
 * The option bits a segment after our SYN-ACK claims, which decide its
 * layout: those of an echoed TSval of the timestamp layout, else the
 * cookie's own. 0, or -1 when the cookie's own claim timestamps: the
 * sequence number layout never has them.
 */
static __always_inline int ks_cookie_claim(__u32 cookie, const struct ks_syn_opts *seg,
					   __u32 *opts)
{
	if (seg->ts && (seg->tsecr & KS_OPT_TS)) {
		*opts = seg->tsecr & KS_COOKIE_OPT_MASK;
		return 0;
	}
	*opts = cookie & KS_COOKIE_OPT_MASK;
	return *opts & KS_OPT_TS ? -1 : 0;
}

/* The previous key still verifies: for one slot after the change. A clock
 * set back before the change ends it too (unsigned difference). */
static __always_inline int ks_prev_key_live(const struct ks_cookie_keys *k, __u64 tai_ns)
{
	return k->has_prev && tai_ns - k->rotated_ns < KS_SLOT_NS;
}

/*
 * 1 if cookie (the segment's ack - 1) is ours at CLOCK_TAI time tai_ns, for
 * the segment whose options are seg and whose words are in m: under the
 * current key, or the previous one while it lives, in the newest slot the
 * segment may carry or the one before (at most 4 MACs).
 */
static __always_inline int ks_cookie_check(const struct ks_cookie_keys *k,
					   __u64 m[KS_SIP_WORDS], __u64 tai_ns, __u32 cookie,
					   const struct ks_syn_opts *seg)
{
	__u32 slot = ks_slot_verify(tai_ns), opts, off;

	if (ks_cookie_claim(cookie, seg, &opts))
		return 0;
	if (ks_cookie_seq(k->key, m, slot, opts, &off) == cookie ||
	    ks_cookie_seq(k->key, m, slot - 1, opts, &off) == cookie)
		return 1;
	if (!ks_prev_key_live(k, tai_ns))
		return 0;
	return ks_cookie_seq(k->prev_key, m, slot, opts, &off) == cookie ||
	       ks_cookie_seq(k->prev_key, m, slot - 1, opts, &off) == cookie;
}

static __always_inline void ks_cookie_decode(__u32 opts, int v6, struct ks_syn_opts *o)
{
	o->mss = ks_mss_value((opts >> 7) & 7, v6);
	o->ts = (opts & KS_OPT_TS) != 0;
	o->ecn = (opts >> 5) & 1;
	o->sack = (opts >> 4) & 1;
	o->wscale = opts & 0xf;
}

/* The options of a flow whose cookie verified, from the bits its segment
 * claims (seg: its parsed options), which the MAC covered. */
static __always_inline void ks_cookie_flow_opts(__u32 cookie, const struct ks_syn_opts *seg,
						int v6, struct ks_syn_opts *o)
{
	__u32 opts;

	ks_cookie_claim(cookie, seg, &opts);
	ks_cookie_decode(opts, v6, o);
}

#endif
