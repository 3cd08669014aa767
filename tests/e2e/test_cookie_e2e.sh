#!/usr/bin/env bash
# Cookies across hosts. Two server namespaces stand for two hosts sharing
# the public address 198.18.0.1, each with ksteer up (its own pin
# directory) and a TLS backend of its own certificate for site.example; a
# router namespace sends every client SYN to host A and every other segment
# to host B (a tc program marks SYNs, policy routing follows the mark), as
# an ECMP next hop that changes under a flow would. A answers the SYN, B
# must verify A's cookie from the client's first segments: with the same
# key (`ksteer key set FILE` on both) curl's and openssl s_client's TLS
# handshakes complete at B's backend, whose socket has the options A gave
# (the backend logs TCP_INFO: with timestamps they came from the echoed
# TSval, without from the sequence number), a ClientHello of 3 KB too,
# which B holds and acknowledges until it is whole; with different keys, or
# after a new key on A alone, the connection fails (B counts cookie_bad).
#
#   cli 198.18.1.2 ── 198.18.1.1 router ─┬─ 198.18.2.2 host A (+ 198.18.0.1)  SYNs
#                                        └─ 198.18.3.2 host B (+ 198.18.0.1)  the rest
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"      # ks_make_certs, ks_veth
for t in openssl curl ss tc; do
	command -v $t >/dev/null || { fail "$t is not installed (make deps)"; summary; exit 1; }
done
need_root "cookie end-to-end tests"
[ -f "$ROOT/build/syn_mark.bpf.o" ] || { fail "build/syn_mark.bpf.o is missing (make)"; summary; exit 1; }

TAG=ck-$$
NS_C=$TAG-cli NS_R=$TAG-r NS_A=$TAG-a NS_B=$TAG-b
PUB=198.18.0.1
WORK=$(mktemp -d)

in_ns() { local ns=$1; shift; nsenter --net=/run/netns/$ns "$@"; }
# on A|B CMD...: a command on that host, with its own pin directory.
on() {
	local h=$1
	shift
	KSTEER_PIN_DIR=/sys/fs/bpf/$TAG-$h in_ns "$TAG-$h" "$@"
}

cleanup() {
	local pids
	on a "$KSTEER" down >/dev/null 2>&1
	on b "$KSTEER" down >/dev/null 2>&1
	{
		jobs -p | xargs -r kill
		for ns in $NS_C $NS_R $NS_A $NS_B; do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -n "$pids" ] && kill $pids
		done
		sleep 0.2
		for ns in $NS_C $NS_R $NS_A $NS_B; do
			pids=$(ip netns pids "$ns" 2>/dev/null)
			[ -n "$pids" ] && kill -9 $pids
			ip netns del "$ns"
		done
		wait
	} 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# link NS_X IF_X ADDR_X NS_Y IF_Y ADDR_Y: a veth pair (netns.sh).
link() { ks_veth "$@"; }

topology() {
	for ns in $NS_C $NS_R $NS_A $NS_B; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	link $NS_C $TAG-c 198.18.1.2/24 $NS_R $TAG-rc 198.18.1.1/24 &&
	link $NS_R $TAG-ra 198.18.2.1/24 $NS_A $TAG-a 198.18.2.2/24 &&
	link $NS_R $TAG-rb 198.18.3.1/24 $NS_B $TAG-b 198.18.3.2/24 || return 1
	ip -n $NS_A addr add $PUB/32 dev $TAG-a && ip -n $NS_B addr add $PUB/32 dev $TAG-b &&
	ip -n $NS_C route add default via 198.18.1.1 &&
	ip -n $NS_A route add default via 198.18.2.1 &&
	ip -n $NS_B route add default via 198.18.3.1 || return 1
	# The router: SYNs (marked) to A, the rest to B. A's SYN-ACKs come back
	# from an address routed to B: no reverse-path filter.
	in_ns $NS_R sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 &&
	for i in rc ra rb; do in_ns $NS_R sysctl -qw net.ipv4.conf.$TAG-$i.rp_filter=0 || return 1; done
	ip -n $NS_R route add $PUB via 198.18.3.2 &&
	ip -n $NS_R route add $PUB via 198.18.2.2 table 100 &&
	ip -n $NS_R rule add fwmark 1 lookup 100 &&
	# Every segment its own packet, as on a real wire: no TSO/GSO at the
	# client, no GRO on the way.
	in_ns $NS_C ethtool -K $TAG-c tso off gso off >/dev/null 2>&1
	for i in rc ra rb; do in_ns $NS_R ethtool -K $TAG-$i gro off >/dev/null 2>&1; done
	in_ns $NS_B ethtool -K $TAG-b gro off >/dev/null 2>&1
	in_ns $NS_R tc qdisc add dev $TAG-rc clsact &&
	in_ns $NS_R tc filter add dev $TAG-rc ingress bpf da obj "$ROOT/build/syn_mark.bpf.o" sec tc
}
topology || { fail "cannot build the namespaces"; summary; exit 1; }
ok "client, router, host A and host B namespaces; the router sends SYNs to A, the rest to B"

