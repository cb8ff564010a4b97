/**
 * @file
 * TCP echo service on the raw API: every byte a client sends is sent back
 * on the same connection, for many clients at once. Runs in the lwIP core
 * thread.
 */
#ifndef TCPECHO_RAW_H
#define TCPECHO_RAW_H

#include "lwip/arch.h"
#include "lwip/err.h"

/** Connections served at once; more are refused with a RST. Together with
 *  the per-connection bound (about TCP_WND buffered by us plus TCP_SND_BUF
 *  queued in lwIP) this caps the memory the service can be made to hold. */
#define TCPECHO_RAW_MAX_CONNS 200

err_t tcpecho_raw_init(u16_t port);
void tcpecho_raw_stats_print(void);

#endif /* TCPECHO_RAW_H */
