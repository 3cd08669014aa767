#!/usr/bin/env bash
# The QUIC interop runner's cases with Debian's unmodified ngtcp2 client and
# servers (gtlsclient/gtlsserver), each run twice: through ksteer's UDP 443,
# shared by several servers, and straight to a server on a port ksteer does
# not steer (4433+). Each must end the same way: the client exits 0 with
# the server's bytes. Through ksteer the client's address also carries a
# long-lived connection to the other server (qa), so that nothing can be
# told from the client address alone.
#   handshake, transfer (5 MB), chacha20, multiplexing (10 files on one
#   connection), retry (gtlsserver -V), resumption (--session-file),
#   keyupdate, rebind-port (--nat-rebinding), connectionmigration
#   (--change-local-addr: a new port and a CID issued in an encrypted frame),
#   preferredaddress (--preferred-ipv4-addr), handshakeloss and
#   transferloss (10 % / 2 % of datagrams lost both ways on the client's
#   link, tests/progs/udp_loss.bpf.c: this kernel has no netem);
#   then a deleted and re-added backend id inherits nothing learned.
#   rebind-addr (a NAT in BPF on the client's link changes its address
#   mid-download, tests/progs/nat_rebind.bpf.c);
# Not run here: zerortt, versionnegotiation and ECN (ksteerd's side).
# New connections are routed by TC, which reads gtlsclient's one-datagram
# ClientHellos (quic_kernel_routed); ksteerd runs for what it cannot read.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
source "$(dirname "$0")/../lib/quic.sh"
need_root "QUIC interop tests"
quic_need_tools "QUIC interop" gtlsserver gtlsclient bpftool openssl unshare
ks_test_begin "QUIC interop tests"
SITES="qa qb qr qp"                         # qr: Retry (-V); qp: a preferred address
ks_make_certs "$WORK" qa.example qb.example qr.example qp.example ||
	{ fail "cannot make certificates"; summary; exit 1; }
BIG=5000000
for s in $SITES; do
	mkdir -p "$WORK/$s/www" "$WORK/$s/qlog"
	echo "site $s" >"$WORK/$s/www/index.html"
	head -c $BIG /dev/urandom >"$WORK/$s/www/big"
	for i in $(seq 10); do echo "$s file $i" >"$WORK/$s/www/f$i"; done
done
head -c 2000000 /dev/urandom >"$WORK/upload"
SRV4B=198.18.0.3                            # qp's preferred address, public too
ip -n "$SRV_NS" addr add $SRV4B/24 dev "$SRV_IF"
check "ksteer up --quic" in_srv $KSTEER up -a $SRV4 -a $SRV4B -p 443 --quic

# qb's server through ksteer runs in a cgroup of its own, as a service
# would: restarted there, it is registered again by its bind (ksteerd).
CG=""
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	if [ "$(stat -f -c %T $d 2>/dev/null)" = cgroup2fs ] && mkdir "$d/$KS_TAG-qb" 2>/dev/null; then
		CG=$d/$KS_TAG-qb
		break
	fi
done
kq_end() {
	[ -n "${SPID[qb-443]}" ] && kill ${SPID[qb-443]} 2>/dev/null
	wait ${SPID[qb-443]} 2>/dev/null
	ks_test_end
	[ -n "$CG" ] && rmdir "$CG" 2>/dev/null
}
trap kq_end EXIT
# serve SITE PORT [ARGS...]: an unmodified gtlsserver on '*' PORT; its pid in
# SPID. qb on 443 in its cgroup ($CG).
declare -A SPID
serve() {
	local s=$1 port=$2 cg=/dev/null
	shift 2
	[ "$s-$port" = qb-443 ] && [ -n "$CG" ] && cg=$CG/cgroup.procs
	sh -c 'echo $$ >"$0" && exec "$@"' $cg nsenter --net=/run/netns/$SRV_NS gtlsserver -q -d "$WORK/$s/www" --qlog-dir="$WORK/$s/qlog" \
		"$@" '*' $port "$WORK/$s.example.key" "$WORK/$s.example.pem" >>"$WORK/$s-$port.log" 2>&1 &
	SPID[$s-$port]=$!
}
# Through ksteer: all four share 443 (SO_REUSEADDR). Direct: one each on 4433+.
serve qa 443 --timeout=300s            # idle timeout: the held connection below
serve qb 443
serve qr 443 -V
serve qp 443 --preferred-ipv4-addr=$SRV4B:443
serve qb 4433
serve qr 4434 -V
serve qp 4435 --preferred-ipv4-addr=$SRV4B:4435
for _ in $(seq 50); do
	[ "$(in_srv ss -Hulpn | grep -c gtlsserver)" -ge 14 ] && break
	sleep 0.1
