#!/usr/bin/env python3
"""The report of bench/compare.sh: medians over repetitions, ratios to the
direct path, resources, bench/results/latest.json, a table and two plots.

  compare_report.py RAW.jsonl REPS CONNS OUTDIR KSTEER_STATS_JSON BULK_REPS
"""
import datetime, json, os, platform, statistics, subprocess, sys

raw, reps, conns, outdir = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
kstats = json.loads(sys.argv[5])
bulk_reps = int(sys.argv[6])
rows = [json.loads(l) for l in open(raw)]
# A contender named NAME-aa is NAME's target once more in the same
# alternation (compare.sh raw_rows): not a contender, the noise of a ratio.
order = list(dict.fromkeys(r["contender"] for r in rows if not r["contender"].endswith("-aa")))
baseline = {c: ("direct-ho" if c == "ksteerd-handoff" else
                "http-direct" if c.startswith("http-") else "direct") for c in order}
concs = sorted({r["concurrency"] for r in rows if r["workload"] == "rate"})
headline = 8 if 8 in concs else concs[-1]
# The router-bound workload: shapes (one-, two-segment ClientHellos, the
# second with its server_name in segment 2: held) by concurrency; its
# headline is the one-segment one at the highest.
raw_concs = sorted({r["concurrency"] for r in rows if r["workload"].startswith("raw-")
                    and "concurrency" in r})
raw_headline = raw_concs[-1] if raw_concs else None
SHAPES = ("one", "two", "held")


def runs(c, w, conc=None):
    return [r["result"] for r in rows if r["contender"] == c and r["workload"] == w
            and (conc is None or r["concurrency"] == conc) and r.get("result")]


def med(rs, k):
    return statistics.median(x[k] for x in rs) if rs else None


def ratio(a, b):
    return round(a / b, 3) if a is not None and b else None


def tried(x):
    """The connections a connbench run tried: made, failed and misrouted."""
    return x["connections"] + x["errors"] + x["misrouted"]


def cpu_of(c, workload):
    """What contender c used over its CPU pass of workload (compare.sh's
    cpu_pass, the accounting on), and the connections that pass tried
    (rows before 2026-12-02 carry no result: unknown)."""
    rs = [r for r in rows if r["contender"] == c and r["workload"] == workload]
    return (sum(r["after"]["cpu_s"] - r["before"]["cpu_s"] for r in rs),
            sum(tried(r["result"]) for r in rs if r.get("result")))


def paired(c, base, w, conc, k="rate"):
    """c's k over base's in workload w, as the median of the repetitions'
    own ratios (each repetition runs every contender once, minutes closer
    than its first and last: a pair shares more of what else the host runs
    than the medians of all runs do); None without a pair."""
    def by_rep(name):
        return {r["rep"]: r["result"][k] for r in rows
                if r["contender"] == name and r["workload"] == w and r.get("result")
                and r.get("concurrency") == conc and r["result"].get(k) is not None}
    a, b = by_rep(c), by_rep(base)
    rs = [a[i] / b[i] for i in a if b.get(i)]
    return round(statistics.median(rs), 3) if rs else None


out = {"what": "new TLS 1.3 connections, one HTTP/1.1 request each; bulk download; veth, "
               "GRO/TSO off; routers and backends on CPU 1, client on CPU 0",
       "raw_what": "router-bound: a real ClientHello replayed with no TLS (curl's 517 bytes: one "
                   "segment; Chromium's 1926: two, with the SNI in the first, and held: two, "
                   "with the SNI in the second), a fixed reply (bench/rawsrv); same placement",
       "rx_placement": ("each side's receive path on its own CPU (RX_OWN_CPU=1: RPS)"
                        if os.environ.get("RX_OWN_CPU", "1") == "1" else
                        "veth's: each receiver's softirq on the sending CPU (the server's, "
                        "TC included, on the client's CPU 0)"),
       "raw_headline_concurrency": raw_headline,
       "raw_median_of": max((r["rep"] for r in rows if r["workload"] == "raw-one"), default=None),
       "median_of": reps, "bulk_median_of": bulk_reps, "connections_per_run": conns, "headline_concurrency": headline,
       "machine": f"{platform.node()} {platform.machine()} {os.cpu_count()} cpus, "
                  f"kernel {platform.release()}",
       "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
       "ksteer_kernel_counters": {k: kstats.get(k) for k in
                                  ("assigned", "reasm_completed", "to_fallback", "no_route")},
       "contenders": {}}
