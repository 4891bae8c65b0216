# sensor/classify: nDPI glue (sources are listed in sensor/core.mk with the
# rest of the core); its unit test.
UNIT_TESTS += dpi_ndpi
UNIT_dpi_ndpi_SRCS := tests/unit/classify/test_dpi_ndpi.c sensor/classify/dpi_ndpi.c \
                      sensor/flow/flow_table.c sensor/flow/flow_key.c $(DECODE_SRCS) common/log.c
UNIT_dpi_ndpi_LIBS := -lndpi -lpcap
# The payload-less TCP giveup against the replay (includes dpi_ndpi.c).
UNIT_TESTS += dpi_headers
UNIT_dpi_headers_SRCS := tests/unit/classify/test_dpi_headers.c common/log.c
UNIT_dpi_headers_LIBS := -lndpi
