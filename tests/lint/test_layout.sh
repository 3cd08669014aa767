#!/usr/bin/env bash
# The tree's dependency rules (docs/DESIGN.md, "Layout"), checked on the
# sources: each quoted #include resolved as the compiler resolves it (the
# includer's folder, then the Makefile's -I folders), and
#   - each folder includes only from the folders it may depend on:
#     programs -> lib/ -> shared/, bpf/ -> shared/, the hand-off library on
#     nothing of ksteer's, no program from another program's folder;
#   - no .c file is included;
#   - no header includes itself through others (no cycle);
#   - the folders of the tree are the ones the Layout section draws.
# No root, no build needed (build/'s generated headers are allowed by name).
source "$(dirname "$0")/../lib/lib.sh"
cd "$ROOT" || exit 1

$PY - <<'EOF' >"${TMPDIR:-/tmp}/ks-layout.$$"
import os, re, subprocess

files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], capture_output=True,
                       text=True, check=True).stdout.split()
src = [f for f in files if f.endswith((".c", ".h")) and os.path.exists(f)]

# Where each folder may take its quoted includes from (besides itself),
# in the Makefile's -I order; "build" is the generated headers.
allowed = {
    "shared": [],
    "bpf": ["shared", "build"],
    "lib": ["shared", "build"],
    "cli": ["lib", "shared", "build"],
    "ksteerd": ["lib", "shared", "build"],
    "handoff": [],
    "backend": ["handoff", "build"],
    "bench": ["tests/lib", "lib", "shared", "build"],
}
# The tests may include what they test, from anywhere but bench/ (bpf/:
# tests/progs' programs that run the BPF headers for the fixtures).
tests_may = ["tests/lib", "tests/unit", "ksteerd", "backend", "handoff", "lib", "bpf", "shared",
             "build"]
generated = re.compile(r"^(vmlinux|ks_version|[a-z_]+\.skel)\.h$")
def home(f):
    d = os.path.dirname(f)
    return d if d.startswith("tests/") or d in allowed else d.split("/")[0]

def may(d):
    return tests_may if d.startswith("tests") else allowed.get(d, [])

def resolve(f, name):
    d = os.path.dirname(f)
    for cand in [d] + may(home(f)):
        p = os.path.normpath(os.path.join(cand, name))
        if cand != "build" and os.path.exists(p):
            return cand, p
    if generated.match(os.path.basename(name)) and "build" in [d] + may(home(f)):
        return "build", None
    return None, None

edges, bad = {}, []
for f in src:
    for n, line in enumerate(open(f, errors="replace"), 1):
        m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
        if not m:
            continue
        name = m[1]
        if name.endswith(".c"):
            bad.append("%s:%d: includes a .c file (%s)" % (f, n, name))
            continue
        where, path = resolve(f, name)
        if where is None:
            bad.append("%s:%d: \"%s\" is not in %s or the folders it may use (%s)"
                       % (f, n, name, os.path.dirname(f), ", ".join(may(home(f))) or "none"))
        elif path:
            edges.setdefault(f, []).append(path)

# Cycles: a depth-first walk, grey while on the stack.
state, cycles = {}, []
def walk(f, stack):
    state[f] = "grey"
    for g in edges.get(f, []):
        if state.get(g) == "grey":
            cycles.append(" -> ".join(stack[stack.index(g):] + [g]))
        elif g not in state:
            walk(g, stack + [g])
    state[f] = "black"
for f in sorted(edges):
    if f not in state:
        walk(f, [f])

# The folders of the tree (each file's and their parents) against those
# the Layout section draws, one a line: "    NAME/  what goes there".
dirs = set()
for f in files:
    d = os.path.dirname(f)
    while d:
        dirs.add(d)
        d = os.path.dirname(d)
text = open("docs/DESIGN.md").read()
layout = text[text.index("\n## Layout\n"):]
drawn = set(re.findall(r"^    ([.a-z][.a-z0-9/]*[a-z0-9])/  ", layout, re.M))
print("includes", len(src), "files,", sum(len(v) for v in edges.values()), "includes")
print("folders", len(dirs), "in the tree,", len(drawn), "drawn")
for d in sorted(dirs - drawn):
    print("UNNAMED", d)
for d in sorted(drawn - dirs):
    print("MISSING", d)
for b in bad:
    print("BAD", b)
for c in cycles:
    print("CYCLE", c)
EOF
out="${TMPDIR:-/tmp}/ks-layout.$$"
count=$(sed -n 's/^includes //p' "$out")
expect_eq "every quoted include in a folder it may depend on, none a .c file ($count)" "" \
	"$(sed -n 's/^BAD //p' "$out")"
expect_eq "no include cycle" "" "$(sed -n 's/^CYCLE //p' "$out")"
expect_eq "every folder of the tree drawn in docs/DESIGN.md's Layout ($(sed -n 's/^folders //p' "$out"))" \
	"" "$(sed -n 's/^UNNAMED //p' "$out")"
expect_eq "every folder the Layout draws in the tree" "" "$(sed -n 's/^MISSING //p' "$out")"
rm -f "$out"
summary
