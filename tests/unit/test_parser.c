// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for the ClientHello parser (shared/tls_hello.h, the same code the
 * BPF programs run): built ClientHellos in every shape we care about, every
 * truncation and record split, malformed input, and the real captures in
 * tests/data/captures checked against tshark's dissection (expected.tsv).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hello.h"
#include "check.h"
#include "siphash.h"

static int skipped;
static struct ks_scratch S;


/* ---- a ClientHello builder ------------------------------------------- */

struct buf {
	uint8_t b[KS_WIRE_MAX + 1024];    /* a 16 KB hello in 1-byte records, and more */
	size_t n;
};

static void put8(struct buf *b, unsigned v) { b->b[b->n++] = v; }
static void put16(struct buf *b, unsigned v) { put8(b, v >> 8); put8(b, v); }
static void put24(struct buf *b, unsigned v) { put8(b, v >> 16); put16(b, v); }
static void putn(struct buf *b, const void *p, size_t n) { memcpy(b->b + b->n, p, n); b->n += n; }

struct ext {
	unsigned type;
	const uint8_t *data;
	size_t len;
};

static size_t sni_ext(uint8_t *out, const char *name)
{
	size_t n = strlen(name);

	out[0] = (n + 3) >> 8; out[1] = n + 3;
	out[2] = 0;
	out[3] = n >> 8; out[4] = n;
	memcpy(out + 5, name, n);
	return n + 5;
}

/* "h2,http/1.1" -> wire list */
static size_t alpn_ext(uint8_t *out, const char *csv)
{
	size_t o = 2;
	char tmp[256], *save, *t;

	snprintf(tmp, sizeof(tmp), "%s", csv);
	for (t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		out[o++] = strlen(t);
		memcpy(out + o, t, strlen(t));
		o += strlen(t);
	}
	out[0] = (o - 2) >> 8; out[1] = o - 2;
	return o;
}

/* A handshake message (type 1) with the given extensions; exts = NULL: none. */
static void hello_msg(struct buf *m, const struct ext *exts, int next)
{
	struct buf body = { .n = 0 };
	uint8_t rnd[32], sid[32];

	memset(rnd, 0x5a, 32);
	memset(sid, 0x33, 32);
	put16(&body, 0x0303);
	putn(&body, rnd, 32);
	put8(&body, 32);
	putn(&body, sid, 32);
	put16(&body, 6);
	put16(&body, 0x4a4a);                    /* GREASE suite */
	put16(&body, 0x1301);
	put16(&body, 0x1302);
	put8(&body, 1);
	put8(&body, 0);
	if (exts) {
		size_t total = 0;

		for (int i = 0; i < next; i++)
			total += 4 + exts[i].len;
		put16(&body, total);
		for (int i = 0; i < next; i++) {
			put16(&body, exts[i].type);
			put16(&body, exts[i].len);
			putn(&body, exts[i].data, exts[i].len);
		}
	}
	m->n = 0;
	put8(m, 1);
	put24(m, body.n);
	putn(m, body.b, body.n);
}

/* Wrap msg into records of at most rec bytes each. */
static void records(struct buf *out, const struct buf *msg, size_t rec)
{
	out->n = 0;
	for (size_t o = 0; o < msg->n; o += rec) {
		size_t n = msg->n - o < rec ? msg->n - o : rec;

		put8(out, 22);
		put16(out, 0x0301);
		put16(out, n);
		putn(out, msg->b + o, n);
	}
}

static struct buf M, W;

static void std_hello(const char *sni, const char *alpn)
{
	static uint8_t s[600], a[300], g1[1] = {0}, ks[40];
	struct ext e[6];
	int n = 0;

	e[n++] = (struct ext){ 0x0a0a, NULL, 0 };          /* GREASE, empty */
	if (sni)
		e[n++] = (struct ext){ 0, s, sni_ext(s, sni) };
	e[n++] = (struct ext){ 51, ks, sizeof(ks) };       /* key_share-ish */
	if (alpn)
		e[n++] = (struct ext){ 16, a, alpn_ext(a, alpn) };
	e[n++] = (struct ext){ 0xfafa, g1, 1 };            /* GREASE, 1 byte */
	hello_msg(&M, e, n);
	records(&W, &M, 16384);
}

static int parse(const struct buf *w)
{
	return ks_parse_buf(w->b, w->n, &S);
}

