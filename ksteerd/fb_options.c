// SPDX-License-Identifier: GPL-2.0
/*
 * ksteerd's command line: one table of options (name, argument, help)
 * that getopt_long reads and --help prints, the checks of each value, and
 * the errors in ksteer's words (cli/args.c): one line on stderr prefixed
 * "ksteerd: ", exit 2; --help and --version on stdout, exit 0.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fb.h"
#include "ks_version.h"

#define FB_OPT_COL 28             /* where an option's help starts */

struct fb_opt {
	const char *name;
	int val;                  /* getopt_long's; a letter: also -LETTER */
	const char *arg;          /* its argument's name, NULL for none */
	const char *help;
};

/* The help column is 28 wide and a line 80: each help fits in 52. */
static const struct fb_opt fb_opts[] = {
	{ "listen", 'l' | 0x100, "ADDR:PORT", "where to listen (SO_REUSEPORT); 1 to 8 of them" },
	{ "config", 'c', "FILE", "the pinned maps made to match FILE, again on SIGHUP" },
	{ "deadline", 'd' | 0x100, "MS", "a ClientHello must be whole by then (5000)" },
	{ "max-hello", 'm' | 0x100, "BYTES", "record bytes read for one ClientHello (512..524288)" },
	{ "max-conns", 'n' | 0x100, "N", "connections held at once (10000)" },
	{ "quic", 'Q' | 0x100, NULL, "also route QUIC Initials (UDP) at each address" },
	{ "quic-pending", 'P' | 0x100, "N", "QUIC connections waiting for a ClientHello (256)" },
	{ "quic-per-source", 'S' | 0x100, "N", "of those, the most from one client address (16)" },
	{ "metrics", 'M' | 0x100, "ADDR:PORT", "Prometheus metrics at http://ADDR:PORT/metrics" },
	{ "version", 'V' | 0x100, NULL, "print the version" },
	{ "help", 'h', NULL, "print this help" },
	{ 0 },
};

static const char fb_synopsis[] =
	"usage: ksteerd --listen ADDR:PORT [--listen ...] [-c|--config FILE]\n"
	"               [--deadline MS] [--max-hello BYTES] [--max-conns N]\n"
	"               [--quic [--quic-pending N] [--quic-per-source N]]\n"
	"               [--metrics ADDR:PORT]\n";

static const struct fb_cfg fb_cfg_default = {
	.deadline_ms = 5000, .max_hello = KS_WIRE_MAX + 1, .max_conns = 10000, .quic_pending = 256,
	.quic_per_source = 16,
};

static void fb_help(void)
{
	fputs(fb_synopsis, stdout);
	fputs("\nThe fallback router: what the kernel cannot place (ksteerd(8)).\n\noptions:\n",
	      stdout);
	for (const struct fb_opt *o = fb_opts; o->name; o++) {
		int col = o->val < 0x100 ? printf("  -%c, --%s", o->val, o->name)
					 : printf("      --%s", o->name);

		if (o->arg)
			col += printf(" %s", o->arg);
		printf("%*s%s\n", col < FB_OPT_COL ? FB_OPT_COL - col : 2, "", o->help);
	}
}

/* A number option's value into *v: 0, or 2 after saying it is not in lo..hi. */
static int fb_num(const char *name, const char *s, long lo, long hi, int *v)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (!*s || *end || n < lo || n > hi)
		return ks_err("--%s: bad number '%s' (%ld..%ld)", name, s, lo, hi), 2;
	*v = (int)n;
	return 0;
}

static int fb_addr_ok(const char *s)
{
	struct ks_addr a;

	if (ks_parse_addr(s, &a))
		return ks_err("bad address '%s' (want IPv4:PORT or [IPv6]:PORT)", s), 2;
	return 0;
}

/* One option getopt_long gave (o its table row): 0 to go on, else 2. */
static int fb_take(struct fb_cfg *cfg, const struct fb_opt *o, const char *arg)
{
	switch (o->val) {
	case 'l' | 0x100:
		if (cfg->nlisten == FB_MAX_LISTEN)
			return ks_err("at most %d --listen", FB_MAX_LISTEN), 2;
		cfg->listen[cfg->nlisten++] = arg;
		return fb_addr_ok(arg);
	case 'c': cfg->config = arg; return 0;
	case 'd' | 0x100: return fb_num(o->name, arg, 1, 3600000, &cfg->deadline_ms);
	case 'm' | 0x100: return fb_num(o->name, arg, 512, KS_WIRE_MAX + 1, &cfg->max_hello);
	case 'n' | 0x100: return fb_num(o->name, arg, 1, 1 << 20, &cfg->max_conns);
	case 'Q' | 0x100: cfg->quic = 1; return 0;
	case 'P' | 0x100: return fb_num(o->name, arg, 1, 1 << 20, &cfg->quic_pending);
	case 'S' | 0x100: return fb_num(o->name, arg, 1, 1 << 20, &cfg->quic_per_source);
	case 'M' | 0x100: cfg->metrics = arg; return fb_addr_ok(arg);
	}
	return 2;
}

/* What getopt_long refused, in ksteer's words: c is ':' (no argument) or '?'. */
static int fb_refused(const struct option *longs, int c, const char *word)
{
	const struct option *o = longs;

	while (o->name && o->val != optopt)
		o++;
	if (c == ':' && !strncmp(word, "--", 2))
		return ks_err("option '%s' needs an argument", word), 2;
	if (c == ':')
		return ks_err("option '-%c' needs an argument", optopt), 2;
	if (optopt && o->name)       /* --NAME=VALUE for one that takes none */
		return ks_err("option '--%s' takes no argument", o->name), 2;
	if (optopt && optopt < 0x100)
		return ks_err("bad option '-%c' ('ksteerd --help' lists them)", optopt), 2;
	return ks_err("bad option '%s' ('ksteerd --help' lists them)", word), 2;
}

int fb_options(int argc, char **argv, struct fb_cfg *cfg)
{
	struct option longs[sizeof(fb_opts) / sizeof(fb_opts[0])];
	int c, n = 0, rc, idx;

	*cfg = fb_cfg_default;
	for (const struct fb_opt *o = fb_opts; o->name; o++, n++)
		longs[n] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					    NULL, o->val };
	longs[n] = (struct option){ 0 };
	optind = 0;                       /* glibc: from scratch */
	opterr = 0;                       /* our one line, not getopt's */
	while ((c = getopt_long(argc, argv, ":c:h", longs, &idx)) != -1) {
		const struct fb_opt *o = fb_opts;

		if (c == '?' || c == ':')
			return fb_refused(longs, c, argv[optind - 1]);
		if (c == 'h')
			return fb_help(), 0;
		if (c == ('V' | 0x100))
			return printf("ksteerd %s\n", KS_VERSION), 0;
		while (o->val != c)
			o++;
		rc = fb_take(cfg, o, optarg);
		if (rc)
			return rc;
	}
	if (optind != argc)
		return ks_err("unexpected argument '%s' ('ksteerd --help')", argv[optind]), 2;
	if (!cfg->nlisten)
		return ks_err("--listen ADDR:PORT is needed ('ksteerd --help')"), 2;
	return -1;
}
