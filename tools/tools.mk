# tools/: offline helpers (not installed): the demo capture generator, the
# bench capture remapper and the bare libpcap read loop; `make run`; and the
# demo-capture suite (tests/demo/), which checks the generated capture with
# tshark and ndpiReader.

TOOLS_LIBS := -lpcap

$(B)/tools/gen_demo: $(B)/obj/tools/gen_demo.o $(B)/obj/tools/gen_pkt.o $(B)/obj/tools/gen_proto.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TOOLS_LIBS)

$(B)/tools/pcap_remap: $(B)/obj/tools/pcap_remap.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TOOLS_LIBS)

$(B)/tools/bare_read: $(B)/obj/tools/bare_read.o
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(TOOLS_LIBS)

.PHONY: tools demo
tools: $(B)/tools/gen_demo $(B)/tools/pcap_remap $(B)/tools/bare_read

# The demo capture: deterministic, so regenerated only when the generator changes.
DEMO_PCAP := $(B)/demo/demo.pcap
$(DEMO_PCAP): $(B)/tools/gen_demo
	@mkdir -p $(dir $@)
	$(B)/tools/gen_demo $@
demo: $(DEMO_PCAP)

# make run: the sensor over the demo capture, then a human summary of its EVE.
# (The correlator joins this target once it exists.)
RUN_DIR := build/run
run: deps-check
	@$(MAKE) --no-print-directory SAN=0 all build/demo/demo.pcap
	@rm -rf $(RUN_DIR) && mkdir -p $(RUN_DIR)
	@echo "run: build/canh-sensor -r build/demo/demo.pcap -l $(RUN_DIR)"
	@build/canh-sensor -r build/demo/demo.pcap -l $(RUN_DIR)
	@python3 tools/eve_summary.py $(RUN_DIR)/eve.json

TEST_SUITES += demo-capture
.PHONY: suite-demo-capture
suite-demo-capture: $(DEMO_PCAP) $(B)/tools/gen_demo
	@python3 tests/demo/check_capture.py --pcap $(DEMO_PCAP) --gen $(B)/tools/gen_demo
