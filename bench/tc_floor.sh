#!/usr/bin/env bash
# bench/tc_floor.sh (make bench-tc-floor): what one TC ingress program run
# costs before it does any work, in the flood of bench/quic_bench.sh
# (64-byte UDP datagrams from one thread to a receiver with 2 sockets in
# one SO_REUSEPORT group on *:443; no ksteer).
#   none           no program: the kernel alone
#   cls ret|touch|clock   a clsact filter (cls_bpf, as `ksteer up` attaches)
#   tcx ret|touch  a TCX link (bpf_link, kernel 6.6+)
# ret returns at once; touch reads the frame's first byte; clock reads the
# clock twice, as kernel.bpf_stats_enabled does around every run
# (tests/progs/tc_floor.bpf.c). For each: datagrams/s with bpf_stats off
# (median of REPS runs; the ratio to none), and the program's run_time_ns /
# run_cnt from a run with it on. The machine may be shared: the spread is
# printed. Writes OUT (default bench/results/tc_floor.json).
#   SECS=3 REPS=3 [KS_TAG=.. KS_PIN=.. OUT=..] bench/tc_floor.sh
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${SECS:-3}
REPS=${REPS:-3}
FLOOD=$ROOT/build/quic_flood
LOADER=$ROOT/build/tc_floor
OBJ=$ROOT/build/tc_floor.bpf.o
OUT=${OUT:-$ROOT/bench/results/tc_floor.json}
[ "$(id -u)" = 0 ] || { echo "tc_floor: needs root" >&2; exit 1; }
for f in "$FLOOD" "$LOADER" "$OBJ"; do
	[ -e "$f" ] || { echo "tc_floor: $f missing (make build/quic_flood build/tc_floor)" >&2; exit 1; }
done
KS_TAG=${KS_TAG:-tf$$}
KS_PIN=${KS_PIN:-/sys/fs/bpf/ksteer-tfloor-$$}
source "$ROOT/tests/lib/lib.sh"
source "$ROOT/bench/lib.sh"
bpf_stats_keep
ks_on_exit 'rm -rf "$KS_PIN"'
ks_test_begin "tc_floor" || exit 1
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1 || true
IFX=$(in_srv ip -o link show dev "$SRV_IF" | cut -d: -f1)
SCPU=$(($(nproc) > 1 ? 1 : 0))

# flood: "received" of one run into the 2-socket group.
flood() {
	local rpid
	nsenter --net=/run/netns/$SRV_NS taskset -c 0 "$FLOOD" recv 443 2 >"$WORK/recv" 2>&1 &
	rpid=$!
	for _ in $(seq 50); do grep -q ready "$WORK/recv" && break; sleep 0.05; done
	in_cli taskset -c $SCPU "$FLOOD" send $SRV4 443 "$SECS" b0b0b0b0c0ffee01 64 >/dev/null
	sleep 0.2
	kill -INT $rpid
	wait $rpid 2>/dev/null
	awk '/^received/ {print $2}' "$WORK/recv"
}
# attach HOW PROG / detach HOW
attach() {
	mkdir -p "$KS_PIN"
	in_srv "$LOADER" "$OBJ" "floor_$2" "$IFX" "$1" "$KS_PIN"
}
detach() {
	rm -f "$KS_PIN/link" "$KS_PIN/prog"
	in_srv tc qdisc del dev "$SRV_IF" clsact 2>/dev/null
	return 0
}

VARIANTS="none cls:ret cls:touch cls:clock tcx:ret tcx:touch"
declare -A RATES NS
for rep in $(seq "$REPS"); do
	for v in $VARIANTS; do
		how=${v%%:*} prog=${v#*:}
		echo 0 >/proc/sys/kernel/bpf_stats_enabled
		[ $v = none ] || attach $how $prog || { echo "attach $v failed" >&2; exit 1; }
		r=$(flood)
		RATES[$v]="${RATES[$v]:-} $r"
		if [ $v != none ]; then
			echo 1 >/proc/sys/kernel/bpf_stats_enabled
			read -r t0 c0 <<<"$(KSTEER_PIN_DIR=$KS_PIN prog_stats prog)"
			flood >/dev/null
			read -r t1 c1 <<<"$(KSTEER_PIN_DIR=$KS_PIN prog_stats prog)"
			NS[$v]="${NS[$v]:-} $(( (t1 - t0) / (c1 - c0 > 0 ? c1 - c0 : 1) ))"
			echo 0 >/proc/sys/kernel/bpf_stats_enabled
			detach
		fi
		printf '%-4s %-10s %10s datagrams/s  %s\n' $rep $v $((r / SECS)) "${NS[$v]:-}"
	done
done
bpf_stats_restore
args=()
for v in $VARIANTS; do args+=("$v" "${RATES[$v]}" "${NS[$v]:-}"); done
/usr/bin/python3 - "$OUT" "$SECS" "$(uname -r)" "$(git describe --always --dirty 2>/dev/null)" "${args[@]}" <<'PY'
import json, os, statistics, sys
out, secs, kern, commit = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4]
a = sys.argv[5:]
res, base = {}, None
for i in range(0, len(a), 3):
    v, rates, ns = a[i], [int(x) / secs for x in a[i + 1].split()], [int(x) for x in a[i + 2].split()]
    m = statistics.median(rates)
    base = base or m
    res[v] = {"rate_pps": round(m), "rates": [round(x) for x in rates], "ratio_to_none": round(m / base, 3),
              "ns_per_run": statistics.median(ns) if ns else None, "ns_runs": ns}
doc = {"variants": res, "seconds_per_run": secs, "kernel": kern, "commit": commit,
       "method": "rates with kernel.bpf_stats_enabled=0 (medians); ns_per_run: run_time_ns/run_cnt "
                 "from a run with it on"}
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump(doc, open(out, "w"), indent=1)
print("%-10s %12s %8s %10s" % ("variant", "datagrams/s", "x none", "ns/run"))
for v, r in res.items():
    print("%-10s %12d %8.3f %10s" % (v, r["rate_pps"], r["ratio_to_none"], r["ns_per_run"]))
print("wrote", out)
PY
