#!/usr/bin/env bash
# A real browser through ksteer: headless Chromium (post-quantum key share,
# extensions shuffled per connection, a ~2 KB ClientHello in two segments on
# this 1500-byte MTU with GRO off) loads pages from two unmodified nginx
# sites on one address and port. Its hellos are reassembled in the kernel.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/netns.sh"
need_root "browser end-to-end tests"
CHROMIUM=$(command -v chromium || command -v chromium-browser)
if [ -z "$CHROMIUM" ]; then
	skip "chromium is not installed (scripts/install-deps.sh installs it)"
	summary
	exit 0
fi
export KSTEER_PIN_DIR=/sys/fs/bpf/ksteer-browser-$$
WORK=$(mktemp -d)
cleanup() {
	in_srv $KSTEER down >/dev/null 2>&1
	ks_netns_down
	rm -rf "$WORK"
}
trap cleanup EXIT

ks_netns_up || { fail "cannot create namespaces"; summary; exit 1; }
# Each segment its own packet, as from a NIC: no GSO on the client side.
ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1
check "ksteer up" in_srv $KSTEER up -i lo -i "$SRV_IF" -p 443
ks_make_certs "$WORK" a.example b.example
for site in a b; do
	d=$WORK/$site
	port=9001
	[ $site = b ] && port=9002
	mkdir -p "$d/www"
	echo "<html><body>site $site</body></html>" >"$d/www/index.html"
	cat >"$d/nginx.conf" <<EOF
daemon off;
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events {}
http {
	log_format ks '\$remote_addr \$server_addr:\$server_port \$ssl_server_name "\$http_user_agent"';
	access_log $d/access.log ks;
	server {
		listen $port ssl;
		ssl_certificate $WORK/$site.example.pem;
		ssl_certificate_key $WORK/$site.example.key;
		location / { root $d/www; }
	}
}
EOF
done
in_srv $KSTEER backend add a 0.0.0.0:9001
in_srv $KSTEER backend add b 0.0.0.0:9002
in_srv $KSTEER route add a.example a
in_srv $KSTEER route add b.example b
for site in a b; do
	nsenter --net=/run/netns/$SRV_NS nginx -p "$WORK/$site" -c "$WORK/$site/nginx.conf" &
done
wait_listen 0.0.0.0 9001 && wait_listen 0.0.0.0 9002 || fail "nginx did not start"

counter() { in_srv $KSTEER stats -j | $PY -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

# browse HOST: the page body as Chromium rendered it.
browse() {
	in_cli timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$WORK/profile-$RANDOM$RANDOM" \
		--host-resolver-rules="MAP *.example $SRV4" --ignore-certificate-errors \
		--dump-dom "https://$1/" 2>/dev/null | grep -o 'site [ab]'
}

r0=$(counter reasm_completed)
good=0
for i in 1 2 3; do
	[ "$(browse a.example)" = "site a" ] && good=$((good + 1))
	[ "$(browse b.example)" = "site b" ] && good=$((good + 1))
done
expect_eq "Chromium: 6 page loads, each from the site its SNI names" 6 "$good"
r=$(($(counter reasm_completed) - r0))
check "Chromium's ClientHellos were reassembled in the kernel ($r connections)" test "$r" -ge 6
line=$(grep -m1 HeadlessChrome "$WORK/b/access.log")
set -- $line
expect_eq "nginx saw Chromium's own address and the public address" "$CLI4 $SRV4:443 b.example" "$1 $2 $3"
expect_eq "nothing refused" "0 0 0" "$(counter no_route) $(counter hello_malformed) $(counter reasm_rewrite_failed)"
summary