static int alpn_is(int i, const char *want)
{
	return i < (int)S.hello.alpn_count && S.hello.alpn_len[i] == strlen(want) &&
	       !memcmp(&S.hs[S.hello.alpn_off[i]], want, strlen(want));
}

/* ---- tests ------------------------------------------------------------ */

static void test_basic(void)
{
	std_hello("www.example.com", "h2,http/1.1");
	CHECK(parse(&W) == KS_HELLO_COMPLETE, "basic: complete");
	CHECK(!strcmp(S.hello.sni, "www.example.com"), "basic: sni '%s'", S.hello.sni);
	CHECK(S.hello.alpn_count == 2 && alpn_is(0, "h2") && alpn_is(1, "http/1.1"),
	      "basic: alpn");
	CHECK(S.hello.wire_len == W.n, "basic: wire_len %u of %zu", S.hello.wire_len, W.n);

	std_hello("WWW.Example.COM", NULL);
	CHECK(parse(&W) == KS_HELLO_COMPLETE && !strcmp(S.hello.sni, "www.example.com"),
	      "mixed case is lowered: '%s'", S.hello.sni);
	CHECK(S.hello.alpn_count == 0, "no ALPN extension: empty list");

	std_hello(NULL, "h2");
	CHECK(parse(&W) == KS_HELLO_COMPLETE && S.hello.sni_len == 0 && alpn_is(0, "h2"),
	      "no SNI: complete, no name");

	hello_msg(&M, NULL, 0);
	records(&W, &M, 16384);
	CHECK(parse(&W) == KS_HELLO_COMPLETE && S.hello.sni_len == 0, "no extensions at all");
}

/* A prefix is named only when it fixes the route (tls_hello.h). */
static void test_named_prefix(void)
{
	static uint8_t s[300], s2[300], a[300], pad[1200];
	struct ext e[4];
	size_t cut;

	/* SNI, ALPN, then a big extension: named with a final ALPN list
	 * before the big one is in. */
	e[0] = (struct ext){ 0, s, sni_ext(s, "a.example") };
	e[1] = (struct ext){ 16, a, alpn_ext(a, "h2,http/1.1") };
	e[2] = (struct ext){ 21, pad, sizeof(pad) };
	hello_msg(&M, e, 3);
	records(&W, &M, 16384);
	W.n -= sizeof(pad) / 2;
	CHECK(parse(&W) == KS_HELLO_INCOMPLETE && S.hello.named == (KS_NAMED_SNI | KS_NAMED_ALPN) &&
	      !strcmp(S.hello.sni, "a.example") && alpn_is(0, "h2") && alpn_is(1, "http/1.1"),
	      "prefix with SNI and ALPN: named, ALPN final (named %u)", S.hello.named);

	/* SNI, then the big one, then ALPN: named, ALPN may follow. */
	e[1] = (struct ext){ 21, pad, sizeof(pad) };
	e[2] = (struct ext){ 16, a, alpn_ext(a, "h2") };
	hello_msg(&M, e, 3);
	records(&W, &M, 16384);
	W.n -= sizeof(pad) / 2;
	CHECK(parse(&W) == KS_HELLO_INCOMPLETE && S.hello.named == KS_NAMED_SNI &&
	      S.hello.alpn_count == 0, "prefix with SNI only: named, ALPN open");

	/* The server_name extension cut one byte short: not named. */
	e[1] = e[2];
	hello_msg(&M, e, 2);
	records(&W, &M, 16384);
	cut = W.n;
	W.n = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 6 + 2 + 2 + 4 + e[0].len - 1;
	CHECK(parse(&W) == KS_HELLO_INCOMPLETE && !S.hello.named && !S.hello.sni_len,
	      "server_name one byte short: not named");
	W.n++;
	CHECK(parse(&W) == KS_HELLO_INCOMPLETE && S.hello.named, "whole server_name: named");
	W.n = cut;
	CHECK(parse(&W) == KS_HELLO_COMPLETE && !S.hello.named, "whole hello: complete, no flag");

	/* A prefix that breaks the grammar names nothing: a second
	 * server_name (duplicates are illegal), or a bad one. */
	e[1] = (struct ext){ 0, s2, sni_ext(s2, "b.example") };
	e[2] = (struct ext){ 21, pad, sizeof(pad) };
	hello_msg(&M, e, 3);
	records(&W, &M, 16384);
	W.n -= 10;
	CHECK(parse(&W) == KS_HELLO_INCOMPLETE && !S.hello.named && !S.hello.sni_len,
	      "duplicate server_name in the prefix: not named");
	e[0] = (struct ext){ 0, s, sni_ext(s, "a..example") };
	e[1] = e[2];
	hello_msg(&M, e, 2);
	records(&W, &M, 16384);
	W.n -= 10;
	CHECK(parse(&W) == KS_HELLO_INCOMPLETE && !S.hello.named, "bad host name: not named");

	/* No host name at all: the default's decision needs the whole. */
	std_hello(NULL, "h2");
	W.n -= 1;
	CHECK(parse(&W) == KS_HELLO_INCOMPLETE && !S.hello.named, "no SNI: not named");
}

