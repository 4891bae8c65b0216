# Test plumbing. Included last, after every directory's *.mk.
#
# A unit test binary (one per module, linking only that module and what it
# names) is declared in the module's *.mk:
#   UNIT_TESTS    += jb
#   UNIT_jb_SRCS  := tests/unit/common/test_jb.c common/jb.c
#   UNIT_jb_LIBS  := -ljansson            (optional)
# It becomes the suite "unit-jb" (build: $(B)/tests/unit-jb).
#
# Any other suite: add NAME to TEST_SUITES and define the target suite-NAME,
# which must print a closing "N passed, N failed[, N skipped]" line.

UNIT_TESTS ?=

define unit_test_rule
$(B)/tests/unit-$(1): $$(patsubst %.c,$(B)/obj/%.o,$$(UNIT_$(1)_SRCS))
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(UNIT_$(1)_LIBS) -lm
.PHONY: suite-unit-$(1)
suite-unit-$(1): $(B)/tests/unit-$(1)
	@cd $(TOP) && $(B)/tests/unit-$(1)
endef
$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test_rule,$(t))))

# Unit suites run first, in declaration order.
TEST_SUITES := headers $(addprefix unit-,$(UNIT_TESTS)) $(TEST_SUITES)

.PHONY: suite-headers
suite-headers:
	@$(MAKE) --no-print-directory -s headers && echo "headers: 1 passed, 0 failed"
