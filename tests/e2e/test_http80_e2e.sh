#!/usr/bin/env bash
# Plain HTTP on port 80 by Host, and SSH on the TLS port, end to end: two
# unmodified nginx sites on private ports behind public port 80 (routes
# from a config file: exact, wildcard, default), reached by curl and wget;
# an ACME http-01 style request to each site's own server; a request split
# over segments; HTTP/1.0 without Host; absolute-form; malformed heads (a
# second Host, obs-fold) to the default; the backends seeing the client's
# own address; IPv6; backends sharing the public port 80 (reuseport); a
# head over the kernel's 8 KB through ksteerd; then Debian's
# sshd behind port 443, reached by OpenSSH's client, while curl over TLS on
# the same port reaches its site.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
for t in nginx curl wget ssh sshd ssh-keygen ss; do
	command -v $t >/dev/null || { fail "$t is not installed (make deps)"; summary; exit 1; }
done
ks_test_begin "plain HTTP and SSH end-to-end tests"
counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; d=json.load(sys.stdin); print(d$1)"; }
ks_make_certs "$WORK" a.example

# http_site NAME PORT: nginx serving "site NAME" over plain HTTP on
# PORT, an ACME token of its own, and an access log of the peer,
# the local address as nginx sees it, and the Host.
http_site() {
	local d=$WORK/http-$1
	mkdir -p "$d/www/.well-known/acme-challenge"
	echo "site $1" >"$d/www/index.html"
	echo "token of $1" >"$d/www/.well-known/acme-challenge/tok"
	cat >"$d/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 256; }
http {
	log_format ks '\$remote_addr \$server_addr \$server_port \$status \$host';
	access_log $d/access.log ks;
	large_client_header_buffers 4 32k;
	server {
		listen $2;                # wildcard: \$server_addr is getsockname()'s
		server_name _;
		location / { root $d/www; }
	}
}
EOF
	nsenter --net=/run/netns/$SRV_NS nginx -p "$d" -c "$d/nginx.conf" &
	echo $! >"$d/master.pid"          # nsenter execs nginx: its master
}
http_site a 8001
http_site b 8002
http_site c "[::]:8003 ipv6only=on"       # an IPv6 listener, for IPv6 clients
ks_nginx tls 127.0.0.1:9001 a.example     # "backend tls", over TLS on 443

# ssh: Debian's sshd on its own port, key authentication only.
ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey" && ssh-keygen -q -t ed25519 -N '' -f "$WORK/userkey"
cp "$WORK/userkey.pub" "$WORK/authorized_keys"
cat >"$WORK/sshd_config" <<EOF
Port 2222
ListenAddress 127.0.0.1
HostKey $WORK/hostkey
AuthorizedKeysFile $WORK/authorized_keys
PidFile $WORK/sshd.pid
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
LogLevel INFO
EOF
mkdir -p /run/sshd
nsenter --net=/run/netns/$SRV_NS "$(command -v sshd)" -D -e -f "$WORK/sshd_config" \
	2>"$WORK/sshd.log" &

cat >"$WORK/ksteer.conf" <<EOF
public $SRV4 $SRV6
port 80 443
backend site-a 0.0.0.0:8001
backend site-b 0.0.0.0:8002
backend site-c [::]:8003
backend tls-a 127.0.0.1:9001
backend sshd 127.0.0.1:2222
route a.example site-a port 80
route *.b.example site-b port 80
route default site-b port 80
route c.example site-c port 80
route a.example tls-a
ssh sshd
EOF
check "ksteer up -c (port 80 and 443, routes by port)" in_srv $KSTEER up -c "$WORK/ksteer.conf"
wait_listen 0.0.0.0 8001 && wait_listen 0.0.0.0 8002 && wait_listen '\[::\]' 8003 && wait_listen 127.0.0.1 9001 &&
	wait_listen 127.0.0.1 2222 || fail "servers did not start"
