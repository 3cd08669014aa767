#!/usr/bin/env bash
# A short libFuzzer run on the ClientHello parser (make fuzz runs it longer).
source "$(dirname "$0")/lib.sh"
FUZZ=$ROOT/build/fuzz_hello
SECS=${KS_FUZZ_SECONDS:-20}
if [ ! -x "$FUZZ" ]; then
	fail "no $FUZZ (make build/fuzz_hello)"
	summary
	exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
"$ROOT/build/test_parser" --seeds "$corpus"
cp "$ROOT"/tests/captures/*.bin "$corpus"/ 2>/dev/null
log=$(mktemp)
if "$FUZZ" -max_total_time="$SECS" -max_len=20000 -print_final_stats=1 "$corpus" >"$log" 2>&1; then
	ok "fuzz_hello: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') inputs in ${SECS}s, no crash"
else
	fail "fuzz_hello found a crash:"
	grep -E 'ERROR|SUMMARY|abort|Test unit written' "$log" | head -20
fi
rm -f "$log"
summary
