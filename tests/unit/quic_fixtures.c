// SPDX-License-Identifier: GPL-2.0
/*
 * test_quic, part 3 (test_quic.h): datagram files for the CLI test
 * (--write-fixtures) and the fuzz target's seeds (--fuzz-seeds).
 */
#include <string.h>
#include "test_quic.h"

static int write_bytes(const char *dir, const char *name, const __u8 *b, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n) {
		fprintf(stderr, "cannot write %s\n", path);
		if (f)
			fclose(f);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

/* A capture, chaos-split into exactly `want` datagrams (seed search). */
static int fixture_conn(const char *capdir, const char *cap, __u32 version, int want,
			struct tq_plan *p, struct tq_dgrams *d)
{
	static __u8 rec[20000], msg[20000];
	static __u8 dcid[20], scid[20];
	char path[512];
	struct ks_quic_seal a;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", capdir, cap);
	len = tq_hello_msg(rec, tq_read_file(path, rec, sizeof(rec)), msg, sizeof(msg));
	if (!len)
		return 1;
	for (__u64 seed = 1; seed < 1000; seed++) {
		tq_seed(seed);
		tq_random_ids(&a, dcid, scid);
		a.version = version;
		if (!tq_plan(msg, len, p) && !tq_seal_plan(p, &a, d) && d->n == want)
			return 0;
	}
	return 1;
}

static int fixture_set(const char *dir, const char *capdir, const char *cap, const char *name,
		       __u32 version, int want)
{
	static struct tq_plan p;
	static struct tq_dgrams d;
	char file[128];
	int err = fixture_conn(capdir, cap, version, want, &p, &d);

	for (int i = 0; !err && i < d.n; i++) {
		snprintf(file, sizeof(file), "%s-%d.bin", name, i + 1);
		err = write_bytes(dir, file, d.b[i], d.len[i]);
	}
	return err;
}

/* Bad datagrams, each named after the error the CLI must report. */
static int fixture_bad(const char *dir)
{
	static __u8 out[2048];
	struct ks_quic_seal a = tq_neg_args();
	__u8 pt[1100] = { 0x06, 0x00, 0x04, 'a', 'b', 'c', 'd' };
	ssize_t n;
	int err = 0;

	n = ks_quic_seal(&a, pt, sizeof(pt), out, sizeof(out));
	out[700] ^= 1;
	err |= n < 0 || write_bytes(dir, "bad-auth.bin", out, n);
	err |= write_bytes(dir, "truncated.bin", out, 600);
	out[0] = 0x41;
	err |= write_bytes(dir, "short-header.bin", out, n);
	memcpy(out, "\xc0\x00\x00\x00\x00", 5);
	err |= write_bytes(dir, "vneg.bin", out, n);
	memcpy(out, "\xc0\xff\x00\x00\x1d", 5);
	err |= write_bytes(dir, "unknown-version.bin", out, n);
	a.type = KS_QUIC_HANDSHAKE;
	n = ks_quic_seal(&a, pt, sizeof(pt), out, sizeof(out));
	err |= n < 0 || write_bytes(dir, "handshake-only.bin", out, n);
	a.type = KS_QUIC_INITIAL;
	pt[7] = 0x08;                             /* a STREAM frame */
	n = ks_quic_seal(&a, pt, sizeof(pt), out, sizeof(out));
	err |= n < 0 || write_bytes(dir, "bad-frame.bin", out, n);
	tq_seed(99);
	for (int i = 0; i < 1200; i++)
		out[i] = tq_rnd(256) | (i ? 0 : 0x80);
	err |= write_bytes(dir, "garbage.bin", out, 1200);
	return err;
}

int tq_write_fixtures(const char *dir, const char *capdir)
{
	int err = 0;

	err |= fixture_set(dir, capdir, "chromium_1.bin", "chrome", KS_QUIC_V1, 2);
	err |= fixture_set(dir, capdir, "firefox_1.bin", "firefox-v2", KS_QUIC_V2, 2);
	err |= fixture_set(dir, capdir, "curl_h2.bin", "curl", KS_QUIC_V1, 1);
	err |= fixture_set(dir, capdir, "openssl_nosni.bin", "nosni", KS_QUIC_V1, 1);
	err |= fixture_bad(dir);
	return err;
}

/*
 * fuzz_quic input: a mode byte, then records of (2-byte length, bytes).
 * Mode 0: each record is a datagram. Mode 1: each record is an Initial
 * plaintext that the target seals first, so mutations reach the frames.
 */
static int seed_file(const char *dir, const char *name, int mode, const struct tq_plan *p,
		     const struct tq_dgrams *d)
{
	static __u8 b[65536];
	size_t n = 0;
	int count = mode ? p->npkt : d->n;

	b[n++] = mode;
	for (int i = 0; i < count; i++) {
		const __u8 *src = mode ? p->pkt[i].pt : d->b[i];
		size_t len = mode ? p->pkt[i].n : d->len[i];

		if (n + 2 + len > sizeof(b))
			break;
		b[n++] = len >> 8;
		b[n++] = len & 0xff;
		memcpy(b + n, src, len);
		n += len;
	}
	return write_bytes(dir, name, b, n);
}

int tq_write_seeds(const char *dir, const char *capdir)
{
	static const char *const caps[] = { "chromium_1.bin", "firefox_1.bin", "curl_h2.bin",
					    "openssl_sni_alpn.bin", "python.bin" };
	static struct tq_plan p;
	static struct tq_dgrams d;
	char name[64];
	int err = 0;

	for (int i = 0; i < 5; i++) {
		if (fixture_conn(capdir, caps[i], i & 1 ? KS_QUIC_V2 : KS_QUIC_V1, i < 2 ? 2 : 1,
				 &p, &d))
			return 1;
		snprintf(name, sizeof(name), "dgrams-%d", i);
		err |= seed_file(dir, name, 0, &p, &d);
		snprintf(name, sizeof(name), "plain-%d", i);
		err |= seed_file(dir, name, 1, &p, &d);
	}
	return err;
}
