#!/usr/bin/env bash
# ksteerd -c FILE end to end: the pinned maps follow the file at start and
# on each SIGHUP, and traffic follows the maps.
#   - start: the file's backends and routes, and only those (a backend the
#     CLI added by --pid stays while a route of the file uses it)
#   - SIGHUP after edits: a route added, one removed, a backend changed
#     (another proxy target; then from proxy to listeners by address, the
#     fast path); the log line counts exactly what changed
#   - a connection ksteerd relays stays up across every reload, even after
#     its backend is removed
#   - a bad file, or none: one "FILE:LINE:" line, the maps unchanged,
#     ksteerd alive and routing; ksteerd does not start on a bad file
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "config reload end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py
KSTEERD=$ROOT/build/ksteerd
CFG=$WORK/ksteer.conf
LOG=$WORK/ksteerd.log
check "ksteer up" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# Upstreams: workers that answer their name, and one that echoes.
worker() { # NAME PORT
	nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" worker "$1" 127.0.0.1 "$2" accept \
		>"$WORK/worker-$1.pid" &
}
worker one 9011
worker two 9012
worker three 9016
worker pidw 9014
cat >"$WORK/echo.py" <<EOF
import socket, sys, threading
sys.path.insert(0, "$ROOT/tests/tools")
from hello_tool import read_hello
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 9013))
srv.listen()
def serve(c):
    read_hello(c)
    c.sendall(b"hi")
    while (d := c.recv(4096)):
        c.sendall(d)
while True:
    threading.Thread(target=serve, args=(srv.accept()[0],), daemon=True).start()
EOF
nsenter --net=/run/netns/$SRV_NS $PY "$WORK/echo.py" &
for p in 9011 9012 9013 9014 9016; do
	wait_listen 127.0.0.1 $p || fail "upstream on port $p did not start"
done
for _ in $(seq 50); do [ -s "$WORK/worker-pidw.pid" ] && break; sleep 0.1; done

# What the maps hold before ksteerd: a backend of the CLI's that a route of
# the file uses (--pid), and one the file does not know.
check "backend add --pid" in_srv $KSTEER backend add bypid --pid "$(head -n 1 "$WORK/worker-pidw.pid")"
in_srv $KSTEER backend add stale 127.0.0.1:9099
in_srv $KSTEER route add stale.example stale

