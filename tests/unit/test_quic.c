// SPDX-License-Identifier: GPL-2.0
/*
 * QUIC Initial decoding: RFC 9001 / RFC 9369 vectors, the crypto stream,
 * chaos-fragmented ClientHellos from real captures (sealed here with
 * quic_seal.c, itself checked byte for byte against the RFC packets), and
 * every way a datagram can be wrong (quic_neg.c); the files written for
 * other tests come from quic_fixtures.c. What the three share:
 * test_quic.h.
 *
 *   test_quic [CAPTURE_DIR]            run the tests
 *   test_quic --write-fixtures DIR     datagram files for test_quic_cli.sh
 *   test_quic --fuzz-seeds DIR         seed corpus for fuzz_quic
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test_quic.h"
#include "quic_rfc.h"

#define TQ_MAX_FRAGS 1024

int tq_passed, tq_failed, tq_skipped;
struct ks_scratch tq_scratch;
struct ks_quic_conn tq_conn;

/* ---- RFC vectors ------------------------------------------------------ */

size_t tq_unhex(const char *h, __u8 *out, size_t cap)
{
	size_t n = 0;

	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v;

		sscanf(h, "%2x", &v);
		out[n++] = v;
	}
	return n;
}

static int same_hex(const __u8 *b, const char *h)
{
	__u8 want[256];
	size_t n = tq_unhex(h, want, sizeof(want));

	return !memcmp(b, want, n);
}

static void test_rfc_keys(void)
{
	struct ks_quic_keys k;
	__u8 secret[32], mask[16], sample[16];

	CHECK(!ks_quic_client_secret(KS_QUIC_V1, rfc_dcid, 8, secret) &&
	      same_hex(secret, "c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea"),
	      "RFC 9001 A.1: client_initial_secret");
	CHECK(!ks_quic_keys_from_secret(KS_QUIC_V1, secret, &k) &&
	      same_hex(k.key, rfc_keys[0].key) &&
	      same_hex(k.iv, rfc_keys[0].iv) &&
	      same_hex(k.hp, rfc_keys[0].hp),
	      "RFC 9001 A.1: client key, iv, hp");
	tq_unhex("d1b1c98dd7689fb8ec11d242b123dc9b", sample, 16);
	CHECK(!ks_quic_hp_mask(k.hp, sample, mask) && same_hex(mask, "437b9aec36"),
	      "RFC 9001 A.2: header protection mask of the sample");
	CHECK(!ks_quic_client_secret(KS_QUIC_V2, rfc_dcid, 8, secret) &&
	      same_hex(secret, "14ec9d6eb9fd7af83bf5a668bc17a7e283766aade7ecd0891f70f9ff7f4bf47b"),
	      "RFC 9369 A.1: client_initial_secret");
	CHECK(!ks_quic_keys_from_secret(KS_QUIC_V2, secret, &k) &&
	      same_hex(k.key, rfc_keys[1].key) &&
	      same_hex(k.iv, rfc_keys[1].iv) &&
	      same_hex(k.hp, rfc_keys[1].hp),
	      "RFC 9369 A.1: client key, iv, hp");
	CHECK(ks_quic_client_keys(0xff00001d, rfc_dcid, 8, &k) != 0,
	      "no keys for an unknown version (draft-29)");
}

size_t tq_read_file(const char *path, __u8 *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f)
		return 0;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

int tq_alpn_is(const char *want)
{
	char got[256] = "";
	size_t n = 0;

	for (__u32 i = 0; i < tq_scratch.hello.alpn_count && n < 200; i++)
		n += snprintf(got + n, sizeof(got) - n, "%s%.*s", i ? "," : "",
			      tq_scratch.hello.alpn_len[i], &tq_scratch.hs[tq_scratch.hello.alpn_off[i]]);
	return !strcmp(got, want);
}

