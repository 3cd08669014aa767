#!/usr/bin/env bash
# A short libFuzzer run on the ClientHello parser (make fuzz runs it longer).
source "$(dirname "$0")/../lib/lib.sh"
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
cp "$ROOT"/tests/data/captures/*.bin "$corpus"/ 2>/dev/null
fuzz_run fuzz_hello "$FUZZ" "$corpus" "$SECS" -max_len=20000
summary
