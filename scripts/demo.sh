#!/usr/bin/env bash
# make demo: two TLS sites on one address and port, steered by ksteer.
#   scripts/demo.sh start   build, set up namespaces ksdemo-s/ksdemo-c, show it
#   scripts/demo.sh stop    remove everything it made
set -euo pipefail
cd "$(dirname "$0")/.."
KS_TAG=ksdemo
source tests/lib/netns.sh
export KSTEER_PIN_DIR=/sys/fs/bpf/ksteer-demo
DEMO=/run/ksteer-demo
KSTEER=$PWD/build/ksteer

stop() {
	in_srv "$KSTEER" down >/dev/null 2>&1 || true
	ks_netns_down
	rm -rf "$DEMO"
}

site() { # NAME PORT
	local d=$DEMO/$1
	mkdir -p "$d/www"
	echo "Hello from $1 (nginx on 0.0.0.0:$2)" >"$d/www/index.html"
	cat >"$d/nginx.conf" <<CONF
daemon on;
user root;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log;
events {}
http {
	log_format ks '\$remote_addr:\$remote_port -> \$server_addr:\$server_port sni=\$ssl_server_name';
	access_log $d/access.log ks;
	server {
		listen $2 ssl;
		ssl_certificate $DEMO/$1.pem;
		ssl_certificate_key $DEMO/$1.key;
		location / { root $d/www; }
	}
}
CONF
	in_srv nginx -p "$d" -c "$d/nginx.conf"
}

start() {
	stop
	mkdir -p "$DEMO"
	ks_netns_up
	ks_make_certs "$DEMO" a.demo b.demo
	in_srv "$KSTEER" up -a $SRV4 -a $SRV6 -p 443
	in_srv "$KSTEER" backend add site-a 0.0.0.0:9001
	in_srv "$KSTEER" backend add site-b 0.0.0.0:9002
	in_srv "$KSTEER" route add a.demo site-a
	in_srv "$KSTEER" route add '*.b.demo' site-b
	in_srv "$KSTEER" route add b.demo site-b
	site a.demo 9001
	site b.demo 9002
	sleep 0.5
	for h in a.demo www.b.demo; do
		echo "\$ curl https://$h/   (from the client namespace, to $SRV4:443)"
		in_cli curl -sS --cacert "$DEMO/${h#www.}.pem" --resolve "$h:443:$SRV4" "https://$h/"
	done
	echo
	echo "What the backends' accepted sockets saw (nginx access logs):"
	cat "$DEMO"/*/access.log
	echo
	in_srv "$KSTEER" route list
	echo
	echo "The demo is running. Try:"
	echo "  nsenter --net=/run/netns/$CLI_NS curl -k --resolve x.b.demo:443:$SRV4 https://x.b.demo/"
	echo "  nsenter --net=/run/netns/$SRV_NS env KSTEER_PIN_DIR=$KSTEER_PIN_DIR $KSTEER stats"
	echo "Remove it with: make demo-stop"
}

case ${1:-start} in
start) start ;;
stop) stop ;;
*) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
