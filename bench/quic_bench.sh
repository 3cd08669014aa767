#!/usr/bin/env bash
# bench/quic_bench.sh (make bench-quic): what ksteer's QUIC steering costs
# per datagram, against the kernel's own SO_REUSEPORT hashing.
#
# build/quic_flood sends fixed 64-byte short-header datagrams (a DCID ksteer
# knows, pinned in ks_quic_scids) from the client namespace at UDP 443 as fast
# as one thread can, for SECS seconds; a receiver with 2 sockets in one
# SO_REUSEPORT group on *:443 in the server namespace counts them.
#   A: plain reuseport group, ksteer not up: the kernel hashes
#   B: ksteer up --quic, both sockets registered: TC ingress finds the
#      socket by CID (bpf_sk_assign), sk_reuseport selects it in the group
# Reported: datagrams/s received in each with kernel.bpf_stats_enabled off
# (its clock reads per program run would slow B alone), B/A, and, from a
# third run S (B with bpf_stats on), the BPF programs' own run time per
# packet (run_time_ns / run_cnt; restored afterwards). Writes
# bench/results/quic.json (OUT=FILE elsewhere). About 20 s per rep.
#   SECS=5 REPS=3 SIZE=64 [KS_TAG=.. KS_PIN=.. OUT=..] bench/quic_bench.sh
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
SECS=${SECS:-5}
REPS=${REPS:-3}
SIZE=${SIZE:-64}
DCID=b0b0b0b0c0ffee01
FLOOD=$ROOT/build/quic_flood
KSTEER=${KSTEER:-$ROOT/build/ksteer}
OUT=${OUT:-$ROOT/bench/results/quic.json}
[ "$(id -u)" = 0 ] || { echo "quic_bench: needs root" >&2; exit 1; }
for f in "$FLOOD" "$KSTEER"; do
	[ -x "$f" ] || { echo "quic_bench: $f missing (make all build/quic_flood)" >&2; exit 1; }
done
# Namespace names and pin directory: KS_TAG and KS_PIN when given (a
# shared machine's own prefix), else qb<pid>.
KS_TAG=${KS_TAG:-qb$$}
KS_PIN=${KS_PIN:-/sys/fs/bpf/ksteer-qbench-$$}
source "$ROOT/tests/lib/lib.sh"
source "$ROOT/bench/lib.sh"
bpf_stats_keep
RPID=
# The namespaces, the pins and every job of ours end with the script
# (ks_test_end); the BPF statistics switch goes back as it was.
ks_test_begin "quic_bench" || exit 1
# Every datagram its own skb, as from a NIC without offloads.
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1 || true
NCPU=$(nproc)
RCPU=0
SCPU=$((NCPU > 1 ? 1 : 0))

# one_run MODE: start the receiver, (B: register it), flood, print
# "sent received" for the run.
one_run() {
	local mode=$1 sent recv
	nsenter --net=/run/netns/$SRV_NS taskset -c $RCPU "$FLOOD" recv 443 2 >"$WORK/recv" 2>&1 &
	RPID=$!
	for _ in $(seq 50); do grep -q ready "$WORK/recv" && break; sleep 0.05; done
	if [ "$mode" = B ]; then
		quic_bench_register $RPID $DCID || return 1
	fi
	sent=$(in_cli taskset -c $SCPU "$FLOOD" send $SRV4 443 "$SECS" $DCID "$SIZE" | awk '{print $2}')
	sleep 0.2
	kill -INT $RPID
	wait $RPID 2>/dev/null
	RPID=
	[ "$mode" = B ] && quic_bench_unregister
	recv=$(awk '/^received/ {print $2}' "$WORK/recv")
	echo "${sent:-0} ${recv:-0} $(awk '/^received/ {print $3, $4}' "$WORK/recv")"
}

