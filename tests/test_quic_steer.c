// SPDX-License-Identifier: GPL-2.0
/*
 * BPF_PROG_TEST_RUN fixtures for QUIC steering: a datagram in, the verdict,
 * and which counter moved (TC ingress); a server's packet out, what was
 * learned (TC egress). The two programs share one set of private maps.
 *
 *   not QUIC (too short, impossible CID lengths, STUN, fixed bit clear)
 *                                          -> passed untouched, udp_not_quic
 *   Initial, unknown DCID                    -> ksteerd's socket / dropped
 *   long or short header, learned CID        -> by_cid
 *   short header, QUIC-LB server ID          -> by_lb
 *   short header, unknown CID, known pair    -> by_peer
 *   ... new port, the address's only server  -> by_client_address, pair kept
 *   ... new port, address on two servers     -> ksteerd
 *   CID of a socket that is gone             -> ksteerd, quic_socket_gone
 *   server Initial from an unknown socket    -> nothing learned
 *   UDP to another port, QUIC off            -> passed untouched
 *
 * bpf_sk_assign refuses every socket under BPF_PROG_TEST_RUN (no ingress
 * device), so a steered datagram shows here as its decision counter plus
 * quic_assign_error; tests/test_quic_e2e.sh sees it delivered. Learning
 * at egress needs a registered socket's cookie, and TEST_RUN gives each
 * run a fresh socket: the e2e test checks what is learned.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "hello.h"
#include "check.h"
#include "ksteer.h"
#include "steer_tc.skel.h"
#include "steer_tc_egress.skel.h"

#define TC_ACT_UNSPEC (-1)                /* passed on: the next tc filter runs */
#define TC_ACT_SHOT 2
#define QB 3                        /* the QUIC backend's id */

static struct steer_tc *tc;
static struct steer_tc_egress *eg;

static const uint8_t CLI[4] = { 198, 18, 0, 2 }, SRV[4] = { 198, 18, 0, 1 };
static const uint8_t CID8[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

/* Ethernet + IPv4 + UDP around payload, from src:sport to dst:dport. */
static size_t udp4(uint8_t *b, const uint8_t *src, uint16_t sport, const uint8_t *dst,
		   uint16_t dport, const uint8_t *payload, size_t len)
{
	memset(b, 0, 42);
	b[12] = 0x08;
	b[14] = 0x45;
	b[16] = (28 + len) >> 8;
	b[17] = 28 + len;
	b[22] = 64;
	b[23] = 17;
	memcpy(b + 26, src, 4);
	memcpy(b + 30, dst, 4);
	b[34] = sport >> 8; b[35] = sport;
	b[36] = dport >> 8; b[37] = dport;
	b[38] = (8 + len) >> 8; b[39] = 8 + len;
	memcpy(b + 42, payload, len);
	return 42 + len;
}

static int run_prog(int prog, const uint8_t *b, size_t n)
{
	uint8_t out[2048];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = b, .data_size_in = n, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &o)) {
		printf("FAIL - test_run: %s\n", strerror(errno));
		failed++;
		return -1;
	}
	return o.retval;
}

/* A client datagram to 198.18.0.1:443 through TC ingress; the verdict. */
static int ingress(const uint8_t *payload, size_t len, uint16_t dport)
{
	uint8_t b[2048];

	return run_prog(bpf_program__fd(tc->progs.ksteer_tc), b,
			udp4(b, CLI, 50000, SRV, dport, payload, len));
}

static int egress(const uint8_t *payload, size_t len)
{
	uint8_t b[2048];

	return run_prog(bpf_program__fd(eg->progs.ksteer_tc_egress), b,
			udp4(b, SRV, 443, CLI, 50000, payload, len));
}

static uint64_t stat(int id)
{
	return ks_stat_sum(bpf_map__fd(tc->maps.ks_stats), id);
}

/* A long-header packet: type byte, version, DCID, SCID, padded to n. */
static size_t long_pkt(uint8_t *p, uint32_t version, const uint8_t *dcid, int dl,
		       const uint8_t *scid, int sl, size_t n)
{
	size_t o = 0;

	memset(p, 0, n);
	p[o++] = 0xc3;
	p[o++] = version >> 24; p[o++] = version >> 16; p[o++] = version >> 8; p[o++] = version;
	p[o++] = dl;
	memcpy(p + o, dcid, dl);
	o += dl;
	p[o++] = sl;
	memcpy(p + o, scid, sl);
	return n;
}

static size_t short_pkt(uint8_t *p, const uint8_t *dcid, int dl, size_t n)
{
	memset(p, 0x5a, n);
	p[0] = 0x41;
	memcpy(p + 1, dcid, dl);
	return n;
}

