# Makefile - kcp-lwip: KCP inside lwIP, shown on Unix through a tap.
#
#   make            ./minimal and ./kcp_client
#   make check      every test (unit, sanitizer, simulator, interop, tap)
#   make bench      benchmarks, results under bench/results/
#   make demo       the tap demo in a private network namespace
#   make fuzz       libFuzzer targets (FUZZ_SECONDS each)
#   make install    programs, scripts, headers, libkcplwip.a, kcp-lwip.pc and
#                   man pages under $(DESTDIR)$(PREFIX); make uninstall

include Common.mk
include Filelists.mk

BUILD    := build
SANBUILD := build-san

.PHONY: all deps check bench demo fuzz clean install uninstall FORCE
# Keep objects that only feed a test binary, so a second make does no work.
.SECONDARY:
all: minimal kcp_client

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c
	$(call pkg_need,$(PKGS_BUILD) $(if $(filter tests/%,$<),check))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INCLUDES) $(LWIP_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

$(SANBUILD)/%.o: %.c
	$(call pkg_need,$(PKGS_BUILD) check)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) $(INCLUDES) $(LWIP_CFLAGS) $(CHECK_CFLAGS) -MMD -MP -c $< -o $@

objs = $(patsubst %.c,$(1)/%.o,$(2))

# The version the programs print: `git describe --tags` in a clone with a
# tag, else the VERSION file. The header is rewritten only when it changes.
VERSION  := $(shell git describe --tags --dirty 2>/dev/null || cat VERSION)
VERSIONH := $(BUILD)/include/kcplwip_version.h
VERSIONED := $(BUILD)/ports/unix/minimal.o $(BUILD)/examples/kcp_client/kcp_client.o

# $(call update_file,COMMAND,FILE): FILE gets COMMAND's output, touched only
# when that differs, so that what depends on it is not rebuilt for nothing.
update_file = mkdir -p $(dir $(2)) && $(1) >$(2).tmp && \
	{ cmp -s $(2).tmp $(2) && rm $(2).tmp || mv $(2).tmp $(2); }

$(VERSIONH): FORCE
	@$(call update_file,echo '#define KCPLWIP_VERSION "$(VERSION)"',$@)
$(VERSIONED): $(VERSIONH)
$(VERSIONED): INCLUDES += -I$(BUILD)/include

minimal: $(call objs,$(BUILD),$(UNIXFILES) $(APPFILES) $(KCPLWIPFILES) $(KCPFILES))
	$(call pkg_need,libpcap liburing)
	$(CC) $(CFLAGS) -o $@ $^ $(LWIP_LIBS) $(PCAP_LIBS) $(URING_LIBS) $(CODEC_LIBS) $(SNAPPYFRAME_LIBS) $(KCPTUN_JSON_LIBS)

kcp_client: $(call objs,$(BUILD),$(CLIENTFILES) $(KCPFILES))
	$(CC) $(CFLAGS) -o $@ $^ $(CODEC_LIBS) -lm

# Each Check test NAME is tests/NAME.c plus TESTSUPPORTFILES and the engine.
CHECKBINS    := $(addprefix $(BUILD)/tests/,$(CHECKTESTS))
CHECKSANBINS := $(addprefix $(SANBUILD)/tests/,$(CHECKTESTS))

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(call objs,$(BUILD),$(TESTSUPPORTFILES) $(KCPFILES))
	$(CC) $(CFLAGS) -o $@ $^ $(CHECK_LIBS) -lm

$(SANBUILD)/tests/%: $(SANBUILD)/tests/%.o $(call objs,$(SANBUILD),$(TESTSUPPORTFILES) $(KCPFILES))
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(CHECK_LIBS) -lm

# A Check test NAME also links the sources in CHECK_NAME_FILES and the
# libraries in CHECK_NAME_LIBS; those that run the lwIP core in-process
# (LWIPCHECKTESTS) link lwIP too.
define check_test_parts
$$(BUILD)/tests/$(1): $$(call objs,$$(BUILD),$$(CHECK_$(1)_FILES))
$$(BUILD)/tests/$(1): CHECK_LIBS += $$(CHECK_$(1)_LIBS)
$$(SANBUILD)/tests/$(1): $$(call objs,$$(SANBUILD),$$(CHECK_$(1)_FILES))
$$(SANBUILD)/tests/$(1): CHECK_LIBS += $$(CHECK_$(1)_LIBS)
endef
$(foreach t,$(CHECKTESTS),$(eval $(call check_test_parts,$(t))))
$(foreach t,$(LWIPCHECKTESTS),$(eval CHECK_$(t)_LIBS += $$(LWIP_LIBS)))

# Interop peers. kcp-go builds offline from Debian's GOPATH tree; its cache
# lives under build/ because CI runs as root with no usable HOME.
GOENV := GO111MODULE=off GOPROXY=off GOFLAGS= GOPATH=/usr/share/gocode \
	HOME=$(CURDIR)/$(BUILD)/go GOCACHE=$(CURDIR)/$(BUILD)/go/cache

