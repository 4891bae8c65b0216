# Canh: one non-recursive Makefile. Each directory adds its sources, binaries
# and test suites through its own *.mk file, included below.
#
#   make            build everything into build/
#   make deps       install the Debian packages the build and tests need (idempotent)
#   make run        demo: correlator + sensor on a generated capture
#   make test       every test suite (SAN=1: ASan + UBSan build in build/san)
#   make bench      benchmarks, printed as ratios against ceilings measured in the same run
#   make fuzz       longer libFuzzer runs of every target under tests/fuzz
#   make install    PREFIX=/usr/local DESTDIR=

SHELL       := /bin/bash
CC          ?= gcc
PREFIX      ?= /usr/local
DESTDIR     ?=
SAN         ?= 0
TOP         := $(CURDIR)

ifeq ($(SAN),1)
B           := build/san
OPT         := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN       := -fsanitize=address,undefined
else
B           := build
OPT         := -O2 -g
LDSAN       :=
endif

PKGS        := libpcap libndpi libhs yara libevent libevent_pthreads libevent_openssl libcurl \
               jansson yaml-0.1 sqlite3 openssl libsodium htp libpcre2-8 zlib
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null | sed 's/-I\/usr\/include\/dbus-1.0//; s/-I\/usr\/lib\/x86_64-linux-gnu\/dbus-1.0\/include//')
CFLAGS      := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -pthread $(OPT) \
               -I$(TOP)/common -I$(TOP)/sensor -I$(TOP)/correlator $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS     := -pthread $(LDSAN)
LIBS_ALL    = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# Filled in by the *.mk files.
BINS        :=
TEST_SUITES :=
BENCHES     :=
FUZZERS     :=

.PHONY: all deps run test bench fuzz install clean headers
all:

include mk/deps.mk
include common/common.mk
include sensor/sensor.mk
include correlator/correlator.mk
-include tools/tools.mk
-include tests/ndpi/ndpi.mk
-include tests/bench/bench.mk
-include mk/opensearch.mk
include tests/fuzz/fuzz.mk
-include tests/install/install.mk
-include tests/live/live.mk
-include tests/portal/portal.mk
include tests/tests.mk

all: $(BINS)

# Objects: build/obj/<path>.o from <path>.c, with header dependencies.
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# Every public header compiles on its own.
headers:
	@mkdir -p $(B)/hdr
	@set -e; t=$$(mktemp $(B)/hdr/t.XXXXXX.c); trap 'rm -f $$t' EXIT; \
	for h in $$(git ls-files '*.h' 2>/dev/null || find common sensor correlator -name '*.h'); do \
	  case $$h in tests/*) continue;; esac; \
	  echo "#include \"$(TOP)/$$h\"" > $$t; \
	  $(CC) $(CFLAGS) -fsyntax-only $$t || { echo "header $$h does not compile alone"; exit 1; }; \
	done

test: deps-check all
	@B=$(B) SAN=$(SAN) MAKE="$(MAKE)" tests/run.sh $(TEST_SUITES)

bench: deps-check
	@$(MAKE) --no-print-directory all SAN=0
	@set -e; for b in $(BENCHES); do $(MAKE) --no-print-directory bench-$$b SAN=0; done

fuzz: deps-check
	@set -e; for f in $(FUZZERS); do $(MAKE) --no-print-directory fuzz-$$f; done

# make install [DESTDIR=/tmp/pkg] [PREFIX=/usr]: binaries, configs (never
# overwriting edited ones), rules, signatures, portal, index templates,
# docs and systemd units in FHS places (deploy/install.sh, deploy/README.md).
BINDIR      ?= $(PREFIX)/bin
SYSCONFDIR  ?= /etc
DATADIR     ?= $(PREFIX)/share/canh
DOCDIR      ?= $(PREFIX)/share/doc/canh
UNITDIR     ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d
TMPFILESDIR ?= $(PREFIX)/lib/tmpfiles.d
install: all
	@B=$(B) DESTDIR="$(DESTDIR)" PREFIX="$(PREFIX)" BINDIR="$(BINDIR)" SYSCONFDIR="$(SYSCONFDIR)" \
	  DATADIR="$(DATADIR)" DOCDIR="$(DOCDIR)" UNITDIR="$(UNITDIR)" SYSUSERSDIR="$(SYSUSERSDIR)" \
	  TMPFILESDIR="$(TMPFILESDIR)" deploy/install.sh

clean:
	rm -rf build
