#!/usr/bin/env bash
# Installing ksteer: `make install` into a DESTDIR (the tree, the version
# everywhere, the units through systemd-analyze verify, the man pages and
# the completion against the programs, the hand-off library through
# pkg-config, the example configuration applied by the unit's own command
# in a namespace), `make uninstall` (nothing left but an edited
# configuration); then `make deb`, dpkg -i (nothing enabled or started),
# and dpkg --purge (nothing left, the pins of an `up` removed).
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
ks_test_begin "install tests"
VERSION=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
DEST=$WORK/dest
PFX=$DEST/usr/local
# make of the tree, not of the make that may run this (make test): none of
# its flags or variables.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$ROOT" "$@" >>"$WORK/make.log" 2>&1; }

# ---- make install -----------------------------------------------------------

check "make install DESTDIR=..." mk install DESTDIR="$DEST"
want_tree="etc/ksteer/ksteer.conf 644
etc/ksteer/ksteer.env 644
usr/local/include/ksteer_handoff.h 644
usr/local/lib/libksteer_handoff.a 644
usr/local/lib/libksteer_handoff.so -> libksteer_handoff.so.0
usr/local/lib/libksteer_handoff.so.0 -> libksteer_handoff.so.$VERSION
usr/local/lib/libksteer_handoff.so.$VERSION 755
usr/local/lib/pkgconfig/ksteer_handoff.pc 644
usr/local/lib/systemd/system/ksteer.service 644
usr/local/lib/systemd/system/ksteerd.service 644
usr/local/sbin/ksteer 755
usr/local/sbin/ksteer-backend 755
usr/local/sbin/ksteerd 755
usr/local/share/bash-completion/completions/ksteer 644
usr/local/share/man/man5/ksteer.conf.5 644
usr/local/share/man/man8/ksteer-backend.8 644
usr/local/share/man/man8/ksteer.8 644
usr/local/share/man/man8/ksteerd.8 644"
expect_eq "the installed tree: programs, library, header, pkg-config, units, man pages, completion, config" \
	"$want_tree" "$(cd "$DEST" && find . \( -type f -printf '%P %m\n' \) -o \( -type l -printf '%P -> %l\n' \) | LC_ALL=C sort)"
expect_eq "the installed ksteer: --version is the Makefile's" "ksteer $VERSION" "$("$PFX/sbin/ksteer" --version)"
expect_eq "pkg-config: the same version, the prefix's paths" \
	"$VERSION -I/usr/local/include -L/usr/local/lib -lksteer_handoff" \
	"$(PKG_CONFIG_PATH=$PFX/lib/pkgconfig pkg-config --modversion ksteer_handoff) $(echo $(PKG_CONFIG_PATH=$PFX/lib/pkgconfig pkg-config --cflags --libs ksteer_handoff))"
