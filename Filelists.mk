# Filelists.mk - source lists of each part, as lwIP's Filelists.mk does.
# The Makefile only combines these lists; add a file here, not there.

# The KCP engine: no lwIP, no system calls.
KCPFILES := kcp/ikcp.c

# kcp-go's datagram codec (nonce + CRC32 + cipher, FEC): no lwIP; links
# CODEC_LIBS (Common.mk).
CODECFILES := codec/kcp_crypt.c codec/kcp_codec.c codec/kcp_fec.c

# The lwIP binding of the engine (session layer on a raw-API udp_pcb), with
# the codec it can put in front of its sessions (link CODEC_LIBS too).
KCPLWIPFILES := kcp/kcp_lwip.c $(CODECFILES)

# What make install ships for users' own lwIP builds: libkcplwip.a of
# LIBFILES, and LIBHEADERS under include/kcp-lwip (add a codec's here).
LIBFILES := $(KCPFILES) $(KCPLWIPFILES)
LIBHEADERS := kcp/ikcp.h kcp/kcp_lwip.h codec/kcp_codec.h codec/kcp_crypt.h codec/kcp_fec.h

# kcptun's layers, pure modules: the smux stream multiplexer, and the
# snappy framed stream of its compression (libsnappy blocks, ISA-L CRC32C).
SMUXFILES := apps/kcptun/smux.c
SNAPPYFRAMEFILES := apps/kcptun/snappyframe.c
SNAPPYFRAME_LIBS := -lsnappy -lisal
# kcptun's JSON configuration file, read with json-c.
KCPTUN_JSON_LIBS := -ljson-c

# The services, raw API, run in the lwIP core thread.
APPFILES := apps/common/ipsrc.c \
	apps/common/ipstr.c \
	apps/common/counters.c \
	apps/common/kcpcounters.c \
	apps/common/namelist.c \
	apps/udpecho/udpecho_raw.c \
	apps/tcpecho/tcpecho_raw.c \
	apps/kcpecho/kcpecho.c \
	apps/kcptun/kcptun.c \
	apps/kcptun/kcptun_opts.c \
	apps/kcptun/kcptun_json.c \
	$(SMUXFILES) $(SNAPPYFRAMEFILES)

# The Unix port: ./minimal on our own PBUF_RAM tap netif.
UNIXFILES := ports/unix/minimal.c \
	ports/unix/icmpcount.c \
	ports/unix/watchdog.c \
	ports/unix/pcapdump.c \
	ports/unix/statsreport.c \
	ports/unix/netif/linkemu.c \
	ports/unix/netif/rxring.c \
	ports/unix/netif/corecall.c \
	ports/unix/netif/synguard.c \
	ports/unix/netif/ip6guard.c \
	ports/unix/netif/rxbatch.c \
	ports/unix/netif/txbatch.c \
	ports/unix/netif/tcpgso.c \
	ports/unix/netif/uringbuf.c \
	ports/unix/netif/tapif.c

# Host-side client: POSIX sockets and the engine.
CLIENTFILES := examples/kcp_client/kcp_client.c \
	examples/kcp_client/kcpc_args.c \
	examples/kcp_client/kcpc_interactive.c \
	examples/kcp_client/kcpc_bench.c \
	examples/kcp_client/kcpc_stats.c \
	examples/kcp_client/kcpc_payload.c \
	examples/kcp_client/kcpc_link.c \
	examples/kcp_client/kcpc_link_kcp.c \
	examples/kcp_client/kcpc_link_tcp.c \
	apps/common/namelist.c \
	$(CODECFILES)

# lwIP on virtual time for tests and fuzzers of the binding: in the
# caller's thread, its clock, heap and wire in the caller's hands.
VNETIFFILES := tests/vnetif.c

