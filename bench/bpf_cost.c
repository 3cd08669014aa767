// SPDX-License-Identifier: GPL-2.0
/*
 * make bench-bpf: the TC program's run time per packet class, measured with
 * BPF_PROG_TEST_RUN on private maps in a network namespace of its own (the
 * running ksteer, if any, is not touched).
 *
 * A packet the program leaves as it is runs `repeat` times in the kernel
 * and the kernel's average is taken; one it rewrites (a SYN becomes our
 * SYN-ACK) or that creates state (a spoofed segment) is sent afresh each
 * time, and the runs are averaged here. "inactive" is the program with
 * routing off: what the test harness itself costs, so that the others can
 * be read as that much more. Output: a table, and JSON on the last line.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ksteer.h"
#include "pkt.h"
#include "steer_tc.skel.h"

#define REPEAT 200000       /* runs of a packet left as it is */
#define FRESH 20000         /* single runs of one that changes */

static struct steer_tc *skel;

static const struct flow F = { .src = { 198, 18, 0, 2 }, .dst = { 198, 18, 0, 1 },
			       .sport = 40000, .dport = 443 };

/* Nanoseconds per run of p: the kernel's average over `repeat` runs. */
static double run_ns(const struct pkt *p, int repeat)
{
	static struct pkt out;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = p->b, .data_size_in = p->n,
		    .data_out = out.b, .data_size_out = sizeof(out.b), .repeat = repeat);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ksteer_tc), &o)) {
		fprintf(stderr, "bpf_cost: test_run: %s\n", strerror(errno));
		exit(1);
	}
	return o.duration;
}

/* SYN-ACK cookie for a SYN of flow f with ISN isn. */
static uint32_t cookie_for(const struct flow *f, uint32_t isn)
{
	static struct pkt in, out;
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in.b, .data_out = out.b,
		    .data_size_out = sizeof(out.b), .repeat = 1);

	tcp_build(&in, f, TCP_SEG(.seq = isn, .flags = TCP_F_SYN));
	o.data_size_in = in.n;
	bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ksteer_tc), &o);
	out.n = o.data_size_out;
	locate(&out);
	return tcp_seq(&out);
}

/* A listener on the public address, backend 1's (the ClientHello class
 * reaches the kfunc, which refuses under BPF_PROG_TEST_RUN: the packet is
 * dropped unchanged), and a connection to it over lo from the client's
 * address, so that segments of that 4-tuple find an established socket. */
static int established(uint16_t sport)
{
	struct sockaddr_in c = { .sin_family = AF_INET, .sin_port = htons(sport) },
			   d = { .sin_family = AF_INET, .sin_port = htons(443) };
	int l = socket(AF_INET, SOCK_STREAM, 0), cl = socket(AF_INET, SOCK_STREAM, 0);
	struct ks_slot slot = { 1, 0 };

	inet_pton(AF_INET, "198.18.0.2", &c.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &d.sin_addr);
	if (bind(l, (void *)&d, sizeof(d)) || listen(l, 4) || bind(cl, (void *)&c, sizeof(c)) ||
	    connect(cl, (void *)&d, sizeof(d)) ||
	    ks_listener_put(bpf_map__fd(skel->maps.ks_listeners), bpf_map__fd(skel->maps.ks_slot_used),
			    &slot, l, BPF_ANY))
		return -1;
	return accept(l, NULL, NULL);
}