/* A.2: decrypt the RFC's packet, and seal its plaintext back to it. */
static void test_rfc_packet(const char *dir, const char *file, __u32 version,
			    const char *name)
{
	static __u8 pkt[1500], pt[1162], out[1500];
	char path[512];
	size_t n, fl;
	struct ks_quic_seal a = { .version = version, .type = KS_QUIC_INITIAL, .pn_len = 4,
				  .dcid = rfc_dcid, .dcid_len = 8, .pn = 2 };
	ssize_t sn;

	snprintf(path, sizeof(path), "%s/quic/%s", dir, file);
	n = tq_read_file(path, pkt, sizeof(pkt));
	if (n != 1200) {
		CHECK(0, "%s: %s holds the 1200-byte packet", name, path);
		return;
	}
	ks_quic_conn_init(&tq_conn);
	CHECK(ks_quic_datagram(&tq_conn, pkt, n) == 1, "%s: the client Initial decrypts", name);
	fl = tq_unhex(rfc_crypto_frame, pt, sizeof(pt));
	CHECK(tq_conn.largest_pn == 2 && tq_conn.version == version && tq_conn.odcid_len == 8 &&
	      !memcmp(tq_conn.odcid, rfc_dcid, 8) && tq_conn.scid_len == 0,
	      "%s: packet number 2, version, DCID, empty SCID", name);
	CHECK(tq_conn.cs.prefix == fl - 4 && !memcmp(ks_qstream_data(&tq_conn.cs), pt + 4, fl - 4),
	      "%s: CRYPTO stream = the RFC's %zu ClientHello bytes", name, fl - 4);
	CHECK(tq_conn.st.crypto_frames == 1 && tq_conn.st.padding_bytes == 1162 - fl &&
	      tq_conn.st.frames == 1,
	      "%s: one CRYPTO frame, then %zu bytes of PADDING", name, 1162 - fl);
	CHECK(ks_quic_hello(&tq_conn, &tq_scratch) == KS_HELLO_COMPLETE &&
	      !strcmp(tq_scratch.hello.sni, "example.com") && tq_alpn_is("alpn"),
	      "%s: ClientHello complete, sni example.com, alpn \"alpn\"", name);
	memset(pt + fl, 0, sizeof(pt) - fl);
	sn = ks_quic_seal(&a, pt, sizeof(pt), out, sizeof(out));
	CHECK(sn == 1200 && !memcmp(out, pkt, 1200),
	      "%s: the sealer rebuilds the RFC's packet byte for byte", name);
}

/* ---- building blocks -------------------------------------------------- */

static void test_varint_pn(void)
{
	static const struct { const char *hex; __u64 v; } vi[] = {
		{ "c2197c5eff14e88c", 151288809941952652ull }, { "9d7f3e7d", 494878333 },
		{ "7bbd", 15293 }, { "25", 37 }, { "4025", 37 },
	};
	int bad = 0;

	for (size_t i = 0; i < sizeof(vi) / sizeof(vi[0]); i++) {
		__u8 b[8];
		size_t n = tq_unhex(vi[i].hex, b, 8), off = 0;
		__u64 v;

		if (ks_quic_varint(b, n, &off, &v) || v != vi[i].v || off != n)
			bad++;
		off = 0;
		if (!ks_quic_varint(b, n - 1, &off, &v) && n > 1)
			bad++;                    /* one byte short must fail */
	}
	CHECK(!bad, "varints: RFC 9000 A.1 examples, and truncated ones refused");
	CHECK(ks_quic_pn_decode(0xa82f30ea, 0x9b32, 16) == 0xa82f9b32,
	      "packet number: RFC 9000 A.3 example");
	CHECK(ks_quic_pn_decode(-1, 0, 8) == 0 && ks_quic_pn_decode(-1, 2, 32) == 2 &&
	      ks_quic_pn_decode(255, 0x01, 8) == 257,
	      "packet number: first packet, and wrap of a 1-byte number");
}

static void test_stream(void)
{
	static struct ks_quic_stream st;
	__u8 d[64];

	for (int i = 0; i < 64; i++)
		d[i] = i;
	ks_qstream_init(&st);
	CHECK(!ks_qstream_add(&st, 10, d + 10, 10) && st.prefix == 0 && st.high == 20,
	      "stream: a fragment past a gap leaves the prefix at 0");
	CHECK(!ks_qstream_add(&st, 0, d, 5) && st.prefix == 5, "stream: prefix grows to the gap");
	CHECK(!ks_qstream_add(&st, 3, d + 3, 12) && st.prefix == 20 && st.dup_bytes == 7,
	      "stream: an overlapping fragment fills the gap; overlap counted");
	CHECK(ks_qstream_add(&st, 15, (const __u8 *)"xxxxx", 5) == KS_QSTREAM_CONFLICT &&
	      st.prefix == 20 && !memcmp(ks_qstream_data(&st), d, 20),
	      "stream: resent bytes that differ are refused, first copy kept");
	CHECK(ks_qstream_add(&st, KS_QSTREAM_MAX - 2, d, 3) == KS_QSTREAM_TOO_BIG &&
	      !ks_qstream_add(&st, KS_QSTREAM_MAX - 3, d, 3) &&
	      ks_qstream_add(&st, ~0ull - 1, d, 3) == KS_QSTREAM_TOO_BIG,
	      "stream: bounded at %d bytes, no offset overflow", KS_QSTREAM_MAX);
}

