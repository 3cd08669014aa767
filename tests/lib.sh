# Shared by the test scripts: counters, checks and the closing line.
# Each script sources this, calls ok/fail/skip, and ends with `summary`.
KS_PASS=0
KS_FAIL=0
KS_SKIP=0
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
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
