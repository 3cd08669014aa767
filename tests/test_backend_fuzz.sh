#!/usr/bin/env bash
# A short libFuzzer run on ksteer-backend's HTTP parser (fuzz_http), from a
# few seed requests. KS_FUZZ_SECONDS sets the length (default 15).
source "$(dirname "$0")/lib.sh"
FUZZ=$ROOT/build/fuzz_http
SECS=${KS_FUZZ_SECONDS:-15}
if [ ! -x "$FUZZ" ]; then
	fail "no $FUZZ (make build/fuzz_http)"
	summary
	exit 1
fi
corpus=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$corpus" "$log"' EXIT
printf 'GET /a/b.html?x=1 HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n\r\n' >"$corpus/get"
printf 'HEAD / HTTP/1.0\r\nConnection: keep-alive\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n' >"$corpus/head"
printf 'GET /%%2e%%2e/x HTTP/1.1\r\nHost: h\r\nRange: bytes=-5\r\n\r\nGET / HTTP/1.1\r\n' >"$corpus/pipe"
printf 'POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc' >"$corpus/post"
if "$FUZZ" -max_total_time="$SECS" -max_len=20000 -print_final_stats=1 "$corpus" >"$log" 2>&1; then
	ok "fuzz_http: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') inputs in ${SECS}s, no crash"
else
	fail "fuzz_http found a crash:"
	grep -E 'ERROR|SUMMARY|abort|Test unit written' "$log" | head -20
fi
summary
