# Shared by the test scripts: counters, checks and the closing line.
# Each script sources this, calls ok/fail/skip, and ends with `summary`.
KS_PASS=0
KS_FAIL=0
KS_SKIP=0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
KSTEER=$ROOT/build/ksteer
# Debian's interpreter starts in 30 ms; a pyenv shim takes ten times that,
# which skews every timing a test takes around a Python client.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

ok()   { echo "ok - $*"; KS_PASS=$((KS_PASS + 1)); }
fail() { echo "FAIL - $*"; KS_FAIL=$((KS_FAIL + 1)); }
skip() { echo "skip - $*"; KS_SKIP=$((KS_SKIP + 1)); }

# check DESC CMD...: ok if CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# expect_eq DESC WANT GOT
expect_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else fail "$1 (want '$2', got '$3')"; fi
}

# fuzz_run NAME BINARY CORPUS SECS [LIBFUZZER-ARGS...]: a bounded libFuzzer
# run; ok with how many inputs it tried, or fail with the crash it found.
fuzz_run() {
	local name=$1 bin=$2 corpus=$3 secs=$4 log
	shift 4
	log=$(mktemp)
	if "$bin" -max_total_time="$secs" -print_final_stats=1 "$@" "$corpus" >"$log" 2>&1; then
		ok "$name: $(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | awk '{print $2}') inputs in ${secs}s, no crash"
	else
		fail "$name found a crash:"
		grep -E 'ERROR|SUMMARY|abort|Test unit written' "$log" | head -20
	fi
	rm -f "$log"
}

summary() {
	echo "$KS_PASS passed, $KS_FAIL failed, $KS_SKIP skipped"
	[ "$KS_FAIL" -eq 0 ]
}

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "skip - $1 needs root"
		KS_SKIP=$((KS_SKIP + 1))
		summary
		exit 0
	fi
}
