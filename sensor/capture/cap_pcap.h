/* cap_pcap: packet capture through libpcap, offline (pcap/pcapng file) or
 * live (an interface). A live handle is created, configured (snaplen,
 * promiscuous mode, kernel buffer size, 100 ms read timeout) and activated
 * here, before the sensor drops privileges. One reader thread per handle.
 * Classic pcap files are read from a read-only mmap (no copy per packet);
 * packet data stays valid until the next cap_next on the same handle.
 */
#ifndef CANH_CAP_PCAP_H
#define CANH_CAP_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

struct cap;

struct cap_live_cfg {
    int snaplen;
    bool promisc;
    int64_t buffer_size;   /* bytes, 0: libpcap's default */
};

struct cap_stats {
    uint64_t received;     /* packets the kernel delivered (live) or read (offline) */
    uint64_t dropped;      /* dropped by the kernel for lack of buffer (live) */
    uint64_t ifdropped;    /* dropped by the interface (live, if known) */
};

/* bpf may be NULL. NULL on failure, with libpcap's message logged. */
struct cap *cap_open_offline(const char *path, const char *bpf);
struct cap *cap_open_live(const char *iface, const struct cap_live_cfg *c, const char *bpf);
void cap_close(struct cap *c);
/* Another reader of the same offline file and filter, from its first packet
 * (one per worker, each with its own position); live, another handle on the
 * same interface with the same settings and filter (needs the privileges
 * of the first). NULL on failure (logged). */
struct cap *cap_reopen(const struct cap *c);
/* Live: put the handle's AF_PACKET socket into fan-out group `group`
 * (PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG): the kernel spreads a
 * flow's packets, both directions and every fragment, to one member. Call on
 * every handle of the group (cap_reopen gives more) before privileges are
 * dropped. 0, or -1 (logged at notice) when the kernel or the handle cannot. */
int cap_join_fanout(struct cap *c, uint16_t group);

/* Next packet: 1 with ts, caplen, len and data set (data valid until the next
 * call), 0 on a read timeout (live, no packet), -1 at end of file or after
 * cap_break, -2 on a read error (logged). */
int cap_next(struct cap *c, struct timeval *ts, uint32_t *caplen, uint32_t *len,
             const uint8_t **data);
/* Shared-walk access to a mapped offline file (cap_index.c): one reader
 * scans the records once, the others fetch the ones they were given.
 * true when c reads a classic pcap file from the shared mapping (offline
 * only); the three calls below need it. */
bool cap_is_mapped(const struct cap *c);
/* The offset of the file's first record. */
size_t cap_scan_begin(const struct cap *c);
/* The mapped file's first byte: offsets from cap_scan are relative to it
 * (for prefetching records ahead of cap_record). */
const uint8_t *cap_scan_base(const struct cap *c);
/* The record at *off (a record start), checked as cap_next checks it, and
 * *off moved past it: 1 with ts, caplen, data set, 0 when the BPF filter
 * drops it, -1 at end of file, -2 when truncated or corrupt (logged, as by
 * cap_next). Does not move c's own position (page release). */
int cap_scan(struct cap *c, size_t *off, struct timeval *ts, uint32_t *caplen,
             const uint8_t **data);
/* The record at off, which cap_scan on a handle of the same file returned
 * 1 for (not checked again); data valid until the next call. Records must
 * be asked for in file order: c's position moves to off, and the pages
 * every reader has passed are handed back, as cap_next does. */
void cap_record(struct cap *c, size_t off, struct timeval *ts, uint32_t *caplen, uint32_t *len,
                const uint8_t **data);

/* Make a blocked cap_next return -1 soon. Async-signal-safe. */
void cap_break(struct cap *c);

int cap_datalink(const struct cap *c);
bool cap_is_live(const struct cap *c);
void cap_get_stats(struct cap *c, struct cap_stats *out);

/* "libpcap version 1.10.3 (...)" */
const char *cap_lib_version(void);

#endif