static void setup(void)
{
	struct ks_config cfg = { .ports = { htons(443), htons(80) }, .flags = KS_CFG_ACTIVE,
				 .abi = KS_ABI_VERSION, .http_ports = 1 << 1,
				 .pub4 = { htonl(0xc6120001) } };
	struct ks_addr pub = { .family = AF_INET, .addr = { 198, 18, 0, 1 } };
	struct ks_backend_info bi = { .name = "a", .flags = KS_BE_IN_USE };
	struct ks_route_key k;
	struct ks_route_val v = { .backend = 1, .flags = KS_RT_PLAIN };
	struct ks_cookie_keys keys = { .key = { 0x0123456789abcdefULL, 42 } };
	struct bpf_map *m;
	__u32 zero = 0, one = 1;

	if (unshare(CLONE_NEWNET) ||
	    system("ip link set lo up && ip addr add 198.18.0.1/32 dev lo && "
		   "ip addr add 198.18.0.2/32 dev lo")) {
		fprintf(stderr, "bpf_cost: a namespace of its own: %s\n", strerror(errno));
		exit(1);
	}
	skel = steer_tc__open();
	if (!skel)
		exit(1);
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);
	ks_size_cpu_maps(skel->obj);
	if (steer_tc__load(skel)) {
		fprintf(stderr, "bpf_cost: load: %s\n", strerror(errno));
		exit(1);
	}
	ks_reasm_pool_fill(skel->obj);
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_config), &zero, &cfg, BPF_ANY);
	ks_keys_publish(bpf_map__fd(skel->maps.ks_keys), &keys);
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_public), &pub, &one, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_backend_info), &one, &bi, BPF_ANY);
	ks_route_key_from_host("a.example", &k);
	v.prefixlen = k.prefixlen;
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_routes), &k, &v, BPF_ANY);
	/* Port 80 plain HTTP: a.example there too; SSH on 443, to the same. */
	ks_route_key_in("a.example", KS_SPACE_HTTP(80), &k);
	v.prefixlen = k.prefixlen;
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_routes), &k, &v, BPF_ANY);
	ks_route_key_in("default", KS_SPACE_SSH, &k);
	v.prefixlen = k.prefixlen;
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_routes), &k, &v, BPF_ANY);
}

static int drop_event(void *ctx, void *data, size_t size)
{
	return 0;
}

/* Mean ns of runs of p while a monitor holds the lease, its ring read
 * after each run (as `ksteer monitor` keeps up). */
static double monitored_ns(const struct pkt *p, int runs)
{
	struct ks_monitor m = { .lease_ns = ~0ULL, .sample = 1, .pid = getpid() }, off = { 0 };
	struct ring_buffer *rb = ring_buffer__new(bpf_map__fd(skel->maps.ks_events), drop_event,
						  NULL, NULL);
	__u32 zero = 0;
	double sum = 0;

	if (!rb)
		return -1;
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_monitor), &zero, &m, BPF_ANY);
	for (int i = 0; i < runs; i++) {
		sum += run_ns(p, 1);
		ring_buffer__consume(rb);
	}
	bpf_map_update_elem(bpf_map__fd(skel->maps.ks_monitor), &zero, &off, BPF_ANY);
	ring_buffer__free(rb);
	return sum / runs;
}

struct result {
	const char *name, *what;
	double ns;
};

/*
 * QUIC (up --quic): a UDP server socket on the public address:443 as
 * backend 1's first IPv4 UDP slot (in ks_listeners and ks_quic_sk, as
 * registration puts it), a server CID of 8 bytes it chose
 * (ks_quic_scids, as TC egress learns it) and, for the established
 * classes, the client's pair it answers (ks_quic_paths). bpf_sk_assign
 * refuses under BPF_PROG_TEST_RUN (no socket lookup there): the datagram
 * is counted and dropped after the lookups, so the class costs what a
 * real one does but for the assignment itself.
 */
static const uint8_t QCID[8] = { 0xb0, 0xb0, 0xb0, 0xb0, 0xc0, 0xff, 0xee, 0x01 };

