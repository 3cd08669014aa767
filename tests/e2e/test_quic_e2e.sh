#!/usr/bin/env bash
# QUIC end to end: two unmodified ngtcp2 servers (gtlsserver) share UDP 443
# in the server namespace, each with its own certificate and documents;
# `ksteer up --quic` steers every datagram to the one whose connection it is,
# and an unmodified ngtcp2 client (gtlsclient) downloads over HTTP/3.
#   a. the kernel path alone: the client's first DCID pinned in ks_quic_cids
#      (bpftool), the server's own CIDs learned by TC egress
#   c. every fetch is a handshake and an HTTP/3 request: the file it saves
#      is the routed server's (and only that server logged a connection)
#   e. a new connection with no ksteerd: TC decrypts its Initial and routes
#      it (quic_kernel_routed), over IPv4 and IPv6; with `up` on a kernel
#      said to lack bpf_loop (ksteerd's path), dropped and counted, seen by
#      no server
#   f. garbage datagrams: not QUIC, passed on untouched and counted; nothing
#      crashes
#   d. mid-transfer changes: key update, NAT rebinding (same CID, new port),
#      active migration (new port and a new CID from NEW_CONNECTION_ID):
#      the servers probed in turn, the owner learned from its answer
#   b. through ksteerd --quic (up on a kernel said to lack bpf_loop): random
#      DCIDs, routed by the Initial's SNI
#   g. headless Chromium over QUIC, the kernel path on: its ClientHello
#      spans two Initial datagrams; TC holds the first and routes both with
#      the second (bpf/quic_hold.h), with no ksteerd (in e) and with it
#      running (it sees none)
#   h. ksteerd's bounds: pending connections capped, deadline, forged
#      Initials dropped and counted, unknown short headers probed
#   i. a bounded flood of spoofed short headers (3000 in ~1 s): the probe
#      table capped and counted, a live transfer unharmed, migration works
#      again once the probes' 2 s are over
# Which server saw a connection: each keeps a qlog file per connection
# (conns, tests/lib/quic.sh).
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
source "$(dirname "$0")/../lib/quic.sh"
need_root "QUIC end-to-end tests"
quic_need_tools "QUIC end-to-end" gtlsserver gtlsclient bpftool openssl unshare
ks_test_begin "QUIC end-to-end tests"
ks_make_certs "$WORK" qa.example qb.example || { fail "cannot make certificates"; summary; exit 1; }
BIG=6000000                                 # bytes: long enough to change paths mid-transfer
for s in qa qb; do
	mkdir -p "$WORK/$s/www" "$WORK/$s/qlog"
	echo "site $s" >"$WORK/$s/www/index.html"
	head -c $BIG /dev/urandom >"$WORK/$s/www/big"   # different bytes on each server
done
# A second public address (migration tests below): a client that only ever
# reached one server there.
SRV4B=198.18.0.3
check "ksteer up --quic (lo and veth)" in_srv $KSTEER up -a $SRV4 -a $SRV4B -a $SRV6 -p 443 --quic
# Which path decodes Initials (issue 14): the kernel's where it can (bpf_loop);
# ksteerd's on a kernel without it.
UP_ARGS=(up -a $SRV4 -a $SRV4B -a $SRV6 -p 443 --quic)
err=$(KSTEER_FORCE_NO_BPF_LOOP=1 in_srv $KSTEER "${UP_ARGS[@]}" 2>&1 >/dev/null)
check "up --quic on a kernel without bpf_loop says ksteerd decodes Initials ($err)" \
	grep -q "decoded by ksteerd (userspace); this kernel cannot decrypt" <<<"$err"
err=$(in_srv $KSTEER "${UP_ARGS[@]}" 2>&1 >/dev/null)
check "up --quic says the kernel decodes Initials ($err)" \
	grep -q "QUIC Initials: decoded by the kernel (TC, BPF)" <<<"$err"
# ksteerd's path in force (1) or the kernel's (0).
up_ksteerd_path() {
	if [ "$1" = 1 ]; then
		KSTEER_FORCE_NO_BPF_LOOP=1 in_srv $KSTEER "${UP_ARGS[@]}" 2>/dev/null
	else
		in_srv $KSTEER "${UP_ARGS[@]}" 2>/dev/null
	fi
}

