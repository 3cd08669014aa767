#!/usr/bin/env bash
# Real-host conditions, end to end. Every other suite runs over one plain
# veth with one address and default settings; real hosts have more, and
# ksteer broke on them. Each section below reproduces one condition with
# real clients and servers (curl, openssl, nginx, Python's ssl) and checks
# behaviour: the connection completes and reaches the right server, and
# what is not ksteer's passes as if ksteer were not loaded.
#   0. the CLI's public addresses and ports
#   1. frames padded to 60 bytes by the NIC; GRO on
#   2. other local addresses, forwarded containers, UDP 443 that is not
#      QUIC, other tc filters on the same hook
#   3. host TCP settings (timestamps, SACK, window scaling, syncookies)
#   4. VLANs, priority tags, L3 devices (tun; ipip/gre/wireguard where the
#      kernel has them), a bridge, a macvlan, IPv6 extension headers,
#      IPv4 options
#   5. listeners in other namespaces, MPTCP listeners, refused backends
#   6. a client reusing the 4-tuple of a connection the server still has
#   7. ksteerd serving an address backend: the backend sees the client
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
for t in nginx openssl curl ss tcpdump ethtool tc; do
	command -v $t >/dev/null || { fail "$t is not installed (make deps)"; summary; exit 1; }
done
for o in pad_frames vlan_prio_tag drop_fin_rst; do
	[ -f "$ROOT/build/$o.bpf.o" ] || { fail "build/$o.bpf.o is missing (make)"; summary; exit 1; }
done
ks_test_begin "real-host end-to-end tests"
PROBE=$ROOT/tests/tools/tls_probe.py
CTR_NS=${KS_TAG}-ctr          # a container behind the server namespace
UP_NS=${KS_TAG}-up            # a scratch namespace for a refused `up`
SRV4B=198.18.0.3              # a second, non-public address of the server
CTR_IF_S=${KS_TAG}-h          # server end of the container's veth
CTR_IF_C=${KS_TAG}-k
CTR4=198.18.1.2
SINK=${KS_TAG}-z0             # where the counting filters mirror to
PUB=(-a $SRV4 -a $SRV6 -p 443 -p 8443)
ks_make_certs "$WORK" a.example n.example six.example k.example other.example ctr.example

snap() { in_srv $KSTEER stats -j >"$WORK/snap.json"; }
delta() { # NAME...: how much each counter (fallback.x: ksteerd's x) rose since snap
	in_srv $KSTEER stats -j | $PY -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(sys.stdin)
def get(d, k):
    for part in k.split("."):
        d = d.get(part) if isinstance(d, dict) else None
    return d
print(" ".join(str(get(b, k) - get(a, k)) if isinstance(get(a, k), int) and isinstance(get(b, k), int)
               else "absent" for k in sys.argv[2:]))' "$WORK/snap.json" "$@"
}
listeners() { # [BACKEND]: registered TCP listeners (of all backends)
	in_srv $KSTEER backend list -j | $PY -c '
import json, sys
print(sum(b["listeners"] for b in json.load(sys.stdin) if len(sys.argv) < 2 or b["name"] == sys.argv[1]))' "$@"
} 2>/dev/null
has_ksteer() { in_srv tc filter show dev "$1" ingress 2>/dev/null | grep -q 'handle 0x5ee7'; }
no_ksteer() { ! has_ksteer "$1"; }
# curl_get HOST ADDR [PORT [PATH [CURL ARGS...]]]: https://HOST:PORT/PATH from
# ADDR, HOST's certificate verified.
curl_get() {
	local h=$1 a=$2 p=${3:-443} path=${4:-/}
	shift $(($# < 4 ? $# : 4))
	in_cli curl -sS --max-time 5 --cacert "$WORK/$h.pem" --resolve "$h:$p:$a" "$@" "https://$h:$p$path"
}
probe() { in_cli $PY "$PROBE" "$@"; }            # ADDR PORT SNI [options]: see tls_probe.py
# cert_cn ADDR: the subject of the certificate the TLS server on ADDR:443 serves.
cert_cn() {
	in_cli timeout 5 openssl s_client -connect "$1:443" -servername n.example </dev/null 2>/dev/null |
		openssl x509 -noout -subject 2>/dev/null | sed 's/^subject= *//; s/ //g'
}
# cap_start NS DEV COUNT FILTER [SECS]: tcpdump -e on DEV in NS until COUNT
# packets (SECS, 5 s, at most) into $CAP; cap_wait waits for it.
CAPN=0
cap_start() {
	CAPN=$((CAPN + 1))
	CAP=$WORK/cap.$CAPN
	# nsenter itself (not in_ns, a function: a subshell) so that $! is tcpdump's timeout
	nsenter --net=/run/netns/$1 timeout "${5:-5}" tcpdump --immediate-mode -i "$2" -e -nn -c "$3" "$4" >"$CAP" 2>"$CAP.err" &
	CAP_PID=$!
	for _ in $(seq 30); do grep -qs "listening on" "$CAP.err" && return 0; sleep 0.1; done
}
cap_wait() { wait $CAP_PID 2>/dev/null; }
# listen_py NS ADDR PORT [PROTO]: a listener that never accepts (PROTO 262:
# MPTCP) in NS, in the background; its pid in $LPID once it listens.
listen_py() {
	local out=$WORK/listen.$RANDOM
	in_ns "$1" $PY -c '
import os, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, int(sys.argv[3]))
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
print(os.getpid(), flush=True)
time.sleep(600)' "$2" "$3" "${4:-0}" >"$out" 2>&1 &
	for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
	LPID=$(head -n 1 "$out")
}

# --- The hosts ---------------------------------------------------------
# Server namespace: the public addresses 198.18.0.1 and fd00:6b73::1 on its
# veth, a second address 198.18.0.3 that is not ksteer's, a container
# namespace behind it (routed, forwarded), a veth that only takes the
# counting filters' mirrored copies. All of it exists before `up`, which
# must attach only where a public address is.
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tso off gso off >/dev/null 2>&1
ip -n "$SRV_NS" addr add $SRV4B/24 dev "$SRV_IF"
ks_netns_extra "$CTR_NS" && ks_veth "$SRV_NS" "$CTR_IF_S" 198.18.1.1/24 "$CTR_NS" "$CTR_IF_C" $CTR4/24 ||
	fail "cannot create the container namespace"
ip -n "$CTR_NS" route add default via 198.18.1.1
ip -n "$CLI_NS" route add 198.18.1.0/24 via $SRV4
in_srv sysctl -qw net.ipv4.ip_forward=1
ip -n "$SRV_NS" link add "$SINK" type veth peer name "${KS_TAG}-z1"
ip -n "$SRV_NS" link set "$SINK" up && ip -n "$SRV_NS" link set "${KS_TAG}-z1" up
# Someone else's clsact qdisc on the public interface, there before ksteer.
in_srv tc qdisc add dev "$SRV_IF" clsact

# Backends: s_server a (private port), nginx n (private port, a 1 MB file),
# nginx six (IPv6; a wildcard listen, so that nginx logs getsockname() as
# $server_addr), nginx k (for ksteerd); the nginx log peer and local address.
(cd "$WORK" && in_srv openssl s_server -accept 127.0.0.1:9001 -cert a.example.pem \
	-key a.example.key -www -quiet >/dev/null 2>&1) &
ks_nginx n 127.0.0.1:9002 n.example
head -c 1048576 /dev/urandom >"$WORK/nginx-n/www/big"
ks_nginx six '[::]:9003' six.example
ks_nginx k 127.0.0.1:9007 k.example
# Not ksteer's: TLS on the second address and in the container, plain TCP
# on a non-public port of the public address.
(cd "$WORK" && in_srv openssl s_server -accept $SRV4B:443 -cert other.example.pem \
	-key other.example.key -www -quiet >/dev/null 2>&1) &
(cd "$WORK" && in_ns "$CTR_NS" openssl s_server -accept $CTR4:443 -cert ctr.example.pem \
	-key ctr.example.key -www -quiet >/dev/null 2>&1) &
in_srv $PY -c '
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("198.18.0.1", 8080)); s.listen(16)
while True:
    c, _ = s.accept(); c.sendall(b"plain tcp\n"); c.close()' &
