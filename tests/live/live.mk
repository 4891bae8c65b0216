# Suite `live` (root): three site namespaces with live sensors, tcpreplay of
# rewritten corpus captures, one correlator; and `health` is part of it
# (tests/live/README.md). Skipped with its reason where namespaces cannot
# be made or the corpus is absent.
TEST_SUITES += live
.PHONY: suite-live
suite-live: $(B)/canh-sensor $(B)/canh-correlator
	@python3 tests/live/test_live.py --build $(B) --corpus ../shared/corpus

# Suite `live-fanout` (root): --workers 2 on a veth in one namespace, the
# kernel's PACKET_FANOUT spreading flows (tests/live/test_fanout.py).
TEST_SUITES += live-fanout
.PHONY: suite-live-fanout
suite-live-fanout: $(B)/canh-sensor
	@python3 tests/live/test_fanout.py --build $(B) --corpus ../shared/corpus