declare -a RA RB RS
tc_ns=0 tc_cnt=0 rp_ns=0 rp_cnt=0 by_cid=0 rp_sel=0 rp_tc=0
printf '%-4s %-4s %12s %12s %12s  %s\n' run rep sent received "rx/s" "per socket"
for rep in $(seq "$REPS"); do
	# A: no ksteer. B: ksteer --quic, sockets registered. Both with
	# bpf_stats off: its two clock reads per program run are the
	# measurement's cost, not ksteer's.
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
	in_srv "$KSTEER" down >/dev/null 2>&1
	read -r s r p1 p2 <<<"$(one_run A)"
	RA+=("$r")
	printf '%-4s %-4s %12s %12s %12s  %s %s\n' A $rep $s $r $((r / SECS)) "$p1" "$p2"
	quic_bench_up
	read -r s r p1 p2 <<<"$(one_run B)"
	RB+=("$r")
	printf '%-4s %-4s %12s %12s %12s  %s %s\n' B $rep $s $r $((r / SECS)) "$p1" "$p2"
	in_srv "$KSTEER" down >/dev/null 2>&1
	# S: B again with bpf_stats on, for the programs' run time.
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	quic_bench_up
	read -r t0 c0 <<<"$(prog_stats prog_tc)"
	read -r q0 d0 <<<"$(prog_stats prog_reuseport)"
	read -r s r p1 p2 <<<"$(one_run B)"
	read -r t1 c1 <<<"$(prog_stats prog_tc)"
	read -r q1 d1 <<<"$(prog_stats prog_reuseport)"
	RS+=("$r")
	tc_ns=$((tc_ns + t1 - t0)) tc_cnt=$((tc_cnt + c1 - c0))
	rp_ns=$((rp_ns + q1 - q0)) rp_cnt=$((rp_cnt + d1 - d0))
	st=$(in_srv "$KSTEER" stats -j)
	by_cid=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("quic_by_cid",0))' "$st")
	rp_sel=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("reuseport_quic_selected",0))' "$st")
	rp_tc=$(/usr/bin/python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get("reuseport_quic_tc_choice",0))' "$st")
	printf '%-4s %-4s %12s %12s %12s  %s %s\n' S $rep $s $r $((r / SECS)) "$p1" "$p2"
	in_srv "$KSTEER" down >/dev/null 2>&1
done
bpf_stats_restore

/usr/bin/python3 - "$OUT" "$SECS" "$SIZE" "$tc_ns" "$tc_cnt" "$rp_ns" "$rp_cnt" "$by_cid" "$rp_sel" \
	"$rp_tc" "${RA[*]}" "${RB[*]}" "${RS[*]}" "$(uname -r)" "$(git describe --always --dirty 2>/dev/null)" <<'EOF'
import json, sys, statistics, os
out, secs, size = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
tc_ns, tc_cnt, rp_ns, rp_cnt, by_cid, rp_sel = map(int, sys.argv[4:10])
rp_tc = int(sys.argv[10])
ra = [int(x) / secs for x in sys.argv[11].split()]
rb = [int(x) / secs for x in sys.argv[12].split()]
rs = [int(x) / secs for x in sys.argv[13].split()]
a, b = statistics.median(ra), statistics.median(rb)
res = {
    "datagram_bytes": size, "seconds_per_run": secs, "runs_each": len(ra),
    "rate_a_plain_reuseport_pps": round(a), "rate_b_ksteer_pps": round(b),
    "rates_a": [round(x) for x in ra], "rates_b": [round(x) for x in rb],
    "ratio_b_over_a": round(b / a, 3) if a else None,
    "ns_per_packet": {
        "tc": round(tc_ns / tc_cnt, 1) if tc_cnt else None,
        "reuseport": round(rp_ns / rp_cnt, 1) if rp_cnt else None,
    },
    "bpf_runs": {"tc": tc_cnt, "reuseport": rp_cnt},
    "last_run_counters": {"quic_by_cid": by_cid, "reuseport_quic_selected": rp_sel,
                          "reuseport_quic_tc_choice": rp_tc},
    "rates_b_with_bpf_stats": [round(x) for x in rs],
    "method": "rates: A and B with kernel.bpf_stats_enabled=0, medians of the runs; "
              "ns_per_packet: run_time_ns / run_cnt over the S runs (B with bpf_stats on)",
    "kernel": sys.argv[14], "commit": sys.argv[15],
}
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump(res, f, indent=1)
    f.write("\n")
print()
print("%-34s %14s" % ("", "datagrams/s"))
print("%-34s %14d" % ("A plain SO_REUSEPORT (kernel hash)", a))
print("%-34s %14d" % ("B ksteer --quic (TC + reuseport)", b))
print("%-34s %14s" % ("B/A", res["ratio_b_over_a"]))
print("%-34s %14s" % ("prog_tc ns/packet", res["ns_per_packet"]["tc"]))
print("%-34s %14s" % ("prog_reuseport ns/packet", res["ns_per_packet"]["reuseport"]))
print("wrote", out)
EOF
