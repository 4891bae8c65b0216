# correlator/ship: bulk shipper to Elasticsearch/OpenSearch (ship_es).
SHIP_ES_SRCS := correlator/ship/ship_es.c correlator/ship/ship_es_curl.c \
                correlator/ship/ship_es_tmpl.c correlator/ship/ship_es_cfg.c
SHIP_ES_LIBS := -levent -lcurl -ljansson -lz
CORR_SRCS += $(SHIP_ES_SRCS)

# Unit tests: validation, index names, the config section, and the protocol
# (batching, gzip, per-item 409/429/400, 413 split, back-off, templates, TLS
# verification with a CA file)
# against an evhttp server on the same loop, bound to 127.0.0.1 port 0.
UNIT_TESTS += ship_es
UNIT_ship_es_SRCS := tests/unit/ship_es/test_ship_es.c $(SHIP_ES_SRCS) common/cfg.c common/log.c
UNIT_ship_es_LIBS := $(SHIP_ES_LIBS) -levent_openssl -lssl -lcrypto -lyaml

# The durable outbox that feeds ship_es from the store, its config section
# and API routes (wired into the daemon by correlator/main.c).
CORR_SRCS += correlator/ship/ship_outbox.c correlator/ship/ship_outbox_cfg.c \
             correlator/ship/ship_outbox_api.c correlator/store/db_outbox.c

# Integration suite: the real correlator shipping to the real OpenSearch node
# (tests/opensearch; the node is built by mk/opensearch.mk, included after
# this file, hence the recursive make for it).
TEST_SUITES += es-correlator
.PHONY: suite-es-correlator
suite-es-correlator: $(B)/canh-correlator
	@$(MAKE) --no-print-directory -s opensearch-node
	@cd $(TOP) && python3 tests/es/test_es_correlator.py --bin $(B)/canh-correlator \
	  --node-dir $(TOP)/build/opensearch --sensor $(B)/canh-sensor --work $(TOP)/$(B)/test-es-corr

# Bench: documents/s the correlator's outbox ships to the test node (a stored
# backlog drained after a restart with shipping on) vs plain curl _bulk.
BENCHES += es-correlator
.PHONY: bench-es-correlator
bench-es-correlator: $(B)/canh-correlator
	@$(MAKE) --no-print-directory -s opensearch-node
	@cd $(TOP) && python3 tests/es/bench_es_correlator.py --bin $(B)/canh-correlator \
	  --node-dir $(TOP)/build/opensearch --work $(TOP)/$(B)/bench-es-corr

# Unit tests of the outbox's store side (triggers, seeding, cursor, rejections).
UNIT_TESTS += db_outbox
UNIT_db_outbox_SRCS := tests/unit/ship/test_db_outbox.c correlator/store/db_outbox.c $(STORE_SRCS)
UNIT_db_outbox_LIBS := -lsqlite3 -ljansson

# Fuzz target: the _bulk answer's per-item outcomes (tests/fuzz/fuzz_ship_bulk.c
# #includes ship_es.c for its internals, so ship_es.c is not listed again).
FUZZERS             += ship-bulk
FUZZ_ship-bulk_SRCS := tests/fuzz/fuzz_ship_bulk.c correlator/ship/ship_es_curl.c \
                       correlator/ship/ship_es_tmpl.c correlator/ship/ship_es_cfg.c \
                       common/cfg.c common/log.c
FUZZ_ship-bulk_LIBS := $(SHIP_ES_LIBS) -lyaml
