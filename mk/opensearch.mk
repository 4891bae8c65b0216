# The real OpenSearch node for the tests (tests/opensearch), the `opensearch`
# integration suite (tests/es) and bench-opensearch.
#
# Maven fetches OpenSearch 2.19.6 and what it needs into build/m2 (a cache
# this Makefile owns; ~/.m2 is never used) and writes the classpath; javac
# builds the launcher. The node does not depend on SAN, so it always lives
# in build/opensearch and both builds share it.

OS_DIR     := $(TOP)/build/opensearch
OS_M2      := $(TOP)/build/m2
OS_CP      := $(OS_DIR)/cp.txt
OS_STAMP   := $(OS_DIR)/classes/.stamp
OS_JAVA    := $(shell find tests/opensearch/src -name '*.java' 2>/dev/null)
OS_MVN     := mvn -B -q -Dstyle.color=never -Dmaven.repo.local=$(OS_M2)

DEB_PKGS   += maven openjdk-17-jdk-headless

.PHONY: opensearch-node
opensearch-node: $(OS_STAMP)

$(OS_CP): tests/opensearch/pom.xml
	@mkdir -p $(OS_DIR)
	@echo "opensearch: resolving the node's jars with Maven into $(OS_M2)"
	$(OS_MVN) -f tests/opensearch/pom.xml dependency:build-classpath -Dmdep.outputFile=$@.tmp
	@mv $@.tmp $@

$(OS_STAMP): $(OS_CP) $(OS_JAVA)
	@rm -rf $(OS_DIR)/classes && mkdir -p $(OS_DIR)/classes
	javac -nowarn -d $(OS_DIR)/classes -cp "$$(cat $(OS_CP))" $(OS_JAVA)
	@touch $@

# The driver: ship_es + libevent + libcurl, fed NDJSON EVE files.
ES_DRIVE := $(B)/tests/es_drive
$(ES_DRIVE): $(patsubst %.c,$(B)/obj/%.o,tests/es/es_drive.c $(SHIP_ES_SRCS) common/cfg.c common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(SHIP_ES_LIBS) -lyaml -lm

# Integration suite: starts the node (tests/opensearch/start.sh) under
# $(B)/test-es, runs every case against it and stops it at the end.
TEST_SUITES += opensearch
.PHONY: suite-opensearch bench-opensearch
suite-opensearch: $(OS_STAMP) $(ES_DRIVE)
	@cd $(TOP) && python3 tests/es/test_es.py --drive $(ES_DRIVE) --node-dir $(OS_DIR) \
	  --sensor $(B)/canh-sensor --work $(TOP)/$(B)/test-es

# Bench: documents/s shipped by ship_es to the test node, and the ratio to
# plain curl _bulk of the same documents (the ceiling of that node).
BENCHES += opensearch
bench-opensearch: $(OS_STAMP) $(ES_DRIVE)
	@cd $(TOP) && python3 tests/es/bench_es.py --drive $(ES_DRIVE) --node-dir $(OS_DIR) \
	  --work $(TOP)/$(B)/bench-es
