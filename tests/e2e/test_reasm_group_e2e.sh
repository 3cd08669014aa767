#!/usr/bin/env bash
# Held ClientHellos whose records take more than one segment carries (16
# KB), into backends sharing the public port (one SO_REUSEPORT group of two
# workers, each a backend, no ksteerd): TC places them with a segment that
# is only a prefix of the hello (16 KB of 21 KB of 1-byte records, the SNI
# last), so the sk_reuseport program, which reads that segment alone,
# keeps TC's choice for it (ks_tc_placed) rather than give it to ksteerd's
# member or drop it; the client resends the rest to the chosen worker's
# connection.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "reassembly into a SO_REUSEPORT group end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py

check "ksteer up" in_srv $KSTEER up -a $SRV4 -p 443
worker() { # NAME -> pid
	nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" worker "$1" $SRV4 443 accept >"$WORK/$1.pid" &
	for _ in $(seq 50); do [ -s "$WORK/$1.pid" ] && break; sleep 0.1; done
	cat "$WORK/$1.pid"
}
W=$(worker W)
X=$(worker X)
check "backend w takes worker W" in_srv $KSTEER backend add w --pid "$W"
check "backend x takes worker X" in_srv $KSTEER backend add x --pid "$X"
in_srv $KSTEER route add w.example w
in_srv $KSTEER route add x.example x
counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

c0=$(counter reasm_completed)
for name in W X W X; do
	host=$(tr 'A-Z' 'a-z' <<<"$name").example
	out=$(in_cli env KS_RECORD=1 timeout 15 $PY "$TOOL" expect $name $SRV4 443 $host 3500 3400 2>&1)
	expect_eq "a 3.5 KB hello in 1-byte records (21 KB) for $host, SNI last: answered by $name" \
		"ok $name" "$(awk '{print $1, $NF}' <<<"$out")"
done
expect_eq "... each reassembled and placed by the kernel" $((c0 + 4)) "$(counter reasm_completed)"
expect_eq "... none handed to ksteerd, none dropped in the group" "0 0" \
	"$(counter reasm_handed_to_fallback) $(counter reuseport_dropped)"
summary
