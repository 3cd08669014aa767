#!/usr/bin/env bash
# ksteer-backend end to end, in two namespaces over veth, with real
# clients (curl, openssl s_client, a Python client for what they cannot
# do): directly, through ksteer's fast path (two backends with their own
# certificates sharing the public port) and by hand-off from ksteerd.
# HTTP semantics, a 1 GB download, 1000 concurrent keep-alive
# connections, resets en masse, slowloris, --max-conns, SIGHUP, SIGTERM.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
BE=$ROOT/build/ksteer-backend
for t in openssl curl ss python3; do
	command -v $t >/dev/null || { fail "$t is not installed (make deps)"; summary; exit 1; }
done
[ -x "$BE" ] || { fail "no $BE (make build/ksteer-backend)"; summary; exit 1; }
ks_test_begin "ksteer-backend end-to-end tests"
ulimit -n 20000 2>/dev/null || ulimit -n 4096
KC=$WORK/kc.py
"$ROOT/tests/tools/backend_client.sh" "$KC"
kc() { in_cli $PY "$KC" "$@"; }

# Sites: D serves directly on :8443 (and hand-offs), s1 and s2 share :443.
mkdir -p "$WORK/certs" "$WORK/certs1" "$WORK/certs2" "$WORK/www/sub" "$WORK/www1" "$WORK/www2"
ks_make_certs "$WORK/certs" a.example b.example h.example r.example
cp "$WORK"/certs/a.example.* "$WORK/certs1/"
cp "$WORK"/certs/b.example.* "$WORK/certs2/"
echo "site D" >"$WORK/www/index.html"
echo "sub D" >"$WORK/www/sub/index.html"
echo "site 1" >"$WORK/www1/index.html"
echo "site 2" >"$WORK/www2/index.html"
for e in css js json png svg wasm woff2 txt; do echo x >"$WORK/www/f.$e"; done
head -c 1000000 /dev/urandom >"$WORK/www/1m.bin"
head -c 8000000 /dev/urandom >"$WORK/www/8m.bin"
ln -s /etc/passwd "$WORK/www/escape"
ln -s ../certs "$WORK/www/escape-dir"
# 1 GB, sparse with random blocks at the start, middle and end.
truncate -s 1G "$WORK/www/1g.bin"
for mb in 0 511 1023; do
	dd if=/dev/urandom of="$WORK/www/1g.bin" bs=1M count=1 seek=$mb conv=notrunc status=none
done

stats() { # FILE KEY: one counter after SIGUSR1 made the backend write it
	local pid=$1 file=$2 key=$3
	kill -USR1 "$pid"
	sleep 0.3
	$PY -c "import json,sys; print(json.load(open('$file'))['$key'])"
}

# --- D, directly ---
nsenter --net=/run/netns/$SRV_NS "$BE" --listen $SRV4:8443 --listen "[$SRV6]:8443" --reuseport 2 \
	--root "$WORK/www" --certs "$WORK/certs" --handoff "$WORK/h.sock" \
	--access-log "$WORK/d.log" --stats-file "$WORK/d.json" --header-timeout 2 \
	--idle-timeout 10 2>"$WORK/d.err" &
D=$!
wait_listen $SRV4 8443 || fail "backend D did not start"
sleep 0.2
expect_eq "one start-up line names the send path" 1 "$(grep -c 'send path: ' "$WORK/d.err")"
sendpath=$(grep 'send path: ' "$WORK/d.err" | sed 's/.*send path: //')
echo "# $sendpath"

get() { # HOST PATH [CURL ARGS...]: through D, certificate verified
	local h=$1 p=$2
	shift 2
	in_cli curl -sS --max-time 20 --cacert "$WORK/certs/$h.pem" \
		--resolve "$h:8443:$SRV4" "$@" "https://$h:8443$p"
}
code() { get "$@" -o /dev/null -w '%{http_code}' --path-as-is; }

expect_eq "curl a.example: index.html, a's certificate verified" "site D" "$(get a.example /)"
expect_eq "curl b.example: b's certificate chosen by SNI and verified" "site D" "$(get b.example /)"
expect_eq "curl www.b.example: the parent's (wildcard) certificate" "site D" "$(get www.b.example / --cacert "$WORK/certs/b.example.pem")"
expect_eq "IPv6 client" "site D" "$(in_cli curl -sS --max-time 5 -k "https://[$SRV6]:8443/")"
out=$(in_cli timeout 5 openssl s_client -connect $SRV4:8443 -noservername </dev/null 2>/dev/null |
	openssl x509 -noout -subject 2>/dev/null)
