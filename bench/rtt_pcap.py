#!/usr/bin/env python3
"""rtt_pcap.py PCAP SERVER SIZE INTERVAL KCPCONV OUTDIR - every message's RTT from a capture.

kcp_client reports RTT statistics but not each sample; the CDF plot needs
every sample. The benchmark captures the latency run on the client side of
the tap (tcpdump on tap0 in the namespace: the client's frames before
./minimal's link emulation drops or delays them, the server's after it), and
this recovers each message's RTT from that capture, for both clients of the
run, with the same meaning kcp_client gives it:

  KCP (UDP port 8000, conversation KCPCONV, message mode, one SIZE-byte
  message per segment): message n leaves as the client's PUSH sn n; its echo
  is the server's PUSH sn n, delivered once every sn <= n has arrived.
  TCP (port 7): message n is bytes [n*SIZE, (n+1)*SIZE) of the client's
  stream; its echo is complete when the server's stream has arrived in order
  up to (n+1)*SIZE.

RTT = delivery time - send time. kcp_client starts message n at
t0 + n * INTERVAL ms (t0: message 0 leaving), and a message may wait in the
client's stack before its first transmission (TCP's send buffer behind a lost
segment), so the send time is the earlier of that schedule and the first
transmission seen. Writes OUTDIR/lat_kcp.rtt and
OUTDIR/lat_tcp.rtt (one RTT in ms per line) and prints their count, average
and p99, to be compared with the clients' own reports.
"""
import struct
import sys

KCP_PORT, TCP_PORT = 8000, 7
KCP_HDR = struct.Struct("<IBBHIIII")  # conv cmd frg wnd ts sn una len
KCP_PUSH = 81


def frames(path):
    """(time s, IPv4 packet bytes) of every Ethernet IPv4 frame."""
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data, 0)[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    nano = magic in (0xA1B23C4D, 0x4D3CB2A1)
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack_from(endian + "IIII", data, off)
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) >= 34 and pkt[12:14] == b"\x08\x00":
            yield sec + frac / (1e9 if nano else 1e6), pkt[14:]


def kcp_segments(udp_payload):
    off = 0
    while len(udp_payload) - off >= KCP_HDR.size:
        conv, cmd, _frg, _wnd, _ts, sn, _una, ln = KCP_HDR.unpack_from(udp_payload, off)
        yield conv, cmd, sn, ln
        off += KCP_HDR.size + ln


def seq_after(a, b):
    return ((a - b) & 0xFFFFFFFF) < 0x80000000


def scheduled(first_tx, interval):
    """Send times: the earlier of the schedule and the first transmission."""
    if 0 not in first_tx:
        return {}
    t0 = first_tx[0]
    return {n: min(t, t0 + n * interval) for n, t in first_tx.items()}


def main():
    path, server, size, interval, conv, outdir = (sys.argv[1], sys.argv[2], int(sys.argv[3]),
                                                  int(sys.argv[4]) / 1000.0, int(sys.argv[5]),
                                                  sys.argv[6])
    srv = bytes(int(x) for x in server.split("."))
    kcp_sent, kcp_arrived = {}, {}
    tcp_sent = {}                 # message -> first time its first byte left
    tcp_isn = {}                  # direction -> initial sequence number
    tcp_rx = []                   # (time, start, end) of server stream bytes
    for t, ip in frames(path):
        ihl = (ip[0] & 15) * 4
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        to_srv = dst == srv
        if proto == 17 and len(ip) >= ihl + 8:
            sport, dport = struct.unpack_from(">HH", ip, ihl)
            if KCP_PORT not in (sport, dport) or not (to_srv or src == srv):
                continue
            for c, cmd, sn, ln in kcp_segments(ip[ihl + 8:]):
                if c != conv or cmd != KCP_PUSH or ln != size:
                    continue
                book = kcp_sent if to_srv else kcp_arrived
                book.setdefault(sn, t)
        elif proto == 6 and len(ip) >= ihl + 20:
            sport, dport, seq = struct.unpack_from(">HHI", ip, ihl)
            if TCP_PORT not in (sport, dport) or not (to_srv or src == srv):
                continue
            flags = ip[ihl + 13]
            doff = (ip[ihl + 12] >> 4) * 4
            total = struct.unpack_from(">H", ip, 2)[0]
            ln = total - ihl - doff
            if flags & 0x02:  # SYN: the stream starts after it
                tcp_isn[to_srv] = (seq + 1) & 0xFFFFFFFF
                continue
            if ln <= 0 or to_srv not in tcp_isn:
                continue
            start = (seq - tcp_isn[to_srv]) & 0xFFFFFFFF
            if to_srv:
                for n in range(-(-start // size), -(-(start + ln) // size)):
                    tcp_sent.setdefault(n, t)
            else:
                tcp_rx.append((t, start, start + ln))
    kcp_sent, tcp_sent = scheduled(kcp_sent, interval), scheduled(tcp_sent, interval)
    kcp = []
    edge, latest = 0, 0.0
    for sn in sorted(kcp_arrived):
        if sn != edge:
            break  # a gap that never filled: later messages were not delivered
        latest = max(latest, kcp_arrived[sn])
        if sn in kcp_sent:
            kcp.append((latest - kcp_sent[sn]) * 1000.0)
        edge += 1
    tcp = []
    have = 0
    pending = []
    msg = 0
    for t, s, e in sorted(tcp_rx):
        pending.append((s, e))
        pending.sort()
        while pending and pending[0][0] <= have:
            have = max(have, pending.pop(0)[1])
        while (msg + 1) * size <= have:
            if msg in tcp_sent:
                tcp.append((t - tcp_sent[msg]) * 1000.0)
            msg += 1
    for name, xs in (("lat_kcp", kcp), ("lat_tcp", tcp)):
        with open(f"{outdir}/{name}.rtt", "w") as f:
            f.writelines(f"{x:.3f}\n" for x in xs)
        xs = sorted(xs)
        if xs:
            p99 = xs[max(0, (len(xs) * 99 + 99) // 100 - 1)]
            print(f"rtt_pcap: {name}: {len(xs)} samples, avg {sum(xs) / len(xs):.1f} ms, "
                  f"p99 {p99:.1f} ms")
        else:
            print(f"rtt_pcap: {name}: no samples")
    return 0 if kcp and tcp else 1


if __name__ == "__main__":
    sys.exit(main())
