/**
 * @file
 * Counts the ICMP echo requests lwIP answers, for ./minimal's counters.
 * lwIP itself answers them (icmp_input); this only looks.
 */
#ifndef ICMPCOUNT_H
#define ICMPCOUNT_H

#include "lwip/err.h"

err_t icmpcount_init(void);
void icmpcount_stats_print(void);

#endif /* ICMPCOUNT_H */
