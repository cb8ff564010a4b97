# Filelists.mk - source lists of each part, as lwIP's Filelists.mk does.
# The Makefile only combines these lists; add a file here, not there.

# The KCP engine: no lwIP, no system calls.
KCPFILES := kcp/ikcp.c

# The lwIP binding of the engine (session layer on a raw-API udp_pcb).
KCPLWIPFILES := kcp/kcp_lwip.c

# The services, raw API, run in the lwIP core thread.
APPFILES := apps/udpecho/udpecho_raw.c \
	apps/tcpecho/tcpecho_raw.c \
	apps/kcpecho/kcpecho.c

# The Unix port: ./minimal on our own PBUF_RAM tap netif.
UNIXFILES := ports/unix/minimal.c \
	ports/unix/netif/tapif.c

# Host-side client: POSIX sockets and the engine.
CLIENTFILES := examples/kcp_client/kcp_client.c

# Unit and simulator tests (Check), built plain and with sanitizers.
CHECKTESTS :=

# Shell tests run by tests/run-tests.sh, in this order.
SCRIPTTESTS :=
