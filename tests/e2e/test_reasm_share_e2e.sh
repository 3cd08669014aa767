#!/usr/bin/env bash
# A client's share of the reassembly pool is counted right under load: one
# client address opening 20,000 connections with two-segment ClientHellos
# (Chromium's, 1926 bytes), 32 at a time, on both CPUs. Every one is
# reassembled and placed by the kernel, none is sent to ksteerd as if its
# share were full, and when they are done the client holds nothing: its
# entry in ks_reasm_src is gone. (Counted with a plain add and a delete at
# zero, the two CPUs' changes raced and the count wrapped below zero, after
# which every multi-segment ClientHello of that /24 was refused: seen after
# about 10,000 such connections, in make bench.)
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "reassembly share end-to-end tests"
N=${N:-20000}
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" gro off >/dev/null 2>&1
check "ksteer up" in_srv $KSTEER up -a $SRV4 -p 443
in_srv $KSTEER backend add raw 0.0.0.0:9202
in_srv $KSTEER route add chrome.example.com raw
# An ALPN route for the name (Chromium offers h2 and http/1.1, not this):
# its first segment holds the SNI but not the ALPN list, so every hello is
# held and reassembled, not placed on its first segment.
in_srv $KSTEER route add chrome.example.com raw --alpn acme-tls/1
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/rawsrv" "9202:raw a" &
ks_on_exit "kill $!"
wait_listen 0.0.0.0 9202 || fail "rawsrv did not start"
counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
read -r done0 full0 <<<"$(counter reasm_completed) $(counter reasm_full_to_fallback)"

out=$(in_cli "$ROOT/build/connbench" -a $SRV4 -p 443 -R "$ROOT/tests/data/captures/chromium_1.bin" \
	-e "raw a" -c 32 -n "$N" -t 120)
echo "# $out"
got=$($PY -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["connections"], d["errors"])' "$out")
expect_eq "$N two-segment ClientHellos from one client, 32 at a time: all answered" "$N 0" "$got"
expect_eq "... every one reassembled and placed by the kernel, none to ksteerd" \
	"$((done0 + N)) $full0" "$(counter reasm_completed) $(counter reasm_full_to_fallback)"
# Placed flows keep their entry a moment (retransmits); then nothing held.
for _ in $(seq 50); do
	left=$(bpftool -j map dump pinned "$KSTEER_PIN_DIR/ks_reasm_src" | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
	[ "$left" = 0 ] && break
	sleep 0.2
done
expect_eq "... and then the client's share holds nothing (no entry in ks_reasm_src)" 0 "$left"
summary
