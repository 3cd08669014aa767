/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QUIC client Initial decryption at TC (docs/DESIGN.md, "Initials in the
 * kernel"): the datagram is copied into a work area (a map value the
 * includer owns: per-CPU in a program that runs on packets), and
 * shared/quic_crypt.h derives the keys from its DCID, removes header
 * protection and decrypts the payload there, in place. No bpf_crypto: its
 * contexts are keyed only from sleepable programs, and every DCID brings
 * new keys. Routing on the plaintext is the includer's.
 */
#ifndef KS_QUIC_DECRYPT_H
#define KS_QUIC_DECRYPT_H

#ifndef KS_LOOP
#define KS_LOOP(n, cb, arg) bpf_loop((n), (cb), (arg), 0)
#endif
/* Global: each step is verified once, whatever paths lead to it. */
#define KS_QC_FUNC __attribute__((noinline))
/* The header parser's indexes, bounded by the work area's packet buffer. */
#define KS_QL_MASK 2047
#include "quic_crypt.h"
_Static_assert(KS_QL_MASK == KS_QC_MASK, "the parser's mask is the work area's");

/*
 * The UDP payload at off, len bytes (the UDP header's length less 8: at TC
 * ingress skb->len still counts a NIC's Ethernet padding), into s, then
 * decrypted up to `steps` (ks_qc_initial: 3 for all of it). 0, or
 * KS_QC_E_*; a datagram larger than the work area is KS_QC_E_TOO_BIG,
 * left to ksteerd.
 */
static __always_inline int ks_qd_datagram(struct __sk_buff *skb, __u32 off, __u32 len,
					  struct ks_qc *s, int steps)
{
	if (len < 7 || off + len > skb->len)
		return KS_QC_E_TRUNCATED;
	if (len > KS_QC_BUF)
		return KS_QC_E_TOO_BIG;
	/* The verifier wants the length's bounds on the register it loads. */
	len = ((len - 1) & KS_QC_MASK) + 1;
	if (bpf_skb_load_bytes(skb, off, s->pkt, len))
		return KS_QC_E_TRUNCATED;
	s->len = len;
	return ks_qc_initial(s, steps);
}

#endif
