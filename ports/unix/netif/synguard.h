/**
 * @file
 * SYN flood guard of the tap netif: half-open TCP handshakes are counted
 * per source address and in total before lwIP sees the SYN.
 *
 * lwIP 2.1.3 as Debian builds it allocates a pcb for every SYN to a
 * listening port (the listen backlog is compiled out and memp pools come
 * from malloc, so there is no bound), keeps it in SYN_RCVD for 20 s, and
 * tcp_input() walks every pcb for every segment: 10 000 spoofed SYNs a
 * second make that list hundreds of thousands long and stall the core
 * thread, KCP included. Here, in the tap netif's input (core thread):
 *
 * - a SYN from a source that already has SYNGUARD_PER_SRC half-open
 *   handshakes is dropped (a real client sends its SYN again);
 * - when SYNGUARD_MAX handshakes are half-open in total, the oldest one is
 *   evicted: lwIP gets a RST for it, made as its peer would send it (the
 *   sequence number lwIP expects next), so lwIP frees that pcb at once
 *   through its own code; then the new SYN goes in. Unless the oldest is
 *   younger than SYNGUARD_EVICT_MIN_MS: then the new SYN is dropped. So a
 *   flood gets at most SYNGUARD_MAX SYNs into lwIP per SYNGUARD_EVICT_MIN_MS
 *   (5 120 a second), each costing lwIP a pcb, a SYN-ACK and a RST; the
 *   rest cost a table scan. A real client's SYN that gets in has that long
 *   to complete its handshake; one that is dropped is sent again;
 * - the handshake's next segment from the client (its ACK, or a RST) ends
 *   the tracking; one older than lwIP's SYN_RCVD timeout is forgotten.
 *
 * So lwIP never holds more than SYNGUARD_MAX half-open pcbs. TCP over IPv4
 * and IPv6 is tracked, behind IPv6 extension headers and in first
 * fragments too; a first fragment too short to show the TCP flags is
 * dropped. Other frames pass untouched.
 */
#ifndef SYNGUARD_H
#define SYNGUARD_H

#include "counters.h"

#include "lwip/pbuf.h"

/** Half-open handshakes at most, in total (SYNGUARD_PER_SRC from one
 *  source address). */
#define SYNGUARD_MAX 256
/** Half-open handshakes at most from one source address. */
#define SYNGUARD_PER_SRC 32
/** The oldest half-open handshake is evicted only when at least this old (ms). */
#define SYNGUARD_EVICT_MIN_MS 50
/** lwIP's SYN_RCVD timeout (tcp_priv.h's TCP_SYN_RCVD_TIMEOUT), ms. */
#define SYNGUARD_HALFOPEN_MS 20000

/** Delivers a made-up frame (the evicting RST) to lwIP; takes ownership. */
typedef void (*synguard_inject_fn)(struct pbuf *p, void *arg);

/** One half-open handshake, as the client's SYN gave it. */
struct synguard_entry {
  u8_t src[16];        /**< client: 4 (IPv4) or 16 bytes, network order */
  u8_t dst[16];        /**< us */
  u8_t v6;             /**< IPv6, else IPv4 */
  u16_t sport, dport;  /**< host order */
  u32_t isn;           /**< the client's initial sequence number */
  u32_t t_ms;          /**< sys_now() when seen */
  u8_t mac_src[6];     /**< the SYN's Ethernet source and destination */
  u8_t mac_dst[6];
  u8_t used;
};

/** The guard; fields private to synguard.c. */
struct synguard {
  struct synguard_entry e[SYNGUARD_MAX];
  u32_t n;                     /**< entries in use */
  synguard_inject_fn inject;
  void *inject_arg;
  struct {
    u32_t syns;       /**< SYNs tracked */
    u32_t completed;  /**< handshakes ended by the client's ACK or RST */
    u32_t evicted;    /**< oldest evicted for a new SYN (RST to lwIP) */
    u32_t dropped;    /**< SYNs dropped: their source had too many */
    u32_t full;       /**< SYNs dropped: all half-open ones younger than SYNGUARD_EVICT_MIN_MS */
    u32_t hidden;     /**< dropped: a first fragment too short for the TCP flags, or too many IPv6 extension headers */
    u32_t expired;    /**< forgotten after SYNGUARD_HALFOPEN_MS */
  } stats;
};

void synguard_init(struct synguard *g, synguard_inject_fn inject, void *arg);
int synguard_input(struct synguard *g, const u8_t *frame, u16_t len);
void synguard_counters(const struct synguard *g, struct counters *c);

#endif /* SYNGUARD_H */
