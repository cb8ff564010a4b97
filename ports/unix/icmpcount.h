/**
 * @file
 * Counts the ICMP echo requests lwIP answers, for ./minimal's counters.
 * lwIP itself answers them (icmp_input); this only looks.
 */
#ifndef ICMPCOUNT_H
#define ICMPCOUNT_H

#include "counters.h"
#include "lwip/err.h"

err_t icmpcount_init(void);
void icmpcount_counters(struct counters *c);

#endif /* ICMPCOUNT_H */
