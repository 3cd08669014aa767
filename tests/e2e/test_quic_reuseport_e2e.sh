#!/usr/bin/env bash
# QUIC servers of two backends in one SO_REUSEPORT group on *:443: every
# datagram reaches the socket that owns its connection, never the kernel's
# hash (which puts one client port's datagrams all on one member).
# Their sockets are in ks_listeners and, at their slots' indices, in
# ks_quic_sk (what TC and sk_reuseport find them by); backend del clears
# both.
#   a. through TC (veth): short headers of two known server CIDs from one
#      client port, interleaved: each server gets exactly its own, selected
#      in the group by the choice TC noted for that datagram
#      (reuseport_quic_tc_choice), the packet not read again
#   b. short headers of a CID nobody knows, from a new port: the servers
#      probed in turn (TC's choice), one each, none hashed
#   c. not through TC (lo, where ksteer is not attached here): no note for
#      that datagram, so sk_reuseport looks its CID up itself: still its
#      owner's, and no TC choice counted
# Each runs in both modes: "group" (as registered: every server socket is
# in the group, so TC passes short headers untouched and the group's
# sk_reuseport program routes them alone, by CID or probe:
# reuseport_quic_group_routed, no TC choice) and "tc" (KSTEER_QUIC_GROUP=0
# at registration: TC finds the socket and notes its choice, as above).
#   d. (group) backend rb deleted, its socket still in the group, its CID
#      put back as if learned before: that CID's datagrams are a gone
#      server's (quic_socket_gone), dropped with no ksteerd, never hashed
#      to a member
#   e. (group) a server socket of a group of its own (on 127.0.0.2:443):
#      its CID reaching the *:443 group (on lo) is dropped, counted
#      (quic_outside_group), and group mode ends: the next short header
#      through TC is TC's choice again
# The receivers are plain UDP sockets (python3), counting datagrams by the
# 8 bytes after the first (the DCID).
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
source "$(dirname "$0")/../lib/quic.sh"
need_root "QUIC SO_REUSEPORT group tests"
quic_need_tools "QUIC SO_REUSEPORT group" bpftool
ks_test_begin "QUIC SO_REUSEPORT group tests"
CA=a0a0a0a0a0a0a001 CB=b0b0b0b0b0b0b002 CU=c0c0c0c0c0c0c003 CO=d0d0d0d0d0d0d004

# recv OUT: one SO_REUSEPORT UDP socket on 0.0.0.0:443; on SIGTERM, writes
# "DCID count" lines to OUT. OUT.ready once bound.
recv() {
	nsenter --net=/run/netns/$SRV_NS $PY -c '
import collections, signal, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
s.bind((sys.argv[2], 443))
c = collections.Counter()
def done(*a):
    with open(sys.argv[1], "w") as f:
        for k, v in sorted(c.items()):
            f.write("%s %d\n" % (k, v))
    sys.exit(0)
signal.signal(signal.SIGTERM, done)
open(sys.argv[1] + ".ready", "w").close()
while True:
    c[s.recv(2048)[1:9].hex()] += 1
' "$1" "${2:-0.0.0.0}" &
}
bid() { in_srv $KSTEER backend list -j | $PY -c "import json,sys; print([b['id'] for b in json.load(sys.stdin) if b['name']=='$1'][0])"; }
# scid CID BACKEND: ks_quic_scids[8-byte CID] = BACKEND's first IPv4 UDP
# slot (0x100), last seen 0, as TC egress learns a server's CID; 8 among
# the lengths short headers are tried with. scid_id CID ID: by backend id.
scid_id() {
	bpftool map update pinned "$KSTEER_PIN_DIR/ks_quic_scids" key hex 08 \
		$(sed 's/../& /g' <<<"$1") 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 \
		value hex $(printf '%02x 00 00 00' "$2") 00 01 00 00 00 00 00 00 00 00 00 00
}
scid() { scid_id "$1" "$(bid $2)"; }
# sk_at ID: backend ID's first IPv4 UDP slot holds a socket in ks_quic_sk,
# at KS_UDP_INDEX(backend, slot) = (ID * 3 + 0) * 16 + 0, little-endian.
sk_at() {
	local i=$(($1 * 48))
	bpftool map lookup pinned "$KSTEER_PIN_DIR/ks_quic_sk" key hex \
		$(printf '%02x %02x 00 00' $((i & 255)) $((i >> 8))) >/dev/null 2>&1
}
no_sk_at() { ! sk_at "$1"; }

# send NS ADDR SPORT CID:N...: N 64-byte short headers of each CID, in turn,
# from SPORT to ADDR:443.
send() {
	local ns=$1 addr=$2 sport=$3
	shift 3
	nsenter --net=/run/netns/$ns $PY -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[2])))
todo = [(bytes.fromhex(c), int(n)) for c, n in (a.split(":") for a in sys.argv[3:])]
for i in range(max(n for _, n in todo)):
    for cid, n in todo:
        if i < n:
            s.sendto(b"\x40" + cid + bytes(55), (sys.argv[1], 443))
            time.sleep(0.001)
' "$addr" "$sport" "$@"
}
# got R CID: datagrams of CID receiver R had when stopped.
got() { awk -v c="$2" '$1 == c {print $2; f=1} END {if (!f) print 0}' "$WORK/$1.out"; }
ratio_ok() { [ "$1" -ge "$2" ]; }

