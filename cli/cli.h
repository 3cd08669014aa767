/* SPDX-License-Identifier: GPL-2.0 */
/* ksteer (cli/): its commands, each argv in and printing out over libksteer. */
#ifndef KS_CLI_H
#define KS_CLI_H

#include "ksteer.h"

int cmd_up(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_backend(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_parse(int argc, char **argv);
int cmd_key(int argc, char **argv);

/* tc filters left on ifindex's clsact hooks (tc_filters.c); -1 on error. */
int ks_tc_filters_left(unsigned int ifindex);

#endif
