/* SPDX-License-Identifier: GPL-2.0 */
/* The C tests' checks: silent when they hold, one FAIL line when not; the
 * test prints "N passed, N failed" from the counters at the end. */
#ifndef KS_CHECK_H
#define KS_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (cond) {                                                \
			passed++;                                          \
		} else {                                                   \
			failed++;                                          \
			printf("FAIL - ");                                 \
			printf(__VA_ARGS__);                               \
			printf(" (%s:%d)\n", __FILE__, __LINE__);          \
		}                                                          \
	} while (0)

#endif