for c in order:
    every = [r["result"] for r in rows if r["contender"] == c and r.get("result")]
    d = {"baseline": baseline[c], "by_concurrency": {}}
    for k in concs:
        rs = runs(c, "rate", k)
        d["by_concurrency"][k] = {f: med(rs, f) for f in ("rate", "p50_us", "p99_us", "p999_us")}
    h = d["by_concurrency"][headline]
    d.update(conn_rate=h["rate"], p50_us=h["p50_us"], p99_us=h["p99_us"], p999_us=h["p999_us"])
    large = runs(c, "large")
    d.update(large_conn_rate=med(large, "rate"), large_p50_us=med(large, "p50_us"))
    bulk = runs(c, "bulk")
    d["throughput_mbs"] = med(bulk, "mbs")
    d["throughput_mbs_runs"] = [x["mbs"] for x in bulk]
    if bulk:
        d["throughput_mbs_min_max"] = [min(d["throughput_mbs_runs"]), max(d["throughput_mbs_runs"])]
    # Router CPU while moving bulk bytes: ms per GB (ksteer: its BPF programs).
    bcpu = [r for r in rows if r["contender"] == c and r["workload"] == "bulk-cpu"]
    moved = sum(r["result"].get("mbs", 0) * r["result"].get("seconds", 0) for r in bcpu
                if r.get("result"))
    used_b = cpu_of(c, "bulk-cpu")[0]
    d["cpu_ms_per_gb"] = round(used_b * 1000 / (moved / 1000), 2) if moved else None
    d["raw"] = {}
    for shape in SHAPES:
        d["raw"][shape] = {}
        for k in raw_concs:
            rs = runs(c, "raw-" + shape, k)
            d["raw"][shape][k] = {f: med(rs, f) for f in ("rate", "p50_us", "p99_us")}
    if raw_headline and runs(c, "raw-one"):
        h1, h2 = d["raw"]["one"][raw_headline], d["raw"]["two"][raw_headline]
        h3 = d["raw"]["held"][raw_headline]
        d.update(raw_conn_rate=h1["rate"], raw_p50_us=h1["p50_us"], raw_p99_us=h1["p99_us"],
                 raw_two_conn_rate=h2["rate"], raw_two_p50_us=h2["p50_us"],
                 raw_two_p99_us=h2["p99_us"], raw_held_conn_rate=h3["rate"],
                 raw_held_p50_us=h3["p50_us"], raw_held_p99_us=h3["p99_us"])
        by = {s_: cpu_of(c, "raw-cpu-" + s_) for s_ in SHAPES}
        rused, rmade = sum(u for u, _ in by.values()), sum(m for _, m in by.values())
        d["raw_cpu_us_per_conn"] = round(rused / rmade * 1e6, 2) if rmade else None
        d["raw_cpu_us_by_shape"] = {s_: round(u / m * 1e6, 2) if m else None
                                    for s_, (u, m) in by.items()}
    # Plain HTTP by Host, router-bound (http-*: direct, ksteer's port 80, nginx).
    if runs(c, "raw-http"):
        d["http"] = {k: {f: med(runs(c, "raw-http", k), f) for f in ("rate", "p50_us", "p99_us")}
                     for k in raw_concs}
        hused, hmade = cpu_of(c, "http-cpu")
        d["http_cpu_us_per_conn"] = round(hused / hmade * 1e6, 2) if hmade else None
    att = {m: runs(c, "attack-" + m) for m in ("none", "syn", "ack")}
    if att["none"]:
        d["under_attack"] = {m: {"rate": med(rs, "rate"), "p99_us": med(rs, "p99_us"),
                                 "errors": sum(x.get("errors", 0) for x in rs)}
                             for m, rs in att.items()}
        for m in ("syn", "ack"):
            fl = [r["result"] for r in rows if r["contender"] == c and r["workload"] == "flood-" + m]
            d["under_attack"][m]["flood_pps"] = med([{"pps": x["sent"] / x["seconds"]}
                                                     for x in fl if x.get("seconds")], "pps")
            d["under_attack"][m]["ratio_rate_to_no_flood"] = ratio(d["under_attack"][m]["rate"],
                                                                   d["under_attack"]["none"]["rate"])
    n = sum(tried(x) for x in every if "connections" in x)
    used, made = cpu_of(c, "cpu")
    d["cpu_s_per_1k_conn"] = round(used / made * 1000, 4) if made else None
    hold = next((r for r in rows if r["contender"] == c and r["workload"] == "hold"), None)
    if hold:
        d["rss_kb"] = hold["held"]["rss_kb"]
        d["rss_kb_per_conn"] = round((hold["held"]["rss_kb"] - hold["idle"]["rss_kb"]) / hold["n"], 2)
        d["fds_per_conn"] = round((hold["held"]["fds"] - hold["idle"]["fds"]) / hold["n"], 2)
        d["held_connections"] = hold["result"].get("connections") if hold["result"] else 0
    d["errors_by_workload"] = {w: sum(x.get("errors", 0) for x in runs(c, w))
                               for w in ("rate", "large", "site-b", "bulk", "hold", "raw-one",
                                         "raw-two", "raw-held", "raw-http")}
    d["errors"] = sum(x.get("errors", 0) for x in every)
    d["misrouted"] = sum(x.get("misrouted", 0) for x in every)
    d["connections"] = n
    out["contenders"][c] = d
