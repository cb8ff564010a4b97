/**
 * @file
 * UDP echo service on the raw API: every datagram is sent back to where it
 * came from. Runs in the lwIP core thread.
 */
#ifndef UDPECHO_RAW_H
#define UDPECHO_RAW_H

#include "counters.h"
#include "lwip/arch.h"
#include "lwip/err.h"

err_t udpecho_raw_init(u16_t port);
void udpecho_raw_counters(struct counters *c);

#endif /* UDPECHO_RAW_H */
