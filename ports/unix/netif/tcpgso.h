/**
 * @file
 * TCP segmentation offload toward the host: consecutive segments of one
 * IPv4 TCP flow that lwIP sends in one burst go to the tap as one frame,
 * with the virtio-net header (the tap is opened with IFF_VNET_HDR) saying
 * that it is a GSO frame of gso_size segments.
 *
 * Why: a frame written to the tap goes through the host's IP and TCP
 * receive paths inside our write, and that time is charged to us. On a
 * paced kcptun tunnel (datagrams in, lwIP's TCP out to the host) those
 * paths were two thirds of the cost of the tap writes, which were a fifth
 * of ./minimal's CPU. A frame of several segments takes them once, as one
 * that GRO had merged in a NIC, and the host answers it with one ACK. Were
 * the host to forward it instead, it would cut it back into the segments
 * lwIP made.
 *
 * The rules are GRO's (tcp_gro_receive() in Linux), so the frame is always
 * one the host could have merged itself: same MAC and IP addresses, ports,
 * TOS and TTL, ACK number, window and TCP options; ACK set and no SYN,
 * FIN, RST, URG, ECE or CWR; no IP options, no fragments; every segment
 * but the last exactly as long as the first (gso_size), the last no
 * longer; a PSH ends the frame. The TCP checksum field then holds the
 * pseudo-header sum and the header tells the kernel where the full sum
 * goes (VIRTIO_NET_HDR_F_NEEDS_CSUM), as for any offloaded frame.
 */
#ifndef TCPGSO_H
#define TCPGSO_H

#include "lwip/arch.h"
#include "lwip/pbuf.h"

/** The virtio-net header in front of every frame read from or written to
 *  a tap opened with IFF_VNET_HDR (struct virtio_net_hdr, without the
 *  mergeable-buffers count). */
#define TCPGSO_HDR_LEN 10

void tcpgso_hdr_plain(u8_t *hdr);
int tcpgso_merge(u8_t *slot, u16_t *len, u16_t room, const struct pbuf *p);

#endif /* TCPGSO_H */