static void test_sni_lengths(void)
{
	char name[300];

	/* 255 bytes: labels of 63 joined by dots, the longest legal SNI. */
	memset(name, 0, sizeof(name));
	for (int i = 0; i < 255; i++)
		name[i] = (i % 64 == 63) ? '.' : 'a' + i % 26;
	std_hello(name, NULL);
	CHECK(parse(&W) == KS_HELLO_COMPLETE && S.hello.sni_len == 255 &&
	      !strcmp(S.hello.sni, name), "255-byte SNI");
	name[255] = 'z';
	std_hello(name, NULL);
	CHECK(parse(&W) == KS_HELLO_MALFORMED && S.hello.sni_len == 0, "256-byte SNI refused");
	std_hello("a", NULL);
	CHECK(parse(&W) == KS_HELLO_COMPLETE && !strcmp(S.hello.sni, "a"), "1-byte SNI");
}

static void test_orders(void)
{
	uint8_t s[64], a[64], pad[512] = {0};
	struct ext e[4] = {
		{ 21, pad, sizeof(pad) }, { 16, a, alpn_ext(a, "acme-tls/1") },
		{ 0, s, sni_ext(s, "shuffled.example") }, { 0x1a1a, NULL, 0 },
	};
	int perm[24][4], np = 0;

	for (int a0 = 0; a0 < 4; a0++)
		for (int a1 = 0; a1 < 4; a1++)
			for (int a2 = 0; a2 < 4; a2++)
				for (int a3 = 0; a3 < 4; a3++)
					if (a0 != a1 && a0 != a2 && a0 != a3 && a1 != a2 &&
					    a1 != a3 && a2 != a3) {
						perm[np][0] = a0; perm[np][1] = a1;
						perm[np][2] = a2; perm[np][3] = a3;
						np++;
					}
	int good = 0;

	for (int p = 0; p < np; p++) {
		struct ext o[4];

		for (int i = 0; i < 4; i++)
			o[i] = e[perm[p][i]];
		hello_msg(&M, o, 4);
		records(&W, &M, 16384);
		good += parse(&W) == KS_HELLO_COMPLETE &&
			!strcmp(S.hello.sni, "shuffled.example") && alpn_is(0, "acme-tls/1");
	}
	CHECK(good == np, "every extension order: %d of %d", good, np);
}

static void test_records_and_truncation(void)
{
	int good = 0, total = 0, wrong = 0;
	struct buf cut;

	std_hello("split.example.org", "h2,http/1.1");
	/* Every record size from 1 byte (too many records) up to one record. */
	for (size_t rec = 1; rec <= M.n; rec++) {
		int st;

		records(&W, &M, rec);
		st = parse(&W);
		total++;
		if ((M.n + rec - 1) / rec > KS_MAX_RECORDS)
			good += st == KS_HELLO_TOO_BIG;
		else
			good += st == KS_HELLO_COMPLETE && !strcmp(S.hello.sni, "split.example.org") &&
				alpn_is(1, "http/1.1");
	}
	CHECK(good == total, "every record split: %d of %d", good, total);

	/* Every truncation of a 3-record hello: incomplete; named (by its
	 * whole name) from some cut on, never before it, never unnamed again. */
	records(&W, &M, M.n / 3 + 1);
	good = total = 0;
	{
		size_t first = 0;

		for (size_t n = 0; n < W.n; n++) {
			memcpy(cut.b, W.b, n);
			cut.n = n;
			total++;
			good += parse(&cut) == KS_HELLO_INCOMPLETE;
			if (S.hello.named && !first)
				first = n;
			wrong += !S.hello.named != (!first || n < first) ||
				 (S.hello.named ? strcmp(S.hello.sni, "split.example.org") != 0
						: S.hello.sni_len != 0);
		}
		CHECK(good == total && !wrong && first,
		      "every truncation is incomplete: %d of %d, %d named wrongly, named from %zu",
		      good, total, wrong, first);
	}

	/* Trailing bytes after the ClientHello (early data) are not ours. */
	records(&W, &M, 16384);
	memset(W.b + W.n, 0x17, 100);
	W.n += 100;
	CHECK(parse(&W) == KS_HELLO_COMPLETE && S.hello.wire_len == W.n - 100,
	      "trailing bytes ignored");
}

