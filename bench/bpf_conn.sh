#!/usr/bin/env bash
# BPF run time per connection, by program, on the router-bound workload
# (connbench -R: curl's one-segment ClientHello; Chromium's two-segment ones,
# "two" with the SNI in the first segment, placed on it, and "held" with it
# in the second, held and rewritten; to bench/rawsrv; and "tls", make bench's
# TLS workload: connbench's own handshake and one request, to nginx), the
# fast path beside direct, REPS alternating runs of N
# connections at concurrency C. Per program: µs per connection, runs per
# connection, ns per run (bpftool's run_time_ns / run_cnt with
# kernel.bpf_stats_enabled, restored after), and ksteer's counters per
# connection (packets of each class). Direct's line shows what the cgroup
# programs cost a connection ksteer does not steer (sock_ops runs for every
# TCP socket of the cgroup, the benchmark's client sockets included).
# Last, per shape, the fast path's rate over the direct run beside it:
# the median and quartiles of those REPS pairs (a pair is seconds apart,
# so it shares most of what else the host runs; make bench's medians of
# whole runs minutes apart do not). STATS=0 leaves
# kernel.bpf_stats_enabled off, as make bench's rates do (the accounting
# taxes every run of ksteer's programs and nothing of direct's): rates
# and ratios only.
#   N=4000 C=32 REPS=3 SHAPES="one two held tls" [STATS=0] bench/bpf_conn.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
export KSTEER_PIN_DIR=$KS_PIN
N=${N:-4000}; C=${C:-32}; REPS=${REPS:-3}; SHAPES=${SHAPES:-"one two held"}; STATS=${STATS:-1}
WORK=$(mktemp -d)
KSTEER=$PWD/build/ksteer
bpf_stats_save
cleanup() {
	bpf_stats_restore
	bench_down
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
make -s build/connbench build/rawsrv build/ksteer
bench_link_up
cp tests/data/captures/curl_h11.bin "$WORK/raw-one.bin"
cp tests/data/captures/chromium_1.bin "$WORK/raw-two.bin"
cp tests/data/captures/chromium_2.bin "$WORK/raw-held.bin"
in_srv "$KSTEER" up -a $SRV4 -i "$SRV_IF" -p 443 >/dev/null
in_srv "$KSTEER" backend add ra 0.0.0.0:9202 >/dev/null
for h in curl.example.com chrome.example.com; do in_srv "$KSTEER" route add $h ra >/dev/null; done
bench_srv 1 build/rawsrv "9202:raw a"
wait_listen 0.0.0.0 9202
if [[ " $SHAPES " == *" tls "* ]]; then
	# make bench's TLS backend (bench/conf/backend-nginx.conf), site a.
	ks_make_certs "$WORK" bench.example
	mkdir -p "$WORK/a" "$WORK/b" "$WORK/logs"
	echo "site a" >"$WORK/a/index.html"
	sed "s|@W@|$WORK|g" bench/conf/backend-nginx.conf >"$WORK/backend.conf"
	in_srv "$KSTEER" backend add a 0.0.0.0:9002 >/dev/null
	in_srv "$KSTEER" route add a.bench.example a >/dev/null
	bench_srv 1 nginx -p "$WORK" -c "$WORK/backend.conf"
	wait_listen 0.0.0.0 9002
fi

# snap: {pinned program: [run_time_ns, run_cnt]} of ksteer's programs.
snap() {
	python3 - "$KS_PIN" <<'PY'
import json, os, subprocess, sys
d = {}
for f in sorted(os.listdir(sys.argv[1])):
    if f.startswith("prog_"):
        p = json.loads(subprocess.check_output(
            ["bpftool", "-j", "prog", "show", "pinned", os.path.join(sys.argv[1], f)]))
        d[f[5:]] = [p.get("run_time_ns", 0), p.get("run_cnt", 0)]
print(json.dumps(d))
PY
}
run() { # DST SHAPE N: connbench's JSON
	local a=$SRV4 p=443 dp=9202
	[ "$2" = tls ] && dp=9002
	[ "$1" = direct ] && a=$DIRECT4 p=$dp
	if [ "$2" = tls ]; then
		in_cli taskset -c 0 build/connbench -a $a -p $p -s a.bench.example -e "site a" -t 60 -c "$C" -n "$3"
	else
		in_cli taskset -c 0 build/connbench -a $a -p $p -R "$WORK/raw-$2.bin" -e "raw a" -t 60 -c "$C" -n "$3"
	fi
}
for shape in $SHAPES; do
	for dst in direct fast; do run $dst $shape 200 >/dev/null; done      # warm up
	for rep in $(seq "$REPS"); do
		order="direct fast"
		[ $((rep % 2)) = 0 ] && order="fast direct"  # neither always first
		for dst in $order; do
			# The switch is the whole kernel's: another run may turn it
			# off meanwhile; such a run counts nothing and is said so.
			echo "$STATS" >/proc/sys/kernel/bpf_stats_enabled
			s0=$(snap); c0=$(in_srv "$KSTEER" stats -j)
			r=$(run $dst $shape "$N")
			s1=$(snap); c1=$(in_srv "$KSTEER" stats -j)
			if [ "$(cat /proc/sys/kernel/bpf_stats_enabled)" != "$STATS" ]; then
				echo "$shape $dst: kernel.bpf_stats_enabled was changed meanwhile: not counted"
				continue
			fi
			python3 - "$shape" "$dst" "$N" "$s0" "$s1" "$r" "$c0" "$c1" "$STATS" "$WORK/rates" "$rep" <<'PY'
import json, sys
shape, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
s0, s1, r = (json.loads(a) for a in sys.argv[4:7])
stats, rates, rep = sys.argv[9] == "1", sys.argv[10], sys.argv[11]
tot, parts = 0, []
for k in s1:
    dt, dc = (s1[k][i] - s0.get(k, [0, 0])[i] for i in (0, 1))
    tot += dt
    if dc >= n / 10:
        parts.append(f"{k} {dt / n / 1000:.2f} µs ({dc / n:.1f} runs, {dt / dc:.0f} ns/run)")
rate = r.get("conn_per_s", r.get("rate")) if isinstance(r, dict) else r
with open(rates, "a") as f:
    f.write(f"{shape} {rep} {dst} {rate}\n")
if not stats:
    print(f"{shape} {dst:6} conn/s {rate}")
    sys.exit(0)
print(f"{shape} {dst:6} conn/s {rate}: BPF {tot / n / 1000:.2f} µs/conn: " + "; ".join(parts))
if dst == "fast":
    def flat(d, p=""):
        o = {}
        for k, v in (d.items() if isinstance(d, dict) else ()):
            if isinstance(v, dict):
                o.update(flat(v, p + k + "."))
            elif isinstance(v, (int, float)):
                o[p + k] = v
        return o
    f0, f1 = flat(json.loads(sys.argv[7])), flat(json.loads(sys.argv[8]))
    print("   per connection:", ", ".join(f"{k} {(f1[k] - f0.get(k, 0)) / n:.2f}" for k in f1
                                       if f1[k] - f0.get(k, 0) >= n / 100 and "backend" not in k))
PY
		done
	done
done
python3 - "$WORK/rates" <<'PY'
import statistics, sys
runs, pairs = {}, {}
for line in open(sys.argv[1]):
    shape, rep, dst, rate = line.split()
    runs.setdefault((shape, rep), {})[dst] = float(rate)
for (shape, rep), d in runs.items():
    if len(d) == 2:
        pairs.setdefault(shape, []).append(d["fast"] / d["direct"])
for shape, r in pairs.items():
    q = statistics.quantiles(r, n=4) if len(r) > 1 else [r[0]] * 3
    print(f"{shape}: fast / direct over {len(r)} pairs: median {q[1]:.3f} (quartiles {q[0]:.3f}-{q[2]:.3f})")
PY
