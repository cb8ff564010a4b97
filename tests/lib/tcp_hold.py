#!/usr/bin/env python3
"""tcp_hold.py - hostile TCP clients for tests/tap_robust_tcp.sh.

  tcp_hold.py HOST PORT [--abandon N] [--hog] [--hold SEC] [--drip SEC]

--abandon N: open N connections, send 64 bytes on each, then never read,
  write or close them: clients that went silent without a FIN.
--hog: one more connection that writes as fast as it can and never reads;
  stops writing once no byte has been taken for 2 s (the server stopped
  reading: its buffers and ours are full) and reports how much it got in.
Prints "opened N refused R hog_bytes B" and then "holding" (flushed), and
keeps every socket open for --hold seconds (default 60) or until killed.
--drip SEC: meanwhile, the --abandon connections are not silent but slow
  (slowloris): each sends one more byte every SEC seconds and reads
  whatever comes back; one the server closed or reset is dropped quietly.
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
    ap.add_argument("--drip", type=float, default=0.0)
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
    if a.drip > 0:
        drip(socks[:len(socks) - (1 if a.hog and hog_bytes else 0)], a.drip, a.hold)
    else:
        time.sleep(a.hold)
    return 0


def drip(socks, every, hold):
    """One byte on each socket every `every` seconds, for `hold` seconds."""
    end = time.monotonic() + hold
    live = list(socks)
    for s in live:
        s.setblocking(False)
    while time.monotonic() < end and live:
        for s in list(live):
            try:
                while s.recv(4096):
                    pass
                live.remove(s)  # recv returned b"": the server closed it
                continue
            except BlockingIOError:
                pass
            except OSError:
                live.remove(s)
                continue
            try:
                s.send(b"d")
            except OSError:
                live.remove(s)
        time.sleep(every)


if __name__ == "__main__":
    sys.exit(main())