# Ratios to the baseline: of rates and throughput, the median of the
# repetitions' pairs (paired); of latencies and resources, of the medians.
for c, d in out["contenders"].items():
    bn = baseline[c]
    b = out["contenders"].get(bn, {})
    for k in ("p50_us", "p99_us", "p999_us", "cpu_s_per_1k_conn", "rss_kb", "rss_kb_per_conn",
              "fds_per_conn", "raw_p50_us", "raw_p99_us", "raw_two_p50_us", "raw_two_p99_us",
              "raw_held_p50_us", "raw_held_p99_us"):
        d["ratio_" + k] = ratio(d.get(k), b.get(k))
    for k, w, conc, f_ in (("conn_rate", "rate", headline, "rate"), ("large_conn_rate", "large", 8, "rate"),
                           ("throughput_mbs", "bulk", 1, "mbs"),
                           ("raw_conn_rate", "raw-one", raw_headline, "rate"),
                           ("raw_two_conn_rate", "raw-two", raw_headline, "rate"),
                           ("raw_held_conn_rate", "raw-held", raw_headline, "rate")):
        d["ratio_" + k] = paired(c, bn, w, conc, f_) if d.get(k) is not None else None
    for m, x in d.get("under_attack", {}).items():
        bx = b.get("under_attack", {}).get(m, {})
        x["ratio_rate"] = paired(c, bn, "attack-" + m, 32)
        x["ratio_p99_us"] = ratio(x["p99_us"], bx.get("p99_us"))
    for shape in SHAPES:
        for k in raw_concs:
            d["raw"][shape][k]["ratio_rate"] = paired(c, bn, "raw-" + shape, k)
    for k, x in d.get("http", {}).items():
        x["ratio_rate"] = paired(c, bn, "raw-http", k)
    for k in concs:
        d["by_concurrency"][k]["ratio_rate"] = paired(c, bn, "rate", k)

# The noise of the router-bound ratios: direct against itself, its target
# once more beside fast's in the same alternation (direct-aa); a ratio of
# fast's is told from 1 only by more than this one's distance from 1.
if any(r["contender"] == "direct-aa" for r in rows):
    out["raw_noise_direct_aa"] = {shape: {k: paired("direct-aa", "direct", "raw-" + shape, k)
                                          for k in raw_concs} for shape in SHAPES}
os.makedirs(outdir, exist_ok=True)
json.dump(out, open(os.path.join(outdir, "latest.json"), "w"), indent=1)


def f(v, fmt):
    return format(v, fmt) if v is not None else "-"


hdr = (f"{'contender':<16}" + "".join(f"{'conn/s c=' + str(k):>15}" for k in concs) +
       f"{'p50us':>7}{'p99us':>7}{'p99.9us':>8}{'2.6KB c/s':>11}{'MB/s':>13}{'cpu ms/1k':>10}{'ms/GB':>7}"
       f"{'RSS MB':>7}{'KB/conn':>8}{'fd/conn':>8}{'err':>5}{'misr':>5}")
