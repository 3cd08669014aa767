// SPDX-License-Identifier: GPL-2.0
/*
 * The config file: `ksteer up -c FILE` adds and updates what it states;
 * `ksteerd -c FILE` makes the pinned maps match it, at start and on each
 * SIGHUP (config_sync.c). One directive per line, the words of the CLI;
 * '#' starts a comment.
 *
 *   backend NAME ADDR:PORT                        listeners bound there
 *   backend NAME proxy ADDR:PORT [proxy-protocol] ksteerd proxies (PROXY v2)
 *   backend NAME handoff PATH                     ksteerd hands off over PATH
 *   backend NAME ADDR:PORT proxy ADDR:PORT [proxy-protocol]
 *   backend NAME ADDR:PORT handoff PATH           both: its listeners take the
 *                                                 fast path, ksteerd the rest
 *   route HOST BACKEND [alpn PROTO]               on the TLS ports
 *   route HOST BACKEND port PORT                  on the plain-HTTP port PORT
 *   ssh BACKEND                                   SSH on the TLS ports
 *   public ADDR [ADDR...]                         public addresses (as up -a)
 *   port [tls:|http:]PORT [...]                   public ports (as up -p)
 *
 * HOST is an exact name, *.suffix or default. A backend line states the
 * whole backend: what it leaves out, the backend loses (a proxy target, an
 * address). Each backend and each (HOST, PROTO) once, in any order. A route
 * may name a backend the file does not define when it exists already (one
 * added with --pid, which no file can state). The whole file is read and
 * checked before anything changes: the first bad line changes nothing and
 * says "FILE:LINE: message".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"

#define KS_CONF_WORDS 6               /* backend NAME ADDR proxy ADDR proxy-protocol */

static const char ks_backend_usage[] =
	"expected 'backend NAME ADDR:PORT', 'backend NAME [ADDR:PORT] proxy ADDR:PORT "
	"[proxy-protocol]' or 'backend NAME [ADDR:PORT] handoff PATH'";

static char ks_conf_where[4200];

void ks_conf_at(const struct ks_conf *c, int line)
{
	if (line)
		snprintf(ks_conf_where, sizeof(ks_conf_where), "%s:%d", c->path, line);
	else
		snprintf(ks_conf_where, sizeof(ks_conf_where), "%s", c->path);
	ks_err_context = ks_conf_where;
}

void ks_conf_free(struct ks_conf *c)
{
	free(c->be);
	free(c->rt);
	c->be = NULL;
	c->rt = NULL;
	c->nbe = c->nrt = c->be_cap = c->rt_cap = 0;
}

/* A zeroed element at the end of an array of *n, grown as needed. */
static void *ks_conf_push(void **arr, int *n, int *cap, size_t size)
{
	void *more;

	if (*n == *cap) {
		more = realloc(*arr, (*cap * 2 + 16) * size);
		if (!more)
			return NULL;
		*arr = more;
		*cap = *cap * 2 + 16;
	}
	memset((char *)*arr + *n * size, 0, size);
	return (char *)*arr + (*n)++ * size;
}

const struct ks_conf_backend *ks_conf_backend(const struct ks_conf *c, const char *name)
{
	for (int i = 0; i < c->nbe; i++)
		if (!strcmp(c->be[i].want.name, name))
			return &c->be[i];
	return NULL;
}

/* One backend name and one address per backend in the file: with two,
 * which one it means would depend on the order of applying them. */
static int ks_conf_backend_unique(const struct ks_conf *c, const struct ks_conf_backend *b)
{
	const struct ks_backend_info *w = &b->want;
	char addr[80];

	for (const struct ks_conf_backend *o = c->be; o < b; o++) {
		if (!strcmp(o->want.name, w->name))
			return ks_err("backend '%s' is already defined on line %d", w->name,
				      o->line);
		if ((o->want.flags & w->flags & KS_BE_HAS_ADDR) &&
		    !memcmp(&o->want.addr, &w->addr, sizeof(w->addr))) {
			ks_format_addr(&w->addr, addr, sizeof(addr));
			return ks_err("address %s already belongs to backend '%s' (line %d)", addr,
				      o->want.name, o->line);
		}
	}
	return 0;
}