static int quic_setup(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct ks_slot slot = { 1, KS_UDP_SLOT(KS_UDP_V4, 0) };
	struct ks_cid c = { .len = sizeof(QCID) };
	struct ks_quic_owner o = { slot, 0 };
	struct ks_flow pair = { .sport = htons(F.sport), .dport = htons(443) };
	struct ks_config cfg;
	__u32 zero = 0, lens = 1u << sizeof(QCID), index = KS_UDP_INDEX(slot.backend, slot.slot);
	__u64 fd, cookie;
	socklen_t cl = sizeof(cookie);
	int u = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, "198.18.0.1", &a.sin_addr);
	if (u < 0 || bind(u, (void *)&a, sizeof(a)) ||
	    getsockopt(u, SOL_SOCKET, SO_COOKIE, &cookie, &cl))
		return -1;
	fd = u;
	memcpy(c.id, QCID, sizeof(QCID));
	memcpy(pair.saddr, F.src, 4);
	memcpy(pair.daddr, F.dst, 4);
	bpf_map_lookup_elem(bpf_map__fd(skel->maps.ks_config), &zero, &cfg);
	cfg.flags |= KS_CFG_QUIC;
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.ks_config), &zero, &cfg, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.ks_listeners), &slot, &fd, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.ks_quic_sk), &index, &fd, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.ks_quic_socks), &cookie, &slot, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.ks_quic_scids), &c, &o, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.ks_quic_cid_lens), &zero, &lens, BPF_ANY) ||
	    bpf_map_update_elem(bpf_map__fd(skel->maps.ks_quic_paths), &pair, &o, BPF_ANY))
		return -1;
	return u;
}

/* The QUIC classes, into r from n; the new n. */
static int quic_classes(struct result *r, int n)
{
	uint8_t d[64];
	struct flow f = F;
	struct pkt p;

	if (quic_setup() < 0) {
		fprintf(stderr, "bpf_cost: QUIC setup: %s\n", strerror(errno));
		exit(1);
	}
	memset(d, 0, sizeof(d));
	d[0] = 0x40;                              /* short header, fixed bit */
	memcpy(d + 1, QCID, sizeof(QCID));
	udp_build(&p, &f, d, sizeof(d));
	r[n++] = (struct result){ "quic_short", "QUIC short header, known CID and pair (64 B)",
				  run_ns(&p, REPEAT) };
	f.sport = 45000;                          /* a pair no server answered yet */
	udp_build(&p, &f, d, sizeof(d));
	r[n++] = (struct result){ "quic_short_newpair",
				  "the same from a pair not answered yet (make bench-quic's)",
				  run_ns(&p, REPEAT) };
	f = F;
	memset(d, 0, sizeof(d));
	d[0] = 0xe0;                              /* long header: Handshake, v1 */
	d[4] = 1;
	d[5] = sizeof(QCID);
	memcpy(d + 6, QCID, sizeof(QCID));
	d[14] = 8;                                /* the client's SCID */
	udp_build(&p, &f, d, sizeof(d));
	r[n++] = (struct result){ "quic_long", "QUIC long header (Handshake), known DCID",
				  run_ns(&p, REPEAT) };
	memset(d, 0, sizeof(d));                  /* fixed bit clear, no QUIC from there */
	d[0] = 0x01;
	f.sport = 46000;
	udp_build(&p, &f, d, sizeof(d));
	r[n++] = (struct result){ "udp_not_quic", "UDP to :443 that is not QUIC (passed)",
				  run_ns(&p, REPEAT) };
	return n;
}

/* Empty the reassembly tables between runs (the kfunc refuses under
 * BPF_PROG_TEST_RUN, so completed flows stay held): every entry, share and
 * chunk back. Not timed. */
static void reasm_reset(void)
{
	int fds[] = { bpf_map__fd(skel->maps.ks_reasm), bpf_map__fd(skel->maps.ks_reasm_src) };
	int q = bpf_map__fd(skel->maps.ks_reasm_free);
	uint8_t k[64], next[64];
	__u32 id;

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		while (!bpf_map_get_next_key(fds[i], NULL, next)) {
			memcpy(k, next, sizeof(k));
			bpf_map_delete_elem(fds[i], k);
		}
	while (!bpf_map_lookup_and_delete_elem(q, NULL, &id))
		;
	ks_reasm_pool_fill(skel->obj);
}

/* A browser-sized ClientHello in two segments (seg bytes + the rest, the
 * SNI in the second, as Chrome's post-quantum hellos often have it): the
 * first held (and acknowledged unless full-sized: lo's MTU decides), the
 * second completing it (rewrite, parse, route, place). Mean ns of each
 * over `runs` fresh flows. */
