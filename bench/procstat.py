#!/usr/bin/env python3
"""What a router process holds, with all its descendants:

  procstat.py PID...   -> {"cpu_s": .., "rss_kb": .., "fds": ..}

cpu_s counts the process tree's user+system time, including children it
has already reaped (cutime/cstime), so forking routers (sslh-fork) are
charged for connections whose process is gone.
"""
import json, os, sys

HZ = os.sysconf("SC_CLK_TCK")


def procs():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
            except OSError:
                continue
            f = stat[stat.rindex(")") + 2:].split()
            out[int(d)] = (int(f[1]), [int(x) for x in f[11:15]])   # ppid, times
    return out


def tree(root, table):
    pids, todo = [], [root]
    while todo:
        p = todo.pop()
        if p in table:
            pids.append(p)
            todo += [c for c, (pp, _) in table.items() if pp == p]
    return pids


def rss_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def nfds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


table = procs()
cpu = rss = fds = 0
for root in map(int, sys.argv[1:]):
    for p in tree(root, table):
        ut, st, cut, cst = table[p][1]
        cpu += (ut + st + (cut + cst if p == root else 0)) / HZ
        rss += rss_kb(p)
        fds += nfds(p)
print(json.dumps({"cpu_s": round(cpu, 3), "rss_kb": rss, "fds": fds}))
