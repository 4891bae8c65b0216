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
#include "detect/detect.h"
#include "flow/flow_table.h"
#include "output/eve_writer.h"
#include "filescan/filescan.h"
#include "ship/ship.h"
#include "stream/stream.h"

/* Per-worker counters of the stages behind the worker hooks (TCP stream,
 * app layer, detection), all uint64_t so that they sum field by field. */
struct eve_stats_pipe {
    uint64_t tcp_sessions, tcp_midstream, tcp_ssn_memcap_drops, tcp_no_session;
    uint64_t tcp_segments, tcp_reassembled_bytes, tcp_out_of_order, tcp_overlaps;
    uint64_t tcp_overlaps_diff, tcp_gaps, tcp_gap_bytes, tcp_seg_memcap_drops;
    uint64_t tcp_depth_bytes, tcp_stopped_dirs, tcp_stopped_bytes, tcp_rst, tcp_rst_invalid, tcp_fin;
    uint64_t http_tx, dns_msgs, tls_hellos, app_states_exhausted;
    uint64_t alerts, alerts_dropped, alerts_suppressed;
    uint64_t det_inspected, det_scans, det_candidates, det_evaluated;
    uint64_t det_packet_passes, det_stream_passes, det_app_passes, det_reloads;
};
/* Fill o from a worker's stream, app pipe and detection counters (dt may be NULL). */
void eve_stats_pipe_fill(struct eve_stats_pipe *o, const struct tcp_stats *tcp, uint64_t http_tx,
                         uint64_t dns_msgs, uint64_t tls_hellos, uint64_t states_exhausted,
                         uint64_t alerts, uint64_t alerts_dropped, uint64_t packet_passes,
                         uint64_t stream_passes, uint64_t app_passes, uint64_t reloads,
                         const struct det_thread_stats *dt);

/* Workers whose packet counts the stats record lists one by one. */
#define EVE_STATS_WORKERS_MAX 64

struct eve_stats_data {
    double uptime;                 /* seconds of wall time since start */
    /* packets each worker decoded: a worker fills only its own slot, so the
     * sum is the list (how evenly the flow hash spreads the load) */
    uint32_t nworkers;
    uint64_t worker_pkts[EVE_STATS_WORKERS_MAX];
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
    bool pipe_on;                  /* stream/app/detect counters below are set */
    struct eve_stats_pipe pipe;
    bool files_on;                 /* file carving / YARA running (sensor/filescan) */
    struct fscan_stats files;      /* its counters */
};

/* Add src's worker counters into dst (capture fields are not summed). */
void eve_stats_add(struct eve_stats_data *dst, const struct eve_stats_data *src);
double eve_stats_loss_pct(uint64_t packets, uint64_t drops);
int eve_stats_log(struct eve_out *o, const struct eve_stats_data *s, struct timeval ts);

#endif
