# ksteer: `make` builds everything into build/, `make test` runs the tests
# (as root), `make deps` installs what a fresh Debian 12 needs.

BUILD     := build
CC        ?= cc
CLANG     ?= clang
BPFTOOL   ?= bpftool
CFLAGS    ?= -O2 -g
CFLAGS    += -Wall -Wextra -Wno-unused-parameter -Wno-unused-function -Wno-unknown-pragmas -D_GNU_SOURCE -Iinclude -I$(BUILD)
BPF_CFLAGS := -O2 -g -target bpf -mcpu=v3 -Wall -Wno-unused-function \
	      -Wno-address-of-packed-member -I$(BUILD) -Iinclude -D__TARGET_ARCH_x86
LDLIBS    := -lbpf -lelf -lz

BPF_PROGS := steer_tc steer_reuseport steer_sockops
BPF_OBJS  := $(BPF_PROGS:%=$(BUILD)/%.bpf.o)
SKELS     := $(BPF_PROGS:%=$(BUILD)/%.skel.h)
BPF_HDRS  := $(wildcard bpf/*.h) include/ksteer_abi.h

USER_SRCS := $(wildcard user/*.c)
USER_HDRS := $(wildcard user/*.h)
KSTEER_SRCS := $(USER_SRCS)

.PHONY: all test deps clean bench fuzz demo demo-stop

all: $(BPF_OBJS) $(BUILD)/lose_segment.bpf.o $(BUILD)/ksteer $(BUILD)/test_parser $(BUILD)/test_tc_fixtures $(BUILD)/connbench

.SECONDARY: $(BPF_OBJS)

$(BUILD):
	mkdir -p $@

$(BUILD)/vmlinux.h: | $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Test helpers written in BPF.
$(BUILD)/%.bpf.o: tests/bpf/%.bpf.c $(BUILD)/vmlinux.h
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

$(BUILD)/ksteer: $(KSTEER_SRCS) $(USER_HDRS) $(SKELS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -o $@ $(KSTEER_SRCS) $(LDLIBS)

$(BUILD)/test_parser: tests/test_parser.c user/hello.c $(USER_HDRS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -Iuser -o $@ tests/test_parser.c user/hello.c

$(BUILD)/test_tc_fixtures: tests/test_tc_fixtures.c user/util.c user/hello.c $(USER_HDRS) $(SKELS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -Iuser -o $@ tests/test_tc_fixtures.c user/util.c user/hello.c $(LDLIBS)

# libFuzzer target for the ClientHello parser (clang's runtime).
$(BUILD)/fuzz_hello: tests/fuzz_hello.c user/hello.c $(USER_HDRS) $(BPF_HDRS) | $(BUILD)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
		-Wno-unknown-pragmas -Iuser -o $@ tests/fuzz_hello.c user/hello.c

fuzz: $(BUILD)/fuzz_hello
	$(BUILD)/fuzz_hello -max_total_time=300 tests/captures

test: all $(BUILD)/fuzz_hello
	tests/run.sh

bench: all
	bench/run.sh

deps:
	scripts/install-deps.sh

clean:
	rm -rf $(BUILD)

$(BUILD)/connbench: bench/connbench.c | $(BUILD)
	$(CC) -O2 -g -Wall -Wextra -D_GNU_SOURCE -o $@ $< -lssl -lcrypto -lpthread

demo:
	scripts/install-deps.sh
	$(MAKE) all
	scripts/demo.sh start

demo-stop:
	scripts/demo.sh stop
