// SPDX-License-Identifier: GPL-2.0
/*
 * What is generated from the command table (ksteer.c) besides --help, so
 * that it cannot drift from it: `ksteer help --man` prints the COMMANDS
 * section of ksteer(8) (roff; the Makefile puts it into
 * dist/man/ksteer.8.in), `ksteer help --completion` the bash completion
 * script. Both are hidden: --help does not list them.
 */
#include <stdio.h>
#include <string.h>
#include "cli.h"

/* ---- roff ------------------------------------------------------------ */

/* text[0..len) for roff: a backslash as \e, and every '-' of a word that
 * starts with one (an option, or - for standard input) as \-; a hyphen
 * inside a word stays one. */
static void ks_roff_text(FILE *out, const char *text, size_t len)
{
	bool opt = false;

	for (size_t i = 0; i < len; i++) {
		char ch = text[i];

		if (i == 0 || strchr(" ([|\"'`", text[i - 1]))
			opt = ch == '-';
		if (ch == '\\')
			fputs("\\e", out);
		else if (ch == '-' && opt)
			fputs("\\-", out);
		else
			fputc(ch, out);
	}
}

/* A line of prose: "\&" first if it would start with a request's '.' or '''. */
static void ks_roff_line(FILE *out, const char *text)
{
	if (*text == '.' || *text == '\'')
		fputs("\\&", out);
	ks_roff_text(out, text, strlen(text));
	fputc('\n', out);
}

/* A usage form's words: options bold, metavariables (capitals: FILE,
 * ADDR:PORT) italic, brackets, bars and the rest roman; none hyphenated,
 * and a bracketed group never broken across lines. */
static void ks_roff_form(FILE *out, const char *form, size_t len)
{
	const char *end = form + len;
	int depth = 0;

	fputs("\\%", out);                 /* at a word's start: not hyphenated */
	while (form < end) {
		size_t n = strcspn(form, " []|");
		const char *font = NULL;
		bool upper = false, lower = false;

		if (n > (size_t)(end - form))
			n = end - form;
		if (!n) {
			depth += (*form == '[') - (*form == ']');
			if (*form == ' ')
				fputs(depth ? "\\ " : " \\%", out);
			else
				fputc(*form, out);
			form++;
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			upper |= form[i] >= 'A' && form[i] <= 'Z';
			lower |= form[i] >= 'a' && form[i] <= 'z';
		}
		if (form[0] == '-' && n > 1)
			font = "\\fB";
		else if (upper && !lower)
			font = "\\fI";
		fputs(font ? font : "", out);
		ks_roff_text(out, form, n);
		fputs(font ? "\\fR" : "", out);
		form += n;
	}
}

/* One option as a tagged paragraph: "-a, --address ADDR", its help. */
static void ks_roff_opt(FILE *out, const struct ks_opt *o)
{
	char name[64];

	fputs(".TP\n", out);
	if (o->val < KS_LONG_ONLY)
		fprintf(out, "\\fB\\-%c\\fR, ", o->val);
	snprintf(name, sizeof(name), "--%s", o->name);
	fputs("\\fB", out);
	ks_roff_text(out, name, strlen(name));
	fputs("\\fR", out);
	if (o->arg) {
		fputs(" \\fI", out);
		ks_roff_text(out, o->arg, strlen(o->arg));
		fputs("\\fR", out);
	}
	fputc('\n', out);
	ks_roff_line(out, o->help);
}

int ks_print_man(FILE *out)
{
	fputs(".SH COMMANDS\n", out);
	for (const struct ks_cmd *c = ks_cmds; c->name; c++) {
		const char *f = c->usage;

		/* Each form a paragraph of its own, its next lines indented. */
		fprintf(out, ".SS \"%s\"\n.ad l\n.in +4n\n", c->name);
		do {
			size_t len = strcspn(f, "\n");

			fprintf(out, "%s.ti -4n\n\\fBksteer %s\\fR%s", f == c->usage ? "" : ".br\n",
				c->name, len ? " " : "");
			ks_roff_form(out, f, len);
			fputc('\n', out);
			f += len;
		} while (*f++);
		fputs(".in\n.ad\n.PP\n", out);
		ks_roff_line(out, c->summary);
		for (const struct ks_opt *o = c->opts; o && o->name; o++)
			ks_roff_opt(out, o);
	}
	return 0;
}

