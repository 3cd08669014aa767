// SPDX-License-Identifier: GPL-2.0
/*
 * The SYN cookie keys in ks_keys (include/ksteer_abi.h): the only writer.
 * Every change publishes a new read-only map and swaps it into the slot,
 * so a program reads either the old keys or the new ones, never a mix.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "ksteer.h"
#include "../bpf/siphash.h"

__u64 ks_tai_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_TAI, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

int ks_keys_read(int outer_fd, struct ks_cookie_keys *k)
{
	__u32 zero = 0, id;
	int fd, found;

	/* From userspace a map-in-map slot reads as the inner map's id; a
	 * writer may replace (and free) that map before we open it. */
	for (int tries = 0; tries < 3; tries++) {
		if (bpf_map_lookup_elem(outer_fd, &zero, &id))
			return errno == ENOENT ? 0 : -1;
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		found = bpf_map_lookup_elem(fd, &zero, k) ? -1 : 1;
		close(fd);
		return found;
	}
	return -1;
}

int ks_keys_publish(int outer_fd, const struct ks_cookie_keys *k)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_RDONLY_PROG);
	__u32 zero = 0;
	int fd, err = -1, saved;

	/* The attributes of bpf/keys.h's template, or the swap is refused. */
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "ks_keyset", sizeof(__u32), sizeof(*k), 1, &o);
	if (fd < 0)
		return -1;
	if (!bpf_map_update_elem(fd, &zero, k, BPF_ANY) && !bpf_map_freeze(fd) &&
	    !bpf_map_update_elem(outer_fd, &zero, &fd, BPF_ANY))
		err = 0;
	saved = errno;
	close(fd);                 /* the slot holds it now, or nothing does */
	errno = saved;
	return err;
}

int ks_keys_change(int outer_fd, const __u64 key[2])
{
	struct ks_cookie_keys now = {}, next = {};
	int have = ks_keys_read(outer_fd, &now);

	if (have < 0)
		return ks_err("cannot read the cookie keys: %s", strerror(errno));
	if (have && !memcmp(now.key, key, sizeof(now.key)))
		return 0;          /* the key already: the previous one keeps its slot */
	memcpy(next.key, key, sizeof(next.key));
	if (have) {
		memcpy(next.prev_key, now.key, sizeof(next.prev_key));
		next.has_prev = 1;
		next.rotated_ns = ks_tai_now_ns();
	}
	if (ks_keys_publish(outer_fd, &next))
		return ks_err("cannot publish the cookie keys: %s", strerror(errno));
	return 0;
}

int ks_keys_random(__u64 key[2])
{
	if (getrandom(key, 2 * sizeof(key[0]), 0) != 2 * sizeof(key[0]))
		return ks_err("getrandom: %s", strerror(errno));
	return 0;
}

int ks_keys_init(int outer_fd)
{
	struct ks_cookie_keys k = {};
	int have = ks_keys_read(outer_fd, &k);

	if (have < 0)
		return ks_err("cannot read the cookie keys: %s", strerror(errno));
	if (have)
		return 0;          /* up again: the keys stay */
	if (ks_keys_random(k.key))
		return 1;
	if (ks_keys_publish(outer_fd, &k))
		return ks_err("cannot publish the cookie keys: %s", strerror(errno));
	return 0;
}

static int ks_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ks_key_parse(const char *buf, size_t n, __u64 key[2])
{
	__u8 b[16];

	if (n == 33 && buf[32] == '\n')
		n = 32;
	if (n != 32)
		return -1;
	for (int i = 0; i < 16; i++) {
		int hi = ks_hex(buf[2 * i]), lo = ks_hex(buf[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		b[i] = hi << 4 | lo;
	}
	/* The 16 key bytes in SipHash's order: k0, k1 little-endian. */
	key[0] = key[1] = 0;
	for (int i = 7; i >= 0; i--) {
		key[0] = key[0] << 8 | b[i];
		key[1] = key[1] << 8 | b[8 + i];
	}
	return 0;
}

__u64 ks_key_fingerprint(const __u64 key[2])
{
	/* A MAC under the key of a fixed message: equal keys give equal
	 * fingerprints, and it tells nothing of the key (SipHash is a PRF). */
	static const __u64 msg[1] = { 0x706672656574736bULL };   /* "ksteerfp", LE */

	return ks_siphash_n(key, msg, 1);
}
