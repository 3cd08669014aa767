#!/usr/bin/env bash
# ksteerd's QUIC path end to end (ksteerd --quic): two unmodified ngtcp2
# servers (gtlsserver) share UDP 443 behind `ksteer up --quic`, and a third
# one on UDP 4433, which ksteer does not touch, is the "direct" server each
# case is compared with: the same client (gtlsclient) must end the same way
# through ksteer as straight to a server.
#   v. version negotiation: a client starting with a version nobody speaks
#      gets ksteerd's Version Negotiation and retries in v1; small datagrams
#      draw none; at most 100 a second
#   f. a flood of spoofed Initials (small, short DCIDs, and large ones that
#      never complete), bounded in count and time, while a transfer runs
#      and new connections start: none lost
#   z. 0-RTT: a resumed session's early data accepted; 0-RTT datagrams
#      between a ClientHello's Initials held and re-injected after them; a
#      connection's datagrams still queued when its route went in delivered,
#      and when it was refused dropped; a datagram with ksteerd's own mark
#      (one of its own, back) dropped
#   e. ECN: the server sees the client's ECT(0) mark on what ksteerd
#      re-injected, over IPv4 and IPv6
#   b. datagrams over 1500 bytes: an 8000-byte Initial (veth MTU 9000) and
#      a 60000-byte one (over lo)
#   l. ksteerd refuses to start where its re-injection would loop (no TC on
#      lo), in one line
# ksteerd's path is the one in force here (`up` as on a kernel without
# bpf_loop): with the kernel's, TC would route the one-datagram ClientHellos
# itself (test_quic_e2e.sh, test_quic_route).
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
source "$(dirname "$0")/../lib/quic.sh"
need_root "ksteerd QUIC end-to-end tests"
quic_need_tools "ksteerd QUIC end-to-end" gtlsserver gtlsclient openssl unshare
ks_test_begin "ksteerd QUIC end-to-end tests"
ks_make_certs "$WORK" qa.example qb.example || { fail "cannot make certificates"; summary; exit 1; }
BIG=6000000
mkdir -p "$WORK/qd/qlog"
for s in qa qb; do
	mkdir -p "$WORK/$s/www" "$WORK/$s/qlog"
	echo "site $s" >"$WORK/$s/www/index.html"
	head -c $BIG /dev/urandom >"$WORK/$s/www/big"
done
export KSTEER_FORCE_NO_BPF_LOOP=1
check "ksteer up --quic (ksteerd's path for Initials)" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443 --quic

# Not quiet: each server logs every datagram it receives with its ECN bits
# ("Received packet: ... ecn=0x2 1200 bytes"). qd serves qa's certificate
# and documents on 4433: "direct".
declare -A SPID
serve() {
	nsenter --net=/run/netns/$SRV_NS gtlsserver -d "$WORK/$3/www" --qlog-dir="$WORK/$1/qlog" \
		'*' $2 "$WORK/$3.example.key" "$WORK/$3.example.pem" >"$WORK/$1.log" 2>&1 &
	SPID[$1]=$!
}
serve qa 443 qa
serve qb 443 qb
serve qd 4433 qa
for _ in $(seq 50); do
	[ "$(in_srv ss -Hulpn 'sport = :443' | grep -c gtlsserver)" -ge 4 ] && break
	sleep 0.1
done
for s in qa qb; do
	check "backend $s registered by pid" in_srv $KSTEER backend add $s --pid ${SPID[$s]}
	in_srv $KSTEER route add $s.example $s
done
# The captured Initials (tests/data/captures/quic) name these sites.
in_srv $KSTEER route add chrome.example.com qa
in_srv $KSTEER route add quic.example.org qa
printf '%s qa.example qb.example\n' $SRV4 >"$WORK/hosts"
printf '%s qa.example qb.example\n' $SRV6 >"$WORK/hosts6"
CAP=$ROOT/tests/data/captures/quic
CRAFT="$PY $ROOT/tests/tools/quic_craft.py"