# Both bind '*' 443 with SO_REUSEADDR: one UDP port, two servers.
declare -A SPID
for s in qa qb; do
	nsenter --net=/run/netns/$SRV_NS gtlsserver -q -d "$WORK/$s/www" --qlog-dir="$WORK/$s/qlog" \
		'*' 443 "$WORK/$s.example.key" "$WORK/$s.example.pem" >"$WORK/$s.log" 2>&1 &
	SPID[$s]=$!
done
for _ in $(seq 50); do
	[ "$(in_srv ss -Hulpn 'sport = :443' | grep -c gtlsserver)" -ge 4 ] && break
	sleep 0.1
done
for s in qa qb; do
	check "backend $s: gtlsserver's UDP sockets registered by pid" \
		in_srv $KSTEER backend add $s --pid ${SPID[$s]}
	in_srv $KSTEER route add $s.example $s
done

bid() { in_srv $KSTEER backend list -j | $PY -c "import json,sys; print([b['id'] for b in json.load(sys.stdin) if b['name']=='$1'][0])"; }
declare -A BID=([qa]=$(bid qa) [qb]=$(bid qb))
# pin DCID16 SERVER: ks_quic_cids[8-byte DCID] = SERVER's first UDP slot
# (256; PIN_SLOT="10 01": its first IPv6-only one, 0x110), as ksteerd
# would install it: key u8 len, 20 id bytes, 3 pad; value u32 backend, u32
# slot, little-endian.
pin() {
	local key
	key=$(sed 's/../& /g' <<<"$1")
	bpftool map update pinned "$KSTEER_PIN_DIR/ks_quic_cids" \
		key hex 08 $key 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 \
		value hex $(printf '%02x 00 00 00' ${BID[$2]}) ${PIN_SLOT:-00 01} 00 00
}
printf '%s qa.example qb.example\n' $SRV4 >"$WORK/hosts"
printf '%s qa.example qb.example\n' $SRV6 >"$WORK/hosts6"
# A second public address that this client reaches only qb at.
ip -n "$SRV_NS" addr add $SRV4B/24 dev "$SRV_IF"
printf '%s qb.example\n' $SRV4B >"$WORK/hosts-b"
# newdcid: a DCID no connection has used yet, in $D.
n=0
newdcid() { n=$((n + 1)); D=$(printf 'c0ffee%08x00' $n); }

# --- a/c. the kernel path alone ---------------------------------------------
read -r cid0 learn0 <<<"$(counters quic_by_cid quic_cids_learned)"
for s in qb qa; do
	a0=$(conns qa) b0=$(conns qb)
	newdcid
	pin $D $s
	fetch "$WORK/a-$s" $s index.html -q --dcid=$D
	expect_eq "pinned DCID -> $s: handshake + HTTP/3 GET, body 'site $s'" "site $s" \
		"$(cat "$WORK/a-$s/index.html" 2>/dev/null)"
	if [ $s = qa ]; then want="$((a0 + 1)) $b0"; else want="$a0 $((b0 + 1))"; fi
	expect_eq "pinned DCID -> $s: only $s saw a connection (qa qb)" "$want" "$(conns qa) $(conns qb)"
done
read -r cid1 learn1 assign_err <<<"$(counters quic_by_cid quic_cids_learned quic_assign_error)"
check "kernel path: datagrams steered by CID ($((cid1 - cid0)))" test $((cid1 - cid0)) -gt 0
check "kernel path: servers' CIDs learned at egress ($((learn1 - learn0)))" test $((learn1 - learn0)) -ge 2
expect_eq "kernel path: no assign errors" 0 "$assign_err"
newdcid
pin $D qb
fetch "$WORK/a-big" qb big -q --dcid=$D
check "pinned DCID -> qb: $BIG-byte download intact, qb's bytes" cmp -s "$WORK/a-big/big" "$WORK/qb/www/big"

