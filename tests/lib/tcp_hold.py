#!/usr/bin/env python3
"""tcp_hold.py - hostile TCP clients for tests/tap_robust_tcp.sh.

  tcp_hold.py HOST PORT [--abandon N] [--hog] [--hold SEC]

--abandon N: open N connections, send 64 bytes on each, then never read,
  write or close them: clients that went silent without a FIN.
--hog: one more connection that writes as fast as it can and never reads;
  stops writing once no byte has been taken for 2 s (the server stopped
  reading: its buffers and ours are full) and reports how much it got in.
Prints "opened N refused R hog_bytes B" and then "holding" (flushed), and
keeps every socket open for --hold seconds (default 60) or until killed.
Killing it with SIGKILL makes the kernel close them all; connections with
unread echoes in their receive buffer then end with a RST, as when a real
client process dies.
"""
import argparse
import select
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("--abandon", type=int, default=0)
    ap.add_argument("--hog", action="store_true")
    ap.add_argument("--hold", type=float, default=60.0)
    a = ap.parse_args()

    socks = []
    refused = 0
    for _ in range(a.abandon):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        try:
            s.connect((a.host, a.port))
            s.sendall(b"a" * 64)
            socks.append(s)
        except OSError:
            refused += 1
            s.close()

    hog_bytes = 0
    if a.hog:
        h = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        h.settimeout(5)
        try:
            h.connect((a.host, a.port))
            h.setblocking(False)
            chunk = b"h" * 65536
            last = time.monotonic()
            deadline = last + 30
            while time.monotonic() - last < 2 and time.monotonic() < deadline:
                _, w, _ = select.select([], [h], [], 0.2)
                if not w:
                    continue
                try:
                    n = h.send(chunk)
                except BlockingIOError:
                    continue
                if n > 0:
                    hog_bytes += n
                    last = time.monotonic()
            socks.append(h)
        except OSError:
            refused += 1
            h.close()

    print("opened %d refused %d hog_bytes %d" % (len(socks), refused, hog_bytes), flush=True)
    print("holding", flush=True)
    time.sleep(a.hold)
    return 0


if __name__ == "__main__":
    sys.exit(main())