expect_eq "route list: ON says tls, http:80, ssh" \
	"*.b.example http:80 site-b;a.example http:80 site-a;a.example tls tls-a;default http:80 site-b;default ssh sshd" \
	"$(in_srv $KSTEER route list | awk 'NR > 1 && $1 != "c.example" { print $1, $3, $4 }' | sort |
		paste -sd';')"
expect_eq "route list -j: proto and port" "http 80 site-a" \
	"$(in_srv $KSTEER route list -j | $PY -c 'import json,sys
print(*[(r["proto"], r["port"], r["backend"]) for r in json.load(sys.stdin) if r["host"] == "a.example" and r["port"]][0])')"
expect_eq "route test a.example --port 80" site-a "$(in_srv $KSTEER route test a.example --port 80)"
expect_eq "route test a.example (TLS)" tls-a "$(in_srv $KSTEER route test a.example)"
expect_eq "route test --proto ssh" sshd "$(in_srv $KSTEER route test --proto ssh)"

# ksteer parse --http: the kernel's parser on request heads in files.
printf 'GET /x HTTP/1.1\r\nUser-Agent: t\r\nhost: A.Example:80\r\n\r\n' >"$WORK/req1"
printf 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n' >"$WORK/req2"
expect_eq "parse --http: host, version, from where" \
	"$WORK/req1: complete host=a.example version=1.1 from=host_field" "$($KSTEER parse --http "$WORK/req1")"
expect_eq "parse --http -j: a second Host is malformed" "malformed null" \
	"$($KSTEER parse --http -j "$WORK/req2" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], "null" if d["host"] is None else d["host"])')"

