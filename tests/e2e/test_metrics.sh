#!/usr/bin/env bash
# ksteer stats --prometheus on a live `ksteer up` with ksteerd running and
# a few connections made (placed, refused by ksteerd, without a route):
# Debian's promtool finds it valid; every counter of `stats -j` is there
# with its value, each HELP is the README's meaning of that counter (both
# come from shared/ksteer_counters.h), TYPE gauge exactly for ksteerd's
# levels, one sample per backend with its backend label.
# Then ksteerd --metrics: a curl scrape (the same exposition), bad requests
# answered and counted, a slow client cut at the deadline, a connection
# flood held to 16 and each of those cut in bounded time while ksteerd
# serves connections, and a real Prometheus server (Debian's) scraping it
# and answering for the values over its HTTP API.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
PROMTOOL=$(command -v promtool)
ks_test_begin "metrics tests"
ks_make_certs "$WORK" a.example
[ -n "$PROMTOOL" ] || fail "promtool is missing (scripts/install-deps.sh installs prometheus)"

out=$(in_srv $KSTEER stats --prometheus 2>&1)
expect_eq "stats --prometheus before up: exit 1, one line: not up" "1 1 yes" \
	"$? $(wc -l <<<"$out") $([[ $out == *"not up"* ]] && echo yes)"
check "ksteer up" in_srv $KSTEER up -a $SRV4 -i lo -i "$SRV_IF"
out=$(in_srv $KSTEER stats -j --prometheus 2>&1)
expect_eq "stats -j --prometheus: its usage" "ksteer: usage: ksteer stats [-j|--prometheus]" "$out"

# a.example: a TLS server; c.example: a backend with no listener (ksteerd
# refuses it); x.example: no route.
in_srv $KSTEER backend add site-a 127.0.0.1:9001
in_srv $KSTEER route add a.example site-a
in_srv $KSTEER backend add c.no-listener 127.0.0.1:9003
in_srv $KSTEER route add c.example c.no-listener
(cd "$WORK" && exec nsenter --net=/run/netns/$SRV_NS openssl s_server -accept 127.0.0.1:9001 \
	-cert a.example.pem -key a.example.key -www -quiet >/dev/null 2>&1) &
MPORT=9100
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 \
	--metrics 127.0.0.1:$MPORT 2>"$WORK/ksteerd.log" &
KPID=$!
wait_listen 127.0.0.1 9001 && wait_listen $SRV4 443 && wait_listen 127.0.0.1 $MPORT ||
	fail "servers did not start"
sleep 0.3
for h in a.example c.example x.example; do
	in_cli curl -sSk --max-time 5 --resolve $h:443:$SRV4 https://$h/ >/dev/null 2>&1
done

in_srv $KSTEER stats --prometheus >"$WORK/metrics.txt"
expect_eq "stats --prometheus: exit 0" 0 $?
in_srv $KSTEER stats -j >"$WORK/stats.json"
lint=$("$PROMTOOL" check metrics <"$WORK/metrics.txt" 2>&1)
expect_eq "promtool check metrics: valid, no lint" "0 " "$? $lint"

# The exposition against stats -j and the README's counters table.
$PY - "$WORK/metrics.txt" "$WORK/stats.json" "$ROOT/README.md" >"$WORK/cmp.txt" <<'EOF'
import json, re, sys
text, stats, readme = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), open(sys.argv[3]).read()
helps, types, samples = {}, {}, {}
for line in text.splitlines():
    if line.startswith("# HELP "):
        name, doc = line[7:].split(" ", 1)
        helps[name] = doc.replace("\\n", "\n").replace("\\\\", "\\")
    elif line.startswith("# TYPE "):
        name, kind = line[7:].split()
        types[name] = kind
    else:
        m = re.fullmatch(r'([a-z0-9_]+)(\{backend="((?:[^"\\]|\\.)*)"\})? (\d+)', line)
        if not m:
            print("bad line:", line); continue
        samples[(m[1], m[3])] = int(m[4])