done
for s in $SITES; do
	check "backend $s registered by pid" in_srv $KSTEER backend add $s --pid ${SPID[$s-443]}
	in_srv $KSTEER route add $s.example $s
done
start_ksteerd "$WORK/ksteerd.log" --listen $SRV4:443 --quic || fail "ksteerd --quic did not start"

printf '%s qa.example qb.example qr.example qp.example\n' $SRV4 >"$WORK/hosts"

# The long-lived connection from the client's address to qa: idle, kept
# open by a 300 s idle timeout (both ends) while every case below runs.
mkdir -p "$WORK/hold"
unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$WORK/hosts" \
	nsenter --net=/run/netns/$CLI_NS gtlsclient -q --timeout=300s --download="$WORK/hold" \
	qa.example 443 https://qa.example/index.html >"$WORK/hold.log" 2>&1 &
HOLD=$!
for _ in $(seq 50); do [ -s "$WORK/hold/index.html" ] && break; sleep 0.1; done
expect_eq "a connection to qa from the client's address stays open" "site qa" \
	"$(cat "$WORK/hold/index.html" 2>/dev/null)"

# same NAME SITE CHECK TIMEOUT ARGS... -- PATHS...: the case through ksteer
# (port 443) and direct (the site's own port); both must pass CHECK DIR SITE.
declare -A DPORT=([qb]=4433 [qr]=4434 [qp]=4435)
same() {
	local name=$1 site=$2 ok=$3 t=$4 how port res=""
	shift 4
	for how in ksteer direct; do
		port=443
		[ $how = direct ] && port=${DPORT[$site]}
		client "$WORK/$name-$how" $site $port $t "$@"
		if [ $? = 0 ] && $ok "$WORK/$name-$how" $site; then res="$res $how:ok"; else res="$res $how:FAILED"; fi
	done
	expect_eq "$name: through ksteer as direct" " ksteer:ok direct:ok" "$res"
}
got_index() { [ "$(cat "$1/index.html" 2>/dev/null)" = "site $2" ]; }
got_big() { cmp -s "$1/big" "$WORK/$2/www/big"; }
got_all() {
	for i in $(seq 10); do [ "$(cat "$1/f$i" 2>/dev/null)" = "$2 file $i" ] || return 1; done
}
got_post() { got_big "$@" && grep -q 'Changing local address' "$1.log"; }
resumed() { got_index "$@" && grep -qi 'resum' "$1.log"; }

read -r kr0 fr0 <<<"$(counters quic_kernel_routed fallback.quic_routed)"
same handshake qb got_index 10 -q -- index.html
same transfer qb got_big 30 -q -- big
same chacha20 qb got_index 10 -q --ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305 -- index.html
same multiplexing qb got_all 10 -q -- f1 f2 f3 f4 f5 f6 f7 f8 f9 f10
same retry qr got_index 10 -q -- index.html
# resumption: the first connection saves its ticket, the second resumes it:
# the server's Handshake flight then carries no certificate. Early data off:
# gtlsclient 0.12 crashes resuming with 0-RTT but without a --tp-file.
hs_bytes() { awk -F'len=' '/frm rx .* Handshake CRYPTO/ { n += $2 } END { print n + 0 }' "$1"; }
res=""
for how in ksteer direct; do
	port=443
	[ $how = direct ] && port=4433
	for r in resume0 resume; do
		client "$WORK/$r-$how" qb $port 10 --no-http-dump --disable-early-data \
			--session-file="$WORK/sess-$how" -- index.html
	done
	full=$(hs_bytes "$WORK/resume0-$how.log") short=$(hs_bytes "$WORK/resume-$how.log")
	echo "# resumption $how: server Handshake CRYPTO bytes $full, then resumed $short"
	if got_index "$WORK/resume-$how" qb && [ "${short:-0}" -gt 0 ] && [ "$short" -lt "${full:-0}" ]; then
		res="$res $how:ok"
	else
		res="$res $how:FAILED"
	fi