# Each host: ksteer up on the public address, a TLS backend with its own
# certificate for site.example on a private port, logging each socket's
# TCP options.
for host in a b; do                         # not h: ks_make_certs sets it
	mkdir -p "$WORK/$host"
	ks_make_certs "$WORK/$host" site.example || { fail "certificates"; summary; exit 1; }
	check "host $host: ksteer up" on $host "$KSTEER" up -a $PUB -p 443
	# The ALPN route (for a protocol no client here offers) makes a
	# first segment with the SNI but not the ALPN list wait for the rest:
	# the 3 KB hello below is held and acknowledged.
	on $host "$KSTEER" backend add site 127.0.0.1:9001 &&
		on $host "$KSTEER" route add site.example site &&
		on $host "$KSTEER" route add site.example site --alpn acme-tls/1 ||
		fail "host $host: backend and route"
	in_ns $TAG-$host $PY "$ROOT/tests/tools/tls_tcpinfo.py" 127.0.0.1 9001 \
		"$WORK/$host/site.example.pem" "$WORK/$host/site.example.key" "$WORK/$host/tcp.log" &
done
for host in a b; do
	for _ in $(seq 50); do
		in_ns $TAG-$host ss -Hltn 'sport = :9001' | grep -q 127.0.0.1 && break
		sleep 0.1
	done
done

stat_of() { on "$1" "$KSTEER" stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }
counts() { echo "$(stat_of a syn) $(stat_of a cookie_ok) $(stat_of b syn) $(stat_of b cookie_bad) $(stat_of b assigned)"; }
# get: curl https://site.example/ verifying host B's certificate; its exit code.
get() {
	in_ns $NS_C curl -sS --max-time 5 --cacert "$WORK/b/site.example.pem" \
		--resolve site.example:443:$PUB -o /dev/null https://site.example/ 2>/dev/null
	echo $?
}
fp() { on "$1" "$KSTEER" key show | sed -n 's/^key fingerprint //p'; }

# 1. Different keys (each up made its own): B cannot verify A's cookie.
check "before key set: the hosts' keys differ" test "$(fp a)" != "$(fp b)"
read -r a_syn a_ok b_syn b_bad b_as <<<"$(counts)"
rc=$(get)
read -r a_syn2 a_ok2 b_syn2 b_bad2 b_as2 <<<"$(counts)"
check "different keys: the connection fails (curl exit $rc)" test "$rc" != 0
check "different keys: A answered the SYN, B counted cookie_bad and placed nothing" \
	test $((a_syn2 - a_syn)) -ge 1 -a $((b_bad2 - b_bad)) -ge 1 -a "$b_as2" = "$b_as" -a "$b_syn2" = "$b_syn"

# 2. One key for both, from a file; a bad file changes nothing.
printf '%s\n' "$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$WORK/key"
chmod 600 "$WORK/key"
printf 'not a key\n' >"$WORK/bad"
out=$(on a "$KSTEER" key set "$WORK/bad" 2>&1)
rc=$?
check "key set with a bad file: one line, non-zero exit ($out)" \
	bash -c '[ "$1" -ne 0 ] && [ "$(wc -l <<<"$2")" -eq 1 ] && grep -q "not a key" <<<"$2"' _ $rc "$out"
