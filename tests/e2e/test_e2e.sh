#!/usr/bin/env bash
# End to end in two namespaces over veth: real TLS servers (openssl s_server,
# unmodified nginx) behind ksteer, real clients (curl, openssl s_client,
# gnutls-cli) in the client namespace. Checks that each SNI reaches its
# backend, that the backend's accepted socket has the client's address as
# peer and the public address as local, for private-port backends and for
# backends sharing the public port with SO_REUSEPORT, that refusals are fast,
# and that route changes under load fail no connection.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
for t in nginx openssl curl ss; do
	command -v $t >/dev/null || { fail "$t is not installed (make deps)"; summary; exit 1; }
done
ks_test_begin "end-to-end tests"
ks_make_certs "$WORK" a.example b.example c.example d.example e.example
check "ksteer up (lo and veth)" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443

# Backend A: openssl s_server on a private port (127.0.0.1:9001).
check "backend a" in_srv $KSTEER backend add a 127.0.0.1:9001
(cd "$WORK" && nsenter --net=/run/netns/$SRV_NS openssl s_server -accept 127.0.0.1:9001 \
	-cert a.example.pem -key a.example.key -www -quiet >/dev/null 2>&1) &
# Backend B: nginx on a private port, registered before it starts listening,
# two workers with a listener each (reuseport): two slots of one backend.
# A wildcard listen makes nginx ask getsockname() for $server_addr (with a
# specific address it prints its own config instead).
check "backend b" in_srv $KSTEER backend add b 0.0.0.0:9002
ks_nginx b "9002 reuseport" b.example 2
# Backend C: IPv6 private port.
check "backend c (IPv6)" in_srv $KSTEER backend add c '[::1]:9003'
(cd "$WORK" && nsenter --net=/run/netns/$SRV_NS openssl s_server -accept '[::1]:9003' \
	-cert c.example.pem -key c.example.key -www -quiet >/dev/null 2>&1) &
wait_listen 127.0.0.1 9001 && wait_listen 0.0.0.0 9002 && wait_listen '\[::1\]' 9003 ||
	fail "backends did not start"

in_srv $KSTEER route add a.example a
in_srv $KSTEER route add b.example b
in_srv $KSTEER route add '*.b.example' b
in_srv $KSTEER route add c.example c
expect_eq "listeners registered by sock_ops (1 + 2 workers + 1)" 4 \
	"$(in_srv $KSTEER backend list -j | $PY -c 'import json,sys; print(sum(b["listeners"] for b in json.load(sys.stdin)))')"

# curl_get HOST IP [EXTRA...]: body of https://HOST/ via IP, certificate checked.
curl_get() {
	local host=$1 ip=$2 cert=$3
	shift 3
	in_cli curl -sS --max-time 5 --cacert "$WORK/$cert.pem" \
		--resolve "$host:443:$ip" "$@" "https://$host/"
}

expect_eq "curl a.example -> s_server a (its certificate verified)" 0 \
	"$(curl_get a.example $SRV4 a.example -o /dev/null -w '%{http_code}\n' >/dev/null 2>&1; echo $?)"
expect_eq "curl b.example -> nginx b" "backend b" "$(curl_get b.example $SRV4 b.example)"
expect_eq "curl www.b.example -> nginx b (wildcard)" "backend b" "$(curl_get www.b.example $SRV4 b.example)"
expect_eq "curl over IPv6: c.example -> s_server c" 0 \
	"$(curl_get c.example "[$SRV6]" c.example -o /dev/null >/dev/null 2>&1; echo $?)"
out=$(in_cli timeout 5 openssl s_client -connect $SRV4:443 -servername a.example \
	-CAfile "$WORK/a.example.pem" -verify_return_error -brief </dev/null 2>&1)
check "openssl s_client a.example: verified a's certificate" grep -q "Verification: OK" <<<"$out"
if command -v gnutls-cli >/dev/null; then
	out=$(printf 'GET / HTTP/1.0\r\nHost: b.example\r\n\r\n' | in_cli timeout 5 gnutls-cli \
		--x509cafile="$WORK/b.example.pem" --sni-hostname=b.example --verify-hostname=b.example \
		-p 443 $SRV4 2>&1)
	check "gnutls-cli b.example -> nginx b" grep -q "backend b" <<<"$out"
else
	skip "gnutls-cli not installed"
fi

