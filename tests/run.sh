#!/usr/bin/env bash
# make test: every suite in turn, found by kind: the unit tests and BPF
# fixtures (tests/unit/test_*.c, tests/fixtures/test_*.c, built as
# build/test_*), the checks of the sources (tests/lint/test_*.sh), the
# fuzz runs (tests/fuzz/test_*.sh), the end-to-end
# suites (tests/e2e/test_*.sh). Each prints "N passed, N failed[, N
# skipped]" last; this adds them up into the same closing line.
#   tests/run.sh [WORD]   only the suites whose path contains WORD
set -u
cd "$(dirname "$0")/.."
suites=()
for c in tests/unit/test_*.c tests/fixtures/test_*.c; do
	t=$(basename "$c" .c)
	suites+=("build/$t")
done
suites+=(tests/lint/test_*.sh tests/fuzz/test_*.sh tests/e2e/test_*.sh)
if [ $# -gt 0 ]; then
	only=()
	for s in "${suites[@]}"; do [[ $s == *"$1"* ]] && only+=("$s"); done
	suites=("${only[@]}")
fi
for extra in ${KS_EXTRA_SUITES:-}; do suites+=("$extra"); done
pass=0 fail=0 skip=0
for s in "${suites[@]}"; do
	echo "=== $s"
	out=$(mktemp)
	if [ ! -x "$s" ]; then
		echo "FAIL - $s is missing"
		fail=$((fail + 1))
		continue
	fi
	"$s" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
	rm -f "$out"
	if [ -z "$line" ]; then
		echo "FAIL - $s ended without a summary (exit $rc)"
		fail=$((fail + 1))
		continue
	fi
	read -r p f s2 <<<"$(echo "$line" | sed -E 's/^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/')"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + ${s2:-0}))
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL - $s exited $rc"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
