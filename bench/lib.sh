# Shared by the benchmark scripts: the namespaces of tests/lib/netns.sh plus a
# second veth pair that reaches the backends with no BPF in the way.
source "$(dirname "${BASH_SOURCE[0]}")/../tests/lib/netns.sh"
DIRECT4=198.18.1.1
DIRECT_CLI4=198.18.1.2

# bench_link_up: both pairs, GRO off on the server side and TSO/GSO off on
# the client, so every segment is its own packet, as from a real NIC
# without offloads.
bench_link_up() {
	ks_netns_up || return 1
	ip link add "${KS_TAG}-ds" type veth peer name "${KS_TAG}-dc" || return 1
	ip link set "${KS_TAG}-ds" netns "$SRV_NS"
	ip link set "${KS_TAG}-dc" netns "$CLI_NS"
	ip -n "$SRV_NS" addr add $DIRECT4/24 dev "${KS_TAG}-ds"
	ip -n "$CLI_NS" addr add $DIRECT_CLI4/24 dev "${KS_TAG}-dc"
	ip -n "$SRV_NS" link set "${KS_TAG}-ds" up
	ip -n "$CLI_NS" link set "${KS_TAG}-dc" up
	ip netns exec "$SRV_NS" ethtool -K "${KS_TAG}-ds" gro off >/dev/null 2>&1 || true
	ip netns exec "$CLI_NS" ethtool -K "$CLI_IF" tso off gso off >/dev/null 2>&1 || true
	ip netns exec "$CLI_NS" ethtool -K "${KS_TAG}-dc" tso off gso off >/dev/null 2>&1 || true
	# The client closes first, so its TIME_WAIT sockets pile up: ~45,000 a
	# minute against 28,000 ephemeral ports, and connect() then crawls
	# through the port range under a lock, serialising every client
	# (seen: 2,400 conn/s falling to 400 mid-run, for direct and ksteer
	# alike). A load generator reuses them, as the kernel allows it to.
	ip netns exec "$CLI_NS" sysctl -qw net.ipv4.tcp_tw_reuse=1 \
		net.ipv4.ip_local_port_range="1024 65000" >/dev/null
	[ "${RX_OWN_CPU:-0}" = 1 ] && bench_rx_own_cpu
	return 0
}

# bench_rx_own_cpu (RX_OWN_CPU=1): each side's receive path on its own CPU,
# as on two hosts whose NICs interrupt their own CPUs. veth runs the
# receiver's softirq, a TC program included, on the sending CPU: the
# server's receive path (ksteer's TC program with it) on the client's CPU
# 0, the client's on the server's CPU 1. RPS moves each to its side's
# CPU, at the price of a cross-CPU wake-up per batch (an IPI; a VM exit
# in a VM).
bench_rx_own_cpu() {
	local d
	for d in "$SRV_IF" "${KS_TAG}-ds"; do
		ip netns exec "$SRV_NS" sh -c "echo 2 >/sys/class/net/$d/queues/rx-0/rps_cpus"
	done
	for d in "$CLI_IF" "${KS_TAG}-dc"; do
		ip netns exec "$CLI_NS" sh -c "echo 1 >/sys/class/net/$d/queues/rx-0/rps_cpus"
	done
}

# bpf_stats_save: kernel.bpf_stats_enabled as it is now, in STATS0;
# bpf_stats_restore puts it back (a script with a cleanup trap of its own
# calls it there); bpf_stats_keep saves it and puts it back when the script
# ends (ks_on_exit). One switch for the whole kernel: a benchmark turns it
# on only around what it measures.
bpf_stats_save() { STATS0=$(cat /proc/sys/kernel/bpf_stats_enabled); }
bpf_stats_keep() {
	bpf_stats_save
	ks_on_exit 'bpf_stats_restore'
}
bpf_stats_restore() { echo "$STATS0" >/proc/sys/kernel/bpf_stats_enabled; }

# prog_stats NAME: "run_time_ns run_cnt" of the program pinned as NAME in
# $KSTEER_PIN_DIR (or at NAME, a path from /), "0 0" when there is none
# (the run time grows only while kernel.bpf_stats_enabled is 1).
prog_stats() {
	local pin=$1

	[[ $pin == /* ]] || pin=$KSTEER_PIN_DIR/$pin
	bpftool prog show pinned "$pin" -j 2>/dev/null |
		/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("run_time_ns",0), d.get("run_cnt",0))' 2>/dev/null ||
		echo "0 0"
}

# cpu_ns PID: the time the process has run, in ns (its schedstat); 0
# without a process.
cpu_ns() { [ -n "$1" ] && awk '{print $1}' "/proc/$1/schedstat" 2>/dev/null || echo 0; }

# bench_srv CPU CMD...: run CMD in the server namespace on CPU, in the
# background; $! is CMD's own pid (nsenter and taskset exec it).
bench_srv() {
	local cpu=$1
	shift
	nsenter --net=/run/netns/$SRV_NS taskset -c "$cpu" "$@" &
}

# bench_down: what a benchmark made, undone (its trap on EXIT): ksteer
# down, the namespaces and $WORK removed.
bench_down() {
	in_srv "$KSTEER" down >/dev/null 2>&1 || true
	ks_netns_down
	rm -rf "$WORK"
}

# The QUIC floods' ksteer (bench/quic_bench.sh, bench/tc_floor.sh):
# quic_bench_up: `up --quic` on the server's veth. quic_bench_register PID
# DCID: the receiver PID's sockets registered as backend qf, and DCID (8
# bytes, hex) pinned as a CID of its first IPv4 UDP slot (0x100) in
# ks_quic_scids, as TC egress learns a server's CID (value: slot, last
# seen), with 8 among the CID lengths short headers are tried with.
# quic_bench_unregister: qf deleted.
quic_bench_up() {
	in_srv "$KSTEER" up -a $SRV4 -a $SRV6 -i "$SRV_IF" -p 443 --quic >/dev/null ||
		{ echo "ksteer up failed" >&2; exit 1; }
}
quic_bench_register() {
	local id
	in_srv "$KSTEER" backend add qf --pid "$1" >/dev/null || { echo "backend add failed" >&2; return 1; }
	id=$(in_srv "$KSTEER" backend list -j | /usr/bin/python3 -c \
		'import json,sys; print([b["id"] for b in json.load(sys.stdin) if b["name"]=="qf"][0])')
	bpftool map update pinned "$KSTEER_PIN_DIR/ks_quic_scids" key hex 08 \
		$(sed 's/../& /g' <<<"$2") 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 \
		value hex $(printf '%02x 00 00 00' "$id") 00 01 00 00 00 00 00 00 00 00 00 00
	bpftool map update pinned "$KSTEER_PIN_DIR/ks_quic_cid_lens" key hex 00 00 00 00 \
		value hex 00 01 00 00
}
quic_bench_unregister() { in_srv "$KSTEER" backend del qf >/dev/null; }
