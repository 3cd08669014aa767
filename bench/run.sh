#!/usr/bin/env bash
# ksteer's paths against the backend reached directly, side by side in one
# run, as ratios: the fast path, the reassembly path, and ksteerd's proxy
# and hand-off modes.
#
# Two ClientHello sizes: "small" (OpenSSL's ~300 B, one segment) and
# "large" (padded to ~2.7 KB like a browser's post-quantum hello: two
# segments on this 1500-byte MTU, reassembled by ksteer in the kernel).
#
# Two veth pairs between a client and a server namespace: ksteer's TC
# program is attached to one (public address $SRV4:443), the other reaches
# the same nginx backend directly ($DIRECT4:9002) with no BPF in the way.
# Runs alternate direct/fast for each concurrency; each figure is the
# median of REPS runs. Writes bench/results/fastpath.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
REPS=${REPS:-3}
CONNS=${CONNS:-2000}
CONCS=${CONCS:-"1 8"}
# WORKLOADS: any of small large proxy handoff (default: all)
export KSTEER_PIN_DIR=/sys/fs/bpf/ksteer-bench-$$
WORK=$(mktemp -d)
KSTEER=$PWD/build/ksteer
trap bench_down EXIT
trap 'exit 143' TERM INT
make -s build/connbench build/ksteerd build/handoff_tls_server

bench_link_up

ks_make_certs "$WORK" bench.example
mkdir -p "$WORK/www" "$WORK/logs"
echo "hello from the backend" >"$WORK/www/index.html"
cat >"$WORK/nginx.conf" <<CONF
daemon off;
user root;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/logs/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000;
	server {
		listen 9002 ssl backlog=4096;
		ssl_certificate $WORK/bench.example.pem;
		ssl_certificate_key $WORK/bench.example.key;
		ssl_session_cache off;
		ssl_session_tickets off;
		location / { root $WORK/www; }
	}
}
CONF
in_srv "$KSTEER" up -a $SRV4 -a $SRV6 -i "$SRV_IF" -p 443
in_srv "$KSTEER" backend add bench 0.0.0.0:9002
in_srv "$KSTEER" route add bench.example bench
# The fallback modes: a --proxy backend (the same nginx, through ksteerd),
# and a hand-off backend (a small TLS server that takes connections both
# by hand-off and on its own TCP port, to compare it with itself).
in_srv "$KSTEER" backend add viaproxy --proxy 127.0.0.1:9002
in_srv "$KSTEER" route add proxy.bench.example viaproxy
in_srv "$KSTEER" backend add viahandoff --handoff "$WORK/ho.sock"
in_srv "$KSTEER" route add ho.bench.example viahandoff
# Same CPU placement for every path: servers on CPU 1, client on CPU 0.
bench_srv 1 nginx -p "$WORK" -c "$WORK/nginx.conf"
bench_srv 1 build/ksteerd --listen $SRV4:443 2>/dev/null
bench_srv 1 build/handoff_tls_server "$WORK/ho.sock" \
	"$WORK/bench.example.pem" "$WORK/bench.example.key" ho 9100
wait_listen 0.0.0.0 9002 && wait_listen $SRV4 443 && wait_listen 0.0.0.0 9100

# Paths: NAME -> address port SNI ALPN-padding
declare -A PATHS=(
	[direct]="$DIRECT4 9002 bench.example 0"
	[fast]="$SRV4 443 bench.example 0"
	[direct-large]="$DIRECT4 9002 bench.example 2400"
	[fast-large]="$SRV4 443 bench.example 2400"
	[ksteerd-proxy]="$SRV4 443 proxy.bench.example 0"
	[direct-ho]="$DIRECT4 9100 ho.bench.example 0"
	[ksteerd-handoff]="$SRV4 443 ho.bench.example 0"
)
# Comparisons: workload -> "baseline path-under-test"
COMPARE=()
for cmp in "small:direct fast" "large:direct-large fast-large" "proxy:direct ksteerd-proxy" \
	"handoff:direct-ho ksteerd-handoff"; do
	[[ " ${WORKLOADS:-small large proxy handoff} " == *" ${cmp%%:*} "* ]] && COMPARE+=("$cmp")
