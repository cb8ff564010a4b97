# Common.mk - compiler, flags and external libraries shared by every part.
#
# The external libraries come from Debian packages (see scripts/install-deps)
# and are found with pkg-config, as lwIP's contrib ports do.

CC      ?= gcc
CXX     ?= g++
PREFIX  ?= /usr/local
# pkg-config packages, each with the Debian package that provides it.
PKGS    := lwip libpcap check libgcrypt libsodium libisal snappy json-c liburing
PKG_DEB_lwip      := liblwip-dev
PKG_DEB_libpcap   := libpcap-dev
PKG_DEB_check     := check
PKG_DEB_libgcrypt := libgcrypt20-dev
PKG_DEB_libsodium := libsodium-dev
PKG_DEB_libisal   := libisal-dev
PKG_DEB_snappy    := libsnappy-dev
PKG_DEB_json-c    := libjson-c-dev
PKG_DEB_liburing  := liburing-dev
# Every object of the tree may include these (the codec, the tunnel's snappy
# and its JSON configuration, the tap's io_uring).
PKGS_BUILD := lwip mbedtls libgcrypt libsodium libisal snappy json-c liburing

WARNFLAGS := -Wall -Wextra -Werror
OPTFLAGS  ?= -O2 -g
CFLAGS    += $(OPTFLAGS) $(WARNFLAGS) -std=gnu11 -D_GNU_SOURCE
CXXFLAGS  += $(OPTFLAGS) $(WARNFLAGS)

LWIP_CFLAGS := $(shell pkg-config --cflags lwip 2>/dev/null)
LWIP_LIBS   := $(shell pkg-config --libs lwip 2>/dev/null) -lpthread
PCAP_LIBS   := $(shell pkg-config --libs libpcap 2>/dev/null)
# io_uring: the tap's batched reads and writes (ports/unix/netif/rxbatch.c, txbatch.c).
URING_LIBS  := $(shell pkg-config --libs liburing 2>/dev/null)
CHECK_CFLAGS:= $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null)
# mbedTLS's crypto library (libmbedtls-dev has no pkg-config file in 2.28).
MBEDCRYPTO_LIBS := -lmbedcrypto

# pkg-config's own complaints are silenced above, so that `make deps` on a
# fresh machine stays quiet; instead a compile that needs a package that is
# missing stops first with its name: $(call pkg_need,PKGS) in a recipe.
# mbedTLS has no pkg-config file: its header stands for it.
PKGS_MISSING := $(foreach p,$(PKGS),$(if $(shell pkg-config --exists $(p) 2>/dev/null && echo y),,$(p))) \
	$(if $(shell echo '\#include <mbedtls/version.h>' | $(CC) -E -x c - >/dev/null 2>&1 && echo y),,mbedtls)
PKG_DEB_mbedtls := libmbedtls-dev
PKG_CONFIG_FOUND := $(shell command -v pkg-config)
pkg_missing = $(filter $(1),$(PKGS_MISSING))
pkg_why = $(if $(PKG_CONFIG_FOUND),no $(pkg_missing) found (Debian: \
	$(foreach p,$(pkg_missing),$(PKG_DEB_$(p)))),pkg-config is not installed (Debian: pkg-config))
pkg_need = $(if $(pkg_missing),@echo "make: $(strip $(pkg_why)); install with: make deps" >&2; exit 1)
# The datagram codec's primitives: mbedTLS, libgcrypt, libsodium, ISA-L.
CODEC_LIBS := $(MBEDCRYPTO_LIBS) $(shell pkg-config --libs libgcrypt libsodium libisal 2>/dev/null)

# Sanitizer flavour of the unit and simulator tests (make check builds both).
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

INCLUDES := -Ikcp -Icodec -Iports/unix -Iports/unix/netif -Iapps/common -Iapps/udpecho -Iapps/tcpecho -Iapps/kcpecho -Iapps/kcptun -Iexamples/kcp_client