/* ---- the chaos generator ---------------------------------------------- */

/* xorshift64*: reproducible from the seed printed on failure. */
static __u64 rng_state;

__u32 tq_rnd(__u32 n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return n ? (rng_state * 0x2545f4914f6cdd1dull >> 32) % n : 0;
}

static size_t tq_frame_crypto(__u8 *out, __u64 off, const __u8 *data, size_t len)
{
	size_t n = 0;

	out[n++] = 0x06;
	n += ks_quic_put_varint(out + n, off, tq_rnd(4) ? 0 : 8);  /* some long encodings */
	n += ks_quic_put_varint(out + n, len, 0);
	memcpy(out + n, data, len);
	return n + len;
}

/* A valid ACK with ranges (and ECN counts for 0x03), as a client acking
 * the server's Initials would send: the walker must step over it exactly. */
static size_t tq_frame_ack(__u8 *out)
{
	size_t n = 0;
	int ecn = tq_rnd(2);

	out[n++] = ecn ? 0x03 : 0x02;
	n += ks_quic_put_varint(out + n, 40, 0);         /* largest */
	n += ks_quic_put_varint(out + n, 1000, 0);       /* delay */
	n += ks_quic_put_varint(out + n, 2, 0);          /* 2 more ranges */
	n += ks_quic_put_varint(out + n, 3, 0);          /* 37..40 */
	n += ks_quic_put_varint(out + n, 4, 0);          /* gap: 31..35 missing */
	n += ks_quic_put_varint(out + n, 10, 0);         /* 20..30 */
	n += ks_quic_put_varint(out + n, 17, 0);         /* gap: 1..18 missing */
	n += ks_quic_put_varint(out + n, 0, 0);          /* 0..0 */
	for (int i = 0; ecn && i < 3; i++)
		n += ks_quic_put_varint(out + n, 1000 * i, 4);
	return n;
}

/* Handshake message of a capture: the fragments of its type-22 records. */
size_t tq_hello_msg(const __u8 *rec, size_t len, __u8 *out, size_t cap)
{
	size_t off = 0, n = 0;

	while (off + 5 <= len && rec[off] == 22) {
		size_t r = (size_t)rec[off + 3] << 8 | rec[off + 4];

		if (off + 5 + r > len || n + r > cap)
			break;
		memcpy(out + n, rec + off + 5, r);
		n += r;
		off += 5 + r;
		if (n >= 4 && n >= 4 + ((size_t)out[1] << 16 | out[2] << 8 | out[3]))
			return 4 + ((size_t)out[1] << 16 | out[2] << 8 | out[3]);
	}
	return 0;
}

struct frag { __u32 off, len; };

/* Cut [0, len) into fragments with overlaps and duplicates, shuffled. */
static int make_frags(size_t len, struct frag *f, int cap)
{
	int n = 0;

	for (size_t at = 0; at < len && n < cap - 1;) {
		__u32 sz = 1 + tq_rnd(tq_rnd(4) ? 300 : 40), back = tq_rnd(3) ? 0 : tq_rnd(30);

		if (sz > len - at)
			sz = len - at;
		f[n].off = back > at ? 0 : at - back;
		f[n].len = at + sz - f[n].off;
		if (!tq_rnd(5) && n < cap - 2) {         /* a duplicate */
			f[n + 1] = f[n];
			n++;
		}
		n++;
		at += sz;
	}
	for (int i = n - 1; i > 0; i--) {
		int j = tq_rnd(i + 1);
		struct frag t = f[i];

		f[i] = f[j];
		f[j] = t;
	}
	return n;
}

/* Frames into packet plaintexts of at most ~1100 bytes, PING/PADDING/ACK
 * between them; each packet ends the datagram or is coalesced. */
