#!/usr/bin/env bash
# bench/tc_floor.sh (make bench-tc-floor): what the programs on a QUIC
# datagram's path cost before they do any work, and against ksteer itself,
# in the flood of bench/quic_bench.sh: 64-byte short headers of one CID
# from one thread, to a receiver with 2 sockets in one SO_REUSEPORT group
# on *:443, ksteer up --quic with the receiver registered and the CID
# pinned (quic_bench.sh's B: group mode). Variants:
#   none           no program: the kernel alone (plain SO_REUSEPORT)
#   noop           none again, set as the others are (one more process run
#                  before the slice): the method's own bias, ~1.000 if none
#   clsact         the clsact qdisc with no filter: TC's hook alone
#   cls:ret|touch|clock   a clsact filter (cls_bpf, as `ksteer up` attaches)
#   tcx:ret|touch  a TCX link (bpf_link, kernel 6.6+)
#   rp:select      an sk_reuseport program on the group that only selects
#   both           cls:ret and rp:select: group mode's two runs, empty
#   ksteer         ksteer's own TC and sk_reuseport programs (group mode)
#   u32            ksteer, and before its TC program a u32 filter that
#                  ends classification (TC_ACT_OK) for IPv4 UDP to 443
#                  whose payload's form bit is clear: one BPF program on
#                  the short header's path (an experiment, not what
#                  ksteer can do: docs/DESIGN.md "QUIC")
# ret returns at once; touch reads the frame's first byte; clock reads the
# clock twice, as kernel.bpf_stats_enabled does around every run
# (tests/progs/tc_floor.bpf.c).
#
# One flood runs throughout; the programs are attached and detached under
# it (tc filters; SO_ATTACH/DETACH_REUSEPORT_BPF on the live group), so a
# variant's SLICE seconds are measured next to a slice of none before and
# after it: each ROUND is none V1 none V2 ... none, and a variant's ratio
# in it is its rate over the mean of its two neighbours (the machine may
# be shared: what others run moves the rate by ±15 % over seconds, and
# neighbours a slice apart share most of it). Rates: the server veth's
# received packets (no drops: the sender is the bottleneck, and it does
# the receive path in its softirq) with bpf_stats off; then, with it on,
# each variant's programs' run_time_ns / run_cnt over STATS_SECS.
# Prints the medians and quartiles of the ratios; writes OUT (default
# bench/results/tc_floor.json).
#   SLICE=0.5 ROUNDS=15 [VARIANTS="cls:ret ..."] [KS_TAG=.. KS_PIN=.. OUT=..] bench/tc_floor.sh
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
SLICE=${SLICE:-0.5}
ROUNDS=${ROUNDS:-15}
STATS_SECS=${STATS_SECS:-1}
VARIANTS=${VARIANTS:-cls:ret rp:select both ksteer}
FLOOD=$ROOT/build/quic_flood
LOADER=$ROOT/build/tc_floor
OBJ=$ROOT/build/tc_floor.bpf.o
KSTEER=${KSTEER:-$ROOT/build/ksteer}
DCID=b0b0b0b0c0ffee01
OUT=${OUT:-$ROOT/bench/results/tc_floor.json}
[ "$(id -u)" = 0 ] || { echo "tc_floor: needs root" >&2; exit 1; }
for f in "$FLOOD" "$LOADER" "$OBJ" "$KSTEER"; do
	[ -e "$f" ] || { echo "tc_floor: $f missing (make all build/quic_flood build/tc_floor)" >&2; exit 1; }
done
KS_TAG=${KS_TAG:-tf$$}
KS_PIN=${KS_PIN:-/sys/fs/bpf/ksteer-tfloor-$$}
FPIN=$KS_PIN-floor                # the floor programs' pins (ksteer's: KS_PIN)
source "$ROOT/tests/lib/lib.sh"
source "$ROOT/bench/lib.sh"
bpf_stats_keep
ks_on_exit 'rm -rf "$FPIN"'
ks_test_begin "tc_floor" || exit 1
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1 || true
IFX=$(in_srv ip -o link show dev "$SRV_IF" | cut -d: -f1)
SCPU=$(($(nproc) > 1 ? 1 : 0))

