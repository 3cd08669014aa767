#!/usr/bin/env bash
# bench/quic_initial_bench.sh (make bench-quic-initial): what a new QUIC
# connection costs on each of the two Initial paths, in one run: N
# sequential gtlsclient fetches (one connection each, a 376-byte
# ClientHello in one datagram) from the client namespace to an unmodified
# gtlsserver behind `ksteer up --quic`.
#   kernel:  the kernel's Initial path, no ksteerd running
#   ksteerd: `up` as on a kernel without bpf_loop, ksteerd --quic routes
# Reported per new connection: TC ingress's BPF run time over all the
# connection's datagrams (run_time_ns with kernel.bpf_stats_enabled,
# restored afterwards; the Initial path's program, a tail call, is counted
# in ksteer_tc's), ksteerd's CPU time (its /proc schedstat, ns on CPU,
# over the connections it routed, less what it spends idle in as long),
# and the client's time per fetch
# (process start, handshake, one HTTP/3 GET: the paths' difference is the
# time the Initial takes to reach the server). Writes
# bench/results/quic_initial.json (OUT=FILE elsewhere). The time from a
# first Initial's send to the server socket holding it is
# bench/quic_newconn.sh's (the same target).
#   N=40 [OUT=..] bench/quic_initial_bench.sh
set -u
cd "$(dirname "$0")/.."
N=${N:-40}
KS_TAG=qi$$
source tests/lib/lib.sh
source bench/lib.sh
source tests/lib/quic.sh
OUT=${OUT:-$ROOT/bench/results/quic_initial.json}
[ "$(id -u)" = 0 ] || { echo "quic_initial_bench: needs root" >&2; exit 1; }
for t in gtlsserver gtlsclient bpftool openssl; do
	command -v $t >/dev/null || { echo "quic_initial_bench: $t missing (make deps)" >&2; exit 1; }
done
KS_PIN=/sys/fs/bpf/ksteer-qibench-$$
bpf_stats_keep
# The namespaces, the pins and every job of ours end with the script
# (ks_test_end); the BPF statistics switch goes back as it was.
ks_test_begin "quic_initial_bench" || exit 1
ks_make_certs "$WORK" qa.example || exit 1
mkdir -p "$WORK/qa/www" "$WORK/qa/qlog"
echo "site qa" >"$WORK/qa/www/index.html"
printf '%s qa.example\n' $SRV4 >"$WORK/hosts"
UP=(up -a $SRV4 -p 443 --quic)
in_srv "$KSTEER" "${UP[@]}" 2>/dev/null || exit 1
nsenter --net=/run/netns/$SRV_NS gtlsserver -q -d "$WORK/qa/www" --qlog-dir="$WORK/qa/qlog" \
	'*' 443 "$WORK/qa.example.key" "$WORK/qa.example.pem" >"$WORK/qa.log" 2>&1 &
SPID=$!
for _ in $(seq 50); do
	[ "$(in_srv ss -Hulpn 'sport = :443' | grep -c gtlsserver)" -ge 1 ] && break
	sleep 0.1
done
in_srv "$KSTEER" backend add qa --pid $SPID >/dev/null && in_srv "$KSTEER" route add qa.example qa ||
	exit 1
echo 1 >/proc/sys/kernel/bpf_stats_enabled