routes() { in_srv $KSTEER route list -j | $PY -c 'import json,sys
print(" ".join("%s>%s" % (r["host"] + ("/" + r["alpn"] if r["alpn"] else ""), r["backend"]) for r in json.load(sys.stdin)))'; }
backends() { in_srv $KSTEER backend list -j | $PY -c 'import json,sys
print(" ".join("%s=%s" % (b["name"], b["via"] or b["addr"] or "pid") for b in sorted(json.load(sys.stdin), key=lambda b: b["name"])))'; }
# expect NAME SNI: a ClientHello for SNI is answered by upstream NAME.
expect() { in_cli $PY "$TOOL" expect "$1" $SRV4 443 "$2" 600 100 >/dev/null; }
refused() { ! in_cli $PY "$TOOL" send $SRV4 443 "$1" 600 100 >/dev/null; }

# hup: SIGHUP, then wait for ksteerd's "SIGHUP: FILE: ..." line; print what
# it logged for this reload.
hup() {
	local n
	n=$(wc -l <"$LOG")
	kill -HUP "$KPID"
	for _ in $(seq 50); do
		grep -q "ksteerd: SIGHUP: $CFG: " <(tail -n +$((n + 1)) "$LOG") && break
		sleep 0.1
	done
	tail -n +$((n + 1)) "$LOG"
}

cat >"$CFG" <<EOF
# version 1
backend one proxy 127.0.0.1:9011
backend two 127.0.0.1:9012
backend echo proxy 127.0.0.1:9013
route a.example one
route b.example two
route held.example echo
route gone.example one
route pid.example bypid
EOF
printf 'backend x 127.0.0.1:9011\nroute a.example nosuch\n' >"$WORK/bad.conf"
out=$(in_srv "$KSTEERD" --listen $SRV4:443 -c "$WORK/bad.conf" 2>&1)
rc=$?
check "ksteerd -c BAD: does not start" test $rc -ne 0
check "ksteerd -c BAD: says FILE:LINE" grep -q "^ksteerd: $WORK/bad.conf:2: unknown backend 'nosuch'" <<<"$out"
expect_eq "ksteerd -c BAD: nothing applied" "stale.example>stale" "$(routes)"

nsenter --net=/run/netns/$SRV_NS "$KSTEERD" --listen $SRV4:443 --config "$CFG" 2>"$LOG" &
KPID=$!
wait_listen $SRV4 443 || fail "ksteerd did not start"
expect_eq "start: the log line" \
	"ksteerd: $CFG: 3 backends, 5 routes (8 added, 2 removed, 0 changed)" "$(head -n 1 "$LOG")"
expect_eq "start: routes are the file's" \
	"a.example>one b.example>two gone.example>one held.example>echo pid.example>bypid" "$(routes)"
expect_eq "start: backends are the file's, and the one a route uses" \
	"bypid=pid echo=proxy 127.0.0.1:9013 one=proxy 127.0.0.1:9011 two=127.0.0.1:9012" "$(backends)"
check "start: a.example proxied by ksteerd to one" expect one a.example
check "start: b.example to two" expect two b.example
check "start: pid.example to the --pid backend" expect pidw pid.example
check "start: stale.example refused (route removed)" refused stale.example

# A connection ksteerd relays: opened now, used again after the reloads.
cat >"$WORK/held.py" <<EOF
import os, socket, sys, time
sys.path.insert(0, "$ROOT/tests/tools")
from hello_tool import client_hello
s = socket.create_connection(("$SRV4", 443), timeout=5)
s.sendall(client_hello("held.example", 600, 100))
print("first", s.recv(16).decode(), flush=True)
for _ in range(600):
    if os.path.exists("$WORK/go"):
        break
    time.sleep(0.05)
s.sendall(b"after")
print("then", s.recv(16).decode(), flush=True)
EOF
in_cli $PY "$WORK/held.py" >"$WORK/held.out" 2>&1 &
held=$!
for _ in $(seq 50); do grep -q first "$WORK/held.out" && break; sleep 0.1; done
expect_eq "held connection: open through ksteerd" "first hi" "$(cat "$WORK/held.out")"

# Version 2: one moves to another proxy target, c.example added,
# gone.example removed.
cat >"$CFG" <<EOF
# version 2
backend one proxy 127.0.0.1:9016
backend two 127.0.0.1:9012
backend echo proxy 127.0.0.1:9013
route a.example one
route b.example two
route c.example two
route held.example echo
route pid.example bypid
EOF
expect_eq "SIGHUP: the log line counts what changed" \
	"ksteerd: SIGHUP: $CFG: 3 backends, 5 routes (1 added, 1 removed, 1 changed)" "$(hup)"
expect_eq "SIGHUP: routes follow the file" \
	"a.example>one b.example>two c.example>two held.example>echo pid.example>bypid" "$(routes)"
expect_eq "SIGHUP: backend one changed" \
	"bypid=pid echo=proxy 127.0.0.1:9013 one=proxy 127.0.0.1:9016 two=127.0.0.1:9012" "$(backends)"
check "SIGHUP: a.example now reaches one's new target" expect three a.example
check "SIGHUP: c.example added" expect two c.example
check "SIGHUP: gone.example refused" refused gone.example

# Version 3: one from proxy to listeners by address (the fast path takes
# it: worker one's listener is adopted); echo and its route removed.
cat >"$CFG" <<EOF
# version 3
backend one 127.0.0.1:9011
backend two 127.0.0.1:9012
route a.example one
route b.example two
route c.example two
route pid.example bypid
EOF
expect_eq "SIGHUP: backend and route removed, kind changed" \
	"ksteerd: SIGHUP: $CFG: 2 backends, 4 routes (0 added, 2 removed, 1 changed)" "$(hup)"
expect_eq "SIGHUP: backends follow the file" "bypid=pid one=127.0.0.1:9011 two=127.0.0.1:9012" \
	"$(backends)"
a0=$(counter '["assigned"]')
check "SIGHUP: a.example to one by its listener" expect one a.example
expect_eq "SIGHUP: ... placed by the kernel, not ksteerd" $((a0 + 1)) "$(counter '["assigned"]')"
v3_routes=$(routes)
v3_backends=$(backends)

# Bad files change nothing, and ksteerd keeps running.
cp "$CFG" "$WORK/good.conf"
printf 'backend four 127.0.0.1:9017\nroute d.example four\nroute e.example nosuch\n' >>"$CFG"
out=$(hup)
check "bad file: FILE:LINE: message" grep -q "^ksteerd: $CFG:10: unknown backend 'nosuch'$" <<<"$out"
check "bad file: says nothing changed" grep -q "^ksteerd: SIGHUP: $CFG: not applied, the configuration in force is unchanged$" <<<"$out"
expect_eq "bad file: routes unchanged" "$v3_routes" "$(routes)"
expect_eq "bad file: backends unchanged" "$v3_backends" "$(backends)"
cp "$WORK/good.conf" "$CFG"
printf 'route a.example two\nbackend two proxy 127.0.0.1:99999\n' >>"$CFG"
out=$(hup)
check "bad address: FILE:LINE: message" grep -q "^ksteerd: $CFG:9: bad proxy address '127.0.0.1:99999'" <<<"$out"
expect_eq "bad address: routes unchanged" "$v3_routes" "$(routes)"
mv "$CFG" "$WORK/moved.conf"
check "no file: cannot read it" grep -q "cannot read config $CFG" <<<"$(hup)"
expect_eq "no file: backends unchanged" "$v3_backends" "$(backends)"
check "ksteerd alive after bad files" kill -0 "$KPID"
check "ksteerd still routes" expect two c.example
cp "$WORK/good.conf" "$CFG"
expect_eq "same file again: nothing touched" \
	"ksteerd: SIGHUP: $CFG: 2 backends, 4 routes (0 added, 0 removed, 0 changed)" "$(hup)"

touch "$WORK/go"
wait $held
expect_eq "held connection: still relayed after three reloads and its backend's removal" \
	"first hi then after" "$(tr '\n' ' ' <"$WORK/held.out" | sed 's/ $//')"
kill -TERM "$KPID"
wait "$KPID"
check "ksteerd exits on SIGTERM" grep -q "signal 15, exiting" "$LOG"
summary
