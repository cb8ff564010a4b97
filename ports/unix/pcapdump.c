/**
 * @file
 * Capture of the frames crossing the tap into pcap files (see pcapdump.h).
 *
 * libpcap writes through stdio, so records sit in its buffer until flushed:
 * the first record after a flush arms a PCAPDUMP_FLUSH_MS lwIP timeout that
 * flushes, so a live capture can be read at most that late, and a busy link
 * costs at most one write per PCAPDUMP_FLUSH_MS rather than one per frame.
 */
#include "pcapdump.h"

#include "lwip/timeouts.h"

#include <limits.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

/** Largest frame recorded whole; longer ones are cut (caplen < len). */
#define PCAPDUMP_SNAPLEN 65535
/** A pcap file's own header, then each record's, in bytes. */
#define PCAPDUMP_FILE_HDR 24
#define PCAPDUMP_REC_HDR 16

struct pcapdump {
  struct pcapdump_config cfg;
  char name[PATH_MAX];      /**< the file being written */
  pcap_t *dead;
  pcap_dumper_t *dumper;    /**< NULL once a rotation failed: capture stopped */
  unsigned long long bytes; /**< in the current file */
  unsigned index;           /**< of the current file, from 0 */
  unsigned long frames;
  unsigned long files;      /**< files opened so far (rotations + 1) */
  int flush_armed;
  char err[PCAP_ERRBUF_SIZE + PATH_MAX];
};

/**
 * The name of file number index (from 0), as tcpdump names them (see
 * pcapdump.h).
 * @return 0, or -1 if it does not fit in len
 */
static int
pcapdump_name(const struct pcapdump_config *cfg, unsigned index, char *buf, size_t len)
{
  int n;

  if (cfg->count > 0) {
    int width = snprintf(NULL, 0, "%u", cfg->count - 1);
    n = snprintf(buf, len, "%s%0*u", cfg->file, width, index);
  } else if (index == 0) {
    n = snprintf(buf, len, "%s", cfg->file);
  } else {
    n = snprintf(buf, len, "%s%u", cfg->file, index);
  }
  return n >= 0 && (size_t)n < len ? 0 : -1;
}

/** Open (truncate) file number index; on failure the reason is in pd->err. */
static int
pcapdump_open_file(struct pcapdump *pd, unsigned index)
{
  if (pcapdump_name(&pd->cfg, index, pd->name, sizeof(pd->name)) != 0) {
    snprintf(pd->err, sizeof(pd->err), "file name too long");
    return -1;
  }
  pd->dumper = pcap_dump_open(pd->dead, pd->name);
  if (pd->dumper == NULL) {
    snprintf(pd->err, sizeof(pd->err), "%s", pcap_geterr(pd->dead));
    return -1;
  }
  pd->index = index;
  pd->bytes = PCAPDUMP_FILE_HDR;
  pd->files++;
  return 0;
}

/**
 * Create (truncate) the first file for writing.
 * @param cfg    copied; cfg->file must stay valid while pd is open
 * @param errbuf receives the reason when NULL is returned
 */
struct pcapdump *
pcapdump_open(const struct pcapdump_config *cfg, char *errbuf, size_t errlen)
{
  struct pcapdump *pd = calloc(1, sizeof(*pd));

  if (pd == NULL) {
    snprintf(errbuf, errlen, "out of memory");
    return NULL;
  }
  pd->cfg = *cfg;
  pd->dead = pcap_open_dead(DLT_EN10MB, PCAPDUMP_SNAPLEN);
  if (pd->dead == NULL) {
    snprintf(errbuf, errlen, "pcap_open_dead failed");
    free(pd);
    return NULL;
  }
  if (pcapdump_open_file(pd, 0) != 0) {
    snprintf(errbuf, errlen, "%s", pd->err);
    pcap_close(pd->dead);
    free(pd);
    return NULL;
  }
  return pd;
}

/** Close the current file and start the next; on failure, stop capturing. */
static void
pcapdump_rotate(struct pcapdump *pd)
{
  unsigned next = pd->index + 1;

  if (pd->cfg.count > 0 && next >= pd->cfg.count) {
    next = 0;
  }
  pcap_dump_close(pd->dumper);
  pd->dumper = NULL;
  (void)pcapdump_open_file(pd, next); /* failed: pcapdump_error() says why */
}

/** The flush timeout: whatever was recorded since reaches the file now. */
static void
pcapdump_flush_timeout(void *arg)
{
  struct pcapdump *pd = (struct pcapdump *)arg;

  pd->flush_armed = 0;
  pcapdump_flush(pd);
}

/** Record one whole Ethernet frame, stamped now. */
void
pcapdump_frame(struct pcapdump *pd, const void *frame, size_t len)
{
  struct pcap_pkthdr hdr;

  gettimeofday(&hdr.ts, NULL);
  hdr.len = (bpf_u_int32)len;
  hdr.caplen = (bpf_u_int32)(len < PCAPDUMP_SNAPLEN ? len : PCAPDUMP_SNAPLEN);
  if (pd->dumper != NULL && pd->cfg.size > 0 && pd->bytes > PCAPDUMP_FILE_HDR &&
      pd->bytes + PCAPDUMP_REC_HDR + hdr.caplen > pd->cfg.size) {
    pcapdump_rotate(pd);
  }
  if (pd->dumper == NULL) {
    return;
  }
  pcap_dump((u_char *)pd->dumper, &hdr, (const u_char *)frame);
  pd->bytes += PCAPDUMP_REC_HDR + hdr.caplen;
  pd->frames++;
  if (!pd->flush_armed) {
    pd->flush_armed = 1;
    sys_timeout(PCAPDUMP_FLUSH_MS, pcapdump_flush_timeout, pd);
  }
}

/** Push buffered records to the file, so a reader sees them now. */
void
pcapdump_flush(struct pcapdump *pd)
{
  if (pd->dumper != NULL) {
    pcap_dump_flush(pd->dumper);
  }
}

/** Frames recorded so far, over all files. */
unsigned long
pcapdump_count(const struct pcapdump *pd)
{
  return pd->frames;
}

/** Files opened so far: 1, plus one per rotation. */
unsigned long
pcapdump_files(const struct pcapdump *pd)
{
  return pd->files;
}

/** Why capturing stopped (the next file could not be opened), or NULL. */
const char *
pcapdump_error(const struct pcapdump *pd)
{
  return pd->dumper == NULL ? pd->err : NULL;
}

/** Flush, close the file and free pd. */
void
pcapdump_close(struct pcapdump *pd)
{
  if (pd->flush_armed) {
    sys_untimeout(pcapdump_flush_timeout, pd);
  }
  if (pd->dumper != NULL) {
    pcap_dump_close(pd->dumper);
  }
  pcap_close(pd->dead);
  free(pd);
}
