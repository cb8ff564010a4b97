/**
 * @file
 * KCP echo service on kcp_lwip: any conv, each whole message sent back as
 * one message on the session it came from.
 *
 * Back-pressure instead of loss: when the reply does not fit the session's
 * send queue, the message is refused and stays in the engine, which then
 * advertises a smaller window, so a fast client is slowed down rather than
 * having echoes dropped.
 */
#include "kcpecho.h"

#include "ipsrc.h"
#include "kcpcounters.h"
#include "kcp_lwip.h"
#include "kcp_codec.h"
#include "lwip/opt.h"
#include "lwip/ip_addr.h"

#include <string.h>

/** Send-queue cap per session, in windows: room for one window of replies
    queued behind one window in flight. */
#define KCPECHO_SNDQ_WINDOWS 2

static struct kcp_pcb *kcpecho_pcb;
static struct kcp_codec *kcpecho_codec;
static struct kcpecho_config kcpecho_cfg;

void
kcpecho_config_default(struct kcpecho_config *cfg)
{
  cfg->port = KCPECHO_PORT_DEFAULT;
  cfg->profile = KCPECHO_PROFILE_DEFAULT;
  cfg->cc = KCPECHO_CC_DEFAULT;
  cfg->wnd = KCPECHO_WND_DEFAULT;
  cfg->mtu = KCPECHO_MTU_DEFAULT;
  cfg->idle_sec = KCPECHO_IDLE_DEFAULT;
  cfg->max_sessions = KCPECHO_SESSIONS_DEFAULT;
  cfg->budget = KCPECHO_BUDGET_DEFAULT;
  cfg->crypt = NULL;
  cfg->key = "it's a secrect";
  cfg->datashard = 0;
  cfg->parityshard = 0;
}

/* The codec a configuration asks for, checked; *codec NULL for none. */
static err_t
kcpecho_codec_make(const struct kcpecho_config *cfg, struct kcp_codec **codec)
{
  struct kcp_codec_config cc;
  const char *why;

  *codec = NULL;
  if (cfg->crypt == NULL) {
    return ERR_OK;
  }
  cc.crypt = cfg->crypt;
  cc.key = cfg->key;
  cc.datashard = cfg->datashard;
  cc.parityshard = cfg->parityshard;
  if (kcp_codec_config_check(&cc, &why) != 0 ||
      (size_t)cfg->mtu + kcp_codec_config_overhead(&cc) > KCP_DGRAM_MAX) {
    return ERR_VAL;
  }
  *codec = kcp_codec_new(&cc);
  return *codec == NULL ? ERR_MEM : ERR_OK;
}

static err_t
kcpecho_recv(void *arg, struct kcp_session *s, const void *data, u32_t len)
{
  err_t err;

  LWIP_UNUSED_ARG(arg);
  err = kcp_write(s, data, len);
  if (err == ERR_VAL) {
    /* Our mss is smaller than the sender's: the reply would need more
       fragments than KCP allows, now and on every retry. */
    kcp_close(s);
    return ERR_ABRT;
  }
  return err;
}

static err_t
kcpecho_accept(void *arg, struct kcp_session *s, err_t err)
{
  ikcpcb *kcp = kcp_session_ikcp(s);
  ip_addr_t peer;

  LWIP_UNUSED_ARG(arg);
  if (err != ERR_OK || kcp == NULL) {
    return ERR_VAL;
  }
  kcp_session_peer(s, &peer, NULL);
  if (ipsrc_is_bogus(&peer)) {
    return ERR_VAL;
  }
  if (ikcp_profile(kcp, kcpecho_cfg.profile) != 0 ||
      ikcp_wndsize(kcp, kcpecho_cfg.wnd, kcpecho_cfg.wnd) != 0 ||
      ikcp_setmtu(kcp, kcpecho_cfg.mtu) != 0 ||
      kcp_setcc(s, kcpecho_cfg.cc) != ERR_OK) {
    return ERR_MEM;
  }
  kcp_recv(s, kcpecho_recv);
  return ERR_OK;
}

