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