expect_eq "the man pages carry the version" "4" \
	"$(grep -l "^\.TH .*\"ksteer $VERSION\"" "$PFX"/share/man/man*/* | wc -l)"
U=$PFX/lib/systemd/system
unit() { sed -n "s/^$2=//p" "$U/$1"; }
expect_eq "ksteer.service: oneshot, stays active; up -c the config at start and on reload, down at stop" \
	"oneshot yes|/usr/local/sbin/ksteer up \$KSTEER_UP_ARGS -c /etc/ksteer/ksteer.conf|/usr/local/sbin/ksteer up \$KSTEER_UP_ARGS -c /etc/ksteer/ksteer.conf|/usr/local/sbin/ksteer down" \
	"$(unit ksteer.service Type) $(unit ksteer.service RemainAfterExit)|$(unit ksteer.service ExecStart)|$(unit ksteer.service ExecReload)|$(unit ksteer.service ExecStop)"
expect_eq "ksteerd.service: after and requiring ksteer.service, restarted on failure, SIGHUP on reload" \
	"ksteer.service ksteer.service on-failure|/usr/local/sbin/ksteerd \$KSTEERD_ARGS -c /etc/ksteer/ksteer.conf|/bin/kill -HUP \$MAINPID" \
	"$(unit ksteerd.service After) $(unit ksteerd.service Requires) $(unit ksteerd.service Restart)|$(unit ksteerd.service ExecStart)|$(unit ksteerd.service ExecReload)"

# systemd-analyze verify in a root of its own (no systemd runs here): the
# system's units, the installed tree and what the units execute; MANPATH
# lets it find the man pages their Documentation= names.
verify_units() { # ROOT MANDIR UNIT...: ok when verify says nothing
	local root=$1 mandir=$2 out
	shift 2
	out=$(MANPATH=$mandir systemd-analyze verify --root="$root" "$@" 2>&1)
	expect_eq "systemd-analyze verify $*: clean (exit 0, nothing said)" "0 " "$? $out"
}
if ! command -v systemd-analyze >/dev/null; then
	fail "systemd-analyze is missing (scripts/install-deps.sh installs systemd)"
else
	VROOT=$WORK/verify-root
	mkdir -p "$VROOT/lib/systemd" "$VROOT/bin"
	cp -a /lib/systemd/system "$VROOT/lib/systemd/" && cp -a "$DEST/." "$VROOT/" &&
		cp /bin/kill "$VROOT/bin/"
	verify_units "$VROOT" "$PFX/share/man" ksteer.service ksteerd.service
	# And that it would say so: a unit whose program is missing.
	rm "$VROOT/usr/local/sbin/ksteerd"
	out=$(MANPATH=$PFX/share/man systemd-analyze verify --root="$VROOT" ksteerd.service 2>&1)
	check "systemd-analyze verify: a missing program is an error ($out)" \
		bash -c "[[ '$out' == *'/usr/local/sbin/ksteerd'* ]]"
fi

# ---- the man pages and the completion ---------------------------------------

for m in "$PFX"/share/man/man*/*; do
	out=$(groff -man -ww -z -Tutf8 "$m" 2>&1)
	expect_eq "$(basename "$m"): groff reads it without a warning" "" "$out"
done
# ksteer(8)'s COMMANDS: every command of the table with the usage forms and
# the options its --help prints (both from the table).
$PY - "$KSTEER" "$PFX/share/man/man8/ksteer.8" >"$WORK/man.txt" <<'EOF'
import re, subprocess, sys
ksteer, page = sys.argv[1], open(sys.argv[2]).read()
def deroff(s):
    s = re.sub(r"\\f[BIRP]|\\%|\\&", "", s).replace("\\ ", " ").replace("\\-", "-")
    return s.replace("\\e", "\\")