wait_listen 127.0.0.1 9001 && wait_listen 127.0.0.1 9002 && wait_listen '\[::\]' 9003 &&
	wait_listen 127.0.0.1 9007 && wait_listen $SRV4B 443 && wait_listen $SRV4 8080 ||
	fail "servers did not start"
for _ in $(seq 50); do in_ns "$CTR_NS" ss -Hltn "sport = :443" | grep -q . && break; sleep 0.1; done

# n.example's ALPN route (no client here offers acme-tls/1) keeps its
# two-segment hellos (Python's ssl: the SNI first, the ALPN list over the
# later segments) held and reassembled, the rewrite exercised on each kind
# of device; chrome.example.com's, without one, are placed on the first.
SITES=$WORK/sites.conf
cat >"$SITES" <<EOF
backend a 127.0.0.1:9001
backend n 127.0.0.1:9002
backend six [::]:9003
backend k 127.0.0.1:9007
route a.example a
route chrome.example.com a
route n.example n
route n.example n alpn acme-tls/1
route six.example six
route k.example k
route k.example k alpn acme-tls/1
EOF
# ks_start: up on the public addresses and ports, the backends and routes.
ks_start() {
	in_srv $KSTEER up "${PUB[@]}" "$@" || return 1
	while read -r kind name target rest; do
		case $kind in
		backend) in_srv $KSTEER backend add "$name" "$target" ;;
		route) in_srv $KSTEER route add "$name" "$target" ${rest:+--$rest} ;;
		esac
	done <"$SITES"
}

# --- 0. The CLI: `up` needs public addresses ---------------------------
# Before, `up` took every packet to the port on every interface; without a
# public address there is nothing it may take. (A scratch namespace and
# pin directory: should `up` succeed anyway, it is taken down at once.)
ks_netns_extra "$UP_NS"
ks_on_exit "KSTEER_PIN_DIR=$KSTEER_PIN_DIR-noaddr in_ns $UP_NS $KSTEER down"
out=$(KSTEER_PIN_DIR=$KSTEER_PIN_DIR-noaddr in_ns "$UP_NS" $KSTEER up -i lo 2>&1)
rc=$?
KSTEER_PIN_DIR=$KSTEER_PIN_DIR-noaddr in_ns "$UP_NS" $KSTEER down >/dev/null 2>&1
check "up without a public address: refused, one line naming -a (exit $rc: $out)" \
	test "$rc" != 0 -a "$(wc -l <<<"$out")" = 1 -a "$(grep -c -- '-a' <<<"$out")" = 1

check "ksteer up ${PUB[*]} (no -i)" ks_start
expect_eq "listeners taken from the running backends (a, n, six, k)" 4 "$(listeners)"
attached=$(for d in $(ip -n "$SRV_NS" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1); do has_ksteer "$d" && echo "$d"; done | sort | xargs)
expect_eq "TC attached where a public address is, and lo; not the container's veth nor others" \
	"$(printf '%s\n' lo "$SRV_IF" | sort | xargs)" "$attached"

# --- 1. Frames padded to 60 bytes, like a NIC ---------------------------
# Ethernet's minimum frame is 60 bytes (64 with the FCS); NICs pad shorter
# ones with zeros and the receiver's skb keeps the padding. A bare ACK
# without timestamps is 54 bytes: it arrives as 60, with 6 bytes that are
# not payload. ksteer took lengths from the frame, so a padded ACK looked
# like data and real clients on real NICs were refused or broken.
in_cli sysctl -qw net.ipv4.tcp_timestamps=0
in_cli tc qdisc add dev "$CLI_IF" clsact
in_cli tc filter add dev "$CLI_IF" egress prio 1 bpf da obj "$ROOT/build/pad_frames.bpf.o" sec tc
cap_start "$SRV_NS" "$SRV_IF" 1 "tcp dst port 443 and dst host $SRV4 and tcp[tcpflags] == tcp-ack and ip[2:2] == 40"
snap
body=$(curl_get n.example $SRV4 2>&1)
cap_wait
check "padding on the wire: the 40-byte bare ACK arrives in a 60-byte frame ($(grep -o 'length [0-9]*:' "$CAP"))" \
	grep -q "length 60:" "$CAP"
