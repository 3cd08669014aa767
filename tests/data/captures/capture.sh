#!/usr/bin/env bash
# Captures real ClientHellos from real, unmodified clients on 127.0.0.1 into
# tests/data/captures/*.bin (the bytes from the first TLS record header through
# the last record of the ClientHello), and writes expected.tsv from tshark's
# dissection of each file. Run by hand, as root; not part of `make test`
# (the browsers are slow to start). Installs the clients it needs.
set -uo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
PORT=${PORT:-48443}
export DEBIAN_FRONTEND=noninteractive
need=()
for p in openssl curl gnutls-bin nodejs python3 chromium firefox-esr tshark; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need+=("$p")
done
[ ${#need[@]} -eq 0 ] || apt-get install -y -q "${need[@]}" >/dev/null
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"; pkill -f "capture_server.py $PORT" 2>/dev/null' EXIT

# capture NAME CLIENT...: one connection from the client into NAME.bin.
capture() {
	local name=$1
	shift
	$PY capture_server.py "$PORT" "$WORK/$name.bin" &
	local srv=$!
	sleep 0.3
	# Shell functions (the browsers) run in a child bash that knows them.
	if declare -F "$1" >/dev/null; then
		timeout 30 bash -c "$(declare -f "$1"); WORK=$WORK PORT=$PORT $*" >/dev/null 2>&1 </dev/null &
	else
		timeout 30 "$@" >/dev/null 2>&1 </dev/null &
	fi
	local cli=$!
	wait $srv
	local rc=$?
	kill $cli 2>/dev/null
	wait $cli 2>/dev/null
	if [ $rc -eq 0 ] && [ -s "$WORK/$name.bin" ]; then
		cp "$WORK/$name.bin" "$name.bin"
		echo "captured $name.bin ($(stat -c %s "$name.bin") B)"
	else
		echo "FAILED to capture $name" >&2
	fi
}

LONG=$(printf 'a%.0s' {1..63}).$(printf 'b%.0s' {1..63}).$(printf 'c%.0s' {1..63}).$(printf 'd%.0s' {1..40}).example.com
capture openssl_sni_alpn openssl s_client -connect 127.0.0.1:$PORT -servername www.example.com -alpn h2,http/1.1
capture openssl_sni openssl s_client -connect 127.0.0.1:$PORT -servername api.example.net
capture openssl_nosni openssl s_client -connect 127.0.0.1:$PORT -noservername
capture openssl_tls12 openssl s_client -connect 127.0.0.1:$PORT -servername legacy.example.org -tls1_2
capture openssl_longsni openssl s_client -connect 127.0.0.1:$PORT -servername "$LONG"
capture openssl_mixedcase openssl s_client -connect 127.0.0.1:$PORT -servername WWW.Example.COM
capture curl_h2 curl -sk --http2 --resolve "curl.example.com:$PORT:127.0.0.1" "https://curl.example.com:$PORT/"
capture curl_h11 curl -sk --http1.1 --resolve "curl.example.com:$PORT:127.0.0.1" "https://curl.example.com:$PORT/"
capture gnutls gnutls-cli --insecure -p $PORT --alpn=h2 --alpn=http/1.1 --sni-hostname=gnutls.example.org 127.0.0.1
capture python $PY -c "
import socket, ssl
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
c.set_alpn_protocols(['h2', 'http/1.1'])
c.wrap_socket(socket.create_connection(('127.0.0.1', $PORT)), server_hostname='python.example.com')"
capture node node -e "
require('tls').connect({host: '127.0.0.1', port: $PORT, servername: 'node.example.com',
  ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false}).on('error', () => {});"
chrome() {
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$WORK/chrome-$RANDOM" --host-resolver-rules="MAP * 127.0.0.1" \
		--dump-dom "https://chrome.example.com:$PORT/"
}
for i in 1 2 3; do capture chromium_$i chrome; done
firefox() {
	local prof=$WORK/ff-$RANDOM
	mkdir -p "$prof"
	cat >"$prof/user.js" <<JS
user_pref("network.dns.forceResolve", "127.0.0.1");
user_pref("network.dns.disableIPv6", true);
user_pref("network.trr.mode", 5);
user_pref("network.http.http3.enable", false);
user_pref("app.update.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("extensions.update.enabled", false);
user_pref("browser.newtabpage.enabled", false);
JS
	firefox-esr --headless --no-remote --profile "$prof" "https://firefox.example.com:$PORT/"
}
for i in 1 2; do capture firefox_$i firefox; done

{
	echo "# file	sni	alpn (tshark $(tshark --version | head -1 | sed -E 's/^TShark \(Wireshark\) ([0-9.]+).*/\1/'))"
	for f in *.bin; do
		printf '%s\t%s\n' "$f" "$(./tshark_check.sh "$f")"
	done
} >expected.tsv
cat expected.tsv