done
expect_eq "resumption: through ksteer as direct" " ksteer:ok direct:ok" "$res"
same keyupdate qb got_big 30 -q --key-update=100ms -- big
read -r pr0 pl0 <<<"$(counters quic_probed quic_probe_learned)"
# The path changes while the client uploads (see test_quic_e2e.sh: a client
# that only receives never sends from its new port), both ways held to
# 100 Mbit/s so that the change 100 ms in falls inside the transfer.
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc add dev "${ns#*:}" root tbf rate 100mbit burst 64kb latency 100ms
done
same rebind-port qb got_post 30 --no-quic-dump --no-http-dump --change-local-addr=100ms \
	--nat-rebinding -m POST -d "$WORK/upload" -- big
same connectionmigration qb got_post 30 --no-quic-dump --no-http-dump --change-local-addr=100ms \
	-m POST -d "$WORK/upload" -- big
# rebind-addr: a NAT gives the client a new address under its socket
# (tests/progs/nat_rebind.bpf.c, attached 0.6 s into a 2 s download): same
# CID, new address; the server validates the new path and goes on.
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc change dev "${ns#*:}" root tbf rate 20mbit burst 64kb latency 100ms
done
ip -n "$CLI_NS" addr add 198.18.0.4/24 dev "$CLI_IF"
ip netns exec "$CLI_NS" tc qdisc add dev "$CLI_IF" clsact
res=""
for how in ksteer direct; do
	port=443
	[ $how = direct ] && port=4433
	read -r l0 <<<"$(counters quic_probe_learned)"
	client "$WORK/rebind-addr-$how" qb $port 30 --no-quic-dump --no-http-dump -- big &
	c=$!
	sleep 0.6
	# Ingress first: nothing comes back to the new address before egress
	# sends from it, and nothing that does may find no NAT.
	for d in "ingress tc/in" "egress tc/out"; do
		ip netns exec "$CLI_NS" tc filter add dev "$CLI_IF" ${d% *} bpf da \
			obj "$ROOT/build/nat_rebind.bpf.o" sec ${d#* }
	done
	wait $c
	r=$?
	for d in egress ingress; do ip netns exec "$CLI_NS" tc filter del dev "$CLI_IF" $d; done
	read -r l1 <<<"$(counters quic_probe_learned)"
	echo "# rebind-addr $how: client exit $r; new pairs learned from their owner +$((l1 - l0))"
	if [ $r = 0 ] && got_big "$WORK/rebind-addr-$how" qb &&
		{ [ $how = direct ] || [ $((l1 - l0)) -gt 0 ]; }; then
		res="$res $how:ok"
	else
		res="$res $how:FAILED"
	fi
done
expect_eq "rebind-addr: through ksteer (the new pair learned from qb's answer) as direct" \
	" ksteer:ok direct:ok" "$res"
ip netns exec "$CLI_NS" tc qdisc del dev "$CLI_IF" clsact
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc del dev "${ns#*:}" root
done
same preferredaddress qp got_big 30 -q -- big
read -r pr1 pl1 <<<"$(counters quic_probed quic_probe_learned)"
check "migration and preferred address: the new paths probed ($((pr1 - pr0)) datagrams), their \
owners learned from their answers ($((pl1 - pl0)))" test $((pr1 - pr0)) -gt 0 -a $((pl1 - pl0)) -ge 2

# Loss, both ways on the client's link: 10 % for the handshake, 2 % for a
# transfer (XDP on both veth ends: this kernel has no netem).
lossy() {
	ip -n "$SRV_NS" link set dev "$SRV_IF" xdpgeneric off
	ip -n "$CLI_NS" link set dev "$CLI_IF" xdpgeneric off
	[ "$1" = off ] && return 0
	ip -n "$SRV_NS" link set dev "$SRV_IF" xdpgeneric obj "$ROOT/build/udp_loss.bpf.o" sec "xdp/$1" &&
		ip -n "$CLI_NS" link set dev "$CLI_IF" xdpgeneric obj "$ROOT/build/udp_loss.bpf.o" sec "xdp/$1"
}
if lossy loss10; then
	same handshakeloss qb got_all 30 -q -- f1 f2 f3 f4 f5 f6 f7 f8 f9 f10
	lossy loss2
	same transferloss qb got_big 60 -q -- big
	lossy off
else
	skip "handshakeloss, transferloss: cannot attach the XDP loss program"
	lossy off
fi
check "the long-lived connection to qa is still up" kill -0 $HOLD

# A QUIC server killed and restarted while ksteer is up: its new sockets are
# registered when it binds (post_bind, then ksteerd), and new connections
# reach it with no `backend add --pid`.
if [ -n "$CG" ]; then
	read -r bs0 <<<"$(counters quic_server_binds)"
	kill ${SPID[qb-443]}
	wait ${SPID[qb-443]} 2>/dev/null
	client "$WORK/restart-gone" qb 443 3 -q -- index.html
	check "qb killed: its site does not answer" test ! -s "$WORK/restart-gone/index.html"
	b0=$(conns qb)
	serve qb 443
	for _ in $(seq 30); do
		[ "$(in_srv $KSTEER backend list -j | $PY -c "import json,sys; print([b['quic_sockets'] for b in json.load(sys.stdin) if b['name']=='qb'][0])")" -ge 1 ] && break
		sleep 0.1
	done
	read -r bs1 <<<"$(counters quic_server_binds)"
	check "qb restarted: its binds seen ($((bs1 - bs0)))" test $((bs1 - bs0)) -ge 1
	same restart qb got_index 10 -q -- index.html
	check "qb restarted: the connection reached the new process (its qlog)" \
		test "$(conns qb)" -gt "$b0"
else
	skip "restarted QUIC server: no cgroup v2 to run it in"
fi

# A deleted backend's learned state goes with it: nothing of qb's reaches
# a backend that takes its id next.
bid() { in_srv $KSTEER backend list -j | $PY -c "import json,sys; print([b['id'] for b in json.load(sys.stdin) if b['name']=='$1'][0])"; }
read -r kr1 fr1 <<<"$(counters quic_kernel_routed fallback.quic_routed)"
echo "# new connections routed: by the kernel $((kr1 - kr0)), by ksteerd $((fr1 - fr0))"
check "the cases' new connections routed by the kernel ($((kr1 - kr0)))" test $((kr1 - kr0)) -ge 10
# owned MAP ID: entries of a pinned map whose value's first u32 is ID.
owned() {
	bpftool -j map dump pinned "$KSTEER_PIN_DIR/$1" | $PY -c '
import json, sys
n = 0
for e in json.load(sys.stdin):
    v = e.get("value")
    if isinstance(v, list) and int(v[0], 16) == int(sys.argv[1]):
        n += 1
print(n)' "$2"
}
id=$(bid qb)
learned="$(owned ks_quic_scids $id) $(owned ks_quic_paths $id)"
check "qb's connections were learned (CIDs, pairs: $learned)" test "$learned" != "0 0"
in_srv $KSTEER route del qb.example
check "backend qb deleted" in_srv $KSTEER backend del qb
in_srv $KSTEER backend add qb2 --pid ${SPID[qb-4433]} >/dev/null 2>&1   # 4433 is no public port
in_srv $KSTEER backend add qb2 10.9.9.9:8443 >/dev/null 2>&1
expect_eq "a backend added after it (id $(bid qb2 2>/dev/null || echo '?')): no CID or pair of qb's id $id" \
	"0 0 0" "$(owned ks_quic_scids $id) $(owned ks_quic_paths $id) $(owned ks_quic_cids $id)"

kill $HOLD $KD 2>/dev/null
wait $HOLD $KD 2>/dev/null
check "ksteer down" in_srv $KSTEER down
summary
