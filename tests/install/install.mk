# Suite `install`: the example configs against the daemons' schemas, -T
# error reports, `make install DESTDIR=...` layout, the installed binaries
# on the installed configs, systemd units and logrotate (tests/install/README.md).
TEST_SUITES += install
.PHONY: suite-install
suite-install: $(B)/canh-sensor $(B)/canh-correlator
	@python3 tests/install/test_install.py --build $(B) --make "$(MAKE)" --san $(SAN)

# logrotate checks the installed /etc/logrotate.d/canh; systemd-analyze
# (systemd) checks the units.
DEB_PKGS += logrotate systemd
