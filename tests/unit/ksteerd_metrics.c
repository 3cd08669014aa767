// SPDX-License-Identifier: GPL-2.0
/*
 * test_ksteerd's topic for --metrics: the scraper's request as
 * fb_http_request() reads it, a case table (the endpoint itself, which
 * reads the pinned maps, runs in tests/e2e/test_metrics.sh).
 */
#include <string.h>
#include "fb_http.h"
#include "test_ksteerd.h"

struct req_case {
	const char *name, *req;
	int status;               /* 0: read more */
	int head;
};

static const struct req_case req_cases[] = {
	{ "request: GET /metrics", "GET /metrics HTTP/1.1\r\nHost: h\r\n\r\n", 200, 0 },
	{ "request: HTTP/1.0, a query", "GET /metrics?a=b HTTP/1.0\r\n\r\n", 200, 0 },
	{ "request: HEAD: no body", "HEAD /metrics HTTP/1.1\r\n\r\n", 200, 1 },
	{ "request: what follows the head is not read", "GET /metrics HTTP/1.1\r\n\r\nPOST", 200, 0 },
	{ "request: no end of head yet: read more", "GET /metrics HTTP/1.1\r\nHost: h\r\n", 0, 0 },
	{ "request: nothing yet: read more", "", 0, 0 },
	{ "request: another path", "GET / HTTP/1.1\r\n\r\n", 404, 0 },
	{ "request: a longer path", "GET /metrics/x HTTP/1.1\r\n\r\n", 404, 0 },
	{ "request: another method", "POST /metrics HTTP/1.1\r\n\r\n", 405, 0 },
	{ "request: a lowercase method", "get /metrics HTTP/1.1\r\n\r\n", 400, 0 },
	{ "request: two spaces", "GET  /metrics HTTP/1.1\r\n\r\n", 400, 0 },
	{ "request: HTTP/2.0", "GET /metrics HTTP/2.0\r\n\r\n", 400, 0 },
	{ "request: no version", "GET /metrics\r\n\r\n", 400, 0 },
	{ "request: a bare LF line", "GET /metrics HTTP/1.1\n\n", 400, 0 },
	{ "request: a target not from /", "GET metrics HTTP/1.1\r\n\r\n", 400, 0 },
	{ "request: a control byte in the target", "GET /met\trics HTTP/1.1\r\n\r\n", 400, 0 },
	{ "request: a method of 17 letters", "ABCDEFGHIJKLMNOPQ /metrics HTTP/1.1\r\n\r\n", 400, 0 },
};

static void req_run(const struct req_case *c)
{
	int head = -1, st;

	t_begin(c->name);
	st = fb_http_request(c->req, strlen(c->req), &head);
	EXPECT(st == c->status, "status %d, want %d", st, c->status);
	EXPECT(!st || head == c->head, "head %d, want %d", head, c->head);
	t_end();
}

/* A head that never ends: read until FB_HTTP_REQ_MAX bytes, then 400. */
static void req_too_long(void)
{
	static char big[FB_HTTP_REQ_MAX];
	int head;

	t_begin("request: a head over 2 KB: read more until the cap, then 400");
	memset(big, 'a', sizeof(big));
	memcpy(big, "GET /metrics HTTP/1.1\r\nX: ", 26);
	EXPECT(fb_http_request(big, sizeof(big) - 1, &head) == 0, "below the cap: read more");
	EXPECT(fb_http_request(big, sizeof(big), &head) == 400, "at the cap: 400");
	t_end();
}

void test_metrics(void)
{
	T_EACH(req_cases, req_run);
	req_too_long();
}