# The README's meanings: | `NAME` | meaning |, ksteerd's `fallback.NAME`,
# a backend's `backend.NAME` (its rows are those of the stage "Per backend");
# the tables of `ksteer monitor`'s events, which reuse some names, are not
# counters.
meaning, stage = {}, None
for line in readme.splitlines():
    m = re.match(r"^\*\*(.+?)\*\*: ", line) or re.fullmatch(r"\| `([a-z0-9_.]+)` \| (.*) \|", line)
    if m and m.lastindex == 1:
        stage = m[1]
    elif m and not (stage or "").startswith("`ksteer monitor`"):
        meaning[("backend." if stage == "Per backend" else "") + m[1]] = m[2]
want, kinds = {}, {}
def expect(metric, value, doc_key, backend=None):
    want[(metric, backend)] = value
    kinds[metric] = "gauge" if meaning.get(doc_key, "").startswith("gauge: ") else "counter"
    if helps.get(metric) != meaning.get(doc_key, "?").removeprefix("gauge: "):
        print("HELP of %s is not the README's meaning of %s" % (metric, doc_key))
for k, v in stats.items():
    if k == "fallback":
        for f, fv in v.items():
            g = meaning.get("fallback." + f, "").startswith("gauge: ")
            expect("ksteer_fallback_%s%s" % (f, "" if g else "_total"), fv, "fallback." + f)
    elif k == "backends":
        for b, counters in v.items():
            for c, cv in counters.items():
                expect("ksteer_backend_%s_total" % c, cv, "backend." + c, b)
    elif k == "fallback_listeners":
        expect("ksteer_fallback_listeners", v, k)
    else:
        expect("ksteer_%s_total" % k, v, k)
for key, v in sorted(want.items(), key=str):
    if samples.get(key) != v:
        print("%s: %s in the exposition, %s in stats -j" % (key, samples.get(key), v))
for key in samples:
    if key not in want:
        print("%s: not in stats -j" % (key,))
for metric, kind in kinds.items():
    if types.get(metric) != kind:
        print("%s: TYPE %s, want %s" % (metric, types.get(metric), kind))
print("gauges", " ".join(sorted(m for m, k in types.items() if k == "gauge")))
print("backends", " ".join(sorted({b for (m, b) in samples if b})))
print("nonzero", " ".join(sorted(m for (m, b), v in samples.items() if v and m in (
    "ksteer_syn_total", "ksteer_no_route_total", "ksteer_to_fallback_total",
    "ksteer_fallback_accepted_total", "ksteer_fallback_refused_no_client_address_total",
    "ksteer_fallback_listeners") or (b == "site-a" and m == "ksteer_backend_assigned_total"))))
EOF
expect_eq "every counter of stats -j, its value, the README's meaning as HELP, its TYPE" "" \
	"$(grep -vE '^(gauges|backends|nonzero) ' "$WORK/cmp.txt")"
expect_eq "gauges: ksteerd's levels and its listeners, nothing else" \
	"gauges ksteer_fallback_active ksteer_fallback_handback_pending ksteer_fallback_listeners ksteer_fallback_quic_pending" \
	"$(grep '^gauges ' "$WORK/cmp.txt")"
expect_eq "per-backend counters: one sample per backend, labelled" "backends c.no-listener site-a" \
	"$(grep '^backends ' "$WORK/cmp.txt")"
expect_eq "live: the connections made are counted (placed, to ksteerd, no route)" \
	"nonzero ksteer_backend_assigned_total ksteer_fallback_accepted_total ksteer_fallback_listeners ksteer_fallback_refused_no_client_address_total ksteer_no_route_total ksteer_syn_total ksteer_to_fallback_total" \
	"$(grep '^nonzero ' "$WORK/cmp.txt")"

# ---- ksteerd --metrics ------------------------------------------------------

# metric NAME: its value in `ksteer stats --prometheus` now.
metric() { in_srv $KSTEER stats --prometheus | awk -v n="$1" '$1 == n { print $2 }'; }
# The exposition but the metrics endpoint's own counters (a scrape moves them).
steady() { grep -v '^ksteer_fallback_metrics_' "$1"; }

