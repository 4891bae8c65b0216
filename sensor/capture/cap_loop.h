/* cap_loop: the capture thread. Reads packets, picks a worker by a
 * symmetric hash of (IP pair, VLAN) and copies the frame into that
 * worker's ring (inline processing with one worker), sends time ticks so
 * idle workers still expire flows, and writes periodic stats events.
 *
 * Live with a PACKET_FANOUT group (cfg.fanout) the kernel does the fan-out
 * and each worker thread reads its own handle; ticks come from packet time,
 * or wall time when the handle is idle.
 *
 * The worker of a frame is cap_hash() % workers (cap_hash.h: IP pair and
 * VLAN, no ports, so fragments follow their flow).
 */
#ifndef CANH_CAP_LOOP_H
#define CANH_CAP_LOOP_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture/cap_pcap.h"
#include "output/eve_writer.h"
#include "worker.h"

struct cap_loop_cfg {
    struct cap *cap;
    struct worker **workers;
    int nworkers;
    bool vlan_tracking;
    int stats_interval;            /* wall seconds; 0: only at exit */
    struct eve_out *stats_out;     /* NULL: no stats events */
    const struct eve_writer *ew;   /* for the event count, may be NULL */
    volatile sig_atomic_t *stop;   /* set by the signal handler */
    struct ship *ship;             /* correlator shipper for stats, may be NULL */
    struct fscan *fscan;           /* file carving / YARA for stats, may be NULL */
    /* Live, several workers: one handle per worker (fanout[0] == cap), all in
     * one PACKET_FANOUT group: each worker reads its own handle, no capture
     * thread, no copy. NULL: the capture thread hashes into rings. */
    struct cap **fanout;
};

/* Runs until end of file, a read error or *stop; then ends every worker
 * (flows flushed with reason "shutdown") and writes the final stats.
 * Returns 0, or -1 after a read error. */
int cap_loop_run(const struct cap_loop_cfg *c);

#endif
