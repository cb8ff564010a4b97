/**
 * @file
 * The counters of the KCP layers in the counters format (see
 * kcpcounters.h).
 */
#include "kcpcounters.h"

/**
 * Add the binding's counters to c's current group.
 * @param st one pcb's (kcp_stats_get()), or several summed (kcp_stats_add())
 */
void
kcpcounters_add_stats(struct counters *c, const struct kcp_stats *st)
{
  counters_add(c, "sessions", st->sessions);
  counters_add(c, "opened", st->opened);
  counters_add(c, "closed", st->closed);
  counters_add(c, "idle", st->closed_idle);
  counters_add(c, "dead", st->closed_dead);
  counters_add(c, "refused", st->refused);
  counters_add(c, "in", st->dgram_in);
  counters_add(c, "out", st->dgram_out);
  counters_add(c, "bytes_in", st->engine.bytes_in);
  counters_add(c, "bytes_out", st->engine.bytes_out);
  counters_add(c, "segs_in", st->engine.segs_in);
  counters_add(c, "segs_out", st->engine.segs_out);
  counters_add(c, "data_in", st->engine.data_segs_in);
  counters_add(c, "data_out", st->engine.data_segs_out);
  counters_add(c, "dropped", st->dropped);
  counters_add(c, "malformed", st->malformed);
  counters_add(c, "send_err", st->send_err);
  counters_add(c, "retrans", st->engine.retrans_timeout);
  counters_add(c, "fast_retrans", st->engine.retrans_fast);
  counters_add(c, "dup", st->engine.dup_segs);
  counters_add(c, "sess_in", st->sess_in);
  counters_add(c, "stalled", st->closed_stall);
  counters_add(c, "evicted", st->evicted);
  counters_add(c, "held", st->held);
  counters_add(c, "share", st->share);
  counters_add(c, "active", st->active);
}

/**
 * Add a group of the codec's counters to c, when the service has a codec.
 * @param group the group's label ("kcpcodec")
 * @param codec the service's codec, or NULL (no group)
 */
void
kcpcounters_add_codec(struct counters *c, const char *group, const struct kcp_codec *codec)
{
  struct kcp_codec_stats cs;

  if (codec == NULL) {
    return;
  }
  kcp_codec_stats_get(codec, &cs);
  counters_group(c, "%s", group);
  counters_add(c, "opened", cs.opened);
  counters_add(c, "crc_err", cs.crc_err);
  counters_add(c, "short", cs.short_in);
  counters_add(c, "parity_in", cs.fec_parity_in);
  counters_add(c, "parity_out", cs.fec_parity_out);
  counters_add(c, "recovered", cs.fec_recovered);
  counters_add(c, "fec_bad", cs.fec_bad);
}
