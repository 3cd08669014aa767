// SPDX-License-Identifier: GPL-2.0
/*
 * connbench: new TLS connections, one short HTTP/1.1 request each, from C
 * threads in parallel; the client closes first (as browsers do), so the
 * server side keeps no TIME_WAIT that a reused client port could meet.
 *
 *   connbench -a IP -p PORT -s SNI [-c CONCURRENCY] [-n CONNECTIONS] [-t SECONDS]
 *             [-A BYTES] [-e TEXT] [-g PATH] [-H SECONDS]
 *   connbench -a IP -p PORT -R FILE [-c CONCURRENCY] [-n CONNECTIONS] [-t SECONDS] [-e TEXT]
 *
 * -A pads the ClientHello with an ALPN list of about BYTES (ending in
 * http/1.1), to make it as big as a browser's post-quantum one: 2 KB and
 * more span two or three segments on a 1500-byte MTU.
 * -e: the response body must contain TEXT (the site the SNI names);
 *     otherwise the connection counts as misrouted.
 * -g: GET PATH instead of / (a big file: bulk throughput).
 * -H: keep each connection open SECONDS after its response (to count what
 *     a router holds per open connection).
 * -R: router-bound: no TLS. Each connection sends FILE's bytes (a real
 *     client's ClientHello, tests/data/captures) in one write, reads the
 *     backend's fixed reply (bench/rawsrv) and closes: no crypto on either
 *     side, so the connection's TCP life and the router decide the rate.
 *     Its latency is from connect's start to the reply.
 * Prints one JSON line: connections, errors (and errors_by_step), misrouted, rate (conn/s),
 * body MB/s, and handshake latency (TCP connect start to TLS handshake
 * done) p50/p99/p999 in us.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_storage target;
static socklen_t target_len;
static const char *sni = "localhost";
static long per_thread = 1000;
static double max_seconds = 60;
static SSL_CTX *ctx;
static double t_start;
static const char *expect_text, *get_path = "/";
static double hold_seconds;
static unsigned char *raw_hello;    /* -R: the bytes sent instead of a handshake */
static size_t raw_len;

/* Errors by the step that failed, so that a router's failures can be told
 * apart (refused connect, handshake cut, response cut). */
enum { ONE_OK, ONE_MISROUTED, ONE_ERR_CONNECT, ONE_ERR_HANDSHAKE, ONE_ERR_RESPONSE, ONE_MAX };
static const char *const err_names[ONE_MAX] = {
	[ONE_ERR_CONNECT] = "connect", [ONE_ERR_HANDSHAKE] = "handshake",
	[ONE_ERR_RESPONSE] = "response",
};

