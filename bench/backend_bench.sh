#!/usr/bin/env bash
# ksteer-backend against nginx, side by side in one run: the same files,
# the same certificate, one worker per core each (ksteer-backend
# --reuseport N, nginx worker_processes N), access logs off for both,
# keep-alive. wrk in a client namespace over veth measures a 1 KB file
# (requests/s) and a 10 MB file (MB/s). Writes bench/results/backend.json
# (OUT=FILE elsewhere).
# BENCH_SECS per run (default 8): about 4 x that plus 10 s in all.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
KS_TAG=ksbb$$
source tests/lib/netns.sh
SECS=${BENCH_SECS:-8}
CONNS=${BENCH_CONNS:-50}
NCPU=$(nproc)
OUT=${OUT:-bench/results/backend.json}
for t in wrk nginx openssl; do
	command -v $t >/dev/null || { echo "$t is not installed (make deps)"; exit 1; }
done
[ -x build/ksteer-backend ] || { echo "no build/ksteer-backend (make build/ksteer-backend)"; exit 1; }
[ "$(id -u)" = 0 ] || { echo "needs root (namespaces)"; exit 1; }

W=$(mktemp -d)
cleanup() { ks_netns_down; rm -rf "$W"; }
trap cleanup EXIT
trap 'exit 143' TERM INT
ks_netns_up || exit 1
ulimit -n 20000

mkdir -p "$W/www" "$W/certs" "$W/logs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$W/certs/bench.example.key" \
	-out "$W/certs/bench.example.pem" -days 2 -subj /CN=bench.example 2>/dev/null
head -c 1024 /dev/urandom >"$W/www/1k.bin"
head -c 10485760 /dev/urandom >"$W/www/10m.bin"
cat >"$W/nginx.conf" <<NGX
daemon off;
user root;
worker_processes $NCPU;
pid $W/nginx.pid;
error_log $W/logs/error.log;
events { worker_connections 8192; }
http {
	access_log off;
	keepalive_requests 100000;
	sendfile on;
	ssl_session_tickets off;
	server {
		listen $SRV4:9444 ssl reuseport backlog=4096;
		ssl_certificate $W/certs/bench.example.pem;
		ssl_certificate_key $W/certs/bench.example.key;
		location / { root $W/www; }
	}
}
NGX
cat >"$W/report.lua" <<'LUA'
done = function(s, latency, requests)
	local e = s.errors
	io.write(string.format("RESULT %d %d %d %d %.0f\n", s.requests, s.bytes, s.duration,
		e.connect + e.read + e.write + e.status + e.timeout, latency:percentile(99)))
end
LUA
nsenter --net=/run/netns/$SRV_NS build/ksteer-backend --listen $SRV4:9443 --reuseport $NCPU \
	--root "$W/www" --certs "$W/certs" --access-log off 2>"$W/ksb.err" &
nsenter --net=/run/netns/$SRV_NS nginx -p "$W" -c "$W/nginx.conf" &
for port in 9443 9444; do
	for _ in $(seq 50); do
		in_srv ss -Hltn "sport = :$port" | grep -q ":$port" && break
		sleep 0.1
	done
done
sleep 0.5
echo "ksteer-backend: $(grep 'send path' "$W/ksb.err" | sed 's/.*: send/send/')"

# run PORT FILE: "requests bytes duration_us errors p99_us"
run() {
	in_cli wrk -t "$NCPU" -c "$CONNS" -d "${SECS}s" -s "$W/report.lua" \
		"https://$SRV4:$1/$2" 2>&1 | awk '/^RESULT/ {print $2, $3, $4, $5, $6}'
}
declare -A R
for f in 1k.bin 10m.bin; do
	for s in ksb:9443 nginx:9444; do
		name=${s%%:*}
		R[$name-$f]=$(run "${s##*:}" $f)
		echo "$name $f: ${R[$name-$f]:-failed} (requests bytes us errors p99_us)"
	done
done
/usr/bin/python3 - "$OUT" "$SECS" "$CONNS" "$NCPU" "${R[ksb-1k.bin]}" "${R[nginx-1k.bin]}" \
	"${R[ksb-10m.bin]}" "${R[nginx-10m.bin]}" <<'PY'
import json, sys, time
out, secs, conns, ncpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def parse(s):
    r, b, us, err, p99 = (int(float(x)) for x in s.split())
    return {"requests": r, "bytes": b, "seconds": us / 1e6, "errors": err, "p99_ms": p99 / 1000,
            "req_per_s": round(r / (us / 1e6), 1), "mb_per_s": round(b / (us / 1e6) / 1e6, 1)}
k1, n1, k10, n10 = (parse(s) for s in sys.argv[5:9])
res = {
    "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "setup": {"client": "wrk -t%d -c%d -d%ds, keep-alive, over veth between namespaces" % (ncpu, conns, secs),
              "workers": ncpu, "access_log": "off for both", "tls": "TLS 1.3, ECDSA P-256, same certificate",
              "cores_shared_with_client": True},
    "small_1k": {"ksteer_backend": k1, "nginx": n1,
                 "ratio_req_per_s": round(k1["req_per_s"] / n1["req_per_s"], 2)},
    "large_10m": {"ksteer_backend": k10, "nginx": n10,
                  "ratio_mb_per_s": round(k10["mb_per_s"] / n10["mb_per_s"], 2)},
}
json.dump(res, open(out, "w"), indent=2)
print("1 KB:  ksteer-backend %.0f req/s, nginx %.0f req/s, ratio %.2f" %
      (k1["req_per_s"], n1["req_per_s"], res["small_1k"]["ratio_req_per_s"]))
print("10 MB: ksteer-backend %.1f MB/s, nginx %.1f MB/s, ratio %.2f" %
      (k10["mb_per_s"], n10["mb_per_s"], res["large_10m"]["ratio_mb_per_s"]))
print("written:", out)
PY