out=$(in_srv curl -sS -D "$WORK/served.head" -o "$WORK/served.txt" -w '%{http_code}' \
	http://127.0.0.1:$MPORT/metrics)
expect_eq "curl /metrics: 200, the exposition's content type" \
	"200 text/plain; version=0.0.4; charset=utf-8" \
	"$out $(sed -n 's/^Content-Type: \(.*\)\r$/\1/p' "$WORK/served.head")"
in_srv $KSTEER stats --prometheus >"$WORK/now.txt"
expect_eq "served: what ksteer stats --prometheus prints (but its own counters)" "" \
	"$(diff <(steady "$WORK/now.txt") <(steady "$WORK/served.txt"))"
lint=$("$PROMTOOL" check metrics <"$WORK/served.txt" 2>&1)
expect_eq "served: promtool check metrics: valid, no lint" "0 " "$? $lint"
expect_eq "served: the scrape counted" 1 "$(metric ksteer_fallback_metrics_scrapes_total)"

# Bad requests: each answered with its status and closed, counted.
in_srv $PY - $MPORT >"$WORK/bad.txt" <<'PYEOF'
import socket, sys
port = int(sys.argv[1])
cases = [("GET /other HTTP/1.1\r\nHost: x\r\n\r\n", "404"),
         ("GET /metricsx HTTP/1.1\r\n\r\n", "404"),
         ("POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n", "405"),
         ("GET /metrics HTTP/2.0\r\n\r\n", "400"),
         ("GET  /metrics HTTP/1.1\r\n\r\n", "400"),
         ("GARBAGE\r\n\r\n", "400"),
         ("GET /metrics HTTP/1.1\r\nX: " + "a" * 3000 + "\r\n\r\n", "400"),
         ("HEAD /metrics HTTP/1.0\r\n\r\n", "200 head"),
         ("GET /metrics?x=1 HTTP/1.1\r\n\r\nGET /other HTTP/1.1\r\n\r\n", "200 one")]
for req, want in cases:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(req.encode())
    data = b""
    while True:
        try:
            d = s.recv(65536)
        except ConnectionResetError:
            break
        if not d:
            break
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    status = head.split(b" ")[1].decode() if head.startswith(b"HTTP/1.1 ") else "none"
    length = [int(l.split(b": ")[1]) for l in head.split(b"\r\n")
              if l.startswith(b"Content-Length: ")] or [-1]
    got = status
    if status == "200" and not body and length[0] > 0:
        got += " head"
    elif status == "200" and len(body) == length[0] and b"HTTP/1.1" not in body:
        got += " one"
    print("ok" if got == want else "%s -> %s" % (want, got))
PYEOF
expect_eq "bad requests: 404, 404, 405, 400 (HTTP/2.0, two spaces, garbage, a 3 KB head); HEAD; a pipelined request: one answer" \
	"$(printf 'ok\n%.0s' {1..9})" "$(cat "$WORK/bad.txt")"
expect_eq "bad requests: counted as such; HEAD and GET as scrapes" "7 3" \
	"$(metric ksteer_fallback_metrics_bad_request_total) $(metric ksteer_fallback_metrics_scrapes_total)"

# Two things the clients below ask of a socket: whether the server has
# closed it (not waiting), and waiting until it does (12 s at most).
cat >"$WORK/conns.py" <<'PYEOF'
import socket
def closed(s):
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
def wait_closed(s):
    s.setblocking(True)
    s.settimeout(12)
    try:
        while s.recv(1):
            pass
    except (ConnectionResetError, socket.timeout):
        pass
PYEOF

# A client too slow to finish its request: still held at 2 s, cut by the
# 5 s deadline (with slack).
in_srv $PY - $MPORT "$WORK" >"$WORK/slow.txt" <<'PYEOF'
import socket, sys, time
sys.path.insert(0, sys.argv[2])
from conns import closed, wait_closed
slow = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=12)
start = time.time()
slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
time.sleep(2)
print("closed before 2 s" if closed(slow) else "open at 2 s")
wait_closed(slow)
took = time.time() - start
print("closed by 8 s" if took < 8 else "closed after %.1f s" % took)
PYEOF
expect_eq "a slow request: held while it is young, cut by the deadline" "open at 2 s|closed by 8 s" \
	"$(paste -sd'|' "$WORK/slow.txt")"

