#!/usr/bin/env bash
# Hand-back end to end: what reaches ksteerd for an address backend goes
# back into that backend's listener, so the backend (unmodified nginx on a
# private port) accepts the client's own connection and logs the client's
# address, never 127.0.0.1.
#   a. a real TLS ClientHello in 33+ segments (past the kernel's 32)
#   b. server-closes-first, one client port: each SYN meets TIME_WAIT
#   c. a real TLS ClientHello over the kernel's 16 KB (a 17 KB ALPN list)
#      for each: the TLS handshake and the HTTP request complete, nginx logs
#      the client, ss shows no connection of ksteerd's, the counters moved,
#      and tcpdump sees no RST and no FIN from ksteerd (one FIN per
#      connection, the backend's)
#   d. --fallback-only: no hand-back; refused and counted, never proxied
#      from this host; with the backend's own proxy target and PROXY v2,
#      proxied with the client's address
#   e. 50 connections at once, each with a 17 KB hello in 1 KB pieces and
#      20 KB right after: every byte at the backend
#   g. IPv6: a hello in pieces from an IPv6 client, handed back to nginx on
#      [::1] (the raw IPv6 path), which logs the client's IPv6 address
#   i. a 64 KB hello and 200 KB after it: more than one segment carries,
#      the rest fed to the connection once placed
#   h. a backend whose accept queue is full: TC does not place it, ksteerd
#      retries, then resets the client and counts the failure
#   f. backends sharing the public port with ksteerd (nginx reuseport,
#      --pid): the kernel selects again in the group on the handed-back
#      segment; a hello in pieces and a 17 KB one (too big for the
#      sk_reuseport program's parser) still end at the routed nginx
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "hand-back end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py
TLS=$ROOT/tests/tools/tls_pieces.py
ks_make_certs "$WORK" b.example s1.example s2.example b6.example
check "ksteer up" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
fb() { counter "[\"fallback\"][\"$1\"]"; }
# ksteerd counts a hand-back when it confirms it, 10 ms after the client's
# connection may already be done: wait for every pending one first.
settled() { for _ in $(seq 100); do [ "$(fb handback_pending)" = 0 ] && break; sleep 0.02; done; fb "$1"; }

NGINX_LOG='$remote_addr $remote_port'
in_srv $KSTEER backend add b 127.0.0.1:9002
ks_nginx b 127.0.0.1:9002 b.example
in_srv $KSTEER route add b.example b
# An ALPN route for the name (the tool's client offers no ALPN): a prefix
# naming b.example does not fix the route, so TC holds every hello to the
# end instead of placing it once named, and a. really passes 32 segments.
in_srv $KSTEER route add b.example b --alpn acme-tls/1
in_srv $KSTEER backend add rec 127.0.0.1:9005
in_srv $KSTEER route add rec.example rec
nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" record-more 9005 "$WORK/rec.log" &
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --listen "[$SRV6]:443" \
	--deadline 2000 \
	2>"$WORK/ksteerd.log" &
wait_listen 127.0.0.1 9002 && wait_listen 127.0.0.1 9005 && wait_listen $SRV4 443 ||
	fail "servers did not start"
sleep 0.3
# Every RST and FIN the server side sends to the client during a-c.
in_srv timeout 60 tcpdump -i "$SRV_IF" -nn -S -U -w "$WORK/finrst.pcap" \
	'tcp src port 443 and tcp[tcpflags] & (tcp-fin|tcp-rst) != 0' 2>/dev/null &
TCPDUMP=$!
sleep 1

tls_to() { # HOST [ARGS...]
	local h=$1
	shift
	in_cli env KS_LOCAL_PORT=${PORT:-0} timeout 20 $PY "$TLS" ${IP:-$SRV4} 443 "$h" "$WORK/$h.pem" "$@"
}
tls() { tls_to b.example "$@"; }
logged() { tail -n "$1" "$WORK/nginx-b/access.log" | cut -d' ' -f1 | sort -u | paste -sd' '; }
none_of_ksteerd() { ! in_srv ss -Htanp state all '( sport = :443 )' | grep -v LISTEN | grep -q ksteerd; }