# Bad route commands: one line, a non-zero exit, nothing changed.
bad_route() {
	local desc=$1 pat=$2 out rc
	shift 2
	out=$(in_srv $KSTEER route "$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 0 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ $out =~ $pat ]]; then
		ok "$desc"
	else
		fail "$desc (exit $rc: $out)"
	fi
}
bad_route "route add --port with --alpn: refused" "take no --alpn" add x.example site-a --port 80 --alpn h2
bad_route "route add --proto ftp: refused" "only ssh" add --proto ftp site-a
bad_route "route add --proto ssh with a HOST: refused" "no HOST" add x.example site-a --proto ssh
bad_route "route add --port 0: refused" "bad --port" add x.example site-a --port 0
bad_route "route del of a host port 80 lacks" "no route for 'x.example' on http:80" del x.example --port 80
out=$(in_srv $KSTEER route add x.example site-a --port 8080 2>&1 >/dev/null; echo "rc=$?")
check "route add --port 8080 (not a public HTTP port): added, with a warning" \
	grep -q "port 8080 is not a plain-HTTP public port.*rc=0" <<<"$(echo $out)"
check "route del --port 8080" in_srv $KSTEER route del x.example --port 8080

get() { in_cli curl -sS --max-time 5 --resolve "$1:80:$SRV4" "http://$1$2"; }
expect_eq "curl a.example -> site a (exact)" "site a" "$(get a.example /)"
expect_eq "curl A.EXAMPLE:80 -> site a (case, port)" "site a" \
	"$(in_cli curl -sS --max-time 5 -H 'Host: A.EXAMPLE:80' "http://$SRV4/")"
expect_eq "wget www.b.example -> site b (wildcard)" "site b" \
	"$(in_cli wget -qO- -T 5 --header 'Host: www.b.example' "http://$SRV4/")"
expect_eq "curl nosuch.example -> site b (default)" "site b" "$(get nosuch.example /)"
expect_eq "ACME challenge of a.example at site a" "token of a" \
	"$(get a.example /.well-known/acme-challenge/tok)"
expect_eq "ACME challenge of x.b.example at site b" "token of b" \
	"$(in_cli wget -qO- -T 5 --header 'Host: x.b.example' "http://$SRV4/.well-known/acme-challenge/tok")"

expect_eq "curl over IPv6: c.example -> site c" "site c" \
	"$(in_cli curl -sS --max-time 5 --resolve "c.example:80:[$SRV6]" http://c.example/)"
line=$(grep ' c.example$' "$WORK/http-c/access.log" | tail -n 1)
set -- $line
expect_eq "site c: peer is the IPv6 client, local the public address:80" "$CLI6 $SRV6 80" "$1 $2 $3"

# Backends sharing the public port 80 (nginx listen ... reuseport), taken
# by --pid: TC places each in the group, ksteer's sk_reuseport program
# reads the request head again and picks the routed one's socket.
http_site d "$SRV4:80 reuseport"
http_site e "$SRV4:80 reuseport"
wait_listen $SRV4 80 || fail "shared-port nginx did not start"
sleep 0.5
check "backend d --pid (nginx on the public port 80)" \
	in_srv $KSTEER backend add site-d --pid "$(cat $WORK/http-d/master.pid)"
check "backend e --pid" in_srv $KSTEER backend add site-e --pid "$(cat $WORK/http-e/master.pid)"
in_srv $KSTEER route add d.example site-d --port 80
in_srv $KSTEER route add e.example site-e --port 80
good=0
for i in $(seq 10); do
	[ "$(get d.example /)" == "site d" ] && good=$((good + 1))
	[ "$(get e.example /)" == "site e" ] && good=$((good + 1))
	[ "$(get a.example /)" == "site a" ] && good=$((good + 1))
done
expect_eq "shared port 80: 30 requests, each to its own nginx" 30 "$good"

# The backend's socket is the client's own: nginx logs the client
# namespace's address, and the public address and port as its local ones.
line=$(grep ' a.example$' "$WORK/http-a/access.log" | tail -n 1)
set -- $line
expect_eq "site a: peer is the client, local is the public address:80" "$CLI4 $SRV4 80" "$1 $2 $3"

# raw NAME PIECE...: send the pieces (Python escapes), each its own
# segment (TCP_NODELAY, a pause between), and print the response's status
# line and the first line of its body.
raw() {
	in_cli $PY - "$SRV4" "$@" <<'EOF'
import socket, sys, time
s = socket.create_connection((sys.argv[1], 80), timeout=5)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for i, piece in enumerate(sys.argv[2:]):
    if i:
        time.sleep(0.2)
    s.sendall(piece.encode().decode('unicode_escape').encode('latin-1'))
data = b''
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
except (socket.timeout, ConnectionResetError) as e:
    print('error: %s' % e)
head, _, body = data.partition(b'\r\n\r\n')
body = body.decode(errors='replace').strip().splitlines()
print(head.split(b'\r\n')[0].decode() if head else '', body[0] if body else '')
EOF
}
r0=$(counter '["reasm_started"]')
expect_eq "a request over three segments -> site a" "HTTP/1.1 200 OK site a" \
	"$(raw 'GET / HTTP/1.1\r\nHo' 'st: a.exa' 'mple\r\nConnection: close\r\n\r\n')"
check "... reassembled in the kernel" test "$(counter '["reasm_started"]')" -gt "$r0"
expect_eq "HTTP/1.0 without Host -> site b (default)" "HTTP/1.1 200 OK site b" \
	"$(raw 'GET / HTTP/1.0\r\n\r\n')"
expect_eq "absolute-form target names a.example over Host -> site a" "HTTP/1.1 200 OK site a" \
	"$(raw 'GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n')"
m0=$(counter '["http_malformed"]')
n0=$(grep -c ' 400 ' "$WORK/http-b/access.log")
out=$(raw 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n')
check "a second Host -> the default's backend, which refuses it ($out)" grep -q "^HTTP/1.1 400" <<<"$out"
out=$(raw 'GET / HTTP/1.1\r\nX-A: 1\r\n Host: a.example\r\n\r\n')
check "obs-fold -> the default's backend, which refuses it ($out)" grep -q "^HTTP/1.1 400" <<<"$out"
expect_eq "malformed heads counted" $((m0 + 2)) "$(counter '["http_malformed"]')"
expect_eq "... and answered by site b (the default), not site a" $((n0 + 2)) \
	"$(grep -c ' 400 ' "$WORK/http-b/access.log")"
h0=$(counter '["http_h2_prior_knowledge"]')
in_cli curl -sS --max-time 5 --http2-prior-knowledge --resolve a.example:80:$SRV4 \
	http://a.example/ >/dev/null 2>&1
expect_eq "cleartext HTTP/2 prior knowledge -> the default, counted" $((h0 + 1)) \
	"$(counter '["http_h2_prior_knowledge"]')"

# No default on port 80: a request naming nothing routed is refused at once.
in_srv $KSTEER route del default --port 80
out=$(in_cli curl -sS --max-time 5 --resolve nosuch.example:80:$SRV4 http://nosuch.example/ 2>&1)
check "no route on port 80: reset ($out)" grep -qiE "reset|empty reply" <<<"$out"
in_srv $KSTEER route add default site-b --port 80

# A head over the kernel's 8 KB: to ksteerd, which reads it with the same
# parser (up to 64 KB) and hands the connection back to site a.
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:80 --listen $SRV4:443 \
	2>"$WORK/ksteerd.log" &
KSD=$!
ks_on_exit "kill $KSD"
wait_listen $SRV4 80 || fail "ksteerd did not start"
sleep 0.3
f0=$(counter '["fallback"]["http"]')
big=$(head -c 10000 /dev/zero | tr '\0' x)
expect_eq "a 10 KB head: through ksteerd to site a" "site a" \
	"$(in_cli curl -sS --max-time 5 -H "X-Big: $big" --resolve a.example:80:$SRV4 http://a.example/)"
expect_eq "... read by ksteerd (fallback.http)" $((f0 + 1)) "$(counter '["fallback"]["http"]')"
check "... counted http_too_big" test "$(counter '["http_too_big"]')" -ge 1

# SSH through 443 beside TLS: OpenSSH's client to sshd, curl to nginx.
s0=$(counter '["ssh"]')
out=$(in_cli timeout 10 ssh -F /dev/null -p 443 -i "$WORK/userkey" -o BatchMode=yes \
	-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	root@$SRV4 echo ok 2>/dev/null)
expect_eq "ssh -p 443 -> sshd: echo ok" ok "$out"
expect_eq "... counted ssh" $((s0 + 1)) "$(counter '["ssh"]')"
check "sshd saw the client's own address" grep -q "Accepted publickey for root from $CLI4 port" \
	"$WORK/sshd.log"
expect_eq "curl over TLS on the same port -> nginx tls" "backend tls" \
	"$(in_cli curl -sS --max-time 5 --cacert "$WORK/a.example.pem" \
		--resolve a.example:443:$SRV4 https://a.example/)"
expect_eq "ssh and https together: both answered" "ok backend tls" \
	"$( (in_cli timeout 10 ssh -F /dev/null -p 443 -i "$WORK/userkey" -o BatchMode=yes \
		-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		root@$SRV4 'sleep 0.3; echo ok' 2>/dev/null &
	  in_cli curl -sS --max-time 5 --cacert "$WORK/a.example.pem" \
		--resolve a.example:443:$SRV4 https://a.example/ >"$WORK/tls-body"; wait) |
	  tr -d '\n'; echo " $(cat "$WORK/tls-body")")"
in_srv $KSTEER route del --proto ssh
out=$(in_cli timeout 10 ssh -F /dev/null -p 443 -i "$WORK/userkey" -o BatchMode=yes \
	-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null root@$SRV4 true 2>&1)
check "no SSH route: refused ($out)" grep -qiE "reset|closed|refused" <<<"$out"
summary
