// SPDX-License-Identifier: GPL-2.0
/*
 * ksteer-backend's request -> response logic (backend/http_serve.c) and
 * its stats file, through a context opened as main opens it: a case table
 * of requests against a --root with files, directories, symlinks out of
 * it, each answered into a connection's response (status, headers, the
 * file range to send) with no ring and no TLS in between.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include "conn.h"
#include "http_serve.h"
#include "ksb.h"
#include "ksb_test.h"
#include "loop.h"

static char dir[64], root[128], certs[128];
static struct ksb_config cfg;
static struct ksb_ctx ctx;
static struct worker w;

struct serve_case {
	const char *name;
	const char *req;		/* the request head */
	int status;
	int close;			/* the connection ends after it */
	long long off, left;		/* the file range to send; left 0: no file */
	const char *has[2];		/* in the header (NULL: nothing asked) */
	const char *lacks;		/* not in the header */
};

#define GET(t)		"GET " t " HTTP/1.1\r\nHost: x\r\n"
#define END		"\r\n"
#define LATER		"If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n"
#define EARLIER		"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"

/* A case leaves out the header checks it does not ask for. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
static const struct serve_case cases[] = {
	{ "the root's index.html", GET("/") END, 200, 0, 0, 5,
	  .has = { "Content-Type: text/html; charset=utf-8\r\n", "Content-Length: 5\r\n" } },
	{ "a file, keep-alive", GET("/data.bin") END, 200, 0, 0, 1000,
	  .has = { "Content-Type: application/octet-stream\r\n", "Connection: keep-alive\r\n" } },
	{ "Last-Modified and Accept-Ranges", GET("/data.bin") END, 200, 0, 0, 1000,
	  .has = { "Last-Modified: ", "Accept-Ranges: bytes\r\n" } },
	{ "Range a-b", GET("/data.bin") "Range: bytes=10-19\r\n" END, 206, 0, 10, 10,
	  .has = { "Content-Range: bytes 10-19/1000\r\n", "Content-Length: 10\r\n" } },
	{ "Range a-", GET("/data.bin") "Range: bytes=990-\r\n" END, 206, 0, 990, 10,
	  .has = { "Content-Range: bytes 990-999/1000\r\n" } },
	{ "Range -n", GET("/data.bin") "Range: bytes=-5\r\n" END, 206, 0, 995, 5,
	  .has = { "Content-Range: bytes 995-999/1000\r\n" } },
	{ "Range past the end: 416", GET("/data.bin") "Range: bytes=1000-\r\n" END, 416, 0, 0, 0,
	  .has = { "Content-Range: bytes */1000\r\n", "Content-Length: 0\r\n" } },
	{ "several ranges: the whole file",
	  GET("/data.bin") "Range: bytes=0-1,5-6\r\n" END, 200, 0, 0, 1000, .lacks = "Content-Range" },
	{ "HEAD: the length, no body", "HEAD /data.bin HTTP/1.1\r\nHost: x\r\n" END, 200, 0, 0, 0,
	  .has = { "Content-Length: 1000\r\n" } },
	{ "If-Modified-Since later: 304 without a body", GET("/data.bin") LATER END, 304, 0, 0, 0,
	  .has = { "Last-Modified: " }, .lacks = "Content-Length" },
	{ "If-Modified-Since earlier: 200", GET("/data.bin") EARLIER END, 200, 0, 0, 1000 },
	{ "an empty file: no body to read", GET("/empty") END, 200, 0, 0, 0,
	  .has = { "Content-Length: 0\r\n" } },
	{ "MIME json", GET("/f.json") END, 200, 0, 0, 2,
	  .has = { "Content-Type: application/json\r\n" } },
	{ "MIME by extension, any case", GET("/pic.PNG") END, 200, 0, 0, 2,
	  .has = { "Content-Type: image/png\r\n" } },
	{ "a leading dot is no extension", GET("/.html") END, 200, 0, 0, 2,
	  .has = { "Content-Type: application/octet-stream\r\n" } },
	{ "a directory without /: 301 to the / form", GET("/sub") END, 301, 0, 0, 0,
	  .has = { "Location: /sub/\r\n", "Content-Length: 0\r\n" } },
	{ "a directory: its index.html", GET("/sub/") END, 200, 0, 0, 4,
	  .has = { "Content-Type: text/html; charset=utf-8\r\n" } },
	{ "a directory with a query: no redirect", GET("/sub?x=1") END, 200, 0, 0, 4 },
	{ "a directory without index.html: 404", GET("/empty-dir/") END, 404, 0, 0, 0,
	  .has = { "404 Not Found\n" } },
	{ "a missing file: 404 with its body", GET("/nope") END, 404, 0, 0, 0,
	  .has = { "Content-Length: 14\r\n", "\r\n\r\n404 Not Found\n" } },
	{ "HEAD of a missing file: no body", "HEAD /nope HTTP/1.1\r\nHost: x\r\n" END, 404, 0, 0, 0,
	  .lacks = "404 Not Found\n" },
	{ "a symlink out of the root: 403", GET("/escape") END, 403, 0, 0, 0 },
	{ "through a symlinked directory out of the root: 403",
	  GET("/escape-dir/passwd") END, 403, 0, 0, 0 },
	{ "a symlink inside the root is followed", GET("/inside") END, 200, 0, 0, 5 },
	{ "traversal: 400", GET("/sub/../../x") END, 400, 0, 0, 0 },
	{ "encoded traversal: 400", GET("/%2e%2e/x") END, 400, 0, 0, 0 },
	{ "POST: 405 with Allow, the connection goes on",
	  "POST / HTTP/1.1\r\nHost: x\r\n" END, 405, 0, 0, 0,
	  .has = { "Allow: GET, HEAD\r\n", "Connection: keep-alive\r\n" } },
	{ "POST with a body we do not read: 405, then close",
	  "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n" END, 405, 1, 0, 0,
	  .has = { "Connection: close\r\n" } },
	{ "a chunked body: 400, then close",
	  GET("/") "Transfer-Encoding: chunked\r\n" END, 400, 1, 0, 0 },
	{ "a GET with a body: answered, then close", GET("/") "Content-Length: 2\r\n" END, 200, 1, 0, 5 },
	{ "Connection: close", GET("/") "Connection: close\r\n" END, 200, 1, 0, 5,
	  .has = { "Connection: close\r\n" } },
	{ "HTTP/1.0: close", "GET / HTTP/1.0\r\n" END, 200, 1, 0, 5 },
	{ "HTTP/1.0 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n" END, 200, 0, 0, 5 },
	{ "unparsable: 400, then close", "GARBAGE\r\n" END, 400, 1, 0, 0,
	  .has = { "Connection: close\r\n" } },
	{ "no Host in HTTP/1.1: 400, then close", "GET / HTTP/1.1\r\n" END, 400, 1, 0, 0 },
};
#pragma GCC diagnostic pop