int tq_plan(const __u8 *msg, size_t len, struct tq_plan *p)
{
	struct frag f[TQ_MAX_FRAGS];
	int nf = make_frags(len, f, TQ_MAX_FRAGS), i = 0;

	/* Small packets too, so that small hellos also span datagrams. */
	size_t cap = 150 + tq_rnd(950), dg = 0;

	p->npkt = 0;
	while (i < nf && p->npkt < TQ_MAX_PKTS) {
		struct tq_pkt *k = &p->pkt[p->npkt++];

		k->n = 0;
		k->dgram_end = 0;
		if (!tq_rnd(6))
			k->n += tq_frame_ack(k->pt + k->n);
		while (i < nf && (!k->n || k->n + f[i].len + 20 < cap)) {
			if (!tq_rnd(4))
				k->pt[k->n++] = 0x01;            /* PING */
			for (int z = tq_rnd(4) ? 0 : tq_rnd(20); z > 0; z--)
				k->pt[k->n++] = 0x00;            /* PADDING */
			k->n += tq_frame_crypto(k->pt + k->n, f[i].off, msg + f[i].off, f[i].len);
			i++;
		}
		/* Datagrams stay near real sizes (~1500 bytes at most). */
		dg += k->n + 60;
		k->dgram_end = i == nf || tq_rnd(3) || dg + cap + 400 > 1400;
		if (k->dgram_end)
			dg = 0;
	}
	if (i < nf)
		return -1;
	p->pkt[p->npkt - 1].dgram_end = 1;
	return 0;
}

/* Seal the plan into datagrams, padded to 1200 bytes like real clients;
 * sometimes a coalesced Handshake packet that must be skipped. */
int tq_seal_plan(struct tq_plan *p, const struct ks_quic_seal *proto, struct tq_dgrams *d)
{
	struct ks_quic_seal a = *proto;
	size_t used = 0;

	d->n = 0;
	for (int i = 0; i < p->npkt; i++) {
		struct tq_pkt *k = &p->pkt[i];
		__u8 *dst = d->b[d->n];
		ssize_t sn;

		if (k->dgram_end && used + k->n + 80 < 1200) {     /* pad to 1200 */
			size_t pad = 1200 - (used + k->n + 80);

			memset(k->pt + k->n, 0, pad);
			k->n += pad;
		}
		a.pn = i;
		a.pn_len = 1 + tq_rnd(4);
		sn = ks_quic_seal(&a, k->pt, k->n, dst + used, TQ_DGRAM_MAX - used);
		if (sn < 0)
			return -1;
		used += sn;
		if (!k->dgram_end)
			continue;
		if (!tq_rnd(5) && used + 100 < TQ_DGRAM_MAX) {   /* coalesced Handshake */
			__u8 junk[40] = { 0x01 };

			a.type = KS_QUIC_HANDSHAKE;
			sn = ks_quic_seal(&a, junk, sizeof(junk), dst + used, TQ_DGRAM_MAX - used);
			a.type = KS_QUIC_INITIAL;
			used += sn > 0 ? sn : 0;
		}
		d->len[d->n++] = used;
		used = 0;
	}
	return 0;
}

void tq_random_ids(struct ks_quic_seal *a, __u8 *dcid, __u8 *scid)
{
	memset(a, 0, sizeof(*a));
	a->version = tq_rnd(3) ? KS_QUIC_V1 : KS_QUIC_V2;
	a->type = KS_QUIC_INITIAL;
	a->dcid_len = 8 + tq_rnd(13);
	a->scid_len = tq_rnd(21);
	for (int i = 0; i < 20; i++) {
		dcid[i] = tq_rnd(256);
		scid[i] = tq_rnd(256);
	}
	a->dcid = dcid;
	a->scid = scid;
}

void tq_seed(__u64 seed)
{
	rng_state = seed * 0x9e3779b97f4a7c15ull + 1;
}

struct expect {
	int status;
	char sni[KS_SNI_MAX + 1];
	char alpn[256];
};

static void expect_of(const __u8 *rec, size_t len, struct expect *e)
{
	size_t n = 0;

	e->status = ks_parse_buf(rec, len, &tq_scratch);
	strcpy(e->sni, tq_scratch.hello.sni);
	e->alpn[0] = 0;
	for (__u32 i = 0; i < tq_scratch.hello.alpn_count && n < 200; i++)
		n += snprintf(e->alpn + n, sizeof(e->alpn) - n, "%s%.*s", i ? "," : "",
			      tq_scratch.hello.alpn_len[i], &tq_scratch.hs[tq_scratch.hello.alpn_off[i]]);
}

