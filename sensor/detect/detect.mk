# sensor/detect: rule language, Hyperscan prefilter, rule evaluation.
DETECT_SRCS := sensor/detect/det_arena.c sensor/detect/rule_lex.c sensor/detect/rule_vars.c \
               sensor/detect/rule_parse.c sensor/detect/rule_kw.c sensor/detect/rule_kw_meta.c \
               sensor/detect/rule_kw_content.c sensor/detect/rule_kw_pcre.c sensor/detect/rule_kw_byte.c \
               sensor/detect/rule_kw_flow.c sensor/detect/rule_kw_pkt.c sensor/detect/rule_class.c \
               sensor/detect/det_eval.c sensor/detect/det_build.c sensor/detect/det_load.c \
               sensor/detect/det_thresh.c sensor/detect/det_scan.c sensor/detect/det_cfg.c \
               sensor/detect/det_aidx.c
DETECT_LIBS := -lhs -lpcre2-8 -lcrypto -lyaml

SENSOR_SRCS += $(DETECT_SRCS)

UNIT_TESTS += detect
UNIT_detect_SRCS := tests/unit/detect/test_detect.c $(DETECT_SRCS) common/log.c common/cfg.c
UNIT_detect_LIBS := $(DETECT_LIBS)

FUZZERS += rules
FUZZ_rules_SRCS := tests/fuzz/fuzz_rules.c $(DETECT_SRCS) common/log.c common/cfg.c
FUZZ_rules_LIBS := $(DETECT_LIBS)