/* backend NAME [ADDR:PORT] [proxy ADDR:PORT [proxy-protocol] | handoff PATH] */
static int ks_conf_backend_line(struct ks_conf *c, char **w, int n, int line)
{
	struct ks_conf_backend *b;
	struct ks_backend_info *bi;
	int i = 2;

	if (n < 3)
		return ks_err("%s", ks_backend_usage);
	if (!ks_backend_name_ok(w[1]))
		return ks_err("bad backend name '%s' (letters, digits, - _ . ; max 47)", w[1]);
	b = ks_conf_push((void **)&c->be, &c->nbe, &c->be_cap, sizeof(*b));
	if (!b)
		return ks_err("out of memory");
	b->line = line;
	bi = &b->want;
	snprintf(bi->name, sizeof(bi->name), "%s", w[1]);
	bi->flags = KS_BE_IN_USE;
	if (strcmp(w[i], "proxy") && strcmp(w[i], "handoff")) {
		if (ks_parse_addr(w[i], &bi->addr))
			return ks_err("bad address '%s' (want IPv4:PORT or [IPv6]:PORT)", w[i]);
		bi->flags |= KS_BE_HAS_ADDR;
		i++;
	}
	if (i + 1 < n && !strcmp(w[i], "proxy")) {
		if (ks_parse_addr(w[i + 1], &bi->target))
			return ks_err("bad proxy address '%s' (want IPv4:PORT or [IPv6]:PORT)",
				      w[i + 1]);
		bi->flags |= KS_BE_PROXY;
		i += 2;
		if (i < n && !strcmp(w[i], "proxy-protocol")) {
			bi->flags |= KS_BE_PROXY_V2;
			i++;
		}
	} else if (i + 1 < n && !strcmp(w[i], "handoff")) {
		if (!ks_backend_path_ok(w[i + 1]))
			return ks_err("bad hand-off socket path '%s' (absolute, under %zu bytes)",
				      w[i + 1], sizeof(bi->path));
		snprintf(bi->path, sizeof(bi->path), "%s", w[i + 1]);
		bi->flags |= KS_BE_HANDOFF;
		i += 2;
	}
	if (i < n)
		return ks_err("unexpected '%s': %s", w[i], ks_backend_usage);
	return ks_conf_backend_unique(c, b);
}

/* The route space a route line's options name: TLS, or "port PORT". */
static int ks_conf_route_space(char **w, int n, __u32 *space)
{
	unsigned int port;
	int http;

	*space = KS_SPACE_TLS;
	if (n == 3 || (n == 5 && !strcmp(w[3], "alpn")))
		return 0;
	if (n != 5 || strcmp(w[3], "port"))
		return ks_err("expected 'route HOST BACKEND [alpn PROTO | port PORT]'");
	if (ks_port_spec(w[4], &port, &http) || strchr(w[4], ':'))
		return ks_err("bad port '%s' (1 to 65535)", w[4]);
	*space = KS_SPACE_HTTP(port);
	return 0;
}

/* route HOST BACKEND [alpn PROTO | port PORT], or ssh BACKEND (w[0]
 * "ssh", no host); HOST is kept as `route list` prints it. */
static int ks_conf_route_line(struct ks_conf *c, char **w, int n, int line)
{
	struct ks_route_key key;
	struct ks_conf_route *r;
	char *ssh[3] = { w[0], "default", n > 1 ? w[1] : NULL };
	__u32 space = KS_SPACE_SSH;

	if (!strcmp(w[0], "ssh")) {
		if (n != 2)
			return ks_err("expected 'ssh BACKEND'");
		w = ssh;
		n = 3;
	} else if (ks_conf_route_space(w, n, &space)) {
		return 1;
	}
	if (ks_route_key_in(w[1], space, &key))
		return ks_err("bad host '%s' (want NAME, *.SUFFIX or default)", w[1]);
	if (!ks_backend_name_ok(w[2]))
		return ks_err("bad backend name '%s' (letters, digits, - _ . ; max 47)", w[2]);
	if (n == 5 && space == KS_SPACE_TLS && strlen(w[4]) > KS_ALPN_KEY_MAX)
		return ks_err("bad ALPN protocol '%s' (1 to %d bytes)", w[4], KS_ALPN_KEY_MAX);
	r = ks_conf_push((void **)&c->rt, &c->nrt, &c->rt_cap, sizeof(*r));
	if (!r)
		return ks_err("out of memory");
	r->line = line;
	r->r.space = space;
	ks_host_from_route_key(&key, r->r.host, sizeof(r->r.host));
	snprintf(r->r.backend, sizeof(r->r.backend), "%s", w[2]);
	if (n == 5 && space == KS_SPACE_TLS) {
		snprintf(r->r.alpn, sizeof(r->r.alpn), "%s", w[4]);
		r->r.has_alpn = 1;
	}
	return 0;
}