/* One chaotic connection: 0 if the SNI/ALPN came out right. */
static int chaos_once(const __u8 *msg, size_t len, const struct expect *e, int shuffle)
{
	static struct tq_plan p;
	static struct tq_dgrams d;
	struct ks_quic_seal a;
	__u8 dcid[20], scid[20];
	int order[TQ_MAX_DGRAMS];

	tq_random_ids(&a, dcid, scid);
	if (tq_rnd(4) == 0) {
		a.token = (const __u8 *)"a-retry-token-from-the-server";
		a.token_len = 1 + tq_rnd(28);
	}
	if (tq_plan(msg, len, &p) || tq_seal_plan(&p, &a, &d))
		return 1;
	for (int i = 0; i < d.n; i++)
		order[i] = i;
	for (int i = d.n - 1; shuffle && i > 0; i--) {
		int j = tq_rnd(i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	ks_quic_conn_init(&tq_conn);
	for (int i = 0; i < d.n; i++) {
		if (ks_quic_datagram(&tq_conn, d.b[order[i]], d.len[order[i]]) < 1)
			return 2;
		/* Before the end the hello may be cut short, never wrong. */
		if (i < d.n - 1 && ks_quic_hello(&tq_conn, &tq_scratch) == KS_HELLO_MALFORMED)
			return 3;
	}
	if (ks_quic_hello(&tq_conn, &tq_scratch) != e->status ||
	    strcmp(tq_scratch.hello.sni, e->sni) || !tq_alpn_is(e->alpn))
		return 4;
	return tq_conn.cs.prefix == len && tq_conn.st.errors == 0 ? 0 : 5;
}

static void test_chaos_capture(const char *dir, const char *name, int iters)
{
	static __u8 rec[20000], msg[20000];
	char path[512];
	size_t n, len;
	struct expect e;
	int bad = 0, multi = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	n = tq_read_file(path, rec, sizeof(rec));
	len = tq_hello_msg(rec, n, msg, sizeof(msg));
	if (!len) {
		CHECK(0, "chaos %s: a ClientHello in the capture", name);
		return;
	}
	expect_of(rec, n, &e);
	for (int it = 0; it < iters; it++) {
		__u64 seed = (__u64)it * 7919 + len;
		int r;

		tq_seed(seed);
		r = chaos_once(msg, len, &e, it % 3 == 2);
		QUIET_CHECK(bad, !r, "%s seed %llu: failure %d", name, (unsigned long long)seed, r);
		multi += tq_conn.st.datagrams > 1;
	}
	CHECK(!bad, "chaos %s: %d connections (%d over several datagrams), sni %s alpn %s",
	      name, iters, multi, e.sni[0] ? e.sni : "-", e.alpn[0] ? e.alpn : "-");
}

static void test_chaos(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0;

	if (!d) {
		CHECK(0, "captures in %s", dir);
		return;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l < 5 || strcmp(de->d_name + l - 4, ".bin"))
			continue;
		/* Big hellos get the most iterations: they span datagrams. */
		test_chaos_capture(dir, de->d_name, strncmp(de->d_name, "chromium", 8) &&
					strncmp(de->d_name, "firefox", 7) ? 100 : 500);
		files++;
	}
	closedir(d);
	CHECK(files >= 5, "chaos: %d captures tried", files);
}

int main(int argc, char **argv)
{
	const char *dir = "tests/data/captures";

	if (argc == 3 && !strcmp(argv[1], "--write-fixtures"))
		return tq_write_fixtures(argv[2], dir);
	if (argc == 3 && !strcmp(argv[1], "--fuzz-seeds"))
		return tq_write_seeds(argv[2], dir);
	if (argc > 1)
		dir = argv[1];
	test_rfc_keys();
	test_rfc_packet(dir, "rfc9001-a2.bin", KS_QUIC_V1, "RFC 9001 A.2");
	test_rfc_packet(dir, "rfc9369-a2.bin", KS_QUIC_V2, "RFC 9369 A.2");
	test_varint_pn();
	test_stream();
	tq_test_negative(dir);
	tq_test_vn();
	test_chaos(dir);
	tq_test_real_captures(dir);
	printf("%d passed, %d failed, %d skipped\n", tq_passed, tq_failed, tq_skipped);
	return tq_failed ? 1 : 0;
}
