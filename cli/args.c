// SPDX-License-Identifier: GPL-2.0
/*
 * The command line, read the same way for every command: the words that
 * name it in the table (ksteer.c), one getopt_long pass over its options,
 * its operands counted against the table. What is printed about usage
 * comes from the table too: `ksteer --help`, a group's or a command's
 * --help (on stdout, exit 0), and the one line of a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "ks_version.h"

#define KS_HELP_WIDTH 80
#define KS_OPT_COL 28             /* where an option's description starts */
#define KS_MAX_OPTS 16            /* the most options one command takes */

const struct ks_opt ks_json_opts[] = {
	{ 'j', "json", NULL, "print JSON" },
	{ 0 },
};

static const struct ks_opt ks_help_opt = { 'h', "help", NULL, "print this help" };

static bool ks_is_help(const char *word)
{
	return !strcmp(word, "-h") || !strcmp(word, "--help");
}

/* ---- which commands ---------------------------------------------------- */

/* How many of argv's words spell name ("backend add"); 0 when not all. */
static int ks_name_words(const char *name, int argc, char **argv)
{
	for (int n = 0; n < argc; n++) {
		size_t len = strcspn(name, " ");

		if (strlen(argv[n]) != len || strncmp(argv[n], name, len))
			return 0;
		if (!name[len])
			return n + 1;
		name += len + 1;
	}
	return 0;
}

/* Whether which names cmd ("key set") or its group ("key"); NULL: all. */
static bool ks_selects(const struct ks_cmd *cmd, const char *which)
{
	size_t len = which ? strlen(which) : 0;

	return !which || (!strncmp(cmd->name, which, len) &&
			  (!cmd->name[len] || cmd->name[len] == ' '));
}

/* The one command which names; NULL for a group, or nothing. */
static const struct ks_cmd *ks_cmd_named(const char *which)
{
	for (const struct ks_cmd *c = ks_cmds; c->name; c++)
		if (which && !strcmp(c->name, which))
			return c;
	return NULL;
}

static bool ks_any_selected(const char *which)
{
	for (const struct ks_cmd *c = ks_cmds; c->name; c++)
		if (ks_selects(c, which))
			return true;
	return false;
}

/* ---- printing -------------------------------------------------------- */

/* The end of text's next word; a bracketed group ("[-a ADDR]...") is one. */
static const char *ks_word_end(const char *text)
{
	int depth = 0;

	for (; *text && (depth || *text != ' '); text++)
		depth += (*text == '[') - (*text == ']');
	return text;
}

/* text, its first line already col wide, broken between words so that no
 * line passes KS_HELP_WIDTH; the lines after it indented by indent. */
static void ks_wrap(FILE *out, int col, int indent, const char *text)
{
	for (const char *w = text; *w;) {
		const char *end = ks_word_end(w);
		int len = end - w;

		if (w != text && col + 1 + len > KS_HELP_WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		} else if (w != text) {
			fputc(' ', out);
			col++;
		}
		col += fprintf(out, "%.*s", len, w);
		w = *end ? end + 1 : end;
	}
	fputc('\n', out);
}

/* Every usage form of the commands which selects, "ksteer NAME FORM":
 * on one line joined by " | " (an error's), or one a line (--help's). */
static void ks_print_forms(FILE *out, const char *which, bool one_line)
{
	const char *next = one_line ? " | " : "       ksteer ";
	int i = 0;

	for (const struct ks_cmd *c = ks_cmds; c->name; c++) {
		const char *f = c->usage;

		if (!ks_selects(c, which))
			continue;
		do {
			const char *lead = i++ ? next : "usage: ksteer ";
			int len = strcspn(f, "\n"), at = strlen(lead);
			char form[512];

			snprintf(form, sizeof(form), "%s%s%.*s", c->name, len ? " " : "", len, f);
			fputs(lead, out);
			if (one_line)
				fputs(form, out);
			else        /* continued under the first operand */
				ks_wrap(out, at, at + strlen(c->name) + 1, form);
			f += len;
		} while (*f++);
	}
}

/* The usage error of the commands which selects: one line; KS_EXIT_USAGE. */
static int ks_usage_line(const char *which)
{
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);

	if (!m)
		return ks_err("usage: see 'ksteer --help'");
	ks_print_forms(m, which, true);
	fclose(m);
	ks_err("%s", line);
	free(line);
	return KS_EXIT_USAGE;
}