expect_eq "padded frames: curl n.example (one-segment ClientHello) -> nginx n" "backend n" "$body"
out=$(probe $SRV4 443 n.example --ca "$WORK/n.example.pem" --alpn-big 8)
check "padded frames: Python ssl, a 2.5 KB ClientHello in two segments -> nginx n ($out)" \
	grep -q "^ok .* 200 backend n" <<<"$out"
out=$(probe $SRV4 443 chrome.example.com --raw "$ROOT/tests/data/captures/chromium_1.bin")
check "padded frames: Chromium's 1.9 KB ClientHello (capture, two segments) answered with a ServerHello ($out)" \
	grep -q "^ok .* serverhello" <<<"$out"
expect_eq "padded frames: counters assigned, reasm_completed, hello_placed_partial, hello_malformed, cookie_bad" \
	"3 1 1 0 0" "$(delta assigned reasm_completed hello_placed_partial hello_malformed cookie_bad)"
in_cli tc filter del dev "$CLI_IF" egress prio 1
in_cli sysctl -qw net.ipv4.tcp_timestamps=1

# GRO on, the default of real NICs (every other step has it off, the worst
# case): a ClientHello's segments arriving back to back may reach TC as one
# coalesced skb, larger than the MSS.
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" gro on >/dev/null 2>&1
cap_start "$SRV_NS" "$SRV_IF" 20 "tcp dst port 443 and dst host $SRV4 and greater 1000"
snap
good=0
for _ in 1 2 3 4; do
	probe $SRV4 443 n.example --ca "$WORK/n.example.pem" --alpn-big 8 | grep -q "^ok .* 200 backend n" &&
		good=$((good + 1))
done
sleep 0.5
kill $CAP_PID 2>/dev/null
cap_wait
big=$(grep -oE 'length [0-9]+$' "$CAP" | awk '$2 > 1460' | wc -l)
expect_eq "GRO on: 4 two-segment ClientHellos through the fast path ($big arrived coalesced) (ok, assigned)" \
	"4 4" "$good $(delta assigned)"
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" gro off >/dev/null 2>&1

# --- 2. What is not ksteer's passes as if ksteer were not loaded --------
# A real server has other addresses, forwards to containers, runs other
# UDP services on 443 and other tc filters. ksteer took every packet to
# port 443 whatever its address (answering SYNs meant for other servers
# with its own SYN-ACK, and datagrams meant for other sockets), and its
# filter ended classification, so filters after it never saw a packet.
snap
expect_eq "second address: s_server on $SRV4B:443 serves its own certificate" \
	"CN=other.example" "$(cert_cn $SRV4B)"
expect_eq "container behind the server (forwarded): its own server answers" \
	"CN=ctr.example" "$(cert_cn $CTR4)"
expect_eq "plain TCP on a non-public port of the public address" "plain tcp" \
	"$(in_cli timeout 5 bash -c "exec 3<>/dev/tcp/$SRV4/8080 && cat <&3" 2>&1)"
expect_eq "... ksteer answered none of their SYNs (syn, assigned)" "0 0" "$(delta syn assigned)"
snap
expect_eq "second public port: n.example on $SRV4:8443 -> nginx n" "backend n" "$(curl_get n.example $SRV4 8443)"
expect_eq "... through the fast path (assigned)" 1 "$(delta assigned)"

# UDP 443 with --quic: an echo service on the second address answers (even
# a QUIC Initial), a non-QUIC datagram (STUN) to a UDP server on the public
# address:443 reaches it, a QUIC Initial to the public address does not.
# (QUIC's tables are sized by the first `up`: down, then up --quic.)
in_srv $KSTEER down
if ks_start --quic; then
	ok "ksteer down, up --quic"
	# The echo on ECHO_ADDR:443; the server on PUBLIC:443 logs the length
	# and first byte of each datagram and answers "udp-ok".
	nsenter --net=/run/netns/$SRV_NS $PY -c '
