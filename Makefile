# ksteer: `make` builds everything into build/, `make test` runs the tests
# (as root), `make deps` installs what a fresh Debian 12 needs.
#
# The tree (docs/DESIGN.md, "Layout"): shared/ headers compiled into both the
# BPF programs and userspace; bpf/ the programs; lib/ libksteer, what the
# userspace programs share; cli/ ksteer, ksteerd/ the fallback daemon,
# handoff/ the library backends link, backend/ ksteer-backend; tests/ by
# kind. Objects go to build/obj/<path>.o with their dependency files, so a
# header change rebuilds what includes it.

# The one version string: ksteer --version, the pkg-config file and the
# Debian package's version (debian/changelog is written from it).
VERSION   := 0.1.0

BUILD     := build
OBJ       := $(BUILD)/obj
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -Wno-unused-parameter -Wno-unused-function -Wno-unknown-pragmas \
	     -D_GNU_SOURCE -Ishared -Ilib -I$(BUILD)
DEPFLAGS   = -MMD -MP
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Wno-unused-function \
	      -Wno-address-of-packed-member -I$(BUILD) -Ishared -D__TARGET_ARCH_x86
LDLIBS    := -lbpf -lelf -lz
FUZZ_CC   := $(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
	     -Wno-unknown-pragmas -Ishared -Ilib
# ksteerd's build of the parser keeps 64 KB of ClientHello from 512 KB of
# records (the kernel's: 16 KB from 32 KB); it compiles libksteer again.
# Its HTTP request heads: up to 64 KB (the kernel's: 8 KB).
BIG_HELLO := -DKS_HS_MAX=65540 -DKS_HS_MASK=131071 -DKS_HS_BUF=262144 -DKS_WIRE_MAX=524287 \
	     -DKS_HTTP_MAX=65536

BPF_PROGS := steer_tc steer_tc_egress steer_reuseport steer_sockops monitor_user
BPF_OBJS  := $(BPF_PROGS:%=$(BUILD)/%.bpf.o)
SKELS     := $(BPF_PROGS:%=$(BUILD)/%.skel.h)
TEST_PROGS := $(patsubst tests/progs/%.bpf.c,$(BUILD)/%.bpf.o,$(wildcard tests/progs/*.bpf.c))

obj = $(patsubst %.c,$(OBJ)/%.o,$(1))
# A link's objects first, then the archives they take from.
LINK_ORDER = $(filter-out %.a,$^) $(filter %.a,$^)
LIB_SRCS     := $(wildcard lib/*.c)
LIB          := $(BUILD)/libksteer.a
LIB_BIG      := $(BUILD)/libksteer-big.a
CLI_OBJS     := $(call obj,$(wildcard cli/*.c))
KSTEERD_OBJS := $(patsubst %.c,$(OBJ)/big/%.o,$(wildcard ksteerd/*.c))
HANDOFF_OBJS := $(call obj,handoff/ksteer_handoff.c)
# The hand-off library's soname major (libksteer_handoff.so.0).
HANDOFF_SO   := 0
HANDOFF_LIBS := $(BUILD)/libksteer_handoff.a $(BUILD)/libksteer_handoff.so.$(VERSION)
BACKEND_OBJS := $(call obj,$(wildcard backend/*.c))
TESTLIB_OBJS := $(call obj,tests/lib/pkt.c)

UNIT_TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/%,$(wildcard tests/unit/test_*.c))
FIXTURE_TESTS := $(patsubst tests/fixtures/%.c,$(BUILD)/%,$(wildcard tests/fixtures/test_*.c))
FUZZ_TARGETS  := $(patsubst tests/fuzz/%.c,$(BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: FORCE all programs dist test deps clean fuzz demo demo-stop bench bench-paths bench-backend \
	bench-quic bench-tc-floor bench-quic-initial bench-bpf bench-quic-decrypt install uninstall deb

all: programs dist $(BPF_OBJS) $(TEST_PROGS) $(BUILD)/reuseport_shim.so $(BUILD)/handoff_tls_server $(BUILD)/connbench $(BUILD)/rawsrv $(BUILD)/synflood $(BUILD)/quic_decrypt_cost $(BUILD)/quic_newconn \
	$(UNIT_TESTS) $(FIXTURE_TESTS)

# What `make install` and the Debian package install.
programs: $(BUILD)/ksteer $(BUILD)/ksteerd $(BUILD)/ksteer-backend $(HANDOFF_LIBS)

# Nothing built is an intermediate to delete (skeletons, objects).
.SECONDARY:

# ---- BPF ------------------------------------------------------------------

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(OBJ)
	$(CLANG) $(BPF_CFLAGS) -Ibpf $(DEPFLAGS) -MF $(OBJ)/$*.bpf.d -c $< -o $@

# Test helpers written in BPF (tests/progs).
$(BUILD)/%.bpf.o: tests/progs/%.bpf.c $(BUILD)/vmlinux.h
	@mkdir -p $(OBJ)
	$(CLANG) $(BPF_CFLAGS) -Ibpf $(DEPFLAGS) -MF $(OBJ)/$*.bpf.d -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# ---- userspace objects ------------------------------------------------------

# build/ks_version.h: KS_VERSION, rewritten only when VERSION changes, so
# that what includes it rebuilds then and only then.
$(BUILD)/ks_version.h: FORCE
	@mkdir -p $(@D)
	@echo '#define KS_VERSION "$(VERSION)"' >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

# Every object waits for the skeletons and the version header (some include
# them; the dependency files say which once they exist).
$(OBJ)/%.o: %.c | $(SKELS) $(BUILD)/ks_version.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OBJ)/big/%.o: %.c | $(SKELS) $(BUILD)/ks_version.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(BIG_HELLO) $(DEPFLAGS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRCS))
	$(AR) rcs $@ $^

$(LIB_BIG): $(patsubst %.c,$(OBJ)/big/%.o,$(LIB_SRCS))
	$(AR) rcs $@ $^

$(OBJ)/ksteerd/%.o $(OBJ)/big/ksteerd/%.o: CFLAGS += -Iksteerd
$(OBJ)/cli/%.o: CFLAGS += -Icli
$(OBJ)/backend/%.o $(OBJ)/tests/tools/%.o $(OBJ)/tests/unit/test_handoff_lib.o \
	$(OBJ)/tests/unit/test_backend_%.o: CFLAGS += -Ihandoff -Ibackend
$(OBJ)/tests/%.o $(OBJ)/bench/%.o: CFLAGS += -Itests/lib

# ---- programs ---------------------------------------------------------------

$(BUILD)/ksteer: $(CLI_OBJS) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -lcrypto

$(BUILD)/ksteerd: $(KSTEERD_OBJS) $(LIB_BIG)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -luring -lcrypto

$(BUILD)/ksteer-backend: $(BACKEND_OBJS) $(HANDOFF_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(LINK_ORDER) -luring -lssl -lcrypto -lpthread

# The hand-off library for third-party backends: static and shared, from
# position-independent objects.
$(OBJ)/pic/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -fPIC -fvisibility=default $(DEPFLAGS) -c $< -o $@

$(BUILD)/libksteer_handoff.a: $(OBJ)/pic/handoff/ksteer_handoff.o
	$(AR) rcs $@ $^

$(BUILD)/libksteer_handoff.so.$(VERSION): $(OBJ)/pic/handoff/ksteer_handoff.o
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,libksteer_handoff.so.$(HANDOFF_SO) -o $@ $^

$(BUILD)/handoff_tls_server: $(call obj,tests/tools/handoff_tls_server.c) $(HANDOFF_OBJS)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) -lssl -lcrypto -lpthread

# ---- installing -------------------------------------------------------------

# make install [PREFIX=/usr/local] [DESTDIR=...]; make uninstall with the
# same. Each directory can be set on its own; SYSCONFDIR is /etc whatever
# the prefix (the services read /etc/ksteer).
PREFIX       ?= /usr/local
SBINDIR      ?= $(PREFIX)/sbin
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR       ?= $(PREFIX)/share/man
BASHCOMPDIR  ?= $(PREFIX)/share/bash-completion/completions
UNITDIR      ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR   ?= /etc
INSTALL      ?= install

# What is generated for installing (build/dist/): the man pages (ksteer(8)'s
# COMMANDS from the command table: `ksteer help --man`), the completion
# (`ksteer help --completion`), the units and the pkg-config file with the
# paths above. build/dist/paths holds them and changes only when they do,
# so the files are made again then.
DIST := $(BUILD)/dist
MANS := $(DIST)/ksteer.8 $(DIST)/ksteerd.8 $(DIST)/ksteer-backend.8 $(DIST)/ksteer.conf.5
DIST_FILES := $(MANS) $(DIST)/ksteer.bash $(DIST)/ksteer.service $(DIST)/ksteerd.service \
	$(DIST)/ksteer_handoff.pc
SUBST = sed -e 's|@VERSION@|$(VERSION)|g' -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@SBINDIR@|$(SBINDIR)|g' \
	-e 's|@LIBDIR@|$(LIBDIR)|g' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' \
	-e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g'

dist: $(DIST_FILES)

$(DIST)/paths: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION) $(PREFIX) $(SBINDIR) $(LIBDIR) $(INCLUDEDIR) $(SYSCONFDIR)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi

$(DIST)/ksteer.8: dist/man/ksteer.8.in $(BUILD)/ksteer $(DIST)/paths
	$(BUILD)/ksteer help --man >$@.commands
	$(SUBST) -e '/^@COMMANDS@$$/{r $@.commands' -e 'd}' $< >$@
	rm $@.commands

$(DIST)/%: dist/man/%.in $(DIST)/paths
	$(SUBST) $< >$@

$(DIST)/%: dist/systemd/%.in $(DIST)/paths
	$(SUBST) $< >$@

$(DIST)/ksteer_handoff.pc: dist/ksteer_handoff.pc.in $(DIST)/paths
	$(SUBST) $< >$@

$(DIST)/ksteer.bash: $(BUILD)/ksteer
	$(BUILD)/ksteer help --completion >$@

install: programs dist
	$(INSTALL) -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
		$(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/ksteer
	$(INSTALL) -m 755 $(BUILD)/ksteer $(BUILD)/ksteerd $(BUILD)/ksteer-backend $(DESTDIR)$(SBINDIR)
	$(INSTALL) -m 644 $(BUILD)/libksteer_handoff.a $(DESTDIR)$(LIBDIR)
	$(INSTALL) -m 755 $(BUILD)/libksteer_handoff.so.$(VERSION) $(DESTDIR)$(LIBDIR)
	ln -sf libksteer_handoff.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libksteer_handoff.so.$(HANDOFF_SO)
	ln -sf libksteer_handoff.so.$(HANDOFF_SO) $(DESTDIR)$(LIBDIR)/libksteer_handoff.so
	$(INSTALL) -m 644 handoff/ksteer_handoff.h $(DESTDIR)$(INCLUDEDIR)
	$(INSTALL) -m 644 $(DIST)/ksteer_handoff.pc $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 $(DIST)/ksteer.conf.5 $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 644 $(DIST)/ksteer.8 $(DIST)/ksteerd.8 $(DIST)/ksteer-backend.8 \
		$(DESTDIR)$(MANDIR)/man8
	$(INSTALL) -m 644 $(DIST)/ksteer.bash $(DESTDIR)$(BASHCOMPDIR)/ksteer
	$(INSTALL) -m 644 $(DIST)/ksteer.service $(DIST)/ksteerd.service $(DESTDIR)$(UNITDIR)
	@# The example configuration, never over one that is there.
	for f in ksteer.conf ksteer.env; do \
		[ -e $(DESTDIR)$(SYSCONFDIR)/ksteer/$$f ] || \
			$(INSTALL) -m 644 dist/$$f $(DESTDIR)$(SYSCONFDIR)/ksteer/$$f; \
	done

# Everything install put there; the configuration only while it is still
# the example (an edited one stays, and so does its directory).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/ksteer $(DESTDIR)$(SBINDIR)/ksteerd \
		$(DESTDIR)$(SBINDIR)/ksteer-backend $(DESTDIR)$(LIBDIR)/libksteer_handoff.a \
		$(DESTDIR)$(LIBDIR)/libksteer_handoff.so.$(VERSION) \
		$(DESTDIR)$(LIBDIR)/libksteer_handoff.so.$(HANDOFF_SO) \
		$(DESTDIR)$(LIBDIR)/libksteer_handoff.so $(DESTDIR)$(INCLUDEDIR)/ksteer_handoff.h \
		$(DESTDIR)$(PKGCONFIGDIR)/ksteer_handoff.pc $(DESTDIR)$(MANDIR)/man5/ksteer.conf.5 \
		$(DESTDIR)$(MANDIR)/man8/ksteer.8 $(DESTDIR)$(MANDIR)/man8/ksteerd.8 \
		$(DESTDIR)$(MANDIR)/man8/ksteer-backend.8 $(DESTDIR)$(BASHCOMPDIR)/ksteer \
		$(DESTDIR)$(UNITDIR)/ksteer.service $(DESTDIR)$(UNITDIR)/ksteerd.service
	for f in ksteer.conf ksteer.env; do \
		! cmp -s dist/$$f $(DESTDIR)$(SYSCONFDIR)/ksteer/$$f || \
			rm $(DESTDIR)$(SYSCONFDIR)/ksteer/$$f; \
	done
	rmdir $(DESTDIR)$(SYSCONFDIR)/ksteer 2>/dev/null || true

# make deb: build/deb/ksteer_VERSION_ARCH.deb, by dpkg-buildpackage from
# debian/ (debhelper), which packages `make install PREFIX=/usr` of this
# build (reused, not built again). debian/changelog is written here, with
# VERSION. Nothing is written outside the tree.
DEB_DIR  := $(BUILD)/deb
DEB_ARCH  = $(shell dpkg-architecture -qDEB_HOST_ARCH)
DEB_DATE  = $(shell date -R -d @$$(git log -1 --format=%ct 2>/dev/null || date +%s))
DEB_MAINTAINER = $(shell sed -n 's/^Maintainer: //p' debian/control)

deb: programs
	@mkdir -p $(DEB_DIR)
	printf '%s\n' 'ksteer ($(VERSION)) unstable; urgency=medium' '' \
		'  * Packaged from the source tree by make deb.' '' \
		' -- $(DEB_MAINTAINER)  $(DEB_DATE)' \
		>debian/changelog
	DEB_OUT=$(abspath $(DEB_DIR)) dpkg-buildpackage -b -us -uc -tc \
		--buildinfo-option=-u$(DEB_DIR) \
		--buildinfo-option=-O$(DEB_DIR)/ksteer_$(VERSION)_$(DEB_ARCH).buildinfo \
		--changes-option=-u$(DEB_DIR) \
		--changes-option=-O$(DEB_DIR)/ksteer_$(VERSION)_$(DEB_ARCH).changes

# ---- tests ------------------------------------------------------------------

# Unit tests: tests/unit/test_X.c, with what each needs besides libksteer.
$(BUILD)/test_quic: $(call obj,tests/lib/quic_seal.c tests/unit/quic_neg.c tests/unit/quic_vn.c \
	tests/unit/quic_fixtures.c)
$(BUILD)/test_quic_crypt: $(call obj,tests/lib/quic_seal.c tests/lib/quic_crypt_cases.c)
$(BUILD)/test_handoff_lib: $(HANDOFF_OBJS)
$(BUILD)/test_backend_http: $(call obj,backend/http_parse.c backend/mime.c)
# The backend's other tests run its code through a context: all but main.
BACKEND_CTX_TESTS := $(filter-out $(BUILD)/test_backend_http,$(filter $(BUILD)/test_backend_%,$(UNIT_TESTS)))
$(BACKEND_CTX_TESTS): $(filter-out $(OBJ)/backend/main.o,$(BACKEND_OBJS)) $(HANDOFF_OBJS)
$(BACKEND_CTX_TESTS): LDLIBS += -luring -lssl
$(BUILD)/test_%: $(OBJ)/tests/unit/test_%.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -lcrypto -lpthread

# test_ksteerd drives ksteerd's parts (all but main) through their context,
# so it is built as ksteerd is: the parser's 64 KB limits, libksteer-big.
$(OBJ)/big/tests/unit/%.o: CFLAGS += -Iksteerd
$(BUILD)/test_ksteerd: $(OBJ)/big/tests/unit/test_ksteerd.o $(OBJ)/big/tests/unit/ksteerd_conn.o \
		$(OBJ)/big/tests/unit/ksteerd_relay.o $(OBJ)/big/tests/unit/ksteerd_metrics.o \
		$(filter-out %/ksteerd.o,$(KSTEERD_OBJS)) $(LIB_BIG)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -luring -lcrypto

# BPF fixtures (BPF_PROG_TEST_RUN): tests/fixtures/test_X.c.
$(OBJ)/tests/fixtures/test_quic_decrypt.o: $(BUILD)/quic_decrypt.skel.h $(BUILD)/crypto_probe.skel.h
$(BUILD)/test_quic_decrypt: $(call obj,tests/lib/quic_seal.c tests/lib/quic_crypt_cases.c)
$(BUILD)/test_quic_route: $(call obj,tests/lib/quic_seal.c tests/lib/quic_crypt_cases.c)
$(BUILD)/test_%: $(OBJ)/tests/fixtures/test_%.o $(TESTLIB_OBJS) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -lcrypto -lpthread

# libFuzzer targets (clang's runtime), each a parser of wire data.
FUZZ_hello    := lib/hello.c
# The QUIC Initial decoder's files (not quic_servers.c: maps, backends).
QUIC_DECODER  := lib/quic_crypto_stream.c lib/quic_frames.c lib/quic_initial.c lib/quic_keys.c \
		 lib/quic_vn.c
FUZZ_quic     := $(QUIC_DECODER) lib/hello.c tests/lib/quic_seal.c
FUZZ_quic_inv := $(QUIC_DECODER) lib/hello.c
FUZZ_quic_crypt := $(QUIC_DECODER) lib/hello.c
FUZZ_quic_frames := $(QUIC_DECODER) lib/hello.c
FUZZ_http     := backend/http_parse.c
FUZZ_http_req := lib/http_user.c lib/hello.c
FUZZ_metrics  := ksteerd/fb_http.c
.SECONDEXPANSION:
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $$(wildcard $$(FUZZ_$$*)) | $(SKELS)
	$(FUZZ_CC) -Ibackend -Iksteerd -Itests/lib -o $@ $< $(wildcard $(FUZZ_$*)) -lcrypto

# The captures seed a corpus of its own: libFuzzer writes what it finds into
# its first directory, which must not be the source tree.
fuzz: $(BUILD)/fuzz_hello
	mkdir -p $(BUILD)/fuzz-corpus && cp tests/data/captures/*.bin $(BUILD)/fuzz-corpus/
	$(BUILD)/fuzz_hello -max_total_time=300 $(BUILD)/fuzz-corpus

test: all $(FUZZ_TARGETS)
	tests/run.sh

deps:
	scripts/install-deps.sh

clean:
	rm -rf $(BUILD)

demo:
	scripts/install-deps.sh
	$(MAKE) all
	scripts/demo.sh start

demo-stop:
	scripts/demo.sh stop

# ---- benchmarks -------------------------------------------------------------

# Every contender side by side (QUICK=1: one repetition, under 2 minutes).
bench: all
	QUICK=$(QUICK) bench/compare.sh

# ksteer's own paths against direct, with more repetitions.
bench-paths: all
	bench/run.sh

bench-backend: $(BUILD)/ksteer-backend
	bench/backend_bench.sh

# QUIC steering's per-datagram cost against plain SO_REUSEPORT (< 2 minutes).
bench-quic: all $(BUILD)/quic_flood
	bench/quic_bench.sh

# The rate floor of a QUIC datagram's path: empty TC and sk_reuseport programs, and ksteer, against none.
bench-tc-floor: all $(BUILD)/quic_flood $(BUILD)/tc_floor
	bench/tc_floor.sh

# A new QUIC connection on the kernel's Initial path and on ksteerd's.
bench-quic-initial: all $(BUILD)/quic_newconn
	bench/quic_initial_bench.sh
	bench/quic_newconn.sh

# The TC program's run time per packet class (BPF_PROG_TEST_RUN, private maps).
bench-bpf: $(BUILD)/bpf_cost
	bench/bpf_bench.sh

# The router-bound benchmark's backend: no TLS, a fixed reply.
$(BUILD)/rawsrv: $(call obj,bench/rawsrv.c)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER)

# The benchmark's bounded attacker: spoofed SYNs or ACK+data segments.
$(BUILD)/synflood: $(call obj,bench/synflood.c)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER)

$(BUILD)/connbench: $(call obj,bench/connbench.c)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) -lssl -lcrypto -lpthread

$(BUILD)/quic_flood: $(call obj,bench/quic_flood.c)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER)

# LD_PRELOAD for the QUIC group test: SO_REUSEPORT on a server's UDP sockets.
$(BUILD)/reuseport_shim.so: tests/tools/reuseport_shim.c
	@mkdir -p $(BUILD)
	$(CC) -O2 -Wall -shared -fPIC -o $@ $< -ldl

# One near-empty TC program on a device, by cls_bpf or TCX (bench/tc_floor.sh).
$(BUILD)/tc_floor: $(call obj,bench/tc_floor.c)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS)

# A new QUIC connection's first Initial: the client's send to the server's socket.
$(BUILD)/quic_newconn: $(call obj,bench/quic_newconn.c tests/lib/quic_seal.c) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -lcrypto

# Decrypting one QUIC Initial in BPF, step by step.
bench-quic-decrypt: $(BUILD)/quic_decrypt_cost
	$(BUILD)/quic_decrypt_cost | tee bench/results/quic_decrypt.txt

$(OBJ)/bench/quic_decrypt_cost.o: $(BUILD)/quic_decrypt.skel.h $(BUILD)/steer_tc.skel.h
$(BUILD)/quic_decrypt_cost: $(call obj,bench/quic_decrypt_cost.c tests/lib/quic_crypt_cases.c tests/lib/quic_seal.c) $(TESTLIB_OBJS) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -lcrypto

$(BUILD)/bpf_cost: $(call obj,bench/bpf_cost.c) $(TESTLIB_OBJS) $(LIB)
	$(CC) $(CFLAGS) -o $@ $(LINK_ORDER) $(LDLIBS) -lcrypto

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
