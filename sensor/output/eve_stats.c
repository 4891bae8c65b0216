/* eve_stats: sums worker counters and writes the `stats` event, laid out
 * like Suricata's (stats.capture, stats.decoder, stats.flow, ...) with the
 * Canh additions under the same object (ndpi, memory, eve).
 */
#include <string.h>

#include "output/eve_fileinfo.h"
#include "output/eve_stats.h"

double eve_stats_loss_pct(uint64_t packets, uint64_t drops)
{
    uint64_t total = packets + drops;

    return total ? (double)drops * 100.0 / (double)total : 0.0;
}

void eve_stats_pipe_fill(struct eve_stats_pipe *o, const struct tcp_stats *tcp, uint64_t http_tx,
                         uint64_t dns_msgs, uint64_t tls_hellos, uint64_t states_exhausted,
                         uint64_t alerts, uint64_t alerts_dropped, uint64_t packet_passes,
                         uint64_t stream_passes, uint64_t app_passes, uint64_t reloads,
                         const struct det_thread_stats *dt)
{
    memset(o, 0, sizeof(*o));
    if (tcp != NULL) {
        o->tcp_sessions = tcp->sessions;
        o->tcp_midstream = tcp->midstream;
        o->tcp_ssn_memcap_drops = tcp->ssn_memcap_drops;
        o->tcp_no_session = tcp->no_session;
        o->tcp_segments = tcp->segments;
        o->tcp_reassembled_bytes = tcp->reassembled_bytes;
        o->tcp_out_of_order = tcp->out_of_order;
        o->tcp_overlaps = tcp->overlaps;
        o->tcp_overlaps_diff = tcp->overlaps_diff;
        o->tcp_gaps = tcp->gaps;
        o->tcp_gap_bytes = tcp->gap_bytes;
        o->tcp_seg_memcap_drops = tcp->seg_memcap_drops;
        o->tcp_depth_bytes = tcp->depth_bytes;
        o->tcp_stopped_dirs = tcp->stopped_dirs;
        o->tcp_stopped_bytes = tcp->stopped_bytes;
        o->tcp_rst = tcp->rst;
        o->tcp_rst_invalid = tcp->events[TCP_EV_RST_INVALID];
        o->tcp_fin = tcp->fin;
    }
    o->http_tx = http_tx;
    o->dns_msgs = dns_msgs;
    o->tls_hellos = tls_hellos;
    o->app_states_exhausted = states_exhausted;
    o->alerts = alerts;
    o->alerts_dropped = alerts_dropped;
    o->det_packet_passes = packet_passes;
    o->det_stream_passes = stream_passes;
    o->det_app_passes = app_passes;
    o->det_reloads = reloads;
    if (dt != NULL) {
        o->alerts_suppressed = dt->suppressed;
        o->det_inspected = dt->inspected;
        o->det_scans = dt->scans;
        o->det_candidates = dt->candidates;
        o->det_evaluated = dt->evaluated;
    }
}

static void eve_stats_pipe_add(struct eve_stats_pipe *d, const struct eve_stats_pipe *s)
{
    uint64_t a[sizeof(*d) / sizeof(uint64_t)], b[sizeof(*d) / sizeof(uint64_t)];

    _Static_assert(sizeof(struct eve_stats_pipe) % sizeof(uint64_t) == 0, "uint64_t fields only");
    memcpy(a, d, sizeof(a));
    memcpy(b, s, sizeof(b));
    for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
        a[i] += b[i];
    memcpy(d, a, sizeof(a));
}

