#!/usr/bin/env bash
# ksteerd, the fallback router, end to end: what the fast path cannot place
# reaches it, and it delivers by the backend's mode.
#   - server-closes-first load with the client reusing one port: every SYN
#     that meets a TIME_WAIT socket goes to ksteerd, which hands it back to
#     the backend's listener (the backend sees the client); zero failures
#   - a backend with no listener: ksteerd refuses it (no listener to hand
#     it back to, no proxy target of its own), not another backend
#   - proxy to an upstream with a PROXY v2 header (nginx proxy_protocol)
#   - hand-off over a unix socket to a TLS backend using backend/'s library
#   - fallback-only mode (the path of kernels without the kfunc): no hand-back,
#     so an address backend without a proxy target is refused, never proxied
#     from this host; hand-off works; a slowloris client cut at the deadline
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "fallback end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py
ks_make_certs "$WORK" a.example b.example h.example r.example
check "ksteer up" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }

# Backend a: s_server closes first (HTTP/1.0 -www), so each connection
# leaves a TIME_WAIT socket on the public 4-tuple.
in_srv $KSTEER backend add a 127.0.0.1:9001
(cd "$WORK" && nsenter --net=/run/netns/$SRV_NS openssl s_server -accept 127.0.0.1:9001 \
	-cert a.example.pem -key a.example.key -www -quiet >/dev/null 2>&1) &
in_srv $KSTEER route add a.example a
# Backend b: nginx; backend r: nginx behind ksteerd's proxy, PROXY v2.
NGINX_LOG='$remote_addr $proxy_protocol_addr $proxy_protocol_server_addr:$proxy_protocol_server_port'
in_srv $KSTEER backend add b 0.0.0.0:9002
ks_nginx b 9002 b.example
in_srv $KSTEER route add b.example b
in_srv $KSTEER backend add r --proxy 127.0.0.1:9004 --proxy-protocol
ks_nginx r "127.0.0.1:9004 proxy_protocol" r.example
in_srv $KSTEER route add r.example r
# Backend h: a TLS server that takes its connections by hand-off.
in_srv $KSTEER backend add h --handoff "$WORK/h.sock"
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/handoff_tls_server" "$WORK/h.sock" \
	"$WORK/h.example.pem" "$WORK/h.example.key" h &
in_srv $KSTEER route add h.example h
# ksteerd on the public address, sharing the port.
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --deadline 1000 \
	2>"$WORK/ksteerd.log" &
KSD=$!                  # nsenter execs ksteerd: its pid (other tests run theirs)
wait_listen 127.0.0.1 9001 && wait_listen 0.0.0.0 9002 && wait_listen 127.0.0.1 9004 &&
	wait_listen $SRV4 443 || fail "servers did not start"
sleep 0.3
expect_eq "ksteerd registered as the fallback" 1 "$(counter '["fallback_listeners"]')"

get() { # HOST [CURL ARGS...]
	local h=$1
	shift
	in_cli curl -sS --max-time 5 --cacert "$WORK/$h.pem" --resolve "$h:443:$SRV4" "$@" "https://$h/" 2>&1
}

# 1. TIME_WAIT: one client port, 30 connections, the server closes first
# (the recording backend answers and closes; the client waits for its FIN).
in_srv $KSTEER backend add rec 127.0.0.1:9005
in_srv $KSTEER route add rec.example rec
nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" record 9005 "$WORK/rec.log" &
wait_listen 127.0.0.1 9005
tw0=$(counter '["time_wait_detour"]')
out=$(in_cli env KS_LOCAL_PORT=40000 $PY "$TOOL" send $SRV4 443 rec.example 600 100 30)
fails=$(grep -vc '^ok' <<<"$out")
expect_eq "server-closes-first, one client port: 30 connections, 0 failed" 0 "$fails"
grep -v '^ok' <<<"$out" | head -3
tw=$(($(counter '["time_wait_detour"]') - tw0))
check "SYNs that met TIME_WAIT went to ksteerd ($tw), none stalled" test "$tw" -ge 10
slow=$(awk '$2 > 1000' <<<"$out" | wc -l)
expect_eq "no connection waited a second or more" 0 "$slow"
expect_eq "the backend saw the client's address on all 30, never this host's" "$CLI4" \
	"$(cut -d: -f1 "$WORK/rec.log" | sort -u)"

