#!/usr/bin/env bash
# tshark_check.sh FILE.bin: "sni<TAB>alpn" as tshark dissects the bytes
# (wrapped as one TCP stream to port 443); "-" for an absent field, ALPN
# comma-separated in order.
set -euo pipefail
f=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
od -Ax -tx1 -v "$f" >"$tmp/dump.txt"
text2pcap -q -T 50000,443 -m 65535 "$tmp/dump.txt" "$tmp/x.pcap" 2>/dev/null
out=$(tshark -r "$tmp/x.pcap" -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE \
	-Y tls.handshake.type==1 -T fields -E occurrence=a -E separator=/t \
	-e tls.handshake.extensions_server_name -e tls.handshake.extensions_alpn_str 2>/dev/null | head -n 1)
sni=$(cut -f1 <<<"$out")
alpn=$(cut -f2 <<<"$out")
printf '%s\t%s\n' "${sni:--}" "${alpn:--}"