KD_ARGS=(--listen $SRV4:443 --listen "[$SRV6]:443" --quic --quic-pending 32 --quic-per-source 4)
if ! start_ksteerd "$WORK/ksteerd.log" "${KD_ARGS[@]}"; then
	fail "ksteerd --quic did not start: $(head -c 300 "$WORK/ksteerd.log")"
	summary
	exit 1
fi

# both NAME SITE PATH [ARGS...]: fetch through ksteer ($WORK/NAME-k) and
# straight to qd ($WORK/NAME-d, qa's documents); "exit BODY" of each in
# $K and $DIRECT.
both() {
	local name=$1 site=$2 path=$3
	shift 3
	fetch "$WORK/$name-k" $site $path "$@"
	K="$? $(head -c 20 "$WORK/$name-k/$path" 2>/dev/null | tr -c 'a-z0-9 ' .)"
	FETCH_PORT=4433 fetch "$WORK/$name-d" $site $path "$@"
	DIRECT="$? $(head -c 20 "$WORK/$name-d/$path" 2>/dev/null | tr -c 'a-z0-9 ' .)"
}

# --- v. version negotiation -------------------------------------------------
# rcvbuf: datagrams the server namespace lost to full socket buffers (what
# ksteerd never read cannot be counted by it).
rcvbuf() { in_srv nstat -asz UdpRcvbufErrors | awk '/UdpRcvbufErrors/ {print $2}'; }
read -r vn0 <<<"$(counters fallback.quic_version_negotiation)"
both vn qa index.html -v 0x1a2a3a4a --preferred-versions=v1
read -r vn1 <<<"$(counters fallback.quic_version_negotiation)"
expect_eq "version negotiation: through ksteer and direct, the same ending" "$DIRECT" "$K"
expect_eq "version negotiation: the client got its page" "0 site qa." "$K"
retried() { grep -q "type=VN" "$1" && grep -q "Client selected version 0x1" "$1"; }
for p in k d; do
	check "version negotiation ($p): a VN packet received, v1 chosen, retried" retried "$WORK/vn-$p.log"
done
expect_eq "version negotiation: ksteerd sent one (counted)" 1 $((vn1 - vn0))
read -r vn0 sm0 lim0 <<<"$(counters fallback.quic_version_negotiation fallback.quic_initial_small \
	fallback.quic_version_negotiation_limited)"
read -r _ _ _ got _ <<<"$(in_cli $CRAFT vn $SRV4:443 3 1199)"
read -r vn1 sm1 <<<"$(counters fallback.quic_version_negotiation fallback.quic_initial_small)"
expect_eq "version negotiation: never for datagrams below 1200 bytes (answers, counted small)" \
	"0 0 3" "$got $((vn1 - vn0)) $((sm1 - sm0))"
drops0=$(rcvbuf)
read -r _ sent _ got _ secs <<<"$(in_cli $CRAFT vn $SRV4:443 300 1200)"
read -r vn2 lim2 <<<"$(counters fallback.quic_version_negotiation fallback.quic_version_negotiation_limited)"
drops=$(($(rcvbuf) - drops0))
echo "# 300 unknown-version datagrams in ${secs}s: $((vn2 - vn1)) answered, $((lim2 - lim0)) over the rate, $drops lost to a full socket buffer"
expect_eq "version negotiation: each datagram answered or counted over the rate; the client got what was sent" \
	"300 $got" "$((vn2 - vn1 + lim2 - lim0 + drops)) $((vn2 - vn1))"
if [ "${secs%%.*}" = 0 ]; then
	check "version negotiation: 300 in under a second, at most 200 answered (100/s)" \
		test $((vn2 - vn1)) -le 200 -a $((lim2 - lim0)) -gt 0
else
	skip "version negotiation rate: the burst took ${secs}s, over two rate windows"
fi

