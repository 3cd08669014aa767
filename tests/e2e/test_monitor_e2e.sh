#!/usr/bin/env bash
# ksteer monitor: each steering decision as one JSON line with the right
# fields (fast path, reassembled, ksteerd and the hand-back that follows,
# refused), nothing written while no monitor runs, one monitor at a time,
# and a stalled reader losing events, counted and reported, never slowing
# the data path.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "ksteer monitor end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null 2>&1
check "ksteer up" in_srv $KSTEER up -a $SRV4 -p 443
in_srv $KSTEER backend add rec 127.0.0.1:9005
in_srv $KSTEER route add '*.example' rec
in_srv $KSTEER backend add px --proxy 127.0.0.1:9005       # served by ksteerd's proxy
in_srv $KSTEER route add px.test px
in_srv $KSTEER backend add gone 127.0.0.1:9009             # no listener, no proxy
in_srv $KSTEER route add gone.test gone
nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" record 9005 "$WORK/rec.log" &
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 2>"$WORK/ksteerd.log" &
wait_listen 127.0.0.1 9005 && wait_listen $SRV4 443 || fail "servers did not start"
sleep 0.3
send() { in_cli $PY "$TOOL" send $SRV4 443 "$@" >/dev/null 2>&1; }
# field JSONLINE KEY: one key of one event
field() { $PY -c "import json,sys; v=json.loads(sys.argv[1]).get(sys.argv[2]); print('null' if v is None else v)" "$1" "$2"; }
# event SNI: the monitor's line for that SNI (the last one)
event() { grep "\"sni\":\"$1\"" "$WORK/mon.json" | tail -n 1; }
# expect_event DESC SNI PATH WHY BACKEND
expect_event() {
	local ev
	ev=$(event "$2")
	expect_eq "$1" "$3 $4 $5 tcp $CLI4 $SRV4 443" \
		"$(for k in path why backend proto client server server_port; do printf '%s ' "$(field "$ev" $k)"; done | sed 's/ $//')"
}
wait_lease() { # the monitor holds the lease: its pid in ks_monitor
	for _ in $(seq 50); do
		in_srv bpftool -j map dump pinned "$KSTEER_PIN_DIR/ks_monitor" 2>/dev/null |
			grep -q '"pid": *[1-9]' && return 0
		sleep 0.1
	done
	return 1
}

nsenter --net=/run/netns/$SRV_NS $KSTEER monitor -j >"$WORK/mon.json" 2>"$WORK/mon.err" &
MON=$!
check "monitor -j running, holding the lease" wait_lease
out=$(in_srv $KSTEER monitor 2>&1)
check "a second monitor: refused, one line ($out)" grep -q "another ksteer monitor (pid $MON)" <<<"$out"
send fast.example 600 100
send held.example 2200 2000
send part.example 2200 100
send big.example 20000 19900
send nothing.test 600 100
send px.test 600 100
send gone.test 600 100
sleep 1.5
expect_event "one segment: fast, routed, to rec, from the client" fast.example fast routed rec
expect_event "a 2-segment hello: reassembled in the kernel" held.example reassembled routed rec
expect_eq "... and the first segment's ALPN, if any, is null" null "$(field "$(event held.example)" alpn)"
expect_event "a 2-segment hello, the SNI in the first: fast, placed on it" part.example fast \
	routed_partial rec
expect_event "no route: refused" nothing.test refused no_route null
ev=$(grep '"why":"too_big"' "$WORK/mon.json" | tail -n 1)
expect_eq "a 20 KB hello: to ksteerd, too big" "ksteerd too_big ksteerd $CLI4" \
	"$(field "$ev" path) $(field "$ev" why) $(field "$ev" backend) $(field "$ev" client)"
ev=$(grep '"path":"handback"' "$WORK/mon.json" | tail -n 1)
expect_eq "... then handed back by ksteerd into rec's queue" "handback ksteerd_routed rec $CLI4" \
	"$(field "$ev" path) $(field "$ev" why) $(field "$ev" backend) $(field "$ev" client)"
