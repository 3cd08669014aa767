// SPDX-License-Identifier: GPL-2.0
/*
 * The request head this parser reads (RFC 9112), byte by byte:
 *
 *   [CRLF]...                            empty lines before it are skipped
 *   GET SP /path%20x?query SP HTTP/1.1 CRLF      request line (<= 8 KB)
 *   Host: example.org CRLF                       field-name ":" OWS value OWS
 *   Range: bytes=0-99 CRLF
 *   If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT CRLF
 *   Connection: keep-alive, close CRLF           a comma list of tokens
 *   CRLF                                         end of head (<= 16 KB)
 *   [next pipelined request ...]
 *
 * A bare LF is taken wherever CRLF is (RFC 9112 2.2). Refused with 400:
 * a method or field name that is not a token, whitespace before a field's
 * colon, an obsolete folded line, a control character in a value, a
 * missing or repeated Host on HTTP/1.1, Content-Length that is not digits
 * or disagrees with another one. HTTP/2+ in the version: 505. Bodies are
 * never read: the server answers requests that have one and closes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "http_parse.h"

static int is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int lceq(const char *a, size_t n, const char *lit)
{
	return strlen(lit) == n && !strncasecmp(a, lit, n);
}

/* Offset just past the blank line ending the head, or 0. */
static size_t head_end(const char *b, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (b[i] != '\n')
			continue;
		if (b[i + 1] == '\n')
			return i + 2;
		if (b[i + 1] == '\r' && i + 2 < len && b[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* One line [p, end of line), CR stripped; *next is past its LF. */
static size_t line_len(const char *p, const char *end, const char **next)
{
	const char *lf = memchr(p, '\n', end - p);
	size_t n = lf - p;

	*next = lf + 1;
	if (n && p[n - 1] == '\r')
		n--;
	return n;
}

static int fail(struct http_req *r, int status)
{
	r->error = status;
	return HTTP_PARSE_ERR;
}

static int parse_request_line(const char *p, size_t n, struct http_req *r)
{
	const char *sp1 = memchr(p, ' ', n), *sp2, *v;
	size_t vlen;

	if (n > HTTP_MAX_URI)
		return 414;
	if (!sp1 || sp1 == p)
		return 400;
	for (const char *q = p; q < sp1; q++)
		if (!is_tchar(*q))
			return 400;
	sp2 = memchr(sp1 + 1, ' ', p + n - sp1 - 1);
	if (!sp2 || sp2 == sp1 + 1)
		return 400;
	r->method_str = p;
	r->method_len = sp1 - p;
	r->method = r->method_len == 3 && !memcmp(p, "GET", 3) ? HTTP_GET :
		    r->method_len == 4 && !memcmp(p, "HEAD", 4) ? HTTP_HEAD : HTTP_OTHER;
	r->target = sp1 + 1;
	r->target_len = sp2 - sp1 - 1;
	for (size_t i = 0; i < r->target_len; i++)
		if ((unsigned char)r->target[i] <= ' ' || r->target[i] == 0x7f)
			return 400;
	v = sp2 + 1;
	vlen = p + n - v;
	if (vlen != 8 || memcmp(v, "HTTP/", 5) || !isdigit((unsigned char)v[5]) ||
	    v[6] != '.' || !isdigit((unsigned char)v[7]))
		return 400;
	if (v[5] != '1')
		return v[5] == '0' ? 400 : 505;
	r->minor = v[7] == '0' ? 0 : 1;
	return 0;
}

/* Connection: a comma list; only close and keep-alive mean anything. */
static void parse_connection(const char *v, size_t n, struct http_req *r)
{
	while (n) {
		size_t i = 0, s, e;

		while (i < n && v[i] != ',')
			i++;
		s = 0;
		e = i;
		while (s < e && (v[s] == ' ' || v[s] == '\t'))
			s++;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (lceq(v + s, e - s, "close"))
			r->conn_close = 1;
		else if (lceq(v + s, e - s, "keep-alive"))
			r->conn_keep_alive = 1;
		if (i == n)
			break;
		v += i + 1;
		n -= i + 1;
	}
}

static int parse_content_length(const char *v, size_t n, struct http_req *r)
{
	int64_t x = 0;

	if (!n || n > 18)
		return 400;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)v[i]))
			return 400;
		x = x * 10 + (v[i] - '0');
	}
	if (r->content_length >= 0 && r->content_length != x)
		return 400;
	r->content_length = x;
	return 0;
}

/* One field line; *hosts counts Host fields. 0 or a status. */
static int parse_field(const char *p, size_t n, struct http_req *r, int *hosts)
{
	const char *colon = memchr(p, ':', n), *v;
	size_t nlen, vlen;

	if (p[0] == ' ' || p[0] == '\t')
		return 400;			/* obs-fold */
	if (!colon || colon == p)
		return 400;
	nlen = colon - p;
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar(p[i]))
			return 400;		/* also whitespace before ':' */
	v = colon + 1;
	vlen = p + n - v;
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	for (size_t i = 0; i < vlen; i++)
		if (((unsigned char)v[i] < ' ' && v[i] != '\t') || v[i] == 0x7f)
			return 400;
	if (lceq(p, nlen, "host"))
		++*hosts;
	else if (lceq(p, nlen, "connection"))
		parse_connection(v, vlen, r);
	else if (lceq(p, nlen, "range"))
		r->range = v, r->range_len = vlen;
	else if (lceq(p, nlen, "if-modified-since"))
		r->ims = v, r->ims_len = vlen;
	else if (lceq(p, nlen, "content-length"))
		return parse_content_length(v, vlen, r);
	else if (lceq(p, nlen, "transfer-encoding"))
		r->chunked = 1;
	return 0;
}

