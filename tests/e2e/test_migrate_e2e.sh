#!/usr/bin/env bash
# Backend restart without loss: two workers of one backend and a worker of
# another share the public port (one SO_REUSEPORT group). One worker of the
# first closes its listener with connections queued: they migrate to its
# sibling (tcp_migrate_req + ksteer's sk_reuseport program), never to the
# other backend. With no listener left, connections are refused, not moved.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "migration end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py

check "ksteer up" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
expect_eq "up enabled tcp_migrate_req" 1 "$(in_srv cat /proc/sys/net/ipv4/tcp_migrate_req)"

worker() { # NAME MODE -> pid
	nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" worker "$1" $SRV4 443 "$2" >"$WORK/$1.pid" &
	for _ in $(seq 50); do [ -s "$WORK/$1.pid" ] && break; sleep 0.1; done
	cat "$WORK/$1.pid"
}
A=$(worker A hold)
B=$(worker B accept)
X=$(worker X accept)
check "backend w takes worker A" in_srv $KSTEER backend add w --pid "$A"
check "backend w takes worker B" in_srv $KSTEER backend add w --pid "$B"
check "backend x takes worker X" in_srv $KSTEER backend add x --pid "$X"
in_srv $KSTEER route add w.example w
in_srv $KSTEER route add x.example x
expect_eq "w has two listeners" 2 "$(in_srv $KSTEER backend list -j | $PY -c 'import json,sys; print([b["listeners"] for b in json.load(sys.stdin) if b["name"]=="w"][0])')"

counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
m0=$(counter reuseport_migrated)
pids=()
for i in $(seq 12); do
	in_cli $PY "$TOOL" expect B $SRV4 443 w.example 600 100 >"$WORK/c$i" 2>&1 &
	pids+=($!)
done
# Wait until the worker that does not accept has some queued.
for _ in $(seq 50); do
	queued=$(in_srv ss -Hltn "sport = :443" | awk '$2 > 0 {print $2}' | head -1)
	[ "${queued:-0}" -gt 0 ] && sleep 0.5 && break
	sleep 0.1
done
queued=$(in_srv ss -Hltn "sport = :443" | awk '$2 > 0 {print $2}' | head -1)
check "connections queued at the worker that does not accept (${queued:-0})" test "${queued:-0}" -gt 0
kill -TERM "$A"
wait "${pids[@]}"
got=$(cat "$WORK"/c* | awk '{print $1, $NF}' | sort | uniq -c | tr -s ' ')
expect_eq "all 12 connections answered by w's other worker" " 12 ok B" "$got"
migrated=$(($(counter reuseport_migrated) - m0))
expect_eq "the queued ones migrated within the backend" "${queued:-0}" "$migrated"

# No listener left for w: refused at once, never given to x.
kill -TERM "$B"
sleep 0.3
nl=$(counter no_listener)
out=$(in_cli $PY "$TOOL" expect X $SRV4 443 w.example 600 100 2>&1)
if [[ $out == FAIL* && $out != *" X" ]]; then
	ok "w with no listener: refused, not answered by x (${out##* })"
else
	fail "w with no listener: $out"
fi
expect_eq "w with no listener: refused and counted" $((nl + 1)) "$(counter no_listener)"
expect_eq "x still reachable" "ok" "$(in_cli $PY "$TOOL" expect X $SRV4 443 x.example 600 100 | awk '{print $1}')"
summary
