// SPDX-License-Identifier: GPL-2.0
/* Static files: lookup beneath --root, conditional and range requests,
 * response headers and error pages. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "http_serve.h"
#include "ksb.h"
#include "loop.h"
#include "mime.h"

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Request Header Fields Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 505: return "HTTP Version Not Supported";
	default: return "Internal Server Error";
	}
}

void resp_reset(struct resp *p)
{
	char *fbuf = p->fbuf;

	if (p->file_fd >= 0)
		close(p->file_fd);
	memset(p, 0, sizeof(*p));
	p->file_fd = -1;
	p->fbuf = fbuf;
}

/* What the access log shows of the request. */
static void note_request(struct resp *p, const struct http_req *r)
{
	size_t n;

	if (!r) {
		snprintf(p->method, sizeof(p->method), "-");
		snprintf(p->target, sizeof(p->target), "-");
		p->minor = 1;
		return;
	}
	n = r->method_len < sizeof(p->method) - 1 ? r->method_len : sizeof(p->method) - 1;
	memcpy(p->method, r->method_str, n);
	p->method[n] = 0;
	n = r->target_len < sizeof(p->target) - 1 ? r->target_len : sizeof(p->target) - 1;
	memcpy(p->target, r->target, n);
	p->target[n] = 0;
	p->minor = r->minor;
}

/* A new response to r (NULL: unparsable): whether the connection ends
 * after it, what the log says. */
static void resp_begin(struct conn *c, const struct http_req *r, int close)
{
	struct resp *p = &c->resp;

	resp_reset(p);
	p->active = 1;
	note_request(p, r);
	p->close = close || !r || r->conn_close || (r->minor == 0 && !r->conn_keep_alive) ||
		   r->content_length > 0 || c->w->stopping;
}

/* Status line and the headers every response has. */
static size_t head_start(struct conn *c, int status)
{
	struct resp *p = &c->resp;

	p->status = status;
	return snprintf(p->hdr, sizeof(p->hdr), "HTTP/1.1 %d %s\r\nServer: ksteer-backend\r\n"
			"Date: %s\r\n", status, reason(status), c->w->date);
}

static void head_end(struct conn *c, size_t n)
{
	struct resp *p = &c->resp;

	n += snprintf(p->hdr + n, sizeof(p->hdr) - n, "Connection: %s\r\n\r\n",
		      p->close ? "close" : "keep-alive");
	p->hdr_len = n < sizeof(p->hdr) ? n : sizeof(p->hdr) - 1;
}

void serve_error(struct conn *c, int status, int close, const struct http_req *r)
{
	struct resp *p = &c->resp;
	char body[64];
	int blen = snprintf(body, sizeof(body), "%d %s\n", status, reason(status));
	size_t n;

	resp_begin(c, r, close);
	n = head_start(c, status);
	n += snprintf(p->hdr + n, sizeof(p->hdr) - n,
		      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n%s", blen,
		      status == 405 ? "Allow: GET, HEAD\r\n" : "");
	head_end(c, n);
	if (!r || r->method != HTTP_HEAD) {
		n = p->hdr_len + blen < sizeof(p->hdr) ? (size_t)blen : 0;
		memcpy(p->hdr + p->hdr_len, body, n);
		p->hdr_len += n;
		p->body_sent = n;
	}
}

/* openat2 beneath the root: "..", absolute symlinks and symlinks that
 * climb out all fail with EXDEV; magic links (/proc) are refused too. */
static int open_beneath(int dirfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
	};

	return (int)syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof(how));
}

static int errno_status(int e)
{
	switch (e) {
	case ENOENT: case ENOTDIR: case ENAMETOOLONG:
		return 404;
	case EXDEV: case ELOOP: case EACCES: case EPERM:
		return 403;		/* outside the root, or not ours to read */
	default:
		return 500;
	}
}

/* A directory: its index.html, after a redirect to the "/" form so that
 * relative links in the page resolve. */
