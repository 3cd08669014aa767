#!/usr/bin/env bash
# `ksteer parse --quic`: crafted datagram files (build/test_quic writes them)
# and real client captures; JSON checked with jq, and errors are one line
# with a non-zero exit. No root, no network.
source "$(dirname "$0")/../lib/lib.sh"
TQ=$ROOT/build/test_quic
CAPS=$ROOT/tests/data/captures
for b in "$KSTEER" "$TQ"; do
	if [ ! -x "$b" ]; then
		fail "no $b (make)"
		summary
		exit 1
	fi
done
if ! command -v jq >/dev/null; then
	skip "jq is not installed"
	summary
	exit 0
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
check "fixtures written" "$TQ" --write-fixtures "$dir"
cd "$dir" || exit 1

# q JQ FILE...: parse --quic -j, then a jq expression on the object.
q() {
	local expr=$1
	shift
	"$KSTEER" parse --quic -j "$@" | jq -c "$expr"
}

# err_line DESC PATTERN FILE...: one stderr line matching, no stdout, exit != 0.
err_line() {
	local desc=$1 pat=$2 out err rc
	shift 2
	out=$("$KSTEER" parse --quic "$@" 2>"$dir/err")
	rc=$?
	err=$(cat "$dir/err")
	if [ $rc -ne 0 ] && [ -z "$out" ] && [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] &&
		[[ $err =~ $pat ]]; then
		ok "$desc"
	else
		fail "$desc (exit $rc: $err)"
	fi
}

expect_eq "Chrome-like split over 2 datagrams: sni, alpn" \
	'[true,"chrome.example.com",["h2","http/1.1"]]' "$(q '[.complete,.sni,.alpn]' chrome-*.bin)"
expect_eq "... both datagrams counted, v1" '[2,"0x00000001"]' \
	"$(q '[.quic.datagrams,.quic.version]' chrome-*.bin)"
expect_eq "first datagram alone: incomplete, nothing named" '[false,"incomplete",null,[]]' \
	"$(q '[.complete,.status,.sni,.alpn]' chrome-1.bin)"
expect_eq "QUIC v2, Firefox hello over 2 datagrams" \
	'[true,"firefox.example.com",["h2","http/1.1"],"0x6b3343cf"]' \
	"$(q '[.complete,.sni,.alpn,.quic.version]' firefox-v2-*.bin)"
expect_eq "one datagram (curl hello)" '[true,"curl.example.com"]' "$(q '[.complete,.sni]' curl-*.bin)"
expect_eq "no SNI: complete, sni null" '[true,null]' "$(q '[.complete,.sni]' nosni-*.bin)"
expect_eq "RFC 9001 A.2 packet" '[true,"example.com",["alpn"]]' \
	"$(q '[.complete,.sni,.alpn]' "$CAPS/quic/rfc9001-a2.bin")"
expect_eq "RFC 9369 A.2 packet (v2)" '[true,"example.com",["alpn"],"0x6b3343cf"]' \
	"$(q '[.complete,.sni,.alpn,.quic.version]' "$CAPS/quic/rfc9369-a2.bin")"
# The same fields, meaning the same, as `parse` on the hello over TCP.
expect_eq "same complete/status/sni/alpn as parse on the TLS capture" \
	"$("$KSTEER" parse -j "$CAPS/chromium_1.bin" | jq -c '[.complete,.status,.sni,.alpn]')" \
	"$(q '[.complete,.status,.sni,.alpn]' chrome-*.bin)"
expect_eq "-j --quic in either order" "$(q .sni chrome-*.bin)" \
	"$("$KSTEER" parse -j --quic chrome-*.bin | jq -c .sni)"
expect_eq "text output as parse's" "chrome-1.bin: complete sni=chrome.example.com alpn=h2,http/1.1" \
	"$("$KSTEER" parse --quic chrome-*.bin)"

err_line "missing file" "cannot read" chrome-1.bin /nonexistent.bin
err_line "flipped byte" "decryption failed" bad-auth.bin
err_line "truncated packet" "bad packet length" truncated.bin
err_line "short header" "not a QUIC Initial" short-header.bin
err_line "version negotiation" "not a QUIC Initial" vneg.bin
err_line "unknown version" "unsupported QUIC version" unknown-version.bin
err_line "Handshake packet only" "not a QUIC Initial" handshake-only.bin
err_line "STREAM frame in an Initial" "not allowed in Initial" bad-frame.bin
err_line "garbage" "version|QUIC|truncated|length" garbage.bin
err_line "bad datagram after a good one" "decryption failed" chrome-1.bin bad-auth.bin
err_line "an empty file" "truncated" /dev/null
out=$("$KSTEER" parse --quic 2>&1 >/dev/null)
rc=$?
[ $rc -ne 0 ] && [[ $out =~ usage ]] && ok "no files: usage" || fail "no files: usage (exit $rc: $out)"

# Real clients: NAME-1.bin, NAME-2.bin... listed in expected.tsv.
n=0
while IFS=$'\t' read -r name sni alpn; do
	[[ -z $name || $name == \#* ]] && continue
	files=$(ls "$CAPS/quic/$name"-[0-9]*.bin 2>/dev/null | sort -V)
	[ "$sni" = - ] && sni=null || sni="\"$sni\""
	[ "$alpn" = - ] && alpn='' || alpn=$(jq -R -c 'split(",")' <<<"$alpn")
	# shellcheck disable=SC2086
	got=$(q '[.complete,.sni,(.alpn|join(","))]' $files)
	expect_eq "capture $name ($(wc -w <<<"$files") datagrams)" \
		"[true,$sni,\"$(jq -r 'join(",")' <<<"${alpn:-[]}")\"]" "$got"
	n=$((n + 1))
done < <(cat "$CAPS/quic/expected.tsv" 2>/dev/null)
if [ -f "$CAPS/quic/chromium-1.bin" ]; then
	expect_eq "real Chromium: first datagram alone is a cut hello" '[false,55]' \
		"$(q '[.complete,.quic.stream_prefix]' "$CAPS/quic/chromium-1.bin")"
	expect_eq "real Chromium: datagrams in reverse order still reassemble" '[true,"chrome.example.com"]' \
		"$(q '[.complete,.sni]' "$CAPS/quic/chromium-2.bin" "$CAPS/quic/chromium-1.bin")"
fi
[ $n -gt 0 ] || skip "no real QUIC captures (tests/data/captures/quic/expected.tsv)"
summary
