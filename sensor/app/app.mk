# sensor/app: the worker's reassembly + app layer + detection glue, HTTP on
# libhtp, DNS, TLS; EVE alert events (sensor/output/eve_alert.c).
APP_SRCS := sensor/app/app_pipe.c sensor/app/app_cfg.c sensor/app/app_proto.c \
            sensor/app/app_http.c sensor/app/app_dns.c sensor/app/app_tls.c
SENSOR_SRCS += $(APP_SRCS) sensor/output/eve_alert.c sensor/detect/det_reload.c

UNIT_TESTS += app_parsers
UNIT_app_parsers_SRCS := tests/unit/app/test_app_parsers.c sensor/app/app_proto.c sensor/app/app_http.c \
                         sensor/app/app_dns.c sensor/app/app_tls.c common/log.c
UNIT_app_parsers_LIBS := -lhtp -lcrypto -lz

FUZZERS += app
FUZZ_app_SRCS := tests/fuzz/fuzz_app.c sensor/app/app_proto.c sensor/app/app_http.c \
                 sensor/app/app_dns.c sensor/app/app_tls.c common/log.c
FUZZ_app_LIBS := -lhtp -lcrypto -lz

# suricata-verify cases from the corpus through the real sensor.
TEST_SUITES += suricata-verify
.PHONY: suite-suricata-verify
suite-suricata-verify: $(B)/canh-sensor
	@python3 tests/verify/run.py --sensor $(B)/canh-sensor --corpus ../shared/corpus --out $(B)/verify-out