$(BUILD)/tests/ikcp_peer: $(call objs,$(BUILD),$(INTEROPFILES) $(KCPFILES))
	$(CC) $(CFLAGS) -o $@ $^

# Reference-API compatibility programs, C and C++ (see Filelists.mk).
$(BUILD)/tests/compat_c: tests/compat_c.c $(call objs,$(BUILD),$(KCPFILES))
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(INCLUDES) -o $@ $^

$(BUILD)/tests/compat_cxx: tests/compat_cxx.cpp $(KCPFILES) kcp/ikcp.h
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) $(INCLUDES) -o $@ $<

# Host-side test tools (tests/tools/NAME.c, one file each, POSIX only; a
# tool NAME also links TOOL_NAME_FILES and TOOL_NAME_LIBS).
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o
	$(CC) $(CFLAGS) -o $@ $^ $(TOOL_LIBS)
$(foreach t,$(TOOLS),$(eval $(BUILD)/tests/tools/$(t): $(call objs,$(BUILD),$(TOOL_$(t)_FILES))))
$(foreach t,$(TOOLS),$(eval $(BUILD)/tests/tools/$(t): TOOL_LIBS := $(TOOL_$(t)_LIBS)))

# The codec's golden vectors, from the real kcp-go (see tests/codec/golden).
.PHONY: codec-golden
codec-golden:
	@mkdir -p $(BUILD)/go
	$(GOENV) go run ./tests/codec/golden > tests/codec/golden.txt

tests/interop/bin/kcpgo_peer: tests/interop/kcptuncrypt/kcptuncrypt.go
tests/interop/bin/%: tests/interop/%/main.go
	@mkdir -p $(BUILD)/go
	$(GOENV) go build -o $@ ./tests/interop/$*

$(BUILD)/tests/smux_peer: $(call objs,$(BUILD),tests/interop/smux_peer.c $(SMUXFILES))
	$(CC) $(CFLAGS) -o $@ $^

demo: deps
	$(MAKE) all
	scripts/demo

# libFuzzer targets (FUZZTARGETS): clang, ASan and UBSan, objects under
# build-fuzz/. `make fuzz` runs each for FUZZ_SECONDS on a scratch copy of
# its corpus, after replaying its past crashes.
FUZZBUILD    := build-fuzz
FUZZCC       ?= clang-14
FUZZFLAGS    := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_SECONDS ?= 60
FUZZBINS     := $(addprefix $(FUZZBUILD)/,$(FUZZTARGETS))

$(FUZZBUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZCC) $(CFLAGS) $(FUZZFLAGS) $(INCLUDES) $(LWIP_CFLAGS) -MMD -MP -c $< -o $@
$(FUZZBUILD)/fuzz/fuzz_kcpc_args.o: INCLUDES += -Iexamples/kcp_client
$(FUZZBUILD)/fuzz/fuzz_kcp_lwip.o: INCLUDES += -Itests

define FUZZ_LINK
$(FUZZBUILD)/$(1): $(call objs,$(FUZZBUILD),$(FUZZ_$(1:fuzz_%=%)_FILES))
	$$(FUZZCC) $$(CFLAGS) $$(FUZZFLAGS) -o $$@ $$^ $(FUZZ_$(1:fuzz_%=%)_LIBS)
endef
$(foreach t,$(FUZZTARGETS),$(eval $(call FUZZ_LINK,$(t))))

.PHONY: fuzz-build
fuzz-build: $(FUZZBINS)

# A target that fails to build is reported by run-fuzz.sh; the others still run.
fuzz:
	-@$(MAKE) --no-print-directory -k fuzz-build
	@fuzz/run-fuzz.sh $(FUZZ_SECONDS) $(foreach t,$(FUZZTARGETS),$(t)$(addprefix :,$(FUZZ_$(t:fuzz_%=%)_SHARE)))

check: deps
	$(MAKE) all $(CHECKBINS) $(CHECKSANBINS) $(TESTEXTRAS) $(BUILD)/libkcplwip.a $(INSTALL_MAN1) $(INSTALL_MAN8)
	-@$(MAKE) --no-print-directory -k fuzz-build
	@tests/run-tests.sh $(CHECKBINS) $(CHECKSANBINS) $(SCRIPTTESTS)

# Benchmarks: each BENCHPROGS entry NAME is bench/NAME.c plus
# BENCHSUPPORTFILES and the engine; bench/run-bench.sh runs BENCHSCRIPTS.
BENCHBINS := $(addprefix $(BUILD)/bench/,$(BENCHPROGS))
$(BUILD)/bench/%.o: INCLUDES += -Itests

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(call objs,$(BUILD),$(BENCHSUPPORTFILES) $(KCPFILES))
	$(CC) $(CFLAGS) -o $@ $^ -lm $(BENCH_LIBS)