top = subprocess.run([ksteer, "--help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  ([a-z]+(?: [a-z]+)?)  +", top, re.M)
sections = dict(re.findall(r'^\.SS "(.*?)"\n(.*?)(?=^\.S[SH] )', page, re.M | re.S))
bad = []
for c in cmds:
    if c not in sections:
        bad.append("%s: no section" % c); continue
    sec = sections[c]
    forms = [deroff(l) for l in re.findall(r"^\.ti -4n\n(.*)$", sec, re.M)]
    help_ = subprocess.run([ksteer] + c.split() + ["--help"], capture_output=True, text=True).stdout
    want, opts = [], []
    for line in help_.split("\n\n")[0].splitlines():
        if line.startswith(("usage: ksteer ", "       ksteer ")):
            want.append(line.strip().removeprefix("usage: "))
        else:
            want[-1] += " " + line.strip()
    for line in help_.splitlines():
        m = re.match(r"^  (?:(-\w), |    )(--[a-z-]+)( [A-Z:|-]+)?", line)
        if m and m[2] != "--help":
            opts.append("%s%s%s" % (m[1] + ", " if m[1] else "", m[2], m[3] or ""))
    if forms != want:
        bad.append("%s: forms %s, --help %s" % (c, forms, want))
    tags = [deroff(t) for t in re.findall(r"^\.TP\n(.*)$", sec, re.M)]
    if tags != opts:
        bad.append("%s: options %s, --help %s" % (c, tags, opts))
print("%d commands" % len(cmds))
print("\n".join(bad))
EOF
expect_eq "ksteer(8): every command, its usage forms and options as its --help has them" \
	"$($KSTEER --help | grep -cE '^  [a-z]+( [a-z]+)?  +')" "$(head -1 "$WORK/man.txt" | cut -d' ' -f1)"
expect_eq "ksteer(8): nothing differs from the table" "" "$(tail -n +2 "$WORK/man.txt")"

# ksteerd(8), ksteer-backend(8): written by hand, so each option they
# document must be one the program takes (getopt does not refuse it) and
# names in its --help, and every option of the --help must be documented
# (--help itself aside). Both refuse an option in ksteer's words.
man_opts() { # PAGE: "OPTION ARG?" for each tag of its OPTIONS section
	sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$1" | sed -n '/^\.TP/{n;p}' | sed 's/\\-/-/g; s/\\f[BIRP]//g' |
		$PY -c 'import re,sys
for line in sys.stdin:
    line = re.sub(r"^\.[A-Z]+\s*", "", line)      # the font macro
    arg = "arg" if re.search(r"\b[A-Z]", line) else "-"
    for o in re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", line):
        print(o, arg)'
}
for prog in ksteerd ksteer-backend; do
	page=$PFX/share/man/man8/$prog.8
	usage=$("$ROOT/build/$prog" --help 2>&1 | grep -oE -- '(^|[^a-z-])--?[a-z][a-z-]*' |
		grep -oE -- '--?[a-z][a-z-]*' | grep -vxE -- '--help|-h' | LC_ALL=C sort -u)
	documented=$(man_opts "$page" | cut -d' ' -f1 | LC_ALL=C sort -u)
	expect_eq "$prog(8): its options are the ones its usage names" "$usage" "$documented"
	refused=()
	while read -r opt arg; do
		if [ "$arg" = arg ]; then set -- "$opt" 1; else set -- "$opt"; fi
		out=$(KSTEER_PIN_DIR=$WORK/no-pins timeout 5 "$ROOT/build/$prog" "$@" </dev/null 2>&1)
		[[ $out == *"bad option"* || $out == *"needs an argument"* ||
			$out == *"takes no argument"* ]] && refused+=("$opt")
	done < <(man_opts "$page")
	expect_eq "$prog(8): every option it documents is one $prog takes" "" "${refused[*]}"
	expect_eq "$prog: an option it does not take is refused so" \
		"$prog: bad option '--frobnicate' ('$prog --help' lists them)" \
		"$("$ROOT/build/$prog" --frobnicate 2>&1)"
done

# The completion: sourced, it completes every command's words and every
# option its --help names.
comp=$PFX/share/bash-completion/completions/ksteer
out=$(bash -c '
source "$1"
ks() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _ksteer_complete; echo "${COMPREPLY[*]}"; }
ksteer=$2
"$ksteer" --help | sed -nE "s/^  ([a-z]+( [a-z]+)?)  +.*/\1/p" | while read -r cmd; do
	set -- $cmd
	[[ " $(ks ksteer "") " == *" $1 "* ]] || echo "$cmd: $1 not offered"
	[ $# = 2 ] && { [[ " $(ks ksteer "$1" "") " == *" $2 "* ]] || echo "$cmd: $2 not offered"; }
	for o in $("$ksteer" $cmd --help | grep -oE -- "(^|, |  )--?[a-z][a-z-]*" | grep -oE -- "--?[a-z][a-z-]*"); do
		[[ " $(ks ksteer $cmd "${o:0:2}") " == *" $o "* ]] || echo "$cmd: $o not offered"
	done
done
[ "$(ks ksteer -)" = "-h --help -V --version" ] || echo "ksteer -: $(ks ksteer -)"
[ "$(ks ksteer help key "")" = "set rotate show" ] || echo "help key: $(ks ksteer help key "")"
' _ "$comp" "$KSTEER" 2>&1)
expect_eq "completion: every command word and every option of each --help offered" "" "$out"
out=$(cd "$ROOT" && bash -c 'source "$1"; COMP_WORDS=(ksteer up -c Makef); COMP_CWORD=3; _ksteer_complete; echo "${COMPREPLY[*]}"' _ "$comp")
expect_eq "completion: a FILE argument completes file names" "Makefile" "$out"

# ---- the hand-off library -----------------------------------------------------

cat >"$WORK/h.c" <<'EOF'
#include <stdio.h>
#include <ksteer_handoff.h>
int main(int argc, char **argv) { int fd = ksteer_handoff_listen(argv[1]); printf("%d\n", fd >= 0); return fd < 0; }
EOF
pc() { PKG_CONFIG_PATH=$PFX/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$DEST pkg-config "$@" ksteer_handoff; }
# shellcheck disable=SC2046
check "a backend compiles and links against the shared library (pkg-config)" \
	cc -o "$WORK/h-shared" "$WORK/h.c" $(pc --cflags --libs)
expect_eq "... and runs with it (ksteer_handoff_listen)" "1 yes" \
	"$(LD_LIBRARY_PATH=$PFX/lib "$WORK/h-shared" "$WORK/h1.sock") $([ -S "$WORK/h1.sock" ] && echo yes)"
check "... linked to libksteer_handoff.so.0" \
	bash -c "LD_LIBRARY_PATH=$PFX/lib ldd '$WORK/h-shared' | grep -q 'libksteer_handoff.so.0 => $PFX/lib/'"
check "and statically (pkg-config --static, the archive)" \
	cc -static -o "$WORK/h-static" "$WORK/h.c" $(pc --cflags) "$PFX/lib/libksteer_handoff.a"
expect_eq "... which runs on its own" "1" "$("$WORK/h-static" "$WORK/h2.sock")"

# ---- the example configuration, by the units' own commands ----------------------

# ExecStart, ExecReload and ExecStop of the installed units, as systemd
# would run them with the installed environment file, with the paths of
# DESTDIR, in the server namespace (the example's public address on its lo).
run_unit() { # UNIT KEY: the command, its exit status
	local cmd
	cmd=$(sed -n "s/^$2=//p" "$U/$1" | sed "s|/usr/local/|$PFX/|g; s|/etc/ksteer/|$DEST/etc/ksteer/|g")
	(set -a; source "$DEST/etc/ksteer/ksteer.env"; set +a; eval "in_srv $cmd")
}
ip -n "$SRV_NS" addr add 198.51.100.7/32 dev lo
check "ksteer.service's ExecStart applies the example configuration" run_unit ksteer.service ExecStart
expect_eq "... its routes in force" "*.b.example site-b;a.example site-a" \
	"$(in_srv "$PFX/sbin/ksteer" route list -j | $PY -c 'import json,sys; print(";".join("%s %s" % (r["host"], r["backend"]) for r in json.load(sys.stdin)))')"
check "ksteer.service's ExecReload applies it again" run_unit ksteer.service ExecReload
run_unit ksteerd.service ExecStart >"$WORK/ksteerd.log" 2>&1 &
for _ in $(seq 50); do grep -q listening "$WORK/ksteerd.log" && break; sleep 0.1; done
check "ksteerd.service's ExecStart: ksteerd listens where the example says ($(head -1 "$WORK/ksteerd.log"))" \
	grep -q "listening on 198.51.100.7:443" "$WORK/ksteerd.log"
# Only the ksteerd this test installed (others on the host are not ours).
pkill -TERM -f "^$PFX/sbin/ksteerd " 2>/dev/null
wait
check "ksteer.service's ExecStop: down" run_unit ksteer.service ExecStop
check "... every pin gone" test ! -e "$KSTEER_PIN_DIR"
# ksteer.conf(5)'s EXAMPLE is a file ksteer takes.
sed -n '/^\.SH EXAMPLE/,/^\.SH /p' "$PFX/share/man/man5/ksteer.conf.5" | sed -n '/^\.nf/,/^\.fi/p' |
	sed '1d;$d; s/\\-/-/g' >"$WORK/example.conf"
check "ksteer.conf(5)'s example is a valid file (up -c)" \
	in_srv "$PFX/sbin/ksteer" up -c "$WORK/example.conf" 2>"$WORK/up.log"
expect_eq "... its 6 routes and 6 backends" "6 6" \
	"$(in_srv "$PFX/sbin/ksteer" route list -j | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))') $(in_srv "$PFX/sbin/ksteer" backend list -j | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')"
in_srv "$PFX/sbin/ksteer" down

# ---- make install again, make uninstall -------------------------------------------

echo "# edited" >>"$DEST/etc/ksteer/ksteer.conf"
check "make install again" mk install DESTDIR="$DEST"
check "... keeps an edited configuration" grep -q "^# edited" "$DEST/etc/ksteer/ksteer.conf"
check "make uninstall" mk uninstall DESTDIR="$DEST"
expect_eq "make uninstall: only the edited configuration is left" "etc/ksteer/ksteer.conf" \
	"$(cd "$DEST" && find . ! -type d -printf '%P\n')"
rm "$DEST/etc/ksteer/ksteer.conf"
mk install DESTDIR="$DEST" PREFIX=/usr && mk uninstall DESTDIR="$DEST" PREFIX=/usr
expect_eq "make install, uninstall with PREFIX=/usr: nothing left" "" "$(cd "$DEST" && find . ! -type d)"

# ---- make deb, dpkg -i, dpkg -r, dpkg --purge ---------------------------------------

# The package's files that are no directory (dpkg -L lists directories too).
pkg_files() { dpkg -L ksteer 2>/dev/null | while read -r f; do [ -d "$f" ] || echo "$f"; done; }
# Whether a process runs the installed ksteerd.
installed_ksteerd_runs() {
	local p
	for p in /proc/[0-9]*; do [ "$(readlink "$p/exe" 2>/dev/null)" = /usr/sbin/ksteerd ] && return 0; done
	return 1
}
# The states of the machine the package must leave as they were.
machine_state() {
	ls -d /etc/systemd/system/*.wants/ksteer*.service /var/lib/systemd/deb-systemd-helper-enabled/*ksteer* \
		/sys/fs/bpf/ksteer /etc/ksteer 2>/dev/null
}
if dpkg-query -W -f='${Status}' ksteer 2>/dev/null | grep -q installed || [ -e /usr/sbin/ksteer ] ||
	[ -e /etc/ksteer ]; then
	skip "the .deb: ksteer is installed on this machine already (dpkg, /usr/sbin/ksteer or /etc/ksteer), a test does not replace it"
elif ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	fail "the .deb: dpkg-buildpackage and debhelper are missing (scripts/install-deps.sh installs them)"
else
	before=$(machine_state)
	t0=$(date +%s)
	check "make deb" mk deb
	deb=$ROOT/build/deb/ksteer_${VERSION}_$(dpkg-architecture -qDEB_HOST_ARCH).deb
	check "make deb: the package in build/deb, built in $(($(date +%s) - t0)) s (the build reused)" \
		test -f "$deb" -a $(($(date +%s) - t0)) -lt 120
	expect_eq "its version is the Makefile's" "$VERSION" "$(dpkg-deb -f "$deb" Version)"
	expect_eq "debian/ is left as it was (its changelog written and ignored)" "" \
		"$(git -C "$ROOT" status --porcelain --ignored=matching debian | grep -v '^!! debian/changelog$')"
	dpkg-deb -e "$deb" "$WORK/control"
	check "its scripts start nothing" bash -c "! grep -qE 'deb-systemd-invoke (start|restart)|systemctl (start|restart)' $WORK/control/*"

	ks_on_exit "in_srv dpkg --purge ksteer"
	check "dpkg -i" in_srv dpkg -i "$deb" >"$WORK/dpkg.log" 2>&1
	for f in /usr/sbin/ksteer /usr/sbin/ksteerd /usr/sbin/ksteer-backend /usr/include/ksteer_handoff.h \
		/lib/systemd/system/ksteer.service /lib/systemd/system/ksteerd.service \
		/usr/share/man/man8/ksteer.8.gz /usr/share/man/man5/ksteer.conf.5.gz \
		/usr/share/bash-completion/completions/ksteer /etc/ksteer/ksteer.conf /etc/ksteer/ksteer.env; do
		[ -e "$f" ] || fail "dpkg -i: $f is missing"
	done
	ok "dpkg -i: the programs, header, units, man pages, completion and configuration in place"
	expect_eq "the installed ksteer: --version; pkg-config finds the library" "ksteer $VERSION $VERSION" \
		"$(/usr/sbin/ksteer --version) $(pkg-config --modversion ksteer_handoff)"
	# shellcheck disable=SC2046
	check "a backend builds against the installed library and runs" bash -c \
		"cc -o '$WORK/h-deb' '$WORK/h.c' \$(pkg-config --cflags --libs ksteer_handoff) && '$WORK/h-deb' '$WORK/h3.sock' >/dev/null"
	verify_units / /usr/share/man ksteer.service ksteerd.service
	expect_eq "dpkg -i: nothing enabled (systemctl is-enabled), nothing started, nothing pinned" \
		"disabled disabled||no|no" \
		"$(echo $(systemctl is-enabled ksteer.service ksteerd.service 2>&1))|$(ls -d /etc/systemd/system/*.wants/ksteer* 2>/dev/null)|$(installed_ksteerd_runs && echo yes || echo no)|$([ -e /sys/fs/bpf/ksteer ] && [[ $before != *"/sys/fs/bpf/ksteer"* ]] && echo yes || echo no)"
	# An up by the installed ksteer, in the namespace; purged there, the
	# package takes it down and leaves nothing.
	check "the installed ksteer up, a backend and a route" bash -c "
		nsenter --net=/run/netns/$SRV_NS /usr/sbin/ksteer up -a $SRV4 -i lo -i $SRV_IF &&
		nsenter --net=/run/netns/$SRV_NS /usr/sbin/ksteer backend add a 127.0.0.1:9001 &&
		nsenter --net=/run/netns/$SRV_NS /usr/sbin/ksteer route add a.example a"
	files=$(pkg_files)
	check "dpkg --purge (where up ran)" in_srv dpkg --purge ksteer >>"$WORK/dpkg.log" 2>&1
	expect_eq "purged: not installed, none of its files left, the machine as before" \
		"unknown||$before" \
		"$(dpkg-query -W -f='${db:Status-Want}' ksteer 2>/dev/null || echo unknown)|$(for f in $files; do [ -e "$f" ] && echo "$f"; done)|$(machine_state)"
	check "purged: the pins of its up gone" test ! -e "$KSTEER_PIN_DIR"
	check "purged: its TC filter gone" bash -c "! nsenter --net=/run/netns/$SRV_NS tc filter show dev $SRV_IF ingress | grep -q ksteer"
	# Removed, the configuration stays; purged, it goes, and so do pins a
	# down did not take (here, a map pinned by hand).
	in_srv dpkg -i "$deb" >>"$WORK/dpkg.log" 2>&1
	echo "# edited" >>/etc/ksteer/ksteer.conf
	check "dpkg -r" in_srv dpkg -r ksteer >>"$WORK/dpkg.log" 2>&1
	expect_eq "removed: the programs gone, the configuration kept" "config-files no yes" \
		"$(dpkg-query -W -f='${db:Status-Status}' ksteer) $([ -e /usr/sbin/ksteer ] && echo yes || echo no) $(grep -q '^# edited' /etc/ksteer/ksteer.conf && echo yes)"
	mkdir -p "$KSTEER_PIN_DIR"
	bpftool map create "$KSTEER_PIN_DIR/left" type array key 4 value 4 entries 1 name left
	check "dpkg --purge after -r" in_srv dpkg --purge ksteer >>"$WORK/dpkg.log" 2>&1
	expect_eq "purged: the configuration and the pins left gone, the machine as before" \
		"unknown no|$before" \
		"$(dpkg-query -W -f='${db:Status-Want}' ksteer 2>/dev/null || echo unknown) $([ -e "$KSTEER_PIN_DIR" ] && echo yes || echo no)|$(machine_state)"
fi

summary
