# tests/fuzz: fuzz targets, generic over FUZZERS. A target is declared in the
# owner's *.mk (included before this file):
#   FUZZERS          += rules
#   FUZZ_rules_SRCS  := tests/fuzz/fuzz_rules.c sensor/detect/...c common/log.c
#   FUZZ_rules_LIBS  := -lhs -lpcre2-8
# and gets:
#   suite fuzz-replay-NAME  gcc (+ASan/UBSan with SAN=1) build of the target
#                           with tests/fuzz/onefile.c: replays every file of
#                           tests/fuzz/corpus/NAME/, then generated inputs
#                           (fixed seed, FUZZ_REPLAY_SECONDS) -- part of make test
#   make fuzz-NAME          clang libFuzzer build, run FUZZ_SECONDS; new inputs
#                           go to build/fuzz/corpus-NAME, crashes to build/fuzz/crash-NAME
# `make fuzz` runs fuzz-NAME for every target.

FUZZ_SECONDS        ?= 60
FUZZ_REPLAY_SECONDS ?= 2
FUZZ_SEED           ?= 1
FUZZ_CC             ?= clang
FUZZ_CFLAGS         := -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
                       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                       -Wall -Wextra -I$(TOP)/common -I$(TOP)/sensor -I$(TOP)/correlator \
                       $(PKG_CFLAGS)

define fuzz_rule
$(B)/fuzz/replay-$(1): $$(patsubst %.c,$(B)/obj/%.o,tests/fuzz/onefile.c $$(FUZZ_$(1)_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(FUZZ_$(1)_LIBS) -lm

.PHONY: suite-fuzz-replay-$(1) fuzz-$(1)
suite-fuzz-replay-$(1): $(B)/fuzz/replay-$(1)
	@cd $(TOP) && $(B)/fuzz/replay-$(1) -n fuzz-replay-$(1) -t $(FUZZ_REPLAY_SECONDS) \
	  -s $(FUZZ_SEED) -o $(B)/fuzz/crash-$(1) tests/fuzz/corpus/$(1)

build/fuzz/libfuzzer-$(1): $$(FUZZ_$(1)_SRCS)
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $$@ $$^ $$(FUZZ_$(1)_LIBS) -lm

fuzz-$(1): build/fuzz/libfuzzer-$(1)
	@mkdir -p build/fuzz/corpus-$(1) build/fuzz/crash-$(1)
	build/fuzz/libfuzzer-$(1) -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	  -artifact_prefix=build/fuzz/crash-$(1)/ build/fuzz/corpus-$(1) tests/fuzz/corpus/$(1)
endef
$(foreach f,$(sort $(FUZZERS)),$(eval $(call fuzz_rule,$(f))))

TEST_SUITES += $(addprefix fuzz-replay-,$(sort $(FUZZERS)))