# a. 2-byte writes: the hello leaves in 250-odd segments (129+ even when
# some coalesce under load), TC holds 128 and gives
# the flow to ksteerd, which hands it back.
h0=$(settled handback) r0=$(counter '["reasm_handed_to_fallback"]') a0=$(counter '["handback_assigned"]')
expect_eq "a. hello in 129+ segments: TLS and HTTP done with nginx" "ok backend b" "$(tls --chunk 2)"
expect_eq "a. nginx logged the client's address" "$CLI4" "$(logged 1)"
expect_eq "a. through ksteerd, handed back, placed by TC" "1 1 1" \
	"$(($(counter '["reasm_handed_to_fallback"]') - r0)) $(($(settled handback) - h0)) $(($(counter '["handback_assigned"]') - a0))"
check "a. no connection of ksteerd's left" none_of_ksteerd

# b. server-closes-first from one client port: the 2nd and later SYNs meet
# the TIME_WAIT socket the previous connection left, so the kernel gives
# them to ksteerd.
h0=$(settled handback) tw0=$(counter '["time_wait_detour"]')
out=$(PORT=40000 tls --count 5)
expect_eq "b. TIME_WAIT detour: 5 connections from port 40000, all served" 5 "$(grep -c '^ok backend b$' <<<"$out")"
grep -v '^ok' <<<"$out" | head -3
tw=$(($(counter '["time_wait_detour"]') - tw0)) hb=$(($(settled handback) - h0))
check "b. SYNs that met TIME_WAIT went to ksteerd ($tw) and were handed back ($hb)" \
	test "$tw" -ge 3 -a "$hb" -eq "$tw"
expect_eq "b. nginx logged the client's address for each" "$CLI4" "$(logged 5)"
check "b. no connection of ksteerd's left" none_of_ksteerd

# c. A 17 KB ClientHello: past the kernel's parser buffer, TC gives it to
# ksteerd on its first segment.
h0=$(settled handback) tb0=$(counter '["hello_too_big"]')
expect_eq "c. 17 KB ClientHello: TLS and HTTP done with nginx" "ok backend b" "$(tls --alpn-pad 17000)"
expect_eq "c. nginx logged the client's address" "$CLI4" "$(logged 1)"
expect_eq "c. too big for the kernel, handed back" "1 1" \
	"$(($(counter '["hello_too_big"]') - tb0)) $(($(settled handback) - h0))"
check "c. no connection of ksteerd's left" none_of_ksteerd
expect_eq "a-c. nginx never saw 127.0.0.1" 0 "$(grep -c '^127\.' "$WORK/nginx-b/access.log")"
expect_eq "a-c. no hand-back failed, none refused" "0 0" "$(fb handback_failed) $(fb refused_no_client_address)"

# What the server side sent with FIN or RST: one FIN per connection (7:
# a, b's 5, c), all the backend's; a FIN or RST of ksteerd's socket would
# be an extra one (another sequence number) or a RST.
sleep 1
kill "$TCPDUMP" 2>/dev/null
wait "$TCPDUMP" 2>/dev/null
flags=$(in_srv tcpdump -nn -S -r "$WORK/finrst.pcap" 2>/dev/null |
	sed -nE 's/.* > [0-9.]+\.([0-9]+): Flags \[([^]]*)\], seq ([0-9]+).*/\1 \2 \3/p' | sort -u)
expect_eq "a-c. tcpdump: no RST from the server side" 0 "$(grep -c 'R' <<<"$flags")"
expect_eq "a-c. tcpdump: one FIN per connection (7), none of ksteerd's" 7 "$(grep -c 'F' <<<"$flags")"

# e. 50 at once, a 17 KB hello (too big for the kernel: to ksteerd on its
# first segment) in 1 KB pieces and 20 KB more right after it: the
# backend's hash of all it read matches the client's.
h0=$(settled handback) pids=()
for i in $(seq 50); do
	in_cli env KS_EXTRA=20000 timeout 30 $PY "$TOOL" send $SRV4 443 rec.example 17000 16900 1 1000 \
		>"$WORK/e.$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
