#!/usr/bin/env bash
# The parser (ksteer parse -j, the code the kernel runs) against tshark's
# live dissection of every real ClientHello in tests/data/captures.
source "$(dirname "$0")/../lib/lib.sh"
DIR=$ROOT/tests/data/captures
if ! command -v tshark >/dev/null || ! command -v text2pcap >/dev/null; then
	skip "tshark is not installed (scripts/install-deps.sh installs it)"
	summary
	exit 0
fi
n=0
for f in "$DIR"/*.bin; do
	want=$("$DIR/tshark_check.sh" "$f" | tr 'A-Z' 'a-z')
	got=$($KSTEER parse -j "$f" | $PY -c '
import json, sys
d = json.load(sys.stdin)
print((d["sni"] or "-") + "\t" + (",".join(d["alpn"]) or "-") if d["complete"] else "incomplete")')
	expect_eq "$(basename "$f") ($(stat -c %s "$f") B): parser agrees with tshark" "$want" "$got"
	n=$((n + 1))
done
check "captures from 8 kinds of client present ($n files)" test "$n" -ge 16

# What the kernel sees in Chromium's first segment (1448 B: its SNI at byte
# 127, its ALPN past the cut): a named prefix, ALPN still open; 100 bytes
# name nothing.
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
head -c 1448 "$DIR/chromium_1.bin" >"$T/seg1.bin"
head -c 100 "$DIR/chromium_1.bin" >"$T/short.bin"
expect_eq "ksteer parse: Chromium's first segment is a named prefix" \
	"$T/seg1.bin: incomplete named sni=chrome.example.com alpn=?" "$($KSTEER parse "$T/seg1.bin")"
expect_eq "ksteer parse -j: named, ALPN not final" "incomplete True False chrome.example.com" \
	"$($KSTEER parse -j "$T/seg1.bin" | $PY -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["named"], d["alpn_final"], d["sni"])')"
expect_eq "ksteer parse: 100 bytes name nothing" "$T/short.bin: incomplete" \
	"$($KSTEER parse "$T/short.bin")"
summary
