# ksteer: `make` builds everything into build/, `make test` runs the tests
# (as root), `make deps` installs what a fresh Debian 12 needs.
#
# The tree (docs/DESIGN.md, "Layout"): shared/ headers compiled into both the
# BPF programs and userspace; bpf/ the programs; lib/ libksteer, what the
# userspace programs share; cli/ ksteer, ksteerd/ the fallback daemon,
# handoff/ the library backends link, backend/ ksteer-backend; tests/ by
# kind. Objects go to build/obj/<path>.o with their dependency files, so a
# header change rebuilds what includes it.

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
BIG_HELLO := -DKS_HS_MAX=65540 -DKS_HS_MASK=131071 -DKS_HS_BUF=262144 -DKS_WIRE_MAX=524287

BPF_PROGS := steer_tc steer_tc_egress steer_reuseport steer_sockops
BPF_OBJS  := $(BPF_PROGS:%=$(BUILD)/%.bpf.o)
SKELS     := $(BPF_PROGS:%=$(BUILD)/%.skel.h)
TEST_PROGS := $(patsubst tests/progs/%.bpf.c,$(BUILD)/%.bpf.o,$(wildcard tests/progs/*.bpf.c))

obj = $(patsubst %.c,$(OBJ)/%.o,$(1))
LIB_SRCS     := $(wildcard lib/*.c)
LIB          := $(BUILD)/libksteer.a
LIB_BIG      := $(BUILD)/libksteer-big.a
CLI_OBJS     := $(call obj,$(wildcard cli/*.c))
KSTEERD_OBJS := $(patsubst %.c,$(OBJ)/big/%.o,$(wildcard ksteerd/*.c))
HANDOFF_OBJS := $(call obj,handoff/ksteer_handoff.c)
BACKEND_OBJS := $(call obj,$(wildcard backend/*.c))
TESTLIB_OBJS := $(call obj,tests/lib/pkt.c)

UNIT_TESTS    := $(patsubst tests/unit/%.c,$(BUILD)/%,$(wildcard tests/unit/test_*.c))
FIXTURE_TESTS := $(patsubst tests/fixtures/%.c,$(BUILD)/%,$(wildcard tests/fixtures/test_*.c))
FUZZ_TARGETS  := $(patsubst tests/fuzz/%.c,$(BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

.PHONY: all test deps clean fuzz demo demo-stop bench bench-paths bench-backend bench-quic bench-bpf

all: $(BPF_OBJS) $(TEST_PROGS) $(BUILD)/ksteer $(BUILD)/ksteerd $(BUILD)/ksteer-backend \
	$(BUILD)/handoff_tls_server $(BUILD)/connbench $(UNIT_TESTS) $(FIXTURE_TESTS)

.SECONDARY: $(BPF_OBJS)

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
	$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -MF $(OBJ)/$*.bpf.d -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

# ---- userspace objects ------------------------------------------------------

# Every object waits for the skeletons (some include them; the dependency
# files say which once they exist).
$(OBJ)/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(OBJ)/big/%.o: %.c | $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(BIG_HELLO) $(DEPFLAGS) -c $< -o $@

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
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcrypto

$(BUILD)/ksteerd: $(KSTEERD_OBJS) $(LIB_BIG)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -luring -lcrypto

$(BUILD)/ksteer-backend: $(BACKEND_OBJS) $(HANDOFF_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ -luring -lssl -lcrypto -lpthread

$(BUILD)/handoff_tls_server: $(call obj,tests/tools/handoff_tls_server.c) $(HANDOFF_OBJS)
	$(CC) $(CFLAGS) -o $@ $^ -lssl -lcrypto -lpthread

# ---- tests ------------------------------------------------------------------

# Unit tests: tests/unit/test_X.c, with what each needs besides libksteer.
$(BUILD)/test_quic: $(call obj,tests/lib/quic_seal.c)
$(BUILD)/test_handoff_lib: $(HANDOFF_OBJS)
$(BUILD)/test_backend_http: $(call obj,backend/http_parse.c backend/mime.c)
# The backend's other tests run its code through a context: all but main.
BACKEND_CTX_TESTS := $(filter-out $(BUILD)/test_backend_http,$(filter $(BUILD)/test_backend_%,$(UNIT_TESTS)))
$(BACKEND_CTX_TESTS): $(filter-out $(OBJ)/backend/main.o,$(BACKEND_OBJS)) $(HANDOFF_OBJS)
$(BACKEND_CTX_TESTS): LDLIBS += -luring -lssl
$(BUILD)/test_%: $(OBJ)/tests/unit/test_%.o $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcrypto -lpthread

# BPF fixtures (BPF_PROG_TEST_RUN): tests/fixtures/test_X.c.
$(BUILD)/test_%: $(OBJ)/tests/fixtures/test_%.o $(TESTLIB_OBJS) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcrypto -lpthread

# libFuzzer targets (clang's runtime), each a parser of wire data.
FUZZ_hello    := lib/hello.c
FUZZ_quic     := lib/quic_*.c lib/hello.c tests/lib/quic_seal.c
FUZZ_quic_inv := lib/quic_*.c lib/hello.c
FUZZ_http     := backend/http_parse.c
.SECONDEXPANSION:
$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $$(wildcard $$(FUZZ_$$*)) | $(SKELS)
	$(FUZZ_CC) -Ibackend -Itests/lib -o $@ $< $(wildcard $(FUZZ_$*)) -lcrypto

fuzz: $(BUILD)/fuzz_hello
	$(BUILD)/fuzz_hello -max_total_time=300 tests/data/captures

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

# The TC program's run time per packet class (BPF_PROG_TEST_RUN, private maps).
bench-bpf: $(BUILD)/bpf_cost
	bench/bpf_bench.sh

$(BUILD)/connbench: $(call obj,bench/connbench.c)
	$(CC) $(CFLAGS) -o $@ $^ -lssl -lcrypto -lpthread

$(BUILD)/quic_flood: $(call obj,bench/quic_flood.c)
	$(CC) $(CFLAGS) -o $@ $^

$(BUILD)/bpf_cost: $(call obj,bench/bpf_cost.c) $(TESTLIB_OBJS) $(LIB)
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcrypto

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)