static void two_segments(int runs, size_t seg, double *first, double *second)
{
	static uint8_t hello[2400];
	uint8_t ext[2300];
	size_t e = pad_ext(ext, 1800), hn;
	struct flow f = F;
	struct pkt p;
	uint32_t c;

	e += sni_ext(ext + e, "a.example");
	hn = hello_record(hello, ext, e);
	*first = *second = 0;
	reasm_reset();
	for (int i = 0; i < runs; i++) {
		if (i % 500 == 499)
			reasm_reset();            /* the table holds 1024 */
		f.sport = 10000 + i % 30000;
		c = cookie_for(&f, 100000 + i);
		tcp_build(&p, &f, TCP_SEG(.seq = 100001 + i, .ack = c + 1, .flags = TCP_F_ACK,
					  .data = hello, .len = seg));
		*first += run_ns(&p, 1);
		tcp_build(&p, &f, TCP_SEG(.seq = 100001 + i + seg, .ack = c + 1,
					  .flags = TCP_F_PSH | TCP_F_ACK, .data = hello + seg,
					  .len = hn - seg));
		*second += run_ns(&p, 1);
	}
	*first /= runs;
	*second /= runs;
	reasm_reset();
}

/* The same hello with the SNI first (Chrome's shuffled order puts it in
 * the first segment about as often): placed on the first segment. Mean ns
 * over `runs` fresh flows. */
static double two_segments_named(int runs)
{
	static uint8_t hello[2400];
	uint8_t ext[2300];
	size_t e = sni_ext(ext, "a.example");
	struct flow f = F;
	struct pkt p;
	double sum = 0;

	e += pad_ext(ext + e, 1800);
	hello_record(hello, ext, e);
	for (int i = 0; i < runs; i++) {
		f.sport = 10000 + i % 30000;
		tcp_build(&p, &f, TCP_SEG(.seq = 100001 + i, .ack = cookie_for(&f, 100000 + i) + 1,
					  .flags = TCP_F_ACK, .data = hello, .len = 1448));
		sum += run_ns(&p, 1);
	}
	return sum / runs;
}

/* A SYN with the given options, answered with a cookie SYN-ACK (Linux's
 * are as long as ours: the reply keeps the SYN's length). Mean ns over
 * FRESH fresh 4-tuples. */
static double syn_ns(const uint8_t *opts, size_t optlen)
{
	struct flow f = F;
	struct pkt p;
	double sum = 0;

	for (int i = 0; i < FRESH; i++) {
		f.sport = 43000 + i % 20000;
		tcp_build(&p, &f, TCP_SEG(.seq = 7000 + i, .flags = TCP_F_SYN, .opts = opts,
					  .optlen = optlen));
		sum += run_ns(&p, 1);
	}
	return sum / FRESH;
}

/* A 16 KB ClientHello (16388 B) in 1-byte records, the SNI last: 98 KB
 * of records in 68 segments of 1448 B from a client with SACK and window
 * scaling, every one held and acknowledged, the last completing it (the
 * record walk, the whole parse once, the rewrite, placed). The BPF time of
 * all 68, mean over `runs` fresh flows: what bounds the cost of the
 * longest hello the kernel routes. */
