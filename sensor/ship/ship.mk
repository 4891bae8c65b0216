# sensor/ship: durable spool + shipper to the correlator (outputs.correlator).
SHIP_SRCS := sensor/ship/ship.c sensor/ship/ship_spool.c sensor/ship/ship_spool_read.c \
             sensor/ship/ship_send.c sensor/ship/ship_cfg.c
SHIP_LIBS := -lcurl -ljansson -lz
SENSOR_SRCS += $(SHIP_SRCS)

# Unit tests: the spool on a temporary directory; the config section.
UNIT_TESTS += ship_spool ship_cfg
UNIT_ship_spool_SRCS := tests/unit/ship/test_ship_spool.c sensor/ship/ship_spool.c \
                        sensor/ship/ship_spool_read.c common/log.c
UNIT_ship_cfg_SRCS   := tests/unit/ship/test_ship_cfg.c sensor/ship/ship_cfg.c common/cfg.c common/log.c
UNIT_ship_cfg_LIBS   := -lyaml

# Integration: a real HTTP(S) server in Python (tests/ship/fake_correlator.py)
# and a driver process that links the module, killed and restarted.
$(B)/tests/ship_drive: $(patsubst %.c,$(B)/obj/%.o,tests/ship/ship_drive.c $(filter-out %/ship_cfg.c,$(SHIP_SRCS)) common/log.c)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(SHIP_LIBS) -lm

TEST_SUITES += ship
.PHONY: suite-ship
suite-ship: $(B)/tests/ship_drive
	@cd $(TOP) && python3 tests/ship/test_ship.py --drive $(B)/tests/ship_drive --work $(B)/test-ship
