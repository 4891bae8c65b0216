# sensor/stream: TCP session tracking and reassembly (see README.md).
STREAM_SRCS := sensor/stream/tcp_ctx.c sensor/stream/tcp_session.c sensor/stream/tcp_state.c \
               sensor/stream/tcp_reasm.c sensor/stream/tcp_seg.c sensor/stream/stream_cfg.c
SENSOR_SRCS += $(STREAM_SRCS)

UNIT_TESTS += tcp_reasm tcp_state stream_cfg
UNIT_tcp_reasm_SRCS := tests/unit/stream/test_tcp_reasm.c $(STREAM_SRCS) common/cfg.c common/log.c
UNIT_tcp_reasm_LIBS := -lyaml
UNIT_tcp_state_SRCS := tests/unit/stream/test_tcp_state.c $(STREAM_SRCS) common/cfg.c common/log.c
UNIT_tcp_state_LIBS := -lyaml
UNIT_stream_cfg_SRCS := tests/unit/stream/test_stream_cfg.c $(STREAM_SRCS) common/cfg.c common/log.c
UNIT_stream_cfg_LIBS := -lyaml

# Fuzz target: synthetic packet sequences straight into tcp_state_packet().
FUZZERS += stream
FUZZ_stream_SRCS := tests/fuzz/fuzz_stream.c $(STREAM_SRCS) common/cfg.c common/log.c
FUZZ_stream_LIBS := -lyaml

# Hand-made captures through the real decoder and the reassembly.
TEST_SUITES += pcap-stream
PCAP_STREAM_SRCS := tests/pcap-stream/pcap_stream.c $(STREAM_SRCS) $(DECODE_SRCS) \
                    common/cfg.c common/log.c
$(B)/tests/pcap-stream: $(patsubst %.c,$(B)/obj/%.o,$(PCAP_STREAM_SRCS))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lpcap -lyaml -lm
.PHONY: suite-pcap-stream
suite-pcap-stream: $(B)/tests/pcap-stream
	@cd $(TOP) && python3 tests/pcap-stream/run.py --bin $(B)/tests/pcap-stream --out $(B)/pcap-stream-out --corpus ../shared/corpus
