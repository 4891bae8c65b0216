/* worker: one packet-processing thread and everything it owns (flow table,
 * defrag, nDPI module, counters, EVE buffer). Nothing mutable is shared
 * between workers, and the packet path takes no lock: a flow's packets all
 * reach the same worker (symmetric fan-out in capture/cap_loop.c).
 *
 * worker_packet() is the pipeline, in order:
 *   decode -> defrag -> flow lookup -> [stream, app, detect hooks] -> nDPI
 * Later stages plug in through struct worker_hooks (NULL hooks are skipped).
 */
#ifndef CANH_WORKER_H
#define CANH_WORKER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/time.h>

#include "capture/cap_ring.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "flow/flow_table.h"
#include "output/eve_stats.h"
#include "output/eve_writer.h"
#include "sensor_cfg.h"

struct worker;

/* Hook points for the stages written elsewhere. Each runs on the worker's
 * thread with the flow and the decoded packet (valid for this call only). */
struct worker_hooks {
    void *arg;
    /* TCP reassembly (sensor/stream): after the flow is counted. */
    void (*stream)(void *arg, struct worker *w, struct flow *f, struct packet *p, int dir);
    /* App-layer parsers (HTTP, DNS, TLS): after stream. */
    void (*app)(void *arg, struct worker *w, struct flow *f, struct packet *p, int dir);
    /* Detection (sensor/detect): after app, before nDPI. */
    void (*detect)(void *arg, struct worker *w, struct flow *f, struct packet *p, int dir);
    /* A flow ends (before its flow event): free per-flow slots f->stream/app/detect. */
    void (*flow_end)(void *arg, struct worker *w, struct flow *f);
    /* Counters of these stages for the stats event (at each publish, on the
     * worker's thread; not per packet). */
    void (*stats)(void *arg, struct eve_stats_pipe *out);
    /* worker_ready, on the thread that runs the worker, before it builds
     * its own tables: the stages build their large per-worker state here,
     * each worker at the same time (its page faults with it, in its own
     * malloc arena). 0, or -1 (logged): worker_ready fails. Called once. */
    int (*ready)(void *arg, struct worker *w);
    /* worker_release, on the worker's thread, after the last flow ended
     * (flow_end ran for every flow) and the final counters were published:
     * free per-worker and per-flow state at the same time as the other
     * workers. stats is not called after it. Only after a successful ready. */
    void (*release)(void *arg, struct worker *w);
};

/* id: 0..n-1; n: how many workers share the sensor-wide limits in sc.
 * hooks may be NULL. flows (may be NULL): flow.max-flows as one budget the
 * n workers share (flow_budget_new), so skewed traffic does not fill one
 * worker's even share first; without it each worker gets max-flows / n.
 * Cheap: the tables come with worker_ready. NULL on failure (logged). */
struct worker *worker_new(int id, int n, const struct sensor_cfg *sc, int datalink,
                          bool verify_csum, struct eve_writer *ew, const struct worker_hooks *hooks,
                          struct flow_budget *flows);
/* Builds the worker's tables (flow table, nDPI module, defrag) on the
 * calling thread, which should be the one that runs the worker: several
 * workers get ready at the same time, each in its own malloc arena. Call
 * once before the first packet or tick (again: no-op). 0, or -1 (logged)
 * when they cannot be allocated. */
int worker_ready(struct worker *w);
/* NULL is fine. Does not flush flows: call worker_finish first. */
void worker_free(struct worker *w);

/* The pipeline for one captured frame (after worker_ready). */
void worker_packet(struct worker *w, struct timeval ts, const uint8_t *data, uint32_t caplen,
                   uint32_t len);
/* Packet time advanced to now: expire flows, flush EVE, publish counters. */
void worker_tick(struct worker *w, struct timeval now);
/* End of input: every flow ends with reason "shutdown"; flush; publish. */
void worker_finish(struct worker *w);
/* worker_finish, then the release hook, then free the flow table, nDPI
 * module and defrag at once (on the worker's own thread, so several workers
 * release their largest pools in parallel instead of in worker_free on the
 * main thread). Counters stay readable; nothing may be fed to the worker
 * afterwards. */
void worker_release(struct worker *w);

/* Threaded use: the worker consumes its ring until a CAP_RING_END record.
 * worker_start calls worker_ready on the calling thread. */
struct cap_ring *worker_ring(struct worker *w);
int worker_start(struct worker *w);
void worker_join(struct worker *w);

/* The worker's EVE buffer, for stages emitting their own events. */
struct eve_out *worker_eve(struct worker *w);
int worker_id(const struct worker *w);

/* Counters as of the worker's last publish (tick or finish); any thread. */
void worker_read_stats(struct worker *w, struct eve_stats_data *out);

#endif