# libFuzzer targets (make fuzz): build-fuzz/NAME from fuzz/NAME.c and the
# parts listed for it; seeds in fuzz/corpus/NAME, past crashes in
# fuzz/regressions/NAME.
FUZZTARGETS := fuzz_ikcp fuzz_kcp_lwip
FUZZ_ikcp_FILES := fuzz/fuzz_ikcp.c fuzz/fuzz_reader.c $(KCPFILES)
FUZZ_kcp_lwip_FILES := fuzz/fuzz_kcp_lwip.c fuzz/fuzz_reader.c $(VNETIFFILES) \
	$(KCPLWIPFILES) $(KCPFILES)
FUZZ_kcp_lwip_LIBS := $(LWIP_LIBS) $(CODEC_LIBS)
# kcp_client's command line parser, alone. FUZZ_NAME_SHARE N: fuzzed for
# FUZZ_SECONDS / N (a small target saturates early).
# kcp-go's datagram codec: ciphers, framing, FEC shards and recovery.
FUZZTARGETS += fuzz_codec
FUZZ_codec_FILES := fuzz/fuzz_codec.c fuzz/fuzz_reader.c $(CODECFILES)
FUZZ_codec_LIBS := $(CODEC_LIBS)
FUZZ_codec_SHARE := 3
FUZZTARGETS += fuzz_kcpc_args
FUZZ_kcpc_args_FILES := fuzz/fuzz_kcpc_args.c examples/kcp_client/kcpc_args.c \
	apps/common/namelist.c $(KCPFILES) $(CODECFILES)
FUZZ_kcpc_args_LIBS := $(CODEC_LIBS)
FUZZ_kcpc_args_SHARE := 3
# kcptun's smux parser behind the snappy framed stream decoder.
FUZZTARGETS += fuzz_smux
FUZZ_smux_FILES := fuzz/fuzz_smux.c $(SMUXFILES) $(SNAPPYFRAMEFILES)
FUZZ_smux_LIBS := $(SNAPPYFRAME_LIBS)
FUZZ_smux_SHARE := 3

# Unit and simulator tests (Check), built plain and with sanitizers.
CHECKTESTS :=
# Engine unit tests: wire bytes, error codes, bounds, in-memory transfers.
CHECKTESTS += check_ikcp

