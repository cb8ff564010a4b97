#!/usr/bin/env python3
"""make-seeds.py - write the seed corpora fuzz/corpus/<target>/.

Each seed is a small program in the op encoding its harness decodes (see
the ops of fuzz/fuzz_ikcp.c and fuzz/fuzz_kcp_lwip.c): a transfer that
completes, one over a lossy link, forged segments, small MTUs. They only
give the fuzzer a start past the setup bytes; it finds the rest.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack('<B', v & 0xff)


def u16(v):
    return struct.pack('<H', v & 0xffff)


def u32(v):
    return struct.pack('<I', v & 0xffffffff)


# ---- fuzz_ikcp: op byte = kind << 1 | side ----
def ik(kind, side):
    return u8(kind << 1 | side)


def ik_send(side, n):
    return ik(0, side) + u16(n << 1)


def ik_recv(side, n):
    return ik(1, side) + u16(n << 1)


def ik_tick(side, ms):
    return ik(2, side) + u16(ms)


def ik_nodelay(side, nd, interval, resend, nc):
    return ik(7, side) + u8(1) + u8(nd) + u16(interval) + u8(resend) + u8(nc)


def ik_mtu(side, mtu):
    return ik(7, side) + u8(0) + u16(mtu)


def ik_wnd(side, snd, rcv):
    return ik(7, side) + u8(2) + u16(snd) + u16(rcv)


def ik_run(ticks, step, loss):
    return ik(8, 0) + u8(ticks - 1) + u8(step - 1) + u32(loss)


def ik_push(dsn, frg, payload):
    """A forged PUSH (sel 0: conv, ts, sn, una near the victim's state)."""
    return (u8(0) + u8(0) + u16(dsn) + u16(0) + u16(0) + u16(128) + u8(frg)
            + u16(len(payload)) + payload)


IKCP = {
    'transfer-message': u8(0) + u32(0x01020304) + u32(1000)
    + ik_send(0, 3000) + ik_send(1, 500) + ik_run(40, 20, 0) + ik_recv(1, 5000),
    'lossy-stream-wrap': u8(1) + u32(7) + u32(0xffffff00)
    + ik_nodelay(0, 1, 10, 2, 1) + ik_nodelay(1, 1, 10, 2, 1)
    + ik_send(0, 20000) + ik_run(64, 10, 0x24924924) + ik_run(64, 50, 0),
    'forged-fragments': u8(0) + u32(9) + u32(0)
    + ik_tick(0, 10) + ik_tick(1, 10)
    + ik(6, 1) + u8(1) + ik_push(0, 1, b'0123456789') + ik_push(1, 0, b'abcde')
    + ik(3, 1) + ik_recv(1, 100) + ik(4, 1) + u8(0),
    'small-mtu-window': u8(0) + u32(0xdeadbeef) + u32(77)
    + ik_mtu(0, 60) + ik_mtu(1, 60) + ik_wnd(0, 256, 256) + ik_wnd(1, 256, 256)
    + ik_send(0, 3000) + ik_run(60, 100, 0x80000001) + ik_recv(1, 4000),
}


# ---- fuzz_kcp_lwip: op byte = kind << 2 | peer ----
def kl(kind, peer=0):
    return u8(kind << 2 | peer)


def kl_start(peer, v):
    return kl(0, peer) + u16(v)


def kl_send(peer, n):
    return kl(1, peer) + u16(n)


def kl_run(ticks, step, loss):
    return kl(12) + u8(ticks - 1) + u8(step - 1) + u32(loss)


def kl_accept(mode, tune=b'\x00'):
    """Bytes read by the accept callback: keep it, its mode, its settings."""
    return u8(0) + u8(mode) + tune


KCP_LWIP = {
    'echo': u32(5000) + kl_start(0, 0x1234) + kl_send(0, 1000)
    + kl_run(30, 20, 0) + kl_accept(2),
    'two-peers-lossy': u32(0xfffff000) + kl_start(0, 0x10) + kl_start(1, 0x21)
    + kl_send(0, 5000) + kl_send(1, 300) + kl_run(40, 30, 0x11111111)
    + kl_accept(3, u8(1)) + kl_accept(0, u8(2) + u8(64) + u16(256)) + kl_run(40, 30, 0),
    'connect-write': u32(1) + kl_start(2, 0x55) + kl(8, 2) + u8(0) + u8(0)
    + kl(7) + u8(0) + u16(4000) + kl_run(20, 50, 0) + kl(10, 2),
    'raw-and-forged': u32(123456) + kl(5) + u8(0x85) + u8(7) + u16(9999) + u16(24)
    + u32(1) + u8(81) + u8(0) + u16(32) + u32(0) + u32(0) + u32(0) + u32(0)
    + kl(6) + u8(0) + u8(0) + u8(0) + u8(0) + u16(0) + u16(128) + u16(4) + u8(0)
    + b'ping',
    'ipv6-echo': u32(0x7fffff00) + kl_start(2, 0x66) + kl_send(2, 3000) + kl_start(3, 0x67)
    + kl_send(3, 10) + kl_run(30, 20, 0) + kl_accept(2) + kl_accept(6),
    'crowd': u32(99) + kl(11) + u8(79) + u8(3) + kl_run(5, 100, 0),
}


def write(target, seeds):
    d = os.path.join(HERE, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(d, name), 'wb') as f:
            f.write(data)


write('fuzz_ikcp', IKCP)
write('fuzz_kcp_lwip', KCP_LWIP)
