# Makefile - kcp-lwip: KCP inside lwIP, shown on Unix through a tap.
#
#   make            ./minimal and ./kcp_client
#   make check      every test (unit, sanitizer, simulator, interop, tap)
#   make bench      benchmarks, results under bench/results/
#   make demo       the tap demo in a private network namespace
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each)

include Common.mk
include Filelists.mk

BUILD    := build
SANBUILD := build-san

.PHONY: all deps check bench demo fuzz clean
all: minimal kcp_client

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INCLUDES) $(LWIP_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

$(SANBUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) $(INCLUDES) $(LWIP_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

objs = $(patsubst %.c,$(1)/%.o,$(2))

minimal: $(call objs,$(BUILD),$(UNIXFILES) $(APPFILES) $(KCPLWIPFILES) $(KCPFILES))
	$(CC) $(CFLAGS) -o $@ $^ $(LWIP_LIBS) $(PCAP_LIBS)

kcp_client: $(call objs,$(BUILD),$(CLIENTFILES) $(KCPFILES))
	$(CC) $(CFLAGS) -o $@ $^ -lm

# Each Check test NAME is tests/NAME.c plus TESTSUPPORTFILES and the engine.
CHECKBINS    := $(addprefix $(BUILD)/tests/,$(CHECKTESTS))
CHECKSANBINS := $(addprefix $(SANBUILD)/tests/,$(CHECKTESTS))

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(call objs,$(BUILD),$(TESTSUPPORTFILES) $(KCPFILES))
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) -lm

$(SANBUILD)/tests/%: $(SANBUILD)/tests/%.o $(call objs,$(SANBUILD),$(TESTSUPPORTFILES) $(KCPFILES))
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(CHECK_LIBS) -lm

check: deps
	$(MAKE) all $(CHECKBINS) $(CHECKSANBINS) $(TESTEXTRAS)
	@tests/run-tests.sh $(CHECKBINS) $(CHECKSANBINS) $(SCRIPTTESTS)

clean:
	rm -rf $(BUILD) $(SANBUILD) minimal kcp_client

-include $(shell find $(BUILD) $(SANBUILD) -name '*.d' 2>/dev/null)
