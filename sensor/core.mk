# sensor core: capture, flows, nDPI, EVE output, workers, CLI (see the
# README.md of each directory). Appends to SENSOR_SRCS and declares the
# flow/output unit tests and the pcap regression suite.
SENSOR_SRCS += sensor/main.c sensor/worker.c sensor/sensor_cfg.c \
               sensor/capture/cap_pcap.c sensor/capture/cap_ring.c sensor/capture/cap_loop.c \
               sensor/capture/cap_hash.c sensor/capture/cap_index.c \
               sensor/flow/flow_key.c sensor/flow/flow_table.c \
               sensor/classify/dpi_ndpi.c \
               sensor/output/eve_writer.c sensor/output/eve_flow.c \
               sensor/output/eve_stats.c sensor/output/eve_anomaly.c

UNIT_TESTS += flow_table
UNIT_flow_table_SRCS := tests/unit/flow/test_flow_table.c common/log.c

TEST_SUITES += pcap
.PHONY: suite-pcap
suite-pcap: $(B)/canh-sensor
	@python3 tests/pcap/run.py --sensor $(B)/canh-sensor --corpus ../shared/corpus --out $(B)/pcap-out

UNIT_TESTS += eve_writer
UNIT_eve_writer_SRCS := tests/unit/output/test_eve_writer.c sensor/output/eve_writer.c \
                        sensor/classify/dpi_ndpi.c common/jb.c common/log.c
UNIT_eve_writer_LIBS := -ljansson -lndpi -lpthread

UNIT_TESTS += cap_pcap
UNIT_cap_pcap_SRCS := tests/unit/capture/test_cap_pcap.c sensor/capture/cap_pcap.c common/log.c
UNIT_cap_pcap_LIBS := -lpcap

UNIT_TESTS += cap_index
UNIT_cap_index_SRCS := tests/unit/capture/test_cap_index.c sensor/capture/cap_hash.c \
                       sensor/capture/cap_pcap.c common/log.c $(DECODE_SRCS)
UNIT_cap_index_LIBS := -lpcap -lpthread