done
run() { # PATH CONC
	set -- ${PATHS[$1]} "$2"
	in_cli taskset -c 0 build/connbench -a "$1" -p "$2" -s "$3" -A "$4" -c "$5" -n "$CONNS" -t 60
}
for p in direct fast ksteerd-proxy direct-ho ksteerd-handoff; do run $p 4 >/dev/null; done   # warm up
results=$WORK/raw.jsonl
for cmp in "${COMPARE[@]}"; do
	work=${cmp%%:*}
	for c in $CONCS; do
		for r in $(seq "$REPS"); do
			for p in ${cmp#*:}; do
				printf '{"workload":"%s","path":"%s","concurrency":%s,"rep":%s,"result":%s}\n' \
					"$work" "$p" "$c" "$r" "$(run "$p" "$c" || true)" >>"$results"
			done
		done
	done
done
stats=$(in_srv "$KSTEER" stats -j)
python3 - "$results" "$REPS" "$CONNS" "$stats" "${COMPARE[*]}" <<'PY'
import json, statistics, sys, platform, os, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
reps, conns, stats = int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
compare = [c.split(":") for c in sys.argv[5].split(" ") if ":" in c]
pairs = {}
for c in sys.argv[5].split():
    if ":" in c:
        w, base = c.split(":")
        pairs[w] = [base]
    else:
        pairs[w].append(c)
out = {"what": "new TLS 1.3 connections + one HTTP/1.1 request each, veth, GRO/TSO off",
       "median_of": reps, "connections_per_run": conns,
       "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus, kernel {platform.release()}",
       "date": datetime.datetime.utcnow().isoformat(timespec="seconds") + "Z",
       "ksteer": {k: stats.get(k) for k in ("assigned", "reasm_completed", "to_fallback",
                                            "time_wait_detour")},
       "ksteerd": stats.get("fallback"), "runs": []}
print(f"{'workload':>8} {'conc':>4} {'path':>16} {'conn/s':>8} {'p50 us':>7} {'p99 us':>7} {'err':>4}   ratio to baseline (rate, p50, p99)")
for w, (base, test) in pairs.items():
    for c in sorted({r["concurrency"] for r in rows if r["workload"] == w}):
        med = {}
        for p in (base, test):
            rs = [r["result"] for r in rows if r["workload"] == w and r["path"] == p and r["concurrency"] == c]
            med[p] = {k: statistics.median(x[k] for x in rs) for k in ("rate", "p50_us", "p99_us")}
            med[p]["errors"] = sum(x["errors"] for x in rs)
        b, t = med[base], med[test]
        ratio = {"rate": t["rate"] / b["rate"], "p50": t["p50_us"] / b["p50_us"], "p99": t["p99_us"] / b["p99_us"]}
        for p in (base, test):
            m = med[p]
            extra = f"   {ratio['rate']:.3f}, {ratio['p50']:.3f}, {ratio['p99']:.3f}" if p == test else ""
            print(f"{w:>8} {c:>4} {p:>16} {m['rate']:>8.0f} {m['p50_us']:>7.0f} {m['p99_us']:>7.0f} {m['errors']:>4}{extra}")
        out["runs"].append({"workload": w, "concurrency": c, "baseline": base, "path": test,
                            base: b, test: t, "ratio_rate": ratio["rate"], "ratio_p50": ratio["p50"],
                            "ratio_p99": ratio["p99"], "added_p50_us": t["p50_us"] - b["p50_us"]})
os.makedirs("bench/results", exist_ok=True)
json.dump(out, open("bench/results/fastpath.json", "w"), indent=1)
print(f"(median of {reps} runs of {conns} connections each; in the kernel: {out['ksteer']}; "
      f"ksteerd: proxy {out['ksteerd']['proxy']}, handoff {out['ksteerd']['handoff']}; bench/results/fastpath.json)")
PY
