# correlator/report: STIX 2.1 reporting to the national centre (TAXII 2.1 or
# HTTPS POST, CMS-signed, durable outbox). See correlator/report/README.md.
REPORT_SRCS := correlator/report/stix_id.c correlator/report/stix_build.c \
               correlator/report/rep_sign.c correlator/report/rep_http.c \
               correlator/report/rep_taxii.c correlator/report/rep_post.c \
               correlator/report/rep_outbox.c correlator/report/rep_daily.c \
               correlator/report/rep_cfg.c correlator/report/rep_api.c \
               correlator/report/report.c
CORR_SRCS += $(REPORT_SRCS)

UNIT_TESTS         += report
UNIT_report_SRCS   := tests/unit/report/test_report.c correlator/report/stix_id.c \
                      correlator/report/stix_build.c correlator/report/rep_sign.c \
                      correlator/report/rep_outbox.c correlator/report/rep_daily.c \
                      $(STORE_SRCS)
UNIT_report_LIBS   := -ljansson -lsqlite3 -lcrypto

# The black-box suite: medallion (OASIS TAXII 2.1 server) and stix2-validator
# in a venv this Makefile owns. stix2-validator is pinned to 3.2.0: the 3.3.1
# wheel on PyPI ships without its JSON schemas and reports every bundle invalid.
TAXII_VENV := build/venv
$(TAXII_VENV)/.stamp: tests/taxii/requirements.txt
	@rm -rf $(TAXII_VENV)
	python3 -m venv $(TAXII_VENV)
	$(TAXII_VENV)/bin/pip install -q -r tests/taxii/requirements.txt
	@touch $@

TEST_SUITES += taxii
.PHONY: suite-taxii
suite-taxii: $(B)/canh-correlator $(B)/canh-sensor $(TAXII_VENV)/.stamp
	@$(TAXII_VENV)/bin/python tests/taxii/test_taxii.py --bin $(B)/canh-correlator \
	  --venv $(TAXII_VENV) --sensor $(B)/canh-sensor

# Fuzz target (mechanism in tests/fuzz/fuzz.mk): the STIX bundle builder on
# hostile incident data; output must be valid, deterministic STIX JSON.
FUZZERS         += stix
FUZZ_stix_SRCS  := tests/fuzz/fuzz_stix.c correlator/report/stix_build.c \
                   correlator/report/stix_id.c
FUZZ_stix_LIBS  := -ljansson -lcrypto

# The TAXII client's reading of server answers: fuzz_taxii.c #includes
# rep_http.c and rep_taxii.c, answering requests from the input instead of curl.
FUZZERS         += taxii
FUZZ_taxii_SRCS := tests/fuzz/fuzz_taxii.c common/log.c
FUZZ_taxii_LIBS := -ljansson -lcurl -levent
