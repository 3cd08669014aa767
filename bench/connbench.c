// SPDX-License-Identifier: GPL-2.0
/*
 * connbench: new TLS connections, one short HTTP/1.1 request each, from C
 * threads in parallel; the client closes first (as browsers do), so the
 * server side keeps no TIME_WAIT that a reused client port could meet.
 *
 *   connbench -a IP -p PORT -s SNI [-c CONCURRENCY] [-n CONNECTIONS] [-t SECONDS]
 *             [-A BYTES] [-e TEXT] [-g PATH] [-H SECONDS]
 *   connbench -a IP -p PORT -R FILE [-c CONCURRENCY] [-n CONNECTIONS] [-t SECONDS] [-e TEXT]
 *   connbench -R FILE -T IP,PORT[,FILE] -T ... [-B BLOCK] [-c ...] [-n ...] [-t ...] [-e ...]
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
 * -T: router-bound, several targets in turn (each with its own FILE, -R's
 *     by default): BLOCK connections (-B, 1000 by default) to the first,
 *     then BLOCK to the next, ..., every other round in reverse order, until
 *     each has had CONNECTIONS; every thread waits for the others at each
 *     block's end. A target's rate is its connections over the time of its
 *     own blocks: targets compared this way share the machine's every
 *     second, where runs one after another share none of its sub-second
 *     swings (seen here: ±10 % between runs of the same target 1 s apart).
 *     One JSON line per target, in -T's order.
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

/* Where connections go: -a/-p, or each -T. */
struct target {
	struct sockaddr_storage sa;
	socklen_t len;
	unsigned char *hello;   /* -R: the bytes sent instead of a handshake */
	size_t hello_len;
	double seconds;         /* the time of its blocks */
	double *block_rate;     /* connections a second in each of its blocks */
};
#define MAX_TARGETS 16
#define WARM_UP 4               /* -T: connections per thread and target first */
static struct target targets[MAX_TARGETS];
static int ntargets;
static long block_conns = 1000, rounds = 1;
static pthread_barrier_t block_start, block_end;
static const char *sni = "localhost";
static long per_thread = 1000;
static double max_seconds = 60;
static SSL_CTX *ctx;
static double t_start;
static const char *expect_text, *get_path = "/";
static double hold_seconds;
static unsigned char *raw_hello;    /* -R */
static size_t raw_len;

/* Errors by the step that failed, so that a router's failures can be told
 * apart (refused connect, handshake cut, response cut). */
enum { ONE_OK, ONE_MISROUTED, ONE_ERR_CONNECT, ONE_ERR_HANDSHAKE, ONE_ERR_RESPONSE, ONE_MAX };
static const char *const err_names[ONE_MAX] = {
	[ONE_ERR_CONNECT] = "connect", [ONE_ERR_HANDSHAKE] = "handshake",
	[ONE_ERR_RESPONSE] = "response",
};

/* One thread's count for one target. */
struct tally {
	long done, errors, misrouted, by_step[ONE_MAX];
	long long body_bytes;
	double *lat;            /* handshake latencies, us */
};