/* Only the engine knows the list of profiles. */
static int
kcpecho_profile_valid(const char *name)
{
  const char *known;
  int i;

  for (i = 0; name != NULL && (known = ikcp_profile_name(i)) != NULL; i++) {
    if (strcmp(name, known) == 0) {
      return 1;
    }
  }
  return 0;
}

enum kcpecho_cfg_field
kcpecho_config_check(const struct kcpecho_config *cfg)
{
  if (cfg->port == 0) {
    return KCPECHO_CFG_PORT;
  }
  if (!kcpecho_profile_valid(cfg->profile)) {
    return KCPECHO_CFG_PROFILE;
  }
  if (cfg->cc == NULL || ikcp_cc_find(cfg->cc) == NULL) {
    return KCPECHO_CFG_CC;
  }
  if (cfg->wnd < KCPECHO_WND_MIN || cfg->wnd > KCPECHO_WND_MAX) {
    return KCPECHO_CFG_WND;
  }
  if (cfg->mtu < KCPECHO_MTU_MIN || cfg->mtu > KCPECHO_MTU_MAX) {
    return KCPECHO_CFG_MTU;
  }
  if (cfg->idle_sec < KCPECHO_IDLE_MIN || cfg->idle_sec > KCPECHO_IDLE_MAX) {
    return KCPECHO_CFG_IDLE;
  }
  if (cfg->max_sessions < KCPECHO_SESSIONS_MIN || cfg->max_sessions > KCPECHO_SESSIONS_MAX) {
    return KCPECHO_CFG_SESSIONS;
  }
  if (cfg->budget < KCPECHO_BUDGET_MIN || cfg->budget > KCPECHO_BUDGET_MAX) {
    return KCPECHO_CFG_BUDGET;
  }
  return KCPECHO_CFG_OK;
}

err_t
kcpecho_init(const struct kcpecho_config *cfg)
{
  struct kcp_pcb *pcb;
  err_t err;

  LWIP_ASSERT_CORE_LOCKED();
  if (kcpecho_pcb != NULL) {
    return ERR_USE;
  }
  if (cfg == NULL || kcpecho_config_check(cfg) != KCPECHO_CFG_OK) {
    return ERR_VAL;
  }
  err = kcpecho_codec_make(cfg, &kcpecho_codec);
  if (err != ERR_OK) {
    return err;
  }
  kcpecho_cfg = *cfg;
  pcb = kcp_new();
  if (pcb == NULL) {
    kcp_codec_free(kcpecho_codec);
    kcpecho_codec = NULL;
    return ERR_MEM;
  }
  err = kcp_bind(pcb, IP_ANY_TYPE, cfg->port);
  if (err != ERR_OK) {
    kcp_remove(pcb);
    kcp_codec_free(kcpecho_codec);
    kcpecho_codec = NULL;
    return err;
  }
  kcp_set_codec(pcb, kcpecho_codec);
  kcp_set_max_sessions(pcb, (u32_t)cfg->max_sessions);
  kcp_set_idle(pcb, cfg->idle_sec * 1000);
  kcp_set_budget(pcb, cfg->budget);
  kcp_set_sndq_max(pcb, LWIP_MAX(KCP_DEFAULT_SNDQ_MAX, KCPECHO_SNDQ_WINDOWS * (u32_t)cfg->wnd));
  kcp_accept(pcb, kcpecho_accept);
  kcpecho_pcb = pcb;
  return ERR_OK;
}

void
kcpecho_counters(struct counters *c)
{
  struct kcp_stats st;

  LWIP_ASSERT_CORE_LOCKED();
  if (kcpecho_pcb == NULL) {
    memset(&st, 0, sizeof(st));
  } else {
    kcp_stats_get(kcpecho_pcb, &st);
  }
  counters_group(c, "kcpecho");
  kcpcounters_add_stats(c, &st);
  kcpcounters_add_codec(c, "kcpcodec", kcpecho_codec);
}
