# tests/ndpi/: agreement of canh-sensor's nDPI verdicts with ndpiReader's
# reference output for every corpus capture (suite ndpi-agreement). Needs the
# corpus at ../shared/corpus; skipped by name when it is absent.
NDPI_CORPUS ?= $(TOP)/../shared/corpus

TEST_SUITES += ndpi-agreement
.PHONY: suite-ndpi-agreement ndpi-reference-check
suite-ndpi-agreement: $(B)/canh-sensor
	@python3 tests/ndpi/ndpi_agreement.py --corpus $(NDPI_CORPUS) --sensor $(B)/canh-sensor \
	  --work $(B)/ndpi-agreement

# The reference parser alone (no sensor): every file parses to its announced flow total.
ndpi-reference-check:
	@python3 tests/ndpi/ndpi_agreement.py --corpus $(NDPI_CORPUS) --reference-only
