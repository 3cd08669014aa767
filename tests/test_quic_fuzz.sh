#!/usr/bin/env bash
# A short libFuzzer run on the QUIC Initial decoder and CRYPTO reassembly,
# seeded with test_quic's connections (datagrams, and plaintexts the target
# seals itself) and the RFC packets.
source "$(dirname "$0")/lib.sh"
FUZZ=$ROOT/build/fuzz_quic
SECS=${KS_FUZZ_SECONDS:-20}
if [ ! -x "$FUZZ" ] || [ ! -x "$ROOT/build/test_quic" ]; then
	fail "no $FUZZ or build/test_quic (make build/fuzz_quic build/test_quic)"
	summary
	exit 1
fi
corpus=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$corpus" "$log"' EXIT
check "seed corpus written" "$ROOT/build/test_quic" --fuzz-seeds "$corpus"
for f in "$ROOT"/tests/captures/quic/*.bin; do
	# Mode 0, one record: the datagram as it is.
	{ printf '\0'; printf "\\x$(printf %02x $(($(stat -c %s "$f") >> 8)))"
	  printf "\\x$(printf %02x $(($(stat -c %s "$f") & 255)))"; cat "$f"; } >"$corpus/$(basename "$f")"
done
if "$FUZZ" -max_total_time="$SECS" -max_len=8192 -print_final_stats=1 "$corpus" >"$log" 2>&1; then
	ok "fuzz_quic: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') inputs in ${SECS}s, no crash"
else
	fail "fuzz_quic found a crash:"
	grep -E 'ERROR|SUMMARY|abort|Test unit written' "$log" | head -20
fi
# The invariant-header parser the BPF programs run, against ksteerd's.
INV=$ROOT/build/fuzz_quic_inv
if [ ! -x "$INV" ]; then
	fail "no $INV (make build/fuzz_quic_inv)"
elif mkdir "$corpus/inv" && cp "$ROOT"/tests/captures/quic/*.bin "$corpus/inv" &&
	"$INV" -max_total_time="$SECS" -print_final_stats=1 "$corpus/inv" >"$log" 2>&1; then
	ok "fuzz_quic_inv: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') inputs in ${SECS}s, no crash, the two parsers agree"
else
	fail "fuzz_quic_inv found a crash or a disagreement:"
	grep -E 'ERROR|SUMMARY|abort|Test unit written' "$log" | head -20
fi
summary
