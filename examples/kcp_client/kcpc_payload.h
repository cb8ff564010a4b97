/**
 * @file
 * What the benchmark sends: the size and every byte of message idx of client
 * c follow from (seed, c, idx) alone. The verifier regenerates the expected
 * bytes instead of keeping copies, so memory does not grow with the window,
 * a resent message is identical to the original, and a byte stream can be
 * checked piece by piece (any offset can be generated directly).
 */
#ifndef KCPC_PAYLOAD_H
#define KCPC_PAYLOAD_H

#include <stdint.h>

/** The key naming one message: everything else derives from it. */
uint64_t kcpc_payload_key(uint64_t seed, unsigned client, uint64_t idx);
/** The message's size, uniform in [min, max]. */
uint32_t kcpc_payload_size(uint64_t key, uint32_t min, uint32_t max);
/** Write bytes [off, off+len) of the message into buf. */
void kcpc_payload_fill(uint64_t key, uint32_t off, uint8_t *buf, uint32_t len);
/** Whether buf holds exactly bytes [off, off+len) of the message. */
int kcpc_payload_check(uint64_t key, uint32_t off, const uint8_t *buf, uint32_t len);

#endif /* KCPC_PAYLOAD_H */
