#!/usr/bin/env bash
# ClientHellos over several segments, end to end: veth with GRO off on the
# server and TSO/GSO off on the client (every segment its own skb: the worst
# case), crafted hellos with the SNI at chosen offsets (a recording backend
# checks every byte arrived, in order), a real TLS handshake with a 3-segment
# hello (Python's ssl with a long ALPN list, against openssl s_server), and
# reordering on the wire (netem); a first segment naming its route placed
# on it.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "reassembly end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null 2>&1
# Pins of an older ksteer (a held-flow entry of another size): up refuses
# them, saying what to do, rather than fail to load.
OLD_PIN=$KS_PIN-old
ks_on_exit "rm -rf $OLD_PIN"
mkdir -p "$OLD_PIN"
bpftool map create "$OLD_PIN/ks_reasm" type hash key 40 value 64 entries 2 name ks_reasm flags 1
out=$(in_srv env KSTEER_PIN_DIR=$OLD_PIN $KSTEER up -a $SRV4 -p 443 2>&1)
check "up over an older ksteer's pins: refused, says to run down first ($out)" \
	grep -q "older ksteer: run 'ksteer down'" <<<"$out"
rm -rf "$OLD_PIN"
# A table of 2 flows, so that the full-table case below is cheap to reach.
check "ksteer up --reasm-entries 2" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443 --reasm-entries 2
check "up again keeps the table's size" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
out=$(in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443 --reasm-entries 8 2>&1)
check "up with another size: refused, says why ($out)" grep -q "down' first to resize" <<<"$out"
in_srv $KSTEER backend add rec 127.0.0.1:9005
in_srv $KSTEER route add '*.example' rec
nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" record 9005 "$WORK/rec.log" &
wait_listen 127.0.0.1 9005 || fail "recorder did not start"

counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# A name with an ALPN route: a first segment holding its SNI but no ALPN
# does not fix its route, so it is held (the client offers none: *.example).
in_srv $KSTEER route add alpnseg.example rec --alpn acme-tls/1

# send_case DESC SIZE SNI_OFFSET [SNI]: one connection, every byte must arrive.
send_case() {
	local desc=$1 size=$2 off=$3 sni=${4:-seg.example} out got
	out=$(in_cli $PY "$TOOL" send $SRV4 443 "$sni" "$size" "$off")
	got=$(tail -n 1 "$WORK/rec.log")
	set -- $out
	local status=$1 ms=$2 len=$3 sum=$4
	set -- $got
	if [ "$status" = ok ] && [ "$3" = "$len" ] && [ "$4" = "$sum" ] &&
		[ "${1%:*}" = "$CLI4" ] && [ "$2" = "$SRV4:443" ]; then
		ok "$desc: $len B hello, SNI at $off, all bytes in order at the backend (${ms} ms)"
	else
		fail "$desc: sent '$out', backend saw '$got'"
	fi
}

d0=$(counter reasm_completed)
p0=$(counter hello_placed_partial)
send_case "one segment" 600 100
send_case "two segments, SNI in the second" 2200 2000
send_case "three segments, SNI in the last" 4000 3900
send_case "three segments, SNI at the start, its name has ALPN routes" 4000 60 alpnseg.example
send_case "two segments, SNI across the boundary" 2000 1440
expect_eq "four reassembled in the kernel" $((d0 + 4)) "$(counter reasm_completed)"
expect_eq "none placed on a partial hello" "$p0" "$(counter hello_placed_partial)"
# The SNI in the first segment fixes the route: placed on it, nothing held,
# the later segments go to the new socket as established ones.
send_case "three segments, SNI at the start: placed on the first" 4000 60
send_case "two segments, SNI at the end of the first" 2200 1300
expect_eq "two placed on a partial hello" $((p0 + 2)) "$(counter hello_placed_partial)"
expect_eq "... none reassembled" $((d0 + 4)) "$(counter reasm_completed)"

# IPv6: a 3-segment hello to an IPv6 backend is reassembled and rewritten
# (IPv6 length, checksum over the IPv6 pseudo-header); an IPv6 client routed
# to a backend that listens on IPv4 only is refused, not assigned.
in_srv $KSTEER backend add rec6 '[::1]:9007'
in_srv $KSTEER route add seg6.example rec6
nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" record 9007 "$WORK/rec6.log" ::1 &
wait_listen '\[::1\]' 9007 || fail "IPv6 recorder did not start"
out=$(in_cli $PY "$TOOL" send $SRV6 443 seg6.example 4000 3900)
set -- $out
got=$(tail -n 1 "$WORK/rec6.log")
check "IPv6, three segments: all bytes at the backend ($2 ms)" \
	test "$1 $(cut -d' ' -f3-4 <<<"$got")" = "ok $3 $4"