# What nginx's accepted sockets said: getpeername = client, getsockname = public
# (nginx calls getsockname() for $server_addr on a wildcard listener).
line=$(tail -n 1 "$WORK/nginx-b/access.log")
set -- $line
expect_eq "nginx b: peer is the client namespace" "$CLI4" "$1"
expect_eq "nginx b: local address is the public one" "$SRV4 443" "$3 $4"
# And s_server's, seen with ss while a connection is held open.
(sleep 2 | in_cli timeout 5 openssl s_client -connect $SRV4:443 -servername a.example -quiet \
	>/dev/null 2>&1) &
hold=$!
sleep 1
est=$(in_srv ss -Htnp state established "( sport = :443 )")
check "s_server holds the client's own socket (local $SRV4:443, peer $CLI4)" \
	grep -qE "$SRV4:443 +$CLI4:[0-9]+ .*openssl" <<<"$est"
wait $hold

# Refusals are immediate: no route (and no default), plain HTTP.
before=$(in_srv $KSTEER stats -j | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["no_route"], d["hello_malformed"])')
start=$(date +%s%N)
err=$(in_cli curl -sS --max-time 5 -k --resolve nosuch.example:443:$SRV4 https://nosuch.example/ 2>&1)
ms=$((($(date +%s%N) - start) / 1000000))
check "no route: connection reset (${ms} ms)" grep -qiE "reset|SSL_ERROR_SYSCALL|unexpected eof" <<<"$err"
in_cli curl -sS --max-time 5 http://$SRV4:443/ >/dev/null 2>&1
after=$(in_srv $KSTEER stats -j | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["no_route"], d["hello_malformed"])')
set -- $before
b_nr=$1 b_mal=$2
set -- $after
expect_eq "no route counted" $((b_nr + 1)) "$1"
expect_eq "plain HTTP counted as malformed" $((b_mal + 1)) "$2"
in_srv $KSTEER route add default b
expect_eq "default route catches the unknown name" "backend b" \
	"$(in_cli curl -sS --max-time 5 -k --resolve nosuch.example:443:$SRV4 https://nosuch.example/)"

# Shared public port: two unmodified nginx with `listen ... reuseport` on
# 198.18.0.1:443, one SO_REUSEPORT group; ksteer takes their listeners.
ks_nginx d "$SRV4:443 reuseport" d.example
ks_nginx e "$SRV4:443 reuseport" e.example
wait_listen $SRV4 443 || fail "shared-port nginx did not start"
sleep 0.5
check "backend d --pid (nginx master)" in_srv $KSTEER backend add d --pid "$(cat $WORK/nginx-d/master.pid)"
check "backend e --pid (nginx master)" in_srv $KSTEER backend add e --pid "$(cat $WORK/nginx-e/master.pid)"
in_srv $KSTEER route add d.example d
in_srv $KSTEER route add e.example e
good=0
for i in $(seq 20); do
	[ "$(curl_get d.example $SRV4 d.example)" == "backend d" ] && good=$((good + 1))
	[ "$(curl_get e.example $SRV4 e.example)" == "backend e" ] && good=$((good + 1))
done
expect_eq "shared port: 40 connections, each to its own nginx" 40 "$good"
sel=$(in_srv $KSTEER stats -j | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["reuseport_selected"])')
check "shared port: chosen by the sk_reuseport program ($sel)" test "$sel" -ge 40
line=$(tail -n 1 "$WORK/nginx-e/access.log")
set -- $line
expect_eq "shared port: nginx e sees the client and the public address" "$CLI4 $SRV4 443" "$1 $3 $4"

# Shared port, a ClientHello over three segments with its SNI in the first
# (Python's ssl, a long ALPN list; each segment its own packet): TC places
# the connection on that first segment, and the sk_reuseport program,
# reading the same partial hello, picks the same nginx.
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
placed() { in_srv $KSTEER stats -j | $PY -c 'import json,sys; print(json.load(sys.stdin)["hello_placed_partial"])'; }
p0=$(placed)
good=0
for h in d e d e d e; do
	out=$(in_cli $PY "$ROOT/tests/tools/tls_long_alpn.py" $SRV4 $h.example \
		"$WORK/$h.example.pem" 2>&1 | tail -n 1)
	[ "$out" = "backend $h" ] && good=$((good + 1))
done
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso on gso on >/dev/null 2>&1
expect_eq "shared port: 6 three-segment hellos, each to its own nginx" 6 "$good"
check "shared port: placed on their first segments ($(($(placed) - p0)))" test $(($(placed) - p0)) -ge 6

# A backend cannot claim the public address:port by address: every member
# of its group would become that backend's. On the shared port, backends
# register by process; one that restarts has a new listener that is
# nobody's until it is registered again, so meanwhile its connections are
# refused and counted, never hashed to another member of the group.
in_srv $KSTEER route del d.example
in_srv $KSTEER route del e.example
kill "$(cat $WORK/nginx-d/master.pid)" "$(cat $WORK/nginx-e/master.pid)"
sleep 0.5
in_srv $KSTEER backend del d
in_srv $KSTEER backend del e
out=$(in_srv $KSTEER backend add f $SRV4:443 2>&1)
check "backend f on the public address:port: refused ($out)" test $? -ne 0
ks_nginx f "$SRV4:443 reuseport" d.example
ks_nginx g "$SRV4:443 reuseport" e.example
wait_listen $SRV4 443
sleep 0.5
check "backend f --pid on the shared port" in_srv $KSTEER backend add f --pid "$(cat $WORK/nginx-f/master.pid)"
check "backend g --pid on the shared port" in_srv $KSTEER backend add g --pid "$(cat $WORK/nginx-g/master.pid)"
in_srv $KSTEER route add f.example f
in_srv $KSTEER route add g.example g
expect_eq "f.example reaches nginx f" "backend f" \
	"$(in_cli curl -sk --max-time 5 --resolve f.example:443:$SRV4 https://f.example/)"
kill "$(cat $WORK/nginx-f/master.pid)"
sleep 0.5
ks_nginx f "$SRV4:443 reuseport" d.example
sleep 0.5
nl() { in_srv $KSTEER stats -j | $PY -c 'import json,sys; print(json.load(sys.stdin)["no_listener"])'; }
n0=$(nl)
out=$(in_cli curl -sk --max-time 5 --resolve f.example:443:$SRV4 https://f.example/ 2>&1)
expect_eq "restarted f, not registered yet: refused and counted, not given to g" "$((n0 + 1))" "$(nl)"
check "... the client got no page ($out)" test "$out" != "backend g"
check "backend f --pid again (the new process)" in_srv $KSTEER backend add f --pid "$(cat $WORK/nginx-f/master.pid)"
expect_eq "then f.example reaches the new nginx f" "backend f" \
	"$(in_cli curl -sk --max-time 5 --resolve f.example:443:$SRV4 https://f.example/)"
expect_eq "and g.example still nginx g" "backend g" \
	"$(in_cli curl -sk --max-time 5 --resolve g.example:443:$SRV4 https://g.example/)"

# Route changes under load: 3 clients connecting in a loop while the route
# for www.b.example moves b -> a -> b, each move made once the clients have
# finished enough connections (not after a fixed sleep, which a fast or a
# loaded machine outruns). No connection may fail.
load() {
	local out i
	for i in $(seq 400); do
		[ -e "$WORK/stop" ] && break
		out=$(in_cli curl -sSk --max-time 5 --resolve www.b.example:443:$SRV4 https://www.b.example/ 2>&1)
		case $out in
		"backend b") echo b ;;
		*s_server*) echo a ;;
		*) echo "FAIL $(tr '\n' ' ' <<<"$out" | cut -c1-200)" ;;
		esac
	done
}
done_so_far() { cat "$WORK"/load? 2>/dev/null | wc -l; }
# wait_done N: until the clients have made N connections (60 s at most).
wait_done() {
	for _ in $(seq 600); do [ "$(done_so_far)" -ge "$1" ] && return; sleep 0.1; done
}
loaders=()
for c in 1 2 3; do
	load >"$WORK/load$c" &
	loaders+=($!)