/* The kernel's limits (shared/tls_hello.h): a 16 KB ClientHello in any
 * records (1-byte ones: 98 KB, within its 128 KB on the wire), any number
 * of extensions. */
static void test_big(void)
{
	static uint8_t pad[KS_HS_MAX], s[64], many[4 * 4000];
	struct ext e[2] = { { 21, pad, 6000 }, { 0, s, sni_ext(s, "late.example") } };
	size_t fixed;

	hello_msg(&M, e, 2);
	records(&W, &M, 1400);
	CHECK(parse(&W) == KS_HELLO_COMPLETE && !strcmp(S.hello.sni, "late.example"),
	      "6 KB hello over 5 records, SNI last");
	e[0].len = 0;
	hello_msg(&M, e, 2);
	fixed = M.n;                              /* everything but the padding */
	e[0].len = KS_HS_MAX - fixed;
	hello_msg(&M, e, 2);
	records(&W, &M, 16384);
	CHECK(M.n == KS_HS_MAX && parse(&W) == KS_HELLO_COMPLETE && !strcmp(S.hello.sni, "late.example"),
	      "a %zu-byte hello (the largest the kernel keeps) in 2 records, SNI last", M.n);
	e[0].len++;
	hello_msg(&M, e, 2);
	records(&W, &M, 16384);
	CHECK(parse(&W) == KS_HELLO_TOO_BIG && S.hello.sni_len == 0, "one byte more: too big");
	/* The same two in 1-byte records: 6 wire bytes each, 98 KB. */
	records(&W, &M, 1);
	CHECK(W.n <= KS_WIRE_MAX && parse(&W) == KS_HELLO_TOO_BIG && S.hello.sni_len == 0,
	      "... in %zu B of one-byte records: too big (for ksteerd)", W.n);
	e[0].len--;
	hello_msg(&M, e, 2);
	records(&W, &M, 1);
	CHECK(M.n == KS_HS_MAX && W.n == 6 * KS_HS_MAX && W.n <= KS_WIRE_MAX &&
	      parse(&W) == KS_HELLO_COMPLETE && !strcmp(S.hello.sni, "late.example"),
	      "the %zu-byte hello in %zu B of one-byte records (the kernel's %d wire bytes "
	      "hold them), SNI last", M.n, W.n, KS_WIRE_MAX);

	e[0].len = 1024;                          /* 1-byte records, 6 times the bytes */
	hello_msg(&M, e, 2);
	records(&W, &M, 1);
	CHECK(W.n <= KS_WIRE_MAX && parse(&W) == KS_HELLO_COMPLETE &&
	      !strcmp(S.hello.sni, "late.example"),
	      "a %zu-byte hello in %zu one-byte records", M.n, M.n);

	/* 4000 empty extensions, the SNI after them (16 KB of them). */
	for (int i = 0; i < 4000; i++) {
		many[4 * i] = 0xfe;
		many[4 * i + 1] = i & 0xff;
		many[4 * i + 2] = many[4 * i + 3] = 0;
	}
	{
		struct buf *m = &M;

		hello_msg(m, e + 1, 1);
		/* Splice the raw extensions in before server_name. */
		size_t ext_at = m->n - e[1].len - 4, ext_len = (size_t)(m->b[ext_at - 2] << 8 |
									  m->b[ext_at - 1]);
		memmove(m->b + ext_at + 4 * 4000, m->b + ext_at, m->n - ext_at);
		memcpy(m->b + ext_at, many, 4 * 4000);
		m->n += 4 * 4000;
		ext_len += 4 * 4000;
		m->b[ext_at - 2] = ext_len >> 8;
		m->b[ext_at - 1] = ext_len;
		m->b[1] = (m->n - 4) >> 16;
		m->b[2] = (m->n - 4) >> 8;
		m->b[3] = m->n - 4;
		records(&W, m, 16384);
		CHECK(parse(&W) == KS_HELLO_COMPLETE && !strcmp(S.hello.sni, "late.example"),
		      "4001 extensions, the SNI last");
	}
}