int http_parse(const char *buf, size_t len, struct http_req *r)
{
	const char *p = buf, *end, *next;
	size_t skip = 0, n, hend;
	int st, hosts = 0, fields = 0;

	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	/* Empty lines before a request are allowed (RFC 9112 2.2). */
	while (skip < len && (buf[skip] == '\r' || buf[skip] == '\n'))
		skip++;
	if (skip > 64)
		return fail(r, 400);
	hend = head_end(buf + skip, len - skip);
	if (!hend) {
		const char *lf = memchr(buf + skip, '\n', len - skip);

		if (!lf && len - skip > HTTP_MAX_URI)
			return fail(r, 414);
		if (len - skip > HTTP_MAX_HEAD)
			return fail(r, lf && lf - buf - skip > HTTP_MAX_URI ? 414 : 413);
		return HTTP_PARSE_MORE;
	}
	p = buf + skip;
	end = p + hend;
	n = line_len(p, end, &next);
	st = parse_request_line(p, n, r);
	if (st)
		return fail(r, st);
	if (hend > HTTP_MAX_HEAD)
		return fail(r, 413);
	for (p = next; (n = line_len(p, end, &next)) > 0; p = next) {
		if (++fields > HTTP_MAX_FIELDS)
			return fail(r, 413);
		st = parse_field(p, n, r, &hosts);
		if (st)
			return fail(r, st);
	}
	if (r->minor == 1 && hosts != 1)
		return fail(r, 400);
	if (hosts > 1)
		return fail(r, 400);
	r->head_len = skip + hend;
	return HTTP_PARSE_DONE;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Is out[s, e) a "." or ".." segment? */
static int dot_segment(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

int http_target_path(const char *t, size_t n, char *out, size_t outsz)
{
	size_t o = 0, seg = 0;

	if (!n || t[0] != '/' || !outsz)
		return 400;		/* not origin-form: "*", "http://..." */
	for (size_t i = 1; i <= n; i++) {
		int c = i < n ? (unsigned char)t[i] : '/';

		if (i < n && (t[i] == '?' || t[i] == '#'))
			c = '/', n = i;	/* the query is not part of the path */
		if (c == '%') {
			int h, l;

			if (i + 2 >= n)
				return 400;
			h = hexval((unsigned char)t[i + 1]);
			l = hexval((unsigned char)t[i + 2]);
			if (h < 0 || l < 0 || !(h | l))
				return 400;	/* bad escape, or %00 */
			c = h << 4 | l;
			i += 2;
			if (c == '/')
				return 400;	/* %2f would hide a segment */
		}
		if (c == '/') {
			if (dot_segment(out + seg, o - seg))
				return 400;
			if (o == seg) {		/* "//": an empty segment */
				if (i >= n)
					break;
				continue;
			}
			if (i >= n)
				break;
			if (o + 1 >= outsz)
				return 414;
			out[o++] = '/';
			seg = o;
			continue;
		}
		if (o + 1 >= outsz)
			return 414;
		out[o++] = (char)c;
	}
	if (o && out[o - 1] == '/')
		o--;
	out[o] = 0;
	return 0;
}

static int parse_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;

	while (*p < end && isdigit((unsigned char)**p)) {
		if (x > (UINT64_MAX - 9) / 10)
			return -1;
		x = x * 10 + (**p - '0');
		(*p)++;
	}
	*v = x;
	return *p == s ? -1 : 0;
}

int http_parse_range(const char *v, size_t n, uint64_t size,
		     uint64_t *first, uint64_t *last)
{
	const char *p = v, *end = v + n;
	uint64_t a, b;

	if (!v || n < 7 || strncasecmp(v, "bytes=", 6))
		return HTTP_RANGE_NONE;
	p += 6;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (memchr(p, ',', end - p))
		return HTTP_RANGE_NONE;	/* several ranges: send it all */
	if (p < end && *p == '-') {	/* suffix: the last b bytes */
		p++;
		if (parse_u64(&p, end, &b) || p != end)
			return HTTP_RANGE_NONE;
		if (!b || !size)
			return HTTP_RANGE_UNSAT;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return HTTP_RANGE_OK;
	}
	if (parse_u64(&p, end, &a) || p >= end || *p++ != '-')
		return HTTP_RANGE_NONE;
	if (p == end) {
		b = UINT64_MAX;
	} else if (parse_u64(&p, end, &b) || p != end || b < a) {
		return HTTP_RANGE_NONE;
	}
	if (a >= size)
		return HTTP_RANGE_UNSAT;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return HTTP_RANGE_OK;
}

int http_parse_date(const char *v, size_t n, time_t *t)
{
	static const char *fmts[] = {
		"%a, %d %b %Y %H:%M:%S GMT",	/* IMF-fixdate */
		"%A, %d-%b-%y %H:%M:%S GMT",	/* RFC 850 */
		"%a %b %e %H:%M:%S %Y",		/* asctime */
	};
	char s[64];
	struct tm tm;

	if (!v || n >= sizeof(s))
		return -1;
	memcpy(s, v, n);
	s[n] = 0;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		const char *e;

		memset(&tm, 0, sizeof(tm));
		e = strptime(s, fmts[i], &tm);
		if (e && !*e) {
			*t = timegm(&tm);
			return *t == (time_t)-1 ? -1 : 0;
		}
	}
	return -1;
}

void http_format_date(time_t t, char out[30])
{
	struct tm tm;

	/* The C locale (never changed here) gives English names. */
	gmtime_r(&t, &tm);
	if (!strftime(out, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm))
		out[0] = 0;
}