void eve_stats_add(struct eve_stats_data *d, const struct eve_stats_data *s)
{
    if (s->pipe_on) {
        d->pipe_on = true;
        eve_stats_pipe_add(&d->pipe, &s->pipe);
    }
    for (uint32_t i = 0; i < s->nworkers && i < EVE_STATS_WORKERS_MAX; i++)
        d->worker_pkts[i] += s->worker_pkts[i];
    if (s->nworkers > d->nworkers)
        d->nworkers = s->nworkers;
    d->queue_drops += s->queue_drops;
    d->dec.pkts += s->dec.pkts;
    d->dec.bytes += s->dec.bytes;
    d->dec.ipv4 += s->dec.ipv4;
    d->dec.ipv6 += s->dec.ipv6;
    d->dec.tcp += s->dec.tcp;
    d->dec.udp += s->dec.udp;
    d->dec.icmpv4 += s->dec.icmpv4;
    d->dec.icmpv6 += s->dec.icmpv6;
    d->dec.vlan += s->dec.vlan;
    d->dec.other += s->dec.other;
    for (int i = 0; i < DEC_EV_MAX; i++)
        d->dec.events[i] += s->dec.events[i];
    d->defrag.fragments += s->defrag.fragments;
    d->defrag.reassembled += s->defrag.reassembled;
    d->defrag.timeouts += s->defrag.timeouts;
    d->defrag.evicted += s->defrag.evicted;
    d->defrag.overlaps += s->defrag.overlaps;
    d->defrag.memcap_drops += s->defrag.memcap_drops;
    d->flow.active += s->flow.active;
    d->flow.total += s->flow.total;
    d->flow.timeouts += s->flow.timeouts;
    d->flow.evicted += s->flow.evicted;
    d->flow.shutdown += s->flow.shutdown;
    d->flow.tcp_reuse += s->flow.tcp_reuse;
    d->flow.emergency += s->flow.emergency;
    d->flow.mem += s->flow.mem;
    d->dpi.classified += s->dpi.classified;
    d->dpi.guessed += s->dpi.guessed;
    d->dpi.unknown += s->dpi.unknown;
    d->dpi.pool_exhausted += s->dpi.pool_exhausted;
    d->dpi.active += s->dpi.active;
    d->dpi.pool_bytes += s->dpi.pool_bytes;
    d->eve_dropped += s->eve_dropped;
    d->anomalies_logged += s->anomalies_logged;
    d->anomalies_suppressed += s->anomalies_suppressed;
}

