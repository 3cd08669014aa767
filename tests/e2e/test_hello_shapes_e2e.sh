#!/usr/bin/env bash
# ClientHello shapes, ksteer against direct: every shape of
# tests/tools/hello_shapes.py (record sizes, extension counts, padding to
# 64 KB, SNI first and last, the SSLv2-compatible format, a CCS inside the
# ClientHello, every length field off by one) goes to an unmodified
# openssl s_server directly and through ksteer, and the two answers must
# be the same: handshake (a ServerHello), the same alert, reset, closed or
# timeout. Where a shape is beyond one of ksteer's stated limits, the
# answer through ksteer must be the stated one (a refusal, counted), not
# the direct one; the line says which.
#
#   direct   client namespace -> a second s_server on $SRV4:9443, with the
#            same options and certificate as backend a. Not ksteer's port,
#            so TC passes it untouched; and it leaves the same client stack
#            over the same veth (MSS 1448, GRO off) as the path through
#            ksteer, so both servers receive the bytes cut into the same
#            segments (from the server namespace to 127.0.0.1 the path
#            would be lo, with a 64 KB MTU: other segments).
#   ksteer   client namespace -> $SRV4:443: TC (the kernel's fast path and
#            reassembly), ksteerd for what the kernel gives up (handed back
#            into a's listener), backend a = s_server on 127.0.0.1:9001.
#
# Each shape is sent in one write and in 100-byte writes 1 ms apart (many
# segments); through ksteer with a default route to a, and, for the
# well-formed shapes, which carry the routed SNI, without one. A "#" line
# per case says which part of ksteer served it, from the counters that
# moved. Each answer is waited for 2 s. Then the largest hellos the kernel
# routes (16 KB in 1- and 2-byte records, 10 KB in 1-byte ones, the SNI
# last) from a client without window scaling and without SACK (ksteerd's,
# counted), and with ksteerd stopped, over IPv4 and IPv6: the kernel's
# alone (SHAPES_ONLY=REGEX runs only the shapes it matches).
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
if ! command -v openssl >/dev/null; then
	skip "ClientHello shapes: openssl (the s_server both paths reach) is not installed"
	summary
	exit 0
fi
ks_test_begin "ClientHello shapes end-to-end tests"
SHAPES=$ROOT/tests/tools/hello_shapes.py
SNI=shapes.example
DIRECT_PORT=9443

# ksteer's stated limits (README, "Limits today"; shared/tls_hello.h and the
# Makefile's ksteerd build), in the units of hello_shapes.py's list:
# HS_BYTES is the handshake message with its 4-byte header, WIRE_BYTES
# every byte sent. The kernel routes a ClientHello of up to 16 KB (2^14 +
# its header) in records of any size (up to 128 KB of them) and 128
# segments, ksteerd what the
# kernel does not, up to 64 KB (2^16 + 4) in up to 512 KB of records, and
# beyond that refuses it, counted fallback.hello_too_big. Whether the kernel
# or ksteerd routes it changes nothing in the answer: ksteerd hands the
# connection back to the backend (up to 1 MB queued, more than its 512 KB
# of records), and sends unreadable ClientHellos to the default route as
# the kernel does.
KSTEERD_HELLO_MAX=65540
KSTEERD_WIRE_MAX=524287

ks_make_certs "$WORK" $SNI
check "ksteer up" in_srv $KSTEER up -a $SRV4 -a $SRV6
s_server() { # ADDR:PORT LOG: the same server for both paths
	(cd "$WORK" && exec nsenter --net=/run/netns/$SRV_NS openssl s_server -accept "$1" \
		-cert $SNI.pem -key $SNI.key -www >"$2" 2>&1) &
}
s_server 127.0.0.1:9001 "$WORK/backend.log"
BACKEND_PID=$!
s_server $SRV4:$DIRECT_PORT "$WORK/direct.log"
DIRECT_PID=$!
in_srv $KSTEER backend add a 127.0.0.1:9001
in_srv $KSTEER route add $SNI a
in_srv $KSTEER route add default a
nsenter --net=/run/netns/$SRV_NS "$ROOT/build/ksteerd" --deadline 5000 --listen $SRV4:443 \
	2>"$WORK/ksteerd.log" &