struct worker {
	pthread_t th;
	long done, errors, misrouted, by_step[ONE_MAX];
	long long body_bytes;
	double *lat;            /* handshake latencies, us */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* Read one response: headers, then Content-Length bytes of body (counted,
 * and the first 4 KB kept in buf for the -e check). */
static int read_response(SSL *ssl, char *buf, int cap, long long *body)
{
	int n, got = 0, hdr = 0;
	long long want = -1, seen = 0;

	while (want < 0 || seen < want) {
		int at = hdr && got > 4096 ? 4096 : got;   /* past 4 KB: reuse the tail */

		n = SSL_read(ssl, buf + at, cap - 1 - at);
		if (n <= 0)
			return -1;
		if (hdr) {
			seen += n;
			if (at + n <= 4096)
				got = at + n;      /* keep the start of the body */
			buf[got] = 0;
			continue;
		}
		got += n;
		buf[got] = 0;
		char *end = strstr(buf, "\r\n\r\n"), *cl;

		if (!end) {
			if (got >= cap - 1)
				return -1;         /* headers too big */
			continue;
		}
		hdr = end + 4 - buf;
		cl = strcasestr(buf, "content-length:");
		want = cl ? atoll(cl + 15) : 0;
		seen = got - hdr;
	}
	*body += seen;
	return strncmp(buf, "HTTP/1.1 200", 12) ? -1 : 0;
}

/* The first handshake failure's reason, once, on stderr: the counts say how
 * many, this says why. */
static void first_error(SSL *ssl, int ret)
{
	static atomic_int told;
	int e = SSL_get_error(ssl, ret);
	char msg[256] = "";

	if (atomic_exchange(&told, 1))
		return;
	ERR_error_string_n(ERR_peek_last_error(), msg, sizeof(msg));
	fprintf(stderr, "connbench: first handshake failure: SSL error %d, errno %s, %s\n", e,
		e == SSL_ERROR_SYSCALL ? strerror(errno) : "-", msg);
}

/* A TCP socket connected to the target (Nagle off), or -1. */
static int dial(void)
{
	int fd = socket(target.ss_family, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&target, target_len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One connection: connect, handshake, GET, read the whole response. */
static int one_tls(double *lat_us, long long *body)
{
	char req[512], buf[16384];
	double t0 = now();
	int fd, len, rc = ONE_ERR_CONNECT;
	SSL *ssl;

	if ((fd = dial()) < 0)
		return rc;
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, sni);
	rc = ONE_ERR_HANDSHAKE;
	if ((len = SSL_connect(ssl)) != 1) {
		first_error(ssl, len);
		goto out;
	}
	rc = ONE_ERR_RESPONSE;
	*lat_us = (now() - t0) * 1e6;
	len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", get_path, sni);
	if (SSL_write(ssl, req, len) != len || read_response(ssl, buf, sizeof(buf), body))
		goto out;
	rc = expect_text && !strstr(strstr(buf, "\r\n\r\n"), expect_text) ? ONE_MISROUTED : ONE_OK;
	if (hold_seconds > 0)
		usleep(hold_seconds * 1e6);
out:
	SSL_free(ssl);
	close(fd);
	return rc;
}

/* One router-bound connection: connect, the ClientHello's bytes, the
 * backend's reply (up to its close or enough to check), close first. */
static int one_raw(double *lat_us, long long *body)
{
	char buf[4096];
	double t0 = now();
	int fd, got = 0, rc = ONE_ERR_CONNECT;
	ssize_t n;

	if ((fd = dial()) < 0)
		return rc;
	rc = ONE_ERR_HANDSHAKE;   /* the router's step: the hello taken and passed on */
	if (write(fd, raw_hello, raw_len) != (ssize_t)raw_len)
		goto out;
	rc = ONE_ERR_RESPONSE;
	while (got < (int)sizeof(buf) - 1 && (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0) {
		got += n;
		buf[got] = 0;
		if (expect_text ? strstr(buf, expect_text) != NULL : got > 0)
			break;
	}
	if (got == 0)
		goto out;
	*lat_us = (now() - t0) * 1e6;
	*body += got;
	rc = expect_text && !strstr(buf, expect_text) ? ONE_MISROUTED : ONE_OK;
out:
	close(fd);
	return rc;
}

static int one(double *lat_us, long long *body)
{
	return raw_hello ? one_raw(lat_us, body) : one_tls(lat_us, body);
}

/* FILE's bytes, whole, for -R. */
static int load_raw(const char *path)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		goto bad;
	raw_hello = malloc(len);
	if (!raw_hello || fread(raw_hello, 1, len, f) != (size_t)len)
		goto bad;
	raw_len = len;
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "connbench: cannot read %s\n", path);
	if (f)
		fclose(f);
	return -1;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	for (long i = 0; i < per_thread && now() - t_start < max_seconds; i++) {
		double lat;

		int rc = one(&lat, &w->body_bytes);

		switch (rc) {
		case ONE_OK:
			w->lat[w->done++] = lat;
			break;
		case ONE_MISROUTED:
			w->misrouted++;
			break;
		default:
			w->errors++;
			w->by_step[rc]++;
		}
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 443, conc = 1, c;
	long total = 1000, n = 0, errors = 0, misrouted = 0, by_step[ONE_MAX] = {0};
	long long bytes = 0;
	struct worker *w;
	double *all, elapsed;

	int alpn_pad = 0;

	while ((c = getopt(argc, argv, "a:p:s:c:n:t:A:e:g:H:R:")) != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 's': sni = optarg; break;
		case 'c': conc = atoi(optarg); break;
		case 'n': total = atol(optarg); break;
		case 't': max_seconds = atof(optarg); break;
		case 'A': alpn_pad = atoi(optarg); break;
		case 'e': expect_text = optarg; break;
		case 'g': get_path = optarg; break;
		case 'H': hold_seconds = atof(optarg); break;
		case 'R':
			if (load_raw(optarg))
				return 2;
			break;
		default:
			fprintf(stderr, "usage: connbench -a IP -p PORT -s SNI [-c N] [-n N] [-t S] [-A B] "
				"[-e TEXT] [-g PATH] [-H S] [-R FILE]\n");
			return 2;
		}
	}
	if (conc < 1 || total < 1)
		return 2;
	memset(&target, 0, sizeof(target));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&target)->sin_addr) == 1) {
		((struct sockaddr_in *)&target)->sin_family = AF_INET;
		((struct sockaddr_in *)&target)->sin_port = htons(port);
		target_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&target)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)&target)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&target)->sin6_port = htons(port);
		target_len = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "connbench: bad address %s\n", addr);
		return 2;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);   /* certs checked by the tests */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF); /* full handshakes */
	if (alpn_pad > 0) {
		unsigned char *list = calloc(1, alpn_pad + 16);
		int o = 0, k = 0;

		/* Entries of up to 200 bytes that nobody selects, then http/1.1. */
		while (o + 201 < alpn_pad) {
			list[o] = 200;
			memset(list + o + 1, 'a' + k++ % 26, 200);
			o += 201;
		}
		list[o++] = 8;
		memcpy(list + o, "http/1.1", 8);
		o += 8;
		if (SSL_CTX_set_alpn_protos(ctx, list, o)) {
			fprintf(stderr, "connbench: cannot set ALPN\n");
			return 2;
		}
		free(list);
	}
	per_thread = (total + conc - 1) / conc;
	w = calloc(conc, sizeof(*w));
	for (int i = 0; i < conc; i++)
		w[i].lat = calloc(per_thread, sizeof(double));
	t_start = now();
	for (int i = 0; i < conc; i++)
		pthread_create(&w[i].th, NULL, run, &w[i]);
	for (int i = 0; i < conc; i++)
		pthread_join(w[i].th, NULL);
	elapsed = now() - t_start;
	all = calloc(per_thread * conc, sizeof(double));
	for (int i = 0; i < conc; i++) {
		memcpy(all + n, w[i].lat, w[i].done * sizeof(double));
		n += w[i].done;
		errors += w[i].errors;
		misrouted += w[i].misrouted;
		bytes += w[i].body_bytes;
		for (int k = 0; k < ONE_MAX; k++)
			by_step[k] += w[i].by_step[k];
	}
	qsort(all, n, sizeof(double), cmp);
	printf("{\"connections\":%ld,\"errors\":%ld,\"misrouted\":%ld,\"seconds\":%.3f,"
	       "\"rate\":%.1f,\"mbs\":%.2f,\"p50_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,\"errors_by_step\":{",
	       n, errors, misrouted, elapsed, n / elapsed, bytes / elapsed / 1e6,
	       n ? all[n / 2] : 0, n ? all[n * 99 / 100] : 0, n ? all[n * 999 / 1000] : 0);
	for (int k = ONE_ERR_CONNECT; k < ONE_MAX; k++)
		printf("%s\"%s\":%ld", k == ONE_ERR_CONNECT ? "" : ",", err_names[k], by_step[k]);
	printf("}}\n");
	return errors || misrouted ? 1 : 0;
}