import select, socket, sys
e = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); e.bind((sys.argv[1], 443))
p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); p.bind((sys.argv[2], 443))
log = open(sys.argv[3], "a")
while True:
    for s in select.select([e, p], [], [])[0]:
        d, a = s.recvfrom(65536)
        if s is e:
            s.sendto(d, a)
        else:
            log.write(f"{len(d)} {d[:1].hex()}\n"); log.flush(); s.sendto(b"udp-ok", a)' \
		$SRV4B $SRV4 "$WORK/udp.log" &
	UDPD=$!
	sleep 0.5
	snap
	udp() { # ADDR FILE|stun: one datagram to ADDR:443; prints the answer's
		# length and "same" (or the answer), or "none"
		in_cli $PY -c '
import os, socket, sys
d = (b"\x00\x01\x00\x00\x21\x12\xa4\x42" + os.urandom(12)) if sys.argv[2] == "stun" else open(sys.argv[2], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
s.sendto(d, (sys.argv[1], 443))
try:
    r = s.recv(65536)
    print(len(r), "same" if r == d else r.decode(errors="replace"))
except socket.timeout:
    print("none")' "$@"
	}
	QI=$ROOT/tests/data/captures/quic/chromium-1.bin
	expect_eq "UDP echo on $SRV4B:443: a QUIC Initial comes back unchanged" "$(stat -c %s "$QI") same" \
		"$(udp $SRV4B "$QI")"
	expect_eq "STUN binding request to $SRV4:443: delivered to the UDP server there" "6 udp-ok" \
		"$(udp $SRV4 stun)"
	expect_eq "... counted udp_not_quic; nothing steered as QUIC" "1 0 0" \
		"$(delta udp_not_quic quic_to_fallback quic_by_cid)"
	udp $SRV4 "$QI" >/dev/null
	expect_eq "a QUIC Initial to $SRV4:443 is ksteer's: the plain UDP socket there never got it" \
		"20 00" "$(cat "$WORK/udp.log" | xargs)"
	kill $UDPD 2>/dev/null
	check "ksteer up again without --quic" in_srv $KSTEER up "${PUB[@]}"
else
	fail "ksteer down, up --quic"
	ks_start
fi

# Other tc filters on the same ingress hook: one before ksteer's (if its
# priority leaves room), one after, each a u32 match on the public
# address:443 counting through a mirred action (this kernel has u32 and
# mirred but no gact: `action ok` does not load) that lets the packet go on.
P=$(in_srv tc filter show dev "$SRV_IF" ingress | sed -nE 's/.* pref ([0-9]+) .*handle 0x5ee7.*/\1/p' | head -n 1)
check "ksteer's filter found on $SRV_IF ingress (pref ${P:-none})" test -n "$P"
P=${P:-1}
u32_add() { # DEV PRIO
	in_srv tc filter add dev "$1" ingress prio "$2" protocol ip u32 match ip dst $SRV4/32 \
		match ip dport 443 0xffff action mirred egress mirror dev "$SINK" continue
}
u32_hits() { # DEV PRIO
	in_srv tc -s filter show dev "$1" ingress prio "$2" | sed -nE 's/.*Sent [0-9]+ bytes ([0-9]+) pkt.*/\1/p' | head -n 1
}
BEFORE=
if [ "$P" -gt 1 ]; then
	check "a u32 filter before ksteer's (pref $((P - 1)))" u32_add "$SRV_IF" $((P - 1)) && BEFORE=$((P - 1))
else
	skip "a filter before ksteer's: it sits at pref 1, nothing can go before it"
fi
AFTER=$((P + 1))
check "a u32 filter after ksteer's (pref $AFTER)" u32_add "$SRV_IF" $AFTER
# On lo the clsact qdisc is ksteer's own (it created it); a filter added
# there later must survive `down` too.
check "a u32 filter on lo after ksteer's" in_srv tc filter add dev lo ingress prio $AFTER protocol ip \
	u32 match ip dport 9 0xffff action mirred egress mirror dev "$SINK" continue
cap_start "$SRV_NS" "$SRV_IF" 100000 "tcp and dst host $SRV4 and dst port 443" 30
sleep 0.2
b0=${BEFORE:+$(u32_hits "$SRV_IF" $BEFORE)}
a0=$(u32_hits "$SRV_IF" $AFTER)
snap
size=$(curl_get n.example $SRV4 443 /big -o /dev/null -w '%{size_download}' 2>&1)
sleep 1                           # the last ACKs, and tcpdump reading them
kill $CAP_PID 2>/dev/null
cap_wait
wire=$(grep -c "> $SRV4.443:" "$CAP")
lost=$(sed -nE 's/^([0-9]+) packets? dropped by kernel/\1/p' "$CAP.err")
[ "${lost:-0}" = 0 ] || echo "    tcpdump lost $lost packets: its count is low by as many"
da=$(($(u32_hits "$SRV_IF" $AFTER) - a0))
read -r syn bare rst reasm <<<"$(delta syn bare_ack_dropped rst_sent reasm_started)"
expect_eq "1 MB download through the fast path" 1048576 "$size"
expect_eq "ksteer consumed the SYN and the bare ACK, nothing else (syn bare_ack_dropped rst_sent reasm_started)" \
	"1 1 0 0" "$syn $bare $rst $reasm"
expect_eq "the filter after ksteer's saw every packet to $SRV4:443 but those ksteer consumed (tcpdump saw $wire$(
	[ "$wire" = 0 ] && echo "; tcpdump said: $(tr '\n' ' ' <"$CAP.err")"))" \
	$((wire - syn - bare - rst)) "$da"
if [ -n "$BEFORE" ]; then
	expect_eq "the filter before ksteer's saw every packet" "$wire" $(($(u32_hits "$SRV_IF" $BEFORE) - b0))
fi
check "ksteer down" in_srv $KSTEER down
check "after down: ksteer's filter is gone from $SRV_IF" no_ksteer "$SRV_IF"
check "after down: the filter after it is still there" test -n "$(u32_hits "$SRV_IF" $AFTER)"
[ -n "$BEFORE" ] && check "after down: the filter before it is still there" test -n "$(u32_hits "$SRV_IF" $BEFORE)"
check "after down: the other filter on lo is still there (the qdisc ksteer created holds it)" \
	test -n "$(u32_hits lo $AFTER)"
in_srv tc filter del dev "$SRV_IF" ingress prio $AFTER 2>/dev/null
[ -n "$BEFORE" ] && in_srv tc filter del dev "$SRV_IF" ingress prio $BEFORE 2>/dev/null
in_srv tc filter del dev lo ingress prio $AFTER 2>/dev/null
check "ksteer up again" ks_start

