#!/usr/bin/env bash
# A short libFuzzer run on the request-head parser the kernel and ksteerd
# share (fuzz_http_req), seeded with the unit test's table of heads.
# KS_FUZZ_SECONDS sets the length (default 15).
source "$(dirname "$0")/../lib/lib.sh"
FUZZ=$ROOT/build/fuzz_http_req
SECS=${KS_FUZZ_SECONDS:-15}
if [ ! -x "$FUZZ" ]; then
	fail "no $FUZZ (make build/fuzz_http_req)"
	summary
	exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
"$ROOT/build/test_http_req" --seeds "$corpus"
fuzz_run fuzz_http_req "$FUZZ" "$corpus" "$SECS" -max_len=10000
summary