/* Build std_hello, apply a mutation at a byte offset found by pattern. */
static void test_malformed(void)
{
	uint8_t s[64], a[64], bad[64];
	struct ext e[3];
	size_t n;

	std_hello("x.example", "h2");
	W.b[0] = 23;                              /* application data record */
	CHECK(parse(&W) == KS_HELLO_NOT_TLS, "not a handshake record");
	std_hello("x.example", "h2");
	W.b[5] = 2;                               /* ServerHello */
	CHECK(parse(&W) == KS_HELLO_MALFORMED, "handshake type 2");
	std_hello("x.example", "h2");
	W.b[3] = 0; W.b[4] = 0;                   /* empty record */
	CHECK(parse(&W) == KS_HELLO_MALFORMED, "zero-length record");
	std_hello("x.example", "h2");
	W.b[5 + 4 + 2 + 32] = 33;                 /* session id too long */
	CHECK(parse(&W) != KS_HELLO_COMPLETE && S.hello.sni_len == 0, "session id of 33");

	/* Duplicate server_name. */
	e[0] = (struct ext){ 0, s, sni_ext(s, "one.example") };
	e[1] = (struct ext){ 0, a, sni_ext(a, "two.example") };
	hello_msg(&M, e, 2);
	records(&W, &M, 16384);
	CHECK(parse(&W) == KS_HELLO_MALFORMED && S.hello.sni_len == 0, "duplicate SNI");

	/* Characters that are no host name. */
	const char *names[] = { "a b.example", "a..example", ".example", "example.", "ex\x01.com",
				"caf\xc3\xa9.example", "a/b.example" };
	int good = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		e[0] = (struct ext){ 0, s, sni_ext(s, names[i]) };
		hello_msg(&M, e, 1);
		records(&W, &M, 16384);
		good += parse(&W) == KS_HELLO_MALFORMED && S.hello.sni_len == 0;
	}
	CHECK(good == 7, "bad host characters refused: %d of 7", good);

	/* server_name list length that disagrees with the extension. */
	n = sni_ext(bad, "ok.example");
	bad[1] += 1;
	e[0] = (struct ext){ 0, bad, n };
	hello_msg(&M, e, 1);
	records(&W, &M, 16384);
	CHECK(parse(&W) == KS_HELLO_MALFORMED, "SNI list length mismatch");
	/* A name one byte shorter than its list says: not "ok.exampl". */
	n = sni_ext(bad, "ok.example");
	bad[4] -= 1;
	e[0] = (struct ext){ 0, bad, n };
	hello_msg(&M, e, 1);
	records(&W, &M, 16384);
	CHECK(parse(&W) == KS_HELLO_MALFORMED && S.hello.sni_len == 0,
	      "SNI name shorter than its list: malformed, no truncated name");

	/* ALPN: empty protocol, and a list overrunning its extension. */
	uint8_t al[] = { 0, 4, 2, 'h', '2', 0 };
	e[0] = (struct ext){ 0, s, sni_ext(s, "ok.example") };
	e[1] = (struct ext){ 16, al, sizeof(al) };
	hello_msg(&M, e, 2);
	records(&W, &M, 16384);
	CHECK(parse(&W) == KS_HELLO_MALFORMED && S.hello.sni_len == 0, "empty ALPN protocol");
	uint8_t al2[] = { 0, 3, 5, 'h', '2' };
	e[1] = (struct ext){ 16, al2, sizeof(al2) };
	hello_msg(&M, e, 2);
	records(&W, &M, 16384);
	CHECK(parse(&W) == KS_HELLO_MALFORMED, "ALPN entry overruns list");
	/* 3000 protocols after h2: walked to the end, none a limit of ours
	 * (OpenSSL takes any number that fits the extension). */
	{
		static uint8_t many[2 + 3 + 2 * 3000];
		size_t o = 2;

		many[o++] = 2; many[o++] = 'h'; many[o++] = '2';
		for (int i = 0; i < 3000; i++) {
			many[o++] = 1;
			many[o++] = 'a' + i % 26;
		}
		many[0] = (o - 2) >> 8;
		many[1] = (o - 2) & 0xff;
		e[1] = (struct ext){ 16, many, o };
		hello_msg(&M, e, 2);
		records(&W, &M, 16384);
		CHECK(parse(&W) == KS_HELLO_COMPLETE && alpn_is(0, "h2") &&
		      S.hello.alpn_total == 3001 && !strcmp(S.hello.sni, "ok.example"),
		      "3001 ALPN protocols: complete, h2 first (total %u)", S.hello.alpn_total);
	}

	/* Extension length past the end of the hello. */
	std_hello("x.example", NULL);
	W.b[W.n - 3] = 0xff;                      /* last extension's length */
	CHECK(parse(&W) == KS_HELLO_MALFORMED && S.hello.sni_len == 0, "extension overrun");

	/* A later record of another type inside the ClientHello. */
	std_hello("x.example", "h2");
	records(&W, &M, 40);
	W.b[45] = 21;                             /* second record: alert */
	CHECK(parse(&W) == KS_HELLO_MALFORMED, "alert record mid-hello");
}