/* ---- bash completion ----------------------------------------------------- */

/* The number of words of name ("backend add": 2). */
static int ks_words(const char *name)
{
	int n = 1;

	for (; *name; name++)
		n += *name == ' ';
	return n;
}

/* The length of name's first k words ("backend add", 1: 7). */
static size_t ks_prefix_len(const char *name, int k)
{
	size_t len = 0;

	for (int i = 0; i < k; i++)
		len += (i ? 1 : 0) + strcspn(name + len + (i ? 1 : 0), " ");
	return len;
}

/* Whether a command before c has the same first k words, then the same
 * word k: that next word was printed already. */
static bool ks_seen(const struct ks_cmd *c, int k, bool next)
{
	size_t len = ks_prefix_len(c->name, k), lnext = ks_prefix_len(c->name, k + 1);

	for (const struct ks_cmd *p = ks_cmds; p < c; p++)
		if (ks_words(p->name) > k && ks_prefix_len(p->name, k) == len &&
		    !strncmp(p->name, c->name, len) &&
		    (!next || (ks_prefix_len(p->name, k + 1) == lnext &&
			       !strncmp(p->name, c->name, lnext))))
			return true;
	return false;
}

/* Case arms "PREFIX) next=...": the words that may follow each proper
 * prefix of a command's name (the empty one: the first words, and help). */
static void ks_complete_next(FILE *out)
{
	int most = 0;

	for (const struct ks_cmd *c = ks_cmds; c->name; c++)
		if (ks_words(c->name) > most)
			most = ks_words(c->name);
	for (int k = 0; k < most; k++)
		for (const struct ks_cmd *c = ks_cmds; c->name; c++) {
			size_t len = ks_prefix_len(c->name, k);

			if (ks_words(c->name) <= k || ks_seen(c, k, false))
				continue;
			fprintf(out, "\t\"%.*s\") next=\"%s", (int)len, c->name, k ? "" : "help");
			for (const struct ks_cmd *d = c; d->name; d++) {
				size_t dlen = ks_prefix_len(d->name, k);
				const char *w = d->name + dlen + (k ? 1 : 0);

				if (ks_words(d->name) > k && dlen == len && !strncmp(d->name, c->name, len) &&
				    !ks_seen(d, k, true))
					fprintf(out, " %.*s", (int)strcspn(w, " "), w);
			}
			fputs("\" ;;\n", out);
		}
}

/* What an argument named arg completes to: files, directories,
 * interfaces, or nothing ("word": anything the user types). */
static const char *ks_complete_kind(const char *arg)
{
	if (!strcmp(arg, "FILE") || !strcmp(arg, "PATH") || !strcmp(arg, "FILE|-"))
		return "file";
	if (!strcmp(arg, "DIR"))
		return "dir";
	if (!strcmp(arg, "IFACE"))
		return "iface";
	return "word";
}

/* Whether a form of usage has an operand (not an option's argument)
 * named name: at the start of a line, or after a word that is not an
 * option ("-c FILE", "[-c FILE]": the option's). */
static bool ks_operand_named(const char *usage, const char *name)
{
	for (const char *at = strstr(usage, name); at; at = strstr(at + 1, name)) {
		const char *prev;

		if (at == usage || at[-1] == '\n')
			return true;              /* a form's first word */
		if (at[-1] != ' ')
			continue;                 /* inside a word */
		for (prev = at - 1; prev > usage && prev[-1] != ' ' && prev[-1] != '\n'; prev--)
			;
		/* Unless the word before is an option ("-c", "[-c": its argument). */
		if (!(prev[0] == '-' || (prev[0] == '[' && prev[1] == '-')) || at[-2] == ']')
			return true;
	}
	return false;
}

/* Case arms "COMMAND) opts=... args=... operands=...": its options, those
 * that take an argument with what it completes to, and what its operands
 * complete to (files where its usage takes a FILE). */
