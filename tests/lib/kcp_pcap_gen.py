#!/usr/bin/env python3
"""kcp_pcap_gen.py - write a classic pcap of hand-made KCP datagrams.

The frames are Ethernet/IPv4/UDP between 192.168.0.1 (client) and
192.168.0.2 (server), built byte by byte so that the Wireshark dissector
(tools/wireshark/kcp.lua) can be checked without a live stack. Each frame
is one case that tests/wireshark_dissector.sh expects, in this order:

  1  port 8000, client->server: PUSH conv 0x11223344 sn 0 "hello"
  2  port 8000, server->client: ACK sn 0 + PUSH sn 0 "hello" + WINS
  3  port 8000: PUSH whose len (100) runs past the datagram (10 bytes left)
  4  port 8000: segment with unknown cmd 99, then a valid ACK
  5  port 8000: valid ACK followed by a 10-byte short header
  6  port 41000: PUSH sn 7 "abc" + ACK sn 6 (found by the heuristic only)
  7  port 41002: 32 bytes that are not KCP (cmd byte 0x10)
  8  port 41004: KCP-looking PUSH with len beyond the datagram
  9  port 41006: WASK conv 0xcafe0001 (heuristic)

Usage: kcp_pcap_gen.py OUTPUT.pcap
"""

import struct
import sys

PUSH, ACK, WASK, WINS = 81, 82, 83, 84
CLIENT = bytes([192, 168, 0, 1])
SERVER = bytes([192, 168, 0, 2])
CLIENT_MAC = bytes.fromhex("020000000001")
SERVER_MAC = bytes.fromhex("020000000002")


def segment(conv, cmd, sn, data=b"", frg=0, wnd=128, ts=1000, una=0, length=None):
    """One KCP segment; length overrides the header's len to make bad ones."""
    if length is None:
        length = len(data)
    return struct.pack("<IBBHIIII", conv, cmd, frg, wnd, ts, sn, una, length) + data


def ipv4_checksum(header):
    total = 0
    for i in range(0, len(header), 2):
        total += (header[i] << 8) | header[i + 1]
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def frame(src, dst, sport, dport, payload, ident):
    """Ethernet/IPv4/UDP frame; the UDP checksum is 0 (not computed)."""
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident, 0x4000,
                     64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", ipv4_checksum(ip)) + ip[12:]
    src_mac, dst_mac = (CLIENT_MAC, SERVER_MAC) if src == CLIENT else (SERVER_MAC, CLIENT_MAC)
    return dst_mac + src_mac + b"\x08\x00" + ip + udp


def cases():
    conv = 0x11223344
    c2s = (CLIENT, SERVER, 40000, 8000)
    s2c = (SERVER, CLIENT, 8000, 40000)
    yield c2s, segment(conv, PUSH, 0, b"hello")
    yield s2c, (segment(conv, ACK, 0, una=1) + segment(conv, PUSH, 0, b"hello", una=1)
                + segment(conv, WINS, 0, wnd=127, una=1))
    yield c2s, segment(conv, PUSH, 1, b"0123456789", length=100)
    yield c2s, segment(conv, 99, 2, b"xy") + segment(conv, ACK, 0, una=1)
    yield c2s, segment(conv, ACK, 0, una=1) + b"\x44\x33\x22\x11\x51\x00\x80\x00\x00\x00"
    yield (CLIENT, SERVER, 40001, 41000), (segment(0x0badf00d, PUSH, 7, b"abc", una=6)
                                          + segment(0x0badf00d, ACK, 6, una=7))
    yield (CLIENT, SERVER, 40001, 41002), bytes([0x01, 0x02, 0x03, 0x04, 0x10]) + bytes(27)
    yield (CLIENT, SERVER, 40001, 41004), segment(0x0badf00d, PUSH, 8, b"abcd", length=50)
    yield (CLIENT, SERVER, 40001, 41006), segment(0xCAFE0001, WASK, 0, wnd=0)


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: kcp_pcap_gen.py OUTPUT.pcap\n")
        return 2
    with open(sys.argv[1], "wb") as out:
        # Classic pcap, microsecond stamps, snaplen 65535, LINKTYPE_ETHERNET.
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for n, ((src, dst, sport, dport), payload) in enumerate(cases(), start=1):
            pkt = frame(src, dst, sport, dport, payload, n)
            out.write(struct.pack("<IIII", 1700000000 + n, 0, len(pkt), len(pkt)))
            out.write(pkt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