KSTEERD_PID=$!
wait_listen 127.0.0.1 9001 && wait_listen $SRV4 $DIRECT_PORT && wait_listen $SRV4 443 ||
	fail "servers did not start"
sleep 0.3
stats() { in_srv $KSTEER stats -j >"$1"; }
stats "$WORK/s.json"
expect_eq "ksteerd registered as the fallback" 1 \
	"$($PY -c "import json; print(json.load(open('$WORK/s.json'))['fallback_listeners'])")"

send() { # PORT SHAPE MODE: the outcome word
	local out
	out=$(in_cli timeout 10 $PY "$SHAPES" send $SRV4 "$1" "$2" --sni $SNI --mode "$3" 2>&1)
	echo "${out%% *}"
}

# expected_via CLASS HS WIRE DIRECT: what ksteer's stated limits make of a
# shape: "OUTCOME COUNTER WHY..." (COUNTER "-": none required).
expected_via() {
	local cls=$1 hs=$2 wire=$3 direct=$4
	if [ "$cls" = wellformed ] &&
		{ [ "$hs" -gt $KSTEERD_HELLO_MAX ] || [ "$wire" -gt $KSTEERD_WIRE_MAX ]; }; then
		echo "reset fallback.hello_too_big beyond ksteerd's 64 KB: refused"
	else
		echo "$direct -"
	fi
}

# moved BEFORE AFTER COUNTER: how much a counter (a.b for nested) moved.
moved() {
	$PY -c "
import json, sys
b, a = (json.load(open(f)) for f in sys.argv[1:3])
for k in sys.argv[3].split('.'):
    b, a = b.get(k, 0), a.get(k, 0)
print(a - b)" "$1" "$2" "$3"
}

# settled FILE: ksteerd holds no connection and has no hand-back under way
# (FILE: the last snapshot), waiting up to 8 s: a multi-segment hand-back
# feeds the rest for up to 5 s. Its counters are then final for the case.
settled() {
	local i
	for i in $(seq 80); do
		stats "$1"
		$PY -c "import json, sys; f = json.load(open(sys.argv[1]))['fallback']
sys.exit(1 if f['handback_pending'] or f['active'] else 0)" "$1" && return 0
		sleep 0.1
	done
	return 1
}