static void ks_complete_cmds(FILE *out)
{
	for (const struct ks_cmd *c = ks_cmds; c->name; c++) {
		bool file = c->max_args && ks_operand_named(c->usage, "FILE");

		fprintf(out, "\t\"%s\") opts=\"", c->name);
		for (const struct ks_opt *o = c->opts; o && o->name; o++) {
			if (o->val < KS_LONG_ONLY)
				fprintf(out, "-%c ", o->val);
			fprintf(out, "--%s ", o->name);
		}
		fputs("-h --help\" args=\"", out);
		for (const struct ks_opt *o = c->opts; o && o->name; o++) {
			if (!o->arg)
				continue;
			if (o->val < KS_LONG_ONLY)
				fprintf(out, "-%c=%s ", o->val, ks_complete_kind(o->arg));
			fprintf(out, "--%s=%s ", o->name, ks_complete_kind(o->arg));
		}
		fprintf(out, "\" operands=\"%s\" ;;\n", file ? "file" : "");
	}
}

static const char ks_completion_head[] =
	"# bash completion for ksteer(8): generated from its command table by\n"
	"# `ksteer help --completion` (cli/help_gen.c); edit cli/ksteer.c, not this.\n"
	"_ksteer_complete()\n"
	"{\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	"\tlocal cmd= next opts= args= operands= i w kind= help=\n"
	"\tCOMPREPLY=()\n"
	"\t# The command the words before the cursor name, word by word; after\n"
	"\t# help, the command whose help is asked.\n"
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tw=${COMP_WORDS[i]}\n"
	"\t\tif [ $i = 1 ] && [ \"$w\" = help ]; then help=1; continue; fi\n"
	"\t\t_ksteer_words \"$cmd\"\n"
	"\t\tcase \" $next \" in *\" $w \"*) ;; *) break ;; esac\n"
	"\t\tcmd=${cmd:+$cmd }$w\n"
	"\tdone\n"
	"\t_ksteer_words \"$cmd\"\n"
	"\t[ -n \"$help\" ] && next=${next/help/}\n"
	"\t_ksteer_command \"$cmd\"\n"
	"\tif [ -n \"$help\" ]; then\n"
	"\t\t[ $i = $COMP_CWORD ] && COMPREPLY=($(compgen -W \"$next\" -- \"$cur\"))\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\t# An option's argument.\n"
	"\tfor w in $args; do\n"
	"\t\t[ \"${w%%=*}\" = \"$prev\" ] && kind=${w#*=} && break\n"
	"\tdone\n"
	"\tif [ -z \"$kind\" ] && [[ $cur == -* ]]; then\n"
	"\t\tif [ -z \"$cmd\" ]; then opts=\"-h --help -V --version\"; fi\n"
	"\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\t# The next word of a command's name, or its operands.\n"
	"\tif [ -z \"$kind\" ] && [ -n \"$next\" ] && [ $i = $COMP_CWORD ]; then\n"
	"\t\tCOMPREPLY=($(compgen -W \"$next\" -- \"$cur\"))\n"
	"\t\treturn 0\n"
	"\tfi\n"
	"\t[ -z \"$kind\" ] && [ -z \"$next\" ] && kind=$operands\n"
	"\tcase $kind in\n"
	"\tfile) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	"\tdir) COMPREPLY=($(compgen -d -- \"$cur\")) ;;\n"
	"\tiface) COMPREPLY=($(compgen -W \"$(ls /sys/class/net 2>/dev/null)\" -- \"$cur\")) ;;\n"
	"\tesac\n"
	"\treturn 0\n"
	"}\n"
	"\n"
	"# The words that may follow the command name so far ($1) in next.\n"
	"_ksteer_words()\n"
	"{\n"
	"\tnext=\n"
	"\tcase \"$1\" in\n";

static const char ks_completion_mid[] =
	"\tesac\n"
	"}\n"
	"\n"
	"# Command $1's options (opts), those that take an argument and what it\n"
	"# completes to (args: -o=KIND), and what its operands complete to.\n"
	"_ksteer_command()\n"
	"{\n"
	"\tcase \"$1\" in\n";

static const char ks_completion_tail[] =
	"\tesac\n"
	"}\n"
	"\n"
	"complete -F _ksteer_complete ksteer\n";

int ks_print_completion(FILE *out)
{
	fputs(ks_completion_head, out);
	ks_complete_next(out);
	fputs(ks_completion_mid, out);
	ks_complete_cmds(out);
	fputs(ks_completion_tail, out);
	return 0;
}
