# sensor/: canh-sensor. Each stage owns a *.mk that appends to SENSOR_SRCS
# (and to UNIT_TESTS / TEST_SUITES / BENCHES / FUZZERS for its tests).
SENSOR_SRCS :=
SENSOR_LIBS  = -lpcap -lndpi -lgcrypt -lhs -lyara -lhtp -lpcre2-8 -lyaml -ljansson -lcurl -lssl -lcrypto -lz -lm
-include sensor/decode/decode.mk
-include sensor/core.mk
-include sensor/classify/classify.mk
-include sensor/stream/stream.mk
-include sensor/detect/detect.mk
-include sensor/app/app.mk
-include sensor/ship/ship.mk
-include sensor/filescan/filescan.mk

SENSOR_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(SENSOR_SRCS))
BINS += $(B)/canh-sensor
$(B)/canh-sensor: $(SENSOR_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(SENSOR_LIBS)
