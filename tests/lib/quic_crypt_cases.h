/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The cases every build of shared/quic_crypt.h must pass, run through the
 * caller's way of decrypting (test_quic_crypt: userspace; test_quic_decrypt:
 * the BPF program under BPF_PROG_TEST_RUN): the RFC 9001 / RFC 9369
 * Appendix A client Initials (keys, header, plaintext byte for byte),
 * packets sealed by OpenSSL (tests/lib/quic_seal.c), and what must be
 * refused with its reason.
 */
#ifndef KS_QUIC_CRYPT_CASES_H
#define KS_QUIC_CRYPT_CASES_H

#include <stddef.h>
#include <linux/types.h>

struct ks_qc;

/* Decrypt the UDP payload pkt (len bytes; i picks IPv4 or IPv6 where that
 * matters) into *out, the work area as it is afterwards: 0 or KS_QC_E_*. */
typedef int (*qcc_decrypt_fn)(const __u8 *pkt, size_t len, int i, struct ks_qc *out);

/* Run every case (`sealed` sealed packets); ok/FAIL lines printed. */
void qcc_run(const char *capdir, qcc_decrypt_fn fn, int sealed);

/* dir/file into buf (cap bytes): its length, 0 if unreadable. */
size_t qcc_read(const char *dir, const char *file, __u8 *buf, size_t cap);

/* One check: its line printed, counted in qcc_passed / qcc_failed. */
void qcc_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
extern int qcc_passed, qcc_failed;

#endif