print(hdr)
for c, d in out["contenders"].items():
    if "http" in d:
        continue                          # plain HTTP: its own table below
    line = f"{c:<16}"
    for k in concs:
        x = d["by_concurrency"][k]
        line += f"{f(x['rate'], '.0f'):>7} ({f(x['ratio_rate'], '.2f'):>4})"
    line += (f"{f(d['p50_us'], '.0f'):>7}{f(d['p99_us'], '.0f'):>7}{f(d['p999_us'], '.0f'):>8}"
             f"{f(d['large_conn_rate'], '.0f'):>5} ({f(d['ratio_large_conn_rate'], '.2f'):>4})"
             f"{f(d['throughput_mbs'], '.0f'):>6} ({f(d['ratio_throughput_mbs'], '.2f'):>4})"
             f"{f(d['cpu_s_per_1k_conn'] * 1000 if d['cpu_s_per_1k_conn'] is not None else None, '.1f'):>10}"
             f"{f(d.get('cpu_ms_per_gb'), '.0f'):>7}"
             f"{f(d.get('rss_kb', 0) / 1024, '.1f'):>7}{f(d.get('rss_kb_per_conn'), '.1f'):>8}"
             f"{f(d.get('fds_per_conn'), '.2f'):>8}"
             f"{d['errors']:>5}{d['misrouted']:>5}")
    print(line)
print(f"(ratios in parentheses: to direct (of rates: the median of the repetitions' pairs); ksteerd-handoff: to direct-ho, the same server on its "
      f"own port. Latency at concurrency {headline}. Medians of {reps} runs of {conns} "
      f"connections; bulk: median of {bulk_reps} downloads, one per contender per round, every "
      f"other round in reverse order, BPF accounting off; ms/GB: router CPU in one more "
      f"download with it on. "
      f"ksteer's CPU is its BPF programs' run time, its memory its maps'; KB/conn: memory "
      f"grown per connection held open. Receive paths: {out['rx_placement']}. "
      f"{out['machine']}; {outdir}/latest.json)")

if raw_concs:
    print()
    print(f"{'router-bound':<16}" + "".join(f"{'1-seg c=' + str(k):>15}" for k in raw_concs) +
          "".join(f"{'2-seg c=' + str(k):>15}" for k in raw_concs) +
          "".join(f"{'2-held c=' + str(k):>15}" for k in raw_concs) +
          f"{'p50us':>7}{'p99us':>7}{'2s p99us':>9}{'2h p99us':>9}{'cpu us/c':>9}"
          f"{'1s/2s/2h':>17}")
    for c, d in out["contenders"].items():
        if "raw_conn_rate" not in d:
            continue
        line = f"{c:<16}"
        for shape in SHAPES:
            for k in raw_concs:
                x = d["raw"][shape][k]
                line += f"{f(x['rate'], '.0f'):>7} ({f(x['ratio_rate'], '.2f'):>4})"
        line += (f"{f(d['raw_p50_us'], '.0f'):>7}{f(d['raw_p99_us'], '.0f'):>7}"
                 f"{f(d['raw_two_p99_us'], '.0f'):>9}{f(d['raw_held_p99_us'], '.0f'):>9}"
                 f"{f(d.get('raw_cpu_us_per_conn'), '.1f'):>9}"
                 f"{'/'.join(f(d.get('raw_cpu_us_by_shape', {}).get(s_), '.1f') for s_ in SHAPES):>17}")
        print(line)
    print(f"({out['raw_what']}. Latency: connect to reply, at concurrency "
          f"{raw_headline}, one segment unless 2s (two, the SNI in the first) or 2h "
          f"(two, the SNI in the second: held); cpu us/c: router CPU per connection, over "
          f"the three shapes and by shape)")
    if "raw_noise_direct_aa" in out:
        nz = out["raw_noise_direct_aa"]
        print(f"(medians of {out['raw_median_of']} repetitions; each runs a shape at a concurrency through "
              "every contender in one connbench, blocks in turn; noise: direct against itself "
              "in that alternation, "
              + ", ".join(f"{s_} c={k} {f(nz[s_][k], '.2f')}" for s_ in SHAPES for k in raw_concs)
              + ")")

plain = [(c, d) for c, d in out["contenders"].items() if "http" in d]
if plain:
    print()
    print(f"{'plain HTTP':<16}" + "".join(f"{'conn/s c=' + str(k):>15}" for k in raw_concs) +
          f"{'p50us':>7}{'p99us':>7}{'cpu us/c':>9}{'err':>5}{'misr':>5}")
    for c, d in plain:
        line = f"{c:<16}"
        for k in raw_concs:
            x = d["http"][k]
            line += f"{f(x['rate'], '.0f'):>7} ({f(x['ratio_rate'], '.2f'):>4})"
        h = d["http"][raw_headline]
        line += (f"{f(h['p50_us'], '.0f'):>7}{f(h['p99_us'], '.0f'):>7}"
                 f"{f(d.get('http_cpu_us_per_conn'), '.1f'):>9}"
                 f"{d['errors_by_workload']['raw-http']:>5}{d['misrouted']:>5}")
        print(line)
    print(f"(router-bound plain HTTP by Host: curl's request replayed with no TLS to a fixed "
          f"HTTP reply, directly, through ksteer's port 80 and through nginx's reverse proxy; "
          f"ratios to http-direct; latency at concurrency {raw_headline}, connect to reply)")

