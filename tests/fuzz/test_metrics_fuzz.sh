#!/usr/bin/env bash
# A short libFuzzer run on the request reader of ksteerd --metrics
# (fuzz_metrics), from a few seed requests. KS_FUZZ_SECONDS sets the
# length (default 15).
source "$(dirname "$0")/../lib/lib.sh"
FUZZ=$ROOT/build/fuzz_metrics
SECS=${KS_FUZZ_SECONDS:-15}
if [ ! -x "$FUZZ" ]; then
	fail "no $FUZZ (make build/fuzz_metrics)"
	summary
	exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
printf 'GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:9\r\nAccept: text/plain\r\n\r\n' >"$corpus/get"
printf 'HEAD /metrics?x=1 HTTP/1.0\r\n\r\n' >"$corpus/head"
printf 'POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc' >"$corpus/post"
printf 'GET /other HTTP/1.1\n\n' >"$corpus/lf"
fuzz_run fuzz_metrics "$FUZZ" "$corpus" "$SECS" -max_len=4096
summary
