/**
 * @file
 * Capture of the frames crossing the tap into a pcap file (libpcap,
 * DLT_EN10MB), readable by tcpdump -r and tshark -r.
 *
 * Called only from the lwIP core thread, so it needs no lock.
 */
#ifndef PCAPDUMP_H
#define PCAPDUMP_H

#include <stddef.h>

struct pcapdump;

struct pcapdump *pcapdump_open(const char *file, char *errbuf, size_t errlen);
void pcapdump_frame(struct pcapdump *pd, const void *frame, size_t len);
void pcapdump_flush(struct pcapdump *pd);
unsigned long pcapdump_count(const struct pcapdump *pd);
void pcapdump_close(struct pcapdump *pd);

#endif /* PCAPDUMP_H */
