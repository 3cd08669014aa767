/* SPDX-License-Identifier: GPL-2.0 */
/* ksteer-backend's command line (getopt_long, long options only). */
#ifndef KSB_OPTIONS_H
#define KSB_OPTIONS_H

#include <stdio.h>
#include "ksb.h"

enum ksb_opts_result {
	KSB_OPTS_OK,		/* cfg is filled: go on */
	KSB_OPTS_HELP,		/* --help, --version: printed on out; exit 0 */
	KSB_OPTS_BAD,		/* one line went to err; exit 2 */
};

/* The defaults, then argv over them. Pointers in cfg point into argv. */
enum ksb_opts_result ksb_options(struct ksb_config *cfg, int argc, char **argv, FILE *out,
				 FILE *err);

#endif
