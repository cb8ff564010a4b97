/**
 * @file
 * smux, the stream multiplexer that kcptun runs over one KCP session:
 * frame parser, frame encoder and the per-stream window of version 2.
 *
 * Pure module: no lwIP, no system calls, no allocation. The caller owns
 * the streams; this module only turns bytes into events and events into
 * bytes, so the same code serves the tunnel in lwIP and a host test peer.
 *
 * Wire format (little-endian): version (1 byte), command (1 byte), length
 * (2 bytes), stream id (4 bytes), then `length` bytes of payload. PSH
 * carries stream data; UPD (version 2 only) carries the bytes the sender
 * has consumed and its window, 4 bytes each. SYN, FIN and NOP carry none.
 *
 * Back-pressure: smux_parser_input() stops where the data callback takes
 * less than it was offered, and reports how much input it consumed, so a
 * caller whose stream is full simply stops feeding bytes (and stops reading
 * the transport below) until there is room again.
 */
#ifndef SMUX_H
#define SMUX_H

#include <stddef.h>
#include <stdint.h>

/** Frame header size on the wire. */
#define SMUX_HEADER_SIZE 8
/** Payload of an UPD frame: consumed bytes and window, 4 bytes each. */
#define SMUX_UPD_SIZE 8
/** Largest payload a frame can carry (the length field is 16 bits). */
#define SMUX_MAX_PAYLOAD 65535
/** Payload per PSH frame that the reference implementation sends. */
#define SMUX_DEFAULT_FRAME 32768
/** Window a version 2 sender assumes before the peer's first UPD. */
#define SMUX_INITIAL_PEER_WINDOW 262144

/** Commands. */
#define SMUX_CMD_SYN 0 /**< open a stream */
#define SMUX_CMD_FIN 1 /**< no more data on a stream (EOF) */
#define SMUX_CMD_PSH 2 /**< stream data */
#define SMUX_CMD_NOP 3 /**< keepalive, no stream */
#define SMUX_CMD_UPD 4 /**< version 2: consumed bytes and window */

/** Result of smux_parser_input(); the parser keeps the first error. */
#define SMUX_OK 0
#define SMUX_ERR_VERSION (-1) /**< frame of another protocol version */
#define SMUX_ERR_CMD (-2)     /**< unknown command, or UPD in version 1 */
#define SMUX_ERR_LENGTH (-3)  /**< payload length wrong for the command */

/** Events of the parser. Any of them may be NULL (event ignored). */
struct smux_parser_ops {
  /** SYN, FIN or NOP frame for stream @p sid (NOP: the sid as sent). */
  void (*frame)(void *arg, uint8_t cmd, uint32_t sid);
  /** UPD frame: the peer has consumed @p consumed bytes of stream @p sid
   *  in total (modulo 2^32) and reads with a window of @p window. */
  void (*update)(void *arg, uint32_t sid, uint32_t consumed, uint32_t window);
  /** PSH payload bytes of stream @p sid, possibly a part of one frame.
   *  @return how many bytes the caller took; less than @p len stops the
   *          parser there, and the rest is offered again on the next
   *          smux_parser_input() call. */
  size_t (*data)(void *arg, uint32_t sid, const uint8_t *buf, size_t len);
};

/** Incremental parser state; frames may arrive split anywhere. */
struct smux_parser {
  uint8_t version;   /**< protocol version expected: 1 or 2 */
  uint8_t hdr_len;   /**< header (or UPD payload) bytes collected */
  uint8_t hdr[SMUX_HEADER_SIZE + SMUX_UPD_SIZE];
  uint32_t sid;      /**< stream of the frame being parsed */
  uint32_t left;     /**< PSH payload bytes still to come */
  int error;         /**< first protocol error, SMUX_OK when none */
  uint64_t frames;   /**< complete frames parsed (keepalive liveness) */
};

void smux_parser_init(struct smux_parser *p, uint8_t version);
size_t smux_parser_input(struct smux_parser *p, const uint8_t *buf, size_t len,
                         const struct smux_parser_ops *ops, void *arg);

/** Write a frame header to @p out (SMUX_HEADER_SIZE bytes). */
void smux_header_encode(uint8_t *out, uint8_t version, uint8_t cmd,
                        uint16_t len, uint32_t sid);
/** Write a whole UPD frame to @p out (SMUX_HEADER_SIZE + SMUX_UPD_SIZE). */
void smux_update_encode(uint8_t *out, uint32_t sid, uint32_t consumed,
                        uint32_t window);

/** Next stream id a session opens: odd on the client, even on the server,
 *  from *next (start it at 1 for a client, 0 for a server, as the
 *  reference does). @return the id, or 0 when the ids are exhausted. */
uint32_t smux_sid_next(uint32_t *next);

/**
 * Per-stream flow state of version 2. The sender may have at most the
 * peer's window in flight (sent minus what the peer reported consumed);
 * the receiver reports what it consumed whenever half its buffer has been
 * read since the last report, and after its first read.
 */
struct smux_window {
  uint32_t sent;          /**< payload bytes sent */
  uint32_t peer_consumed; /**< the peer's last report of bytes consumed */
  uint32_t peer_window;   /**< the peer's last window */
  uint32_t consumed;      /**< payload bytes we consumed */
  uint32_t unreported;    /**< consumed since our last UPD */
};

void smux_window_init(struct smux_window *w);
/** @return bytes that may be sent now (0 when the window is full), or -1
 *          when the peer claims to have consumed more than was sent. */
int64_t smux_window_room(const struct smux_window *w);
void smux_window_sent(struct smux_window *w, uint32_t n);
void smux_window_update(struct smux_window *w, uint32_t consumed,
                        uint32_t window);
/** Account @p n bytes consumed with a receive buffer of @p bufsize.
 *  @return 1 when an UPD reporting w->consumed is due, 0 otherwise. */
int smux_window_consume(struct smux_window *w, uint32_t n, uint32_t bufsize);

#endif /* SMUX_H */
