// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer key set FILE|- / key rotate / key show: the SYN cookie keys. A key
 * is read from a file or standard input, never the command line (where
 * every user's ps would see it), and never printed: `show` gives a
 * fingerprint, enough to tell whether two hosts share a key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "cookie.h"

/* At most n bytes of fd; more than a key could be is read as n + 1. */
static ssize_t ks_read_upto(int fd, char *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got <= n && (r = read(fd, buf + got, n + 1 - got)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		got += r;
	}
	return got;
}

/* The key in FILE ("-": standard input) into key; 0, or 1 with one line. */
static int ks_key_from(const char *file, __u64 key[2])
{
	const char *what = strcmp(file, "-") ? file : "standard input";
	int fd = strcmp(file, "-") ? open(file, O_RDONLY) : 0;
	char buf[64];
	struct stat st;
	ssize_t n;
	int err;

	if (fd < 0) {
		/* Say nothing that would repeat a key given in its place. */
		if (errno == ENOENT && !ks_key_parse(file, strlen(file), key))
			return ks_err("key set reads the key from a file or standard input ('-'), "
				      "never from the command line");
		return ks_err("cannot read %s: %s", file, strerror(errno));
	}
	n = ks_read_upto(fd, buf, sizeof(buf) - 1);
	if (n >= 0 && fd && fstat(fd, &st))
		n = -1;
	err = errno;
	if (fd)
		close(fd);
	if (n < 0)
		return ks_err("cannot read %s: %s", what, strerror(err));
	if (ks_key_parse(buf, n, key))
		return ks_err("%s: not a key: expected 32 hex digits (16 bytes), optionally one "
			      "newline", what);
	if (!key[0] && !key[1])
		return ks_err("%s: a key of zeros is no secret", what);
	if (fd && (st.st_mode & 044))
		fprintf(stderr, "ksteer: %s can be read by other users (mode %04o): 0600 keeps "
				"the key secret\n", file, st.st_mode & 07777);
	return 0;
}

static int ks_key_show(int fd)
{
	struct ks_cookie_keys k;
	__u64 now = ks_tai_now_ns();
	int have = ks_keys_read(fd, &k);

	if (have < 0)
		return ks_err("cannot read the cookie keys: %s", strerror(errno));
	if (!have)
		return ks_err("no cookie key published: run 'ksteer up'");
	printf("key fingerprint %016llx\n", (unsigned long long)ks_key_fingerprint(k.key));
	if (!k.has_prev)
		printf("no previous key\n");
	else if (ks_prev_key_live(&k, now))
		printf("previous key fingerprint %016llx, accepted for %llu s more\n",
		       (unsigned long long)ks_key_fingerprint(k.prev_key),
		       (unsigned long long)((k.rotated_ns + KS_SLOT_NS - now) / 1000000000ULL));
	else
		printf("previous key fingerprint %016llx, no longer accepted\n",
		       (unsigned long long)ks_key_fingerprint(k.prev_key));
	return 0;
}

/* A new current key: the one it replaces stays accepted one slot more. */
static int ks_key_change(const __u64 key[2])
{
	int fd = ks_map("ks_keys"), err;

	if (fd < 0)
		return 1;
	err = ks_keys_change(fd, key);
	close(fd);
	return err;
}

int cmd_key_set(const struct ks_env *e)
{
	__u64 key[2];

	return ks_key_from(e->args[0], key) || ks_key_change(key);
}

int cmd_key_rotate(const struct ks_env *e)
{
	__u64 key[2];

	return ks_keys_random(key) || ks_key_change(key);
}

int cmd_key_show(const struct ks_env *e)
{
	int fd = ks_map("ks_keys"), err;

	if (fd < 0)
		return 1;
	err = ks_key_show(fd);
	close(fd);
	return err;
}
