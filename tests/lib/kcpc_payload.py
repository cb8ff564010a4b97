#!/usr/bin/env python3
"""kcpc_payload.py SEED COUNT MIN MAX - write to stdout the payload that
`kcp_client --bench --seed SEED --count COUNT --size MIN-MAX` sends (client 0,
messages 0..COUNT-1 in order), recomputed here from the definition in
examples/kcp_client/kcpc_payload.c instead of taken from the client, so that
`| sha256sum` checks the client's --sha256 report independently: both its
SHA-256 and the bytes it says it sent.

Message idx: key = mix(mix(seed + G) ^ idx*G); size = MIN + mix(key ^ 0x5a..5a)
% (MAX - MIN + 1); bytes = the little-endian 64-bit words
scramble(key + G*w), w = 0, 1, ..., cut to size. mix is splitmix64's
finaliser, G its increment, scramble a one-multiply finaliser.
About 1 s per 10 MB.
"""
import struct
import sys

M = (1 << 64) - 1
G = 0x9e3779b97f4a7c15


def mix(x):
    x ^= x >> 30
    x = (x * 0xbf58476d1ce4e5b9) & M
    x ^= x >> 27
    x = (x * 0x94d049bb133111eb) & M
    return x ^ (x >> 31)


def scramble(x):
    x ^= x >> 31
    x = (x * 0xbf58476d1ce4e5b9) & M
    return x ^ (x >> 29)


def main():
    seed, count, lo, hi = (int(a, 0) for a in sys.argv[1:5])
    out = sys.stdout.buffer
    base = mix((seed + G) & M)
    for idx in range(count):
        key = mix(base ^ ((idx * G) & M))
        size = lo + mix(key ^ 0x5a5a5a5a5a5a5a5a) % (hi - lo + 1)
        words = (size + 7) // 8
        out.write(struct.pack('<%dQ' % words,
                              *(scramble((key + G * w) & M) for w in range(words)))[:size])


if __name__ == '__main__':
    main()
