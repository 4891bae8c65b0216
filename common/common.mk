# common/: code both daemons build in (log, cfg, jb).
COMMON_SRCS := common/log.c common/cfg.c common/jb.c
COMMON_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(COMMON_SRCS))

UNIT_TESTS   += jb cfg
UNIT_jb_SRCS  := tests/unit/common/test_jb.c common/jb.c
UNIT_jb_LIBS  := -ljansson
UNIT_cfg_SRCS := tests/unit/common/test_cfg.c common/cfg.c common/log.c
UNIT_cfg_LIBS := -lyaml

FUZZERS        += cfg
FUZZ_cfg_SRCS  := tests/fuzz/fuzz_cfg.c common/cfg.c common/log.c
FUZZ_cfg_LIBS  := -lyaml