static int open_index(struct conn *c, const struct http_req *r, int dfd, struct stat *st)
{
	int fd;

	if (r->target_len && r->target[r->target_len - 1] != '/' &&
	    !memchr(r->target, '?', r->target_len)) {
		struct resp *p = &c->resp;
		size_t n;

		if (r->target_len >= 512) {
			serve_error(c, 404, 0, r);
			return -2;
		}
		n = head_start(c, 301);
		n += snprintf(p->hdr + n, sizeof(p->hdr) - n,
			      "Location: %.*s/\r\nContent-Length: 0\r\n", (int)r->target_len,
			      r->target);
		head_end(c, n);
		return -2;
	}
	fd = open_beneath(dfd, "index.html");
	if (fd >= 0 && (fstat(fd, st) || !S_ISREG(st->st_mode))) {
		close(fd);
		fd = -1;
		errno = ENOENT;
	}
	return fd;
}

static void serve_file(struct conn *c, const struct http_req *r, int fd, struct stat *st,
		       const char *name)
{
	struct resp *p = &c->resp;
	uint64_t size = st->st_size, first = 0, last = size ? size - 1 : 0;
	char lm[30];
	time_t ims;
	int rs = HTTP_RANGE_NONE, status = 200;
	size_t n;

	http_format_date(st->st_mtime, lm);
	if (r->ims && !http_parse_date(r->ims, r->ims_len, &ims) && st->st_mtime <= ims)
		status = 304;
	else if (r->range)
		rs = http_parse_range(r->range, r->range_len, size, &first, &last);
	if (rs == HTTP_RANGE_UNSAT) {
		n = head_start(c, 416);
		n += snprintf(p->hdr + n, sizeof(p->hdr) - n,
			      "Content-Range: bytes */%llu\r\nContent-Length: 0\r\n",
			      (unsigned long long)size);
		head_end(c, n);
		close(fd);
		return;
	}
	if (rs == HTTP_RANGE_OK)
		status = 206;
	n = head_start(c, status);
	n += snprintf(p->hdr + n, sizeof(p->hdr) - n, "Last-Modified: %s\r\nAccept-Ranges: bytes\r\n",
		      lm);
	if (status != 304)
		n += snprintf(p->hdr + n, sizeof(p->hdr) - n,
			      "Content-Type: %s\r\nContent-Length: %llu\r\n", mime_type(name),
			      (unsigned long long)(size ? last - first + 1 : 0));
	if (status == 206)
		n += snprintf(p->hdr + n, sizeof(p->hdr) - n, "Content-Range: bytes %llu-%llu/%llu\r\n",
			      (unsigned long long)first, (unsigned long long)last,
			      (unsigned long long)size);
	head_end(c, n);
	if (status == 304 || r->method == HTTP_HEAD || !size) {
		close(fd);
		return;
	}
	p->file_fd = fd;
	p->off = first;
	p->left = last - first + 1;
}

void serve_request(struct conn *c, const struct http_req *r)
{
	char path[HTTP_MAX_URI + 16];
	struct stat st;
	int st_code, fd;

	if (r->method == HTTP_OTHER || r->chunked) {
		/* We never read bodies: one that may follow ends the connection. */
		serve_error(c, r->chunked ? 400 : 405, r->chunked || r->content_length > 0, r);
		return;
	}
	st_code = http_target_path(r->target, r->target_len, path, sizeof(path) - 11);
	if (st_code) {
		serve_error(c, st_code, 0, r);
		return;
	}
	fd = open_beneath(c->w->ctx->root_fd, path);
	if (fd >= 0 && fstat(fd, &st)) {
		close(fd);
		fd = -1;
	}
	if (fd >= 0 && S_ISDIR(st.st_mode)) {
		int dfd = fd;

		resp_begin(c, r, 0);
		fd = open_index(c, r, dfd, &st);
		close(dfd);
		if (fd == -2)
			return;
		strcat(path, *path ? "/index.html" : "index.html");
	} else if (fd >= 0 && !S_ISREG(st.st_mode)) {
		close(fd);
		fd = -1;
		errno = ENOENT;
	}
	if (fd < 0) {
		serve_error(c, errno_status(errno), 0, r);
		return;
	}
	resp_begin(c, r, 0);
	serve_file(c, r, fd, &st, path);
}
