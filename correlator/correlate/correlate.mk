# correlator/correlate/: Sigma rules and Sigma correlation (see README.md).
CORRELATE_SRCS := correlator/correlate/corr_time.c correlator/correlate/corr_match.c \
                  correlator/correlate/corr_cond.c correlator/correlate/corr_rule.c \
                  correlator/correlate/corr_load.c correlator/correlate/corr_engine.c \
                  correlator/correlate/corr_prefilter.c
CORR_SRCS      += $(CORRELATE_SRCS)
CORRELATE_LIBS := -lyaml -ljansson -lpcre2-8

# Unit tests: detection rules and matching; correlation types; the default rule set.
UNIT_TESTS          += sigma corr_engine sigma_rules
UNIT_sigma_SRCS       := tests/unit/correlate/test_sigma.c $(CORRELATE_SRCS) common/log.c
UNIT_sigma_LIBS       := $(CORRELATE_LIBS)
UNIT_corr_engine_SRCS := tests/unit/correlate/test_corr_engine.c $(CORRELATE_SRCS) common/log.c
UNIT_corr_engine_LIBS := $(CORRELATE_LIBS)
UNIT_sigma_rules_SRCS := tests/unit/correlate/test_sigma_rules.c $(CORRELATE_SRCS) common/log.c
UNIT_sigma_rules_LIBS := $(CORRELATE_LIBS)

UNIT_TESTS                += corr_prefilter
UNIT_corr_prefilter_SRCS  := tests/unit/correlate/test_corr_prefilter.c $(CORRELATE_SRCS) \
                             correlator/ingest/ing_json.c common/log.c
UNIT_corr_prefilter_LIBS  := $(CORRELATE_LIBS)

# Fuzz target (mechanism in tests/fuzz/fuzz.mk): rule text -> load -> feed.
FUZZERS         += sigma
FUZZ_sigma_SRCS := tests/fuzz/fuzz_sigma.c $(CORRELATE_SRCS) common/log.c
FUZZ_sigma_LIBS := $(CORRELATE_LIBS)

# Fuzz target: corr_parse_time and ing_eve_time against each other, and
# corr_time_span (tests/fuzz/fuzz_corr_time.c).
FUZZERS             += corr-time
FUZZ_corr-time_SRCS := tests/fuzz/fuzz_corr_time.c correlator/correlate/corr_time.c \
                       correlator/ingest/ing_eve.c correlator/ingest/ing_json.c
FUZZ_corr-time_LIBS := -ljansson -lz