# --- 3. Host TCP settings ----------------------------------------------
# Servers turn TCP options off (timestamps for privacy, SACK after CVEs,
# window scaling behind broken middleboxes). ksteer's SYN cookie offered
# them anyway, so the connection the kernel built from the cookie did not
# match what the host would do; and with tcp_syncookies=0 the kernel never
# checks a BPF cookie, so nothing connected at all.
settings_case() { # DESC SYSCTL... (each set to 0 for the case)
	local desc=$1 s got opts bad=
	shift
	for s in "$@"; do in_srv sysctl -qw net.ipv4.$s=0; done
	cap_start "$CLI_NS" "$CLI_IF" 1 "tcp src port 443 and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)"
	snap
	got=0
	for _ in 1 2 3; do [ "$(curl_get n.example $SRV4 2>&1)" = "backend n" ] && got=$((got + 1)); done
	# and a 1 MB download, where a window scale or SACK the two ends
	# disagree on would show
	[ "$(curl_get n.example $SRV4 443 /big -o /dev/null -w '%{size_download}' 2>&1)" = 1048576 ] &&
		got=$((got + 1))
	cap_wait
	opts=$(grep -o 'options \[[^]]*\]' "$CAP")
	for s in "$@"; do
		case $s in
		tcp_timestamps) grep -q "TS val" <<<"$opts" && bad="$bad TS" ;;
		tcp_sack) grep -q sackOK <<<"$opts" && bad="$bad SACK" ;;
		tcp_window_scaling) grep -q wscale <<<"$opts" && bad="$bad wscale" ;;
		esac
	done
	expect_eq "$desc: 4 of 4 connections (3 pages, 1 MB) through the fast path (ok, assigned)" \
		"4 4" "$got $(delta assigned)"
	check "$desc: ksteer's SYN-ACK offers none of it (${opts:-no SYN-ACK seen}${bad:+; offered:$bad})" \
		test -n "$opts" -a -z "$bad"
	for s in "$@"; do in_srv sysctl -qw net.ipv4.$s=1; done
}
settings_case "tcp_timestamps=0" tcp_timestamps
settings_case "tcp_sack=0" tcp_sack
settings_case "tcp_window_scaling=0" tcp_window_scaling
settings_case "all three off" tcp_timestamps tcp_sack tcp_window_scaling

# tcp_syncookies=0 before up: up turns it to 1 and says so. This `up` also
# reads the public addresses and ports from a config file.
in_srv $KSTEER down
in_srv sysctl -qw net.ipv4.tcp_syncookies=0
{
	echo "# public addresses and ports of this host"
	echo "public $SRV4 $SRV6"
	echo "port 443 8443"
	cat "$SITES"
} >"$WORK/ksteer.conf"
err=$(in_srv $KSTEER up -c "$WORK/ksteer.conf" 2>&1 >/dev/null)
rc=$?
expect_eq "up -c (public, port, backends, routes) with tcp_syncookies=0 succeeds" 0 "$rc"
check "... and says on stderr that it set tcp_syncookies=1 ($err)" grep -q "syncookies" <<<"$err"
expect_eq "... net.ipv4.tcp_syncookies is now 1" 1 "$(in_srv sysctl -n net.ipv4.tcp_syncookies)"
if [ "$rc" != 0 ]; then
	in_srv sysctl -qw net.ipv4.tcp_syncookies=1
	ks_start
fi
snap
body=$(curl_get n.example $SRV4 2>&1)
expect_eq "... n.example through the fast path (page, assigned)" "backend n 1" "$body $(delta assigned)"
# Turned off again behind ksteer's back: the kernel would drop every BPF
# cookie, so ksteer must not send any (it counts the SYNs and leaves them
# to the kernel, which here has no listener on the public port).
in_srv sysctl -qw net.ipv4.tcp_syncookies=0
snap
body=$(curl_get n.example $SRV4 2>&1)
expect_eq "tcp_syncookies=0 after up: the SYN counted syn_no_syncookies, no cookie sent (syn_no_syncookies assigned)" \
	"1 0" "$(delta syn_no_syncookies assigned)"
echo "    (the client got: $body)"
in_srv sysctl -qw net.ipv4.tcp_syncookies=1

# --- 4. VLANs, priority tags, L3 devices, IPv6 extension headers --------
# ksteer read an Ethernet header at a fixed offset and the TCP header right
# after the IP header. Real hosts: VLAN sub-interfaces (the kernel strips
# the tag before TC; the parent device sees tagged frames that are not its
# own), 802.1p priority-tagged frames (VID 0) from switches, tunnels and
# VPNs whose devices have no link header at all, IPv6 extension headers.

# steer_over DESC ADDR SNI: TLS to ADDR through ksteer, one and two-segment
# ClientHellos; both assigned in the kernel.
steer_over() {
	local desc=$1 addr=$2 out
	snap
	expect_eq "$desc: curl n.example -> nginx n" "backend n" "$(curl_get n.example "$addr" 2>&1)"
	out=$(probe "$addr" 443 n.example --ca "$WORK/n.example.pem" --alpn-big 8)
	check "$desc: a two-segment ClientHello -> nginx n ($out)" grep -q "^ok .* 200 backend n" <<<"$out"
	expect_eq "$desc: both steered by ksteer, once each (syn assigned reasm_completed hello_malformed)" \
		"2 2 1 0" "$(delta syn assigned reasm_completed hello_malformed)"
}
# up_with ADDR DEV: `up` with one more public address, on DEV (found by up).
up_with() {
	check "up with public address $1 too" in_srv $KSTEER up "${PUB[@]}" -a "$1"
	check "... TC attached to $2, which carries it" has_ksteer "$2"
}

# (a) VLAN sub-interfaces (needs CONFIG_VLAN_8021Q): the public address on
# the server's VLAN 10 device, tag offloads off on both veths so that the
# tags are in the frames.
vlan_case() {
	local sv=$SRV_IF.10 cv=$CLI_IF.10 err
	if ! err=$(ip -n "$SRV_NS" link add link "$SRV_IF" name "$sv" type vlan id 10 2>&1); then
		skip "VLAN sub-interface: this kernel cannot create one (no 802.1Q, CONFIG_VLAN_8021Q): $err"
		return
	fi
	ip -n "$CLI_NS" link add link "$CLI_IF" name "$cv" type vlan id 10
	in_cli ethtool -K "$CLI_IF" rxvlan off txvlan off >/dev/null 2>&1
	in_srv ethtool -K "$SRV_IF" rxvlan off txvlan off >/dev/null 2>&1
	ip -n "$SRV_NS" addr add 198.18.10.1/24 dev "$sv" && ip -n "$SRV_NS" link set "$sv" up
	ip -n "$CLI_NS" addr add 198.18.10.2/24 dev "$cv" && ip -n "$CLI_NS" link set "$cv" up
	up_with 198.18.10.1 "$sv"
	cap_start "$SRV_NS" "$SRV_IF" 1 "vlan 10 and tcp dst port 443"
	steer_over "VLAN 10" 198.18.10.1
	cap_wait
	check "VLAN 10: the frames on $SRV_IF carry the tag" grep -q "vlan 10" "$CAP"
	ip -n "$CLI_NS" link del "$cv"
	ip -n "$SRV_NS" link del "$sv"
	in_cli ethtool -K "$CLI_IF" rxvlan on txvlan on >/dev/null 2>&1
	in_srv ethtool -K "$SRV_IF" rxvlan on txvlan on >/dev/null 2>&1
	in_srv $KSTEER up "${PUB[@]}"
}
vlan_case