echo 0 >/proc/sys/kernel/bpf_stats_enabled
quic_bench_up
nsenter --net=/run/netns/$SRV_NS taskset -c 0 "$FLOOD" recv 443 2 >"$WORK/recv" 2>&1 &
RPID=$!
ks_on_exit 'kill ${RPID:-} ${SPID:-} 2>/dev/null'
for _ in $(seq 50); do grep -q ready "$WORK/recv" && break; sleep 0.05; done
quic_bench_register $RPID $DCID >/dev/null || exit 1

# The floor programs, loaded and pinned once ($FPIN/HOW/prog).
for how in cls tcx; do
	for prog in ret touch clock; do
		case " $VARIANTS " in *" $how:$prog "* | *" both "*) ;; *) continue ;; esac
		[ $how:$prog = tcx:clock ] && continue
		mkdir -p "$FPIN/$how-$prog"
		in_srv "$LOADER" "$OBJ" floor_$prog - pin "$FPIN/$how-$prog" || exit 1
	done
done
mkdir -p "$FPIN/rp"
in_srv "$LOADER" "$OBJ" floor_select $RPID rp "$FPIN/rp" || exit 1

# set V: only V's programs on the path.
unset_all() {
	in_srv tc qdisc del dev "$SRV_IF" clsact 2>/dev/null      # ksteer's egress too: unused here
	rm -f "$FPIN"/*/link
	in_srv "$LOADER" - - $RPID rp-off -
}
set_v() {
	unset_all
	case $1 in
	cls:*) in_srv "$LOADER" "$FPIN/cls-${1#*:}/prog" - "$IFX" cls - ;;
	tcx:*) in_srv "$LOADER" "$FPIN/tcx-${1#*:}/prog" - "$IFX" tcx "$FPIN/tcx-${1#*:}" ;;
	noop) in_srv "$LOADER" - - $RPID rp-off - ;;
	clsact) in_srv tc qdisc add dev "$SRV_IF" clsact ;;
	rp:*) in_srv "$LOADER" "$FPIN/rp/prog" - $RPID rp - ;;
	both) in_srv "$LOADER" "$FPIN/cls-ret/prog" - "$IFX" cls - &&
		in_srv "$LOADER" "$FPIN/rp/prog" - $RPID rp - ;;
	ksteer | u32) in_srv "$LOADER" "$KS_PIN/prog_tc" - "$IFX" cls - &&
		in_srv "$LOADER" "$KS_PIN/prog_reuseport" - $RPID rp - ;;&
	u32) in_srv tc filter add dev "$SRV_IF" ingress prio 1 protocol ip u32 \
		match u8 0x45 0xff at 0 match u16 0 0x3fff at 6 match u8 17 0xff at 9 \
		match u16 443 0xffff at 22 match u8 0 0x80 at 28 flowid 1:1 ;;
	none) ;;
	esac
}
# progs V: V's TC and sk_reuseport programs' pins ("-" for none).
progs() {
	case $1 in
	cls:* | tcx:*) echo "$FPIN/${1%%:*}-${1#*:}/prog -" ;;
	rp:*) echo "- $FPIN/rp/prog" ;;
	both) echo "$FPIN/cls-ret/prog $FPIN/rp/prog" ;;
	ksteer | u32) echo "$KS_PIN/prog_tc $KS_PIN/prog_reuseport" ;;
	*) echo "- -" ;;
	esac
}
# rx: "ns packets" now, the server veth's received count (/proc/net/dev:
# bytes, then packets).
rx() { echo "$(date +%s%N) $(in_srv sed -n "s/^ *$SRV_IF: *//p" /proc/net/dev | awk '{print $2}')"; }
# slice V: V's rate over SLICE seconds, datagrams/s.
slice() {
	local t0 c0 t1 c1
	set_v $1 || { echo "tc_floor: $1: attach failed" >&2; exit 1; }
	sleep 0.2                 # what the change set going (RCU callbacks) done first
	read -r t0 c0 <<<"$(rx)"
	sleep "$SLICE"
	read -r t1 c1 <<<"$(rx)"
	echo $(( (c1 - c0) * 1000000000 / (t1 - t0) ))
}