/* public ADDR... | port PORT...: the public side, as `up -a` / `-p`. */
static int ks_conf_public_line(struct ks_conf *c, char **w, int n)
{
	struct ks_addr a;
	unsigned int port;
	int http;

	if (n < 2)
		return ks_err("expected '%s %s...'", w[0], strcmp(w[0], "port") ? "ADDR" : "PORT");
	for (int i = 1; i < n; i++) {
		if (!strcmp(w[0], "public")) {
			if (ks_parse_ip(w[i], &a))
				return ks_err("bad address '%s' (an IPv4 or IPv6 address, no port)", w[i]);
			if (c->npub == KS_MAX_PUBLIC)
				return ks_err("too many public addresses (max %d)", KS_MAX_PUBLIC);
			c->pub[c->npub++] = a;
			continue;
		}
		if (ks_port_spec(w[i], &port, &http))
			return ks_err("bad port '%s' (PORT, tls:PORT or http:PORT)", w[i]);
		if (c->nports == KS_MAX_PORTS)
			return ks_err("too many public ports (max %d)", KS_MAX_PORTS);
		c->http[c->nports] = http;
		c->ports[c->nports++] = port;
	}
	return 0;
}

static int ks_conf_line(struct ks_conf *c, char *line, int lineno)
{
	char *w[KS_CONF_WORDS], *save = NULL, *t;
	int n = 0;

	if (strchr(line, '#'))
		*strchr(line, '#') = 0;
	for (t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
		if (n == KS_CONF_WORDS)
			return ks_err("unexpected '%s': too many words", t);
		w[n++] = t;
	}
	if (n == 0)
		return 0;
	if (!strcmp(w[0], "backend"))
		return ks_conf_backend_line(c, w, n, lineno);
	if (!strcmp(w[0], "route") || !strcmp(w[0], "ssh"))
		return ks_conf_route_line(c, w, n, lineno);
	if (!strcmp(w[0], "public") || !strcmp(w[0], "port"))
		return ks_conf_public_line(c, w, n);
	return ks_err("unknown directive '%s': expected 'backend NAME ...', "
		      "'route HOST BACKEND [alpn PROTO | port PORT]', 'ssh BACKEND', "
		      "'public ADDR...' or 'port PORT...'", w[0]);
}

/* Same host and ALPN: the earlier line wins the tie, so it is the one named. */
static int ks_conf_route_cmp(const void *a, const void *b)
{
	const struct ks_conf_route *x = a, *y = b;
	int c = ks_route_row_cmp(&x->r, &y->r);

	return c ? c : x->line - y->line;
}

/* Sorted, as the sync looks routes up; a (HOST, PROTO) twice is an error. */
static int ks_conf_routes_unique(struct ks_conf *c)
{
	struct ks_conf_route *r;

	if (c->nrt)
		qsort(c->rt, c->nrt, sizeof(*c->rt), ks_conf_route_cmp);
	for (int i = 1; i < c->nrt; i++) {
		r = &c->rt[i];
		if (ks_route_row_cmp(&r[-1].r, &r->r))
			continue;
		ks_conf_at(c, r->line);
		if (r->r.space == KS_SPACE_SSH)
			return ks_err("ssh is already routed on line %d", r[-1].line);
		if (r->r.has_alpn)
			return ks_err("route for '%s' with ALPN '%s' is already defined on line %d",
				      r->r.host, r->r.alpn, r[-1].line);
		return ks_err("route for '%s' is already defined on line %d", r->r.host,
			      r[-1].line);
	}
	return 0;
}

int ks_conf_parse(const char *path, struct ks_conf *c)
{
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, err = 0;
	FILE *f;

	memset(c, 0, sizeof(*c));
	c->path = path;
	f = fopen(path, "r");
	if (!f)
		return ks_err("cannot read config %s: %s", path, strerror(errno));
	while (!err && getline(&line, &cap, f) >= 0) {
		ks_conf_at(c, ++lineno);
		err = ks_conf_line(c, line, lineno);
	}
	ks_err_context = NULL;
	if (!err && ferror(f))
		err = ks_err("cannot read config %s: %s", path, strerror(errno));
	free(line);
	fclose(f);
	if (!err)
		err = ks_conf_routes_unique(c);
	ks_err_context = NULL;
	if (err)
		ks_conf_free(c);
	return err;
}

int ks_apply_config(const char *path)
{
	struct ks_conf c;
	struct ks_conf_diff d;
	enum ks_sync_result res;

	if (ks_conf_parse(path, &c))
		return 1;
	res = ks_conf_sync(&c, false, &d);
	ks_conf_free(&c);
	return res != KS_SYNC_OK;
}