# (b) Priority-tagged frames (802.1p: VID 0, PCP 5), which this kernel can
# do: a TC egress program on the client's veth pushes the tag, txvlan off
# puts it in the frame; the server strips it before TC and delivers the
# packet on the veth itself.
in_cli ethtool -K "$CLI_IF" txvlan off >/dev/null 2>&1
in_cli tc filter add dev "$CLI_IF" egress prio 1 bpf da obj "$ROOT/build/vlan_prio_tag.bpf.o" sec tc
cap_start "$SRV_NS" "$SRV_IF" 1 "vlan and tcp dst port 443"
steer_over "priority-tagged (VID 0, PCP 5)" $SRV4
cap_wait
check "priority-tagged: the frames carry the tag on the wire ($(grep -o 'vlan 0, p [0-9]' "$CAP"))" \
	grep -q "vlan 0, p 5" "$CAP"
in_cli tc filter del dev "$CLI_IF" egress prio 1
in_cli ethtool -K "$CLI_IF" txvlan on >/dev/null 2>&1

# (c) An L3 device, which this kernel can do: a TUN device in each
# namespace (no link header: bare IP packets, as on wireguard or an ipip
# tunnel) joined by a relay; the server's carries a public address of its
# own, 198.18.2.1, which the client routes over its TUN.
$PY "$ROOT/tests/tools/tun_relay.py" "$CLI_NS" "${KS_TAG}-tc" "$SRV_NS" "${KS_TAG}-ts" >"$WORK/relay.out" 2>&1 &
RELAY=$!
for _ in $(seq 50); do grep -q ready "$WORK/relay.out" && break; sleep 0.1; done
if grep -q ready "$WORK/relay.out"; then
	ip -n "$SRV_NS" addr add 198.18.2.1 peer 198.18.2.2 dev "${KS_TAG}-ts"
	ip -n "$CLI_NS" addr add 198.18.2.2 peer 198.18.2.1 dev "${KS_TAG}-tc"
	ip -n "$SRV_NS" link set "${KS_TAG}-ts" up && ip -n "$CLI_NS" link set "${KS_TAG}-tc" up
	up_with 198.18.2.1 "${KS_TAG}-ts"
	steer_over "TUN (L3, no link header)" 198.18.2.1
	in_srv $KSTEER up "${PUB[@]}"
else
	fail "the TUN relay did not start: $(cat "$WORK/relay.out")"
fi
kill $RELAY 2>/dev/null
wait $RELAY 2>/dev/null

# (d) A bridge carrying the public address, the NIC enslaved to it (how
# hypervisor hosts are set up: vmbr0/br0): frames arrive on the port and
# are delivered on the bridge; ksteer belongs on the bridge, not the port.
# And a macvlan device with a public address of its own on the server's
# veth: its frames pass the parent's TC first (addressed to the macvlan's
# MAC), then are delivered on the macvlan.
BR=${KS_TAG}-br BP=${KS_TAG}-b1 BC=${KS_TAG}-b2
if ip link add "$BP" type veth peer name "$BC" && ip link set "$BP" netns "$SRV_NS" &&
	ip link set "$BC" netns "$CLI_NS" && ip -n "$SRV_NS" link add "$BR" type bridge &&
	ip -n "$SRV_NS" link set "$BP" master "$BR"; then
	ip -n "$SRV_NS" addr add 198.18.6.1/24 dev "$BR"
	ip -n "$CLI_NS" addr add 198.18.6.2/24 dev "$BC"
	for d in "$BR" "$BP"; do ip -n "$SRV_NS" link set "$d" up; done
	ip -n "$CLI_NS" link set "$BC" up
	ip netns exec "$CLI_NS" ethtool -K "$BC" tso off gso off >/dev/null 2>&1
	ip netns exec "$SRV_NS" ethtool -K "$BP" gro off >/dev/null 2>&1
	up_with 198.18.6.1 "$BR"
	check "... not to the bridge's port $BP" no_ksteer "$BP"
	steer_over "bridge" 198.18.6.1
	in_srv $KSTEER up "${PUB[@]}"
	check "up without 198.18.6.1: TC detached from the bridge again" no_ksteer "$BR"
	ip -n "$SRV_NS" link del "$BR"
	ip -n "$SRV_NS" link del "$BP"
else
	fail "cannot create the bridge and its veth"
fi
MV=${KS_TAG}-mv
if err=$(ip -n "$SRV_NS" link add "$MV" link "$SRV_IF" type macvlan mode bridge 2>&1); then
	# Each address answered for by its own device, so that the client
	# sends to the macvlan's MAC.
	in_srv sysctl -qw net.ipv4.conf.all.arp_ignore=1
	ip -n "$SRV_NS" addr add 198.18.0.7/24 dev "$MV" && ip -n "$SRV_NS" link set "$MV" up
	up_with 198.18.0.7 "$MV"
	steer_over "macvlan" 198.18.0.7
	ip -n "$SRV_NS" link del "$MV"
	in_srv sysctl -qw net.ipv4.conf.all.arp_ignore=0
	in_srv $KSTEER up "${PUB[@]}"
else
	skip "macvlan: cannot create the device: $err"
fi

