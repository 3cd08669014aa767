#!/usr/bin/env bash
# ksteer stats --prometheus on a live `ksteer up` with ksteerd running and
# a few connections made (placed, refused by ksteerd, without a route):
# Debian's promtool finds it valid; every counter of `stats -j` is there
# with its value, each HELP is the README's meaning of that counter (both
# come from shared/ksteer_counters.h), TYPE gauge exactly for ksteerd's
# levels, one sample per backend with its backend label.
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
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 2>"$WORK/ksteerd.log" &
wait_listen 127.0.0.1 9001 && wait_listen $SRV4 443 || fail "servers did not start"
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
        m = re.fullmatch(r'([a-z_]+)(\{backend="((?:[^"\\]|\\.)*)"\})? (\d+)', line)
        if not m:
            print("bad line:", line); continue
        samples[(m[1], m[3])] = int(m[4])
# The README's meanings: | `NAME` | meaning |, ksteerd's `fallback.NAME`,
# a backend's `backend.NAME` (its rows are those of the stage "Per backend");
# the tables of `ksteer monitor`'s events, which reuse some names, are not
# counters.
meaning, stage = {}, None
for line in readme.splitlines():
    m = re.match(r"^\*\*(.+?)\*\*: ", line) or re.fullmatch(r"\| `([a-z_.]+)` \| (.*) \|", line)
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
summary
