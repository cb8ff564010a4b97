# Common.mk - compiler, flags and external libraries shared by every part.
#
# The external libraries come from Debian packages (see scripts/install-deps)
# and are found with pkg-config, as lwIP's contrib ports do.

CC      ?= gcc
CXX     ?= g++
PKGS    := lwip libpcap

WARNFLAGS := -Wall -Wextra -Werror
OPTFLAGS  ?= -O2 -g
CFLAGS    += $(OPTFLAGS) $(WARNFLAGS) -std=gnu11 -D_GNU_SOURCE
CXXFLAGS  += $(OPTFLAGS) $(WARNFLAGS)

LWIP_CFLAGS := $(shell pkg-config --cflags lwip 2>/dev/null)
LWIP_LIBS   := $(shell pkg-config --libs lwip 2>/dev/null) -lpthread
PCAP_LIBS   := $(shell pkg-config --libs libpcap 2>/dev/null)
CHECK_CFLAGS:= $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS  := $(shell pkg-config --libs check 2>/dev/null)
# The datagram codec's primitives: mbedTLS (no pkg-config file in 2.28),
# libgcrypt, libsodium, ISA-L.
CODEC_LIBS  := -lmbedcrypto $(shell pkg-config --libs libgcrypt libsodium libisal 2>/dev/null)

# Sanitizer flavour of the unit and simulator tests (make check builds both).
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

INCLUDES := -Ikcp -Icodec -Iports/unix -Iports/unix/netif -Iapps/common -Iapps/udpecho -Iapps/tcpecho -Iapps/kcpecho
