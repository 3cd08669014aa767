// SPDX-License-Identifier: GPL-2.0
/*
 * The request of a --metrics scraper (fb_metrics.c): its request line is
 * all that is read; its headers are only waited for (the empty line that
 * ends the head) and never parsed, so nothing they say can change the
 * answer. A pure function of the bytes, fuzzed by tests/fuzz/fuzz_metrics.c.
 */
#include <string.h>
#include "fb_http.h"

const char *fb_http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "Bad Request";
	}
}

/* The length of buf's leading run of bytes in set, at most max. */
static size_t fb_span(const char *buf, size_t len, const char *set)
{
	size_t n = 0;

	while (n < len && buf[n] && strchr(set, buf[n]))
		n++;
	return n;
}

#define FB_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define FB_TARGET FB_UPPER "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%"

/*
 * The head, of which only the request line is read:
 *
 *   GET /metrics HTTP/1.1\r\n            200 (any ?query too; HEAD: no body)
 *   Host: ...\r\n                        headers: waited for, never read
 *   \r\n                                 the end of the head
 *
 *   METHOD SP TARGET SP HTTP/1.(0|1) CRLF, single spaces: else 400;
 *   a method not GET or HEAD: 405; a path not /metrics: 404.
 */
int fb_http_request(const char *buf, size_t len, int *head)
{
	size_t m, t, end = 0;
	const char *target;

	*head = 0;
	for (size_t i = 0; i + 1 < len && !end; i++)
		if (buf[i] == '\n' && (buf[i + 1] == '\n' ||
				       (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')))
			end = i + 1;
	if (!end)
		return len < FB_HTTP_REQ_MAX ? 0 : 400;    /* more, or too long */
	m = fb_span(buf, end, FB_UPPER);
	if (!m || m > 16 || buf[m] != ' ')
		return 400;
	target = buf + m + 1;
	t = fb_span(target, end - m - 1, FB_TARGET);
	if (!t || target[0] != '/' || m + 1 + t + 11 > end || target[t] != ' ' ||
	    memcmp(target + t + 1, "HTTP/1.", 7) || (target[t + 8] != '0' && target[t + 8] != '1') ||
	    memcmp(target + t + 9, "\r\n", 2))
		return 400;
	*head = m == 4 && !memcmp(buf, "HEAD", 4);
	if (!*head && !(m == 3 && !memcmp(buf, "GET", 3)))
		return 405;
	return strcspn(target, "? ") == 8 && !memcmp(target, "/metrics", 8) ? 200 : 404;
}
