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
