/* eve_stats: the EVE `stats` record, written every stats-interval and at
 * exit from the sum of all workers' counters. Capture loss is computed the
 * same way for every capture method:
 *   capture_loss_pct = kernel_drops / (kernel_packets + kernel_drops) * 100
 * (0 for offline files, where the kernel drops nothing).
 */
#ifndef CANH_EVE_STATS_H
#define CANH_EVE_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include "classify/dpi_ndpi.h"
#include "decode/decode.h"
#include "decode/defrag.h"
#include "flow/flow_table.h"
#include "output/eve_writer.h"
#include "filescan/filescan.h"
#include "ship/ship.h"

struct eve_stats_data {
    double uptime;                 /* seconds of wall time since start */
    uint64_t kernel_packets;       /* pcap_stats ps_recv (live), packets read (offline) */
    uint64_t kernel_drops;         /* pcap_stats ps_drop */
    uint64_t kernel_ifdrops;       /* pcap_stats ps_ifdrop */
    uint64_t queue_drops;          /* packets dropped on a full worker queue (live) */
    struct dec_stats dec;
    struct defrag_stats defrag;
    struct flow_table_stats flow;
    struct dpi_stats dpi;
    uint64_t mem_ndpi;             /* bytes nDPI allocated (all workers) */
    uint64_t eve_events;
    uint64_t eve_dropped;
    uint64_t anomalies_logged, anomalies_suppressed;
    bool ship_on;                  /* a correlator output is configured */
    struct ship_stats ship;        /* its spool and shipper counters */
    bool files_on;                 /* file carving / YARA running (sensor/filescan) */
    struct fscan_stats files;      /* its counters */
};

/* Add src's worker counters into dst (capture fields are not summed). */
void eve_stats_add(struct eve_stats_data *dst, const struct eve_stats_data *src);
double eve_stats_loss_pct(uint64_t packets, uint64_t drops);
int eve_stats_log(struct eve_out *o, const struct eve_stats_data *s, struct timeval ts);

#endif