int ks_usage_err(const struct ks_env *e)
{
	return ks_usage_line(e->cmd->name);
}

/* The names and summaries of the commands which selects, in columns. */
static void ks_print_list(FILE *out, const char *which)
{
	int width = 0;

	for (const struct ks_cmd *c = ks_cmds; c->name; c++)
		if ((int)strlen(c->name) > width)
			width = strlen(c->name);
	fputs("\ncommands:\n", out);
	for (const struct ks_cmd *c = ks_cmds; c->name; c++)
		if (ks_selects(c, which))
			ks_wrap(out, fprintf(out, "  %-*s  ", width, c->name), width + 4,
				c->summary);
}

static void ks_print_opt(FILE *out, const struct ks_opt *o)
{
	char left[64];
	int col;

	if (o->val < KS_LONG_ONLY)
		col = snprintf(left, sizeof(left), "  -%c, --%s", o->val, o->name);
	else
		col = snprintf(left, sizeof(left), "      --%s", o->name);
	if (o->arg)
		col += snprintf(left + col, sizeof(left) - col, " %s", o->arg);
	fputs(left, out);
	if (col + 2 > KS_OPT_COL) {       /* a long one: its description below */
		fputc('\n', out);
		col = 0;
	}
	fprintf(out, "%*s", KS_OPT_COL - col, "");
	ks_wrap(out, KS_OPT_COL, KS_OPT_COL, o->help);
}

/* --help of one command, of a group (`ksteer backend --help`), or of all. */
static void ks_help(FILE *out, const char *which)
{
	const struct ks_cmd *cmd = ks_cmd_named(which);

	if (!which)
		fputs("usage: ksteer COMMAND [ARG]...\n       ksteer --version\n", out);
	else
		ks_print_forms(out, which, false);
	if (!cmd) {
		ks_print_list(out, which);
		fprintf(out, "\n'ksteer %s%sCOMMAND --help' shows a command's usage and options.\n",
			which ? which : "", which ? " " : "");
		return;
	}
	fprintf(out, "\n%s\n\noptions:\n", cmd->summary);
	for (const struct ks_opt *o = cmd->opts; o && o->name; o++)
		ks_print_opt(out, o);
	ks_print_opt(out, &ks_help_opt);
}

/* ---- options and operands -------------------------------------------- */

/* opts as getopt_long takes them, and -h, --help. ':' first: a missing
 * argument is then told apart from an unknown option. */
static int ks_getopt_spec(const struct ks_opt *opts, char *shorts, struct option *longs)
{
	int n = 0;

	*shorts++ = ':';
	for (const struct ks_opt *o = opts; o && o->name; o++, n++) {
		if (n == KS_MAX_OPTS)
			return -1;
		longs[n] = (struct option){ o->name, o->arg ? required_argument : no_argument,
					    NULL, o->val };
		if (o->val < KS_LONG_ONLY) {
			*shorts++ = o->val;
			if (o->arg)
				*shorts++ = ':';
		}
	}
	longs[n++] = (struct option){ ks_help_opt.name, no_argument, NULL, ks_help_opt.val };
	longs[n] = (struct option){ 0 };
	*shorts++ = ks_help_opt.val;
	*shorts = 0;
	return 0;
}

/* One line for what getopt_long refused: c is ':' (no argument) or '?'. */
static int ks_opt_refused(const struct ks_cmd *cmd, const struct option *longs, int c,
			  char **argv)
{
	const char *word = argv[optind - 1];
	const struct option *o = longs;

	while (o->name && o->val != optopt)
		o++;
	if (c == ':' && !strncmp(word, "--", 2))
		return ks_usage_fail("option '%s' needs an argument", word);
	if (c == ':')
		return ks_usage_fail("option '-%c' needs an argument", optopt);
	/* A known option refused: --NAME=VALUE for one that takes none. */
	if (optopt && o->name)
		return ks_usage_fail("option '--%s' takes no argument", o->name);
	if (optopt)
		return ks_usage_fail("bad option '-%c' ('ksteer %s --help' lists them)", optopt,
			      cmd->name);
	return ks_usage_fail("bad option '%s' ('ksteer %s --help' lists them)", word, cmd->name);
}