# --- g. a browser: Chromium's ~1.9 KB ClientHello spans two Initials ------
# Chromium takes a self-signed certificate over QUIC only by its key's hash.
spki() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
		openssl dgst -sha256 -binary | base64
}
# chromium_pages TAG: each site's page fetched by headless Chromium over QUIC
# (to $CHROME_ADDR, $SRV4 unless set); prints how many came back right
# (nothing when there is no Chromium).
chromium_pages() {
	local chrome s good=0
	chrome=$(command -v chromium || command -v chromium-browser)
	[ -n "$chrome" ] || return 0
	for s in qa qb; do
		in_cli timeout 60 "$chrome" --headless --no-sandbox --disable-gpu --no-first-run \
			--disable-background-networking --disable-component-update --disable-sync \
			--user-data-dir="$WORK/chrome-$s-$1" --enable-quic \
			--origin-to-force-quic-on=$s.example:443 --host-resolver-rules="MAP *.example ${CHROME_ADDR:-$SRV4}" \
			--ignore-certificate-errors-spki-list="$(spki "$WORK/qa.example.pem"),$(spki "$WORK/qb.example.pem")" \
			--dump-dom "https://$s.example/" 2>"$WORK/chrome-$s-$1.log" | grep -q "site $s" &&
			good=$((good + 1))
	done
	echo $good
}
# chromium_quic WHO: Chromium's ClientHellos span two Initial datagrams; the
# kernel holds the first and routes both with the second (WHO: "no ksteerd",
# or "ksteerd running", which then sees none of them).
chromium_quic() {
	local good h0 r0 k0 d0 t0 l0 h1 r1 k1 d1 t1 l1
	read -r h0 r0 k0 d0 t0 l0 <<<"$(counters quic_kernel_held quic_kernel_held_routed \
		fallback.quic_routed quic_dropped_no_fallback quic_kernel_held_to_ksteerd \
		quic_kernel_held_lost)"
	good=$(chromium_pages "${1// /-}")
	if [ -z "$good" ]; then
		skip "Chromium over QUIC ($1): chromium is not installed (make deps)"
		return
	fi
	read -r h1 r1 k1 d1 t1 l1 <<<"$(counters quic_kernel_held quic_kernel_held_routed \
		fallback.quic_routed quic_dropped_no_fallback quic_kernel_held_to_ksteerd \
		quic_kernel_held_lost)"
	expect_eq "Chromium over QUIC (HTTP/3), $1: each site's page" 2 "$good"
	check "Chromium, $1: its first datagrams held by the kernel ($((h1 - h0)))" \
		test $((h1 - h0)) -ge 2
	check "Chromium, $1: routed by the kernel with the second ($((r1 - r0)))" \
		test $((r1 - r0)) -ge 2
	expect_eq "Chromium, $1: none given up to ksteerd, none routed by it, none dropped or lost" \
		"0 0 0 0" "$((t1 - t0)) $((k1 - k0)) $((d1 - d0)) $((l1 - l0))"
}

# --- e. a new connection and no ksteerd --------------------------------------
# The kernel reads its Initial (gtlsclient's ClientHello fits one datagram).
a0=$(conns qa) b0=$(conns qb)
read -r kr0 drop0 <<<"$(counters quic_kernel_routed quic_dropped_no_fallback)"
fetch "$WORK/e-k" qa index.html -q
expect_eq "new connection, no ksteerd: routed by the kernel, handshake + HTTP/3 GET, 'site qa'" \
	"site qa" "$(cat "$WORK/e-k/index.html" 2>/dev/null)"
HOSTS="$WORK/hosts6" fetch "$WORK/e-k6" qb index.html -q
expect_eq "... over IPv6 too: 'site qb'" "site qb" "$(cat "$WORK/e-k6/index.html" 2>/dev/null)"
read -r kr1 drop1 <<<"$(counters quic_kernel_routed quic_dropped_no_fallback)"
expect_eq "new connections, no ksteerd: counted routed in the kernel, none dropped" \
	"2 0" "$((kr1 - kr0)) $((drop1 - drop0))"
expect_eq "new connections, no ksteerd: qa and qb saw one each" "$((a0 + 1)) $((b0 + 1))" \
	"$(conns qa) $(conns qb)"
# Chromium's ClientHello over two datagrams, no ksteerd (section g).
chromium_quic "no ksteerd"
CHROME_ADDR="[$SRV6]" chromium_quic "no ksteerd, IPv6"
# ksteerd's path in force, and no ksteerd: dropped.
up_ksteerd_path 1
a0=$(conns qa) b0=$(conns qb)
read -r drop0 <<<"$(counters quic_dropped_no_fallback)"
FETCH_TIMEOUT=2 fetch "$WORK/e" qa index.html -q
check "ksteerd's path, no ksteerd: the client gets nothing" test ! -s "$WORK/e/index.html"
read -r drop1 <<<"$(counters quic_dropped_no_fallback)"
check "ksteerd's path, no ksteerd: its Initials dropped and counted ($((drop1 - drop0)))" \
	test $((drop1 - drop0)) -ge 1
