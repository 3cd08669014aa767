#!/usr/bin/env bash
# A short libFuzzer run on the QUIC Initial decoder and CRYPTO reassembly,
# seeded with test_quic's connections (datagrams, and plaintexts the target
# seals itself) and the RFC packets; then the BPF programs' invariant-header
# parser, Initial decryption and frame walker, each against ksteerd's.
source "$(dirname "$0")/../lib/lib.sh"
FUZZ=$ROOT/build/fuzz_quic
SECS=${KS_FUZZ_SECONDS:-20}
if [ ! -x "$FUZZ" ] || [ ! -x "$ROOT/build/test_quic" ]; then
	fail "no $FUZZ or build/test_quic (make build/fuzz_quic build/test_quic)"
	summary
	exit 1
fi
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
check "seed corpus written" "$ROOT/build/test_quic" --fuzz-seeds "$corpus"
for f in "$ROOT"/tests/data/captures/quic/*.bin; do
	# Mode 0, one record: the datagram as it is.
	{ printf '\0'; printf "\\x$(printf %02x $(($(stat -c %s "$f") >> 8)))"
	  printf "\\x$(printf %02x $(($(stat -c %s "$f") & 255)))"; cat "$f"; } >"$corpus/$(basename "$f")"
done
fuzz_run fuzz_quic "$FUZZ" "$corpus" "$SECS" -max_len=8192
# The invariant-header parser the BPF programs run, against ksteerd's.
INV=$ROOT/build/fuzz_quic_inv
if [ ! -x "$INV" ]; then
	fail "no $INV (make build/fuzz_quic_inv)"
else
	mkdir "$corpus/inv" && cp "$ROOT"/tests/data/captures/quic/*.bin "$corpus/inv"
	# A disagreement aborts the target, like a crash.
	fuzz_run "fuzz_quic_inv (BPF and ksteerd header parsers compared)" "$INV" "$corpus/inv" "$SECS"
fi
# The Initial decryption the BPF programs run, against ksteerd's parser and OpenSSL.
QC=$ROOT/build/fuzz_quic_crypt
if [ ! -x "$QC" ]; then
	fail "no $QC (make build/fuzz_quic_crypt)"
else
	mkdir "$corpus/crypt" && cp "$ROOT"/tests/data/captures/quic/*.bin "$corpus/crypt"
	fuzz_run "fuzz_quic_crypt (BPF's Initial decryption against ksteerd's parser, OpenSSL)" \
		"$QC" "$corpus/crypt" "$SECS" -max_len=2100
fi
# The frame walker as TC's Initial routing builds it, against ksteerd's build.
QF=$ROOT/build/fuzz_quic_frames
if [ ! -x "$QF" ]; then
	fail "no $QF (make build/fuzz_quic_frames)"
else
	mkdir "$corpus/frames"
	printf '\x06\x00\x05hello\x01\x00\x00\x00' >"$corpus/frames/crypto"
	printf '\x02\x10\x00\x02\x01\x01\x01\x01\x01\x06\x03\x01x' >"$corpus/frames/ack"
	printf '\x1c\x00\x06\x03bye\x00' >"$corpus/frames/close"
	fuzz_run "fuzz_quic_frames (the kernel's frame walker against ksteerd's)" "$QF" \
		"$corpus/frames" "$SECS" -max_len=2048
fi
summary