# one_mode MODE (group or tc): cases a.-c. (d., e. in group mode).
one_mode() {
local m=$1 rs="ra rb" P=40000
[ $m = tc ] && P=41000
[ $m = group ] && rs="ra rb ro"
if [ $m = tc ]; then export KSTEER_QUIC_GROUP=0; else unset KSTEER_QUIC_GROUP; fi
in_srv $KSTEER down >/dev/null 2>&1
check "$m: ksteer up --quic (TC on the veth only)" \
	in_srv $KSTEER up -a $SRV4 -i "$SRV_IF" -p 443 --quic
rm -f "$WORK"/r?.out*
declare -A RPID
for r in $rs; do
	if [ $r = ro ]; then recv "$WORK/$r.out" 127.0.0.2; else recv "$WORK/$r.out"; fi
	RPID[$r]=$!
	ks_on_exit "kill ${RPID[$r]} 2>/dev/null"
done
for _ in $(seq 50); do
	[ -e "$WORK/ra.out.ready" ] && [ -e "$WORK/rb.out.ready" ] && break
	sleep 0.1
done
for r in ra rb; do
	check "$m: backend $r: its socket in the group registered by pid" \
		in_srv $KSTEER backend add $r --pid ${RPID[$r]}
done
for r in ra rb; do
	check "$m: $r's socket also at its slot's index in ks_quic_sk" sk_at "$(bid $r)"
done
check "$m: ra's CID pinned" scid $CA ra
check "$m: rb's CID pinned" scid $CB rb
bpftool map update pinned "$KSTEER_PIN_DIR/ks_quic_cid_lens" key hex 00 00 00 00 value hex 00 01 00 00

C="reuseport_quic_selected reuseport_quic_tc_choice quic_by_cid quic_probed reuseport_quic_group_routed"
read -r sel0 tc0 cid0 probe0 grp0 <<<"$(counters $C)"
send $CLI_NS $SRV4 $((P + 1)) $CA:100 $CB:100             # a.
send $CLI_NS $SRV4 $((P + 2)) $CU:2                       # b.
read -r sel1 tc1 cid1 probe1 grp1 <<<"$(counters $C)"
send $SRV_NS 127.0.0.1 $((P + 3)) $CA:10 $CB:10           # c.
sleep 0.3
read -r sel2 tc2 cid2 probe2 grp2 <<<"$(counters $C)"
rb_id=$(bid rb)
check "$m: backend del rb" in_srv $KSTEER backend del rb
check "$m: ... its socket (still open) left ks_quic_sk too" no_sk_at $rb_id
if [ $m = group ]; then
	scid_id $CB $rb_id
	read -r gone0 drop0 <<<"$(counters quic_socket_gone quic_dropped_no_fallback)"
	send $CLI_NS $SRV4 $((P + 4)) $CB:3                   # d.
	read -r gone1 drop1 <<<"$(counters quic_socket_gone quic_dropped_no_fallback)"
	expect_eq "d. group: a deleted backend's CID: its server gone, dropped (no ksteerd)" \
		"3 3" "$((gone1 - gone0)) $((drop1 - drop0))"
	check "e. backend ro (a group of its own on 127.0.0.2) registered by pid" \
		in_srv $KSTEER backend add ro --pid ${RPID[ro]}
	check "e. ro's CID pinned" scid $CO ro
	read -r out0 tc3 <<<"$(counters quic_outside_group reuseport_quic_tc_choice)"
	send $SRV_NS 127.0.0.1 $((P + 5)) $CO:1               # e.
	send $CLI_NS $SRV4 $((P + 6)) $CA:1
	sleep 0.2
	read -r out1 tc4 <<<"$(counters quic_outside_group reuseport_quic_tc_choice)"
	expect_eq "e. ro's CID in the *:443 group: dropped, counted; then TC's choice again" \
		"1 1" "$((out1 - out0)) $((tc4 - tc3))"
fi
for r in $rs; do
	kill -TERM ${RPID[$r]}
	wait ${RPID[$r]} 2>/dev/null
done

expect_eq "$m: a. routed by CID" 200 $((cid1 - cid0))
expect_eq "$m: b. the unknown CID probed" 2 $((probe1 - probe0))
if [ $m = group ]; then
	expect_eq "group: a+b. selected in sk_reuseport alone (TC passed them), none by a TC choice" \
		"202 202 0" "$((sel1 - sel0)) $((grp1 - grp0)) $((tc1 - tc0))"
	expect_eq "group: c. lo (no TC): the same path, by CID" "20 20 0 20" \
		"$((sel2 - sel1)) $((grp2 - grp1)) $((tc2 - tc1)) $((cid2 - cid1))"
	expect_eq "e. ro: nothing of its CID reached it through the other group" 0 "$(got ro $CO)"
else
	expect_eq "tc: a+b. sk_reuseport: all selected by TC's choice" "202 202 0" \
		"$((sel1 - sel0)) $((tc1 - tc0)) $((grp1 - grp0))"
	expect_eq "tc: c. lo (no TC): selected by CID in sk_reuseport, no TC choice" "20 0 0" \
		"$((sel2 - sel1)) $((tc2 - tc1)) $((cid2 - cid1))"
fi
n=110
[ $m = group ] && n=111                                   # and e.'s last
expect_eq "$m: a+c. ra: its CID's datagrams, none of rb's" "$n 0" "$(got ra $CA) $(got ra $CB)"
expect_eq "$m: a+c. rb: its CID's datagrams, none of ra's" "110 0" "$(got rb $CB) $(got rb $CA)"
expect_eq "$m: b. the probed CID: one datagram to each server" "1 1" "$(got ra $CU) $(got rb $CU)"
unset KSTEER_QUIC_GROUP
}
one_mode group
one_mode tc
summary
