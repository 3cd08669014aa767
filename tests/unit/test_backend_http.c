// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of ksteer-backend's HTTP parser (backend/http_parse.c) and
 * MIME table: one "ok - ..." line per check, then the summary line.
 */
#include <stdio.h>
#include <string.h>
#include "http_parse.h"
#include "mime.h"

static int passed, failed, skipped;

#define T(cond, ...)                                                      \
	do {                                                              \
		if (cond) {                                               \
			passed++;                                         \
			printf("ok - ");                                  \
		} else {                                                  \
			failed++;                                         \
			printf("FAIL - (%s:%d) ", __FILE__, __LINE__);   \
		}                                                         \
		printf(__VA_ARGS__);                                      \
		printf("\n");                                             \
	} while (0)

static int parse(const char *s, struct http_req *r)
{
	return http_parse(s, strlen(s), r);
}

static int status_of(const char *s)
{
	struct http_req r;

	return parse(s, &r) == HTTP_PARSE_ERR ? r.error : 0;
}

static void test_basic(void)
{
	const char *req = "GET /a/b.html?x=1 HTTP/1.1\r\nHost: h\r\n"
			  "Range: bytes=0-9\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			  "Connection: keep-alive, Close\r\n\r\nGET / HTTP/1.1\r\n";
	struct http_req r;

	T(parse(req, &r) == HTTP_PARSE_DONE, "a full GET parses");
	T(r.method == HTTP_GET && r.minor == 1, "method GET, HTTP/1.1");
	T(r.target_len == 13 && !memcmp(r.target, "/a/b.html?x=1", 13), "target");
	T(r.range && r.range_len == 9 && !memcmp(r.range, "bytes=0-9", 9), "Range value");
	T(r.ims && r.ims_len == 29, "If-Modified-Since value");
	T(r.conn_close && r.conn_keep_alive, "Connection list: close and keep-alive seen");
	T(r.head_len == strlen(req) - strlen("GET / HTTP/1.1\r\n"),
	  "head length stops at the pipelined request");
	T(parse("HEAD / HTTP/1.0\r\n\r\n", &r) == HTTP_PARSE_DONE && r.method == HTTP_HEAD &&
	  r.minor == 0, "HEAD over HTTP/1.0 without Host");
	T(parse("GET / HTTP/1.1\nHost: x\n\n", &r) == HTTP_PARSE_DONE && r.head_len == 24,
	  "bare LF line ends");
	T(parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", &r) == HTTP_PARSE_DONE &&
	  r.head_len == 31, "leading empty lines skipped and counted");
	T(parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", &r) ==
	  HTTP_PARSE_DONE && r.method == HTTP_OTHER && r.content_length == 5,
	  "POST parsed as another method, with its Content-Length");
	T(parse("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", &r) ==
	  HTTP_PARSE_DONE && r.chunked, "Transfer-Encoding noticed");
	T(parse("get / HTTP/1.1\r\nHost: x\r\n\r\n", &r) == HTTP_PARSE_DONE &&
	  r.method == HTTP_OTHER, "methods are case-sensitive");
}

static void test_incomplete(void)
{
	const char *req = "GET /index.html HTTP/1.1\r\nHost: example\r\n\r\n";
	struct http_req r;
	int all_more = 1;

	for (size_t i = 0; i < strlen(req); i++)
		if (http_parse(req, i, &r) != HTTP_PARSE_MORE)
			all_more = 0;
	T(all_more, "every proper prefix asks for more");
	T(parse("", &r) == HTTP_PARSE_MORE, "empty buffer asks for more");
}

