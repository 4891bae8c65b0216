# correlator/: canh-correlator. Each part owns a *.mk that appends to CORR_SRCS.
CORR_SRCS :=
CORR_LIBS  = -levent -levent_pthreads -levent_openssl -lsqlite3 -ljansson -lyaml -lpcre2-8 -lcurl -lssl -lcrypto -lsodium -lz -lm
-include correlator/correlate/correlate.mk
-include correlator/core.mk
-include correlator/ship/ship.mk
-include correlator/report/report.mk
-include correlator/portal/portal.mk

CORR_OBJS := $(patsubst %.c,$(B)/obj/%.o,$(CORR_SRCS))
BINS += $(B)/canh-correlator
$(B)/canh-correlator: $(CORR_OBJS) $(COMMON_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CORR_LIBS)
