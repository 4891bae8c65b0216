# sensor/filescan: file carving, hashes, YARA, file-store, hash lists.
# Included from sensor/sensor.mk. See sensor/filescan/README.md.
FSCAN_SRCS := sensor/filescan/file_track.c sensor/filescan/fscan_yara.c sensor/filescan/fscan_ytext.c \
              sensor/filescan/fscan_pool.c \
              sensor/filescan/filescan.c sensor/filescan/file_store.c sensor/filescan/fscan_hashlist.c \
              sensor/output/eve_fileinfo.c
FSCAN_LIBS := -lyara -lcrypto -lmagic

SENSOR_SRCS += $(FSCAN_SRCS) sensor/output/eve_proto.c
SENSOR_LIBS += -lmagic

UNIT_TESTS += file_track
UNIT_file_track_SRCS := tests/unit/filescan/test_file_track.c sensor/filescan/file_track.c common/log.c
UNIT_file_track_LIBS := -lcrypto

UNIT_TESTS += fscan_yara
UNIT_fscan_yara_SRCS := tests/unit/filescan/test_fscan_yara.c sensor/filescan/fscan_ytext.c \
                        common/jb.c common/log.c
UNIT_fscan_yara_LIBS := -lyara -ljansson

UNIT_TESTS += fscan_hashlist
UNIT_fscan_hashlist_SRCS := tests/unit/filescan/test_fscan_hashlist.c sensor/filescan/file_track.c \
                            common/log.c
UNIT_fscan_hashlist_LIBS := -lcrypto

UNIT_TESTS += file_store
UNIT_file_store_SRCS := tests/unit/filescan/test_file_store.c sensor/filescan/file_track.c common/log.c
UNIT_file_store_LIBS := -lcrypto

# Carving, YARA, hash lists and file-store through the real sensor: corpus
# HTTP objects against tshark's export, and generated captures.
TEST_SUITES += files
.PHONY: suite-files
suite-files: $(B)/canh-sensor
	@python3 tests/files/run.py --sensor $(B)/canh-sensor --corpus ../shared/corpus --out $(B)/files-out

# The file path with wire bytes (file_track, libmagic, YARA, fileinfo JSON).
FUZZERS += file
FUZZ_file_SRCS := tests/fuzz/fuzz_file.c sensor/filescan/file_track.c sensor/filescan/fscan_ytext.c \
                  sensor/output/eve_fileinfo.c \
                  sensor/output/eve_writer.c sensor/classify/dpi_ndpi.c common/jb.c common/log.c
FUZZ_file_LIBS := -lyara -lcrypto -lmagic -lndpi -lpthread

# make bench: YARA MB/s on carved corpus files, sensor throughput on an
# HTTP-heavy capture with files/YARA off and on.
BENCHES += files
$(B)/tests/yara_bench: $(patsubst %.c,$(B)/obj/%.o,tests/files/yara_bench.c sensor/filescan/fscan_yara.c sensor/filescan/fscan_ytext.c common/jb.c common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lyara -lm
.PHONY: bench-files
bench-files: $(B)/canh-sensor $(B)/tests/yara_bench $(B)/tools/pcap_remap
	@python3 tests/files/bench.py --sensor $(B)/canh-sensor --yara-bench $(B)/tests/yara_bench \
	  --remap $(B)/tools/pcap_remap --corpus ../shared/corpus --out $(B)/bench-files

UNIT_TESTS += fscan_pool
UNIT_fscan_pool_SRCS := tests/unit/filescan/test_fscan_pool.c sensor/filescan/fscan_pool.c \
                        sensor/filescan/fscan_yara.c sensor/filescan/fscan_ytext.c sensor/filescan/file_track.c \
                        sensor/filescan/file_store.c sensor/filescan/fscan_hashlist.c \
                        sensor/output/eve_fileinfo.c sensor/output/eve_writer.c \
                        sensor/classify/dpi_ndpi.c common/jb.c common/log.c common/cfg.c
UNIT_fscan_pool_LIBS := -lyara -lcrypto -lmagic -lndpi -lyaml -lpthread
