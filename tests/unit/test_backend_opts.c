// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer-backend's command line (backend/options.c): the defaults, every
 * option into the configuration, --help on out, and each bad command line
 * as exactly one line on err, from a case table.
 */
#include "ksb_test.h"
#include "options.h"

#define MAX_ARGS 64

struct parsed {
	struct ksb_config cfg;
	enum ksb_opts_result r;
	char *out, *err;		/* what went to each */
	char words[1024];
	char *argv[MAX_ARGS];
};

/* Parses "ksteer-backend " + args, split on spaces. */
static void parse(struct parsed *p, const char *args)
{
	size_t outn, errn;
	FILE *out = open_memstream(&p->out, &outn), *err = open_memstream(&p->err, &errn);
	int argc = 0;

	snprintf(p->words, sizeof(p->words), "ksteer-backend %s", args);
	for (char *s = strtok(p->words, " "); s && argc < MAX_ARGS - 1; s = strtok(NULL, " "))
		p->argv[argc++] = s;
	p->argv[argc] = NULL;
	p->r = ksb_options(&p->cfg, argc, p->argv, out, err);
	fclose(out);
	fclose(err);
}

static void parsed_free(struct parsed *p)
{
	free(p->out);
	free(p->err);
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void defaults(void)
{
	struct parsed p;
	const struct ksb_config *c = &p.cfg;

	parse(&p, "--listen 1.2.3.4:443 --root /r --certs /c");
	T(p.r == KSB_OPTS_OK && !*p.out && !*p.err, "a minimal command line: nothing printed");
	T(c->nlisten == 1 && !strcmp(c->listen[0], "1.2.3.4:443") && !strcmp(c->root, "/r") &&
	  !strcmp(c->certs, "/c"), "its values");
	T(c->workers == 1 && c->max_conns == 10000 && c->bufs == 1024 && c->buf_size == 16384,
	  "1 worker, 10000 connections, 1024 buffers of 16 KB");
	T(c->idle_timeout == 60 && c->header_timeout == 10 && c->drain_timeout == 60,
	  "timeouts 60, 10, 60 s");
	T(!strcmp(c->access_log, "-") && !c->stats_file && !c->handoff && !c->no_ktls &&
	  !c->ktls, "the log on stdout, no stats file, no hand-off, kTLS left to the probe");
	parsed_free(&p);
	parse(&p, "--handoff /h.sock --root /r --certs /c");
	T(p.r == KSB_OPTS_OK && !p.cfg.nlisten, "a hand-off socket alone is enough");
	parsed_free(&p);
}

static void every_option(void)
{
	struct parsed p;
	const struct ksb_config *c = &p.cfg;

	parse(&p, "--listen 1.2.3.4:443 --listen=[::1]:8443 --reuseport 4 --root r --certs c "
		  "--handoff h --access-log off --stats-file s --max-conns 5 --idle-timeout 7 "
		  "--header-timeout 8 --drain-timeout 9 --bufs 64 --no-ktls");
	T(p.r == KSB_OPTS_OK, "all of them at once");
	T(c->nlisten == 2 && !strcmp(c->listen[1], "[::1]:8443"), "--listen twice, and --opt=value");
	T(c->workers == 4 && c->max_conns == 5 && c->bufs == 64, "the numbers");
	T(c->idle_timeout == 7 && c->header_timeout == 8 && c->drain_timeout == 9, "the timeouts");
	T(!strcmp(c->handoff, "h") && !strcmp(c->access_log, "off") && !strcmp(c->stats_file, "s"),
	  "the paths");
	T(c->no_ktls && !c->ktls, "--no-ktls (the probe, not the parser, sets ktls)");
	parsed_free(&p);
	parse(&p, "--list 1.2.3.4:443 --reuse 2 --root r --certs c");
	T(p.r == KSB_OPTS_OK && c->nlisten == 1 && c->workers == 2,
	  "an unambiguous prefix is the option");
	parsed_free(&p);
}

static void help(void)
{
	struct parsed p;

	parse(&p, "--help");
	T(p.r == KSB_OPTS_HELP, "--help: exit 0");
	T(!strncmp(p.out, "usage: ksteer-backend --listen ADDR:PORT", 40), "the usage on stdout");
	T(!*p.err, "nothing on stderr");
	T(strstr(p.out, "  --no-ktls ") && strstr(p.out, "  --drain-timeout S "),
	  "one line per option");
	parsed_free(&p);
	parse(&p, "--root /r --help --bogus");
	T(p.r == KSB_OPTS_HELP && !*p.err, "--help wins over what would come after it");
	parsed_free(&p);
}

struct bad_case {
	const char *args;
	const char *says;		/* the one line on stderr, after the prefix */
};

#define OK_REST " --listen :1 --root r --certs c"

static const struct bad_case bad_cases[] = {
	{ "--bogus" OK_REST, "bad option '--bogus' ('ksteer-backend --help' lists them)" },
	{ "-x" OK_REST, "bad option '-x' ('ksteer-backend --help' lists them)" },
	{ "-l" OK_REST, "bad option '-l' ('ksteer-backend --help' lists them)" },		/* no short options */
	{ "--h" OK_REST, "bad option '--h' ('ksteer-backend --help' lists them)" },		/* ambiguous */
	{ "--no-ktls=1" OK_REST, "option '--no-ktls' takes no argument" },
	{ OK_REST " --root", "option '--root' needs an argument" },
	{ "--reuseport 0" OK_REST, "--reuseport: bad number '0' (1..64)" },
	{ "--reuseport 65" OK_REST, "--reuseport: bad number '65' (1..64)" },
	{ "--max-conns 10x" OK_REST, "--max-conns: bad number '10x' (1..1048576)" },
	{ "--idle-timeout 0" OK_REST, "--idle-timeout: bad number '0' (1..86400)" },
	{ "--header-timeout -1" OK_REST, "--header-timeout: bad number '-1' (1..86400)" },
	{ "--drain-timeout 86401" OK_REST, "--drain-timeout: bad number '86401' (1..86400)" },
	{ "--bufs 8" OK_REST, "--bufs: bad number '8' (16..32768)" },
	{ "--bufs 48" OK_REST, "--bufs must be a power of two" },
	{ "--root r --certs c", "--listen or --handoff is needed ('ksteer-backend --help')" },
	{ "--listen :1 --certs c", "--root is needed ('ksteer-backend --help')" },
	{ "--listen :1 --root r", "--certs is needed ('ksteer-backend --help')" },
	{ OK_REST " extra", "unexpected argument 'extra' ('ksteer-backend --help')" },
	{ "--listen :1 --listen :2 --listen :3 --listen :4 --listen :5 --listen :6 --listen :7 "
	  "--listen :8 --listen :9 --listen :10 --listen :11 --listen :12 --listen :13 "
	  "--listen :14 --listen :15 --listen :16 --listen :17 --root r --certs c",
	  "at most 16 --listen" },
};

static void bad_command_lines(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *k = &bad_cases[i];
		struct parsed p;
		char want[200];

		parse(&p, k->args);
		snprintf(want, sizeof(want), "ksteer-backend: %s\n", k->says);
		T(p.r == KSB_OPTS_BAD && !*p.out && lines(p.err) == 1 && !strcmp(p.err, want),
		  "exit 2 and one line: %s", k->says);
		if (strcmp(p.err, want))
			printf("# got: %s", p.err);
		parsed_free(&p);
	}
}

int main(void)
{
	SUBTEST(defaults);
	SUBTEST(every_option);
	SUBTEST(help);
	SUBTEST(bad_command_lines);
	return t_summary();
}
