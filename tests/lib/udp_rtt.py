"""udp_rtt.py HOST PORT COUNT SIZE - UDP echo round trips, verified, with p50/p99.

Used by the demo to show UDP echo beside TCP and KCP echo.
"""
import os
import socket
import sys
import time


def main():
    host, port, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1.0)
    rtts, lost = [], 0
    for i in range(count):
        payload = i.to_bytes(4, "big") + os.urandom(max(0, size - 4))
        t0 = time.perf_counter()
        sock.sendto(payload[:size], (host, port))
        try:
            while True:
                data, _ = sock.recvfrom(65536)
                if data == payload[:size]:
                    rtts.append((time.perf_counter() - t0) * 1000.0)
                    break
        except socket.timeout:
            lost += 1
        time.sleep(0.01)
    rtts.sort()
    if not rtts:
        print(f"udp echo: 0/{count} answered")
        return 1
    p = lambda q: rtts[min(len(rtts) - 1, int(q * len(rtts)))]
    print(f"udp echo: {len(rtts)}/{count} verified, lost {lost}, rtt ms "
          f"min {rtts[0]:.3f} avg {sum(rtts) / len(rtts):.3f} p50 {p(0.5):.3f} "
          f"p99 {p(0.99):.3f} max {rtts[-1]:.3f}")
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