in_cli taskset -c $SCPU "$FLOOD" send $SRV4 443 100000 $DCID 64 >/dev/null &
SPID=$!
sleep 0.5
declare -A RATES RATIOS NS_TC NS_RP
NONE=
for round in $(seq "$ROUNDS"); do
	prev=$(slice none)
	NONE="$NONE $prev"
	line="$round none $prev"
	for v in $VARIANTS; do
		r=$(slice $v)
		next=$(slice none)
		NONE="$NONE $next"
		RATES[$v]="${RATES[$v]:-} $r"
		RATIOS[$v]="${RATIOS[$v]:-} $(awk -v r=$r -v a=$prev -v b=$next 'BEGIN {printf "%.4f", 2 * r / (a + b)}')"
		line="$line  $v $r none $next"
		prev=$next
	done
	echo "$line"
done
# The programs' own time, bpf_stats on (its clock reads slow them).
echo 1 >/proc/sys/kernel/bpf_stats_enabled
for v in $VARIANTS; do
	set_v $v
	read -r pt pr <<<"$(progs $v)"
	read -r a0 b0 <<<"$(prog_stats $pt)"; read -r c0 d0 <<<"$(prog_stats $pr)"
	sleep "$STATS_SECS"
	read -r a1 b1 <<<"$(prog_stats $pt)"; read -r c1 d1 <<<"$(prog_stats $pr)"
	NS_TC[$v]=$(( b1 > b0 ? (a1 - a0) / (b1 - b0) : 0 ))
	NS_RP[$v]=$(( d1 > d0 ? (c1 - c0) / (d1 - d0) : 0 ))
	echo "bpf_stats $v: tc ${NS_TC[$v]} ns, sk_reuseport ${NS_RP[$v]} ns a run"
done
echo 0 >/proc/sys/kernel/bpf_stats_enabled
unset_all
kill $SPID 2>/dev/null
wait $SPID 2>/dev/null
SPID=
bpf_stats_restore
args=("none" "$NONE" "" "" "")
for v in $VARIANTS; do args+=("$v" "${RATES[$v]}" "${RATIOS[$v]}" "${NS_TC[$v]}" "${NS_RP[$v]}"); done
/usr/bin/python3 - "$OUT" "$SLICE" "$ROUNDS" "$(uname -r)" "$(git describe --always --dirty 2>/dev/null)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "${args[@]}" <<'PY'
import json, os, statistics, sys
out, sl, rounds, kern, commit, load = sys.argv[1:7]
a = sys.argv[7:]
q = lambda l: [round(x, 3) for x in statistics.quantiles(l, n=4)] if len(l) > 1 else l
res = {}
for i in range(0, len(a), 5):
    v, rates = a[i], [int(x) for x in a[i + 1].split()]
    ratios = [float(x) for x in a[i + 2].split()]
    r = {"rate_pps_median": round(statistics.median(rates)), "rates": rates}
    if ratios:
        r.update({"ratio_to_none_median": round(statistics.median(ratios), 3),
                  "ratio_quartiles": q(ratios), "ratios": ratios,
                  "tc_ns_per_run": int(a[i + 3]) or None, "rp_ns_per_run": int(a[i + 4]) or None})
    res[v] = r
doc = {"variants": res, "slice_seconds": float(sl), "rounds": int(rounds), "kernel": kern,
       "commit": commit, "loadavg_at_end": load,
       "method": "one flood; each round: none V1 none V2 ... none, SLICE seconds each, programs "
                 "attached and detached under the flood; a variant's ratio in a round: its rate over "
                 "the mean of its neighbouring none slices; medians and quartiles over the rounds; "
                 "rates with kernel.bpf_stats_enabled=0; ns_per_run: run_time_ns/run_cnt over "
                 "a later slice with it on"}
os.makedirs(os.path.dirname(out), exist_ok=True)
json.dump(doc, open(out, "w"), indent=1)
print("%-10s %12s %8s %-24s %8s %8s" % ("variant", "datagrams/s", "x none", "quartiles", "tc ns", "rp ns"))
for v, r in res.items():
    print("%-10s %12d %8s %-24s %8s %8s" % (v, r["rate_pps_median"], r.get("ratio_to_none_median", 1),
          " ".join("%.3f" % x for x in r.get("ratio_quartiles", [])), r.get("tc_ns_per_run"),
          r.get("rp_ns_per_run")))
print("load average at the end:", load)
print("wrote", out)
PY
