#!/usr/bin/env bash
# ksteer against the SNI routers people use today, side by side in one run,
# on the same backends, clients and CPU placement (`make bench`):
#
#   direct           the backend itself (the physical limit)
#   fast             ksteer's kernel fast path
#   ksteerd-proxy    ksteer's fallback router, proxy mode (splice)
#   ksteerd-handoff  ksteerd hand-off, against direct-ho: the same hand-off
#                    TLS server reached on its own port
#   haproxy          TCP mode, req.ssl_sni, inspect-delay + accept on a whole
#                    ClientHello (correct for multi-segment ones), splice-auto
#   nginx-stream     stream { ssl_preread on; map $ssl_preread_server_name }
#   sniproxy, sslh   (sslh-select: the single-process build its docs advise
#                    for many connections)
#
# Every router runs one process or thread on CPU 1 beside the backends; the
# client runs on CPU 0; each side's receive path runs on its own side's CPU
# (RPS; veth would run it on the sender's: RX_OWN_CPU below), so that
# ksteer's TC program, a router, runs on CPU 1 too, as on a real server. Workloads per contender: new TLS connections with
# one request each at CONCS concurrencies (small ClientHello) and a 2.6 KB
# one (SNI in the second segment); bulk MB/s over long connections; every
# response is checked to come from the site its SNI names (misrouted).
# Router-bound workload (raw-one, raw-two, raw-held): a real client's
# ClientHello replayed with no TLS on either side (connbench -R, curl's
# 517-byte one: one segment; Chromium's 1926-byte ones, two segments: one
# with its server_name in the first, which ksteer places on that segment,
# and one with it in the second, which ksteer holds (its full-sized first
# segment unacknowledged, the ACK deferred) and rewrites; Chromium orders
# its extensions anew each time, so it sends both kinds), to
# bench/rawsrv's fixed reply, at RAW_CONCS concurrencies: what the router itself costs decides
# the rate (the TLS workload is bound by the handshakes' crypto). RAW_REPS
# repetitions, each one connbench per shape and concurrency through every
# contender in turn, blocks of RAW_BLOCK connections (raw_rows), with
# direct's target twice (direct-aa: the noise of a ratio).
# Plain HTTP by Host (raw-http; http-direct, http-fast, http-nginx): the
# router-bound workload for port 80: curl's request replayed (connbench -R)
# to rawsrv's http: port, directly, through ksteer's port 80 (`route add
# --port 80`), and through nginx's reverse proxy by server_name.
# Under attack (attack-none, attack-syn, attack-ack): the router-bound
# workload while bench/synflood sends ATTACK_RATE spoofed SYNs a second (or
# ACK+data segments of no connection) to the same port from the client's
# CPU, bounded in count and time: the fast path against direct with the
# kernel's own SYN cookies, each against its own run with no flood.
# Resources: router CPU per 1000 connections (process tree, or the BPF
# programs' run time for ksteer), measured in one pass of runs of its own
# after the rates (cpu_pass): the kernel's BPF run-time accounting is on
# only then, as it taxes every run of ksteer's programs and nothing of a
# proxy's; RSS, and descriptors held per open connection. Writes
# bench/results/latest.json, rate.png, latency.png.
#
#   QUICK=1: one repetition, fewer connections (under 2 minutes)
#   RX_OWN_CPU=0: veth's placement of the receive paths, each on the
#                 sending CPU (the server's, ksteer's TC program with it,
#                 on the client's CPU 0); by default (1) each side's on its
#                 own CPU, as on two hosts (bench_rx_own_cpu)
#   CONTENDERS="direct fast ...": only these (a subset of the list above)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
QUICK=${QUICK:-0}
export RX_OWN_CPU=${RX_OWN_CPU:-1}         # bench_link_up, compare_report
if [ "$QUICK" = 1 ]; then REPS=${REPS:-1}; CONNS=${CONNS:-300}; BULK_MB=${BULK_MB:-32}; BULK_REPS=${BULK_REPS:-3}
else REPS=${REPS:-5}; CONNS=${CONNS:-1000}; BULK_MB=${BULK_MB:-256}; BULK_REPS=${BULK_REPS:-15}; fi
CONCS=${CONCS:-"1 8 32"}
RAW_CONCS=${RAW_CONCS:-"8 32"}
ATTACK_RATE=${ATTACK_RATE:-20000}; ATTACK_S=${ATTACK_S:-8}
if [ "$QUICK" = 1 ]; then RAW_CONNS=${RAW_CONNS:-2000}; RAW_REPS=${RAW_REPS:-1}
else RAW_CONNS=${RAW_CONNS:-8000}; RAW_REPS=${RAW_REPS:-11}; fi
RAW_BLOCK=${RAW_BLOCK:-1000}               # router-bound: connections per block (raw_rows)
CAPS=tests/data/captures
HOLD=${HOLD:-200}                          # connections held open to count fds
export KSTEER_PIN_DIR=$KS_PIN        # tests/lib/netns.sh's (KS_PIN=... names another)
WORK=$(mktemp -d)
KSTEER=$PWD/build/ksteer
OUT=bench/results
bpf_stats_save
cleanup() {
	in_srv "$KSTEER" down >/dev/null 2>&1 || true
	ks_netns_down
	bpf_stats_restore
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 143' TERM INT
ulimit -n "$(ulimit -Hn)"   # the proxies hold two descriptors per connection

# The contenders, installed by the benchmark itself.
need=()
for c in haproxy:haproxy sniproxy:sniproxy sslh-select:sslh gnuplot:gnuplot-nox nginx:nginx; do
	command -v "${c%%:*}" >/dev/null || need+=("${c#*:}")
done
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null ||
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${need[@]}" >/dev/null; }
fi
make -s build/connbench build/rawsrv build/synflood build/ksteerd build/handoff_tls_server build/ksteer

bench_link_up
ks_make_certs "$WORK" bench.example
mkdir -p "$WORK/a" "$WORK/b" "$WORK/logs" "$OUT"
echo "site a" >"$WORK/a/index.html"
echo "site b" >"$WORK/b/index.html"
{ echo "site a"; head -c $((BULK_MB << 20)) /dev/urandom; } >"$WORK/a/big.bin"
sed "s|@W@|$WORK|g" bench/conf/backend-nginx.conf >"$WORK/backend.conf"
# The router-bound ClientHellos: curl's (one segment) and Chromium's (two:
# the server_name in the first, and in the second), as captured, and the same with the SNI ksteerd-proxy's route names (same
# length, so every length field stays true).
python3 - "$CAPS" "$WORK" <<'PY'
import sys
caps, work = sys.argv[1:]
for shape, f, sni, prx in (("one", "curl_h11.bin", b"curl.example.com", b"prxy.example.com"),
                           ("two", "chromium_1.bin", b"chrome.example.com", b"prxyme.example.com"),
                           ("held", "chromium_2.bin", b"chrome.example.com", b"prxyme.example.com")):
    hello = open(f"{caps}/{f}", "rb").read()
    assert hello.count(sni) == 1, f
    open(f"{work}/raw-{shape}.bin", "wb").write(hello)
    open(f"{work}/raw-{shape}-prx.bin", "wb").write(hello.replace(sni, prx))
# Plain HTTP: curl's request for a.bench.example, as it sends it.
open(f"{work}/raw-http.bin", "wb").write(b"GET / HTTP/1.1\r\nHost: a.bench.example\r\n"
                                          b"User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n")
PY
for f in haproxy.cfg nginx-stream.conf nginx-http.conf sniproxy.conf sslh.cfg; do
	sed "s|@W@|$WORK|g; s|@SRV@|$SRV4|g" "bench/conf/$f" >"$WORK/$f"
done

# ksteer: fast path for a/b, ksteerd proxy for pa/pb, hand-off for ho.
in_srv "$KSTEER" up -a $SRV4 -a $SRV6 -i "$SRV_IF" -p 443 -p 80
in_srv "$KSTEER" backend add a 0.0.0.0:9002
in_srv "$KSTEER" backend add b 0.0.0.0:9003
in_srv "$KSTEER" backend add pa --proxy 127.0.0.1:9002
in_srv "$KSTEER" backend add pb --proxy 127.0.0.1:9003
in_srv "$KSTEER" backend add ho --handoff "$WORK/ho.sock"
for r in a b pa pb ho; do in_srv "$KSTEER" route add $r.bench.example $r; done
in_srv "$KSTEER" backend add ra 0.0.0.0:9202
in_srv "$KSTEER" backend add rpa --proxy 127.0.0.1:9202
for h in curl.example.com chrome.example.com; do in_srv "$KSTEER" route add $h ra; done
for h in prxy.example.com prxyme.example.com; do in_srv "$KSTEER" route add $h rpa; done
in_srv "$KSTEER" backend add rh 0.0.0.0:9212                # plain HTTP, port 80
in_srv "$KSTEER" route add a.bench.example rh --port 80
# Rates are measured with the kernel's BPF run-time accounting off: it
# taxes every run of ksteer's programs (two clock reads) and nothing of a
# proxy's. cpu_pass turns it on for the runs that measure CPU.
echo 0 >/proc/sys/kernel/bpf_stats_enabled

declare -A PID
bench_srv 1 nginx -p "$WORK" -c "$WORK/backend.conf"
bench_srv 1 build/rawsrv "9202:raw a" "http:9212:raw a"
bench_srv 1 build/handoff_tls_server "$WORK/ho.sock" "$WORK/bench.example.pem" \
	"$WORK/bench.example.key" ho 9100
bench_srv 1 build/ksteerd --listen $SRV4:443 2>"$WORK/logs/ksteerd.log"; PID[ksteerd]=$!
bench_srv 1 haproxy -db -f "$WORK/haproxy.cfg"; PID[haproxy]=$!
bench_srv 1 nginx -p "$WORK" -c "$WORK/nginx-stream.conf"; PID[nginx-stream]=$!
bench_srv 1 nginx -p "$WORK" -c "$WORK/nginx-http.conf"; PID[http-nginx]=$!
bench_srv 1 sniproxy -f -c "$WORK/sniproxy.conf"; PID[sniproxy]=$!
bench_srv 1 sslh-select -F"$WORK/sslh.cfg" 2>"$WORK/logs/sslh.log"; PID[sslh]=$!
for l in 0.0.0.0:9002 0.0.0.0:9003 0.0.0.0:9202 0.0.0.0:9212 0.0.0.0:9100 $SRV4:443 $SRV4:8443 \
	$SRV4:8444 $SRV4:8445 $SRV4:8446 $SRV4:8480; do
	wait_listen "${l%:*}" "${l##*:}" || { echo "nothing listens on $l" >&2; exit 1; }
done

# Contender -> "address port-a port-b sni-a sni-b text-a text-b pids"
declare -A C=(
	[direct]="$DIRECT4 9002 9003 a.bench.example b.bench.example a b"
	[fast]="$SRV4 443 443 a.bench.example b.bench.example a b"
	[ksteerd-proxy]="$SRV4 443 443 pa.bench.example pb.bench.example a b"
	[direct-ho]="$DIRECT4 9100 9100 ho.bench.example ho.bench.example ho ho"
	[ksteerd-handoff]="$SRV4 443 443 ho.bench.example ho.bench.example ho ho"
	[haproxy]="$SRV4 8443 8443 a.bench.example b.bench.example a b"
	[nginx-stream]="$SRV4 8444 8444 a.bench.example b.bench.example a b"
	[sniproxy]="$SRV4 8445 8445 a.bench.example b.bench.example a b"
	[sslh]="$SRV4 8446 8446 a.bench.example b.bench.example a b"
)
ALL=${CONTENDERS:-"direct fast ksteerd-proxy direct-ho ksteerd-handoff haproxy nginx-stream sniproxy sslh
	http-direct http-fast http-nginx"}
ORDER=$(echo $ALL | tr ' ' '\n' | grep -v '^http-' | tr '\n' ' ' || true)
HTTP_ORDER=$(echo $ALL | tr ' ' '\n' | grep '^http-' | tr '\n' ' ' || true)
text() { [ "$1" = ho ] && echo "backend ho" || echo "site $1"; }

# cb CONTENDER SITE(a|b) ARGS...: connbench through a contender.
cb() {
	local name=$1 site=$2
	shift 2
	set -- ${C[$name]} "$@"
	local addr=$1 port=$2 sni=$4 t=$6
	[ "$site" = b ] && port=$3 sni=$5 t=$7
	shift 7
	in_cli taskset -c 0 build/connbench -a "$addr" -p "$port" -s "$sni" -e "$(text "$t")" -t 60 "$@" ||
		true
}
# raw_spec SHAPE(one|two|held) CONTENDER: where the router-bound workload
# goes through a contender, as connbench's -T (IP,PORT,FILE): the shape's
# ClientHello, to rawsrv's site a (none for the hand-off pair: its server
# speaks TLS). http_spec CONTENDER: the plain-HTTP request's.
raw_spec() {
	set -- "$2" "$1" ${C[$2]}
	local name=$1 addr=$3 port=$4 file=$WORK/raw-$2.bin
	[ "$name" = direct ] && port=9202
	[ "$name" = ksteerd-proxy ] && file=$WORK/raw-$2-prx.bin
	echo "$addr,$port,$file"
}
http_spec() {
	local to="$SRV4,80"
	[ "$1" = http-direct ] && to="$DIRECT4,9212"
	[ "$1" = http-nginx ] && to="$SRV4,8480"
	echo "$to,$WORK/raw-http.bin"
}
has_raw() { [ "$1" != direct-ho ] && [ "$1" != ksteerd-handoff ]; }
# raw SPEC ARGS...: one run of the router-bound workload to one -T SPEC
# (raw_spec's or http_spec's): connbench's JSON.
raw() {
	local spec=$1
	shift
	in_cli taskset -c 0 build/connbench -T "$spec" -e "raw a" -t 60 "$@" || true
}
# raw_rows WORKLOAD CONC REP SPEC_OF NAME...: the router-bound workload
# (SPEC_OF NAME, SPEC_OF split into words: its -T)
# through every NAME in one connbench (-T): blocks of RAW_BLOCK connections
# to each in turn, every other round in reverse, RAW_CONNS each, so that
# the runs a ratio pairs share the machine's every second; and one row per
# NAME. A name ending in -aa is its base name's target once more (direct-aa:
# direct against itself in the same run, what noise alone does to a ratio).
raw_rows() {
	local w=$1 c=$2 rep=$3 spec_of=$4 name i=0 args=() names=() lines
	shift 4
	for name in "$@"; do
		names+=("$name")
		args+=(-T "$($spec_of "${name%-aa}")")
	done
	mapfile -t lines < <(in_cli taskset -c 0 build/connbench "${args[@]}" -e "raw a" -t 120 \
		-c "$c" -n "$RAW_CONNS" -B "$RAW_BLOCK" || true)
	for name in "${names[@]}"; do
		row "$name" "$w" "$c" "$rep" "${lines[i]:-null}"
		i=$((i + 1))
	done
}
# usage NAME: what the router has used so far (ksteer: BPF programs' time).
usage() {
	local pids=${PID[$1]:-}
	case $1 in
	direct|direct-ho|http-direct) echo '{"cpu_s":0,"rss_kb":0,"fds":0}' ;;
	fast|http-fast) bpf_usage ;;
	ksteerd-*) python3 - "$(python3 bench/procstat.py "${PID[ksteerd]}")" "$(bpf_usage)" <<'PY'
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(json.dumps({"cpu_s": a["cpu_s"] + b["cpu_s"], "rss_kb": a["rss_kb"] + b["rss_kb"], "fds": a["fds"]}))
PY
	;;
	*) python3 bench/procstat.py $pids ;;
	esac
}
# The BPF programs' run time, and the memory of every ksteer map (the
# programs' and the pinned ones only the CLI reads) as its RSS.
bpf_usage() {
	python3 - "$KSTEER_PIN_DIR" <<'PY'
import json, os, subprocess, sys
ns, mem, ids = 0, 0, set()
for p in ("prog_tc", "prog_tc_egress", "prog_reuseport", "prog_sockops"):
    path = os.path.join(sys.argv[1], p)
    if os.path.exists(path):
        prog = json.loads(subprocess.check_output(["bpftool", "-j", "prog", "show", "pinned", path]))
        ns += prog.get("run_time_ns", 0)
        ids |= set(prog.get("map_ids", []))
for f in os.listdir(sys.argv[1]):  # and the maps only the CLI reads
    path = os.path.join(sys.argv[1], f)
    if not f.startswith("prog_") and os.path.isfile(path):
        try:
            ids.add(json.loads(subprocess.check_output(
                ["bpftool", "-j", "map", "show", "pinned", path], stderr=subprocess.DEVNULL))["id"])
        except (subprocess.CalledProcessError, KeyError):
            pass
for i in ids:
    m = json.loads(subprocess.check_output(["bpftool", "-j", "map", "show", "id", str(i)]))
    mem += m.get("bytes_memlock", 0)
print(json.dumps({"cpu_s": ns / 1e9, "rss_kb": mem // 1024, "fds": 0}))
PY
}

RAW=$WORK/raw.jsonl
row() { printf '{"contender":"%s","workload":"%s","concurrency":%s,"rep":%s,"result":%s}\n' "$@" >>"$RAW"; }
# cpu_row CONTENDER WORKLOAD BEFORE AFTER RESULT: what the router used over
# one run of that workload (usage before and after), and the run's result.
cpu_row() { printf '{"contender":"%s","workload":"%s","before":%s,"after":%s,"result":%s}\n' "$@" >>"$RAW"; }
# cpu_run NAME WORKLOAD CMD...: run CMD (connbench, its JSON on stdout) and
# write its cpu_row.
cpu_run() {
	local name=$1 w=$2 u0 r
	shift 2
	u0=$(usage "$name")
	r=$("$@")
	cpu_row "$name" "$w" "$u0" "$(usage "$name")" "$r"
}
# cpu_pass NAME: what NAME uses, measured in runs of their own with the
# kernel's BPF run-time accounting on (ksteer's usage is its programs' run
# time): the TLS workload at concurrency 8 (cpu), the router-bound one at
# the headline concurrency, each shape (raw-cpu-SHAPE), plain HTTP
# (http-cpu), one bulk download (bulk-cpu: per GB). Their rates are not
# reported.
cpu_pass() {
	local name=$1 shape
	echo 1 >/proc/sys/kernel/bpf_stats_enabled
	if [[ $name == http-* ]]; then
		cpu_run "$name" http-cpu raw "$(http_spec "$name")" -c "${RAW_CONCS##* }" -n "$RAW_CONNS"
	else
		cpu_run "$name" cpu cb "$name" a -c 8 -n "$CONNS"
		if has_raw "$name"; then
			for shape in one two held; do
				cpu_run "$name" raw-cpu-$shape raw "$(raw_spec $shape "$name")" -c "${RAW_CONCS##* }" -n "$RAW_CONNS"
			done
		fi
		if [ "$name" != ksteerd-handoff ] && [ "$name" != direct-ho ]; then
			cpu_run "$name" bulk-cpu cb "$name" a -c 1 -n 1 -g /big.bin
		fi
	fi
	echo 0 >/proc/sys/kernel/bpf_stats_enabled
}
for name in $ORDER; do cb "$name" a -c 4 -n 100 >/dev/null; done     # warm up
for name in $ORDER; do if has_raw "$name"; then raw "$(raw_spec two "$name")" -c 4 -n 200 >/dev/null; fi; done
for name in $HTTP_ORDER; do raw "$(http_spec "$name")" -c 4 -n 200 >/dev/null; done
# in_turn REP NAME...: the NAMEs, in reverse on every other repetition, so
# that no contender always runs right after the same one, or at the same
# moment. order_for REP: ORDER's, in turn.
in_turn() {
	local rep=$1
	shift
	if [ $((rep % 2)) = 0 ]; then printf '%s\n' "$@" | tac | tr '\n' ' '; else echo "$@"; fi
}
order_for() { in_turn "$1" $ORDER; }
# Each repetition runs one workload at one concurrency through every
# contender back to back, then the next: the runs a ratio pairs are seconds
# apart, not a whole contender's pass apart, on a machine whose speed drifts
# by tens of percent over minutes (shared vCPUs).
for rep in $(seq "$REPS"); do
	order=$(order_for "$rep")
	for c in $CONCS; do
		for name in $order; do row "$name" rate "$c" "$rep" "$(cb "$name" a -c "$c" -n "$CONNS")"; done
	done
	for name in $order; do row "$name" large 8 "$rep" "$(cb "$name" a -c 8 -n "$CONNS" -A 2400)"; done
	for name in $order; do row "$name" site-b 4 "$rep" "$(cb "$name" b -c 4 -n $((CONNS / 4)))"; done
	echo "repetition $rep of $REPS done" >&2
done
# The router-bound workloads, RAW_REPS repetitions of their own: each
# contender's share of a run is under a second, and the machine's noise
# over a second is some ±7 % (direct-aa), so they take more repetitions.
for rep in $(seq "$RAW_REPS"); do
	raw_order=()
	for name in $(order_for "$rep"); do
		has_raw "$name" && raw_order+=("$name")
		[ "$name" = fast ] && raw_order+=(direct-aa)   # beside the pair it calibrates
	done
	for shape in one two held; do
		for c in $RAW_CONCS; do raw_rows "raw-$shape" "$c" "$rep" "raw_spec $shape" "${raw_order[@]}"; done
	done
	for c in $RAW_CONCS; do raw_rows raw-http "$c" "$rep" http_spec $(in_turn "$rep" $HTTP_ORDER); done
	echo "router-bound repetition $rep of $RAW_REPS done" >&2
done
# CPU: one pass per contender (ORDER, then the plain-HTTP ones), after the
# rates, with the accounting on.
for name in $ORDER $HTTP_ORDER; do cpu_pass "$name"; done
# Bulk: one long download per contender per round, rounds back to back, so
# that each contender sees the same moments of a noisy machine (order_for).
# BPF run-time accounting is off meanwhile, as for every rate (cpu_pass
# measured each router's CPU per GB).
for rep in $(seq "$BULK_REPS"); do
	for name in $(order_for "$rep"); do
		[ "$name" = ksteerd-handoff ] || [ "$name" = direct-ho ] && continue
		row "$name" bulk 1 "$rep" "$(cb "$name" a -c 1 -n 1 -g /big.bin)"
	done
done
# Descriptors and memory held per open connection: HOLD connections kept
# open after their response, counted while they are.
for name in $ORDER; do
	u0=$(usage "$name")
	cb "$name" a -c "$HOLD" -n "$HOLD" -H 3 >"$WORK/hold.json" &
	sleep 2
	u1=$(usage "$name")
	wait $!
	printf '{"contender":"%s","workload":"hold","n":%s,"idle":%s,"held":%s,"result":%s}\n' \
		"$name" "$HOLD" "$u0" "$u1" "$(cat "$WORK/hold.json")" >>"$RAW"
done
# Under attack: spoofed sources in 10.99/16 (to ksteer's address) and
# 10.98/16 (to direct's), routed back out towards the client namespace,
# which does not forward: the SYN-ACKs go nowhere, as to spoofed hosts.
in_srv ip route add 10.99.0.0/16 via $CLI4
in_srv ip route add 10.98.0.0/16 via $DIRECT_CLI4
in_srv sysctl -qw net.ipv4.tcp_syncookies=1
attack() { # CONTENDER MODE: the flood's JSON on stdout, in the background
	local dst=$SRV4 port=443 net=10.99.0.0
	[ "$1" = direct ] && dst=$DIRECT4 port=9202 net=10.98.0.0
	in_cli taskset -c 0 build/synflood -d $dst -p $port -s $net -m "$2" -r "$ATTACK_RATE" \
		-n $((ATTACK_RATE * (ATTACK_S + 2))) -t $((ATTACK_S + 2))
}
for rep in $(seq "$REPS"); do
	for name in $(order_for "$rep" | tr ' ' '\n' | grep -xE 'direct|fast'); do
		row "$name" attack-none 32 "$rep" "$(raw "$(raw_spec one "$name")" -c 32 -n $((RAW_CONNS * 4)) -t $ATTACK_S)"
		for mode in syn ack; do
			attack "$name" $mode >"$WORK/flood.json" &
			sleep 1
			row "$name" attack-$mode 32 "$rep" \
				"$(raw "$(raw_spec one "$name")" -c 32 -n $((RAW_CONNS * 4)) -t $ATTACK_S)"
			wait $!
			printf '{"contender":"%s","workload":"flood-%s","rep":%s,"result":%s}\n' \
				"$name" $mode "$rep" "$(cat "$WORK/flood.json")" >>"$RAW"
		done
	done
done
cp "$RAW" "$OUT/latest.raw.jsonl"   # every run, for whoever doubts a median
python3 bench/compare_report.py "$RAW" "$REPS" "$CONNS" "$OUT" "$(in_srv "$KSTEER" stats -j)" "$BULK_REPS"
