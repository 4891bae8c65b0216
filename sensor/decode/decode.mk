# sensor/decode: link, network and transport decoders, and IP defragmentation.
DECODE_SRCS := sensor/decode/dec_packet.c sensor/decode/dec_eth.c sensor/decode/dec_vlan.c \
               sensor/decode/dec_sll.c sensor/decode/dec_null.c sensor/decode/dec_ipv4.c \
               sensor/decode/dec_ipv6.c sensor/decode/dec_l4.c sensor/decode/dec_tcp.c \
               sensor/decode/dec_udp.c sensor/decode/dec_icmp.c sensor/decode/dec_tunnel.c \
               sensor/decode/dec_csum.c
DEFRAG_SRCS := sensor/decode/defrag.c
SENSOR_SRCS += $(DECODE_SRCS) $(DEFRAG_SRCS)

UNIT_TESTS += decode defrag
UNIT_decode_SRCS := tests/unit/decode/test_decode.c $(DECODE_SRCS)
UNIT_decode_LIBS := -lpcap
UNIT_defrag_SRCS := tests/unit/decode/test_defrag.c $(DECODE_SRCS) $(DEFRAG_SRCS)
UNIT_defrag_LIBS := -lpcap

FUZZERS += decode
FUZZ_decode_SRCS := tests/fuzz/fuzz_decode.c $(DECODE_SRCS) $(DEFRAG_SRCS)
FUZZ_decode_LIBS :=