# --- f. a flood of spoofed Initials -------------------------------------------
# ksteerd holds 32 pending connections, 4 per client address. In 3 s: 1500
# large Initials that never complete (Chromium's first datagram) from 241
# spoofed addresses, 600 small ones, 300 with 4-byte DCIDs, while a 6 MB
# transfer runs (20 Mbit/s: it lasts the flood) and 10 new connections
# start, and 200 large ones spoofed from the client's own address. The
# server's queue is short (40 KB, then drops): 100 ms of one (314 KB) can
# hold more than a server socket's buffer (212 KB), and a send that blocks
# can abort gtlsserver 0.12 (examples/server.cc queues some with a GSO size
# of 0 and asserts one when it sends them again). A server gone is said,
# with the end of its log (servers_alive).
ip netns exec $SRV_NS tc qdisc add dev $SRV_IF root tbf rate 20mbit burst 64kb limit 40kb
ip netns exec $CLI_NS tc qdisc add dev $CLI_IF root tbf rate 20mbit burst 64kb latency 100ms
drops0=$(rcvbuf)
read -r c0 <<<"$(counters fallback.quic_initial_small fallback.quic_dcid_short fallback.quic_pending_full \
	fallback.quic_source_full fallback.quic_routed)"
FETCH_TIMEOUT=20 fetch "$WORK/f-big" qb big --no-quic-dump --no-http-dump &
BIGPID=$!
sleep 0.3
in_cli $CRAFT flood $SRV4:443 198.18.0 $CAP/chromium-1.bin 1500 600 300 3 >"$WORK/flood.log" &
FLOOD=$!
in_cli $CRAFT flood $SRV4:443 $CLI4 $CAP/chromium-1.bin 200 0 0 3 >"$WORK/flood-self.log" 2>&1 &
FLOOD2=$!
good=0
for i in $(seq 10); do
	if [ $((i % 2)) = 1 ]; then s=qa; else s=qb; fi
	fetch "$WORK/f-$i" $s index.html -q
	[ "$(cat "$WORK/f-$i/index.html" 2>/dev/null)" = "site $s" ] && good=$((good + 1))
done
wait $FLOOD $FLOOD2
wait $BIGPID
big=$?
read -r c1 <<<"$(counters fallback.quic_initial_small fallback.quic_dcid_short fallback.quic_pending_full \
	fallback.quic_source_full fallback.quic_routed fallback.quic_pending)"
read -r -a x0 <<<"$c0"
read -r -a x1 <<<"$c1"
echo "# flood: $(cat "$WORK/flood.log") + $(cat "$WORK/flood-self.log") from the client's address;" \
	"small +$((x1[0] - x0[0])) short DCID +$((x1[1] - x0[1])) full +$((x1[2] - x0[2]))" \
	"source full +$((x1[3] - x0[3])) routed +$((x1[4] - x0[4])) pending ${x1[5]}"
check "flood: the servers still running" servers_alive qa qb qd
expect_eq "flood: 10 new connections during it, each got its page" 10 $good
check "flood: the 6 MB transfer under way completed intact" test $big = 0 -a -f "$WORK/f-big/big"
check "flood: the transfer's bytes are qb's" cmp -s "$WORK/f-big/big" "$WORK/qb/www/big"
drops=$(($(rcvbuf) - drops0))
if [ $drops = 0 ]; then
	expect_eq "flood: small Initials and short DCIDs dropped, no state (counted)" "600 300" \
		"$((x1[0] - x0[0])) $((x1[1] - x0[1]))"
else
	check "flood: small Initials and short DCIDs dropped, counted ($drops lost to a full socket buffer)" \
		test $((x1[0] - x0[0])) -gt 0 -a $((x1[0] - x0[0])) -le 600 -a $((x1[1] - x0[1])) -gt 0 \
		-a $((x1[1] - x0[1])) -le 300
fi
check "flood: the table full, the oldest pushed out ($((x1[2] - x0[2])) times), the client's address capped ($((x1[3] - x0[3])))" \
	test $((x1[2] - x0[2])) -gt 0 -a $((x1[3] - x0[3])) -gt 0