done
wait_done 30
in_srv $KSTEER route add www.b.example a
moved=$(done_so_far)
wait_done $((moved + 45))
in_srv $KSTEER route del www.b.example
back=$(done_so_far)
wait_done $((back + 30))
touch "$WORK/stop"
wait "${loaders[@]}"
total=$(cat "$WORK"/load? | wc -l)
fails=$(grep -c FAIL "$WORK"/load? | awk -F: '{s += $2} END {print s}')
to_a=$(grep -c '^a$' "$WORK"/load? | awk -F: '{s += $2} END {print s}')
tail_b=$(tail -n 5 -q "$WORK"/load? | grep -c '^b$')
expect_eq "route change under load: $total connections, 0 failed" "0" "$fails"
grep -h FAIL "$WORK"/load? | head -5
check "route change took effect mid-run ($to_a went to a)" test "$to_a" -gt 0
check "route removal took effect (the last 5 of each client went to b: $tail_b of 15)" test "$tail_b" -eq 15
expect_eq "after the change: back to b" "backend b" "$(curl_get www.b.example $SRV4 b.example)"

stats=$(in_srv $KSTEER stats -j)
check "no assign errors" $PY -c 'import json,sys; d=json.loads(sys.argv[1]); sys.exit(d["assign_error"] != 0)' "$stats"
summary
