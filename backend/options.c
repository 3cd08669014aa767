// SPDX-License-Identifier: GPL-2.0
/* The command line: defaults, getopt_long, the checks that need every
 * option seen, the usage. An error is one line on err, never the usage:
 * the line says what is wrong, --help says the rest; in ksteer's words
 * (cli/args.c), as ksteerd's are. */
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include "ks_version.h"
#include "options.h"

static const char usage[] =
	"usage: ksteer-backend --listen ADDR:PORT [--listen ...] [--reuseport N]\n"
	"         --root DIR --certs DIR [--handoff PATH] [--access-log FILE|-|off]\n"
	"         [--stats-file PATH] [--max-conns N] [--idle-timeout S]\n"
	"         [--header-timeout S] [--drain-timeout S] [--bufs N] [--no-ktls]\n"
	"\n"
	"  --listen ADDR:PORT    1.2.3.4:443, [::1]:443, *:443 (SO_REUSEPORT); up to 16\n"
	"  --reuseport N         worker threads, each with its ring and listeners (1)\n"
	"  --root DIR            the files served\n"
	"  --certs DIR           HOST.pem + HOST.key pairs, chosen by SNI\n"
	"  --handoff PATH        also take connections from ksteerd on this unix socket\n"
	"  --access-log FILE     Common Log Format; - is stdout (default), off none\n"
	"  --stats-file PATH     JSON counters, every second and on SIGUSR1\n"
	"  --max-conns N         open connections, all workers together (10000)\n"
	"  --idle-timeout S      an idle keep-alive connection is closed (60)\n"
	"  --header-timeout S    a handshake or request head must finish (10)\n"
	"  --drain-timeout S     SIGTERM waits this long for responses (60)\n"
	"  --bufs N              receive buffers of 16 KB per worker, a power of two (1024)\n"
	"  --no-ktls             send through OpenSSL even where the kernel has kTLS\n"
	"  --version             the version, on stdout\n"
	"  --help                this, on stdout\n";

static const struct option opts[] = {
	{ "listen", 1, 0, 'l' }, { "reuseport", 1, 0, 'n' }, { "root", 1, 0, 'r' },
	{ "certs", 1, 0, 'c' }, { "handoff", 1, 0, 'H' }, { "access-log", 1, 0, 'a' },
	{ "stats-file", 1, 0, 's' }, { "max-conns", 1, 0, 'm' },
	{ "idle-timeout", 1, 0, 'i' }, { "header-timeout", 1, 0, 't' },
	{ "drain-timeout", 1, 0, 'd' }, { "bufs", 1, 0, 'b' }, { "no-ktls", 0, 0, 'K' },
	{ "version", 0, 0, 'V' }, { "help", 0, 0, 'h' }, { 0 },
};

static const struct ksb_config defaults = {
	.workers = 1, .max_conns = 10000, .idle_timeout = 60, .header_timeout = 10,
	.drain_timeout = 60, .bufs = 1024, .buf_size = 16384, .access_log = "-",
};