check "flood: pending within --quic-pending (${x1[5]} <= 32)" test "${x1[5]}" -le 32
# What the flood left waits for a ClientHello that never comes: gone at the
# 5 s deadline.
for _ in $(seq 70); do
	[ "$(counters fallback.quic_pending)" = 0 ] && break
	sleep 0.1
done
expect_eq "flood: what it left pending dropped at the deadline" 0 "$(counters fallback.quic_pending)"
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc del dev "${ns#*:}" root
done

# --- z. 0-RTT -----------------------------------------------------------------
# zero_rtt DIR PORT SERVER: two fetches with the same session and transport
# parameter files; the second sends its request as early data. "exit body
# rejected? 0RTT-packets-the-server-received" in $Z.
zero_rtt() {
	local dir=$1 port=$2 srv=$3 q0 f
	FETCH_PORT=$port fetch "$dir-1" qa index.html --session-file="$dir.sess" --tp-file="$dir.tp"
	q0=$(conns $srv)
	FETCH_PORT=$port fetch "$dir-2" qa index.html --session-file="$dir.sess" --tp-file="$dir.tp"
	Z="$? $(cat "$dir-2/index.html" 2>/dev/null)"
	grep -q "Early data was rejected" "$dir-2.log" && Z="$Z rejected" || Z="$Z accepted"
	f=$(ls -t "$WORK/$srv/qlog" | head -1)
	if [ "$(conns $srv)" = $((q0 + 1)) ] && grep -q '"packet_type":"0RTT"' "$WORK/$srv/qlog/$f"; then
		Z="$Z server-read-0rtt"
	fi
	grep -q "type=0RTT" "$dir-2.log" && Z="$Z sent-0rtt"
}
read -r r0 l0 h0 <<<"$(counters fallback.quic_routed fallback.quic_reinjected_late fallback.quic_zero_rtt_held)"
zero_rtt "$WORK/z-k" 443 qa
ZK=$Z
zero_rtt "$WORK/z-d" 4433 qd
read -r r1 l1 h1 <<<"$(counters fallback.quic_routed fallback.quic_reinjected_late fallback.quic_zero_rtt_held)"
echo "# zerortt through ksteer: $ZK; direct: $Z; routed +$((r1 - r0)) late +$((l1 - l0)) held +$((h1 - h0))"
expect_eq "zerortt: through ksteer and direct, the same ending" "$Z" "$ZK"
expect_eq "zerortt: early data sent, accepted, read by the server" \
	"0 site qa accepted server-read-0rtt sent-0rtt" "$ZK"
expect_eq "zerortt: both connections routed by ksteerd" 2 $((r1 - r0))

# The same through ksteerd alone, with ksteerd stopped while the datagrams
# queue, so that what it holds and what is already queued are known:
# Chromium's first Initial with a forged Initial coalesced after it (the
# datagram gives bytes, then fails: delivered, as routing used its bytes),
# 0-RTT, the second Initial; then, still queued when the route goes in,
# 0-RTT and the second Initial again. The first 0-RTT is held and
# re-injected after the first Initial, the late ones follow the route,
# nothing stays pending, and the server, given every byte the route was
# made from, answers with its Handshake.
QCTR="fallback.quic_routed fallback.quic_reinjected fallback.quic_zero_rtt_held \
fallback.quic_reinjected_late fallback.quic_pending fallback.quic_unreadable"
read -r -a x0 <<<"$(counters $QCTR)"
a0=$(conns qa)
kill -STOP $KD
in_cli $CRAFT send $SRV4:443 --wait 2 $CAP/chromium-1.bin+bad 0rtt:$CAP/chromium-1.bin \
	$CAP/chromium-2.bin 0rtt:$CAP/chromium-1.bin $CAP/chromium-2.bin >"$WORK/queued.out" &
