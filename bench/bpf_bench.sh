#!/usr/bin/env bash
# make bench-bpf: the TC program's BPF run time per packet class, three runs
# side by side (this machine is shared and noisy: the median is kept), into
# bench/results/bpf.json.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results/bpf.json
runs=()
for i in 1 2 3; do
	runs+=("$(build/bpf_cost | tee /dev/stderr | tail -n 1)")
done
python3 - "$out" "${runs[@]}" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], [json.loads(r) for r in sys.argv[2:]]
med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
base = med["inactive"]
res = {"ns_per_packet": med, "ns_over_inactive": {k: v - base for k, v in med.items()},
       "runs": runs, "method": "BPF_PROG_TEST_RUN, median of 3 runs; see bench/bpf_cost.c"}
json.dump(res, open(out, "w"), indent=1)
print("median ns per packet (over 'inactive', the harness):")
for k, v in med.items():
    print(f"  {k:18} {v:6.0f}  ({v - base:+.0f})")
PY
