#!/usr/bin/env python3
"""forge_frame.py - send hand-made Ethernet frames out of a tap, as a hostile
host on the link would: an IPv4 or IPv6 UDP datagram with any source address
(our own, loopback, broadcast, ...), to the Ethernet broadcast address, so
the receiver's MAC need not be known. Run inside the test's namespace.

  forge_frame.py IFACE SRC DST SPORT DPORT PAYLOAD [COUNT]

Prints "sent N". IPv4 and IPv6 checksums are correct, so only the source
address makes the datagram wrong.
"""
import ipaddress
import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def frame(src, dst, sport, dport, payload):
    udp_len = 8 + len(payload)
    if src.version == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0x1234, 0, 64, 17, 0,
                         src.packed, dst.packed)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        pseudo = src.packed + dst.packed + struct.pack("!BBH", 0, 17, udp_len)
        ethertype = 0x0800
    else:
        ip = struct.pack("!IHBB16s16s", 6 << 28, udp_len, 17, 64, src.packed, dst.packed)
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", udp_len, 17)
        ethertype = 0x86DD
    udp = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    c = csum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    eth = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x99" + struct.pack("!H", ethertype)
    return eth + ip + udp


def main():
    if len(sys.argv) not in (7, 8):
        sys.stderr.write(__doc__)
        return 2
    iface, src, dst = sys.argv[1], ipaddress.ip_address(sys.argv[2]), ipaddress.ip_address(sys.argv[3])
    if src.version != dst.version:
        sys.stderr.write("forge_frame.py: SRC and DST must be of one family\n")
        return 2
    f = frame(src, dst, int(sys.argv[4]), int(sys.argv[5]), sys.argv[6].encode())
    count = int(sys.argv[7]) if len(sys.argv) == 8 else 1
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(count):
        s.send(f)
    print("sent %d" % count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
