/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/1.x request parsing for ksteer-backend: the request head, the
 * request target, Range and HTTP dates. Pure functions on byte buffers,
 * no allocation, no I/O: unit-tested (tests/unit/test_backend_http.c) and
 * fuzzed (tests/fuzz/fuzz_http.c).
 */
#ifndef KSB_HTTP_PARSE_H
#define KSB_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Limits: a request line longer than HTTP_MAX_URI answers 414, a head
 * (request line + headers + blank line) longer than HTTP_MAX_HEAD 413. */
#define HTTP_MAX_URI	8192
#define HTTP_MAX_HEAD	16384
#define HTTP_MAX_FIELDS	100

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

/* What http_parse() found. Pointers point into the caller's buffer. */
struct http_req {
	enum http_method method;
	const char *method_str;
	size_t method_len;
	const char *target;
	size_t target_len;
	int minor;			/* HTTP/1.<minor>: 0 or 1 */
	const char *range;		/* Range value, or NULL */
	size_t range_len;
	const char *ims;		/* If-Modified-Since value, or NULL */
	size_t ims_len;
	int conn_close;			/* Connection: close */
	int conn_keep_alive;		/* Connection: keep-alive */
	int64_t content_length;		/* -1: none */
	int chunked;			/* a Transfer-Encoding was sent */
	size_t head_len;		/* bytes of the head, blank line included */
	int error;			/* the status to answer when parsing fails */
};

#define HTTP_PARSE_MORE	0	/* incomplete: read more and call again */
#define HTTP_PARSE_DONE	1	/* complete: r->head_len bytes consumed */
#define HTTP_PARSE_ERR	(-1)	/* malformed: answer r->error and close */

int http_parse(const char *buf, size_t len, struct http_req *r);

/* Decodes a request target (origin-form "/a/b%20c?q") into a path
 * relative to the root ("a/b c"; "" for "/") in out. Returns 0, or the
 * status to answer: 400 for anything not origin-form, bad or NUL
 * percent-escapes, and any ".." segment (before or after decoding). */
int http_target_path(const char *t, size_t n, char *out, size_t outsz);

/* A single byte range against a file of `size` bytes. */
#define HTTP_RANGE_NONE		0	/* absent or not understood: send all */
#define HTTP_RANGE_OK		1	/* [*first, *last] inclusive */
#define HTTP_RANGE_UNSAT	2	/* 416 */
int http_parse_range(const char *v, size_t n, uint64_t size,
		     uint64_t *first, uint64_t *last);

/* IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), and the two obsolete
 * forms RFC 9110 asks recipients to take. 0 and *t, or -1. */
int http_parse_date(const char *v, size_t n, time_t *t);
/* Writes an IMF-fixdate (29 chars + NUL) into out[30]. */
void http_format_date(time_t t, char out[30]);

#endif