static enum ksb_opts_result bad(FILE *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum ksb_opts_result bad(FILE *err, const char *fmt, ...)
{
	va_list ap;

	fprintf(err, "ksteer-backend: ");
	va_start(ap, fmt);
	vfprintf(err, fmt, ap);
	va_end(ap);
	fprintf(err, "\n");
	return KSB_OPTS_BAD;
}

/* A number option's value into *v, or -1 when not in lo..hi. */
static int num(const char *s, int lo, int hi, int *v)
{
	char *end;
	long n = strtol(s, &end, 10);

	if (!*s || *end || n < lo || n > hi)
		return -1;
	*v = (int)n;
	return 0;
}

/* The int an option sets, with its range; NULL for the others. */
static int *num_field(struct ksb_config *cfg, int o, int *lo, int *hi)
{
	*lo = 1;
	*hi = 86400;
	switch (o) {
	case 'n': *hi = KSB_MAX_WORKERS; return &cfg->workers;
	case 'm': *hi = 1 << 20; return &cfg->max_conns;
	case 'i': return &cfg->idle_timeout;
	case 't': return &cfg->header_timeout;
	case 'd': return &cfg->drain_timeout;
	case 'b': *lo = 16; *hi = 32768; return &cfg->bufs;
	default: return NULL;
	}
}

/* An option getopt_long did not take ('?'): at names it. */
static enum ksb_opts_result refused(const char *at, FILE *err)
{
	const struct option *o = opts;

	while (o->name && (o->val != optopt || strncmp(at, "--", 2)))
		o++;
	if (optopt && o->name)		/* --NAME=VALUE for one that takes none */
		return bad(err, "option '--%s' takes no argument", o->name);
	return bad(err, "bad option '%s' ('ksteer-backend --help' lists them)", at);
}

/* One option getopt_long returned (opts[idx]); KSB_OPTS_OK to go on.
 * at: the argv element it came from, for the error line. */
static enum ksb_opts_result take(struct ksb_config *cfg, int o, int idx, const char *at,
				 FILE *out, FILE *err)
{
	int lo, hi, *field = num_field(cfg, o, &lo, &hi);

	if (field) {
		if (num(optarg, lo, hi, field))
			return bad(err, "--%s: bad number '%s' (%d..%d)", opts[idx].name, optarg,
				   lo, hi);
		return KSB_OPTS_OK;
	}
	switch (o) {
	case 'l':
		if (cfg->nlisten == KSB_MAX_LISTEN)
			return bad(err, "at most %d --listen", KSB_MAX_LISTEN);
		cfg->listen[cfg->nlisten++] = optarg;
		return KSB_OPTS_OK;
	case 'r': cfg->root = optarg; return KSB_OPTS_OK;
	case 'c': cfg->certs = optarg; return KSB_OPTS_OK;
	case 'H': cfg->handoff = optarg; return KSB_OPTS_OK;
	case 'a': cfg->access_log = optarg; return KSB_OPTS_OK;
	case 's': cfg->stats_file = optarg; return KSB_OPTS_OK;
	case 'K': cfg->no_ktls = 1; return KSB_OPTS_OK;
	case 'h':
		fputs(usage, out);
		return KSB_OPTS_HELP;
	case 'V':
		fprintf(out, "ksteer-backend %s\n", KS_VERSION);
		return KSB_OPTS_HELP;
	case ':':
		return bad(err, "option '%s' needs an argument", at);
	default:
		return refused(at, err);
	}
}

/* What only the whole command line can say. */
static enum ksb_opts_result check(const struct ksb_config *cfg, FILE *err)
{
	if (!cfg->nlisten && !cfg->handoff)
		return bad(err, "--listen or --handoff is needed ('ksteer-backend --help')");
	if (!cfg->root)
		return bad(err, "--root is needed ('ksteer-backend --help')");
	if (!cfg->certs)
		return bad(err, "--certs is needed ('ksteer-backend --help')");
	if (cfg->bufs & (cfg->bufs - 1))
		return bad(err, "--bufs must be a power of two");
	return KSB_OPTS_OK;
}

enum ksb_opts_result ksb_options(struct ksb_config *cfg, int argc, char **argv, FILE *out,
				 FILE *err)
{
	enum ksb_opts_result r;
	int o, at, idx;

	*cfg = defaults;
	opterr = 0;		/* our line, not getopt's */
	optind = 0;		/* from scratch, also when called again (tests) */
	/* "+": no reordering, so argv[at] is the element being parsed;
	 * ":": a missing value is told apart from an unknown option. */
	for (at = 1; (o = getopt_long(argc, argv, "+:", opts, &idx)) != -1; at = optind) {
		r = take(cfg, o, idx, argv[at], out, err);
		if (r != KSB_OPTS_OK)
			return r;
	}
	if (optind < argc)
		return bad(err, "unexpected argument '%s' ('ksteer-backend --help')", argv[optind]);
	return check(cfg, err);
}
