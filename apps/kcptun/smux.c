/**
 * @file
 * smux frame parser, encoder and version 2 window (see smux.h).
 */
#include "smux.h"

#include <string.h>

static uint16_t
get16(const uint8_t *p)
{
  return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t
get32(const uint8_t *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
         ((uint32_t)p[3] << 24);
}

static void
put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

void
smux_parser_init(struct smux_parser *p, uint8_t version)
{
  memset(p, 0, sizeof(*p));
  p->version = version;
}

/**
 * Judge a complete header in p->hdr. Frames without payload are delivered
 * here; PSH sets p->left; UPD asks for its 8 payload bytes.
 * @return the bytes of p->hdr still needed (0: header done), or an error.
 */
static int
smux_parser_header(struct smux_parser *p, const struct smux_parser_ops *ops,
                   void *arg)
{
  uint8_t cmd = p->hdr[1];
  uint16_t len = get16(p->hdr + 2);

  if (p->hdr[0] != p->version) {
    return SMUX_ERR_VERSION;
  }
  p->sid = get32(p->hdr + 4);
  switch (cmd) {
  case SMUX_CMD_SYN:
  case SMUX_CMD_FIN:
  case SMUX_CMD_NOP:
    if (len != 0) {
      return SMUX_ERR_LENGTH;
    }
    p->frames++;
    if (ops->frame != NULL) {
      ops->frame(arg, cmd, p->sid);
    }
    return 0;
  case SMUX_CMD_PSH:
    p->left = len;
    if (len == 0) {
      p->frames++;
    }
    return 0;
  case SMUX_CMD_UPD:
    if (p->version < 2) {
      return SMUX_ERR_CMD;
    }
    if (len != SMUX_UPD_SIZE) {
      return SMUX_ERR_LENGTH;
    }
    return SMUX_UPD_SIZE;
  default:
    return SMUX_ERR_CMD;
  }
}

size_t
smux_parser_input(struct smux_parser *p, const uint8_t *buf, size_t len,
                  const struct smux_parser_ops *ops, void *arg)
{
  size_t used = 0;

  while (used < len && p->error == SMUX_OK) {
    if (p->left > 0) {
      size_t n = len - used;
      size_t took = n;
      if (n > p->left) {
        n = p->left;
        took = n;
      }
      if (ops->data != NULL) {
        took = ops->data(arg, p->sid, buf + used, n);
        if (took > n) {
          took = n;
        }
      }
      used += took;
      p->left -= (uint32_t)took;
      if (p->left == 0) {
        p->frames++;
      }
      if (took < n) {
        break;
      }
      continue;
    }
    {
      /* Header, then for UPD its payload, collected in p->hdr. */
      size_t want = SMUX_HEADER_SIZE;
      size_t n;
      if (p->hdr_len >= SMUX_HEADER_SIZE) {
        want = SMUX_HEADER_SIZE + SMUX_UPD_SIZE;
      }
      n = want - p->hdr_len;
      if (n > len - used) {
        n = len - used;
      }
      memcpy(p->hdr + p->hdr_len, buf + used, n);
      p->hdr_len = (uint8_t)(p->hdr_len + n);
      used += n;
      if (p->hdr_len < want) {
        break;
      }
      if (want == SMUX_HEADER_SIZE) {
        int r = smux_parser_header(p, ops, arg);
        if (r < 0) {
          p->error = r;
          break;
        }
        if (r > 0) {
          continue; /* UPD: collect its payload behind the header */
        }
      } else {
        p->frames++;
        if (ops->update != NULL) {
          ops->update(arg, p->sid, get32(p->hdr + SMUX_HEADER_SIZE),
                      get32(p->hdr + SMUX_HEADER_SIZE + 4));
        }
      }
      p->hdr_len = 0;
    }
  }
  return used;
}

void
smux_header_encode(uint8_t *out, uint8_t version, uint8_t cmd, uint16_t len,
                   uint32_t sid)
{
  out[0] = version;
  out[1] = cmd;
  out[2] = (uint8_t)len;
  out[3] = (uint8_t)(len >> 8);
  put32(out + 4, sid);
}

void
smux_update_encode(uint8_t *out, uint32_t sid, uint32_t consumed,
                   uint32_t window)
{
  smux_header_encode(out, 2, SMUX_CMD_UPD, SMUX_UPD_SIZE, sid);
  put32(out + SMUX_HEADER_SIZE, consumed);
  put32(out + SMUX_HEADER_SIZE + 4, window);
}

uint32_t
smux_sid_next(uint32_t *next)
{
  uint32_t sid = *next + 2;

  if (sid < 2) {
    return 0; /* wrapped: the reference calls this going away */
  }
  *next = sid;
  return sid;
}

void
smux_window_init(struct smux_window *w)
{
  memset(w, 0, sizeof(*w));
  w->peer_window = SMUX_INITIAL_PEER_WINDOW;
}

int64_t
smux_window_room(const struct smux_window *w)
{
  int32_t inflight = (int32_t)(w->sent - w->peer_consumed);
  int64_t room;

  if (inflight < 0) {
    return -1;
  }
  room = (int64_t)(int32_t)w->peer_window - inflight;
  return room > 0 ? room : 0;
}

void
smux_window_sent(struct smux_window *w, uint32_t n)
{
  w->sent += n;
}

void
smux_window_update(struct smux_window *w, uint32_t consumed, uint32_t window)
{
  w->peer_consumed = consumed;
  w->peer_window = window;
}

int
smux_window_consume(struct smux_window *w, uint32_t n, uint32_t bufsize)
{
  int first = (w->consumed == 0 && n > 0);

  w->consumed += n;
  w->unreported += n;
  if (first || (n > 0 && w->unreported >= bufsize / 2)) {
    w->unreported = 0;
    return 1;
  }
  return 0;
}