oks=$(cat "$WORK"/e.* | grep -c '^ok ')
expect_eq "e. 50 parallel connections with data after the hello: all answered" 50 "$oks"
got=$(cat "$WORK"/e.* | awk '/^ok /{print $3, $4}' | sort)
want=$(awk '{print $3, $4}' "$WORK/rec.log" | sort)
expect_eq "e. the backend read every byte each sent (length and sha256 match)" "$want" "$got"
expect_eq "e. every one from the client's address" "$CLI4" "$(cut -d: -f1 "$WORK/rec.log" | sort -u)"
hb=$(($(settled handback) - h0))
check "e. handed back by ksteerd ($hb)" test "$hb" -ge 45
expect_eq "e. none failed, nothing left pending" "0 0" "$(fb handback_failed) $(fb handback_pending)"
check "e. no connection of ksteerd's left" none_of_ksteerd

# i. A 64 KB ClientHello and 200 KB right after it: more than one segment
# carries (60 KB), so the first places the connection and the rest is fed
# to it as its window opens; the backend reads every byte, in order.
h0=$(settled handback) f0=$(fb handback_failed)
out=$(in_cli env KS_EXTRA=200000 timeout 20 $PY "$TOOL" send $SRV4 443 rec.example 65536 65000)
set -- $out
got=$(grep -c " $3 $4\$" "$WORK/rec.log")
check "i. 64 KB hello + 200 KB: answered, the backend read all $3 bytes (${2} ms)" \
	test "$1" = ok -a "$got" -ge 1
expect_eq "i. handed back, none failed" "1 $f0" "$(($(settled handback) - h0)) $(fb handback_failed)"

# g. IPv6 end to end: the client's IPv6 connection, handed back through the
# raw IPv6 socket, into nginx's [::1] listener. A ClientHello too big for
# the kernel: a hello in pieces can coalesce into few enough segments for
# the kernel to place it itself, and then nothing is handed back.
NGINX_LOG='$remote_addr $remote_port'
in_srv $KSTEER backend add b6 "[::1]:9006"
ks_nginx b6 "[::1]:9006" b6.example
in_srv $KSTEER route add b6.example b6
sleep 0.5
h0=$(settled handback)
expect_eq "g. IPv6 client, 17 KB hello: TLS and HTTP done with nginx on [::1]" "ok backend b6" \
	"$(IP=$SRV6 tls_to b6.example --alpn-pad 17000)"
expect_eq "g. handed back; nginx logged the client's IPv6 address" "1 $CLI6" \
	"$(($(settled handback) - h0)) $(cut -d' ' -f1 "$WORK/nginx-b6/access.log")"

# f. Two nginx on the public port itself, in one SO_REUSEPORT group with
# ksteerd's listener. The handed-back segment goes to s2's listener, and
# the kernel selects again in the group: our sk_reuseport program routes it
# by the ClientHello it carries, or, when that is too big for it, keeps
# TC's choice (never ksteerd's socket, which would loop).
NGINX_LOG='$remote_addr $remote_port'
ks_nginx s1 "$SRV4:443 reuseport" s1.example
ks_nginx s2 "$SRV4:443 reuseport" s2.example
sleep 0.5
check "f. s1, s2 --pid (nginx masters on the public port)" \
	in_srv $KSTEER backend add s1 --pid "$(cat "$WORK/nginx-s1/master.pid")"
