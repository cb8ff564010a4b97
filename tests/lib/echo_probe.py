#!/usr/bin/env python3
"""echo_probe.py - UDP and TCP echo clients for the tap tests and RTT numbers.

Run inside the test's network namespace (nsx python3 tests/lib/echo_probe.py ...).
Every mode is bounded in time; the exit status is 0 when the check held.

  udp-exact --sizes 0,1,1472,8192     each payload echoed byte for byte
  udp-loss  --count 400               fraction of probes without an echo
  udp-rtt   --count 1000              sequential round trips, p50/p99 in ms
  tcp-echo  --bytes 1048576 --clients 1   send, half-close, read back, compare
  tcp-rtt   --count 1000              ping-pong on one connection, p50/p99
  tcp-abort --bytes 200000            send without reading, then reset (RST)
"""
import argparse
import os
import random
import select
import socket
import struct
import sys
import threading
import time


def percentile(samples, pct):
    s = sorted(samples)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, int(round(pct / 100.0 * (len(s) - 1)))))
    return s[k]


def udp_socket(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.connect((args.host, args.port))
    return s


def udp_exact(args):
    rng = random.Random(args.seed)
    ok = True
    s = udp_socket(args)
    for size in [int(x) for x in args.sizes.split(",")]:
        payload = bytes(rng.getrandbits(8) for _ in range(size))
        got = None
        for _ in range(args.tries):
            s.send(payload)
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                r, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
                if not r:
                    break
                data = s.recv(65535)
                if data == payload:
                    got = data
                    break
            if got is not None:
                break
        if got is None:
            print("udp-exact size=%d FAILED (no byte-exact echo)" % size)
            ok = False
        else:
            print("udp-exact size=%d ok" % size)
    return ok


def udp_loss(args):
    """Fire count probes at a fixed pace, collect echoes concurrently."""
    s = udp_socket(args)
    sent = {}
    rtts = []
    got = set()
    pad = b"\xa5" * max(0, args.size - 8)

    def drain(until):
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([s], [], [], left)
            if not r:
                return
            data = s.recv(65535)
            if len(data) < 8:
                continue
            seq = struct.unpack("!Q", data[:8])[0]
            if seq in sent and seq not in got and data == struct.pack("!Q", seq) + pad:
                got.add(seq)
                rtts.append((time.monotonic() - sent[seq]) * 1000.0)

    for seq in range(args.count):
        sent[seq] = time.monotonic()
        s.send(struct.pack("!Q", seq) + pad)
        drain(time.monotonic() + args.interval)
    drain(time.monotonic() + args.timeout)
    loss = 1.0 - len(got) / float(args.count)
    print("udp-loss sent=%d received=%d loss=%.4f p50_ms=%.3f p99_ms=%.3f"
          % (args.count, len(got), loss, percentile(rtts, 50), percentile(rtts, 99)))
    return True


def udp_rtt(args):
    s = udp_socket(args)
    pad = b"\x5a" * max(0, args.size - 8)
    rtts = []
    lost = 0
    for seq in range(args.count):
        msg = struct.pack("!Q", seq) + pad
        t0 = time.monotonic()
        s.send(msg)
        deadline = t0 + args.timeout
        while True:
            left = deadline - time.monotonic()
            r, _, _ = select.select([s], [], [], max(0.0, left))
            if not r:
                lost += 1
                break
            if s.recv(65535) == msg:
                rtts.append((time.monotonic() - t0) * 1000.0)
                break
    print("udp-rtt count=%d lost=%d p50_ms=%.3f p99_ms=%.3f"
          % (args.count, lost, percentile(rtts, 50), percentile(rtts, 99)))
    return lost == 0 or args.allow_loss


def tcp_connect(args):
    c = socket.create_connection((args.host, args.port), timeout=args.timeout)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def tcp_one_client(args, idx, results):
    rng = random.Random(args.seed * 1000 + idx)
    data = rng.randbytes(args.bytes)
    received = bytearray()
    try:
        c = tcp_connect(args)

        def writer():
            try:
                view = memoryview(data)
                while view:
                    n = c.send(view[:65536])
                    view = view[n:]
                c.shutdown(socket.SHUT_WR)
            except OSError as e:
                results[idx] = "send: %s" % e

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            received.extend(chunk)
        t.join(args.timeout)
        c.close()
    except OSError as e:
        results[idx] = "%s after %d bytes" % (e, len(received))
        return
    if results[idx] is None:
        results[idx] = "ok" if bytes(received) == data else \
            "mismatch: got %d of %d bytes" % (len(received), len(data))


def tcp_echo(args):
    results = [None] * args.clients
    threads = [threading.Thread(target=tcp_one_client, args=(args, i, results), daemon=True)
               for i in range(args.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.1, args.deadline - (time.monotonic() - t0)))
    ok = sum(1 for r in results if r == "ok")
    print("tcp-echo clients=%d ok=%d bytes_each=%d seconds=%.2f"
          % (args.clients, ok, args.bytes, time.monotonic() - t0))
    for i, r in enumerate(results):
        if r != "ok":
            print("  client %d: %s" % (i, r if r is not None else "timed out"))
    return ok == args.clients


def tcp_rtt(args):
    c = tcp_connect(args)
    msg = b"\x33" * args.size
    rtts = []
    for _ in range(args.count):
        t0 = time.monotonic()
        c.sendall(msg)
        got = 0
        while got < len(msg):
            chunk = c.recv(len(msg) - got)
            if not chunk:
                print("tcp-rtt: connection closed")
                return False
            got += len(chunk)
        rtts.append((time.monotonic() - t0) * 1000.0)
    c.close()
    print("tcp-rtt count=%d p50_ms=%.3f p99_ms=%.3f"
          % (args.count, percentile(rtts, 50), percentile(rtts, 99)))
    return True


def tcp_abort(args):
    """Send without reading until the windows close or bytes are out, then RST."""
    c = tcp_connect(args)
    c.settimeout(0.5)
    view = memoryview(os.urandom(args.bytes))
    try:
        while view:
            n = c.send(view[:65536])
            view = view[n:]
    except (socket.timeout, BlockingIOError):
        pass
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()
    print("tcp-abort sent=%d then reset" % (args.bytes - len(view)))
    return True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mode", choices=["udp-exact", "udp-loss", "udp-rtt", "tcp-echo", "tcp-rtt",
                                    "tcp-abort"])
    p.add_argument("--host", default="192.168.0.2")
    p.add_argument("--port", type=int, default=7)
    p.add_argument("--sizes", default="0,1,1472,8192")
    p.add_argument("--size", type=int, default=64)
    p.add_argument("--count", type=int, default=200)
    p.add_argument("--interval", type=float, default=0.005)
    p.add_argument("--timeout", type=float, default=2.0)
    p.add_argument("--tries", type=int, default=3)
    p.add_argument("--bytes", type=int, default=1 << 20)
    p.add_argument("--clients", type=int, default=1)
    p.add_argument("--deadline", type=float, default=40.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--allow-loss", action="store_true")
    args = p.parse_args()
    fn = {"udp-exact": udp_exact, "udp-loss": udp_loss, "udp-rtt": udp_rtt,
          "tcp-echo": tcp_echo, "tcp-rtt": tcp_rtt, "tcp-abort": tcp_abort}[args.mode]
    try:
        ok = fn(args)
    except OSError as e:
        print("%s: %s" % (args.mode, e))
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