expect_eq "ksteerd's path, no ksteerd: no server saw it (qa qb)" "$a0 $b0" "$(conns qa) $(conns qb)"
up_ksteerd_path 0

# --- f. garbage -------------------------------------------------------------
read -r mal0 drop0 pr0 <<<"$(counters udp_not_quic quic_dropped_no_fallback quic_probed)"
in_cli $PY - $SRV4 <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dst = (sys.argv[1], 443)
s.sendto(os.urandom(5), dst)                                  # shorter than any packet
s.sendto(bytes([0xc3, 0, 0, 0, 1, 0xff]) + os.urandom(24), dst)  # long header, DCID length 255
s.sendto(bytes([0xc3, 0, 0, 0, 1, 20]) + os.urandom(20) + bytes([20]) + os.urandom(3), dst)  # SCID past the end
s.sendto(bytes([0x41]) + os.urandom(29), dst)                 # short header, CID nobody owns
EOF
sleep 0.2
read -r mal1 drop1 pr1 <<<"$(counters udp_not_quic quic_dropped_no_fallback quic_probed)"
expect_eq "garbage: 5 bytes and 2 impossible long headers: not QUIC, passed on, counted" 3 $((mal1 - mal0))
# A migrated client looks the same: its server is found by asking them.
expect_eq "garbage: a short header of an unknown CID: probed (one server given it), not for ksteerd" \
	"1 0" "$((pr1 - pr0)) $((drop1 - drop0))"
check "garbage: both servers still running" servers_alive qa qb
newdcid
pin $D qa
fetch "$WORK/f" qa index.html -q --dcid=$D
expect_eq "garbage: qa still serves" "site qa" "$(cat "$WORK/f/index.html" 2>/dev/null)"