# A benchmark NAME also links BENCH_NAME_FILES and BENCH_NAME_LIBS.
$(foreach b,$(BENCHPROGS),$(eval $(BUILD)/bench/$(b): $(call objs,$(BUILD),$(BENCH_$(b)_FILES))))
$(foreach b,$(BENCHPROGS),$(eval $(BUILD)/bench/$(b): BENCH_LIBS := $(BENCH_$(b)_LIBS)))

bench: deps
	$(MAKE) all $(BENCHBINS) $(BENCHEXTRAS)
	@bench/run-bench.sh $(BENCHSCRIPTS)

# The engine and the binding as one static library, for a user's own lwIP
# build: pkg-config --cflags --libs kcp-lwip.
$(BUILD)/libkcplwip.a: $(call objs,$(BUILD),$(LIBFILES))
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/kcp-lwip.pc: packaging/kcp-lwip.pc.in FORCE
	@$(call update_file,sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' $<,$@)

# Man pages, from each program's own --help and --version (help2man).
HELP2MAN := help2man --no-info --version-string=$(VERSION)
$(BUILD)/man/kcp_client.1: kcp_client
$(BUILD)/man/kcp_client.1: MANNAME := KCP echo client, interactive or benchmark, with a TCP mode
$(BUILD)/man/minimal.8: minimal
$(BUILD)/man/minimal.8: MANNAME := lwIP on a tap serving ICMP, UDP, TCP and KCP echo
$(BUILD)/man/setup-tapif.8: scripts/setup-tapif
$(BUILD)/man/setup-tapif.8: MANNAME := create or remove the tap that minimal attaches to
$(BUILD)/man/relaunch.sh.8: scripts/relaunch.sh
$(BUILD)/man/relaunch.sh.8: MANNAME := restart minimal after a crash, with back-off
$(BUILD)/man/%:
	@mkdir -p $(dir $@)
	$(HELP2MAN) --section=$(subst .,,$(suffix $@)) --name='$(MANNAME)' --output=$@ ./$<

# make install PREFIX=/usr/local DESTDIR=: where each file goes.
INSTALL_BIN   := kcp_client
INSTALL_SBIN  := minimal scripts/setup-tapif scripts/relaunch.sh
INSTALL_INC   := $(LIBHEADERS)
INSTALL_MAN1  := $(BUILD)/man/kcp_client.1
INSTALL_MAN8  := $(BUILD)/man/minimal.8 $(BUILD)/man/setup-tapif.8 $(BUILD)/man/relaunch.sh.8
BINDIR  = $(DESTDIR)$(PREFIX)/bin
SBINDIR = $(DESTDIR)$(PREFIX)/sbin
INCDIR  = $(DESTDIR)$(PREFIX)/include/kcp-lwip
LIBDIR  = $(DESTDIR)$(PREFIX)/lib
MANDIR  = $(DESTDIR)$(PREFIX)/share/man

install: all $(BUILD)/libkcplwip.a $(BUILD)/kcp-lwip.pc $(INSTALL_MAN1) $(INSTALL_MAN8)
	install -d $(BINDIR) $(SBINDIR) $(INCDIR) $(LIBDIR)/pkgconfig $(MANDIR)/man1 $(MANDIR)/man8
	install -m 755 $(INSTALL_BIN) $(BINDIR)
	install -m 755 $(INSTALL_SBIN) $(SBINDIR)
	install -m 644 $(INSTALL_INC) $(INCDIR)
	install -m 644 $(BUILD)/libkcplwip.a $(LIBDIR)
	install -m 644 $(BUILD)/kcp-lwip.pc $(LIBDIR)/pkgconfig
	install -m 644 $(INSTALL_MAN1) $(MANDIR)/man1
	install -m 644 $(INSTALL_MAN8) $(MANDIR)/man8

uninstall:
	rm -f $(addprefix $(BINDIR)/,$(notdir $(INSTALL_BIN))) \
	  $(addprefix $(SBINDIR)/,$(notdir $(INSTALL_SBIN))) \
	  $(addprefix $(INCDIR)/,$(notdir $(INSTALL_INC))) \
	  $(LIBDIR)/libkcplwip.a $(LIBDIR)/pkgconfig/kcp-lwip.pc \
	  $(addprefix $(MANDIR)/man1/,$(notdir $(INSTALL_MAN1))) \
	  $(addprefix $(MANDIR)/man8/,$(notdir $(INSTALL_MAN8)))
	-rmdir $(INCDIR) 2>/dev/null

clean:
	rm -rf $(BUILD) $(SANBUILD) $(FUZZBUILD) minimal kcp_client

-include $(shell find $(BUILD) $(SANBUILD) $(FUZZBUILD) -name '*.d' 2>/dev/null)