# moved_sum A+B...: how much the counters given moved together in this case.
moved_sum() {
	local c sum=0
	for c in ${1//+/ }; do
		sum=$((sum + $(moved "$WORK/before.json" "$WORK/after.json" $c)))
	done
	echo $sum
}

declare -A DIRECT
# 1-byte records past what one rewritten segment carries, the SNI in the
# first 16 KB of them: placed once the held bytes name it, not by ksteerd (in
# one write, the client's first skb, a GSO one on veth, may hold the name:
# placed on it).
declare -A KSTEERD_BY=()
declare -A KERNEL_BY=([records_1_sni_early_padding_6000]=reasm_placed_named+hello_placed_partial)
# Up to 16 KB in 1- or 2-byte records, the SNI last, in one write: held
# whole (up to 98 KB of records, ~68 segments) and routed by the kernel.
# (In 100-byte writes they are more segments than a flow holds: ksteerd.)
for s in records_1_sni_last_16k records_2_sni_last_16k records_1_sni_last_10k; do
	KERNEL_BY[$s.one]=reasm_completed
	# In 100-byte writes: more segments than a flow holds, ksteerd's.
	KSTEERD_BY[$s.segments]=reasm_overflow
done
# Past the kernel's 16 KB by one byte: ksteerd's, counted.
KSTEERD_BY[records_1_sni_last_16k_plus_1]=hello_too_big
# SHAPES_ONLY=REGEX: only the shapes whose name matches (a quicker run).
SHAPES_ONLY=${SHAPES_ONLY:-}
HANDBACK_FAILED_SERVED=()
# run_case NAME CLASS HS WIRE OPENSSL_SAYS MODE ROUTE_MODE
run_case() {
	local name=$1 cls=$2 hs=$3 wire=$4 openssl_says=$5 mode=$6 route=$7
	local tag="$name [$mode, $route]" via exp counter why n
	if [ "$route" = "default route" ]; then
		# The generator itself: s_server's own answer, directly.
		DIRECT[$name.$mode]=$(send $DIRECT_PORT "$name" "$mode")
		expect_eq "$name [$mode]: direct, s_server answers what OpenSSL 3.0 answers this shape" \
			"$openssl_says" "${DIRECT[$name.$mode]}"
	fi
	read -r exp counter why <<<"$(expected_via "$cls" "$hs" "$wire" "${DIRECT[$name.$mode]}")"
	stats "$WORK/before.json"
	via=$(send 443 "$name" "$mode")
	local t0=$(date +%s%N) settle=""
	sleep 0.05                        # ksteerd counts a closing client after it
	settled "$WORK/after.json" || settle=" (ksteerd not settled after 8 s)"
	local ms=$((($(date +%s%N) - t0) / 1000000))
	[ $ms -gt 500 ] && settle="${settle:- (ksteerd settled ${ms} ms after the client closed)}"
	if [ "$counter" = - ]; then
		expect_eq "$tag: through ksteer as direct" "${DIRECT[$name.$mode]}" "$via"
	else
		n=$(moved "$WORK/before.json" "$WORK/after.json" "$counter")
		expect_eq "$tag: through ksteer the stated limit, not direct's ${DIRECT[$name.$mode]} ($why, counted $counter)" \
			"$exp $counter+1" "$via $counter+$n"
	fi
	# Shapes the kernel must place itself, counted by one of the counters
	# given (their sum moved by one).
	local by=${KERNEL_BY[$name.$mode]:-${KERNEL_BY[$name]:-}}
	[ -n "$by" ] && expect_eq "$tag: placed by the kernel ($by)" 1 "$(moved_sum "$by")"
	# Shapes past the kernel's limits: given to ksteerd, counted so.
	by=${KSTEERD_BY[$name.$mode]:-${KSTEERD_BY[$name]:-}}
	[ -n "$by" ] && expect_eq "$tag: past the kernel's limits, to ksteerd ($by, fallback.accepted)" \
		"1 1" "$(moved_sum "$by") $(moved_sum fallback.accepted)"
	echo "# $tag: $(${PY} "$SHAPES" counters-diff "$WORK/before.json" "$WORK/after.json")$settle"
	# A hand-back ksteerd counts failed although the backend answered.
	if [ "$via" = handshake ] &&
		[ "$(moved "$WORK/before.json" "$WORK/after.json" fallback.handback_failed)" != 0 ]; then
		HANDBACK_FAILED_SERVED+=("$tag")
	fi
}

mapfile -t LIST < <($PY "$SHAPES" list --sni $SNI)
[ "${#LIST[@]}" -gt 40 ] || fail "hello_shapes.py list: ${#LIST[@]} shapes"
start=$(date +%s)
for route in "default route" "no default route"; do
	if [ "$route" = "no default route" ]; then
		check "route del default" in_srv $KSTEER route del default
		echo "# without a default route: the well-formed shapes only (the others name no route)"
	fi
	for line in "${LIST[@]}"; do
		read -r name cls hs wire openssl_says <<<"$line"
		[ "$route" = "no default route" ] && [ "$cls" != wellformed ] && continue
		[ -n "$SHAPES_ONLY" ] && ! [[ $name =~ $SHAPES_ONLY ]] && continue
		for mode in one segments; do
			run_case "$name" "$cls" "$hs" "$wire" "$openssl_says" "$mode" "$route"
		done
	done
done

# kernel_case TAG NAME ADDR COUNTERS: NAME in one write to ADDR:443 must get
# the direct answer, and each of COUNTERS ("a=1 b=0"; a.b for nested) must
# have moved by the amount given.
kernel_case() {
	local tag=$1 name=$2 addr=$3 c via
	stats "$WORK/before.json"
	via=$(send_to "$addr" 443 "$name" one)
	sleep 0.05
	stats "$WORK/after.json"
	expect_eq "$tag: through ksteer as direct" "${DIRECT[$name.one]:-handshake}" "$via"
	for c in $4; do
		expect_eq "$tag: ${c%=*} moved by ${c#*=}" "${c#*=}" \
			"$(moved "$WORK/before.json" "$WORK/after.json" "${c%=*}")"
	done
	echo "# $tag: $(${PY} "$SHAPES" counters-diff "$WORK/before.json" "$WORK/after.json")"
}
send_to() { # ADDR PORT SHAPE MODE
	local out
	out=$(in_cli timeout 10 $PY "$SHAPES" send "$1" "$2" "$3" --sni $SNI --mode "$4" 2>&1)
	echo "${out%% *}"
}
BIG=(records_1_sni_last_16k records_2_sni_last_16k records_1_sni_last_10k)

# A client without window scaling: TC's window ends 64 KB past the first
# 16 KB it acknowledges; without SACK, at 32 KB. So the 16 KB hello in
# 1-byte records (98 KB) is past what the kernel can be sent: held up to
# the window's edge, then to ksteerd (reasm_window_full), which routes it
# and hands it back.
if [ -z "$SHAPES_ONLY" ] || [[ records_1_sni_last_16k =~ $SHAPES_ONLY ]]; then
	for opt in window_scaling sack; do
		in_cli sysctl -qw net.ipv4.tcp_$opt=0
		kernel_case "records_1_sni_last_16k [one, IPv4, no ${opt/_/ }]" \
			records_1_sni_last_16k $SRV4 "reasm_window_full=1 reasm_completed=0"
		settled "$WORK/after.json" || echo "# ksteerd not settled after 8 s"
		in_cli sysctl -qw net.ipv4.tcp_$opt=1
	done
fi

# The kernel alone: ksteerd stopped, nothing can take what the kernel gives
# up (it would be refused), so a handshake here is the kernel's own work.
# Up to 16 KB in 1- and 2-byte records, the SNI last, IPv4 and IPv6.
if kill -0 $KSTEERD_PID; then
	ok "ksteerd still runs"
else
	fail "ksteerd still runs; its log ends:"
	tail -n 5 "$WORK/ksteerd.log"
fi
kill $KSTEERD_PID
wait $KSTEERD_PID 2>/dev/null
# IPv6 clients need an IPv6 listener: the same s_server on [::1], backend a6.
s_server '[::1]:9002' "$WORK/backend6.log"
BACKEND6_PID=$!
wait_listen '\[::1\]' 9002 || fail "the IPv6 s_server did not start"
in_srv $KSTEER backend add a6 '[::1]:9002'
for fam in IPv4 IPv6; do
	addr=$SRV4
	if [ $fam = IPv6 ]; then
		addr=$SRV6
		in_srv $KSTEER route del $SNI
		in_srv $KSTEER route add $SNI a6
	fi
	for name in "${BIG[@]}"; do
		[ -n "$SHAPES_ONLY" ] && ! [[ $name =~ $SHAPES_ONLY ]] && continue
		kernel_case "$name [one, $fam, ksteerd stopped]" $name $addr \
			"reasm_completed=1 assigned=1 reasm_handed_to_fallback=0 hello_too_big=0 reasm_overflow=0"
	done
done
check "s_server (backend a6) still runs" kill -0 $BACKEND6_PID
check "s_server (backend a) still runs" kill -0 $BACKEND_PID
check "s_server (direct) still runs" kill -0 $DIRECT_PID
expect_eq "no hand-back counted failed whose client got its ServerHello" "" \
	"$(IFS=';'; echo "${HANDBACK_FAILED_SERVED[*]}")"
echo "# $(( $(date +%s) - start )) s for ${#LIST[@]} shapes"
summary
