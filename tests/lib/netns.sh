# Namespaces for the end-to-end tests: a server side and a client side over
# veth, with addresses from the benchmarking range (RFC 2544) and ULA IPv6.
# ks_netns_up creates them, ks_netns_down removes them (call it from a trap).
KS_TAG=${KS_TAG:-ks$$}
# The pin directory a script's `ksteer up` uses (KS_TAG and KS_PIN set:
# names apart from other runs sharing the kernel).
KS_PIN=${KS_PIN:-/sys/fs/bpf/ksteer-test-$$}
SRV_NS=${KS_TAG}-srv
CLI_NS=${KS_TAG}-cli
SRV4=198.18.0.1
CLI4=198.18.0.2
SRV6=fd00:6b73::1
CLI6=fd00:6b73::2
SRV_IF=${KS_TAG}-s
CLI_IF=${KS_TAG}-c

in_srv() { nsenter --net=/run/netns/$SRV_NS "$@"; }
in_cli() { nsenter --net=/run/netns/$CLI_NS "$@"; }
in_ns() { local ns=$1; shift; nsenter --net=/run/netns/$ns "$@"; }

# More namespaces than the two (a container behind the server, a scratch
# one): ks_netns_extra NAME creates one with lo up; ks_netns_down removes
# them with the others.
KS_EXTRA_NS=()
ks_netns_extra() {
	ip netns add "$1" || return 1
	KS_EXTRA_NS+=("$1")
	ip -n "$1" link set lo up
}

# ks_veth NS_A IF_A ADDR_A NS_B IF_B ADDR_B: a veth pair between two
# namespaces, each end given its address (with prefix length) and up.
ks_veth() {
	ip link add "$2" type veth peer name "$5" || return 1
	ip link set "$2" netns "$1" && ip link set "$5" netns "$4" || return 1
	ip -n "$1" addr add "$3" dev "$2" && ip -n "$4" addr add "$6" dev "$5" || return 1
	ip -n "$1" link set "$2" up && ip -n "$4" link set "$5" up
}

ks_netns_up() {
	ip netns add "$SRV_NS" && ip netns add "$CLI_NS" || return 1
	ip link add "$SRV_IF" type veth peer name "$CLI_IF" || return 1
	ip link set "$SRV_IF" netns "$SRV_NS"
	ip link set "$CLI_IF" netns "$CLI_NS"
	ip -n "$SRV_NS" addr add $SRV4/24 dev "$SRV_IF"
	ip -n "$CLI_NS" addr add $CLI4/24 dev "$CLI_IF"
	ip -n "$SRV_NS" addr add $SRV6/64 dev "$SRV_IF" nodad
	ip -n "$CLI_NS" addr add $CLI6/64 dev "$CLI_IF" nodad
	for ns in "$SRV_NS" "$CLI_NS"; do
		ip -n "$ns" link set lo up
	done
	ip -n "$SRV_NS" link set "$SRV_IF" up
	ip -n "$CLI_NS" link set "$CLI_IF" up
	# GRO off: the worst case, one skb per segment, as on a busy host.
	ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" gro off >/dev/null 2>&1 || true
}

ks_netns_down() {
	local pids
	for ns in "$SRV_NS" "$CLI_NS" "${KS_EXTRA_NS[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then kill $pids 2>/dev/null || true; fi
	done
	sleep 0.2
	for ns in "$SRV_NS" "$CLI_NS" "${KS_EXTRA_NS[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null || true)
		if [ -n "$pids" ]; then kill -9 $pids 2>/dev/null || true; fi
		ip netns del "$ns" 2>/dev/null || true
	done
	return 0
}

# A self-signed certificate for each host name given, in directory $1.
ks_make_certs() {
	local dir=$1
	shift
	for h in "$@"; do
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout "$dir/$h.key" -out "$dir/$h.pem" -days 2 -subj "/CN=$h" \
			-addext "subjectAltName=DNS:$h,DNS:*.$h" 2>/dev/null || return 1
	done
}

# Wait until something listens on ADDR:PORT inside the server namespace.
wait_listen() {
	for _ in $(seq 50); do
		in_srv ss -Hltn "sport = :$2" | grep -q "$1:$2" && return 0
		sleep 0.1
	done
	return 1
}

# ks_test_begin DESC: what every end-to-end script starts with: root, its own
# pin directory and scratch directory, the namespaces, and one cleanup trap
# that takes all of it down again.
ks_test_begin() {
	need_root "$1"
	export KSTEER_PIN_DIR=$KS_PIN
	WORK=$(mktemp -d)
	trap ks_test_end EXIT
	trap 'exit 143' TERM INT          # killed: still clean up (EXIT)
	ks_netns_up || { fail "cannot create namespaces"; summary; exit 1; }
}

# ks_on_exit CMD: one more command for ks_test_end to run first (as eval
# does), for what a script creates beyond the namespaces and the pins.
KS_ON_EXIT=()
ks_on_exit() { KS_ON_EXIT+=("$1"); }

ks_test_end() {
	local c
	for c in "${KS_ON_EXIT[@]}"; do eval "$c" >/dev/null 2>&1; done
	in_srv "$KSTEER" down >/dev/null 2>&1
	# The script's own background jobs end with it; reaping them here keeps
	# bash's "Terminated" notices from trailing the summary line.
	{
		local jobs_left
		jobs_left=$(jobs -p)
		[ -n "$jobs_left" ] && kill $jobs_left
		ks_netns_down
		wait
	} 2>/dev/null
	rm -rf "$WORK"
}

# ks_nginx NAME LISTEN CERT_HOST [WORKERS]: an unmodified nginx in the server
# namespace answering "backend NAME" with CERT_HOST's certificate (from
# $WORK). $WORK/nginx-NAME/access.log has one line per request in the
# format NGINX_LOG (default: peer address, peer port, the local address and
# port as nginx sees them, SNI). Its master's pid is in master.pid.
ks_nginx() {
	local name=$1 listen=$2 host=$3 workers=${4:-1} d=$WORK/nginx-$1
	local fmt=${NGINX_LOG:-'$remote_addr $remote_port $server_addr $server_port $ssl_server_name'}
	mkdir -p "$d/www"
	echo "backend $name" >"$d/www/index.html"
	cat >"$d/nginx.conf" <<EOF
daemon off;
user root;
worker_processes $workers;
pid $d/nginx.pid;
error_log $d/error.log;
events { worker_connections 1024; }
http {
	log_format ks '$fmt';
	access_log $d/access.log ks;
	server {
		listen $listen ssl;
		ssl_certificate $WORK/$host.pem;
		ssl_certificate_key $WORK/$host.key;
		location / { root $d/www; }
	}
}
EOF
	nsenter --net=/run/netns/$SRV_NS nginx -p "$d" -c "$d/nginx.conf" &
	echo $! >"$d/master.pid"
}