/* What step_request does with a head: the response goes into c->resp. */
static void answer(struct conn *c, const char *req)
{
	struct http_req r;

	if (http_parse(req, strlen(req), &r) == HTTP_PARSE_DONE)
		serve_request(c, &r);
	else
		serve_error(c, r.error, 1, NULL);
}

static void conn_reset(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->w = &w;
	c->resp.file_fd = -1;
}

/* s on one line: CR and LF as \r and \n. */
static const char *shown(const char *s, char out[128])
{
	size_t n = 0;

	for (; *s && n < 120; s++) {
		if (*s == '\r' || *s == '\n') {
			out[n++] = '\\';
			out[n++] = *s == '\r' ? 'r' : 'n';
		} else {
			out[n++] = *s;
		}
	}
	out[n] = 0;
	return out;
}

static void check_case(const struct serve_case *k)
{
	char seen[128];
	struct conn c;
	struct resp *p = &c.resp;
	int file = k->left > 0;

	conn_reset(&c);
	answer(&c, k->req);
	p->hdr[p->hdr_len < sizeof(p->hdr) ? p->hdr_len : sizeof(p->hdr) - 1] = 0;
	T(p->status == k->status && p->close == k->close, "%s: %d%s (got %d%s)", k->name, k->status,
	  k->close ? ", close" : "", p->status, p->close ? ", close" : "");
	T((p->file_fd >= 0) == file && (!file || ((long long)p->off == k->off &&
	  (long long)p->left == k->left)), "%s: file range %lld+%lld (got %s %llu+%llu)",
	  k->name, k->off, k->left, p->file_fd >= 0 ? "a file" : "no file",
	  (unsigned long long)p->off, (unsigned long long)p->left);
	for (int i = 0; i < 2 && k->has[i]; i++)
		T(strstr(p->hdr, k->has[i]), "%s: has '%s'", k->name, shown(k->has[i], seen));
	if (k->lacks)
		T(!strstr(p->hdr, k->lacks), "%s: lacks '%s'", k->name, shown(k->lacks, seen));
	resp_reset(p);
}

static void serve_table(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_case(&cases[i]);
}