ev=$(grep '"sni":"px.test"' "$WORK/mon.json" | grep '"path":"ksteerd_proxy"' | tail -n 1)
expect_eq "a backend served by ksteerd: TC gives it to ksteerd, which proxies it" \
	"ksteerd_proxy ksteerd_routed px $CLI4" \
	"$(field "$ev" path) $(field "$ev" why) $(field "$ev" backend) $(field "$ev" client)"
expect_eq "... TC's side of it: to ksteerd, the backend has no listener" \
	"ksteerd backend_no_listener" "$(grep '"sni":"px.test"' "$WORK/mon.json" | grep '"path":"ksteerd"' |
	tail -n 1 | $PY -c 'import json,sys; o=json.loads(sys.stdin.read()); print(o["path"], o["why"])')"
ev=$(grep '"sni":"gone.test"' "$WORK/mon.json" | grep '"path":"ksteerd_refused"' | tail -n 1)
expect_eq "no listener and no proxy target: ksteerd refuses it, never proxies from this host" \
	"ksteerd_refused no_client_address gone" \
	"$(field "$ev" path) $(field "$ev" why) $(field "$ev" backend)"
check "every line is one JSON object with a time" $PY -c "
import json,sys
for l in open('$WORK/mon.json'):
    o=json.loads(l); assert 'time' in o or 'lost' in o, l"
kill -INT $MON
wait $MON
expect_eq "monitor exits 0 on Ctrl-C, nothing on stderr" "0 0" "$? $(wc -c <"$WORK/mon.err")"

# With no monitor nothing is written: the next one sees only what comes
# after it started.
send quiet1.example 600 100
send quiet2.example 600 100
nsenter --net=/run/netns/$SRV_NS $KSTEER monitor -j --count 1 >"$WORK/mon2.json" &
MON=$!
wait_lease
send after.example 600 100
wait $MON
expect_eq "no monitor, no events: the next monitor's first is its own" after.example \
	"$(field "$(head -n 1 "$WORK/mon2.json")" sni)"

# A reader that stalls: the monitor blocks writing, the ring fills, the
# decisions it has no room for are lost and counted; the data path goes on.
mkfifo "$WORK/fifo"
lost0=$(in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['monitor_events_lost'])")
nsenter --net=/run/netns/$SRV_NS $KSTEER monitor -j >"$WORK/fifo" &
MON=$!
exec 7<>"$WORK/fifo"                     # open, never read (yet)
wait_lease
out=$(in_cli timeout 60 $PY - "$SRV4" <<'P'
import socket, sys, time
hello = bytes.fromhex("160301002e0100002a0303") + bytes(32) + bytes.fromhex("000002130101000000")
ok = 0
t = time.monotonic()
for i in range(4000):
    s = socket.create_connection((sys.argv[1], 443), timeout=2)
    s.sendall(hello)
    try:
        s.recv(1)
    except OSError:
        pass
    s.close()
    ok += 1
print(ok, int((time.monotonic() - t) * 1000))
P
)
set -- $out
check "4000 refused connections while the reader stalls, none hung (${2:-?} ms)" test "${1:-0}" = 4000
lost=$(($(in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['monitor_events_lost'])") - lost0))
check "events lost, counted (monitor_events_lost +$lost)" test "$lost" -gt 0
timeout 10 cat <&7 >"$WORK/drain.json" &
DRAIN=$!
sleep 2
kill -INT $MON
wait $MON
exec 7>&-
wait $DRAIN 2>/dev/null
reported=$($PY -c "
import json,sys
print(sum(json.loads(l).get('lost', 0) for l in open(sys.argv[1]) if l.strip()))" "$WORK/drain.json")
expect_eq "... and the monitor reports them once its reader reads" "$lost" "${reported:-0}"
summary
