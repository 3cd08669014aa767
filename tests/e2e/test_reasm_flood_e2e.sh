#!/usr/bin/env bash
# One client address opening 2000 partial ClientHellos and going silent
# (no spoofing: each completed our cookie handshake) must not crowd other
# clients out of kernel reassembly: its /24 may hold 1/16 of the pool, the
# rest of its flows go to ksteerd, and browser-sized two-segment hellos
# from another /24 are still reassembled and placed by the kernel.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "reassembly flood end-to-end tests"
TOOL=$ROOT/tests/tools/hello_tool.py
OTHER4=198.18.9.2                 # another client /24, on the same client host
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null 2>&1
ip -n "$CLI_NS" addr add $OTHER4/32 dev "$CLI_IF"
ip -n "$SRV_NS" route add 198.18.9.0/24 dev "$SRV_IF"
check "ksteer up (default table: 1024 flows, 4096 chunks)" in_srv $KSTEER up -a $SRV4 -p 443
in_srv $KSTEER backend add rec 127.0.0.1:9005
in_srv $KSTEER route add '*.example' rec
nsenter --net=/run/netns/$SRV_NS $PY "$TOOL" record 9005 "$WORK/rec.log" &
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --deadline 30000 \
	--max-conns 4000 2>"$WORK/ksteerd.log" &
wait_listen 127.0.0.1 9005 && wait_listen $SRV4 443 || fail "servers did not start"
sleep 0.3
counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# Placed by the kernel from a held flow: whole, or once named (a segment
# that ends past the SNI and before the hello's end).
placed() { echo $(($(counter reasm_completed) + $(counter reasm_placed_named))); }
read -r st0 full0 done0 <<<"$(counter reasm_started) $(counter reasm_full_to_fallback) $(placed)"
# The flood: 2000 connections from 198.18.0.2, half a hello each, then
# silence (for the rest of the test).
coproc FLOOD { in_cli timeout 60 $PY "$TOOL" partial $SRV4 443 flood.example 2000 20; }
read -r -t 50 opened <&"${FLOOD[0]}"
expect_eq "the flood opened 2000 connections, each with half a ClientHello" 2000 "$opened"
# Each began reassembly; those past the share went on to ksteerd.
full=$(($(counter reasm_full_to_fallback) - full0))
held=$(($(counter reasm_started) - st0 - full))
check "its /24 holds its share of the pool and no more (256 chunks: $held held)" \
	test "$held" -ge 200 -a "$held" -le 256
expect_eq "the rest of its flows went to ksteerd" $((2000 - held)) "$full"

# Meanwhile, browser-sized hellos (2200 B, the SNI in the second segment)
# from another /24: reassembled and placed by the kernel, every one.
out=$(in_cli env KS_SRC=$OTHER4 $PY "$TOOL" send $SRV4 443 www.example 2200 2000 20)
expect_eq "20 two-segment hellos from another /24 during the flood: all answered" 0 \
	"$(grep -vc '^ok' <<<"$out")"
expect_eq "... all reassembled in the kernel, none sent to ksteerd" \
	"$((done0 + 20)) $((full0 + full))" "$(placed) $(counter reasm_full_to_fallback)"
expect_eq "... and the backend saw them from their own address" 20 \
	"$(grep -c "^$OTHER4:" "$WORK/rec.log")"
# The flood's own /24 can still complete a hello that fits one segment.
out=$(in_cli $PY "$TOOL" send $SRV4 443 www.example 600 100)
check "a one-segment hello from the flood's /24: placed ($out)" grep -q '^ok' <<<"$out"
kill "$FLOOD_PID" 2>/dev/null
summary
