/**
 * @file
 * A congestion control module written only against the reference KCP v2
 * declaration of struct IKCPOPS (see cc_v2_module.c).
 */
#ifndef CC_V2_MODULE_H
#define CC_V2_MODULE_H

#include "ikcp.h"

/** What the module counted, read through its get_info hook. */
struct cc_v2_info {
  IUINT32 inits, releases;
  IUINT32 acks, acked_bytes, pkts_sent, pkts_acked, rtts, ticks;
  IUINT32 fast, timeouts, app_limited;
};

/** Fixed window of 8 segments, paced at 64 KB/s; counts every hook. */
extern const struct IKCPOPS cc_v2_fixed;

/** Modules released so far (their state freed), for leak checks. */
extern int cc_v2_released;

#endif /* CC_V2_MODULE_H */