in_srv $KSTEER backend add s2 --pid "$(cat "$WORK/nginx-s2/master.pid")"
in_srv $KSTEER route add s1.example s1
in_srv $KSTEER route add s2.example s2
h0=$(settled handback) sel0=$(counter '["reuseport_selected"]')
f0=$(($(counter '["reasm_handed_to_fallback"]') + $(counter '["hello_too_big"]')))
expect_eq "f. shared port, hello in pieces: served by s2" "ok backend s2" "$(tls_to s2.example --chunk 8)"
expect_eq "f. shared port, 17 KB hello: served by s2" "ok backend s2" "$(tls_to s2.example --alpn-pad 17000)"
# (A hello in pieces is forced through ksteerd unless its segments
# coalesced into 32 or fewer: then the kernel placed it itself.)
forced=$(($(counter '["reasm_handed_to_fallback"]') + $(counter '["hello_too_big"]') - f0))
expect_eq "f. each forced through ksteerd ($forced) handed back, s2 logged the client twice" \
	"$forced $CLI4 2" "$(($(settled handback) - h0)) $(cut -d' ' -f1 "$WORK/nginx-s2/access.log" | sort -u) $(wc -l <"$WORK/nginx-s2/access.log")"
check "f. the sk_reuseport program chose them" test "$(($(counter '["reuseport_selected"]') - sel0))" -ge 2
expect_eq "f. s1 saw nothing" 0 "$(cat "$WORK/nginx-s1/access.log" 2>/dev/null | wc -l)"

# h. A listener that never accepts, backlog 0: one connection fills its
# queue (the fast path puts it there), so TC will not place the next (a
# 17 KB hello, which goes to ksteerd) when it is handed back; the
# kernel would drop a child made for a full queue. ksteerd sends its
# segment again 3 times, then resets the client.
in_srv $KSTEER backend add full 127.0.0.1:9007
in_srv $KSTEER route add full.example full
nsenter --net=/run/netns/$SRV_NS $PY -c "
import socket, time
s = socket.socket(); s.bind(('127.0.0.1', 9007)); s.listen(0); time.sleep(30)" &
wait_listen 127.0.0.1 9007
in_cli timeout 10 $PY "$TOOL" send $SRV4 443 full.example 600 100 >/dev/null 2>&1 &
sleep 0.5
f0=$(fb handback_failed) r0=$(fb handback_retried) u0=$(counter '["handback_unplaced"]')
out=$(in_cli timeout 10 $PY "$TOOL" send $SRV4 443 full.example 17000 16900 1 1000)
check "h. full accept queue: the client is reset (${out:0:40}...)" grep -q "ConnectionResetError" <<<"$out"
expect_eq "h. counted: 3 retries, 1 failure, TC refused all 4 injections" "3 1 4" \
	"$(($(fb handback_retried) - r0)) $(($(fb handback_failed) - f0)) $(($(counter '["handback_unplaced"]') - u0))"
expect_eq "h. nothing left pending" 0 "$(fb handback_pending)"
kill %?"s.listen(0)" 2>/dev/null

# d. --fallback-only: no TC, so no hand-back; b has no proxy target of its
# own: refused and counted, never proxied from 127.0.0.1.
check "d. ksteer up --fallback-only" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443 --fallback-only
n0=$(wc -l <"$WORK/nginx-b/access.log") ref0=$(fb refused_no_client_address)
out=$(tls)
check "d. fallback-only, no proxy target: refused ($out)" grep -q '^FAIL' <<<"$out"
expect_eq "d. counted refused_no_client_address" $((ref0 + 1)) "$(fb refused_no_client_address)"
expect_eq "d. nginx saw nothing" "$n0" "$(wc -l <"$WORK/nginx-b/access.log")"
# The backend states a proxy target of its own, with PROXY v2.
NGINX_LOG='$remote_addr $proxy_protocol_addr'
ks_nginx bp "127.0.0.1:9003 proxy_protocol" b.example
in_srv $KSTEER backend add b --proxy 127.0.0.1:9003 --proxy-protocol
wait_listen 127.0.0.1 9003
p0=$(fb proxy)
expect_eq "d. with 'proxy 127.0.0.1:9003 proxy-protocol': proxied" "ok backend bp" "$(tls)"
expect_eq "d. nginx read the client's address in the PROXY v2 header" "127.0.0.1 $CLI4" \
	"$(tail -n 1 "$WORK/nginx-bp/access.log")"
expect_eq "d. counted as proxied" $((p0 + 1)) "$(fb proxy)"
summary
