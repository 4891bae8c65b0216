# correlator core: main, config schema, ingest, store, incidents, API.
# (The Sigma engine in correlate/ adds its own sources through correlate.mk.)
CORR_SRCS += correlator/main.c correlator/corr_cfg.c \
             correlator/ingest/ing_http.c correlator/ingest/ing_auth.c \
             correlator/ingest/ing_eve.c correlator/ingest/ing_json.c \
             correlator/ingest/ing_events.c \
             correlator/store/db.c correlator/store/db_migrations.c \
             correlator/store/db_event.c correlator/store/db_incident.c \
             correlator/store/db_auth.c \
             correlator/incident/inc_corr.c \
             correlator/api/api.c correlator/api/api_incidents.c \
             correlator/api/api_events.c correlator/api/api_admin.c \
             correlator/api/api_health.c

STORE_SRCS := correlator/store/db.c correlator/store/db_migrations.c \
              correlator/store/db_event.c correlator/store/db_incident.c \
              correlator/store/db_auth.c common/log.c

UNIT_TESTS        += store
UNIT_store_SRCS   := tests/unit/store/test_db.c $(STORE_SRCS)
UNIT_store_LIBS   := -lsqlite3 -ljansson

UNIT_TESTS        += ing_eve
UNIT_ing_eve_SRCS := tests/unit/store/test_ing_eve.c correlator/ingest/ing_eve.c \
                     correlator/ingest/ing_json.c
UNIT_ing_eve_LIBS := -ljansson -lz

UNIT_TESTS         += ing_json
UNIT_ing_json_SRCS := tests/unit/store/test_ing_json.c correlator/ingest/ing_eve.c \
                      correlator/ingest/ing_json.c
UNIT_ing_json_LIBS := -ljansson -lz

FUZZERS           += ingest
FUZZ_ingest_SRCS  := tests/fuzz/fuzz_ingest.c correlator/ingest/ing_eve.c \
                     correlator/ingest/ing_json.c
FUZZ_ingest_LIBS  := -ljansson -lz

TEST_SUITES += correlator
.PHONY: suite-correlator bench-correlator
suite-correlator: $(B)/canh-correlator
	@python3 tests/correlator/test_correlator.py --bin $(B)/canh-correlator

BENCHES += correlator
bench-correlator: $(B)/canh-correlator
	@python3 tests/correlator/bench_ingest.py --bin $(B)/canh-correlator

# Fuzz target: API request parsing through the real handlers (incidents and
# events queries, change/comment bodies, and the portal's counts, bulk,
# merge, move, suppressions and prefs) on an in-memory store. fuzz_api.c
# #includes portal_api.c for its static handlers. Recursive (=) so that
# CORR_SRCS is complete when the fuzz rule expands it.
FUZZERS        += api
FUZZ_api_SRCS   = tests/fuzz/fuzz_api.c $(COMMON_SRCS) \
                  $(filter-out correlator/main.c correlator/portal/portal_api.c,$(CORR_SRCS))
FUZZ_api_LIBS   = -Wl,--wrap=evhttp_send_reply $(CORR_LIBS)