# Linked into every Check test: its main()'s work (checkmain), the
# deterministic link simulator, the N-flow bottleneck simulator and a
# congestion module written against the reference v2 API alone.
TESTSUPPORTFILES := tests/checkmain.c tests/linksim.c tests/bnecksim.c tests/cc_v2_module.c
# Simulator tests: two endpoints on a seeded virtual link.
CHECKTESTS += check_sim
# Congestion control: modules on N flows through one bottleneck, a module
# written against the reference v2 IKCPOPS, the classic module's wire.
CHECKTESTS += check_cc
# A Check test NAME also links the sources in CHECK_NAME_FILES and the
# libraries in CHECK_NAME_LIBS; LWIPCHECKTESTS run the lwIP core in-process.
# The codec against golden vectors made by the real kcp-go
# (tests/codec/golden.txt; `make codec-golden` remakes it).
CHECKTESTS += check_codec
CHECK_check_codec_FILES := $(CODECFILES)
CHECK_check_codec_LIBS := $(CODEC_LIBS)
# lwIP binding tests: sessions on virtual time (VNETIFFILES).
CHECKTESTS += check_kcp_lwip
LWIPCHECKTESTS := check_kcp_lwip
CHECK_check_kcp_lwip_FILES := $(KCPLWIPFILES) $(VNETIFFILES)
CHECK_check_kcp_lwip_LIBS := $(CODEC_LIBS)
# The tap netif's receive ring: frames from a thread to the core thread.
CHECKTESTS += check_rxring
LWIPCHECKTESTS += check_rxring
CHECK_check_rxring_FILES := ports/unix/netif/rxring.c ports/unix/netif/corecall.c tests/checktcpip.c
# Work under the core lock from another thread: tcpip_thread woken only for
# an earlier timer.
CHECKTESTS += check_corecall
LWIPCHECKTESTS += check_corecall
CHECK_check_corecall_FILES := ports/unix/netif/corecall.c tests/checktcpip.c
# The tap's batched reads and writes (io_uring) on a socket pair.
CHECKTESTS += check_iobatch
LWIPCHECKTESTS += check_iobatch
CHECK_check_iobatch_FILES := ports/unix/netif/rxbatch.c ports/unix/netif/txbatch.c ports/unix/netif/uringbuf.c
CHECK_check_iobatch_LIBS := $(URING_LIBS)
# The tap's TCP segmentation offload: segments of one flow as one GSO frame.
CHECKTESTS += check_tcpgso
LWIPCHECKTESTS += check_tcpgso
CHECK_check_tcpgso_FILES := ports/unix/netif/tcpgso.c
# The tap's SYN guard: tracking, limits, eviction RSTs, hidden SYNs.
CHECKTESTS += check_synguard
LWIPCHECKTESTS += check_synguard
CHECK_check_synguard_FILES := ports/unix/netif/synguard.c apps/common/counters.c tests/checktcpip.c
# kcptun's stream multiplexer smux (pure module): frames, errors, windows.
CHECKTESTS += check_smux
CHECK_check_smux_FILES := $(SMUXFILES)
# Snappy framed stream: golang/snappy's golden bytes, round trip, bad chunks.
CHECKTESTS += check_snappyframe
CHECK_check_snappyframe_FILES := $(SNAPPYFRAMEFILES)
CHECK_check_snappyframe_LIBS := $(SNAPPYFRAME_LIBS)
# kcp_client's KCP link against a server on loopback: its ACK policy.
CHECKTESTS += check_kcpc_link
CHECK_check_kcpc_link_FILES := examples/kcp_client/kcpc_link.c \
	examples/kcp_client/kcpc_link_kcp.c examples/kcp_client/kcpc_link_tcp.c $(CODECFILES)
CHECK_check_kcpc_link_LIBS := $(CODEC_LIBS)

# Shell tests run by tests/run-tests.sh, in this order.
SCRIPTTESTS :=
# The Unix port: ./minimal on a tap in a namespace; exit codes,
# echo services, link emulation, pcap, relaunch.sh, and valgrind with
# full-size frames. (tests/tap_rtt.sh measures, so it is not listed.)
SCRIPTTESTS += tests/tap_options.sh tests/tap_echo.sh tests/tap_linkemu.sh \
	tests/tap_pcap.sh tests/tap_relaunch.sh tests/tap_valgrind.sh
# --pcap read while written, and rotated as tcpdump -C/-W (--pcap-size/-count).
SCRIPTTESTS += tests/tap_pcap_rotate.sh
# --stats lines with time and rates, the per-module counter lines, --stats-json.
SCRIPTTESTS += tests/tap_stats.sh
# IPv6: link-local and --ip6 addresses, ping, UDP, TCP and KCP echo.
SCRIPTTESTS += tests/tap_ipv6.sh
# KCP sessions of ./minimal on a tap: cap, stray segments, idle
# timeout; memory and CPU of 10000 idle sessions.
SCRIPTTESTS += tests/tap_kcp_sessions.sh tests/tap_kcp_memory.sh
# ./kcp_client: its command line (no tap), then against ./minimal.
SCRIPTTESTS += tests/kcp_client_args.sh tests/tap_kcp_client.sh
# Reference-API compatibility: a C user of ikcp.h and a C++ file including
# ikcp.c (as the reference's test.cpp does); each prints PASS/FAIL lines.
TESTEXTRAS += build/tests/compat_c build/tests/compat_cxx
SCRIPTTESTS += build/tests/compat_c build/tests/compat_cxx

