#!/usr/bin/env bash
# Fast path against direct, side by side in one run, as ratios.
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
source tests/netns.sh
REPS=${REPS:-3}
CONNS=${CONNS:-2000}
CONCS=${CONCS:-"1 8"}
DIRECT4=198.18.1.1
DIRECT_CLI4=198.18.1.2
export KSTEER_PIN_DIR=/sys/fs/bpf/ksteer-bench-$$
WORK=$(mktemp -d)
KSTEER=$PWD/build/ksteer
cleanup() {
	in_srv "$KSTEER" down >/dev/null 2>&1 || true
	ks_netns_down
	rm -rf "$WORK"
}
trap cleanup EXIT
[ -x build/connbench ] || make build/connbench

ks_netns_up
ip link add "${KS_TAG}-ds" type veth peer name "${KS_TAG}-dc"
ip link set "${KS_TAG}-ds" netns "$SRV_NS"
ip link set "${KS_TAG}-dc" netns "$CLI_NS"
ip -n "$SRV_NS" addr add $DIRECT4/24 dev "${KS_TAG}-ds"
ip -n "$CLI_NS" addr add $DIRECT_CLI4/24 dev "${KS_TAG}-dc"
ip -n "$SRV_NS" link set "${KS_TAG}-ds" up
ip -n "$CLI_NS" link set "${KS_TAG}-dc" up
ip netns exec "$SRV_NS" ethtool -K "${KS_TAG}-ds" gro off >/dev/null 2>&1 || true
# Every segment its own packet on the wire, as from a real NIC without GRO.
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1 || true
ip netns exec "$CLI_NS" ethtool -K "${KS_TAG}-dc" tso off gso off >/dev/null 2>&1 || true

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
in_srv "$KSTEER" up -i "$SRV_IF" -p 443
in_srv "$KSTEER" backend add bench 0.0.0.0:9002
in_srv "$KSTEER" route add bench.example bench
# Same CPU placement for both paths: server on CPU 1, client on CPU 0.
nsenter --net=/run/netns/$SRV_NS taskset -c 1 nginx -p "$WORK" -c "$WORK/nginx.conf" &
wait_listen 0.0.0.0 9002

run() { # MODE CONC HELLO
	local addr port pad=0
	if [ "$1" = direct ]; then addr=$DIRECT4 port=9002; else addr=$SRV4 port=443; fi
	[ "$3" = large ] && pad=2400
	in_cli taskset -c 0 build/connbench -a $addr -p $port -s bench.example -c "$2" -n "$CONNS" \
		-t 60 -A $pad
}
run direct 4 small >/dev/null; run fast 4 small >/dev/null          # warm up
results=$WORK/raw.jsonl
for hello in small large; do
	for c in $CONCS; do
		for r in $(seq "$REPS"); do
			for mode in direct fast; do
				printf '{"mode":"%s","hello":"%s","concurrency":%s,"rep":%s,"result":%s}\n' \
					"$mode" "$hello" "$c" "$r" "$(run $mode "$c" $hello || true)" >>"$results"
			done
		done
	done
done
stats=$(in_srv "$KSTEER" stats -j)
python3 - "$results" "$REPS" "$CONNS" "$stats" <<'PY'
import json, statistics, sys, platform, os, datetime
rows = [json.loads(l) for l in open(sys.argv[1])]
reps, conns, stats = int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
out = {"what": "new TLS 1.3 connections + one HTTP/1.1 request each, nginx backend, veth, GRO off",
       "median_of": reps, "connections_per_run": conns,
       "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus, kernel {platform.release()}",
       "date": datetime.datetime.utcnow().isoformat(timespec="seconds") + "Z",
       "ksteer_assigned": stats.get("assigned"), "ksteer_reassembled": stats.get("reasm_completed"),
       "runs": []}
print(f"{'hello':>6} {'conc':>4} {'path':>6} {'conn/s':>9} {'p50 us':>8} {'p99 us':>8} {'errors':>6}   ratio to direct (rate, p50, p99)")
for hello, c in sorted({(r["hello"], r["concurrency"]) for r in rows}, key=lambda x: (x[0] != "small", x[1])):
    med = {}
    for mode in ("direct", "fast"):
        rs = [r["result"] for r in rows if r["mode"] == mode and r["concurrency"] == c and r["hello"] == hello]
        med[mode] = {k: statistics.median(x[k] for x in rs) for k in ("rate", "p50_us", "p99_us")}
        med[mode]["errors"] = sum(x["errors"] for x in rs)
    d, f = med["direct"], med["fast"]
    ratio = {"rate": f["rate"] / d["rate"], "p50": f["p50_us"] / d["p50_us"], "p99": f["p99_us"] / d["p99_us"]}
    for mode in ("direct", "fast"):
        m = med[mode]
        extra = f"   {ratio['rate']:.3f}, {ratio['p50']:.3f}, {ratio['p99']:.3f}" if mode == "fast" else ""
        print(f"{hello:>6} {c:>4} {mode:>6} {m['rate']:>9.0f} {m['p50_us']:>8.0f} {m['p99_us']:>8.0f} {m['errors']:>6}{extra}")
    out["runs"].append({"hello": hello, "concurrency": c, "direct": d, "fast": f,
                        "ratio_rate": ratio["rate"], "ratio_p50": ratio["p50"], "ratio_p99": ratio["p99"],
                        "added_p50_us": f["p50_us"] - d["p50_us"]})
os.makedirs("bench/results", exist_ok=True)
json.dump(out, open("bench/results/fastpath.json", "w"), indent=1)
print(f"(median of {reps} runs of {conns} connections each; {out['ksteer_reassembled']} large hellos "
      f"reassembled in the kernel; bench/results/fastpath.json)")
PY