# A flood of connections that send nothing: 16 held at most, the rest
# closed at once, each held one cut by the deadline; ksteerd serves TLS
# meanwhile.
accepted=$(metric ksteer_fallback_accepted_total)
in_srv $PY - $MPORT "$WORK" >"$WORK/flood.txt" <<'PYEOF' &
import socket, sys, time
sys.path.insert(0, sys.argv[2])
from conns import closed, wait_closed
flood = [socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
         for _ in range(300)]
time.sleep(0.3)
held = [s for s in flood if not closed(s)]
print("held", "16 at most" if 0 < len(held) <= 16 else len(held))
start = time.time()
for s in held:
    wait_closed(s)
took = time.time() - start
print("all closed", "yes" if took < 8 else "no: %.1f s" % took)
PYEOF
FLOOD=$!
sleep 0.6
in_cli curl -sSk --max-time 5 --resolve c.example:443:$SRV4 https://c.example/ >/dev/null 2>&1
expect_eq "during the flood: ksteerd takes a connection (and refuses it, as before)" \
	$((accepted + 1)) "$(metric ksteer_fallback_accepted_total)"
wait $FLOOD
expect_eq "flood: 16 held at most, each cut by the deadline" "held 16 at most|all closed yes" \
	"$(paste -sd'|' "$WORK/flood.txt")"
expect_eq "the slow one and the flood: every connection closed unanswered counted" 301 \
	"$(metric ksteer_fallback_metrics_dropped_total)"
out=$(in_srv curl -sS -o /dev/null -w '%{http_code}' http://127.0.0.1:$MPORT/metrics)
expect_eq "after the flood: scraped again" 200 "$out"
check "ksteerd still runs" kill -0 $KPID

# A real Prometheus server (Debian's) scraping ksteerd every second, asked
# over its HTTP API for what it scraped.
if ! command -v prometheus >/dev/null; then
	fail "prometheus is missing (scripts/install-deps.sh installs it)"
else
	printf '%s\n' 'global:' '  scrape_interval: 1s' 'scrape_configs:' '  - job_name: ksteerd' \
		'    static_configs:' "      - targets: [\"127.0.0.1:$MPORT\"]" >"$WORK/prometheus.yml"
	in_srv prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
		--web.listen-address=127.0.0.1:9090 >"$WORK/prometheus.log" 2>&1 &
	PROM=$!
	ks_on_exit "kill $PROM"
	query() { # PROMQL: the value of its first sample, "" for none
		in_srv curl -sS --max-time 2 --get --data-urlencode "query=$1" \
			http://127.0.0.1:9090/api/v1/query 2>/dev/null | $PY -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")' 2>/dev/null
	}
	for _ in $(seq 60); do
		[ "$(query ksteer_fallback_listeners)" = 1 ] && break
		sleep 0.5
	done
	expect_eq "Prometheus: ksteer_fallback_listeners scraped from ksteerd" 1 \
		"$(query ksteer_fallback_listeners)"
	expect_eq "Prometheus: the target is up" 1 "$(query 'up{job="ksteerd"}')"
	expect_eq "Prometheus: a backend's counter, by its label" \
		"$(metric 'ksteer_backend_assigned_total{backend="site-a"}')" \
		"$(query 'ksteer_backend_assigned_total{backend="site-a"}')"
	for _ in $(seq 20); do
		[ "$(query ksteer_fallback_metrics_scrapes_total)" -ge 8 ] 2>/dev/null && break
		sleep 0.5
	done
	check "Prometheus: scraping again and again, each counted by ksteerd" \
		test "$(query ksteer_fallback_metrics_scrapes_total)" -ge 8
	kill $PROM
fi
summary