/* Does `map` hold key with value (QB, KS_UDP_SLOT(KS_UDP_V4, 0))? */
static int maps_to_qb(int map, const void *key)
{
	struct ks_slot v;

	return !bpf_map_lookup_elem(map, key, &v) && v.backend == QB && v.slot == KS_UDP_SLOT(KS_UDP_V4, 0);
}

static void put_sock(__u32 backend, int fd)
{
	struct ks_slot k = { backend, KS_UDP_SLOT(KS_UDP_V4, 0) };
	__u64 v = fd;

	if (fd < 0)
		bpf_map_delete_elem(bpf_map__fd(tc->maps.ks_listeners), &k);
	else if (bpf_map_update_elem(bpf_map__fd(tc->maps.ks_listeners), &k, &v, BPF_ANY))
		printf("# sockhash update: %s\n", strerror(errno));
}

static int udp_socket(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	bind(fd, (struct sockaddr *)&a, sizeof(a));
	return fd;
}

static void test_ingress(void)
{
	struct ks_cid cid = { .len = 8 };
	struct ks_slot qb = { QB, KS_UDP_SLOT(KS_UDP_V4, 0) }, gone = { QB + 1, KS_UDP_SLOT(KS_UDP_V4, 0) };
	struct ks_quic_sid sid = { .config = 1, .len = 2, .id = { 0xab, 0xcd } };
	struct ks_flow peer = { .sport = htons(50000), .dport = htons(443) };
	uint8_t p[1300], b[2048], other[8] = { 9, 9, 9, 9, 9, 9, 9, 9 };
	uint8_t lb[8] = { 1 << 5, 0xab, 0xcd, 7 };
	struct ks_flow moved;
	struct ks_slot amb = { 0, 0 };
	int srv = udp_socket(), fb = udp_socket(), v;
	uint64_t s0;
	__u32 one = 1, two = 2, lens = 1u << 8, zero = 0;

	memcpy(cid.id, CID8, 8);
	memcpy(peer.saddr, CLI, 4);
	memcpy(peer.daddr, SRV, 4);
	put_sock(QB, srv);

	/* Not QUIC: another service's datagram on the port, left to it. */
	s0 = stat(KS_ST_UDP_NOT_QUIC);
	v = ingress((uint8_t *)"\xc3\x00\x00\x00\x01", 5, 443);
	CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UDP_NOT_QUIC) == s0 + 1,
	      "5-byte datagram: not QUIC, passed untouched, counted (verdict %d)", v);
	long_pkt(p, 1, CID8, 8, NULL, 0, 40);
	p[5] = 30;                                /* DCID length past the 20 allowed */
	v = ingress(p, 40, 443);
	CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UDP_NOT_QUIC) == s0 + 2,
	      "DCID length 30: not QUIC v1, passed untouched (verdict %d)", v);
	{
		/* STUN binding request: type 0x0001, magic cookie 0x2112a442. */
		static const uint8_t stun[40] = { 0x00, 0x01, 0x00, 0x14, 0x21, 0x12, 0xa4, 0x42 };

		v = ingress(stun, sizeof(stun), 443);
		CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UDP_NOT_QUIC) == s0 + 3,
		      "STUN binding request on the port: passed untouched (verdict %d)", v);
		short_pkt(p, CID8, 8, 60);
		p[0] &= ~0x40;                    /* fixed bit clear: not a QUIC short header */
		v = ingress(p, 60, 443);
		CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UDP_NOT_QUIC) == s0 + 4,
		      "short header without the fixed bit: passed untouched (verdict %d)", v);
	}

	s0 = stat(KS_ST_QUIC_DROPPED);
	v = ingress(p, long_pkt(p, 1, other, 8, CID8, 8, 1200), 443);
	CHECK(v == TC_ACT_SHOT && stat(KS_ST_QUIC_DROPPED) == s0 + 1,
	      "Initial of an unknown connection, no ksteerd: dropped, counted (verdict %d)", v);
	put_sock(KS_FALLBACK_ID, fb);
	s0 = stat(KS_ST_QUIC_TO_FALLBACK);
	v = ingress(p, 1200, 443);
	CHECK(stat(KS_ST_QUIC_TO_FALLBACK) == s0 + 1,
	      "Initial of an unknown connection: to ksteerd's socket (verdict %d)", v);

	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_cids), &cid, &qb, BPF_ANY);
	s0 = stat(KS_ST_QUIC_BY_CID);
	v = ingress(p, long_pkt(p, 1, CID8, 8, other, 8, 1200), 443);
	CHECK(stat(KS_ST_QUIC_BY_CID) == s0 + 1,
	      "long header, learned DCID: to its server (verdict %d)", v);
	v = ingress(p, short_pkt(p, CID8, 8, 60), 443);
	CHECK(stat(KS_ST_QUIC_BY_CID) == s0 + 1,
	      "short header before any CID length was learned: not by CID");
	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_cid_lens), &zero, &lens, BPF_ANY);
	v = ingress(p, short_pkt(p, CID8, 8, 60), 443);
	CHECK(stat(KS_ST_QUIC_BY_CID) == s0 + 2,
	      "short header, learned 8-byte DCID: to its server (verdict %d)", v);

	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_lb_len), &one, &two, BPF_ANY);
	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_lb), &sid, &qb, BPF_ANY);
	s0 = stat(KS_ST_QUIC_BY_LB);
	v = ingress(p, short_pkt(p, lb, 8, 60), 443);
	CHECK(stat(KS_ST_QUIC_BY_LB) == s0 + 1,
	      "short header, QUIC-LB config 1 server ID abcd: to its server (verdict %d)", v);
	lb[2] = 0xce;
	s0 = stat(KS_ST_QUIC_TO_FALLBACK);
	v = ingress(p, short_pkt(p, lb, 8, 60), 443);
	CHECK(stat(KS_ST_QUIC_TO_FALLBACK) == s0 + 1, "unknown server ID, unknown CID: to ksteerd");

	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_peers), &peer, &qb, BPF_ANY);
	s0 = stat(KS_ST_QUIC_BY_PEER);
	v = ingress(p, short_pkt(p, lb, 8, 60), 443);
	CHECK(stat(KS_ST_QUIC_BY_PEER) == s0 + 1,
	      "short header, unknown CID from a known address pair: to its server (verdict %d)", v);
	s0 = stat(KS_ST_QUIC_TO_FALLBACK);
	v = ingress(p, long_pkt(p, 1, other, 8, CID8, 8, 1200), 443);
	CHECK(stat(KS_ST_QUIC_TO_FALLBACK) == s0 + 1,
	      "a new Initial from a known address pair: to ksteerd, not to the old server");

	/* The client moved to port 50001 with a CID we never saw. */
	bpf_map_delete_elem(bpf_map__fd(tc->maps.ks_quic_peers), &peer);
	peer.sport = 0;                           /* the client address's entry */
	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_peers), &peer, &qb, BPF_ANY);
	s0 = stat(KS_ST_QUIC_BY_HOST);
	short_pkt(p, lb, 8, 60);
	v = run_prog(bpf_program__fd(tc->progs.ksteer_tc), b,
		     udp4(b, CLI, 50001, SRV, 443, p, 60));
	moved = peer;
	moved.sport = htons(50001);
	CHECK(stat(KS_ST_QUIC_BY_HOST) == s0 + 1 &&
	      maps_to_qb(bpf_map__fd(tc->maps.ks_quic_peers), &moved),
	      "unknown CID from a new port: the client address's only server, new pair recorded");
	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_peers), &peer, &amb, BPF_ANY);
	s0 = stat(KS_ST_QUIC_TO_FALLBACK);
	v = run_prog(bpf_program__fd(tc->progs.ksteer_tc), b,
		     udp4(b, CLI, 50002, SRV, 443, p, 60));
	CHECK(stat(KS_ST_QUIC_TO_FALLBACK) == s0 + 1,
	      "unknown CID from a client address with two servers: to ksteerd, not guessed");
	/* RFC 9287: a client that negotiated grease_quic_bit clears the fixed
	 * bit at will (ngtcp2 does): from an address with QUIC connections, it
	 * is still QUIC, not another service's datagram. */
	p[0] &= ~0x40;
	v = run_prog(bpf_program__fd(tc->progs.ksteer_tc), b,
		     udp4(b, CLI, 50003, SRV, 443, p, 60));
	CHECK(stat(KS_ST_QUIC_TO_FALLBACK) == s0 + 2,
	      "greased short header (fixed bit clear) from an address with QUIC connections: to ksteerd (verdict %d)", v);
	peer.sport = htons(50000);

	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_quic_cids), &cid, &gone, BPF_ANY);
	s0 = stat(KS_ST_QUIC_STALE);
	v = ingress(p, long_pkt(p, 1, CID8, 8, other, 8, 1200), 443);
	CHECK(stat(KS_ST_QUIC_STALE) == s0 + 1,
	      "CID of a server socket that is gone: to ksteerd, counted (verdict %d)", v);

	s0 = stat(KS_ST_UDP_NOT_QUIC) + stat(KS_ST_QUIC_TO_FALLBACK);
	v = ingress((uint8_t *)"\x00\x00\x00", 3, 53);
	CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UDP_NOT_QUIC) + stat(KS_ST_QUIC_TO_FALLBACK) == s0,
	      "UDP to another port: passed untouched, nothing counted");
	{
		static const uint8_t other_srv[4] = { 198, 18, 0, 3 };

		long_pkt(p, 1, other, 8, CID8, 8, 1200);
		v = run_prog(bpf_program__fd(tc->progs.ksteer_tc), b,
			     udp4(b, CLI, 50000, other_srv, 443, p, 1200));
		CHECK(v == TC_ACT_UNSPEC && stat(KS_ST_UDP_NOT_QUIC) + stat(KS_ST_QUIC_TO_FALLBACK) == s0,
		      "a QUIC Initial to another local address's :443: passed untouched (verdict %d)", v);
	}
	put_sock(KS_FALLBACK_ID, -1);
	close(fb);
	close(srv);
}