CR=$!
sleep 0.2
kill -CONT $KD
wait $CR
read -r -a x1 <<<"$(counters $QCTR)"
echo "# queued: $(cat "$WORK/queued.out")"
expect_eq "0-RTT and queued datagrams: routed, 3 re-injected, 1 held as 0-RTT, 2 late ones delivered, none pending or dropped" \
	"1 3 1 2 0 0" "$((x1[0] - x0[0])) $((x1[1] - x0[1])) $((x1[2] - x0[2])) $((x1[3] - x0[3])) ${x1[4]} $((x1[5] - x0[5]))"
expect_eq "0-RTT and queued datagrams: qa saw the connection" $((a0 + 1)) "$(conns qa)"
check "0-RTT and queued datagrams: the server had the whole ClientHello (it sent its Handshake)" \
	grep -q "handshake [1-9]" "$WORK/queued.out"

# Our own mark on a datagram (only ksteerd's raw socket sets it, as root):
# one of ours that came back. Dropped, never routed or re-injected again.
read -r lo0 r0 <<<"$(counters fallback.quic_looped fallback.quic_routed)"
in_srv $CRAFT send $SRV4:443 --mark 0x6b736862 $CAP/gtlsclient-1.bin
sleep 0.3
read -r lo1 r1 <<<"$(counters fallback.quic_looped fallback.quic_routed)"
expect_eq "a datagram with ksteerd's own mark: dropped as looped, not routed" "1 0" \
	"$((lo1 - lo0)) $((r1 - r0))"

# A connection refused (its SNI has no route): what was queued behind its
# ClientHello (here its retransmission) is dropped unread, not a pending
# entry that never completes.
in_srv $KSTEER route del quic.example.org
read -r -a x0 <<<"$(counters fallback.quic_no_route fallback.quic_refused_late fallback.quic_pending)"
kill -STOP $KD
in_cli $CRAFT send $SRV4:443 $CAP/gtlsclient-1.bin $CAP/gtlsclient-2.bin
sleep 0.2
kill -CONT $KD
sleep 0.3
read -r -a x1 <<<"$(counters fallback.quic_no_route fallback.quic_refused_late fallback.quic_pending)"
expect_eq "refused connection: no route once, its queued retransmission dropped unread, none pending" \
	"1 1 0" "$((x1[0] - x0[0])) $((x1[1] - x0[1])) ${x1[2]}"
in_srv $KSTEER route add quic.example.org qa

# --- e. ECN -----------------------------------------------------------------
# first_tx DIR: the client's first "Sent packet" line in DIR.log;
# first_rx DIR SERVER: the first datagram SERVER logged from that port.
# Through ksteer, that is the Initial ksteerd re-injected (counted): TC gave
# the client's to ksteerd.
first_tx() { grep -m1 '^Sent packet: ' "$1.log"; }
first_rx() {
	local port
	port=$(first_tx "$1" | sed -n 's/^Sent packet: local=\[[^]]*\]:\([0-9]*\) .*/\1/p')
	grep -m1 "^Received packet: .* remote=\[[^]]*\]:$port " "$WORK/$2.log"
}
# ecn DIR SERVER: the ECN bits of both.
ecn() { echo "$(first_tx "$1" | grep -o 'ecn=0x[0-9]')" "$(first_rx "$1" "$2" | grep -o 'ecn=0x[0-9]')"; }
read -r rein0 <<<"$(counters fallback.quic_reinjected)"
both ecn qa index.html
read -r rein1 <<<"$(counters fallback.quic_reinjected)"
expect_eq "ECN: through ksteer and direct, the same ending" "$DIRECT" "$K"
expect_eq "ECN: the client's ECT(0) kept on the Initial ksteerd re-injected" "ecn=0x2 ecn=0x2 1" \
	"$(ecn "$WORK/ecn-k" qa) $((rein1 - rein0))"
