# Debian packages the build, the demo and the tests need. `make deps` is
# idempotent: it runs apt-get only when a package is missing. Other
# installers (pip, npm, Maven) live with the suites that need them and put
# what they fetch under build/ or a cache the Makefile owns.

DEB_PKGS := build-essential pkg-config git python3 \
            libpcap-dev libndpi-dev libndpi-bin libhyperscan-dev libyara-dev yara \
            libhtp-dev libevent-dev libcurl4-openssl-dev libjansson-dev libyaml-dev \
            libsqlite3-dev sqlite3 libssl-dev openssl libsodium-dev libpcre2-dev zlib1g-dev \
            clang libclang-rt-14-dev libmagic-dev tcpreplay tshark iproute2 curl \
            chromium firefox-esr fonts-noto-core

.PHONY: deps deps-check
deps:
	@missing=$$(for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing:" $$missing; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "deps: all Debian packages present"; fi

deps-check:
	@for p in $(DEB_PKGS); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || { $(MAKE) --no-print-directory deps; break; }; done