# Benchmarks (make bench): programs build/bench/NAME from bench/NAME.c, the
# engine and BENCHSUPPORTFILES; then bench/run-bench.sh runs BENCHSCRIPTS in
# this order (add yours with +=; extra build targets go in BENCHEXTRAS).
BENCHPROGS := engine_latency engine_bulk
BENCHSUPPORTFILES := tests/linksim.c
BENCHSCRIPTS := bench/engine-bench.sh
# KCP against TCP and UDP echo through lwIP in ./minimal:
# udp_echo_bench loads the UDP echo; results and plots in bench/results/.
BENCHPROGS += udp_echo_bench
BENCHSCRIPTS += bench/lwip-bench.sh
# kcp-go's datagram codec: CPU per datagram sealed and opened, per cipher
# and FEC setting (codec_bench links the codec and CODEC_LIBS).
BENCHPROGS += codec_bench
BENCH_codec_bench_FILES := $(CODECFILES)
BENCH_codec_bench_LIBS := $(CODEC_LIBS)
BENCHSCRIPTS += bench/codec-bench.sh

# Interop with kcp-go (tests/interop): ikcp_peer runs our engine alone over
# POSIX UDP, kcpgo_peer runs Debian's kcp-go; make check builds both first.
INTEROPFILES := tests/interop/ikcp_peer.c
TESTEXTRAS += build/tests/ikcp_peer tests/interop/bin/kcpgo_peer
SCRIPTTESTS += tests/interop_kcpgo.sh tests/tap_kcp_interop.sh
# kcp-go's datagram codec (codec/): kcp_client against the real kcp-go with
# every cipher, FEC on and off, loss, a wrong key (loopback, ~10 s).
SCRIPTTESTS += tests/interop_codec.sh
# The codec on ./minimal's KCP echo over a lossy tap: FEC recoveries on both
# ends, kcp-go as the client, a wrong key dropped and counted, seven more
# cipher/FEC settings with kcp-go, and valgrind with FEC (~25 s).
SCRIPTTESTS += tests/tap_kcp_codec.sh
# The Wireshark dissector on kcp-go's codec with crypt none: codec header,
# FEC shards and their KCP segments in a live capture (~5 s).
SCRIPTTESTS += tests/wireshark_codec.sh
SCRIPTTESTS += tests/wireshark_dissector.sh
# smux against Debian's Go smux over loopback TCP: our module as echo and
# as client, versions 1 and 2 (windows, keepalive across an idle session).
TESTEXTRAS += build/tests/smux_peer tests/interop/bin/smuxgo_peer
SCRIPTTESTS += tests/interop_smux.sh
# ./minimal as a kcptun server and client against Debian's real kcptun:
# every cipher, FEC 10/3 and 0/0, compression, smux 1/2, loss, wrong key,
# mismatches, a vanished client under valgrind (TCP clients:
# tests/interop/tcpecho_peer).
TESTEXTRAS += tests/interop/bin/tcpecho_peer
SCRIPTTESTS += tests/tap_kcptun.sh
# The Wireshark dissector's smux frames on a live kcptun capture (crypt
# none, no compression).
SCRIPTTESTS += tests/wireshark_smux.sh
# Sanitizers and leaks : each fuzz target replays its past crashes
# and runs 30 s; ./minimal under valgrind with KCP sessions, then SIGTERM.
SCRIPTTESTS += tests/fuzz_short.sh tests/tap_valgrind_kcp.sh
# Attacks and faults: garbage and session floods on the KCP port
# (flood tool build/tests/tools/kcp_flood), abandoned and never-reading TCP
# clients, integrity on a lossy link (100 MB per mode, ~60 s; its MB/s in
# make bench),
# SIGSEGV under scripts/relaunch.sh during kcp_client --reconnect.
TESTEXTRAS += build/tests/tools/kcp_flood
SCRIPTTESTS += tests/tap_robust_garbage.sh tests/tap_robust_sessions.sh \
	tests/tap_robust_tcp.sh tests/tap_robust_integrity.sh tests/tap_robust_crash.sh
