/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ksteer (cli/): the command table, what a command is handed, and the
 * commands, each its options and operands in and printing out over
 * libksteer.
 */
#ifndef KS_CLI_H
#define KS_CLI_H

#include <stdbool.h>
#include <stdio.h>
#include "ksteer.h"

/* Long-only options take values from here up; below, val is also -val. */
#define KS_LONG_ONLY 256

/* One option a command takes, for getopt_long and for its --help. */
struct ks_opt {
	int val;
	const char *name;             /* --name */
	const char *arg;              /* its argument in --help; NULL: takes none */
	const char *help;
};

/* An option as it was given. */
struct ks_optarg {
	int val;
	char *arg;
};

struct ks_env;

/* A command: its usage is here once, and every --help and usage error
 * is printed from it. */
struct ks_cmd {
	const char *name;             /* the words that select it: "backend add" */
	const char *summary;          /* one line, for `ksteer --help` */
	const char *usage;            /* its forms after the name, one a line */
	const struct ks_opt *opts;    /* ending with a NULL name; NULL: none */
	int min_args, max_args;       /* operands it takes; max -1: any number */
	int (*run)(const struct ks_env *e);
};

/* Every command, in --help order, ending with a NULL name (ksteer.c). */
extern const struct ks_cmd ks_cmds[];

/* What a command is handed: its entry, its options in the order given
 * (ending with val 0), and its operands, their number already checked. */
struct ks_env {
	const struct ks_cmd *cmd;
	const struct ks_optarg *opts;
	char **args;
	int nargs;
};

/* The words after "ksteer" (args.c): runs the command they name, or
 * prints a help (`ksteer --help`, `help [WORDS]`, a group's or a command's
 * --help) or one error line; the exit status. */
int ks_dispatch(int argc, char **argv);
/* Generated from the table (help_gen.c), hidden from --help: ksteer(8)'s
 * COMMANDS section (`ksteer help --man`) and the bash completion script
 * (`ksteer help --completion`); the exit status. */
int ks_print_man(FILE *out);
int ks_print_completion(FILE *out);
/* A command line ksteer cannot read (an unknown command or option, a
 * missing argument, too few or too many operands) exits 2, as ksteerd's
 * and ksteer-backend's do; an error in doing what it asked exits 1. */
#define KS_EXIT_USAGE 2
#define ks_usage_fail(...) (ks_err(__VA_ARGS__), KS_EXIT_USAGE)
/* One error line: "usage: ksteer " and every form of e's command;
 * KS_EXIT_USAGE. */
int ks_usage_err(const struct ks_env *e);
/* Whether option val was given; the argument it was last given (NULL:
 * none). */
bool ks_opt_given(const struct ks_env *e, int val);
const char *ks_opt_arg(const struct ks_env *e, int val);
/* -j, --json: for the commands whose only option it is. */
extern const struct ks_opt ks_json_opts[];

extern const struct ks_opt ks_up_opts[];
extern const struct ks_opt ks_backend_add_opts[];
extern const struct ks_opt ks_route_add_opts[];
extern const struct ks_opt ks_route_test_opts[];
extern const struct ks_opt ks_parse_opts[];
extern const struct ks_opt ks_monitor_opts[];
extern const struct ks_opt ks_stats_opts[];

int cmd_up(const struct ks_env *e);
int cmd_monitor(const struct ks_env *e);
int cmd_down(const struct ks_env *e);
int cmd_backend_add(const struct ks_env *e);
int cmd_backend_del(const struct ks_env *e);
int cmd_backend_list(const struct ks_env *e);
int cmd_route_add(const struct ks_env *e);
int cmd_route_del(const struct ks_env *e);
int cmd_route_list(const struct ks_env *e);
int cmd_route_test(const struct ks_env *e);
int cmd_stats(const struct ks_env *e);
int cmd_parse(const struct ks_env *e);
int cmd_key_set(const struct ks_env *e);
int cmd_key_rotate(const struct ks_env *e);
int cmd_key_show(const struct ks_env *e);

/* tc filters left on ifindex's clsact hooks (tc_filters.c); -1 on error. */
int ks_tc_filters_left(unsigned int ifindex);

#endif