struct worker {
	pthread_t th;
	struct tally t[MAX_TARGETS];
	double (*span)[3];      /* per block: this thread's start, end, connections */
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
static int dial(const struct target *t)
{
	int fd = socket(t->sa.ss_family, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (const struct sockaddr *)&t->sa, t->len)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One connection: connect, handshake, GET, read the whole response. */
static int one_tls(const struct target *t, double *lat_us, long long *body)
{
	char req[512], buf[16384];
	double t0 = now();
	int fd, len, rc = ONE_ERR_CONNECT;
	SSL *ssl;

	if ((fd = dial(t)) < 0)
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
static int one_raw(const struct target *t, double *lat_us, long long *body)
{
	char buf[4096];
	double t0 = now();
	int fd, got = 0, rc = ONE_ERR_CONNECT;
	ssize_t n;

	if ((fd = dial(t)) < 0)
		return rc;
	rc = ONE_ERR_HANDSHAKE;   /* the router's step: the hello taken and passed on */
	if (write(fd, t->hello, t->hello_len) != (ssize_t)t->hello_len)
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

static int one(const struct target *t, double *lat_us, long long *body)
{
	return t->hello ? one_raw(t, lat_us, body) : one_tls(t, lat_us, body);
}

/* FILE's bytes, whole, for -R and -T. */
static int load_raw(const char *path, unsigned char **bytes, size_t *bytes_len)
{
	FILE *f = fopen(path, "rb");
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET))
		goto bad;
	*bytes = malloc(len);
	if (!*bytes || fread(*bytes, 1, len, f) != (size_t)len)
		goto bad;
	*bytes_len = len;
	fclose(f);
	return 0;
bad:
	fprintf(stderr, "connbench: cannot read %s\n", path);
	if (f)
		fclose(f);
	return -1;
}

/* One block: this thread's share of connections to target t. */
static void run_block(struct tally *w, const struct target *t, long count)
{
	for (long i = 0; i < count && now() - t_start < max_seconds; i++) {
		double lat;
		int rc = one(t, &lat, &w->body_bytes);

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
}

/* A few connections per thread to each target, not counted: a thread's
 * first connections (its stack, the first of each path's kernel state) are
 * not the first target's alone. */
static void warm_up(void)
{
	double lat[WARM_UP];
	struct tally scratch;

	for (int k = 0; k < ntargets; k++) {
		memset(&scratch, 0, sizeof(scratch));
		scratch.lat = lat;
		pthread_barrier_wait(&block_start);
		run_block(&scratch, &targets[k], WARM_UP);
		pthread_barrier_wait(&block_end);
	}
}

/* The target of round r's k-th block: every other round in reverse. */
static int block_target(long r, int k)
{
	return r % 2 ? ntargets - 1 - k : k;
}

/* Every round, a block per target; no thread starts a block before every
 * thread has ended the one before. Each thread notes when it started and
 * ended each block: a block lasts from its first start to its last end
 * (a time read by one thread after a barrier would add that thread's wait
 * for a CPU, milliseconds with 32 threads on one). */
static void *run(void *arg)
{
	struct worker *w = arg;

	if (ntargets > 1)
		warm_up();
	for (long r = 0; r < rounds; r++) {
		for (int k = 0; k < ntargets; k++) {
			int ti = block_target(r, k);
			double *span = w->span[r * ntargets + k];
			long done = w->t[ti].done;

			pthread_barrier_wait(&block_start);
			span[0] = now();
			run_block(&w->t[ti], &targets[ti], per_thread);
			span[1] = now();
			span[2] = w->t[ti].done - done;
			pthread_barrier_wait(&block_end);
		}
	}
	return NULL;
}

/* Each target's seconds (the sum of its blocks' spans over all threads)
 * and each block's rate (round by round: a target's block r ran beside
 * every other target's block r). */
static void time_blocks(struct worker *w, int conc)
{
	for (long b = 0; b < rounds * ntargets; b++) {
		double start = w[0].span[b][0], end = w[0].span[b][1], done = 0;
		struct target *t = &targets[block_target(b / ntargets, b % ntargets)];

		for (int i = 0; i < conc; i++) {
			start = w[i].span[b][0] < start ? w[i].span[b][0] : start;
			end = w[i].span[b][1] > end ? w[i].span[b][1] : end;
			done += w[i].span[b][2];
		}
		t->seconds += end - start;
		t->block_rate[b / ntargets] = end > start ? done / (end - start) : 0;
	}
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* IP and PORT as a socket address in t; -1 on a bad address. */
static int set_addr(struct target *t, const char *addr, int port)
{
	struct sockaddr_in *in = (struct sockaddr_in *)&t->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&t->sa;

	memset(&t->sa, 0, sizeof(t->sa));
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		t->len = sizeof(*in);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		t->len = sizeof(*in6);
	} else {
		fprintf(stderr, "connbench: bad address %s\n", addr);
		return -1;
	}
	return 0;
}

/* -T IP,PORT[,FILE]: one more target. */
static int add_target(char *spec)
{
	char *addr = strtok(spec, ","), *port = strtok(NULL, ","), *file = strtok(NULL, "");
	struct target *t = &targets[ntargets];

	if (ntargets == MAX_TARGETS || !addr || !port) {
		fprintf(stderr, "connbench: -T IP,PORT[,FILE], at most %d\n", MAX_TARGETS);
		return -1;
	}
	if (set_addr(t, addr, atoi(port)) || (file && load_raw(file, &t->hello, &t->hello_len)))
		return -1;
	ntargets++;
	return 0;
}

/* SSL_CTX for the TLS mode; -A pads its ClientHello. */
static int make_ctx(int alpn_pad)
{
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
			return -1;
		}
		free(list);
	}
	return 0;
}

/* Target ti's JSON line, from every thread's tally; its error count. */
static long report(struct worker *w, int conc, int ti)
{
	long n = 0, errors = 0, misrouted = 0, by_step[ONE_MAX] = {0};
	long long bytes = 0;
	double *all = calloc(per_thread * rounds * conc, sizeof(double));
	double secs = targets[ti].seconds;

	for (int i = 0; i < conc; i++) {
		struct tally *t = &w[i].t[ti];

		memcpy(all + n, t->lat, t->done * sizeof(double));
		n += t->done;
		errors += t->errors;
		misrouted += t->misrouted;
		bytes += t->body_bytes;
		for (int k = 0; k < ONE_MAX; k++)
			by_step[k] += t->by_step[k];
	}
	qsort(all, n, sizeof(double), cmp);
	printf("{\"connections\":%ld,\"errors\":%ld,\"misrouted\":%ld,\"seconds\":%.3f,"
	       "\"rate\":%.1f,\"mbs\":%.2f,\"p50_us\":%.0f,\"p99_us\":%.0f,\"p999_us\":%.0f,\"max_us\":%.0f,"
	       "\"errors_by_step\":{",
	       n, errors, misrouted, secs, n / secs, bytes / secs / 1e6,
	       n ? all[n / 2] : 0, n ? all[n * 99 / 100] : 0, n ? all[n * 999 / 1000] : 0,
	       n ? all[n - 1] : 0);
	for (int k = ONE_ERR_CONNECT; k < ONE_MAX; k++)
		printf("%s\"%s\":%ld", k == ONE_ERR_CONNECT ? "" : ",", err_names[k], by_step[k]);
	printf("}");
	if (ntargets > 1)
		for (long r = 0; r < rounds; r++)
			printf("%s%.1f", r ? "," : ",\"block_rates\":[", targets[ti].block_rate[r]);
	printf("%s}\n", ntargets > 1 ? "]" : "");
	free(all);
	return errors + misrouted;
}

int main(int argc, char **argv)
{
	const char *addr = "127.0.0.1";
	int port = 443, conc = 1, alpn_pad = 0, c;
	long total = 1000, bad = 0;
	struct worker *w;

	while ((c = getopt(argc, argv, "a:p:s:c:n:t:A:e:g:H:R:T:B:")) != -1) {
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
			if (load_raw(optarg, &raw_hello, &raw_len))
				return 2;
			break;
		case 'T':
			if (add_target(optarg))
				return 2;
			break;
		case 'B': block_conns = atol(optarg); break;
		default:
			fprintf(stderr, "usage: connbench -a IP -p PORT -s SNI [-c N] [-n N] [-t S] [-A B] "
				"[-e TEXT] [-g PATH] [-H S] [-R FILE] [-T IP,PORT[,FILE]]... [-B N]\n");
			return 2;
		}
	}
	if (conc < 1 || total < 1 || block_conns < 1) {
		fprintf(stderr, "connbench: -c, -n and -B take a positive count\n");
		return 2;
	}
	if (ntargets == 0 && set_addr(&targets[ntargets++], addr, port))   /* -a/-p */
		return 2;
	if (ntargets == 1)      /* one target: one block */
		block_conns = total;
	for (int i = 0; i < ntargets; i++) {
		if (!targets[i].hello) {
			targets[i].hello = raw_hello;
			targets[i].hello_len = raw_len;
		}
		if (ntargets > 1 && !targets[i].hello) {
			fprintf(stderr, "connbench: -T is router-bound: it needs a FILE (its own or -R's)\n");
			return 2;
		}
	}
	if (make_ctx(alpn_pad))
		return 2;
	per_thread = (block_conns + conc - 1) / conc;
	rounds = (total + per_thread * conc - 1) / (per_thread * conc);
	pthread_barrier_init(&block_start, NULL, conc);
	pthread_barrier_init(&block_end, NULL, conc);
	w = calloc(conc, sizeof(*w));
	for (int i = 0; i < conc; i++) {
		w[i].span = calloc(rounds * ntargets, sizeof(*w[i].span));
		for (int k = 0; k < ntargets; k++)
			w[i].t[k].lat = calloc(per_thread * rounds, sizeof(double));
	}
	for (int k = 0; k < ntargets; k++)
		targets[k].block_rate = calloc(rounds, sizeof(double));
	t_start = now();
	for (int i = 0; i < conc; i++)
		pthread_create(&w[i].th, NULL, run, &w[i]);
	for (int i = 0; i < conc; i++)
		pthread_join(w[i].th, NULL);
	time_blocks(w, conc);
	for (int k = 0; k < ntargets; k++)
		bad += report(w, conc, k);
	return bad ? 1 : 0;
}
