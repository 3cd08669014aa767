// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the request of ksteerd's --metrics scrapers
 * (ksteerd/fb_http.c). Beyond memory safety (the input is not
 * NUL-terminated; ASan sees a read past it) it checks the parser's
 * promises: "read more" only below the head's cap and while no empty line
 * ends a head; every status one of 200, 400, 404, 405; 200 only for GET
 * or HEAD of /metrics; the same answer for the same bytes with anything
 * appended after the head.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "fb_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char *buf = malloc(len ? len : 1), *more;
	int head, head2, st, st2;

	if (!buf)
		return 0;
	memcpy(buf, data, len);
	st = fb_http_request(buf, len, &head);
	if (st == 0 && (len >= FB_HTTP_REQ_MAX || memmem(buf, len, "\n\r\n", 3) ||
			memmem(buf, len, "\n\n", 2)))
		abort();
	if (st != 0 && st != 200 && st != 400 && st != 404 && st != 405)
		abort();
	if (st == 200 && !((len > 13 && !memcmp(buf, "GET /metrics", 12)) ||
			   (len > 14 && !memcmp(buf, "HEAD /metrics", 13))))
		abort();
	if (st == 200 && head != (buf[0] == 'H'))
		abort();
	if (st && st != 400 && (more = malloc(len + 4))) {
		memcpy(more, buf, len);
		memcpy(more + len, "GET ", 4);   /* a pipelined request after it */
		st2 = fb_http_request(more, len + 4, &head2);
		if (st2 != st || head2 != head)
			abort();
		free(more);
	}
	free(buf);
	return 0;
}