# --- d. changes mid-transfer ------------------------------------------------
# Both directions are held to 100 Mbit/s so that a transfer lasts ~0.3-0.5 s
# and the change, 100 ms after the handshake, falls in the middle of it. The
# path changes upload (POST of 3 MB, then the 6 MB answer): gtlsclient's
# --nat-rebinding only moves its socket and ignores what still arrives at the
# old port, so a client that only receives would never send from the new
# port and stalls with or without ksteer; one that is sending moves at once.
head -c 3000000 /dev/urandom >"$WORK/upload"
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc add dev "${ns#*:}" root tbf rate 100mbit burst 64kb latency 100ms
done
# change NAME EXPECT CLIENT-OPTIONS...: EXPECT=ok asserts the download
# completes; EXPECT=skip reports a known limitation ($SKIP_WHY) if it does not.
change() {
	local name=$1 expect=$2 dir="$WORK/d-$1" s c0 c1 after delta
	shift 2
	newdcid
	pin $D qb
	c0=$(counters quic_by_cid quic_by_peer quic_to_fallback quic_dropped_no_fallback quic_probed)
	FETCH_TIMEOUT=${FETCH_TIMEOUT:-6} fetch "$dir" qb big --no-quic-dump --no-http-dump --dcid=$D "$@"
	s=$?
	c1=$(counters quic_by_cid quic_by_peer quic_to_fallback quic_dropped_no_fallback quic_probed)
	# Packets the client received after the change: it was mid-transfer.
	after=$(sed -n '/Changing local address\|Initiate key update/,$p' "$dir.log" | grep -ac 'pkt rx')
	read -r -a x0 <<<"$c0"
	read -r -a x1 <<<"$c1"
	delta="by_cid +$((x1[0] - x0[0])) by_peer +$((x1[1] - x0[1])) to_fallback +$((x1[2] - x0[2]))"
	delta="$delta dropped_no_fallback +$((x1[3] - x0[3])) probed +$((x1[4] - x0[4]))"
	echo "# $name: client exit $s, $after packets received after the change; $delta"
	if [ "$s" = 0 ] && cmp -s "$dir/big" "$WORK/qb/www/big"; then
		check "$name mid-transfer: completes, qb's $BIG bytes ($after packets after the change)" \
			test "$after" -gt 0
	elif [ "$expect" = skip ]; then
		skip "$name mid-transfer: $SKIP_WHY (client exit $s; $delta)"
	else
		fail "$name mid-transfer: did not complete (client exit $s; $delta)"
	fi
}
change key-update ok --key-update=100ms
change nat-rebinding ok --change-local-addr=100ms --nat-rebinding -m POST -d "$WORK/upload"
# Active migration: a new port AND a new DCID (issued inside 1-RTT frames TC
# cannot read). Where every connection from the client's address is on one
# server (to $SRV4B this client only ever reached qb), and where they are on
# two: the new path's datagrams go to the servers in turn until qb answers
# it (quic_probed), and qa, given some, sees no connection.
HOSTS="$WORK/hosts-b" change migration ok --change-local-addr=100ms -m POST -d "$WORK/upload"
a0=$(conns qa)
read -r h0 l0 <<<"$(counters quic_probed quic_probe_learned)"
change migration-shared ok --change-local-addr=100ms -m POST -d "$WORK/upload"
read -r h1 l1 <<<"$(counters quic_probed quic_probe_learned)"
check "migration from an address on both servers: probed ($((h1 - h0)) datagrams), the owner \
learned from its answer ($((l1 - l0)))" test $((h1 - h0)) -gt 0 -a $((l1 - l0)) -gt 0
expect_eq "migration from an address on both servers: qa saw no connection" "$a0" "$(conns qa)"
# The same over IPv6 (the servers' [::]:443 sockets are the candidates).
PIN_SLOT="10 01" HOSTS="$WORK/hosts6" change migration-v6 ok --change-local-addr=100ms -m POST -d "$WORK/upload"
# --- i. a flood of spoofed short headers while a connection transfers ----
# 3000 datagrams of CIDs nobody knows from 3000 spoofed sources, in about
# a second: each could be a migrated client, so each is probed; the probe
# table (KS_QUIC_PROBES, 1024) fills and refuses the rest (counted); the
# live transfer never notices; once the probes' 2 s are over, a real
# migration is probed and completes again.
read -r pf0 pr0 <<<"$(counters quic_probe_full quic_probed)"
newdcid
pin $D qb
FETCH_TIMEOUT=20 fetch "$WORK/i-live" qb big -q --dcid=$D &
F=$!
sleep 0.1
in_cli $PY - $SRV4 <<'EOF'
import os, socket, struct, sys
dst = socket.inet_aton(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(3000):
    src = bytes([10, 99, i >> 8, i & 255])                # spoofed, one per datagram
    payload = bytes([0x41]) + os.urandom(59)              # short header, unknown CID
    udp = struct.pack("!HHHH", 40000 + i, 443, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i, 0, 64, 17, 0, src, dst)
    s.sendto(ip + udp, (sys.argv[1], 0))
EOF
wait $F
st=$?
read -r pf1 pr1 <<<"$(counters quic_probe_full quic_probed)"
expect_eq "flood of 3000 spoofed short headers: the live download completes" 0 "$st"
check "flood: the live download is qb's $BIG bytes" cmp -s "$WORK/i-live/big" "$WORK/qb/www/big"
check "flood: at most 1024 pairs probed at once, the rest refused and counted \
($((pr1 - pr0)) probed, $((pf1 - pf0)) refused)" test $((pf1 - pf0)) -gt 0 -a $((pr1 - pr0)) -le 1100
sleep 2.2
change migration-after-flood ok --change-local-addr=100ms -m POST -d "$WORK/upload"
# Not run: NAT rebinding of a client that only downloads. gtlsclient 0.12
# never sends from its new port while it only receives, and drops what still
# arrives at the old one: it stalls the same without ksteer, so there is
# nothing of ksteer's to test there.
for ns in "$SRV_NS:$SRV_IF" "$CLI_NS:$CLI_IF"; do
	ip netns exec "${ns%%:*}" tc qdisc del dev "${ns#*:}" root
done

# --- h. ksteerd's bounds: 2 pending connections, 1 s to finish a ClientHello -
# Chromium's first Initial datagram (tests/data/captures/quic) holds 55 contiguous
# bytes of its ClientHello: sent from three client ports, it makes three
# connections that wait for the rest. Then garbage a server would not read.
ksteerd_bounds() {
	local kd p0 f0 t0 u0 k0 p1 f1 u1 k1 t2 p2
	nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --listen $SRV4:443 --quic \
		--quic-pending 2 --deadline 1000 2>"$WORK/ksteerd-bounds.log" &
	kd=$!
	wait_listen $SRV4 443
	sleep 0.2
	read -r f0 t0 u0 k0 <<<"$(counters fallback.quic_pending_full fallback.quic_hello_timeout \
		fallback.quic_unreadable quic_probed)"
	in_cli $PY - $SRV4 "$ROOT/tests/data/captures/quic/chromium-1.bin" <<'EOF'
import os, socket, sys
dst = (sys.argv[1], 443)
first = open(sys.argv[2], "rb").read()
for port in (40001, 40002, 40003):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("", port))
    s.sendto(first, dst)
s.sendto(bytes([0xc3, 0, 0, 0, 1, 8]) + os.urandom(8) + bytes([0]) + os.urandom(1185), dst)  # no valid AEAD tag
s.sendto(bytes([0x41]) + os.urandom(40), dst)                  # short header nobody owns
EOF
	sleep 0.3
	read -r p1 f1 u1 k1 <<<"$(counters fallback.quic_pending fallback.quic_pending_full \
		fallback.quic_unreadable quic_probed)"
	expect_eq "ksteerd bounds: 2 connections wait for their ClientHello, the 3rd pushes out the oldest" \
		"2 1" "$p1 $((f1 - f0))"
	expect_eq "ksteerd bounds: a forged Initial dropped, counted; an unknown short header probed (TC)" \
		"1 1" "$((u1 - u0)) $((k1 - k0))"
	sleep 1.2
	read -r p2 t2 <<<"$(counters fallback.quic_pending fallback.quic_hello_timeout)"
	expect_eq "ksteerd bounds: both dropped at the 1 s deadline" "0 2" "$p2 $((t2 - t0))"
	kill $kd 2>/dev/null
	wait $kd 2>/dev/null
}