/* cmd's options into given and e, its operands into e: -1 to run it;
 * else the exit status, after its help (0) or one error line. */
static int ks_read_args(const struct ks_cmd *cmd, int argc, char **argv, struct ks_env *e,
			struct ks_optarg *given)
{
	struct option longs[KS_MAX_OPTS + 2];
	char shorts[2 * KS_MAX_OPTS + 3];
	int c, n = 0;

	if (ks_getopt_spec(cmd->opts, shorts, longs))
		return ks_err("%s: more than %d options", cmd->name, KS_MAX_OPTS);
	optind = 0;                       /* glibc: start afresh */
	opterr = 0;                       /* its messages are not our one line */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (c == ks_help_opt.val)
			return ks_help(stdout, cmd->name), 0;
		if (c == '?' || c == ':')
			return ks_opt_refused(cmd, longs, c, argv);
		given[n++] = (struct ks_optarg){ c, optarg };
	}
	e->args = argv + optind;
	e->nargs = argc - optind;
	if (e->nargs < cmd->min_args || (cmd->max_args >= 0 && e->nargs > cmd->max_args))
		return ks_usage_err(e);
	return -1;
}

/* cmd with its words, argv[0] the last word of its name. */
static int ks_run(const struct ks_cmd *cmd, int argc, char **argv)
{
	struct ks_optarg *given = calloc(argc + 1, sizeof(*given));
	struct ks_env e = { .cmd = cmd, .opts = given };
	int status;

	if (!given)
		return ks_err("out of memory");
	status = ks_read_args(cmd, argc, argv, &e, given);
	if (status < 0)
		status = cmd->run(&e);
	free(given);
	return status;
}

static const struct ks_optarg *ks_opt_last(const struct ks_env *e, int val)
{
	const struct ks_optarg *last = NULL;

	for (const struct ks_optarg *o = e->opts; o->val; o++)
		if (o->val == val)
			last = o;
	return last;
}

bool ks_opt_given(const struct ks_env *e, int val)
{
	return ks_opt_last(e, val) != NULL;
}

const char *ks_opt_arg(const struct ks_env *e, int val)
{
	const struct ks_optarg *o = ks_opt_last(e, val);

	return o ? o->arg : NULL;
}

/* ---- the words after "ksteer" ------------------------------------------ */

/* `ksteer help [WORDS]`: the help of all, of a group or of one command. */
static int ks_help_words(int argc, char **argv)
{
	char which[256] = "";

	for (int i = 0; i < argc; i++)
		snprintf(which + strlen(which), sizeof(which) - strlen(which), "%s%s",
			 i ? " " : "", argv[i]);
	if (argc && !ks_any_selected(which))
		return ks_usage_fail("unknown command '%s' (ksteer --help lists them)", which);
	ks_help(stdout, argc ? which : NULL);
	return 0;
}

int ks_dispatch(int argc, char **argv)
{
	if (argc < 1)
		return ks_help(stderr, NULL), 2;
	if (ks_is_help(argv[0]))
		return ks_help(stdout, NULL), 0;
	if (!strcmp(argv[0], "-V") || !strcmp(argv[0], "--version"))
		return printf("ksteer %s\n", KS_VERSION), 0;
	/* Hidden: what the Makefile generates from the table (help_gen.c). */
	if (!strcmp(argv[0], "help") && argc == 2 && !strcmp(argv[1], "--man"))
		return ks_print_man(stdout);
	if (!strcmp(argv[0], "help") && argc == 2 && !strcmp(argv[1], "--completion"))
		return ks_print_completion(stdout);
	if (!strcmp(argv[0], "help"))
		return ks_help_words(argc - 1, argv + 1);
	for (const struct ks_cmd *c = ks_cmds; c->name; c++) {
		int n = ks_name_words(c->name, argc, argv);

		if (n)
			return ks_run(c, argc - n + 1, argv + n - 1);
	}
	/* A group's word, alone or before a word that is none of its commands. */
	if (ks_any_selected(argv[0]) && argc > 1 && ks_is_help(argv[1]))
		return ks_help(stdout, argv[0]), 0;
	if (ks_any_selected(argv[0]))
		return ks_usage_line(argv[0]);
	return ks_usage_fail("unknown command '%s' (ksteer --help lists them)", argv[0]);
}