static void test_errors(void)
{
	static char big[HTTP_MAX_HEAD + 200], longuri[HTTP_MAX_URI + 100];

	T(status_of("GET / HTTP/1.1\r\n\r\n") == 400, "HTTP/1.1 without Host: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == 400, "two Hosts: 400");
	T(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n") == 400, "space before colon: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n") == 400, "obs-fold: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n") == 400, "control char in value: 400");
	T(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505, "HTTP/2.0 on the wire: 505");
	T(status_of("GET / FTP/1.1\r\nHost: a\r\n\r\n") == 400, "not HTTP: 400");
	T(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == 400, "two spaces: 400");
	T(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == 400, "method not a token: 400");
	T(status_of("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n") == 400, "DEL in target: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
	  == 400, "conflicting Content-Length: 400");
	T(status_of("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n") == 400,
	  "negative Content-Length: 400");
	T(status_of("\x16\x03\x01\x02\x01\x01\x01\x01\xfc\x03\x03\r\n\r\n") == 400,
	  "a TLS record on the plaintext side: 400");

	memset(longuri, 'a', sizeof(longuri) - 1);
	memcpy(longuri, "GET /", 5);
	T(status_of(longuri) == 414, "request line over %d bytes, unfinished: 414", HTTP_MAX_URI);
	memcpy(longuri + sizeof(longuri) - 30, " HTTP/1.1\r\nHost: a\r\n\r\n", 23);
	T(status_of(longuri) == 414, "request line over %d bytes, complete: 414", HTTP_MAX_URI);

	memset(big, 'x', sizeof(big) - 1);
	memcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ", 32);
	T(status_of(big) == 413, "head over %d bytes, unfinished: 413", HTTP_MAX_HEAD);
	memcpy(big + sizeof(big) - 5, "\r\n\r\n", 4);
	T(status_of(big) == 413, "head over %d bytes, complete: 413", HTTP_MAX_HEAD);
}

static int path_is(const char *t, const char *want)
{
	char out[256];

	return !http_target_path(t, strlen(t), out, sizeof(out)) && !strcmp(out, want);
}

static int path_status(const char *t)
{
	char out[256];

	return http_target_path(t, strlen(t), out, sizeof(out));
}

static void test_paths(void)
{
	char tiny[4];

	T(path_is("/", ""), "/ is the root");
	T(path_is("/a/b.html", "a/b.html"), "plain path");
	T(path_is("/a%20b/c%2Ed", "a b/c.d"), "percent-decoded");
	T(path_is("//a///b/", "a/b"), "empty segments collapsed");
	T(path_is("/a?x=../../etc", "a"), "query dropped");
	T(path_is("/a#frag", "a"), "fragment dropped");
	T(path_is("/a..b/..c", "a..b/..c"), "dots inside names are fine");
	T(path_status("/../etc/passwd") == 400, "../ refused");
	T(path_status("/a/../../etc") == 400, "a/../.. refused");
	T(path_status("/a/..") == 400, "trailing .. refused");
	T(path_status("/%2e%2e/etc/passwd") == 400, "%%2e%%2e refused");
	T(path_status("/%2E%2e%2fetc") == 400, "%%2E%%2e%%2f refused");
	T(path_status("/a/%2e/b") == 400, "encoded . refused");
	T(path_status("/a%00b") == 400, "%%00 refused");
	T(path_status("/a%2") == 400, "truncated escape refused");
	T(path_status("/a%zz") == 400, "bad hex refused");
	T(path_status("/a%2fb") == 400, "encoded slash refused");
	T(path_status("http://h/etc/passwd") == 400, "absolute-form refused");
	T(path_status("etc/passwd") == 400, "relative target refused");
	T(path_status("*") == 400, "asterisk-form refused");
	T(http_target_path("/abcdef", 7, tiny, sizeof(tiny)) == 414, "path too long for buffer: 414");
}

static int range(const char *v, uint64_t size, uint64_t *a, uint64_t *b)
{
	return http_parse_range(v, strlen(v), size, a, b);
}

static void test_ranges(void)
{
	uint64_t a = 0, b = 0;

	T(range("bytes=0-99", 1000, &a, &b) == HTTP_RANGE_OK && a == 0 && b == 99, "bytes=0-99");
	T(range("bytes=900-", 1000, &a, &b) == HTTP_RANGE_OK && a == 900 && b == 999, "bytes=900-");
	T(range("bytes=-100", 1000, &a, &b) == HTTP_RANGE_OK && a == 900 && b == 999, "bytes=-100");
	T(range("bytes=-5000", 1000, &a, &b) == HTTP_RANGE_OK && a == 0 && b == 999,
	  "suffix longer than the file: all of it");
	T(range("bytes=500-5000", 1000, &a, &b) == HTTP_RANGE_OK && a == 500 && b == 999,
	  "end past the file clamped");
	T(range("bytes=1000-", 1000, &a, &b) == HTTP_RANGE_UNSAT, "start at size: 416");
	T(range("bytes=-0", 1000, &a, &b) == HTTP_RANGE_UNSAT, "bytes=-0: 416");
	T(range("bytes=0-0", 0, &a, &b) == HTTP_RANGE_UNSAT, "empty file: 416");
	T(range("bytes=5-1", 1000, &a, &b) == HTTP_RANGE_NONE, "reversed: ignored");
	T(range("bytes=0-1,5-6", 1000, &a, &b) == HTTP_RANGE_NONE, "several ranges: ignored");
	T(range("items=0-1", 1000, &a, &b) == HTTP_RANGE_NONE, "other unit: ignored");
	T(range("bytes=x-1", 1000, &a, &b) == HTTP_RANGE_NONE, "garbage: ignored");
	T(range("bytes=99999999999999999999-", 1000, &a, &b) == HTTP_RANGE_NONE,
	  "overflowing number: ignored");
}

static void test_dates(void)
{
	time_t t = 0;
	char s[30];

	T(!http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT", 29, &t) && t == 784111777,
	  "IMF-fixdate");
	T(!http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT", 30, &t) && t == 784111777,
	  "RFC 850 date");
	T(!http_parse_date("Sun Nov  6 08:49:37 1994", 24, &t) && t == 784111777, "asctime date");
	T(http_parse_date("yesterday", 9, &t) == -1, "garbage date refused");
	http_format_date(784111777, s);
	T(!strcmp(s, "Sun, 06 Nov 1994 08:49:37 GMT"), "formatted as IMF-fixdate");
}

static void test_mime(void)
{
	static const char *cases[][2] = {
		{ "a.html", "text/html; charset=utf-8" }, { "a.css", "text/css; charset=utf-8" },
		{ "a.js", "text/javascript; charset=utf-8" }, { "a.json", "application/json" },
		{ "a.png", "image/png" }, { "a.JPG", "image/jpeg" }, { "a.gif", "image/gif" },
		{ "a.svg", "image/svg+xml" }, { "a.txt", "text/plain; charset=utf-8" },
		{ "a.wasm", "application/wasm" }, { "a.woff2", "font/woff2" },
		{ "a.pdf", "application/pdf" }, { "a.bin", "application/octet-stream" },
		{ "noext", "application/octet-stream" }, { "d.html/x", "application/octet-stream" },
		{ ".html", "application/octet-stream" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T(!strcmp(mime_type(cases[i][0]), cases[i][1]), "mime %s -> %s", cases[i][0],
		  cases[i][1]);
}

int main(void)
{
	test_basic();
	test_incomplete();
	test_errors();
	test_paths();
	test_ranges();
	test_dates();
	test_mime();
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed != 0;
}