check "host A: key set FILE" on a "$KSTEER" key set "$WORK/key"
on b "$KSTEER" key set - <"$WORK/key"
check "host B: key set - (standard input)" test $? = 0
expect_eq "the hosts now show one fingerprint" "$(fp a)" "$(fp b)"
shown=$(on a "$KSTEER" key show; on b "$KSTEER" key show)
check "key show never prints the key" bash -c '! grep -qiF "$1" <<<"$2"' _ "$(cat "$WORK/key")" "$shown"

# across TS: a TLS connection whose SYN A answers and whose ClientHello B
# places, with client timestamps on (1) or off (0): curl, then openssl
# s_client held open while the client's window scale is read (ss).
across() {
	local ts=$1 what est hold cws
	what=$([ "$ts" = 1 ] && echo "with timestamps (options from the echoed TSval)" ||
		echo "without timestamps (options from the sequence number)")
	in_ns $NS_C sysctl -qw net.ipv4.tcp_timestamps=$ts
	read -r a_syn a_ok b_syn b_bad b_as <<<"$(counts)"
	expect_eq "same key, $what: curl at B's backend, its certificate verified" 0 "$(get)"
	read -r a_syn2 a_ok2 b_syn2 b_bad2 b_as2 <<<"$(counts)"
	check "same key, $what: SYN answered by A (A verified nothing), placed by B (B answered no SYN)" \
		test $((a_syn2 - a_syn)) -ge 1 -a "$a_ok2" = "$a_ok" -a $((b_as2 - b_as)) -eq 1 -a "$b_syn2" = "$b_syn"
	(sleep 2 | in_ns $NS_C timeout 5 openssl s_client -connect $PUB:443 -servername site.example \
		-CAfile "$WORK/b/site.example.pem" -verify_return_error -brief >"$WORK/s_client" 2>&1) &
	hold=$!
	for _ in $(seq 20); do
		est=$(in_ns $NS_C ss -Htni state established '( dport = :443 )')
		[ -n "$est" ] && break
		sleep 0.1
	done
	wait $hold
	check "same key, $what: openssl s_client at B's backend, its certificate verified" \
		grep -q "Verification: OK" "$WORK/s_client"
	# The client's shifts as it sees them: ours (7), then its own.
	cws=$(sed -n 's/.*wscale:7,\([0-9]*\).*/\1/p' <<<"$est")
	expect_eq "same key, $what: B's socket has the options A gave (TCP_INFO)" \
		"ts=$ts sack=1 wscale=${cws:-?},7" "$(tail -n 1 "$WORK/b/tcp.log")"
	# A real TLS client's 3 KB ClientHello (Python's ssl, a long ALPN list):
	# B verifies A's cookie on its first segment, holds and acknowledges
	# it, and places the connection once the hello is whole.
	done0=$(stat_of b reasm_completed)
	expect_eq "same key, $what: a 3 KB ClientHello held and placed by B" "ok ok $((done0 + 1))" \
		"$(in_ns $NS_C $PY "$ROOT/tests/tools/tls_pieces.py" $PUB 443 site.example \
			"$WORK/b/site.example.pem" --alpn-pad 3000 2>&1) $(stat_of b reasm_completed)"
	expect_eq "same key, $what: ... with the options A gave" \
		"ts=$ts sack=1 wscale=${cws:-?},7" "$(tail -n 1 "$WORK/b/tcp.log")"
}
across 1
across 0
in_ns $NS_C sysctl -qw net.ipv4.tcp_timestamps=1
check "host A's backend got no connection: A only answered SYNs" test ! -s "$WORK/a/tcp.log"

# 3. A new key on A alone: B no longer verifies A's cookies.
on a "$KSTEER" key rotate
read -r a_syn a_ok b_syn b_bad b_as <<<"$(counts)"
rc=$(get)
read -r a_syn2 a_ok2 b_syn2 b_bad2 b_as2 <<<"$(counts)"
check "after key rotate on A only: the connection fails at B, cookie_bad counted (curl exit $rc)" \
	test "$rc" != 0 -a $((b_bad2 - b_bad)) -ge 1 -a "$b_as2" = "$b_as"
summary
