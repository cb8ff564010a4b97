/**
 * @file
 * Capture of the frames crossing the tap into pcap files (libpcap,
 * DLT_EN10MB), readable by tcpdump -r and tshark -r, also while they are
 * being written: a record reaches the file within PCAPDUMP_FLUSH_MS.
 *
 * Size rotation as tcpdump's -C and -W: with a size limit, a file that would
 * grow past it is closed and the next one opened; with a count as well, the
 * files are reused in turn, so the capture never takes more than
 * count * size bytes. Names as tcpdump's: without a count FILE, FILE1,
 * FILE2, ...; with a count N, FILE0 .. FILE(N-1), zero-padded to N-1's digits.
 *
 * Called only from the lwIP core thread (it arms an lwIP timeout), so it
 * needs no lock.
 */
#ifndef PCAPDUMP_H
#define PCAPDUMP_H

#include <stddef.h>

/** Longest a record waits in libpcap's buffer before reaching the file. */
#define PCAPDUMP_FLUSH_MS 100

/** What to write, and how to rotate. */
struct pcapdump_config {
  const char *file;        /**< the name, as tcpdump -w */
  unsigned long long size; /**< bytes per file before rotating (tcpdump -C), 0: one file */
  unsigned count;          /**< files kept, reused in turn (tcpdump -W), 0: no limit */
};

struct pcapdump;

struct pcapdump *pcapdump_open(const struct pcapdump_config *cfg, char *errbuf, size_t errlen);
void pcapdump_frame(struct pcapdump *pd, const void *frame, size_t len);
void pcapdump_flush(struct pcapdump *pd);
unsigned long pcapdump_count(const struct pcapdump *pd);
unsigned long pcapdump_files(const struct pcapdump *pd);
const char *pcapdump_error(const struct pcapdump *pd);
void pcapdump_close(struct pcapdump *pd);

#endif /* PCAPDUMP_H */