# 1b. A 20 KB ClientHello (past the kernel's 16 KB buffer): TC gives it to
# ksteerd on its first segment; every byte reaches the backend.
tb0=$(counter '["hello_too_big"]')
out=$(in_cli $PY "$TOOL" send $SRV4 443 rec.example 20000 19900)
set -- $out
got=$(tail -n 1 "$WORK/rec.log")
check "20 KB ClientHello: through ksteerd, all bytes at the backend ($1 $2 ms)" \
	test "$1 $(cut -d' ' -f3-4 <<<"$got")" = "ok $3 $4"
expect_eq "20 KB ClientHello: counted too big for the kernel" $((tb0 + 1)) "$(counter '["hello_too_big"]')"
expect_eq "20 KB ClientHello: handed back, the backend saw the client" "$CLI4" "$(cut -d: -f1 <<<"$got")"

# 2. A backend with no listener: ksteerd takes it, never another backend.
# It has no listener to hand the connection back to and no proxy target of
# its own, so it refuses (before hand-back, it proxied to the backend's
# address from this host, which refused while nothing listened there).
in_srv $KSTEER backend add c 127.0.0.1:9003
in_srv $KSTEER route add c.example c
tf0=$(counter '["to_fallback"]') ref0=$(counter '["fallback"]["refused_no_client_address"]')
out=$(in_cli curl -sSk --max-time 5 --resolve c.example:443:$SRV4 https://c.example/ 2>&1)
check "no listener: handed to ksteerd, which refuses it ($out)" \
	test "$(($(counter '["to_fallback"]') - tf0))" -eq 1
expect_eq "no listener: counted refused_no_client_address" $((ref0 + 1)) \
	"$(counter '["fallback"]["refused_no_client_address"]')"
check "no listener: not answered by another backend" bash -c "! grep -q backend <<<'$out'"

# 3. Proxy with PROXY v2: nginx learns the client from the header.
p0=$(counter '["fallback"]["proxy"]')
h0=$(counter '["fallback"]["handoff"]')
expect_eq "proxy: r.example through ksteerd" "backend r" "$(get r.example)"
set -- $(tail -n 1 "$WORK/nginx-r/access.log")
expect_eq "proxy: nginx got the client and the public address in PROXY v2" \
	"$CLI4 $SRV4:443" "$2 $3"

# 4. Hand-off: the backend gets the client's own socket, TLS done by it.
out=$(get h.example)
expect_eq "hand-off: h.example served by the hand-off backend" \
	"backend h peer=$CLI4 local=$SRV4:443" "$(sed -E 's/(peer=[0-9.]+):[0-9]+/\1/' <<<"$out")"
check "hand-off: its socket's peer is the client" grep -q "peer=$CLI4:" <<<"$out"
expect_eq "ksteerd counters: one more proxy, one hand-off" "$((p0 + 1)) $((h0 + 1))" \
	"$(counter '["fallback"]["proxy"]') $(counter '["fallback"]["handoff"]')"

# 4b. ksteerd dies (SIGKILL) with a handed-off and a fast-path connection
# open, mid-request: both finish; then a new ksteerd serves again.
held() { # HOST: a TLS connection that sends its request 2 s after connecting
	(sleep 2; printf 'GET / HTTP/1.0\r\nHost: %s\r\n\r\n' "$1") | in_cli timeout 10 \
		openssl s_client -connect $SRV4:443 -servername "$1" -quiet 2>/dev/null
}
held h.example >"$WORK/held-h" &
hh=$!
held a.example >"$WORK/held-a" &
ha=$!
sleep 1
kill -KILL "$KSD"
wait $hh $ha
check "ksteerd killed: the handed-off connection still completes" grep -q "backend h" "$WORK/held-h"
check "ksteerd killed: the fast-path connection still completes" grep -q "s_server" "$WORK/held-a"
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --deadline 1000 \
	2>"$WORK/ksteerd.log" &
KSD=$!                  # nsenter execs ksteerd: its pid (other tests run theirs)
wait_listen $SRV4 443
sleep 0.2
check "a new ksteerd takes over the fallback" grep -q "backend h" <<<"$(get h.example)"

# 5. Fallback-only mode: no TC; the kernel gives every connection to ksteerd.
# No TC, no hand-back: b (an address backend without a proxy target) is
# refused. Before hand-back ksteerd proxied it from 127.0.0.1, so nginx
# saw every client as this host; now it never is.
check "ksteer up --fallback-only" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443 --fallback-only
ref0=$(counter '["fallback"]["refused_no_client_address"]') p0=$(counter '["fallback"]["proxy"]')
n0=$(wc -l <"$WORK/nginx-b/access.log")
out=$(get b.example)
check "fallback-only: b.example refused, not proxied ($out)" grep -q "reset by peer" <<<"$out"
expect_eq "fallback-only: h.example handed off" "backend h" "$(get h.example | cut -d' ' -f1-2)"
expect_eq "fallback-only: counted refused_no_client_address, nothing proxied, nginx saw nothing" \
	"$((ref0 + 1)) $p0 $n0" \
	"$(counter '["fallback"]["refused_no_client_address"]') $(counter '["fallback"]["proxy"]') $(wc -l <"$WORK/nginx-b/access.log")"
t0=$(counter '["fallback"]["hello_timeout"]')
start=$(date +%s%N)
out=$(in_cli $PY -c "
import socket, sys
s = socket.create_connection(('$SRV4', 443), timeout=5)
s.sendall(b'\x16\x03\x01\x02\x00\x01')    # a ClientHello that never comes
try:
    print('closed' if s.recv(1) == b'' else 'data')
except ConnectionResetError:
    print('reset')
" 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "slowloris: cut at the 1 s deadline (${ms} ms)" "reset" "$out"
expect_eq "slowloris: counted" $((t0 + 1)) "$(counter '["fallback"]["hello_timeout"]')"
# With a default route, what names nothing goes there, as it would reach
# a single backend directly: a ClientHello not whole by the deadline, and
# bytes that are not TLS at all (the TLS server at the default answers them
# itself: a ServerHello where its ClientHello should be).
in_srv $KSTEER route add default h
read -r d0 o0 <<<"$(counter '["fallback"]["unreadable_to_default"]') $(counter '["fallback"]["handoff"]')"
out=$(in_cli $PY -c "
import socket
s = socket.create_connection(('$SRV4', 443), timeout=5)
s.sendall(b'\x16\x03\x01\x02\x00\x01')
s.settimeout(2.5)
try:
    print('data' if s.recv(64) else 'closed')
except ConnectionResetError:
    print('reset')
except socket.timeout:
    print('open')
" 2>&1)
check "slowloris with a default route: handed to the default backend, not reset ($out)" \
	test "$out" != reset
out=$(in_cli $PY -c "
import socket
s = socket.create_connection(('$SRV4', 443), timeout=5)
s.sendall(b'\x16\x03\x01\x00\x04\x02\x00\x00\x00')
try:
    d = s.recv(64)
    print('alert' if d[:1] == b'\x15' else 'closed' if not d else 'data %r' % d[:8])
except ConnectionResetError:
    print('reset')
" 2>&1)
expect_eq "not a ClientHello, default route: the default backend's TLS server answers with its alert" alert "$out"
expect_eq "... both counted as to the default, both handed off" "$((d0 + 2)) $((o0 + 2))" \
	"$(counter '["fallback"]["unreadable_to_default"]') $(counter '["fallback"]["handoff"]')"
in_srv $KSTEER route del default
check "ksteer up again: fast path back" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
a0=$(counter '["assigned"]')
expect_eq "fast path: b.example" "backend b" "$(get b.example)"
expect_eq "fast path: assigned in the kernel again" $((a0 + 1)) "$(counter '["assigned"]')"
# ksteerd stops cleanly on SIGTERM.
kill -TERM "$KSD"
sleep 0.3
check "ksteerd exits on SIGTERM and says so" grep -q "signal 15, exiting" "$WORK/ksteerd.log"
summary
