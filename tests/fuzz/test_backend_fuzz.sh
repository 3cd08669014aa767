#!/usr/bin/env bash
# A short libFuzzer run on ksteer-backend's HTTP parser (fuzz_http), from a
# few seed requests. KS_FUZZ_SECONDS sets the length (default 15).
source "$(dirname "$0")/../lib/lib.sh"
FUZZ=$ROOT/build/fuzz_http
SECS=${KS_FUZZ_SECONDS:-15}
if [ ! -x "$FUZZ" ]; then
	fail "no $FUZZ (make build/fuzz_http)"
	summary
	exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
printf 'GET /a/b.html?x=1 HTTP/1.1\r\nHost: h\r\nRange: bytes=0-9\r\n\r\n' >"$corpus/get"
printf 'HEAD / HTTP/1.0\r\nConnection: keep-alive\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n' >"$corpus/head"
printf 'GET /%%2e%%2e/x HTTP/1.1\r\nHost: h\r\nRange: bytes=-5\r\n\r\nGET / HTTP/1.1\r\n' >"$corpus/pipe"
printf 'POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc' >"$corpus/post"
fuzz_run fuzz_http "$FUZZ" "$corpus" "$SECS" -max_len=20000
summary
