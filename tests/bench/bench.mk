# tests/bench/: `make bench` figures for the sensor (bench-sensor): throughput
# with 1 and 2 workers and memory per active flow, each as a ratio of a ceiling
# measured in the same run (bare libpcap read). Needs ../shared/corpus.
BENCH_CORPUS ?= $(TOP)/../shared/corpus

BENCHES += sensor
.PHONY: bench-sensor
bench-sensor: $(B)/canh-sensor $(B)/tools/pcap_remap $(B)/tools/bare_read
	@python3 tests/bench/bench_sensor.py --corpus $(BENCH_CORPUS) --out $(B)/bench \
	  --remap $(B)/tools/pcap_remap --bare $(B)/tools/bare_read --sensor $(B)/canh-sensor