# --- b. through ksteerd -----------------------------------------------------
up_ksteerd_path 1
if ! start_ksteerd "$WORK/ksteerd.log" --listen $SRV4:443 --listen "[$SRV6]:443" --quic; then
	skip "through ksteerd: ksteerd --quic did not start: $(head -c 200 "$WORK/ksteerd.log")"
else
	a0=$(conns qa) b0=$(conns qb)
	read -r tf0 routed0 rein0 <<<"$(counters quic_to_fallback fallback.quic_routed fallback.quic_reinjected)"
	good=0 bad=""
	for i in $(seq 10); do
		if [ $((i % 2)) = 1 ]; then s=qa; else s=qb; fi
		fetch "$WORK/b-$i" $s index.html -q
		if [ "$(cat "$WORK/b-$i/index.html" 2>/dev/null)" = "site $s" ]; then
			good=$((good + 1))
		else
			bad="$bad $i:$s"
			# Broken, not slow: stop after two failures in a row.
			[ $i = 2 ] && [ $good = 0 ] && break
		fi
	done
	echo "# ksteerd: $(in_srv $KSTEER stats | grep -E '^fallback_quic' | tr -s ' ' | paste -sd' ')"
	read -r tf1 routed1 rein1 <<<"$(counters quic_to_fallback fallback.quic_routed fallback.quic_reinjected)"
	expect_eq "through ksteerd: 10 connections, random DCIDs, each got its own site${bad:+ (failed:$bad)}" 10 $good
	expect_eq "through ksteerd: 5 connections each at qa and qb" "$((a0 + 5)) $((b0 + 5))" \
		"$(conns qa) $(conns qb)"
	check "through ksteerd: Initials sent to it by TC ($((tf1 - tf0)))" test $((tf1 - tf0)) -ge 10
	expect_eq "through ksteerd: it routed 10 connections" 10 $((routed1 - routed0))
	check "through ksteerd: re-injected their Initials ($((rein1 - rein0)))" test $((rein1 - rein0)) -ge 10
	# IPv6: re-injected through a raw IPv6 socket, to the servers' [::]:443.
	read -r r0 <<<"$(counters fallback.quic_routed)"
	good=0
	for s in qa qb; do
		HOSTS="$WORK/hosts6" fetch "$WORK/b6-$s" $s index.html -q
		[ "$(cat "$WORK/b6-$s/index.html" 2>/dev/null)" = "site $s" ] && good=$((good + 1))
	done
	read -r r1 <<<"$(counters fallback.quic_routed)"
	expect_eq "through ksteerd over IPv6: each site's file, routed by ksteerd" "2 2" "$good $((r1 - r0))"
	up_ksteerd_path 0
	chromium_quic "ksteerd running"
	kill $KD 2>/dev/null
	wait $KD 2>/dev/null
	# ksteerd's own bounds: its path in force (the kernel would hold
	# Chromium's first datagram itself).
	up_ksteerd_path 1
	ksteerd_bounds
	up_ksteerd_path 0
fi
check "ksteer down" in_srv $KSTEER down
summary
