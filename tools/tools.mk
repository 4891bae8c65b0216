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

# make run: the correlator on SQLite and the sensor on the demo capture
# shipping to it (tools/run_demo.sh): a summary of what the sensor saw, the
# incidents the correlator opened, and the API URL.
run: deps-check
	@$(MAKE) --no-print-directory SAN=0 all build/demo/demo.pcap
	@tools/run_demo.sh build build/demo/demo.pcap

TEST_SUITES += demo-capture
.PHONY: suite-demo-capture
suite-demo-capture: $(DEMO_PCAP) $(B)/tools/gen_demo
	@python3 tests/demo/check_capture.py --pcap $(DEMO_PCAP) --gen $(B)/tools/gen_demo
