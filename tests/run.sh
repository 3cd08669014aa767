#!/usr/bin/env bash
# make test: every suite in turn; each prints "N passed, N failed[, N skipped]"
# last, and this adds them up into the same closing line.
set -u
cd "$(dirname "$0")/.."
suites=(
	build/test_parser
	tests/test_captures.sh
	tests/test_cli.sh
	tests/test_fuzz.sh
	build/test_quic
	tests/test_quic_cli.sh
	tests/test_quic_fuzz.sh
	build/test_tc_fixtures
	build/test_quic_steer
	build/test_handoff_lib
	build/test_backend_http
	tests/test_backend_fuzz.sh
	tests/test_backend_e2e.sh
	tests/test_e2e.sh
	tests/test_cookie_e2e.sh
	tests/test_reasm_e2e.sh
	tests/test_reasm_flood_e2e.sh
	tests/test_migrate_e2e.sh
	tests/test_fallback_e2e.sh
	tests/test_handback_e2e.sh
	tests/test_hello_shapes_e2e.sh
	tests/test_reload_e2e.sh
	tests/test_browser_e2e.sh
	tests/test_quic_e2e.sh
	tests/test_realhost_e2e.sh
)
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