/* What every response carries, and what the access log will show. */
static void serve_common(void)
{
	char date[64];
	struct conn c;

	conn_reset(&c);
	answer(&c, GET("/data.bin?q=1") END);
	snprintf(date, sizeof(date), "Date: %s\r\n", w.date);
	T(!strncmp(c.resp.hdr, "HTTP/1.1 200 OK\r\nServer: ksteer-backend\r\n", 41),
	  "status line and Server first");
	T(strstr(c.resp.hdr, date), "the worker's Date (%s)", w.date);
	T(!strcmp(c.resp.method, "GET") && !strcmp(c.resp.target, "/data.bin?q=1") &&
	  c.resp.minor == 1, "method, target and version noted for the log");
	T(c.resp.hdr_len > 4 && !memcmp(c.resp.hdr + c.resp.hdr_len - 4, "\r\n\r\n", 4),
	  "the header ends with its blank line");
	resp_reset(&c.resp);
	T(c.resp.file_fd == -1 && !c.resp.active, "resp_reset closes the file");
	conn_reset(&c);
	answer(&c, "GARBAGE\r\n" END);
	T(!strcmp(c.resp.method, "-") && !strcmp(c.resp.target, "-"),
	  "an unparsable request is logged as - -");
	resp_reset(&c.resp);
}

/* While draining, every response ends its connection. */
static void serve_stopping(void)
{
	struct conn c;

	w.stopping = 1;
	conn_reset(&c);
	answer(&c, GET("/") END);
	T(c.resp.status == 200 && c.resp.close && strstr(c.resp.hdr, "Connection: close\r\n"),
	  "a keep-alive request answered with Connection: close");
	resp_reset(&c.resp);
	w.stopping = 0;
}

static void stats_file(void)
{
	char path[200], buf[1024] = { 0 };
	FILE *f;

	STAT_ADD(&ctx.stats, requests, 7);
	STAT_INC(&ctx.stats, conns_total);
	STAT_DEC(&ctx.stats, bufs_in_use);
	snprintf(path, sizeof(path), "%s/stats.json", dir);
	T(!stats_write(&ctx.stats, ksb_send_path(&ctx), path), "written");
	f = fopen(path, "r");
	if (f) {
		if (!fread(buf, 1, sizeof(buf) - 1, f))
			buf[0] = 0;
		fclose(f);
	}
	T(!strncmp(buf, "{\"conns_open\": 0, \"conns_total\": 1, \"requests\": 7, ", 50),
	  "one JSON object, the counters in order");
	T(strstr(buf, "\"bufs_in_use\": -1, "), "a counter below zero as it is");
	T(strstr(buf, ", \"send_path\": \"userspace\"}\n"), "the send path last");
	snprintf(path, sizeof(path), "%s/stats.json.tmp", dir);
	T(access(path, F_OK), "no temporary file left");
	snprintf(path, sizeof(path), "%s/no/such/dir/stats.json", dir);
	T(stats_write(&ctx.stats, "userspace", path) == -1, "an unwritable path: -1");
}

static int make_root(void)
{
	char p[256];
	int rc = 0;

	snprintf(root, sizeof(root), "%s/www", dir);
	snprintf(certs, sizeof(certs), "%s/certs", dir);
	rc |= mkdir(root, 0755) | mkdir(certs, 0755);
	rc |= t_cert(certs, "a.example", 1);
	rc |= t_file(root, "index.html", "home\n", 5) | t_file(root, "data.bin", NULL, 1000);
	rc |= t_file(root, "empty", "", 0) | t_file(root, "f.json", "{}", 2);
	rc |= t_file(root, "pic.PNG", "xx", 2) | t_file(root, ".html", "xx", 2);
	snprintf(p, sizeof(p), "%s/sub", root);
	rc |= mkdir(p, 0755) | t_file(p, "index.html", "sub\n", 4);
	snprintf(p, sizeof(p), "%s/empty-dir", root);
	rc |= mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/escape", root);
	rc |= symlink("/etc/passwd", p);
	snprintf(p, sizeof(p), "%s/escape-dir", root);
	rc |= symlink("../..", p);
	snprintf(p, sizeof(p), "%s/inside", root);
	rc |= symlink("sub/../index.html", p);
	return rc;
}

int main(void)
{
	if (!t_scratch(dir, sizeof(dir), "serve") || make_root()) {
		printf("FAIL - cannot make the root in /tmp\n0 passed, 1 failed\n");
		return 1;
	}
	cfg = (struct ksb_config){ .root = root, .certs = certs, .access_log = "off",
				   .max_conns = 16, .workers = 1 };
	T(!ksb_ctx_open(&ctx, &cfg), "the context opens");
	T(!worker_init(&w, &ctx, 0), "a worker of it");
	w.now = time(NULL);
	http_format_date(w.now, w.date);
	SUBTEST(serve_table);
	SUBTEST(serve_common);
	SUBTEST(serve_stopping);
	SUBTEST(stats_file);
	worker_free(&w);
	ksb_ctx_close(&ctx);
	t_scratch_remove(dir);
	return t_summary();
}