static void test_egress(void)
{
	struct ks_slot qb = { QB, KS_UDP_SLOT(KS_UDP_V4, 0) };
	struct ks_cid scid = { .len = 18 };
	struct ks_flow peer = { .sport = htons(50000), .dport = htons(443) };
	uint8_t p[1300], s18[18], cli_cid[8] = { 7, 7, 7, 7, 7, 7, 7, 7 };
	uint64_t l0 = stat(KS_ST_QUIC_LEARNED);

	for (int i = 0; i < 18; i++)
		s18[i] = 0xa0 + i;
	memcpy(scid.id, s18, 18);
	memcpy(peer.saddr, CLI, 4);
	memcpy(peer.daddr, SRV, 4);
	egress(p, long_pkt(p, 1, cli_cid, 8, s18, 18, 1200));
	CHECK(stat(KS_ST_QUIC_LEARNED) == l0 &&
	      bpf_map_lookup_elem(bpf_map__fd(tc->maps.ks_quic_cids), &scid, &qb),
	      "server Initial from an unregistered socket: nothing learned");

}

/* The egress program uses the ingress program's (private) maps. */
static int load(void)
{
	struct bpf_map *m, *same;

	tc = steer_tc__open();
	eg = steer_tc_egress__open();
	if (!tc || !eg)
		return -1;
	bpf_object__for_each_map(m, tc->obj)
		bpf_map__set_pin_path(m, NULL);
	if (steer_tc__load(tc))
		return -1;
	bpf_object__for_each_map(m, eg->obj) {
		bpf_map__set_pin_path(m, NULL);
		same = bpf_object__find_map_by_name(tc->obj, bpf_map__name(m));
		if (same && bpf_map__reuse_fd(m, bpf_map__fd(same)))
			return -1;
	}
	return steer_tc_egress__load(eg);
}

