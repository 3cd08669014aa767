# What the QUIC end-to-end tests share (after lib.sh and netns.sh): counters
# from `ksteer stats -j`, the connections a gtlsserver saw (its qlog files),
# gtlsclient fetches that resolve the site names through a hosts file, and
# starting ksteerd.

# quic_need_tools WHAT CMD...: the suite skipped whole, its reason printed,
# when a CMD is not installed.
quic_need_tools() {
	local what=$1 t
	shift
	for t; do
		if ! command -v "$t" >/dev/null; then
			skip "$what: $t is not installed (Debian ngtcp2-server/ngtcp2-client, make deps)"
			summary
			exit 0
		fi
	done
}

# counters NAME...: ksteer stats values, "fallback.NAME" for ksteerd's.
counters() {
	in_srv $KSTEER stats -j | $PY -c '
import json, sys
d = json.load(sys.stdin)
out = []
for n in sys.argv[1:]:
    v = d
    for k in n.split("."):
        v = v.get(k, 0) if isinstance(v, dict) else 0
    out.append(str(v))
print(" ".join(out))' "$@"
}

# servers_alive NAME...: whether each server NAME (its pid in SPID[NAME],
# its log in $WORK/NAME.log) still runs; for one that does not, the end of
# its log (an unmodified server's assertion is its only account).
servers_alive() {
	local s rc=0
	for s in "$@"; do
		kill -0 "${SPID[$s]}" 2>/dev/null && continue
		echo "# $s (pid ${SPID[$s]}) has exited; the end of its log:"
		tail -n 3 "$WORK/$s.log" | cut -c1-200 | sed 's/^/#   /'
		rc=1
	done
	return $rc
}

# conns SERVER: connections that server has seen (one qlog file each, in
# $WORK/SERVER/qlog).
conns() { find "$WORK/$1/qlog" -type f | wc -l; }

# fetch DIR SITE PATH [ARGS...]: gtlsclient downloads https://SITE.example/PATH
# into DIR (its exit status); client output in DIR.log. The client is given
# the host name, not the address: gtlsclient 0.12 sends SNI "localhost" to
# a numeric host whatever --sni says. The name resolves through a hosts file
# ($HOSTS, default $WORK/hosts) mounted over /etc/hosts in a private mount
# namespace. FETCH_PORT (443), FETCH_NS (the client namespace) and
# FETCH_TIMEOUT (5 s) change where from, where to and how long.
fetch() {
	local dir=$1 site=$2 path=$3
	shift 3
	mkdir -p "$dir"
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "${HOSTS:-$WORK/hosts}" \
		nsenter --net=/run/netns/${FETCH_NS:-$CLI_NS} timeout ${FETCH_TIMEOUT:-5} gtlsclient \
		--exit-on-all-streams-close --download="$dir" "$@" \
		$site.example ${FETCH_PORT:-443} "https://$site.example/$path" >"$dir.log" 2>&1
}

# start_ksteerd LOG ARGS...: ksteerd in the server namespace, its stderr in
# LOG, its pid in $KD once it listens on $SRV4:443; non-zero if it did not
# stay up.
start_ksteerd() {
	local log=$1
	shift
	nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" "$@" 2>"$log" &
	KD=$!
	wait_listen $SRV4 443
	sleep 0.2
	kill -0 $KD 2>/dev/null
}

# client DIR SITE PORT TIMEOUT ARGS... -- URL-PATHS...: gtlsclient into DIR,
# from the client namespace, SITE.example resolved by $WORK/hosts.
client() {
	local dir=$1 site=$2 port=$3 t=$4 urls=()
	shift 4
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	for u in "$@"; do urls+=("https://$site.example:$port/$u"); done
	mkdir -p "$dir"
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$WORK/hosts" \
		nsenter --net=/run/netns/$CLI_NS timeout $t gtlsclient --exit-on-all-streams-close \
		--download="$dir" "${args[@]}" $site.example $port "${urls[@]}" >"$dir.log" 2>&1
}