check "IPv6: the backend sees the client's IPv6 address" grep -q "^$CLI6" <<<"$got"
nl=$(counter no_listener)
out=$(in_cli $PY "$TOOL" send $SRV6 443 seg.example 600 100)
check "IPv6 client, IPv4-only backend: refused (the client tool reported: ${out%% *})" \
	test "${out%% *}" = FAIL
expect_eq "IPv6 client, IPv4-only backend: counted as no listener" $((nl + 1)) "$(counter no_listener)"

# A real TLS handshake with a 3-segment ClientHello: Python ssl offering a
# long ALPN list, openssl s_server choosing none.
ks_make_certs "$WORK" big.example
in_srv $KSTEER backend add tls 127.0.0.1:9006
in_srv $KSTEER route add big.example tls
(cd "$WORK" && nsenter --net=/run/netns/$SRV_NS openssl s_server -accept 127.0.0.1:9006 \
	-cert big.example.pem -key big.example.key -www -quiet >/dev/null 2>&1) &
wait_listen 127.0.0.1 9006
# big_tls: that handshake (OpenSSL puts server_name first, the ALPN list
# after it, over the second and third segments).
big_tls() {
	in_cli $PY "$ROOT/tests/tools/tls_long_alpn.py" "$SRV4" big.example \
		"$WORK/big.example.pem" 2>&1 | tr '\n' ' '
}
p0=$(counter hello_placed_partial)
d0=$(counter reasm_completed)
out=$(big_tls)
check "real TLS handshake with a ~3 KB ClientHello: ${out:0:40}" grep -q "handshake ok .*s_server" <<<"$out"
expect_eq "... placed on its first segment, which holds the SNI" "$((p0 + 1)) $d0" \
	"$(counter hello_placed_partial) $(counter reasm_completed)"
# With an ALPN route for the name, the ALPN in the later segments decides:
# held and reassembled (http/1.1 has no route of its own: the plain one).
in_srv $KSTEER route add big.example rec --alpn acme-tls/1
out=$(big_tls)
check "the same, its name with an ALPN route: ${out:0:40}" grep -q "handshake ok .*s_server" <<<"$out"
expect_eq "... held and reassembled, not placed on the first" "$((p0 + 1)) $((d0 + 1))" \
	"$(counter hello_placed_partial) $(counter reasm_completed)"

# 1-byte records (6 B of wire per byte of hello), the SNI early: held until
# the bytes one rewritten segment carries (16 KB) name the route, then
# placed with them, without ksteerd (it is not running yet); the client
# sends the rest, never acknowledged by TC, to the new connection. 16 KB
# of hello is 98 KB of records, past the 32 KB the kernel holds; with the
# SNI at byte 2400 (wire ~14.4 KB, the 10th segment) still placed.
n0=$(counter reasm_placed_named)
h0=$(counter reasm_handed_to_fallback)
for off in 300 2400; do
	out=$(in_cli env KS_RECORD=1 $PY "$TOOL" send $SRV4 443 seg.example 16380 $off)
	set -- $out
	got=$(grep -c " $3 $4\$" "$WORK/rec.log")
	check "a 16 KB hello in 1-byte records, SNI at $off: every byte at the backend ($2 ms)" \
		test "$1" = ok -a "$got" -ge 1
done
expect_eq "... both placed by the kernel once named, none handed to ksteerd" \
	"$((n0 + 2)) $h0" "$(counter reasm_placed_named) $(counter reasm_handed_to_fallback)"