/* Random byte flips: no crash, and any name reported is a legal name. */
static void test_mutations(void)
{
	unsigned seed = 12345, bad = 0;

	for (int iter = 0; iter < 200000; iter++) {
		std_hello("mutant.example.net", "h2,http/1.1");
		records(&W, &M, iter % 3 ? 16384 : 50);
		for (int k = 0; k < 1 + iter % 4; k++) {
			seed = seed * 1103515245 + 12345;
			W.b[(seed >> 8) % W.n] = seed >> 24;
		}
		if (parse(&W) == KS_HELLO_COMPLETE && S.hello.sni_len) {
			if (strlen(S.hello.sni) != S.hello.sni_len || S.hello.sni_len > 255)
				bad++;
			for (unsigned i = 0; i < S.hello.sni_len; i++) {
				char c = S.hello.sni[i];

				if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
				      c == '-' || c == '_'))
					bad++;
			}
		}
	}
	CHECK(bad == 0, "200000 mutated hellos: no illegal name (%u bad)", bad);
}

/* SipHash-2-4 reference vectors: key 00..0f, message 00..(len-1). */
static void test_siphash(void)
{
	__u64 key[2], m[KS_SIP_WORDS];
	uint8_t kb[16], mb[48];

	for (int i = 0; i < 16; i++)
		kb[i] = i;
	for (int i = 0; i < 48; i++)
		mb[i] = i;
	memcpy(key, kb, 16);                     /* little-endian host */
	memcpy(m, mb, 48);
	CHECK(ks_siphash_n(key, m, 0) == 0x726fdb47dd0e0e31ULL, "siphash: empty message");
	CHECK(ks_siphash_n(key, m, 1) == 0x93f5f5799a932462ULL, "siphash: 8-byte message");
}

/* The ALPN list of S, comma-joined ("-" for none). */
static void alpn_join(char *out, size_t size)
{
	size_t o = 0;

	out[0] = 0;
	for (unsigned i = 0; i < S.hello.alpn_count && o < size; i++)
		o += snprintf(out + o, size - o, "%s%.*s", i ? "," : "", S.hello.alpn_len[i],
			      &S.hs[S.hello.alpn_off[i]]);
	if (!o)
		snprintf(out, size, "-");
}

/* Where the host name sni (lower-case) ends in data, case-insensitively:
 * the end of a one-record capture's server_name extension. 0: not in. */
static size_t name_end(const uint8_t *data, size_t len, const char *sni)
{
	size_t k = strlen(sni);

	for (size_t i = 0; k && i + k <= len; i++)
		if (!strncasecmp((const char *)data + i, sni, k))
			return i + k;
	return 0;
}

/*
 * Every truncation of a real ClientHello is incomplete; it is named
 * (tls_hello.h) exactly from the cut that holds the whole server_name
 * extension on, by the whole name, and the ALPN list it reports once
 * final is the whole one's. Re-split into records of several sizes it
 * gives the same name.
 */
