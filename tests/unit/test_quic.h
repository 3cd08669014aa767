/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the parts of build/test_quic share: test_quic.c (the RFC vectors,
 * the building blocks, the chaos generator and main), quic_neg.c (the
 * negative cases, real captures), quic_vn.c (admission of an unknown
 * connection's datagram, Version Negotiation) and quic_fixtures.c
 * (datagram files and fuzz seeds written from the chaos generator).
 */
#ifndef KS_TEST_QUIC_H
#define KS_TEST_QUIC_H

#include <stdio.h>
#include "quic_initial.h"
#include "quic_seal.h"

#define TQ_MAX_PKTS 32
#define TQ_MAX_DGRAMS TQ_MAX_PKTS
#define TQ_DGRAM_MAX 4096

/* A connection's worth of Initial plaintexts, then sealed datagrams. */
struct tq_pkt {
	__u8 pt[2048];
	size_t n;
	int dgram_end;                /* last packet of its datagram */
};

struct tq_plan {
	struct tq_pkt pkt[TQ_MAX_PKTS];
	int npkt;
};

struct tq_dgrams {
	__u8 b[TQ_MAX_DGRAMS][TQ_DGRAM_MAX];
	size_t len[TQ_MAX_DGRAMS];
	int n;
};

/* One set of counters for the three files: main prints them. */
extern int tq_passed, tq_failed, tq_skipped;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		int ok_ = !!(cond);                                        \
		printf(ok_ ? "ok - " : "FAIL - ");                         \
		printf(__VA_ARGS__);                                       \
		if (!ok_)                                                  \
			printf(" (%s:%d)", __FILE__, __LINE__);            \
		putchar('\n');                                             \
		tq_passed += ok_;                                          \
		tq_failed += !ok_;                                         \
	} while (0)

/* Quiet for loops of hundreds: count, print the first few failures. */
#define QUIET_CHECK(bad, cond, ...)                                        \
	do {                                                               \
		if (!(cond) && (bad)++ < 5) {                              \
			printf("  detail: ");                              \
			printf(__VA_ARGS__);                               \
			putchar('\n');                                     \
		}                                                          \
	} while (0)

/* The decoder's state, one connection at a time, and its parser's. */
extern struct ks_scratch tq_scratch;
extern struct ks_quic_conn tq_conn;

/* test_quic.c */
size_t tq_unhex(const char *h, __u8 *out, size_t cap);
size_t tq_read_file(const char *path, __u8 *buf, size_t cap);
/* tq_scratch's ALPN list, comma-separated, is want. */
int tq_alpn_is(const char *want);
/* xorshift64*, reproducible from tq_seed's seed: [0, n). */
__u32 tq_rnd(__u32 n);
void tq_seed(__u64 seed);
/* The handshake message in a capture's type-22 records; its length, or 0. */
size_t tq_hello_msg(const __u8 *rec, size_t len, __u8 *out, size_t cap);
/* msg chaos-fragmented into packet plaintexts; -1 if it does not fit. */
int tq_plan(const __u8 *msg, size_t len, struct tq_plan *p);
/* The plan sealed into datagrams with proto's version and CIDs. */
int tq_seal_plan(struct tq_plan *p, const struct ks_quic_seal *proto, struct tq_dgrams *d);
/* Random version and CIDs (20 bytes each at dcid, scid) for a connection. */
void tq_random_ids(struct ks_quic_seal *a, __u8 *dcid, __u8 *scid);

/* quic_neg.c */
/* The seal arguments every negative case starts from. */
struct ks_quic_seal tq_neg_args(void);
void tq_test_negative(const char *dir);
void tq_test_real_captures(const char *dir);

/* quic_vn.c */
void tq_test_vn(void);

/* quic_fixtures.c */
int tq_write_fixtures(const char *dir, const char *capdir);
int tq_write_seeds(const char *dir, const char *capdir);

#endif