# Loss and reordering on the wire (a test XDP program on the server's
# interface drops one data segment of each flow once, so ksteer sees the
# later segments first and the lost one when the client retransmits it,
# after its retransmission timeout).
lose_case() {
	local prog=$1 desc=$2 out fails e0
	ip -n "$SRV_NS" link set dev "$SRV_IF" xdpgeneric obj "$ROOT/build/lose_segment.bpf.o" \
		sec "xdp/$prog"
	e0=$(counter reasm_early_segment)
	out=$(in_cli $PY "$TOOL" send $SRV4 443 "seg.example" 4000 3900 5 1400)
	ip -n "$SRV_NS" link set dev "$SRV_IF" xdpgeneric off
	fails=$(grep -vc '^ok' <<<"$out")
	expect_eq "$desc: 5 three-segment hellos, 0 failed" 0 "$fails"
	echo "$out" | sed 's/^/    /'
	EARLY=$(($(counter reasm_early_segment) - e0))
}
lose_case lose_first "first segment lost, later ones first"
check "segments before the first were held unverified ($EARLY)" test "$EARLY" -ge 5
check "their bytes arrived whole at the backend" \
	test "$(tail -n 5 "$WORK/rec.log" | awk '{print $3}' | sort -u)" = 4000
lose_case lose_second "second segment lost, third first"
expect_eq "no rewrite failures" 0 "$(counter reasm_rewrite_failed)"

# What the kernel will not finish goes to ksteerd with every byte it acked;
# ksteerd proxies to the recorder, which must get the whole hello.
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --deadline 4000 \
	2>"$WORK/ksteerd.log" &
wait_listen $SRV4 443 || fail "ksteerd did not start"
sleep 0.3
# whole DESC OUT: the client got its answer and the recorder the bytes sent.
whole() {
	local got
	set -- "$1" $2
	got=$(grep -c " $4 $5\$" "$WORK/rec.log")
	check "$1 ($3 ms)" test "$2" = ok -a "$got" -ge 1
}
h0=$(counter reasm_handed_to_fallback)
# 9100 bytes in 70-byte writes: 130 segments, past the 128 pieces a flow holds.
out=$(in_cli $PY "$TOOL" send $SRV4 443 seg.example 9100 9000 1 70)
whole "130 segments, more pieces than the kernel holds: whole via ksteerd" "$out"
expect_eq "... counted as handed to ksteerd" $((h0 + 1)) "$(counter reasm_handed_to_fallback)"
out=$(in_cli env KS_PAUSE_S=11 $PY "$TOOL" send $SRV4 443 seg.example 3000 2900 1 1400)
whole "a client silent for 11 s mid-hello (past the lifetime): whole via ksteerd" "$out"
expect_eq "... counted as handed to ksteerd" $((h0 + 2)) "$(counter reasm_handed_to_fallback)"
# Table full: two slow clients hold both entries; a third goes to ksteerd
# as it is, and the two complete in the kernel when they go on.
f0=$(counter reasm_full_to_fallback)
d0=$(counter reasm_completed)
slow=()
for i in 1 2; do
	in_cli env KS_PAUSE_S=3 $PY "$TOOL" send $SRV4 443 seg.example 3000 2900 1 1400 \
		>"$WORK/slow$i" &
	slow+=($!)
done
# Until both hold their entries (each pauses 3 s after its first segment;
# on a loaded machine their start can take a second or more).
for _ in $(seq 25); do
	held=$(bpftool -j map dump pinned "$KSTEER_PIN_DIR/ks_reasm" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$held" = 2 ] && break
	sleep 0.1
done
out=$(in_cli $PY "$TOOL" send $SRV4 443 seg.example 3000 2900 1 1400)
whole "table full: the third client whole via ksteerd" "$out"
expect_eq "... counted as a full table" $((f0 + 1)) "$(counter reasm_full_to_fallback)"
wait "${slow[@]}"
whole "table full: slow client 1 completed" "$(cat "$WORK/slow1")"
whole "table full: slow client 2 completed" "$(cat "$WORK/slow2")"
expect_eq "... both reassembled in the kernel" $((d0 + 2)) "$(counter reasm_completed)"

# A 16 KB ClientHello in 1-byte records, the SNI near its end: 98 KB of
# records, all held (TC's window lets the client send them), routed by the
# kernel and placed with the first 16 KB; the client resends the rest to
# the connection.
h0=$(counter reasm_handed_to_fallback)
d0=$(counter reasm_completed)
out=$(in_cli env KS_RECORD=1 $PY "$TOOL" send $SRV4 443 seg.example 16380 16300)
whole "a 16 KB hello in 1-byte records (98 KB of records): whole via the kernel" "$out"
expect_eq "... routed by the kernel, not handed to ksteerd" "$((d0 + 1)) $h0" \
	"$(counter reasm_completed) $(counter reasm_handed_to_fallback)"
summary