# (e) Tunnels (ipip, gre: not in this kernel) and wireguard (not either):
# the client's path to a public address on the server's tunnel device.
tunnel_case() { # KIND: ipip, gre or wireguard
	local kind=$1 sd=${KS_TAG}-${1:0:2}s cd=${KS_TAG}-${1:0:2}c err ks kc s_ends= c_ends=
	if [ "$kind" != wireguard ]; then
		s_ends="local $SRV4 remote $CLI4" c_ends="local $CLI4 remote $SRV4"
	fi
	if ! err=$(ip -n "$SRV_NS" link add "$sd" type "$kind" $s_ends 2>&1); then
		skip "$kind tunnel: this kernel cannot create the device: $err"
		return
	fi
	ip -n "$CLI_NS" link add "$cd" type "$kind" $c_ends
	if [ "$kind" = wireguard ]; then
		if ! command -v wg >/dev/null; then
			skip "wireguard: the wg tool is not installed"
			ip -n "$SRV_NS" link del "$sd"
			ip -n "$CLI_NS" link del "$cd"
			return
		fi
		ks=$(wg genkey) kc=$(wg genkey)
		in_srv wg set "$sd" listen-port 51820 private-key <(echo "$ks") \
			peer "$(wg pubkey <<<"$kc")" allowed-ips 198.18.3.2/32
		in_cli wg set "$cd" private-key <(echo "$kc") \
			peer "$(wg pubkey <<<"$ks")" allowed-ips 198.18.3.1/32 endpoint $SRV4:51820
	fi
	ip -n "$SRV_NS" addr add 198.18.3.1 peer 198.18.3.2 dev "$sd" && ip -n "$SRV_NS" link set "$sd" up
	ip -n "$CLI_NS" addr add 198.18.3.2 peer 198.18.3.1 dev "$cd" && ip -n "$CLI_NS" link set "$cd" up
	up_with 198.18.3.1 "$sd"
	steer_over "$kind tunnel" 198.18.3.1
	ip -n "$SRV_NS" link del "$sd"
	ip -n "$CLI_NS" link del "$cd"
	in_srv $KSTEER up "${PUB[@]}"
}
tunnel_case ipip
tunnel_case gre
tunnel_case wireguard

# (f) IPv6 with an extension header (PadN) on every packet of the
# connection, seen on the wire, through the public IPv6 address: a
# Destination Options header (next header 60), then a Hop-by-Hop one (0).
ext_case() { # DESC OPTION NEXT-HEADER TCPDUMP-NAME
	local out line
	cap_start "$SRV_NS" "$SRV_IF" 3 "ip6 and ip6[6] == $3 and dst host $SRV6"
	snap
	out=$(probe $SRV6 443 six.example --ca "$WORK/six.example.pem" "$2")
	cap_wait
	check "IPv6 + $1: TLS through ksteer -> nginx six ($out)" grep -q "^ok .* 200 backend six" <<<"$out"
	check "... the header is on the wire ($(grep -c "$4" "$CAP") packets with $4)" \
		test "$(grep -c "$4" "$CAP")" -ge 3
	expect_eq "... steered by ksteer (assigned)" 1 "$(delta assigned)"
	line=$(tail -n 1 "$WORK/nginx-six/access.log")
	expect_eq "... nginx six saw the client and the public address" "$CLI6 $SRV6 443" \
		"$(awk '{print $1, $3, $4}' <<<"$line")"
}
ext_case "Destination Options" --dstopts 60 DSTOPT
ext_case "Hop-by-Hop Options" --hopopts 0 HBH

# (g) IPv4 options (NOPs: a 24-byte IP header) on every packet: the TCP
# header is where the IP header's length says, not at 20 bytes.
cap_start "$SRV_NS" "$SRV_IF" 3 "ip[0] & 0xf > 5 and tcp dst port 443 and dst host $SRV4"
snap
out=$(probe $SRV4 443 n.example --ca "$WORK/n.example.pem" --ipopts --alpn-big 8)
cap_wait
check "IPv4 options: TLS with a two-segment ClientHello through ksteer -> nginx n ($out)" \
	grep -q "^ok .* 200 backend n" <<<"$out"
check "... the options are on the wire ($(grep -c . "$CAP") packets with a longer IP header)" \
	test "$(grep -c . "$CAP")" -ge 3
expect_eq "... steered by ksteer (assigned reasm_completed)" "1 1" "$(delta assigned reasm_completed)"

# --- 5. Registration ---------------------------------------------------
# sock_ops runs on the cgroup v2 root, so it sees listen() in every network
# namespace: a container listening on 127.0.0.1:9001 was registered as
# backend a's listener, and ksteer put clients into a socket of another
# namespace. MPTCP listeners (their first subflow is a TCP listener) were
# registered too, and cannot take a connection built for TCP.
snap
l0=$(listeners)
listen_py "$CTR_NS" 127.0.0.1 9001
sleep 0.3
expect_eq "a listener on backend a's address in another namespace: not registered" "$l0" "$(listeners)"
check "... counted register_other_netns ($(delta register_other_netns))" \
	test "$(delta register_other_netns)" -ge 1 2>/dev/null
expect_eq "... and a.example still reaches s_server a" 0 \
	"$(in_cli curl -sS -o /dev/null --max-time 5 --cacert "$WORK/a.example.pem" --resolve a.example:443:$SRV4 https://a.example/ 2>/dev/null; echo $?)"
