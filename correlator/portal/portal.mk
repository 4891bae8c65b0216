# correlator/portal: the analyst portal's server side (static files,
# sessions, portal endpoints, suppressions, dashboard) and its store files.
CORR_SRCS += correlator/portal/portal_api.c correlator/portal/portal_auth.c \
             correlator/portal/portal_cfg.c correlator/portal/portal_dash.c \
             correlator/portal/portal_static.c correlator/portal/portal_sup.c \
             correlator/store/db_portal.c correlator/store/db_sup.c \
             correlator/store/db_relate.c correlator/store/db_dash.c

TEST_SUITES += portal-api
.PHONY: suite-portal-api
suite-portal-api: $(B)/canh-correlator
	@python3 tests/portal-api/test_portal_api.py --bin $(B)/canh-correlator

# Fuzz target: the static file server's path decoding and root confinement
# (tests/fuzz/fuzz_portal_path.c #includes portal_static.c and watches open()).
FUZZERS               += portal-path
FUZZ_portal-path_SRCS := tests/fuzz/fuzz_portal_path.c correlator/ingest/ing_http.c \
                         correlator/ingest/ing_auth.c $(STORE_SRCS)
FUZZ_portal-path_LIBS := -Wl,--wrap=evhttp_send_reply -levent -levent_openssl -ljansson -lsqlite3 \
                         -lssl -lcrypto -lsodium
