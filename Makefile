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

BPF_PROGS := steer_tc steer_tc_egress steer_reuseport steer_sockops
BPF_OBJS  := $(BPF_PROGS:%=$(BUILD)/%.bpf.o)
SKELS     := $(BPF_PROGS:%=$(BUILD)/%.skel.h)
BPF_HDRS  := $(wildcard bpf/*.h) include/ksteer_abi.h

USER_HDRS := $(wildcard user/*.h)
COMMON_SRCS := user/util.c user/hello.c user/listeners.c user/public.c user/route_user.c
# The config file and the CLI edits it reuses: `up -c` and ksteerd -c.
CONFIG_SRCS := user/config.c user/config_sync.c user/cmd_backend.c user/cmd_route.c
# The QUIC Initial decoder (ksteerd routes on it; `ksteer parse --quic`).
QUIC_SRCS := user/quic_initial.c user/quic_frames.c user/quic_keys.c user/quic_crypto_stream.c
KSTEER_SRCS := $(sort $(COMMON_SRCS) user/ksteer.c user/keys.c $(CONFIG_SRCS) $(wildcard user/cmd_*.c) \
	$(QUIC_SRCS) user/tc_filters.c)
KSTEERD_SRCS := $(COMMON_SRCS) $(CONFIG_SRCS) $(wildcard user/fb_*.c) user/ksteerd.c $(QUIC_SRCS)

.PHONY: all test deps clean bench bench-paths fuzz demo demo-stop

TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(wildcard tests/bpf/*.bpf.c))

all: $(BPF_OBJS) $(TEST_BPF_OBJS) $(BUILD)/ksteer $(BUILD)/ksteerd \
	$(BUILD)/test_handoff_lib $(BUILD)/handoff_tls_server $(BUILD)/test_parser $(BUILD)/test_tc_fixtures $(BUILD)/connbench \
	$(BUILD)/test_quic $(BUILD)/test_quic_steer

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
	$(CC) $(CFLAGS) -o $@ $(KSTEER_SRCS) $(LDLIBS) -lcrypto

$(BUILD)/ksteerd: $(KSTEERD_SRCS) $(USER_HDRS) $(SKELS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -DKS_HS_MAX=65540 -DKS_HS_MASK=131071 -DKS_HS_BUF=262144 -DKS_WIRE_MAX=524287 \
		-o $@ $(KSTEERD_SRCS) $(LDLIBS) -luring -lcrypto

# The hand-off library backends link, its test, and a TLS test backend.
$(BUILD)/test_handoff_lib: tests/test_handoff_lib.c backend/ksteer_handoff.c backend/ksteer_handoff.h | $(BUILD)
	$(CC) $(CFLAGS) -Ibackend -o $@ tests/test_handoff_lib.c backend/ksteer_handoff.c

$(BUILD)/handoff_tls_server: tests/handoff_tls_server.c backend/ksteer_handoff.c backend/ksteer_handoff.h | $(BUILD)
	$(CC) $(CFLAGS) -Ibackend -o $@ tests/handoff_tls_server.c backend/ksteer_handoff.c -lssl -lcrypto -lpthread

$(BUILD)/test_parser: tests/test_parser.c user/hello.c $(USER_HDRS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -Iuser -o $@ tests/test_parser.c user/hello.c

$(BUILD)/test_tc_fixtures: tests/test_tc_fixtures.c tests/pkt.c tests/pkt.h user/util.c user/hello.c user/keys.c $(USER_HDRS) $(SKELS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -Iuser -o $@ tests/test_tc_fixtures.c tests/pkt.c user/util.c user/hello.c user/keys.c $(LDLIBS) -lpthread

$(BUILD)/test_quic_steer: tests/test_quic_steer.c user/util.c user/hello.c $(USER_HDRS) $(SKELS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -Iuser -o $@ tests/test_quic_steer.c user/util.c user/hello.c $(LDLIBS)

# libFuzzer target for the ClientHello parser (clang's runtime).
$(BUILD)/fuzz_hello: tests/fuzz_hello.c user/hello.c $(USER_HDRS) $(BPF_HDRS) | $(BUILD)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
		-Wno-unknown-pragmas -Iuser -o $@ tests/fuzz_hello.c user/hello.c

# QUIC Initial decoder: unit tests (with the test-only sealer) and fuzz target.
$(BUILD)/test_quic: tests/test_quic.c tests/test_quic_neg.c tests/test_quic_fixtures.c \
		$(QUIC_SRCS) user/quic_seal.c user/hello.c $(USER_HDRS) $(BPF_HDRS) | $(BUILD)
	$(CC) $(CFLAGS) -Iuser -o $@ tests/test_quic.c $(QUIC_SRCS) user/quic_seal.c user/hello.c -lcrypto

$(BUILD)/fuzz_quic: tests/fuzz_quic.c $(QUIC_SRCS) user/quic_seal.c user/hello.c $(USER_HDRS) $(BPF_HDRS) | $(BUILD)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
		-Wno-unknown-pragmas -Iuser -o $@ tests/fuzz_quic.c $(QUIC_SRCS) user/quic_seal.c \
		user/hello.c -lcrypto

# libFuzzer target for the QUIC invariant header parser the BPF programs run.
$(BUILD)/fuzz_quic_inv: tests/fuzz_quic_inv.c bpf/quic_inv.h $(QUIC_SRCS) user/hello.c $(USER_HDRS) \
		$(BPF_HDRS) | $(BUILD)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
		-Wno-unknown-pragmas -Iuser -o $@ tests/fuzz_quic_inv.c $(QUIC_SRCS) user/hello.c -lcrypto

fuzz: $(BUILD)/fuzz_hello
	$(BUILD)/fuzz_hello -max_total_time=300 tests/captures

test: all $(BUILD)/fuzz_hello $(BUILD)/fuzz_quic $(BUILD)/fuzz_quic_inv
	tests/run.sh

# Every contender side by side (QUICK=1: one repetition, under 2 minutes).
bench: all
	QUICK=$(QUICK) bench/compare.sh

# ksteer's own paths against direct, with more repetitions.
bench-paths: all
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

# ksteer-backend, the reference io_uring + OpenSSL HTTPS backend, its HTTP
# parser's unit tests and fuzz target, and its benchmark against nginx.
BACKEND_SRCS := $(filter-out backend/ksteer_handoff.c,$(wildcard backend/*.c))
BACKEND_HDRS := $(wildcard backend/*.h)
all: $(BUILD)/ksteer-backend $(BUILD)/test_backend_http $(BUILD)/fuzz_http

$(BUILD)/ksteer-backend: $(BACKEND_SRCS) $(BACKEND_HDRS) backend/ksteer_handoff.c | $(BUILD)
	$(CC) $(CFLAGS) -Ibackend -o $@ $(BACKEND_SRCS) backend/ksteer_handoff.c \
		-luring -lssl -lcrypto -lpthread

$(BUILD)/test_backend_http: tests/test_backend_http.c backend/http_parse.c backend/mime.c \
		backend/http_parse.h backend/mime.h | $(BUILD)
	$(CC) $(CFLAGS) -Ibackend -o $@ tests/test_backend_http.c backend/http_parse.c backend/mime.c

$(BUILD)/fuzz_http: tests/fuzz_http.c backend/http_parse.c backend/http_parse.h | $(BUILD)
	$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ibackend \
		-o $@ tests/fuzz_http.c backend/http_parse.c

.PHONY: bench-backend
bench-backend: $(BUILD)/ksteer-backend
	bench/backend_bench.sh

# QUIC steering's per-datagram cost against plain SO_REUSEPORT (< 2 minutes).
$(BUILD)/quic_flood: bench/quic_flood.c | $(BUILD)
	$(CC) -O2 -g -Wall -Wextra -D_GNU_SOURCE -o $@ $<

.PHONY: bench-quic
bench-quic: all $(BUILD)/quic_flood
	bench/quic_bench.sh

# The TC program's run time per packet class (BPF_PROG_TEST_RUN, private maps).
$(BUILD)/bpf_cost: bench/bpf_cost.c tests/pkt.c tests/pkt.h user/util.c user/keys.c $(USER_HDRS) $(SKELS) $(BPF_HDRS)
	$(CC) $(CFLAGS) -Iuser -Itests -o $@ bench/bpf_cost.c tests/pkt.c user/util.c user/keys.c $(LDLIBS)

.PHONY: bench-bpf
bench-bpf: $(BUILD)/bpf_cost
	bench/bpf_bench.sh
