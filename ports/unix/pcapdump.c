/**
 * @file
 * Capture of the frames crossing the tap into a pcap file (see pcapdump.h).
 *
 * libpcap writes through stdio, so records sit in its buffer until
 * pcapdump_flush() or pcapdump_close(); ./minimal flushes on every counter
 * print and at exit.
 */
#include "pcapdump.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

/** Largest frame recorded whole; longer ones are cut (caplen < len). */
#define PCAPDUMP_SNAPLEN 65535

struct pcapdump {
  pcap_t *dead;
  pcap_dumper_t *dumper;
  unsigned long frames;
};

/**
 * Create (truncate) file for writing.
 * @param errbuf receives the reason when NULL is returned
 */
struct pcapdump *
pcapdump_open(const char *file, char *errbuf, size_t errlen)
{
  struct pcapdump *pd = calloc(1, sizeof(*pd));

  if (pd == NULL) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  pd->dead = pcap_open_dead(DLT_EN10MB, PCAPDUMP_SNAPLEN);
  if (pd->dead == NULL) {
    snprintf(errbuf, errlen, "pcap_open_dead failed");
    free(pd);
    return NULL;
  }
  pd->dumper = pcap_dump_open(pd->dead, file);
  if (pd->dumper == NULL) {
    snprintf(errbuf, errlen, "%s", pcap_geterr(pd->dead));
    pcap_close(pd->dead);
    free(pd);
    return NULL;
  }
  return pd;
}

/** Record one whole Ethernet frame, stamped now. */
void
pcapdump_frame(struct pcapdump *pd, const void *frame, size_t len)
{
  struct pcap_pkthdr hdr;

  gettimeofday(&hdr.ts, NULL);
  hdr.len = (bpf_u_int32)len;
  hdr.caplen = (bpf_u_int32)(len < PCAPDUMP_SNAPLEN ? len : PCAPDUMP_SNAPLEN);
  pcap_dump((u_char *)pd->dumper, &hdr, (const u_char *)frame);
  pd->frames++;
}

/** Push buffered records to the file, so a reader sees them now. */
void
pcapdump_flush(struct pcapdump *pd)
{
  pcap_dump_flush(pd->dumper);
}

/** Frames recorded so far. */
unsigned long
pcapdump_count(const struct pcapdump *pd)
{
  return pd->frames;
}

/** Flush, close the file and free pd. */
void
pcapdump_close(struct pcapdump *pd)
{
  pcap_dump_close(pd->dumper);
  pcap_close(pd->dead);
  free(pd);
}
