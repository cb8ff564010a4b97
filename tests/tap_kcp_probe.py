#!/usr/bin/env python3
"""tap_kcp_probe.py - KCP sessions without a KCP engine, for the tap tests.

Crafts raw KCP segments with struct.pack: a PUSH with sn 0 opens a session
on the echo server, the echoed PUSH is acknowledged so the server's session
goes idle. Enough to drive session bookkeeping (cap, idle timeout, memory)
independently of any client implementation.

  tap_kcp_probe.py HOST PORT open N [--conv C]
      open N sessions (convs C..C+N-1), each echoed and acked; exit 0 when
      all were echoed
  tap_kcp_probe.py HOST PORT cap MAX [--conv C]
      open MAX sessions, check that one more still gets in (the server
      evicts the session that made no progress the longest), then that of
      the MAX + 1 exactly MAX still echo (sn 1); exit 0 when all three hold
  tap_kcp_probe.py HOST PORT stray N [--conv C]
      for N unknown convs send what must not open a session (an ACK, a PUSH
      with sn 3) and N datagrams too short for a header; exit 0 when
      nothing comes back
"""
import argparse
import select
import socket
import struct
import sys
import time

HDR = struct.Struct("<IBBHIIII")  # conv cmd frg wnd ts sn una len
PUSH, ACK = 81, 82


def seg(conv, cmd, sn, una, data=b"", ts=0):
    return HDR.pack(conv, cmd, 0, 128, ts, sn, una, len(data)) + data


def parse(dgram):
    """Every segment of a datagram as (conv, cmd, ts, sn, data)."""
    out = []
    off = 0
    while len(dgram) - off >= HDR.size:
        conv, cmd, _frg, _wnd, ts, sn, _una, ln = HDR.unpack_from(dgram, off)
        off += HDR.size
        if ln > len(dgram) - off:
            break
        out.append((conv, cmd, ts, sn, dgram[off:off + ln]))
        off += ln
    return out


class Probe:
    def __init__(self, host, port):
        self.addr = (host, port)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
        self.sock.bind(("0.0.0.0", 0))

    def payload(self, conv, sn):
        return b"probe %d %d" % (conv, sn)

    def push(self, conv, sn):
        self.sock.sendto(seg(conv, PUSH, sn, sn, self.payload(conv, sn)), self.addr)

    def collect(self, want, sn, timeout):
        """Wait for the echo of message sn on every conv in want; ack each
        echo. Returns the set of convs echoed correctly."""
        got = set()
        end = time.monotonic() + timeout
        while want - got:
            left = end - time.monotonic()
            if left <= 0:
                break
            if not select.select([self.sock], [], [], left)[0]:
                break
            dgram, _ = self.sock.recvfrom(65536)
            for conv, cmd, ts, rsn, data in parse(dgram):
                if cmd != PUSH or conv not in want:
                    continue
                self.sock.sendto(seg(conv, ACK, rsn, sn + 1, ts=ts), self.addr)
                if rsn == sn and data == self.payload(conv, sn):
                    got.add(conv)
        return got

    def round(self, convs, sn, timeout, batch=256, tries=3):
        """Send message sn on every conv (in batches, each collected before
        the next, so no socket buffer overflows), resending to the convs
        not yet echoed as a KCP sender would; return the convs echoed."""
        got = set()
        convs = list(convs)
        for i in range(0, len(convs), batch):
            part = set(convs[i:i + batch])
            for _ in range(tries):
                for c in sorted(part - got):
                    self.push(c, sn)
                got |= self.collect(part - got, sn, timeout / tries)
                if part <= got:
                    break
        return got


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("port", type=int)
    ap.add_argument("mode", choices=["open", "cap", "stray"])
    ap.add_argument("n", type=int)
    ap.add_argument("--conv", type=int, default=1000)
    ap.add_argument("--timeout", type=float, default=3.0)
    a = ap.parse_args()
    if a.n < 1 or a.n > 100000:
        ap.error("N must be 1..100000")
    p = Probe(a.host, a.port)
    convs = range(a.conv, a.conv + a.n)
    if a.mode == "open":
        got = p.round(convs, 0, a.timeout)
        print("probe: %d of %d sessions echoed" % (len(got), a.n))
        return 0 if len(got) == a.n else 1
    if a.mode == "stray":
        for c in convs:
            p.sock.sendto(seg(c, ACK, 0, 0), p.addr)
            p.sock.sendto(seg(c, PUSH, 3, 0, b"late"), p.addr)
            p.sock.sendto(b"short", p.addr)
        back = select.select([p.sock], [], [], 1.5)[0]
        print("probe: stray datagrams %d, reply %s" % (3 * a.n, "yes" if back else "none"))
        return 1 if back else 0
    first = p.round(convs, 0, a.timeout)
    time.sleep(0.05)
    extra = p.round([a.conv + a.n], 0, a.timeout)
    again = p.round(range(a.conv, a.conv + a.n + 1), 1, 1.5)
    print("probe: opened %d of %d, extra echoed %d, again %d of %d"
          % (len(first), a.n, len(extra), len(again), a.n + 1))
    return 0 if len(first) == a.n and len(extra) == 1 and len(again) == a.n else 1


if __name__ == "__main__":
    sys.exit(main())