static double one_byte_records(int runs)
{
	static const uint8_t opts[12] = { 2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7 };
	static uint8_t rec[16400], wire[16388 * 6], ext[16400];
	static struct pkt in, out;
	size_t e, w = 0, base;
	struct flow f = F;
	struct pkt p;
	double sum = 0;

	base = hello_record(rec, ext, pad_ext(ext, 0) + sni_ext(ext + 4, "a.example"));
	e = pad_ext(ext, 16388 + 5 - base);
	e += sni_ext(ext + e, "a.example");
	hello_record(rec, ext, e);
	for (size_t i = 5; i < 16388 + 5; i++) {
		wire[w++] = 22; wire[w++] = 3; wire[w++] = 1; wire[w++] = 0; wire[w++] = 1;
		wire[w++] = rec[i];
	}
	reasm_reset();
	for (int i = 0; i < runs; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = in.b, .data_out = out.b,
			    .data_size_out = sizeof(out.b), .repeat = 1);
		uint32_t isn = 300000 + 1000000 * i, c;

		f.sport = 50000 + i;
		tcp_build(&in, &f, TCP_SEG(.seq = isn, .flags = TCP_F_SYN, .opts = opts,
					   .optlen = sizeof(opts)));
		o.data_size_in = in.n;
		bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ksteer_tc), &o);
		out.n = o.data_size_out;
		locate(&out);
		c = tcp_seq(&out);
		for (size_t off = 0; off < w; off += 1448) {
			tcp_build(&p, &f, TCP_SEG(.seq = isn + 1 + off, .ack = c + 1, .flags = TCP_F_ACK,
						  .data = wire + off, .len = w - off < 1448 ? w - off : 1448));
			sum += run_ns(&p, 1);
		}
		/* Held still (the kfunc refuses here), 68 chunks each: a few
		 * would fill the client /24's share of 256. */
		reasm_reset();
	}
	reasm_reset();
	return sum / runs;
}

