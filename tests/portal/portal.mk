# tests/portal: the analyst portal in a real browser (Debian chromium driven
# by playwright-core from npm, pinned in package-lock.json, installed into
# tests/portal/node_modules with npm ci). Suite `portal`: a correlator on a
# free port with a temp data dir, the sensor on the demo capture shipping to
# it, then node --test drives the browser (tests/portal/run.sh).

PORTAL_NODE := tests/portal/node_modules/.installed

$(PORTAL_NODE): tests/portal/package.json tests/portal/package-lock.json
	cd tests/portal && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

TEST_SUITES += portal
.PHONY: suite-portal portal-screenshots
suite-portal: $(B)/canh-correlator $(B)/canh-sensor $(B)/demo/demo.pcap $(PORTAL_NODE)
	@B=$(B) tests/portal/run.sh

# Refresh the committed copies (dashboard, incident, queue, suppressions) in docs/screenshots/ after a suite run.
portal-screenshots:
	@mkdir -p docs/screenshots && cp build/screenshots/dashboard.png build/screenshots/incident.png build/screenshots/queue.png build/screenshots/suppressions.png docs/screenshots/ && ls -l docs/screenshots/