BENCHSCRIPTS += bench/robust-integrity.sh
# Many clients at once: 1 to 1000 bulk sessions, clean and 2 % loss
# (goodput, Jain's index, p99 RTT, retransmissions), and the full-size
# memory pinning and session lockout figures.
BENCHEXTRAS += build/tests/tools/kcp_flood
BENCHSCRIPTS += bench/kcp-sessions.sh
# Unmodified kcp-go clients (tests/interop/bin/kcpgo_peer bench), 1 and
# 100 at once, against ./minimal and against kcp-go's own echo server on
# the kernel's UDP in the same namespace: aggregate goodput and the ratios.
BENCHEXTRAS += tests/interop/bin/kcpgo_peer
BENCHSCRIPTS += bench/kcp-kcpgo.sh
# Forged sources (ours, loopback, broadcast, multicast; the "land" datagram
# that made the UDP echo answer itself forever) beside a live KCP session.
SCRIPTTESTS += tests/tap_robust_land.sh
# Many clients at once (one budget shared fairly by the active sessions):
# 100 bulk clients on a clean link, every echo verified, < 3 % resent;
# one hostile host pinning memory (RSS bounded, given back) and filling the
# session table (new clients still get in within 1 s).
SCRIPTTESTS += tests/tap_kcp_many.sh tests/tap_kcp_pin.sh tests/tap_kcp_lockout.sh
# The core thread's watchdog (--watchdog, hung with the test-only
# --test-hang) restarted by relaunch.sh beside a live KCP session.
SCRIPTTESTS += tests/tap_robust_watchdog.sh
# SYN flood: spoofed SYNs (build/tests/tools/syn_flood) on the TCP echo
# port beside a live KCP session; the tap's SYN guard bounds half-open
# handshakes. make bench runs it 30 s at rising rates.
TESTEXTRAS += build/tests/tools/syn_flood
BENCHEXTRAS += build/tests/tools/syn_flood
SCRIPTTESTS += tests/tap_robust_synflood.sh
BENCHSCRIPTS += bench/robust-synflood.sh
# The forged-source (land) and hung-core (watchdog) rows of the robustness
# table, from the two tests make check also runs.
BENCHSCRIPTS += bench/robust-host.sh
# kcptun: iperf3 through ./minimal's server role beside the real
# kcptun-server (same kcptun-client settings), then 5 % loss with FEC 10/3
# against 0/0 on ours.
BENCHSCRIPTS += bench/kcptun-bench.sh
# Slowloris on the TCP echo: 200 connections trickling a byte every 0.5 s
# beside a live KCP session; newcomers evict the slowest.
SCRIPTTESTS += tests/tap_robust_slowloris.sh
# Forged IPv6 neighbour advertisements for our link-local address (valid:
# dropped; during detection: the duplicate is re-created) beside a live KCP
# session over IPv6.
SCRIPTTESTS += tests/tap_robust_dad.sh
# Setup and packaging: scripts/install-deps with stub apt-get/dpkg-query/sudo
# (as root, through sudo, without sudo; nothing is installed), and make
# naming a missing package.
SCRIPTTESTS += tests/install_deps.sh
# scripts/setup-tapif in namespaces of its own: help, bad options, success
# line, and --down removing only what it created.
SCRIPTTESTS += tests/setup_tapif.sh
# make install / uninstall into scratch DESTDIRs and PREFIXes, and a program
# built against the installed kcp-lwip.pc (tests/install_user.c).
SCRIPTTESTS += tests/install.sh

# Debian's real kcptun-client (aes, salsa20, none, twofish; FEC 10/3 and off;
# a wrong key) sends to
# build/tests/tools/codec_sink, which opens every datagram with our codec (~25 s).
TOOLS += codec_sink
TOOL_codec_sink_FILES := $(CODECFILES) $(KCPFILES)
TOOL_codec_sink_LIBS := $(CODEC_LIBS)
TESTEXTRAS += build/tests/tools/codec_sink
SCRIPTTESTS += tests/interop_kcptun_codec.sh