int main(void)
{
	struct result r[27];
	struct pkt p;
	struct flow f = F;
	uint8_t hello[600];
	size_t hn = client_hello(hello, "a.example", NULL);
	int n = 0, conn;
	uint32_t c;
	double sum;

	if (geteuid())
		return fprintf(stderr, "bpf_cost: needs root (BPF_PROG_TEST_RUN)\n"), 1;
	setup();

	tcp_build(&p, &f, TCP_SEG(.seq = 1000, .flags = TCP_F_SYN));
	{
		struct ks_config off = { .ports = { htons(443) }, .abi = KS_ABI_VERSION };
		__u32 zero = 0;
		struct ks_config on;

		bpf_map_lookup_elem(bpf_map__fd(skel->maps.ks_config), &zero, &on);
		bpf_map_update_elem(bpf_map__fd(skel->maps.ks_config), &zero, &off, BPF_ANY);
		r[n++] = (struct result){ "inactive", "routing off: the harness itself",
					  run_ns(&p, REPEAT) };
		bpf_map_update_elem(bpf_map__fd(skel->maps.ks_config), &zero, &on, BPF_ANY);
	}
	f.dst[3] = 3;                             /* 198.18.0.3: another local address */
	tcp_build(&p, &f, TCP_SEG(.seq = 1000, .ack = 1, .flags = TCP_F_ACK));
	r[n++] = (struct result){ "other_address", "TCP to another address's :443", run_ns(&p, REPEAT) };
	f = F;
	f.dport = 8443;
	tcp_build(&p, &f, TCP_SEG(.seq = 1000, .ack = 1, .flags = TCP_F_ACK));
	r[n++] = (struct result){ "other_port", "TCP to the public address, another port",
				  run_ns(&p, REPEAT) };

	conn = established(41000);
	f = F;
	f.sport = 41000;
	tcp_build(&p, &f, TCP_SEG(.seq = 1000, .ack = 1, .flags = TCP_F_ACK,
				  .data = (const uint8_t *)"data", .len = 4));
	r[n++] = (struct result){ "established", "a segment of an established connection",
				  conn < 0 ? -1 : run_ns(&p, REPEAT) };

	f = F;
	f.sport = 42000;
	c = cookie_for(&f, 5000);
	tcp_build(&p, &f, TCP_SEG(.seq = 5001, .ack = c + 1, .flags = TCP_F_ACK));
	r[n++] = (struct result){ "bare_ack", "bare ACK with our cookie (dropped)", run_ns(&p, REPEAT) };
	tcp_build(&p, &f, TCP_SEG(.seq = 5001, .ack = c + 1,
				  .flags = TCP_F_PSH | TCP_F_ACK, .data = hello, .len = hn));
	r[n++] = (struct result){ "hello_one_segment", "one-segment ClientHello, routed and placed",
				  run_ns(&p, REPEAT) };
	r[n++] = (struct result){ "hello_monitored",
				  "the same while `ksteer monitor` reads each decision",
				  monitored_ns(&p, FRESH) };
	{
		/* curl's request, as port 80 sees it; an SSH client's ident on 443. */
		static const char get[] = "GET /.well-known/acme-challenge/x HTTP/1.1\r\n"
					  "Host: a.example\r\nUser-Agent: curl/7.88.1\r\n"
					  "Accept: */*\r\n\r\n";
		static const char ssh[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";

		f = F;
		f.sport = 42001;
		f.dport = 80;
		c = cookie_for(&f, 6000);
		tcp_build(&p, &f, TCP_SEG(.seq = 6001, .ack = c + 1, .flags = TCP_F_PSH | TCP_F_ACK,
					  .data = (const uint8_t *)get, .len = sizeof(get) - 1));
		r[n++] = (struct result){ "http_one_segment",
					  "plain-HTTP request on port 80, routed by Host and placed",
					  run_ns(&p, REPEAT) };
		f.sport = 42002;
		f.dport = 443;
		c = cookie_for(&f, 6500);
		tcp_build(&p, &f, TCP_SEG(.seq = 6501, .ack = c + 1, .flags = TCP_F_PSH | TCP_F_ACK,
					  .data = (const uint8_t *)ssh, .len = sizeof(ssh) - 1));
		r[n++] = (struct result){ "ssh_one_segment", "SSH identification on 443, to the SSH route",
					  run_ns(&p, REPEAT) };
		f = F;
	}

	/* These change the packet or the maps: a fresh one each run. */
	r[n++] = (struct result){ "syn", "SYN, answered with a cookie", syn_ns(NULL, 0) };
	r[n++] = (struct result){ "syn_options", "SYN with Linux's options, answered with a cookie",
				  syn_ns(linux_syn, sizeof(linux_syn)) };
	sum = 0;
	for (int i = 0; i < FRESH; i++) {
		f.sport = 20000 + i % 20000;
		tcp_build(&p, &f, TCP_SEG(.seq = 9000 + i, .ack = 12345,
					  .flags = TCP_F_PSH | TCP_F_ACK, .data = hello, .len = 100));
		sum += run_ns(&p, 1);
	}
	r[n++] = (struct result){ "spoofed_data", "data with no socket and a bad cookie",
				  sum / FRESH };

	n = quic_classes(r, n);
	{
		double first, second;

		two_segments(FRESH / 4, 1448, &first, &second);
		r[n++] = (struct result){ "hello_held", "first of a 2-segment ClientHello: held, ACKed",
					  first };
		r[n++] = (struct result){ "hello_completed",
					  "second of the two: rewritten with the whole hello, placed", second };
		/* On an Ethernet MTU a 1460-byte segment (no options) is
		 * full-sized: held without an ACK (the client sends on). */
		if (system("ip link set lo mtu 1500"))
			exit(1);
		two_segments(FRESH / 4, 1460, &first, &second);
		if (system("ip link set lo mtu 65536"))
			exit(1);
		r[n++] = (struct result){ "hello_held_full",
					  "first of two, full-sized (MTU 1500): held, no ACK", first };
		r[n++] = (struct result){ "hello_completed_full",
					  "second of those: rewritten, placed", second };
		r[n++] = (struct result){ "hello_partial",
					  "first of a 2-segment ClientHello holding its SNI: placed on it",
					  two_segments_named(FRESH / 4) };
		r[n++] = (struct result){ "hello_1byte_16k",
					  "all 68 segments of a 16 KB hello in 1-byte records, SNI last",
					  one_byte_records(40) };
	}
	printf("%-18s %8s  %s\n", "class", "ns", "packet");
	for (int i = 0; i < n; i++)
		printf("%-18s %8.0f  %s\n", r[i].name, r[i].ns, r[i].what);
	printf("{");
	for (int i = 0; i < n; i++)
		printf("%s\"%s\":%.0f", i ? "," : "", r[i].name, r[i].ns);
	printf("}\n");
	close(conn);
	steer_tc__destroy(skel);
	return 0;
}
