/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SSH on a TLS port: the client speaks first, with its identification
 * string (RFC 4253 4.2), so the first bytes tell it from a ClientHello
 * (whose first byte is 22). Shared by the TC program and ksteerd.
 *
 *   +---------+-----------------+-----+-------------+------+
 *   | SSH-2.0-| softwareversion | [SP | comments]   | CRLF |
 *   +---------+-----------------+-----+-------------+------+
 *
 * Only "SSH-2.0-": "SSH-1.99-" is what servers say for old clients, and
 * SSH-1 clients are gone. The routing needs no more than these 8 bytes.
 */
#ifndef KS_SSH_IDENT_H
#define KS_SSH_IDENT_H

#define KS_SSH_IDENT_LEN 8

enum ks_ssh_ident {
	KS_SSH_NO = 0,        /* not SSH */
	KS_SSH_YES = 1,       /* "SSH-2.0-" */
	KS_SSH_MORE = 2,      /* fewer than 8 bytes, all of them its start */
};

/* b: the first n bytes of the connection (at most 8 read). */
static __always_inline int ks_ssh_ident(const __u8 *b, __u32 n)
{
	/* "SSH-2.0-", byte k in bits 8k.. of the constant */
	const __u64 ident = 0x2d302e322d485353ULL;

#pragma unroll
	for (__u32 k = 0; k < KS_SSH_IDENT_LEN; k++) {
		if (k >= n)
			return n ? KS_SSH_MORE : KS_SSH_NO;
		if (b[k] != (__u8)(ident >> (8 * k)))
			return KS_SSH_NO;
	}
	return KS_SSH_YES;
}

#endif
