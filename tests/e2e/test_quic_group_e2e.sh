#!/usr/bin/env bash
# QUIC servers in one SO_REUSEPORT group (group mode: TC passes short
# headers untouched, the group's sk_reuseport program routes them, by CID,
# pair or probe): two unmodified gtlsservers on $SRV4:443, put in one group
# by tests/tools/reuseport_shim.c (LD_PRELOAD: SO_REUSEPORT before bind),
# gtlsclient through ksteer:
#   handshake to each site (its Initial routed by TC, the rest by the group)
#   rebind-port (--nat-rebinding: the same CID from a new port: routed by
#     CID, the rebinding expected and learned from the owner's answer)
#   connectionmigration (--change-local-addr: a new port and a CID issued
#     in an encrypted frame: probed in the group, learned from the owner)
# each ending as gtlsclient does straight to a server (exit 0, the bytes);
# short headers routed by the group program (reuseport_quic_group_routed),
# none found outside the group (quic_outside_group 0: group mode held).
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
source "$(dirname "$0")/../lib/quic.sh"
need_root "QUIC group tests"
quic_need_tools "QUIC group" gtlsserver gtlsclient unshare
SHIM=$ROOT/build/reuseport_shim.so
[ -e "$SHIM" ] || { skip "QUIC group: $SHIM not built (make all)"; summary; exit 0; }
ks_test_begin "QUIC group tests"
ks_make_certs "$WORK" qa.example qb.example || { fail "cannot make certificates"; summary; exit 1; }
for s in qa qb; do
	mkdir -p "$WORK/$s/www"
	echo "site $s" >"$WORK/$s/www/index.html"
	head -c 3000000 /dev/urandom >"$WORK/$s/www/big"
done
head -c 2000000 /dev/urandom >"$WORK/upload"
check "ksteer up --quic" in_srv $KSTEER up -a $SRV4 -p 443 --quic
declare -A SPID
for s in qa qb; do
	nsenter --net=/run/netns/$SRV_NS env LD_PRELOAD="$SHIM" gtlsserver -q -d "$WORK/$s/www" \
		$SRV4 443 "$WORK/$s.example.key" "$WORK/$s.example.pem" >"$WORK/$s.log" 2>&1 &
	SPID[$s]=$!
	ks_on_exit "kill ${SPID[$s]}"
done
for _ in $(seq 50); do
	[ "$(in_srv ss -Hulpn | grep -c gtlsserver)" -ge 2 ] && break
	sleep 0.1
done
expect_eq "both servers bound $SRV4:443 (the shim's SO_REUSEPORT lets the second)" 2 \
	"$(in_srv ss -Hulpn "sport = :443" | grep -c gtlsserver)"
for s in qa qb; do
	check "backend $s registered by pid" in_srv $KSTEER backend add $s --pid ${SPID[$s]}
	in_srv $KSTEER route add $s.example $s
done
printf '%s qa.example qb.example\n' $SRV4 >"$WORK/hosts"
got_post() { [ "$(stat -c %s "$WORK/$1/big" 2>/dev/null)" = 3000000 ] && cmp -s "$WORK/$1/big" "$WORK/$2/www/big"; }
C="reuseport_quic_group_routed quic_outside_group quic_probed quic_probe_learned"
read -r g0 o0 p0 l0 <<<"$(counters $C)"
for s in qa qb; do
	client "$WORK/hs-$s" $s 443 10 -q -- index.html
	check "handshake $s: exit 0" test $? = 0
	expect_eq "handshake $s: its site's page" "site $s" "$(cat "$WORK/hs-$s/index.html" 2>/dev/null)"
done
read -r g1 o1 p1 l1 <<<"$(counters $C)"
check "handshakes: short headers routed by the group's program" test $((g1 - g0)) -gt 0
# The path changes while the client uploads, both ways held to 100 Mbit/s
# so that the change 100 ms in falls inside the transfer.
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc add dev "${ns#*:}" root tbf rate 100mbit burst 64kb latency 100ms
done
client "$WORK/rebind" qb 443 30 --no-quic-dump --no-http-dump --change-local-addr=100ms --nat-rebinding \
	-m POST -d "$WORK/upload" -- big
check "rebind-port: exit 0" test $? = 0
check "rebind-port: qb's bytes" got_post rebind qb
read -r g2 o2 p2 l2 <<<"$(counters $C)"
check "rebind-port: routed by the group's program" test $((g2 - g1)) -gt 0
client "$WORK/migrate" qa 443 30 --no-quic-dump --no-http-dump --change-local-addr=100ms \
	-m POST -d "$WORK/upload" -- big
check "connectionmigration: exit 0" test $? = 0
check "connectionmigration: qa's bytes" got_post migrate qa
read -r g3 o3 p3 l3 <<<"$(counters $C)"
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc del dev "${ns#*:}" root
done
echo "# group routed +$((g3 - g0)), probed +$((p3 - p0)), learned from the owner +$((l3 - l0))"
check "migrations: new pairs learned from their owner's answer" test $((l3 - l0)) -gt 0
expect_eq "no server socket found outside the group (group mode held)" 0 $((o3 - o0))
summary