# tc_stats: "run_time_ns run_cnt" of TC ingress (ksteer_tc; the kernel
# counts the Initial path's program, entered by tail call, in its caller's).
tc_stats() { prog_stats prog_tc; }
# fetches: N fetches; prints "good ms_per_fetch".
fetches() {
	local good=0 t0 t1
	t0=$(date +%s%N)
	for i in $(seq $N); do
		fetch "$WORK/f-$i" qa index.html -q
		[ "$(cat "$WORK/f-$i/index.html" 2>/dev/null)" = "site qa" ] && good=$((good + 1))
		rm -rf "$WORK/f-$i"
	done
	t1=$(date +%s%N)
	echo "$good $(((t1 - t0) / N / 1000))"
}
# --- kernel ---------------------------------------------------------------
# (The switch is the whole kernel's: set again before each phase, in case
# another benchmark turned it off; a phase that saw no runs says so.)
echo 1 >/proc/sys/kernel/bpf_stats_enabled
read -r rt0 rc0 <<<"$(tc_stats)"
read -r kr0 <<<"$(counters quic_kernel_routed)"
read -r kgood kus <<<"$(fetches)"
read -r rt1 rc1 <<<"$(tc_stats)"
read -r kr1 <<<"$(counters quic_kernel_routed)"
krouted=$((kr1 - kr0))
kbpf=$(((rt1 - rt0) / (krouted > 0 ? krouted : 1)))
kpk=$(((rc1 - rc0) / (krouted > 0 ? krouted : 1)))
[ $((rc1 - rc0)) -gt 0 ] || kbpf=-1                 # statistics were off

# --- ksteerd ----------------------------------------------------------------
KSTEER_FORCE_NO_BPF_LOOP=1 in_srv "$KSTEER" "${UP[@]}" 2>/dev/null
start_ksteerd "$WORK/ksteerd.log" --listen $SRV4:443 --quic || { echo "ksteerd did not start" >&2; exit 1; }
# ksteerd's own timers cost CPU with no traffic: that, over the same time,
# is taken off.
i0=$(cpu_ns $KD)
sleep $((N * kus / 1000000 + 1))
i1=$(cpu_ns $KD)
idle_per_us=$(((i1 - i0) * 1000 / ((N * kus / 1000000 + 1) * 1000000)))   # ns per ms
read -r fr0 <<<"$(counters fallback.quic_routed)"
echo 1 >/proc/sys/kernel/bpf_stats_enabled
read -r rt0 rc0 <<<"$(tc_stats)"
c0=$(cpu_ns $KD)
t0=$(date +%s%N)
read -r dgood dus <<<"$(fetches)"
t1=$(date +%s%N)
c1=$(cpu_ns $KD)
read -r rt1 rc1 <<<"$(tc_stats)"
read -r fr1 <<<"$(counters fallback.quic_routed)"
drouted=$((fr1 - fr0))
dbpf=$(((rt1 - rt0) / (drouted > 0 ? drouted : 1)))
dpk=$(((rc1 - rc0) / (drouted > 0 ? drouted : 1)))
[ $((rc1 - rc0)) -gt 0 ] || dbpf=-1
idle=$((idle_per_us * (t1 - t0) / 1000000))
dcpu=$(((c1 - c0 - idle) / (drouted > 0 ? drouted : 1)))

printf 'new QUIC connections, %d each way (gtlsclient, one-datagram ClientHello)\n' $N
printf '%-8s %8s %12s %8s %16s %13s\n' path routed "TC ns/conn" "TC runs" "ksteerd ns/conn" \
	"us per fetch"
printf '%-8s %8s %12s %8s %16s %13s\n' kernel "$krouted/$kgood" "$kbpf" "$kpk" - "$kus"
printf '%-8s %8s %12s %8s %16s %13s\n' ksteerd "$drouted/$dgood" "$dbpf" "$dpk" "$dcpu" "$dus"
printf '{"n": %d, "kernel": {"routed": %d, "fetched": %d, "tc_ns_per_conn": %d, "tc_runs_per_conn": %d, "us_per_fetch": %d},' \
	$N $krouted $kgood $kbpf $kpk $kus >"$OUT"
printf ' "ksteerd": {"routed": %d, "fetched": %d, "tc_ns_per_conn": %d, "tc_runs_per_conn": %d, "ksteerd_cpu_ns_per_conn": %d, "us_per_fetch": %d}}\n' \
	$drouted $dgood $dbpf $dpk $dcpu $dus >>"$OUT"
cat "$OUT"
