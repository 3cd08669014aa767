/* SPDX-License-Identifier: GPL-2.0 */
/* ksteerd's one HTTP request line: what --metrics answers (fb_http.c). */
#ifndef KS_FB_HTTP_H
#define KS_FB_HTTP_H

#include <stddef.h>

#define FB_HTTP_REQ_MAX 2048      /* a request head's bytes at most */

/* What a scraper's bytes so far call for: 0 to read more (no end of head
 * yet, and room for it), else the status to answer (200: the counters;
 * 400, 404, 405) and *head: a HEAD request (no body). */
int fb_http_request(const char *buf, size_t len, int *head);
/* The reason phrase of a status fb_http_request() gives. */
const char *fb_http_reason(int status);

#endif