int eve_stats_log(struct eve_out *o, const struct eve_stats_data *s, struct timeval ts)
{
    struct jb *j = eve_begin(o, "stats", NULL, NULL, ts);
    uint64_t mem_total = s->flow.mem + s->dpi.pool_bytes + s->mem_ndpi;

    jb_open_object(j, "stats");
    jb_double(j, "uptime", s->uptime);

    jb_open_object(j, "capture");
    jb_uint(j, "kernel_packets", s->kernel_packets);
    jb_uint(j, "kernel_drops", s->kernel_drops);
    jb_uint(j, "kernel_ifdrops", s->kernel_ifdrops);
    jb_uint(j, "queue_drops", s->queue_drops);
    jb_double(j, "capture_loss_pct", eve_stats_loss_pct(s->kernel_packets, s->kernel_drops));
    if (s->nworkers > 0) {
        jb_open_array(j, "worker_packets");
        for (uint32_t i = 0; i < s->nworkers && i < EVE_STATS_WORKERS_MAX; i++)
            jb_uint(j, NULL, s->worker_pkts[i]);
        jb_close_array(j);
    }
    jb_close_object(j);

    jb_open_object(j, "decoder");
    jb_uint(j, "pkts", s->dec.pkts);
    jb_uint(j, "bytes", s->dec.bytes);
    jb_uint(j, "ipv4", s->dec.ipv4);
    jb_uint(j, "ipv6", s->dec.ipv6);
    jb_uint(j, "tcp", s->dec.tcp);
    jb_uint(j, "udp", s->dec.udp);
    jb_uint(j, "icmpv4", s->dec.icmpv4);
    jb_uint(j, "icmpv6", s->dec.icmpv6);
    jb_uint(j, "vlan", s->dec.vlan);
    jb_uint(j, "other", s->dec.other);
    jb_open_object(j, "event");
    for (int i = 1; i < DEC_EV_MAX; i++)
        if (s->dec.events[i] != 0)
            jb_uint(j, dec_event_name((enum dec_event)i), s->dec.events[i]);
    jb_close_object(j);
    jb_open_object(j, "defrag");
    jb_uint(j, "fragments", s->defrag.fragments);
    jb_uint(j, "reassembled", s->defrag.reassembled);
    jb_uint(j, "timeouts", s->defrag.timeouts);
    jb_uint(j, "evicted", s->defrag.evicted);
    jb_uint(j, "overlaps", s->defrag.overlaps);
    jb_uint(j, "memcap_drops", s->defrag.memcap_drops);
    jb_close_object(j);
    jb_close_object(j);

    jb_open_object(j, "flow");
    jb_uint(j, "active", s->flow.active);
    jb_uint(j, "total", s->flow.total);
    jb_uint(j, "timeout", s->flow.timeouts);
    jb_uint(j, "evicted", s->flow.evicted);
    jb_uint(j, "shutdown", s->flow.shutdown);
    jb_uint(j, "tcp_reuse", s->flow.tcp_reuse);
    jb_uint(j, "emergency_mode_entered", s->flow.emergency);
    jb_close_object(j);

    jb_open_object(j, "ndpi");
    jb_uint(j, "classified", s->dpi.classified);
    jb_uint(j, "guessed", s->dpi.guessed);
    jb_uint(j, "unknown", s->dpi.unknown);
    jb_uint(j, "pool_exhausted", s->dpi.pool_exhausted);
    jb_uint(j, "active", s->dpi.active);
    jb_close_object(j);

    jb_open_object(j, "memory");
    jb_uint(j, "flow", s->flow.mem);
    jb_uint(j, "ndpi_flow_pool", s->dpi.pool_bytes);
    jb_uint(j, "ndpi_lib", s->mem_ndpi);
    jb_uint(j, "total", mem_total);
    jb_close_object(j);

    jb_open_object(j, "eve");
    jb_uint(j, "events", s->eve_events);
    jb_uint(j, "dropped", s->eve_dropped);
    jb_uint(j, "anomalies", s->anomalies_logged);
    jb_uint(j, "anomalies_suppressed", s->anomalies_suppressed);
    jb_close_object(j);

    if (s->ship_on) {
        jb_open_object(j, "ship");
        jb_uint(j, "appended", s->ship.appended);
        jb_uint(j, "shipped", s->ship.shipped);
        jb_uint(j, "dropped_flow", s->ship.dropped_flow);
        jb_uint(j, "dropped_other", s->ship.dropped_other);
        jb_uint(j, "rejected", s->ship.rejected);
        jb_uint(j, "corrupt", s->ship.corrupt);
        jb_uint(j, "batches_sent", s->ship.batches_sent);
        jb_uint(j, "send_errors", s->ship.send_errors);
        jb_uint(j, "retries", s->ship.retries);
        jb_uint(j, "spool_bytes", s->ship.spool_bytes);
        jb_close_object(j);
    }
    if (s->pipe_on) {
        const struct eve_stats_pipe *p = &s->pipe;
        jb_open_object(j, "tcp");   /* Suricata's stats.tcp names where they exist */
        jb_uint(j, "sessions", p->tcp_sessions);
        jb_uint(j, "midstream_pickups", p->tcp_midstream);
        jb_uint(j, "ssn_memcap_drop", p->tcp_ssn_memcap_drops);
        jb_uint(j, "no_session", p->tcp_no_session);
        jb_uint(j, "segments", p->tcp_segments);
        jb_uint(j, "reassembled_bytes", p->tcp_reassembled_bytes);
        jb_uint(j, "out_of_order", p->tcp_out_of_order);
        jb_uint(j, "overlap", p->tcp_overlaps);
        jb_uint(j, "overlap_diff_data", p->tcp_overlaps_diff);
        jb_uint(j, "reassembly_gap", p->tcp_gaps);
        jb_uint(j, "gap_bytes", p->tcp_gap_bytes);
        jb_uint(j, "segment_memcap_drop", p->tcp_seg_memcap_drops);
        jb_uint(j, "depth_bytes", p->tcp_depth_bytes);
        jb_uint(j, "stopped_directions", p->tcp_stopped_dirs);
        jb_uint(j, "stopped_bytes", p->tcp_stopped_bytes);
        jb_uint(j, "rst", p->tcp_rst);
        jb_uint(j, "rst_invalid", p->tcp_rst_invalid);
        jb_uint(j, "fin", p->tcp_fin);
        jb_close_object(j);
        jb_open_object(j, "app_layer");
        jb_open_object(j, "tx");
        jb_uint(j, "http", p->http_tx);
        jb_uint(j, "dns", p->dns_msgs);
        jb_uint(j, "tls", p->tls_hellos);
        jb_close_object(j);
        jb_uint(j, "states_exhausted", p->app_states_exhausted);
        jb_close_object(j);
        jb_open_object(j, "detect");
        jb_uint(j, "alert", p->alerts);
        jb_uint(j, "alerts_dropped", p->alerts_dropped);
        jb_uint(j, "alerts_suppressed", p->alerts_suppressed);
        jb_uint(j, "inspected", p->det_inspected);
        jb_uint(j, "prefilter_scans", p->det_scans);
        jb_uint(j, "candidates", p->det_candidates);
        jb_uint(j, "rules_evaluated", p->det_evaluated);
        jb_uint(j, "packet_passes", p->det_packet_passes);
        jb_uint(j, "stream_passes", p->det_stream_passes);
        jb_uint(j, "app_passes", p->det_app_passes);
        jb_uint(j, "reloads", p->det_reloads);
        jb_close_object(j);
    }
    if (s->files_on)
        eve_fileinfo_stats_json(j, &s->files);

    jb_close_object(j);
    return eve_commit(o);
}