listen_py "$CTR_NS" 127.0.0.1 9011
check "backend o 127.0.0.1:9011 while only the container listens there" in_srv $KSTEER backend add o 127.0.0.1:9011
expect_eq "... the container's existing listener is not taken" 0 "$(listeners o)"
if [ "$(in_srv cat /proc/sys/net/mptcp/enabled 2>/dev/null)" = 1 ]; then
	in_srv $KSTEER backend add m 127.0.0.1:9008
	snap
	listen_py "$SRV_NS" 127.0.0.1 9008 262
	sleep 0.3
	check "MPTCP listener on backend m's address (pid $LPID): in the kernel as MPTCP" \
		bash -c "nsenter --net=/run/netns/$SRV_NS ss -HltM 'sport = :9008' | grep -q 9008"
	expect_eq "... not registered" 0 "$(listeners m)"
	check "... counted register_mptcp ($(delta register_mptcp))" test "$(delta register_mptcp)" -ge 1 2>/dev/null
	out=$(in_srv $KSTEER backend list 2>&1 >/dev/null)
	check "... backend list says so ($out)" grep -qi mptcp <<<"$out"
	out=$(in_srv $KSTEER backend add mp --pid "$LPID" 2>&1)
	rc=$?
	check "backend add mp --pid (the MPTCP listener's process): refused, one line naming MPTCP (exit $rc: $out)" \
		test "$rc" != 0 -a "$(wc -l <<<"$out")" = 1 -a "$(grep -ci mptcp <<<"$out")" = 1
else
	skip "MPTCP listener: net.mptcp.enabled is not 1 in this kernel/namespace"
fi
for addr in $SRV4:443 0.0.0.0:443 "[$SRV6]:443" "[::]:443" $SRV4:8443; do
	out=$(in_srv $KSTEER backend add x "$addr" 2>&1)
	rc=$?
	check "backend add x $addr (public, or the wildcard on a public port): refused in one line (exit $rc: $out)" \
		test "$rc" != 0 -a "$(wc -l <<<"$out")" = 1
	[ "$rc" = 0 ] && in_srv $KSTEER backend del x
done

# --- 6. A new connection on the 4-tuple of one the server still has -----
# A client that crashed, rebooted or lost its NAT mapping comes back from
# the same port while the server's socket is still ESTABLISHED. ksteer
# answered that SYN with its cookie and the rest went to the old socket:
# the client hung. Left to the kernel, it gets a challenge ACK, resets the
# old connection and retries within milliseconds. The client forgets the
# connection by closing with SO_LINGER 0 while its RST is dropped.
in_cli tc filter add dev "$CLI_IF" egress prio 1 bpf da obj "$ROOT/build/drop_fin_rst.bpf.o" sec tc
out=$(probe $SRV4 443 n.example --ca "$WORK/n.example.pem" --local-port 41000 --forget)
in_cli tc filter del dev "$CLI_IF" egress prio 1
check "first connection from port 41000 -> nginx n, then forgotten by the client ($out)" \
	grep -q "^ok .* 200 backend n" <<<"$out"
est=$(in_srv ss -Htn state established "( sport = :443 and dport = :41000 )")
check "... the server's socket is still ESTABLISHED ($(awk '{print $3, $4}' <<<"$est"))" \
	grep -q "$SRV4:443 *$CLI4:41000" <<<"$est"
snap
out=$(probe $SRV4 443 n.example --ca "$WORK/n.example.pem" --local-port 41000)
read -r st ms _ <<<"$out"
check "a new connection from the same port completes within 1 s ($out)" \
	test "$st" = ok -a "${ms%.*}" -lt 1000 2>/dev/null
expect_eq "... and reached nginx n (two requests from port 41000 in its log)" 2 \
	"$(grep -c "^$CLI4 41000 " "$WORK/nginx-n/access.log")"
check "... its SYN was left to the kernel (syn_existing_socket $(delta syn_existing_socket))" \
	test "$(delta syn_existing_socket)" -ge 1 2>/dev/null
expect_eq "... then steered by ksteer (assigned)" 1 "$(delta assigned)"

# --- 7. Through ksteerd to an address backend, no PROXY protocol --------
# ksteerd proxied connections of address backends from 127.0.0.1: the
# backend's logs, ACLs and rate limits saw 127.0.0.1 for every remote
# client. It must give the client's own connection to the backend (or
# refuse it), never a connection from itself.
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --deadline 2000 \
	2>"$WORK/ksteerd.log" &
KSD=$!
ks_on_exit "kill $KSD"
wait_listen $SRV4 443 || fail "ksteerd did not start"
sleep 0.3
snap
# 1: a 517-byte hello in 3-byte writes (173 segments, past the kernel's 128)
# without ALPN, and k.example has an ALPN route: no prefix fixes its route,
# so TC holds it to the end and hands it to ksteerd, as it would any hello
# over 128 segments whose route its first bytes do not fix.
out1=$(probe $SRV4 443 k.example --ca "$WORK/k.example.pem" --chunk 3)
out2=$(probe $SRV4 443 k.example --ca "$WORK/k.example.pem" --alpn-big 70)
expect_eq "both went to ksteerd (reasm_handed_to_fallback hello_too_big)" "1 1" \
	"$(delta reasm_handed_to_fallback hello_too_big)"
for o in "173 segments:$out1" "an 18 KB ClientHello:$out2"; do
	desc=${o%%:*} res=${o#*:}
	check "through ksteerd ($desc): served or refused, not failed otherwise ($res)" \
		grep -qE "^ok .* 200 backend k|^FAIL .*(Reset|reset|closed)" <<<"$res"
done
peers=$(awk '{print $1}' "$WORK/nginx-k/access.log" | sort | uniq -c | xargs)
check "nginx k never saw 127.0.0.1 as the peer (peers: ${peers:-none})" \
	bash -c "! grep -q '^127.0.0.1 ' '$WORK/nginx-k/access.log'"
served=$(grep -c "^ok" <<<"$out1
$out2")
expect_eq "... each connection it served came from the client's address" "$served" \
	"$(grep -c "^$CLI4 " "$WORK/nginx-k/access.log")"
# (ksteerd counts a hand-back once it is done, which may be after the
# client has its answer.)
for _ in $(seq 20); do
	[ "$(delta fallback.handback)" -ge "$served" ] 2>/dev/null && break
	sleep 0.1
done
expect_eq "... each handed back into nginx's listener, none proxied (fallback.handback fallback.proxy)" \
	"$served 0" "$(delta fallback.handback fallback.proxy)"
kill $KSD 2>/dev/null
wait $KSD 2>/dev/null
summary
