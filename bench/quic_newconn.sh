#!/usr/bin/env bash
# bench/quic_newconn.sh (part of make bench-quic-initial): what a NEW QUIC
# connection costs on each path, in one run.
#
# build/quic_newconn sends N client Initials, one connection at a time, each
# a real client's first datagram sealed again under a fresh DCID, from the
# client namespace to UDP 443, and times each from its send to the server
# socket holding it. The "server" is that process's own UDP socket in the
# server namespace, registered as the backend the SNI routes to.
#   direct:  ksteer not up: the kernel's own socket lookup (the floor)
#   kernel:  ksteer up --quic, no ksteerd: TC decrypts the Initial and
#            gives it to the server's socket (when this kernel can)
#   ksteerd: ksteer up --quic with the kernel's decoding off, ksteerd --quic
#            running: TC sends the datagram to ksteerd, which decrypts,
#            routes and re-injects it over lo
# Reported per path: latency (mean, p50, p90, p99 in µs), BPF run time per
# connection (every ksteer program, kernel.bpf_stats_enabled, restored
# afterwards) and ksteerd's CPU time per connection (/proc/PID/schedstat).
# CAPTURE (gtlsclient's, one datagram) may be a comma list of one client's
# datagrams (Chromium's two). Writes bench/results/quic_newconn.json.
#   N=2000 CAPTURE=... bench/quic_newconn.sh
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${N:-2000}
CAPTURE=${CAPTURE:-$ROOT/tests/data/captures/quic/gtlsclient-1.bin}
SNI=${SNI:-quic.example.org}
TOOL=$ROOT/build/quic_newconn
KSTEER=$ROOT/build/ksteer
KSTEERD=$ROOT/build/ksteerd
OUT=${OUT:-$ROOT/bench/results/quic_newconn.json}
[ "$(id -u)" = 0 ] || { echo "quic_newconn: needs root" >&2; exit 1; }
for f in "$TOOL" "$KSTEER" "$KSTEERD"; do
	[ -x "$f" ] || { echo "quic_newconn: $f missing (make all)" >&2; exit 1; }
done
KS_TAG=qn$$
KS_PIN=/sys/fs/bpf/ksteer-qnew-$$
source "$ROOT/tests/lib/lib.sh"
source "$ROOT/bench/lib.sh"
bpf_stats_keep
TPID= KD=
# The namespaces, the pins and every job of ours end with the script
# (ks_test_end); the BPF statistics switch goes back as it was.
ks_test_begin "quic_newconn" || exit 1

# bpf_ns: run time (ns) of every program pinned by this ksteer, summed.
bpf_ns() {
	local t=0 p ns cnt
	for p in "$KSTEER_PIN_DIR"/prog_*; do
		[ -e "$p" ] || continue
		read -r ns cnt <<<"$(prog_stats "${p##*/}")"
		t=$((t + ns))
	done
	echo $t
}

# one_path NAME: the N connections; prints the tool's result line, then
# "bpf_ns X ksteerd_ns Y" for the run.
one_path() {
	local mode=$1 b0 b1 k0 k1 fifo=$WORK/go.$1
	mkfifo "$fifo"
	nsenter --net=/run/netns/$SRV_NS "$TOOL" "$CAPTURE" "$N" /run/netns/$CLI_NS $SRV4 443 \
		<"$fifo" >"$WORK/out.$mode" 2>&1 &
	TPID=$!
	exec 9>"$fifo"
	for _ in $(seq 100); do grep -q '^ready' "$WORK/out.$mode" && break; sleep 0.05; done
	if [ "$mode" != direct ]; then
		in_srv "$KSTEER" backend add qn --pid $TPID >/dev/null 2>&1 &&
			in_srv "$KSTEER" route add "$SNI" qn >/dev/null ||
			{ echo "quic_newconn: backend/route add failed" >&2; exec 9>&-; return 1; }
	fi
	b0=$(bpf_ns) k0=$(cpu_ns "$KD")
	echo go >&9
	exec 9>&-
	wait $TPID
	TPID=
	b1=$(bpf_ns) k1=$(cpu_ns "$KD")
	[ "$mode" != direct ] && { in_srv "$KSTEER" route del "$SNI" >/dev/null; in_srv "$KSTEER" backend del qn >/dev/null; }
	grep '^sent' "$WORK/out.$mode" || { cat "$WORK/out.$mode" >&2; return 1; }
	echo "bpf_ns $((b1 - b0)) ksteerd_ns $((k1 - k0))"
}

echo 1 >/proc/sys/kernel/bpf_stats_enabled
declare -A RES
RES[direct]=$(one_path direct)
# The kernel path, where this kernel and build have it.
UP=(up -a $SRV4 -a $SRV6 -p 443 --quic)
in_srv "$KSTEER" "${UP[@]}" >/dev/null 2>"$WORK/up.err" || { cat "$WORK/up.err" >&2; exit 1; }
KERNEL_PATH=0
grep -q "QUIC Initials: decoded by the kernel" "$WORK/up.err" && KERNEL_PATH=1
[ $KERNEL_PATH = 1 ] && RES[kernel]=$(one_path kernel)
in_srv "$KSTEER" down >/dev/null
# ksteerd's path: the kernel's decoding off.
KSTEER_FORCE_NO_BPF_LOOP=1 in_srv "$KSTEER" "${UP[@]}" >/dev/null 2>&1 || exit 1
nsenter --net=/run/netns/$SRV_NS "$KSTEERD" --listen $SRV4:443 --quic 2>"$WORK/ksteerd.log" &
KD=$!
wait_listen $SRV4 443
sleep 0.2
RES[ksteerd]=$(one_path ksteerd)
[ -n "${DEBUG:-}" ] && { in_srv "$KSTEER" stats | grep -v " 0$" >&2; cat "$WORK/ksteerd.log" >&2; }
kill $KD; wait $KD 2>/dev/null; KD=
in_srv "$KSTEER" down >/dev/null
bpf_stats_restore

for m in direct kernel ksteerd; do
	[ -n "${RES[$m]:-}" ] && printf '%-8s %s\n' $m "$(echo ${RES[$m]})"
done
[ $KERNEL_PATH = 1 ] || echo "kernel: not measured: up says Initials are not decoded by the kernel here: $(grep 'QUIC Initials' "$WORK/up.err")"

/usr/bin/python3 - "$OUT" "$N" "$CAPTURE" "${RES[direct]:-}" "${RES[kernel]:-}" "${RES[ksteerd]:-}" <<'EOF'
import json, os, sys
out, n, capture = sys.argv[1], int(sys.argv[2]), sys.argv[3]
res = {"connections_per_path": n, "capture": [os.path.basename(c) for c in capture.split(",")]}
for name, text in zip(("direct", "kernel", "ksteerd"), sys.argv[4:7]):
    if not text.strip():
        res[name] = None
        continue
    w = text.split()
    kv = {w[i]: float(w[i + 1]) for i in range(0, len(w) - 1, 2)}
    got = kv.get("received", 0)
    res[name] = {
        "received": int(got), "lost": int(kv.get("lost", 0)),
        "latency_us": {k[:-3]: kv[k] for k in ("mean_us", "p50_us", "p90_us", "p99_us", "max_us") if k in kv},
        "bpf_ns_per_conn": round(kv["bpf_ns"] / n) if name != "direct" else None,
        "ksteerd_cpu_ns_per_conn": round(kv["ksteerd_ns"] / n) if name == "ksteerd" else None,
    }
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump(res, f, indent=1)
print(json.dumps(res, indent=1))
EOF
