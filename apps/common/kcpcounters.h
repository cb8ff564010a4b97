/**
 * @file
 * The counters of the KCP layers (the binding's struct kcp_stats and the
 * datagram codec's struct kcp_codec_stats) in the counters format, under
 * one set of names, so that every service built on them (kcpecho, kcptun)
 * reports them alike and a reader of one line can read the other.
 */
#ifndef KCPCOUNTERS_H
#define KCPCOUNTERS_H

#include "counters.h"
#include "kcp_codec.h"
#include "kcp_lwip.h"

void kcpcounters_add_stats(struct counters *c, const struct kcp_stats *st);
void kcpcounters_add_codec(struct counters *c, const char *group, const struct kcp_codec *codec);

#endif /* KCPCOUNTERS_H */
