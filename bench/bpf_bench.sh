#!/usr/bin/env bash
# make bench-bpf: the TC program's BPF run time per packet class, RUNS runs
# (default 5) side by side (this machine is shared and noisy: the median is
# kept, and the fastest run of each class, the least disturbed), into
# bench/results/bpf.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results/bpf.json
runs=()
for i in $(seq "${RUNS:-5}"); do
	runs+=("$(build/bpf_cost | tee /dev/stderr | tail -n 1)")
done
python3 - "$out" "${runs[@]}" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
base = med["inactive"]
low = {k: min(r[k] for r in runs) for k in runs[0]}
res = {"ns_per_packet": med, "ns_over_inactive": {k: v - base for k, v in med.items()},
       "ns_fastest": low, "runs": runs,
       "method": f"BPF_PROG_TEST_RUN, median (and fastest) of {len(runs)} runs; see bench/bpf_cost.c"}
json.dump(res, open(out, "w"), indent=1)
print("median ns per packet (over 'inactive', the harness), fastest run:")
for k, v in med.items():
    print(f"  {k:18} {v:6.0f}  ({v - base:+.0f})  {low[k]:6.0f}")
PY