expect_eq "ECN: direct, the same mark" "ecn=0x2 ecn=0x2" "$(ecn "$WORK/ecn-d" qd)"
HOSTS="$WORK/hosts6" fetch "$WORK/ecn6" qb index.html
s=$?
read -r rein2 <<<"$(counters fallback.quic_reinjected)"
expect_eq "ECN over IPv6: the Traffic Class kept on re-injection" "0 site qb ecn=0x2 ecn=0x2 1" \
	"$s $(cat "$WORK/ecn6/index.html" 2>/dev/null) $(ecn "$WORK/ecn6" qb) $((rein2 - rein1))"

# --- b. datagrams over 1500 bytes ---------------------------------------------
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip -n "${ns%%:*}" link set "${ns#*:}" mtu 9000
done
# big_initial DIR SERVER: the sizes of both.
big_initial() {
	echo "$(first_tx "$1" | sed -n 's/.* \([0-9]*\) bytes$/\1/p')" \
		"$(first_rx "$1" "$2" | sed -n 's/.* \([0-9]*\) bytes$/\1/p')"
}
read -r rein0 <<<"$(counters fallback.quic_reinjected)"
both big8k qa index.html --max-udp-payload-size=8000
read -r rein1 <<<"$(counters fallback.quic_reinjected)"
expect_eq "8000-byte Initial: through ksteer and direct, the same ending" "$DIRECT" "$K"
expect_eq "8000-byte Initial: the page, ksteerd re-injected it whole" "0 site qa. 8000 8000 1" \
	"$K $(big_initial "$WORK/big8k-k" qa) $((rein1 - rein0))"
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip -n "${ns%%:*}" link set "${ns#*:}" mtu 1500
done
# Over lo (MTU 64 KB): a client inside the server's namespace.
read -r rein0 <<<"$(counters fallback.quic_reinjected)"
FETCH_NS=$SRV_NS fetch "$WORK/big60k" qb index.html --max-udp-payload-size=60000
s=$?
read -r rein1 <<<"$(counters fallback.quic_reinjected)"
expect_eq "60000-byte Initial over lo: the page, ksteerd re-injected it whole" \
	"0 site qb 60000 60000 1" \
	"$s $(cat "$WORK/big60k/index.html" 2>/dev/null) $(big_initial "$WORK/big60k" qb) $((rein1 - rein0))"
HOSTS="$WORK/hosts6" FETCH_NS=$SRV_NS fetch "$WORK/big60k6" qa index.html --max-udp-payload-size=60000
s=$?
read -r rein2 <<<"$(counters fallback.quic_reinjected)"
expect_eq "60000-byte Initial over lo, IPv6: the page, ksteerd re-injected it whole" \
	"0 site qa 60000 60000 1" \
	"$s $(cat "$WORK/big60k6/index.html" 2>/dev/null) $(big_initial "$WORK/big60k6" qa) $((rein2 - rein1))"

check "ksteerd still running" kill -0 $KD
kill $KD
wait $KD 2>/dev/null

# --- l. no TC on lo: ksteerd refuses --------------------------------------------
check "ksteer up on the veth alone (no lo)" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443 --quic -i $SRV_IF
in_srv timeout 5 "$ROOT/build/ksteerd" "${KD_ARGS[@]}" >"$WORK/kd-nolo.out" 2>"$WORK/kd-nolo.err"
st=$?
echo "# ksteerd without TC on lo: exit $st: $(cat "$WORK/kd-nolo.err")"
check "no TC on lo: ksteerd --quic exits non-zero, at once" test $st != 0 -a $st != 124
expect_eq "no TC on lo: one line on stderr, saying why" "1 1" \
	"$(wc -l <"$WORK/kd-nolo.err") $(grep -c 'does not run on lo' "$WORK/kd-nolo.err")"
for bad in "--quic-per-source 0" "--quic-pending 0" "--quic-per-source -1"; do
	in_srv "$ROOT/build/ksteerd" --listen $SRV4:443 --quic $bad >/dev/null 2>"$WORK/kd-bad.err"
	st=$?
	expect_eq "ksteerd $bad: refused, one line" "1 1" "$((st != 0)) $(wc -l <"$WORK/kd-bad.err")"
done
check "ksteer down" in_srv $KSTEER down
summary