check "no SNI: the default (first) certificate, a.example ($out)" grep -q "CN *= *a.example" <<<"$out"
out=$(in_cli timeout 5 openssl s_client -connect $SRV4:8443 -servername b.example -alpn h2,http/1.1 </dev/null 2>&1)
check "ALPN: http/1.1 selected from h2,http/1.1" grep -q "ALPN protocol: http/1.1" <<<"$out"
out=$(in_cli timeout 5 openssl s_client -connect $SRV4:8443 -servername b.example -alpn h2 </dev/null 2>&1)
check "ALPN: only h2 offered: handshake completes without ALPN" grep -q "No ALPN negotiated" <<<"$out"
check "openssl s_client: verified b's certificate" grep -q "Verify return code: 0" <<<"$(in_cli timeout 5 \
	openssl s_client -connect $SRV4:8443 -servername b.example -CAfile "$WORK/certs/b.example.pem" </dev/null 2>&1)"

# Keep-alive and pipelining.
t0=$(stats $D "$WORK/d.json" conns_total)
out=$(get a.example / https://a.example:8443/sub/ https://a.example:8443/f.css -v 2>&1)
expect_eq "keep-alive: three requests" 3 "$(grep -c '^< HTTP/1.1 200' <<<"$out")"
expect_eq "keep-alive: on one connection" $((t0 + 1)) "$(stats $D "$WORK/d.json" conns_total)"
out=$(kc raw $SRV4 8443 a.example 'GET / HTTP/1.1\r\nHost: a\r\n\r\nHEAD /sub/ HTTP/1.1\r\nHost: a\r\n\r\nGET /f.txt HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
expect_eq "pipelining: three responses from one write" 3 "$(grep -c '^HTTP/1.1 200' <<<"$out")"
check "pipelining: in order (D, no body for HEAD, x)" test "$(grep -avE '^[A-Z][-A-Za-z]*:|^HTTP|^\s*$|^#' <<<"$out" | tr -d '\r' | tr '\n' ' ')" = "site D x "
check "Connection: close: the server closes with close_notify" grep -q '#close close_notify' <<<"$out"
out=$(kc raw $SRV4 8443 a.example 'GET / HTTP/1.0\r\n\r\n')
check "HTTP/1.0: answered, then closed with close_notify" grep -qz 'HTTP/1.1 200.*Connection: close.*site D.*#close close_notify' <<<"$out"
out=$(kc raw $SRV4 8443 a.example 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /f.txt HTTP/1.0\r\n\r\n')
expect_eq "HTTP/1.0 keep-alive: two responses" 2 "$(grep -c '^HTTP/1.1 200' <<<"$out")"

# HEAD, Range, conditional, MIME.
out=$(get a.example /1m.bin -I)
check "HEAD: Content-Length of the file, no body" grep -q "Content-Length: 1000000" <<<"$out"
check "HEAD: Last-Modified" grep -q "Last-Modified: " <<<"$out"
get a.example /1m.bin -r 100-199 -o "$WORK/r.bin" -D "$WORK/r.h"
expect_eq "Range bytes=100-199: 206, Content-Range, the right bytes" \
	"206 bytes 100-199/1000000 $(dd if="$WORK/www/1m.bin" bs=1 skip=100 count=100 status=none | sha256sum)" \
	"$(head -c 12 "$WORK/r.h" | cut -c10-12) $(grep -i '^Content-Range' "$WORK/r.h" | cut -d' ' -f2- | tr -d '\r') $(sha256sum <"$WORK/r.bin")"
expect_eq "Range bytes=999990-" "$(tail -c 10 "$WORK/www/1m.bin" | sha256sum)" "$(get a.example /1m.bin -r 999990- | sha256sum)"
expect_eq "Range bytes=-7" "$(tail -c 7 "$WORK/www/1m.bin" | sha256sum)" "$(get a.example /1m.bin -r -7 | sha256sum)"
out=$(get a.example /1m.bin -H 'Range: bytes=2000000-' -D - -o /dev/null)
check "Range past the end: 416 with Content-Range */size" grep -qz "416.*Content-Range: bytes \*/1000000" <<<"$out"
expect_eq "If-Modified-Since later than the file: 304" 304 "$(code a.example /1m.bin -z "$(date -u -d '+1 day' '+%a, %d %b %Y %H:%M:%S GMT')")"
expect_eq "If-Modified-Since earlier: 200" 200 "$(code a.example /1m.bin -z 'Sun, 06 Nov 1994 08:49:37 GMT')"
types=""
for e in css js json png svg wasm woff2 txt; do types+="$(get a.example /f.$e -o /dev/null -w '%{content_type}') "; done
expect_eq "MIME types" "text/css; charset=utf-8 text/javascript; charset=utf-8 application/json image/png image/svg+xml application/wasm font/woff2 text/plain; charset=utf-8 " "$types"
expect_eq "unknown extension: application/octet-stream" application/octet-stream "$(get a.example /1m.bin -o /dev/null -w '%{content_type}')"
expect_eq "directory without /: 301 to the / form" "301 https://a.example:8443/sub/" \
	"$(get a.example /sub -o /dev/null -w '%{http_code} %{redirect_url}')"
expect_eq "directory: its index.html" "sub D" "$(get a.example /sub/)"

# Refusals.
expect_eq "404 for a missing file" 404 "$(code a.example /nope)"
expect_eq "405 for POST" 405 "$(code a.example / -X POST)"
expect_eq "405 for DELETE" 405 "$(code a.example / -X DELETE)"
expect_eq "414 for a 9 KB URI" 414 "$(code a.example "/$(head -c 9000 /dev/zero | tr '\0' a)")"
expect_eq "413 for a 17 KB header block" 413 "$(code a.example / -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' a)")"
expect_eq "traversal /../ refused (400)" 400 "$(code a.example /../../etc/passwd)"
expect_eq "traversal /%2e%2e/ refused (400)" 400 "$(code a.example /%2e%2e/%2e%2e/etc/passwd)"
expect_eq "traversal /sub/%2E%2e%2fx refused (400)" 400 "$(code a.example /sub/%2E%2e%2f..%2fetc)"
expect_eq "symlink out of the root refused (403)" 403 "$(code a.example /escape)"
expect_eq "symlinked directory out of the root refused (403)" 403 "$(code a.example /escape-dir/a.example.key)"
out=$(kc raw $SRV4 8443 a.example 'GET http://a/etc/passwd HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
check "absolute-form target refused (400); the connection goes on" grep -qz '^HTTP/1.1 400.*HTTP/1.1 200.*site D.*#close close_notify' <<<"$out"
out=$(kc raw $SRV4 8443 a.example 'GET / HTTP/1.1\r\n\r\n')
check "400 for HTTP/1.1 without Host" grep -q '^HTTP/1.1 400' <<<"$out"
out=$(kc raw $SRV4 8443 a.example 'GARBAGE\r\n\r\n')
check "400 for a malformed request line" grep -q '^HTTP/1.1 400' <<<"$out"

# Access log: the peer address of the accepted socket.
line=$(grep '"GET /f.css HTTP/1.1" 200 2' "$WORK/d.log" | tail -n 1)
check "access log: client address, method, path, status, bytes ($line)" grep -q "^$CLI4 - - \[" <<<"$line"

# A 1 GB file, checked end to end (bounded: 120 s).
want=$(sha256sum "$WORK/www/1g.bin" | cut -d' ' -f1)
start=$(date +%s%N)
got=$(get a.example /1g.bin --max-time 120 | sha256sum | cut -d' ' -f1)
ms=$((($(date +%s%N) - start) / 1000000))
expect_eq "1 GB download: sha256 matches (${ms} ms)" "$want" "$got"

# 1000 concurrent keep-alive connections, two requests each.
out=$(kc many $SRV4 8443 a.example 1000 /f.txt 2 2>&1 | tail -n 3)
expect_eq "1000 concurrent keep-alive connections, 2000 requests, all served" "ok 1000 of 1000" "$(tail -n 1 <<<"$out")"

# Faults en masse: resets mid-handshake, mid-request, mid-response, and
# curls killed mid-download; nothing may leak.
e0=$(stats $D "$WORK/d.json" conns_total)
out=$(kc faults $SRV4 8443 a.example 300 /8m.bin)
expect_eq "300 connections reset mid-handshake/request/response" "cut 300" "$out"
rm -f "$WORK/curls"
(
	for i in $(seq 20); do
		nsenter --net=/run/netns/$CLI_NS curl -sk --limit-rate 1M \
			--resolve a.example:8443:$SRV4 https://a.example:8443/8m.bin -o /dev/null &
		echo $! >>"$WORK/curls"
	done
	wait
) 2>/dev/null &
K=$!
sleep 1.5
kill -KILL $(cat "$WORK/curls")	# nsenter execs curl: these pids are the curls'
wait $K
sleep 1
expect_eq "after the faults: 0 connections open" 0 "$(stats $D "$WORK/d.json" conns_open)"
expect_eq "after the faults: every fixed-file slot back" 0 "$(stats $D "$WORK/d.json" slots_in_use)"
expect_eq "after the faults: every receive buffer back" 0 "$(stats $D "$WORK/d.json" bufs_in_use)"
expect_eq "and D still serves" "site D" "$(get a.example /)"

# Slowloris: a head trickled a line every 0.5 s is cut at --header-timeout 2.
t0=$(stats $D "$WORK/d.json" timeouts)
out=$(kc slowloris $SRV4 8443 a.example 0.5 10)
set -- $out
check "slowloris cut by the header timeout ($out)" \
	test "$1" = closed -a "${2%.*}" -ge 1 -a "${2%.*}" -le 4
check "counted as a timeout" test "$(stats $D "$WORK/d.json" timeouts)" -gt "$t0"

# kTLS: only where the kernel has the TLS ULP.
if [[ $sendpath == ktls* ]]; then
	get a.example /8m.bin -o /dev/null
	check "kTLS connections counted" test "$(stats $D "$WORK/d.json" ktls_conns)" -gt 0
else
	skip "kTLS path: $sendpath"
	check "userspace path: every connection counted userspace" test \
		"$(stats $D "$WORK/d.json" userspace_conns)" -gt 1000 -a "$(stats $D "$WORK/d.json" ktls_conns)" = 0
fi

# --- --max-conns: M allows 3 ---
nsenter --net=/run/netns/$SRV_NS "$BE" --listen $SRV4:8445 --root "$WORK/www" \
	--certs "$WORK/certs" --access-log off --stats-file "$WORK/m.json" --max-conns 3 2>/dev/null &
M=$!
wait_listen $SRV4 8445
kc hold $SRV4 8445 a.example 3 3 >"$WORK/hold" &
H=$!
for _ in $(seq 50); do grep -q held "$WORK/hold" && break; sleep 0.1; done
expect_eq "max-conns 3: a fourth connection is closed at once" refused "$(kc handshake $SRV4 8445 a.example | cut -d' ' -f1)"
expect_eq "max-conns: counted" 1 "$(stats $M "$WORK/m.json" rejected_max_conns)"
wait $H
sleep 0.5
expect_eq "max-conns: served again once the three are gone" ok "$(kc handshake $SRV4 8445 a.example)"
kill $M

# --- receive buffers run out: 16 per worker, 200 clients downloading ---
nsenter --net=/run/netns/$SRV_NS "$BE" --listen $SRV4:8446 --bufs 16 --root "$WORK/www" \
	--certs "$WORK/certs" --access-log off --stats-file "$WORK/b.json" 2>/dev/null &
B=$!
wait_listen $SRV4 8446
expect_eq "16 receive buffers, 200 connections x 2 requests: all served" "ok 200 of 200" \
	"$(kc many $SRV4 8446 a.example 200 /1m.bin 2 2>&1 | tail -n 1)"
check "connections waited for a buffer ($(stats $B "$WORK/b.json" buf_waits) times)" \
	test "$(stats $B "$WORK/b.json" buf_waits)" -gt 0
expect_eq "and every buffer came back" "0 0" \
	"$(stats $B "$WORK/b.json" bufs_in_use) $(stats $B "$WORK/b.json" conns_open)"
kill $B

# --- ksteer fast path: s1 (a.example) and s2 (b.example) share :443 ---
check "ksteer up" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
nsenter --net=/run/netns/$SRV_NS "$BE" --listen $SRV4:443 --reuseport 2 --root "$WORK/www1" \
	--certs "$WORK/certs1" --access-log "$WORK/s1.log" 2>"$WORK/s1.err" &
S1=$!
nsenter --net=/run/netns/$SRV_NS "$BE" --listen $SRV4:443 --root "$WORK/www2" \
	--certs "$WORK/certs2" --access-log "$WORK/s2.log" 2>"$WORK/s2.err" &
S2=$!
wait_listen $SRV4 443
sleep 0.5
check "backend s1 --pid (2 listeners)" in_srv $KSTEER backend add s1 --pid $S1
check "backend s2 --pid" in_srv $KSTEER backend add s2 --pid $S2
in_srv $KSTEER route add a.example s1
in_srv $KSTEER route add b.example s2
pub() { # HOST: through ksteer on :443, certificate verified
	in_cli curl -sS --max-time 5 --cacert "$WORK/certs/$1.pem" --resolve "$1:443:$SRV4" "https://$1/"
}
good=0
for i in $(seq 10); do
	[ "$(pub a.example)" == "site 1" ] && good=$((good + 1))
	[ "$(pub b.example)" == "site 2" ] && good=$((good + 1))
done
expect_eq "ksteer: 20 connections, each SNI to its own backend, its certificate verified" 20 "$good"
set -- $(tail -n 1 "$WORK/s1.log")
expect_eq "ksteer: s1's access log has the real client address" "$CLI4" "$1"
set -- $(tail -n 1 "$WORK/s2.log")
expect_eq "ksteer: s2's access log has the real client address" "$CLI4" "$1"
out=$(in_cli timeout 5 openssl s_client -connect $SRV4:443 -servername b.example -CAfile "$WORK/certs/b.example.pem" </dev/null 2>&1)
check "ksteer: openssl s_client b.example verified by s2's certificate" grep -q "Verify return code: 0" <<<"$out"

# --- hand-off from ksteerd to D ---
in_srv $KSTEER backend add h --handoff "$WORK/h.sock"
in_srv $KSTEER route add h.example h
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --deadline 1000 \
	2>"$WORK/ksteerd.log" &
sleep 0.5
h0=$(stats $D "$WORK/d.json" handoffs)
expect_eq "hand-off: h.example through ksteerd, served by D" "site D" "$(pub h.example)"
expect_eq "hand-off: counted by D" $((h0 + 1)) "$(stats $D "$WORK/d.json" handoffs)"
set -- $(tail -n 1 "$WORK/d.log")
expect_eq "hand-off: D's access log has the real client address" "$CLI4" "$1"

# --- SIGHUP: new certificate for new connections, old ones unaffected ---
serial() { in_cli timeout 5 openssl s_client -connect $SRV4:8443 -servername r.example </dev/null 2>/dev/null |
	openssl x509 -noout -serial; }
old=$(serial)
kc reuse $SRV4 8443 r.example 10 "$WORK/reloaded" >"$WORK/reuse" &
R=$!
sleep 0.5
mkdir "$WORK/new"
ks_make_certs "$WORK/new" r.example
mv "$WORK/new/r.example.pem" "$WORK/new/r.example.key" "$WORK/certs/"
kill -HUP $D
sleep 0.5
touch "$WORK/reloaded"
new=$(serial)
expect_eq "SIGHUP: a new connection gets the new certificate" "$(openssl x509 -noout -serial -in "$WORK/certs/r.example.pem")" "$new"
check "SIGHUP: the serial changed ($old -> $new)" test "$old" != "$new"
wait $R
expect_eq "SIGHUP: a connection from before goes on" "first HTTP/1.1 200 OK second HTTP/1.1 200 OK" \
	"$(tr '\n' ' ' <"$WORK/reuse" | sed 's/ $//')"

# --- SIGTERM: stop accepting, finish the download in progress, exit 0 ---
get a.example /8m.bin --limit-rate 2M -o "$WORK/slow.bin" &
C=$!
sleep 1
kill -TERM $D
sleep 0.5
check "SIGTERM: new connections refused" test "$(code a.example / --max-time 2 2>/dev/null)" = 000
wait $C
expect_eq "SIGTERM: the download in progress completed intact" "$(sha256sum <"$WORK/www/8m.bin")" "$(sha256sum <"$WORK/slow.bin")"
wait $D
expect_eq "SIGTERM: exit status 0 after draining" 0 "$?"
check "SIGTERM: no connection left at exit" test "$($PY -c "import json; print(json.load(open('$WORK/d.json'))['conns_open'])")" = 0
summary
