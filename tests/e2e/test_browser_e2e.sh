#!/usr/bin/env bash
# A real browser through ksteer: headless Chromium (post-quantum key share,
# extensions shuffled per connection, a ~2 KB ClientHello in two segments on
# this 1500-byte MTU with GRO off) loads pages from two unmodified nginx
# sites on one address and port. Its hellos are placed in the kernel: on
# the first segment when its shuffled extensions put the SNI there, else
# reassembled.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	skip "chromium is not installed (scripts/install-deps.sh installs it)"
	summary
	exit 0
fi
ks_test_begin "browser end-to-end tests"
# Each segment its own packet, as from a NIC: no GSO on the client side.
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
check "ksteer up" in_srv $KSTEER up -a $SRV4 -a $SRV6 -p 443
ks_make_certs "$WORK" a.example b.example
in_srv $KSTEER backend add a 0.0.0.0:9001
in_srv $KSTEER backend add b 0.0.0.0:9002
in_srv $KSTEER route add a.example a
in_srv $KSTEER route add b.example b
NGINX_LOG='$remote_addr $server_addr:$server_port $ssl_server_name "$http_user_agent"'
ks_nginx a 9001 a.example
ks_nginx b 9002 b.example
wait_listen 0.0.0.0 9001 && wait_listen 0.0.0.0 9002 || fail "nginx did not start"

counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# browse HOST: the page body as Chromium rendered it.
browse() {
	in_cli timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$WORK/profile-$RANDOM$RANDOM" \
		--host-resolver-rules="MAP *.example $SRV4" --ignore-certificate-errors \
		--dump-dom "https://$1/" 2>/dev/null | grep -o 'backend [ab]'
}

r0=$(counter reasm_completed)
p0=$(counter hello_placed_partial)
good=0
for i in 1 2 3; do
	[ "$(browse a.example)" = "backend a" ] && good=$((good + 1))
	[ "$(browse b.example)" = "backend b" ] && good=$((good + 1))
done
expect_eq "Chromium: 6 page loads, each from the site its SNI names" 6 "$good"
r=$(($(counter reasm_completed) - r0))
p=$(($(counter hello_placed_partial) - p0))
check "Chromium's two-segment ClientHellos were placed in the kernel ($p on the first segment, $r reassembled)" \
	test $((r + p)) -ge 6
line=$(grep -m1 HeadlessChrome "$WORK/nginx-b/access.log")
set -- $line
expect_eq "nginx saw Chromium's own address and the public address" "$CLI4 $SRV4:443 b.example" "$1 $2 $3"
expect_eq "nothing refused" "0 0 0" "$(counter no_route) $(counter hello_malformed) $(counter reasm_rewrite_failed)"
summary
