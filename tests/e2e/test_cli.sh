#!/usr/bin/env bash
# The CLI: its interface, its errors (one line, non-zero exit), its JSON,
# and up/down leaving nothing behind. Runs in a namespace it creates.
source "$(dirname "$0")/../lib/lib.sh"
source "$(dirname "$0")/../lib/netns.sh"
need_root "CLI tests"
export KSTEER_PIN_DIR=$KS_PIN
trap ks_test_end EXIT
trap 'exit 143' TERM INT

# err_line DESC PATTERN CMD...: fails with one stderr line matching and
# exit 1, an error in doing what was asked; usage_line the same for a
# command line ksteer cannot read, exit 2 (ksteerd's and ksteer-backend's).
err_exit() {
	local want=$1 desc=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	if [ $rc -eq "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ $out =~ $pat ]]; then
		ok "$desc"
	else
		fail "$desc (exit $rc, not $want: $out)"
	fi
}
err_line() { err_exit 1 "$@"; }
usage_line() { err_exit 2 "$@"; }

is_json() { $PY -c 'import json,sys; [json.loads(l) for l in sys.stdin if l.strip()]'; }

err_line "not up: clear error" "not up" $KSTEER route list
usage_line "unknown command" "unknown command" $KSTEER frobnicate
err_line "up: bad port" "bad port" $KSTEER up -a 198.18.0.1 -p 70000
err_line "up without a public address names -a" "no public address.*-a ADDR" $KSTEER up
err_line "up: bad public address" "bad address '198.18.0.1:443'" $KSTEER up -a 198.18.0.1:443
usage_line "up: unknown option" "bad option '--frobnicate'.*--help" $KSTEER up --frobnicate
expect_eq "up --help: usage on stdout, exit 0" "0 1" \
	"$($KSTEER up --help >/dev/null 2>&1; echo $?) $($KSTEER up --help 2>/dev/null | grep -c '^usage: ksteer up')"
err_line "kernel without the kfunc" "6\.9.*ksteerd" env KSTEER_FORCE_NO_KFUNC=1 $KSTEER up -a 198.18.0.1
err_line "parse: missing file" "cannot read" $KSTEER parse /nonexistent.bin
for args in "" "frobnicate"; do
	usage_line "key ${args:-with no subcommand}: the usage of every key command" \
		"^ksteer: usage: ksteer key set FILE\|- \| key rotate \| key show$" $KSTEER key $args
done
for args in "set" "set a b"; do
	usage_line "key $args: its usage" "^ksteer: usage: ksteer key set FILE\|-$" $KSTEER key $args
done
usage_line "key rotate now: its usage" "^ksteer: usage: ksteer key rotate$" $KSTEER key rotate now
usage_line "key show -j: a bad option" "^ksteer: bad option '-j' \('ksteer key show --help' lists them\)$" \
	$KSTEER key show -j
err_line "key show before up: not up" "not up" $KSTEER key show

# The command table: `ksteer --help` lists every command; each command's
# --help prints its usage on stdout and exits 0; the usage an error prints
# is that usage, on one line; an unknown option is one line.
CMDS=("up" "down" "backend add" "backend del" "backend list" "route add" "route del"
	"route list" "route test" "stats" "monitor" "parse" "key set" "key rotate" "key show")
# One version string, the Makefile's: --version and -V print it, exit 0.
version=$(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")
for v in --version -V; do
	expect_eq "ksteer $v: the Makefile's version, exit 0" "ksteer $version 0" \
		"$($KSTEER $v) $?"
done
help=$($KSTEER --help)
expect_eq "ksteer --help: exit 0" 0 $?
for c in "${CMDS[@]}"; do
	check "ksteer --help lists '$c'" grep -qE "^  $c {2,}[a-z]" <<<"$help"
done
expect_eq "ksteer help: the same list" "$help" "$($KSTEER help)"
out=$($KSTEER 2>&1 >/dev/null)
expect_eq "ksteer alone: the same list, on stderr, exit 2" "2 yes" "$? $([ "$out" = "$help" ] && echo yes)"
# usage_of WORDS...: the usage forms WORDS --help prints, as a usage error
# gives them: "ksteer: usage: ksteer FORM | FORM...".
usage_of() {
	$KSTEER "$@" --help | $PY -c 'import sys
forms = []
for line in sys.stdin:
    if not line.strip():
        break
    if line.startswith(("usage: ksteer ", "       ksteer ")):
        forms.append(line.strip().removeprefix("usage: ").removeprefix("ksteer "))
    else:
        forms[-1] += " " + line.strip()   # a long form, continued
print("ksteer: usage: ksteer " + " | ".join(forms))'
}
for c in "${CMDS[@]}"; do
	out=$($KSTEER $c --help 2>/dev/null)
	rc=$?
	expect_eq "$c --help: exit 0, nothing on stderr, its usage first" "0 yes" \
		"$rc $([ -z "$($KSTEER $c --help 2>&1 >/dev/null)" ] && [[ $out == "usage: ksteer $c"* ]] && echo yes)"
	expect_eq "help $c: the same as $c --help" "$out" "$($KSTEER help $c)"
	# parse takes any number of files, none is its error; the others take
	# fewer than five operands.
	[ "$c" = parse ] && extra=() || extra=(w1 w2 w3 w4 w5)
	out=$($KSTEER $c "${extra[@]}" 2>&1 >/dev/null)
	rc=$?
	expect_eq "$c: a usage error is its --help's usage, one line, exit 2" "2 $(usage_of $c)" "$rc $out"
	usage_line "$c: an unknown option" "^ksteer: bad option '--frobnicate' \('ksteer $c --help' lists them\)$" \
		$KSTEER $c --frobnicate
done
# The README's usage block ("## Using it"): the table's forms, one a line
# (a long one continued on indented lines), in its order, then --version.
readme_forms=$($PY - "$ROOT/README.md" <<'EOF'
import sys
text = open(sys.argv[1]).read()
block = text[text.index("## Using it"):].split("\n\n")[1]
forms = []
for line in block.splitlines():
    if line.startswith("    build/ksteer "):
        forms.append(line.strip().removeprefix("build/"))
    elif line.startswith("     ") and forms:
        forms[-1] += " " + line.strip()
    else:
        forms.append(line.strip())
print("\n".join(f for f in forms if f.startswith("ksteer ")))
EOF
)
table_forms=$(for c in "${CMDS[@]}"; do
	usage_of $c | sed 's/^ksteer: usage: //; s/ | /\nksteer /g'
done; echo "ksteer --version")
expect_eq "README: its usage block is the table's forms, one a line" "$table_forms" "$readme_forms"
for g in backend route key; do
	out=$($KSTEER $g --help)
	expect_eq "$g --help: exit 0, every $g command" "0 $(printf '%s\n' "${CMDS[@]}" | grep -c "^$g ")" \
		"$? $(grep -cE "^  $g [a-z]+ {2,}" <<<"$out")"
	expect_eq "$g alone: the usage its --help prints, one line" "$(usage_of $g)" "$($KSTEER $g 2>&1)"
	expect_eq "$g frobnicate: the same" "$(usage_of $g)" "$($KSTEER $g frobnicate 2>&1)"
done
usage_line "help of an unknown command" "^ksteer: unknown command 'backend frob' \(ksteer --help lists them\)$" \
	$KSTEER help backend frob
usage_line "an option without its argument" "^ksteer: option '-a' needs an argument$" $KSTEER up -a
usage_line "a long option without its argument" "^ksteer: option '--pid' needs an argument$" \
	$KSTEER backend add x --pid
usage_line "an argument to an option that takes none" "^ksteer: option '--json' takes no argument$" \
	$KSTEER stats --json=1
usage_line "an unknown short option" "^ksteer: bad option '-z' \('ksteer stats --help' lists them\)$" \
	$KSTEER stats -jz
for args in "x 127.0.0.1:1 --pid 1" "x --fd 3" "x --proxy 127.0.0.1:1 --handoff /run/x.sock" \
	"x 127.0.0.1:1 --proxy-protocol" "x --pid 1 --proxy-protocol"; do
	expect_eq "backend add $args: not one of its forms" "$(usage_of backend add)" \
		"$($KSTEER backend add $args 2>&1)"
done

# ksteerd and ksteer-backend read their command lines as ksteer does:
# --help and --version on stdout, exit 0; a bad command line is one line
# on stderr in ksteer's words, prefixed with the program's name, exit 2.
# prog_err PROG DESC WANT ARGS...: exit 2, nothing on stdout, stderr WANT.
prog_err() {
	local prog=$1 desc=$2 want=$3 out err rc
	shift 3
	err=$(mktemp)
	out=$("$ROOT/build/$prog" "$@" 2>"$err")
	rc=$?
	err=$(cat "$err"; rm "$err")
	expect_eq "$prog: $desc: exit 2, one line on stderr" "2 |$prog: $want" "$rc $out|$err"
}
for prog in ksteerd ksteer-backend; do
	out=$("$ROOT/build/$prog" --help 2>/dev/null)
	expect_eq "$prog --help: its usage on stdout, exit 0, nothing on stderr" "0 yes " \
		"$? $([[ $out == "usage: $prog --listen ADDR:PORT"* ]] && echo yes) $("$ROOT/build/$prog" --help 2>&1 >/dev/null)"
	check "$prog --help: an option a line, --help among them" grep -qE '^ +(-h, )?--help +' <<<"$out"
	expect_eq "$prog --version: the Makefile's, exit 0" \
		"0 $prog $(sed -n 's/^VERSION *:= *//p' "$ROOT/Makefile")" \
		"$(out=$("$ROOT/build/$prog" --version 2>&1); echo "$? $out")"
	prog_err $prog "an unknown option" "bad option '--frobnicate' ('$prog --help' lists them)" \
		--frobnicate --listen 127.0.0.1:1
	prog_err $prog "an unknown short option" "bad option '-z' ('$prog --help' lists them)" -z
	prog_err $prog "a missing argument" "option '--listen' needs an argument" --listen
	prog_err $prog "an argument to an option that takes none" "option '--help' takes no argument" \
		--help=1
done
prog_err ksteerd "an operand" "unexpected argument 'x' ('ksteerd --help')" --listen 127.0.0.1:1 x
prog_err ksteerd "no --listen" "--listen ADDR:PORT is needed ('ksteerd --help')" --deadline 10
prog_err ksteerd "a bad number" "--deadline: bad number '10x' (1..3600000)" \
	--listen 127.0.0.1:1 --deadline 10x
prog_err ksteerd "a bad address" "bad address '127.0.0.1' (want IPv4:PORT or [IPv6]:PORT)" \
	--listen 127.0.0.1
prog_err ksteerd "a bad --metrics address" "bad address 'localhost:9' (want IPv4:PORT or [IPv6]:PORT)" \
	--listen 127.0.0.1:1 --metrics localhost:9
prog_err ksteerd "-c without its file" "option '-c' needs an argument" --listen 127.0.0.1:1 -c
prog_err ksteer-backend "no --root" "--root is needed ('ksteer-backend --help')" --listen 127.0.0.1:1
prog_err ksteer-backend "a bad number" "--bufs: bad number '8' (16..32768)" --bufs 8

ks_netns_up || { fail "namespaces"; summary; exit 1; }
check "up in a fresh namespace" in_srv $KSTEER up -a $SRV4 -a $SRV6 -i lo -i "$SRV_IF"
check "up is idempotent" in_srv $KSTEER up -a $SRV4 -a $SRV6 -i lo -i "$SRV_IF"
check "TC filter on the veth" bash -c "in_srv() { nsenter --net=/run/netns/$SRV_NS \"\$@\"; }; in_srv tc filter show dev $SRV_IF ingress | grep -q ksteer_tc"
err_line "bad address" "bad address" in_srv $KSTEER backend add a 300.1.1.1:80
err_line "bad address: no port" "bad address" in_srv $KSTEER backend add a 127.0.0.1
err_line "bad backend name" "bad backend name" in_srv $KSTEER backend add 'a b' 127.0.0.1:9001
err_line "backend add on the public address:port refused" "public traffic arrives.*--pid" \
	in_srv $KSTEER backend add site-x $SRV4:443
err_line "backend add on the wildcard address, public port, refused" "public traffic arrives" \
	in_srv $KSTEER backend add site-x '[::]:443'
check "backend add on the public address, another port" in_srv $KSTEER backend add site-y $SRV4:8443
in_srv $KSTEER backend del site-y
check "backend add" in_srv $KSTEER backend add site-a 127.0.0.1:9001
check "backend add IPv6" in_srv $KSTEER backend add site-b '[::1]:9002'
err_line "address taken by another backend" "already belongs" in_srv $KSTEER backend add site-c 127.0.0.1:9001
err_line "route to unknown backend" "unknown backend" in_srv $KSTEER route add a.example nosuch
err_line "route: bad host" "bad host" in_srv $KSTEER route add 'a..example' site-a
err_line "route: bad wildcard" "bad host" in_srv $KSTEER route add '*.' site-a
err_line "route: ALPN too long" "bad ALPN" in_srv $KSTEER route add a.example site-a --alpn "$(printf 'x%.0s' {1..40})"
check "route add exact" in_srv $KSTEER route add A.Example site-a
check "route add wildcard" in_srv $KSTEER route add '*.example' site-b
check "route add default" in_srv $KSTEER route add default site-b
check "route add with ALPN" in_srv $KSTEER route add a.example site-b --alpn acme-tls/1
# An LPM lookup of x.example finds *.example's entry: not x.example's route.
err_line "route del of a name only a wildcard covers" "no route for 'x.example'" \
	in_srv $KSTEER route del x.example
expect_eq "route test: exact" site-a "$(in_srv $KSTEER route test a.example)"
expect_eq "route test: ALPN qualifier" site-b "$(in_srv $KSTEER route test A.EXAMPLE --alpn h2 --alpn acme-tls/1)"
expect_eq "route test: wildcard" site-b "$(in_srv $KSTEER route test x.y.example)"
expect_eq "route test: default, no SNI" site-b "$(in_srv $KSTEER route test -)"
out=$(in_srv $KSTEER route list -j)
check "route list -j is JSON" is_json <<<"$out"
expect_eq "route list content" \
	'[{"host":"*.example","proto":"tls","port":null,"alpn":null,"backend":"site-b"},{"host":"a.example","proto":"tls","port":null,"alpn":null,"backend":"site-a"},{"host":"a.example","proto":"tls","port":null,"alpn":"acme-tls/1","backend":"site-b"},{"host":"default","proto":"tls","port":null,"alpn":null,"backend":"site-b"}]' \
	"$out"
err_line "backend del refused while routed" "used by route" in_srv $KSTEER backend del site-a
check "route del ALPN" in_srv $KSTEER route del a.example --alpn acme-tls/1
err_line "route del missing" "no route" in_srv $KSTEER route del a.example --alpn acme-tls/1
check "route del exact" in_srv $KSTEER route del a.example
check "backend del" in_srv $KSTEER backend del site-a
out=$(in_srv $KSTEER backend list -j)
check "backend list -j is JSON" is_json <<<"$out"
expect_eq "backend list content" \
	'[{"name":"site-b","id":2,"addr":"[::1]:9002","via":null,"listeners":0,"quic_sockets":0,"assigned":0,"selected":0,"mptcp_refused":0}]' "$out"
check "stats -j is JSON" is_json <<<"$(in_srv $KSTEER stats -j)"
out=$(in_srv $KSTEER stats -j | $PY -c 'import json,sys; d=json.load(sys.stdin); print(sorted(k for k in d if k in ("syn","cookie_ok","cookie_bad","assigned","no_route","hello_malformed")))')
expect_eq "stats has the named counters" "['assigned', 'cookie_bad', 'cookie_ok', 'hello_malformed', 'no_route', 'syn']" "$out"

check "backend add --proxy" in_srv $KSTEER backend add remote --proxy 192.0.2.10:443 --proxy-protocol
check "backend add --handoff" in_srv $KSTEER backend add ho --handoff /run/ks-test.sock
err_line "handoff path must be absolute" "bad hand-off" in_srv $KSTEER backend add ho2 --handoff rel.sock
expect_eq "backend list shows how ksteerd reaches them" '"proxy 192.0.2.10:443 (PROXY v2)" "handoff /run/ks-test.sock"' \
	"$(in_srv $KSTEER backend list -j | $PY -c 'import json,sys; d={b["name"]:b["via"] for b in json.load(sys.stdin)}; print("\"%s\" \"%s\"" % (d["remote"], d["ho"]))')"
in_srv $KSTEER backend del remote
in_srv $KSTEER backend del ho

# A listener that exists before `backend add` is adopted (pidfd_getfd).
in_srv $PY -c 'import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 9011)); s.listen(); time.sleep(30)' &
wait_listen 127.0.0.1 9011
check "adopt a running listener" in_srv $KSTEER backend add early 127.0.0.1:9011
expect_eq "adopted listener counted" 1 "$(in_srv $KSTEER backend list -j | $PY -c 'import json,sys; print([b["listeners"] for b in json.load(sys.stdin) if b["name"]=="early"][0])')"
# --pid takes every listening socket of a process.
nsenter --net=/run/netns/$SRV_NS $PY -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1", 9012)); s.listen(); t=socket.socket(); t.bind(("127.0.0.1", 9013)); t.listen(); time.sleep(30)' &
pid=$!
wait_listen 127.0.0.1 9013
check "backend add --pid" in_srv $KSTEER backend add bypid --pid $pid
expect_eq "--pid took both listeners" 2 "$(in_srv $KSTEER backend list -j | $PY -c 'import json,sys; print([b["listeners"] for b in json.load(sys.stdin) if b["name"]=="bypid"][0])')"
err_line "--pid of a process without listeners" "no listening" in_srv $KSTEER backend add none --pid $$
# QUIC: a process's UDP socket on the public port (443) is a QUIC socket.
nsenter --net=/run/netns/$SRV_NS $PY -c 'import socket,time; u=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 443)); v=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); v.bind(("0.0.0.0", 4433)); time.sleep(30)' &
qpid=$!
for _ in $(seq 50); do in_srv ss -Hulpn 'sport = :443' | grep -q python && break; sleep 0.1; done
err_line "--quic-sid: bad config" "bad --quic-sid" in_srv $KSTEER backend add q1 --pid $qpid --quic-sid 7:0a01
err_line "--quic-sid: odd hex" "bad --quic-sid" in_srv $KSTEER backend add q1 --pid $qpid --quic-sid 1:0a0
err_line "--quic-sid: too long" "bad --quic-sid" in_srv $KSTEER backend add q1 --pid $qpid --quic-sid "1:$(printf '00%.0s' {1..16})"
check "backend add --pid takes a UDP socket on the public port" \
	in_srv $KSTEER backend add q1 --pid $qpid --quic-sid 1:0a01
expect_eq "the UDP socket on 443 counted as a QUIC socket, the one on 4433 not" "0 1" \
	"$(in_srv $KSTEER backend list -j | $PY -c 'import json,sys; b=[b for b in json.load(sys.stdin) if b["name"]=="q1"][0]; print(b["listeners"], b["quic_sockets"])')"
check "its QUIC-LB server ID is in the map" bpftool map lookup pinned "$KSTEER_PIN_DIR/ks_quic_lb" \
	key hex 01 02 0a 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00
check "backend del q1" in_srv $KSTEER backend del q1
check "... and its server ID is gone" sh -c "! bpftool map lookup pinned '$KSTEER_PIN_DIR/ks_quic_lb' key hex 01 02 0a 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 >/dev/null 2>&1"
kill $qpid 2>/dev/null
err_line "up: bad --quic-entries" "bad --quic-entries" in_srv $KSTEER up -a $SRV4 --quic-entries 3
err_line "up --quic after an up without it: down first" "down' first" in_srv $KSTEER up -a $SRV4 -i lo --quic

# config file: every backend kind; a route may use a backend the CLI added
# (--pid) that no file can state.
cfg=$(mktemp)
cat >"$cfg" <<'EOF2'
# demo
backend cfg-a 127.0.0.1:9101
backend cfg-6 [::1]:9102                 # IPv6
backend cfg-p proxy 192.0.2.20:443
backend cfg-v2 proxy [2001:db8::1]:443 proxy-protocol
backend cfg-h handoff /run/ks-cfg.sock
backend cfg-ap 127.0.0.1:9103 proxy 127.0.0.1:9104 proxy-protocol
route cfg.example cfg-a
route acme.example cfg-a alpn acme-tls/1
route *.p.example cfg-p
route V2.Example cfg-v2
route h.example cfg-h
route ap.example cfg-ap
route pid.example bypid
EOF2
cfg_backends() {
	in_srv $KSTEER backend list -j | $PY -c 'import json,sys
print(";".join("%s %s %s" % (b["name"], b["addr"], b["via"]) for b in json.load(sys.stdin) if b["name"].startswith("cfg-")))'
}
cfg_routes() {
	in_srv $KSTEER route list -j | $PY -c 'import json,sys
print(";".join("%s %s %s" % (r["host"], r["alpn"], r["backend"]) for r in json.load(sys.stdin) if r["backend"].startswith(("cfg-", "bypid"))))'
}
check "up -c FILE: every backend kind" in_srv $KSTEER up -a $SRV4 -i lo -c "$cfg"
want_be='cfg-a 127.0.0.1:9101 None;cfg-6 [::1]:9102 None;cfg-p None proxy 192.0.2.20:443;cfg-v2 None proxy [2001:db8::1]:443 (PROXY v2);cfg-h None handoff /run/ks-cfg.sock;cfg-ap 127.0.0.1:9103 proxy 127.0.0.1:9104 (PROXY v2)'
expect_eq "config: backends, and how ksteerd reaches them" "$want_be" "$(cfg_backends)"
want_rt='*.p.example None cfg-p;acme.example acme-tls/1 cfg-a;ap.example None cfg-ap;cfg.example None cfg-a;h.example None cfg-h;pid.example None bypid;v2.example None cfg-v2'
expect_eq "config: routes" "$want_rt" "$(cfg_routes)"
expect_eq "config: route test agrees" "cfg-v2 cfg-a" \
	"$(in_srv $KSTEER route test v2.EXAMPLE --alpn h2) $(in_srv $KSTEER route test acme.example --alpn acme-tls/1)"
check "up -c again: the same file is fine" in_srv $KSTEER up -a $SRV4 -i lo -c "$cfg"
expect_eq "up -c again: nothing doubled" "$want_be" "$(cfg_backends)"
# A backend line states the whole backend: what it leaves out goes.
sed -i 's|^backend cfg-ap .*|backend cfg-ap 127.0.0.1:9105|; s|^backend cfg-p .*|backend cfg-p 127.0.0.1:9106 handoff /run/ks-p.sock|' "$cfg"
check "up -c with changed backends" in_srv $KSTEER up -a $SRV4 -i lo -c "$cfg"
expect_eq "config: a backend is what its line says" \
	"cfg-p 127.0.0.1:9106 handoff /run/ks-p.sock;cfg-ap 127.0.0.1:9105 None" \
	"$(cfg_backends | tr ';' '\n' | grep -E '^cfg-(p|ap) ' | paste -sd ';')"

# bad_cfg DESC LINE PATTERN TEXT: FILE is "backend cfg-new ..." then TEXT;
# up -c fails with one "FILE:LINE: ..." line and applies nothing of it.
bad_cfg() {
	printf 'backend cfg-new 127.0.0.1:9199\n%b' "$4" >"$cfg"
	err_line "config: $1" "^ksteer: $cfg:$2: .*$3" in_srv $KSTEER up -a $SRV4 -i lo -c "$cfg"
	expect_eq "config: $1: nothing applied" "" "$(cfg_backends | tr ';' '\n' | grep cfg-new)"
}
bad_cfg "unknown directive" 2 "unknown directive 'frontend'" 'frontend x 127.0.0.1:1\n'
bad_cfg "bad address" 2 "bad address '300.1.1.1:80'" 'backend b 300.1.1.1:80\n'
bad_cfg "bad proxy address" 3 "bad proxy address '10.0.0.1'" '\nbackend b proxy 10.0.0.1\n'
bad_cfg "relative hand-off path" 2 "bad hand-off socket path" 'backend b handoff rel.sock\n'
bad_cfg "proxy-protocol without proxy" 2 "unexpected 'proxy-protocol'" 'backend b 127.0.0.1:9198 proxy-protocol\n'
bad_cfg "backend without address" 2 "expected 'backend NAME" 'backend b # comment\n'
bad_cfg "backend twice" 2 "'cfg-new' is already defined on line 1" 'backend cfg-new proxy 127.0.0.1:9198\n'
bad_cfg "address twice" 2 "127.0.0.1:9199 already belongs to backend 'cfg-new'" 'backend b 127.0.0.1:9199\n'
bad_cfg "address of a backend the file leaves alone" 2 "already belongs to backend 'cfg-a'" \
	'backend b 127.0.0.1:9101\n'
bad_cfg "route to an unknown backend" 3 "unknown backend 'nosuch'" 'route a.example cfg-new\nroute b.example nosuch\n'
bad_cfg "bad host" 2 "bad host 'a..example'" 'route a..example cfg-new\n'
bad_cfg "route twice" 3 "route for 'd.example' is already defined on line 2" \
	'route d.example cfg-new\nroute D.example cfg-new\n'
bad_cfg "route syntax" 2 "expected 'route HOST BACKEND" 'route d.example cfg-new h2\n'
bad_cfg "too many words" 2 "too many words" 'backend b 127.0.0.1:1 proxy 127.0.0.1:2 proxy-protocol x\n'
printf 'backend x\n' >"$cfg"
err_line "config: bad line names file:line" "$cfg:1" in_srv $KSTEER up -a $SRV4 -i lo -c "$cfg"
rm -f "$cfg"

# Cookie keys: from a file or standard input (32 hex digits, optionally one
# newline), never the command line, never printed.
keyfile() { local f; f=$(mktemp); printf "$1" >"$f"; echo "$f"; }
fp() { in_srv $KSTEER key show | sed -n 's/^key fingerprint \([0-9a-f]\{16\}\)$/\1/p'; }
out=$(in_srv $KSTEER key show)
check "key show after the first up: a fingerprint, no previous key" \
	grep -qzP '^key fingerprint [0-9a-f]{16}\nno previous key\n$' <<<"$out"
fp0=$(fp)
KEY_A=00112233445566778899aabbccddeeff
KEY_B=0123456789ABCDEF0123456789abcdef
ka=$(keyfile "$KEY_A\n")
kb=$(keyfile "$KEY_B")
check "key set FILE (32 hex digits and a newline)" in_srv $KSTEER key set "$ka"
fpa=$(fp)
out=$(in_srv $KSTEER key show)
check "key show: the new fingerprint, the first key previous for at most one slot (68 s)" \
	bash -c "[ '$fpa' != '$fp0' ] && grep -qP '^previous key fingerprint $fp0, accepted for ([0-9]|[1-5][0-9]|6[0-8]) s more$' <<<'$out'"
check "key show prints no key" bash -c "! grep -qi '$KEY_A' <<<'$out'"
check "key set of the current key again changes nothing" \
	bash -c "in_srv() { nsenter --net=/run/netns/$SRV_NS \"\$@\"; }; in_srv $KSTEER key set '$ka' && [ \"\$(in_srv $KSTEER key show)\" = '$out' ]"
check "key set - (standard input, no newline, upper case digits)" \
	bash -c "nsenter --net=/run/netns/$SRV_NS $KSTEER key set - <'$kb'"
fpb=$(fp)
in_srv $KSTEER key set "$ka"
expect_eq "the same key gives the same fingerprint; another key another" "$fpa yes" \
	"$(fp) $([ "$fpb" != "$fpa" ] && echo yes)"
bad_key() {
	local f
	f=$(keyfile "$2")
	err_line "key set: $1: one line" "$3" in_srv $KSTEER key set "$f"
	expect_eq "key set: $1: the key is unchanged" "$fpa" "$(fp)"
	rm -f "$f"
}
bad_key "empty file" "" "not a key: expected 32 hex digits"
bad_key "31 digits" "${KEY_A:1}" "not a key"
bad_key "33 digits" "${KEY_A}0" "not a key"
bad_key "two newlines" "$KEY_A\n\n" "not a key"
bad_key "a space" " $KEY_A" "not a key"
bad_key "a 0x prefix" "0x${KEY_A:2}" "not a key"
bad_key "a non-hex digit" "${KEY_A:1}g" "not a key"
bad_key "16 raw bytes" '\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10' "not a key"
bad_key "all zeros" "00000000000000000000000000000000\n" "a key of zeros"
err_line "key set: a missing file" "cannot read /nonexistent/key: No such file" \
	in_srv $KSTEER key set /nonexistent/key
err_line "key set: a directory" "cannot read /: Is a directory" in_srv $KSTEER key set /
out=$(in_srv $KSTEER key set $KEY_B 2>&1)
rc=$?
check "key set KEY on the command line: refused, one line, the key not repeated" \
	bash -c "[ $rc -ne 0 ] && [ \$(wc -l <<<'$out') -eq 1 ] && grep -q 'never from the command line' <<<'$out' && ! grep -qi '$KEY_B' <<<'$out'"
expect_eq "key set KEY on the command line: the key is unchanged" "$fpa" "$(fp)"
chmod 644 "$kb"
out=$(in_srv $KSTEER key set "$kb" 2>&1)
check "key set of a file others can read: set, with a warning" \
	bash -c "[ \"\$(nsenter --net=/run/netns/$SRV_NS $KSTEER key show | head -1)\" = 'key fingerprint $fpb' ] && grep -q 'can be read by other users (mode 0644)' <<<'$out'"
check "key rotate" in_srv $KSTEER key rotate
out=$(in_srv $KSTEER key show)
check "key rotate: a new key, the one before previous" \
	bash -c "[ '$(fp)' != '$fpb' ] && grep -q '^previous key fingerprint $fpb, accepted' <<<'$out'"
rm -f "$ka" "$kb"

# The cgroup programs hang on links pinned beside them: down detaches them,
# and so does deleting the pin directory by hand (nothing of ours stays on
# the cgroup, which every namespace shares, once our pins are gone).
CG_ROOT=/sys/fs/cgroup
[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ] && CG_ROOT=/sys/fs/cgroup/unified
cg_ids() {
	local p
	for p in prog_sockops prog_bind4 prog_bind6; do
		bpftool prog show pinned "$KSTEER_PIN_DIR/$p" -j 2>/dev/null | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])'
	done | paste -sd' '
}
attached() {   # attached ID...: how many of the ids are on the cgroup root
	bpftool cgroup show "$CG_ROOT" -j 2>/dev/null | $PY -c '
import json, sys
ids = set(int(i) for i in sys.argv[1:])
text = sys.stdin.read().strip()              # nothing at all: no program attached
print(sum(1 for a in (json.loads(text) if text else []) if a.get("id") in ids))' "$@"
}
ids=$(cg_ids)
expect_eq "up: sock_ops and both post_bind programs on the cgroup root ($ids)" 3 "$(attached $ids)"
check "up: each by a pinned link" test -e "$KSTEER_PIN_DIR/link_sockops" -a -e "$KSTEER_PIN_DIR/link_bind4" \
	-a -e "$KSTEER_PIN_DIR/link_bind6"
check "down" in_srv $KSTEER down
check "down removed every pin" test ! -e "$KSTEER_PIN_DIR"
expect_eq "down: none of the cgroup programs left on the cgroup root" 0 "$(attached $ids)"
check "up again" in_srv $KSTEER up -a $SRV4 -i lo
ids=$(cg_ids)
rm -rf "$KSTEER_PIN_DIR"
expect_eq "the pin directory deleted by hand: the cgroup programs went with it ($ids)" 0 "$(attached $ids)"
check "down removed the TC filter" bash -c "! nsenter --net=/run/netns/$SRV_NS tc filter show dev $SRV_IF ingress | grep -q ksteer"
check "down removed our clsact qdisc" bash -c "! nsenter --net=/run/netns/$SRV_NS tc qdisc show dev $SRV_IF | grep -q clsact"
check "down twice is fine" in_srv $KSTEER down
summary