attacked = [(c, d) for c, d in out["contenders"].items() if "under_attack" in d]
if attacked:
    print()
    print(f"{'under attack':<16}" + "".join(f"{m + ' conn/s':>16}{m + ' p99us':>12}"
                                              for m in ("none", "syn", "ack")))
    for c, d in attacked:
        line = f"{c:<16}"
        for m in ("none", "syn", "ack"):
            x = d["under_attack"][m]
            line += f"{f(x['rate'], '.0f'):>8} ({f(x['ratio_rate'], '.2f'):>5}){f(x['p99_us'], '.0f'):>12}"
        print(line)
    fl = attacked[0][1]["under_attack"]
    print(f"(router-bound, one segment, concurrency 32, while about {f(fl['syn'].get('flood_pps'), '.0f')} "
          f"spoofed SYNs/s (syn) or {f(fl['ack'].get('flood_pps'), '.0f')} spoofed ACK+data "
          f"segments/s (ack) hit the port; ratios to direct under the same flood; direct "
          f"answers with the kernel's SYN cookies)")

# Plots: connection rate and latency by concurrency, one line per contender.
dat = os.path.join(outdir, "latest.dat")
with open(dat, "w") as fh:
    for c, d in out["contenders"].items():
        if "http" in d:
            continue
        fh.write(f'"{c}"\n')
        for k in concs:
            x = d["by_concurrency"][k]
            fh.write(f"{k} {x['rate'] or 0} {x['p50_us'] or 0} {x['p99_us'] or 0} {x['p999_us'] or 0}\n")
        fh.write("\n\n")
n = sum(1 for d in out["contenders"].values() if "http" not in d)
gp = f"""
set terminal pngcairo size 900,520 font ",10"
set logscale x 2
set xlabel "client concurrency"
set key outside right
set grid
set output "{outdir}/rate.png"
set title "New TLS connections per second (median of {reps}; {platform.release()})"
set ylabel "connections/s"
plot for [i=0:{n - 1}] "{dat}" index i using 1:2 with linespoints title columnheader(1)
set output "{outdir}/latency.png"
set title "Handshake latency: p50 (solid), p99 (dashed), p99.9 (dotted)"
set ylabel "microseconds"
set logscale y
plot for [i=0:{n - 1}] "{dat}" index i using 1:3 with linespoints lc i+1 title columnheader(1), \\
     for [i=0:{n - 1}] "{dat}" index i using 1:4 with lines dt 2 lc i+1 notitle, \\
     for [i=0:{n - 1}] "{dat}" index i using 1:5 with lines dt 3 lc i+1 notitle
"""
# The router-bound rate: one line per contender and shape (two: dashed).
rdat = os.path.join(outdir, "latest_raw.dat")
rawc = [(c, d) for c, d in out["contenders"].items() if "raw_conn_rate" in d]
with open(rdat, "w") as fh:
    for c, d in rawc:
        for shape in SHAPES:
            fh.write(f'"{c} {shape}"\n')
            for k in raw_concs:
                fh.write(f"{k} {d['raw'][shape][k]['rate'] or 0}\n")
            fh.write("\n\n")
if rawc:
    gp += f"""
unset logscale y
set output "{outdir}/raw_rate.png"
set title "Router-bound connections per second: no TLS, a real ClientHello (two segments: dashed; held: dotted)"
set ylabel "connections/s"
plot for [i=0:{len(rawc) - 1}] "{rdat}" index 3*i using 1:2 with linespoints lc i+1 title columnheader(1), \\
     for [i=0:{len(rawc) - 1}] "{rdat}" index 3*i+1 using 1:2 with linespoints dt 2 lc i+1 notitle, \\
     for [i=0:{len(rawc) - 1}] "{rdat}" index 3*i+2 using 1:2 with linespoints dt 3 lc i+1 notitle
"""
try:
    subprocess.run(["gnuplot"], input=gp, text=True, check=True, capture_output=True)
except (OSError, subprocess.CalledProcessError) as e:
    print(f"no plots: {e}", file=sys.stderr)