int main(void)
{
	struct ks_config cfg = { .ports = { htons(443) }, .flags = KS_CFG_ACTIVE | KS_CFG_QUIC,
				 .abi = KS_ABI_VERSION, .pub4 = { htonl(0xc6120001) } };
	struct ks_addr pub = { .family = AF_INET };
	__u32 zero = 0, one = 1;
	uint8_t p[1300];
	int v;

	if (geteuid()) {
		printf("skip - QUIC fixtures need root (BPF_PROG_TEST_RUN)\n0 passed, 0 failed, 1 skipped\n");
		return 0;
	}
	if (load()) {
		printf("FAIL - load: %s\n0 passed, 1 failed\n", strerror(errno));
		return 1;
	}
	memcpy(pub.addr, SRV, 4);                 /* the public address */
	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_public), &pub, &one, BPF_ANY);
	cfg.flags = KS_CFG_ACTIVE;                /* QUIC off: UDP is not ours */
	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_config), &zero, &cfg, BPF_ANY);
	v = ingress(p, long_pkt(p, 1, CID8, 8, CID8, 8, 1200), 443);
	CHECK(v == TC_ACT_UNSPEC && !stat(KS_ST_QUIC_DROPPED) && !stat(KS_ST_QUIC_TO_FALLBACK),
	      "QUIC off (no up --quic): UDP 443 passed untouched (verdict %d)", v);
	cfg.flags = KS_CFG_ACTIVE | KS_CFG_QUIC;
	bpf_map_update_elem(bpf_map__fd(tc->maps.ks_config), &zero, &cfg, BPF_ANY);
	test_ingress();
	test_egress();
	steer_tc_egress__destroy(eg);
	steer_tc__destroy(tc);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