static void capture_variants(const char *file, const uint8_t *data, size_t len, const char *sni,
			     const char *alpn)
{
	static const size_t sizes[] = { 1, 7, 100, 517, 1000, 1400 };
	size_t end = strcmp(sni, "-") ? name_end(data, len, sni) : 0;
	int bad = 0, wrong = 0;
	char got[300];

	for (size_t n = 0; n < len; n++) {
		int named = end && n >= end;

		ks_parse_buf(data, n, &S);
		bad += S.hello.status != KS_HELLO_INCOMPLETE || !S.hello.named != !named ||
		       (named ? strcmp(S.hello.sni, sni) != 0 : S.hello.sni_len != 0);
		if (S.hello.named & KS_NAMED_ALPN) {
			alpn_join(got, sizeof(got));
			bad += strcmp(got, alpn) != 0;
		}
	}
	CHECK(!bad, "capture %s: all %zu truncations incomplete, named from byte %zu on (%d not)",
	      file, len, end, bad);
	/* The handshake bytes of all records, wrapped again. */
	M.n = 0;
	for (size_t o = 0; o + 5 <= len;) {
		size_t r = (size_t)data[o + 3] << 8 | data[o + 4];

		putn(&M, data + o + 5, r);
		o += 5 + r;
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		records(&W, &M, sizes[i]);
		ks_parse_buf(W.b, W.n, &S);
		if ((M.n + sizes[i] - 1) / sizes[i] > KS_MAX_RECORDS)
			wrong += S.hello.status != KS_HELLO_TOO_BIG;
		else
			wrong += S.hello.status != KS_HELLO_COMPLETE ||
				 strcmp(S.hello.sni_len ? S.hello.sni : "-", sni);
	}
	CHECK(!wrong, "capture %s: re-split into records of 1..1400 B, same result (%d differ)",
	      file, wrong);
}

/* Real ClientHellos captured from real clients, against tshark. */
static void test_captures(const char *dir)
{
	char path[512], line[1024];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "%s/expected.tsv", dir);
	f = fopen(path, "r");
	if (!f) {
		skipped++;
		printf("skip - captures: no %s\n", path);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		char file[256], sni[300], alpn[300], fpath[800], got[300];
		static uint8_t data[65536];
		size_t len;
		FILE *d;

		if (line[0] == '#' || sscanf(line, "%255s\t%299s\t%299s", file, sni, alpn) != 3)
			continue;
		snprintf(fpath, sizeof(fpath), "%s/%s", dir, file);
		d = fopen(fpath, "rb");
		if (!d) {
			CHECK(0, "capture %s missing", file);
			continue;
		}
		len = fread(data, 1, sizeof(data), d);
		fclose(d);
		ks_parse_buf(data, len, &S);
		alpn_join(got, sizeof(got));
		/* tshark prints the name as sent; we compare case-insensitively. */
		for (char *c = sni; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
		CHECK(S.hello.status == KS_HELLO_COMPLETE &&
		      !strcmp(S.hello.sni_len ? S.hello.sni : "-", sni) && !strcmp(got, alpn),
		      "capture %s (%zu B): want %s %s, got %s %s %s", file, len, sni, alpn,
		      ks_hello_status_name(S.hello.status), S.hello.sni_len ? S.hello.sni : "-", got);
		capture_variants(file, data, len, sni, alpn);
		n++;
	}
	fclose(f);
	printf("ok - %d real captures checked against tshark\n", n);
}

/* Seeds for the fuzzer: a few well-formed hellos of different shapes. */
static int write_seeds(const char *dir)
{
	const char *snis[] = { "a.example", "www.Example.COM", NULL, "x.y.z.example.org" };
	char path[512];

	for (int i = 0; i < 4; i++) {
		FILE *f;

		std_hello(snis[i], i & 1 ? "h2,http/1.1" : "acme-tls/1");
		records(&W, &M, i == 3 ? 40 : 16384);
		snprintf(path, sizeof(path), "%s/seed%d.bin", dir, i);
		f = fopen(path, "wb");
		if (!f)
			return 1;
		fwrite(W.b, 1, W.n, f);
		fclose(f);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		return write_seeds(argv[2]);
	test_basic();
	test_named_prefix();
	test_sni_lengths();
	test_orders();
	test_records_and_truncation();
	test_big();
	test_malformed();
	test_mutations();
	test_siphash();
	test_captures(argc > 1 ? argv[1] : "tests/data/captures");
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
