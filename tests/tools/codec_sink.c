/**
 * @file
 * codec_sink: receives kcp-go datagrams on a loopback UDP port and opens
 * each with our codec (codec/), answering nothing, so that a real kcp-go
 * sender (Debian's kcptun-client) can be checked against it:
 *
 *   codec_sink PORT CRYPT KEY DS PS
 *
 * Stops 1.5 s after the last datagram (10 s before the first), or after
 * 1000 datagrams, and prints one
 * line: "opened N crc_err N data N parity N plain N bad_kcp N", where data
 * counts FEC data shards and plain bare KCP datagrams whose first segment
 * parses (cmd 81..84, conv as the first one's); bad_kcp those that do not.
 * Exit 0, or 2 for a bad command line.
 */
#include "kcp_codec.h"
#include "kcp_fec.h"
#include "ikcp.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

int
main(int argc, char **argv)
{
  struct kcp_codec_config cfg;
  struct kcp_codec_stats st;
  struct kcp_codec *c;
  struct sockaddr_in a;
  struct timeval first = { 10, 0 }, idle = { 1, 500000 };
  static unsigned char b[65536];
  unsigned data = 0, parity = 0, plain = 0, bad = 0, conv = 0;
  int fd, i, have_conv = 0;

  if (argc != 6) {
    fprintf(stderr, "usage: codec_sink PORT CRYPT KEY DS PS\n");
    return 2;
  }
  cfg.crypt = argv[2];
  cfg.key = argv[3];
  cfg.datashard = atoi(argv[4]);
  cfg.parityshard = atoi(argv[5]);
  c = kcp_codec_new(&cfg);
  fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (c == NULL || fd < 0) {
    fprintf(stderr, "codec_sink: bad setting or no socket\n");
    return 2;
  }
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
    perror("codec_sink: bind");
    return 2;
  }
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &first, sizeof(first));
  printf("listening 127.0.0.1:%s\n", argv[1]);
  fflush(stdout);
  for (i = 0; i < 1000; i++) {
    ssize_t n = recv(fd, b, sizeof(b), 0);
    const unsigned char *k;
    size_t klen;
    int m;
    IKCPHDR h;

    if (n < 0) {
      break;
    }
    if (i == 0) {
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof(idle));
    }
    m = kcp_codec_open(c, b, (size_t)n);
    if (m < 0) {
      continue;
    }
    k = kcp_codec_kcp_view(b + KCP_CODEC_HEADER_LEN, (size_t)m, &klen);
    if (k == NULL) {
      parity++;
      continue;
    }
    if (k != b + KCP_CODEC_HEADER_LEN) {
      data++;
    } else {
      plain++;
    }
    if (ikcp_peek_header(k, (long)klen, &h) != 0 || (have_conv && h.conv != conv)) {
      bad++;
    }
    conv = h.conv;
    have_conv = 1;
  }
  kcp_codec_stats_get(c, &st);
  printf("opened %u crc_err %u data %u parity %u plain %u bad_kcp %u\n", (unsigned)st.opened,
         (unsigned)st.crc_err, data, parity, plain, bad);
  kcp_codec_free(c);
  return 0;
}
