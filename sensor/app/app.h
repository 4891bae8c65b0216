/* app: the worker's stages after the flow table: TCP reassembly (through
 * sensor/stream), the app layer (HTTP on libhtp, DNS, TLS) and detection
 * (sensor/detect), plugged into the worker through struct worker_hooks.
 *
 * One struct app_pipe per worker, used only on that worker's thread. Per
 * flow it keeps a small record (flowbits, per-direction protocol, parser
 * state) in f->app, from a pool that grows to a cap and is reused, and the
 * TCP session in f->stream; both are released by the flow-end hook. Per
 * packet: stream (in-order data -> protocol guess -> parsers -> stream
 * detection pass on the tail window), app (UDP DNS), detect (packet pass).
 * Alerts go to the worker's EVE buffer as `alert` events.
 */
#ifndef CANH_APP_H
#define CANH_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "output/eve_alert.h"
#include "output/eve_proto.h"
#include "stream/stream.h"
#include "worker.h"

struct cfg;
struct det_reload;
struct app_pipe;
struct fscan;

struct app_pipe_cfg {
    struct tcp_cfg tcp;               /* stream.* (per worker) */
    uint64_t req_body_limit;          /* libhtp request-body-limit */
    uint64_t resp_body_limit;         /* libhtp response-body-limit */
    int decompress_layers;            /* libhtp response-body-decompress-layer-limit */
    struct eve_alert_opts alert;      /* outputs.eve-log.types.alert.* */
    uint32_t max_flow_states;         /* per worker: app records at once */
    bool detect_log;                  /* alerts on (rules loaded) */
    struct fscan *fscan;              /* file carving and YARA (sensor/filescan), NULL: off */
    struct eve_proto_opts proto;      /* http/dns/tls events (outputs.eve-log.types.*) */
};

/* The app/alert keys of sensor.yaml (the stream and libhtp keys belong to
 * stream_cfg_schema and det_cfg_schema). 0 or -1. */
int app_cfg_schema(struct cfg *c);
/* Typed values for nworkers workers. 0, or the number of errors (logged). */
int app_cfg_read(const struct cfg *c, int nworkers, uint32_t max_flows, struct app_pipe_cfg *out);

/* A worker's pipe; rules may be NULL (no detection: stream and app only).
 * id is the worker id (for reload acknowledgements). NULL on failure (logged). */
struct app_pipe *app_pipe_new(const struct app_pipe_cfg *c, struct det_reload *rules, int id);
/* After the worker has finished (flows flushed). NULL is fine. */
void app_pipe_free(struct app_pipe *ap);
/* The hooks to give worker_new() for this pipe. */
void app_pipe_hooks(struct app_pipe *ap, struct worker_hooks *out);

struct app_pipe_stats {
    uint64_t alerts, alerts_dropped, http_tx, dns_msgs, tls_hellos, states_exhausted;
    uint64_t stream_passes, packet_passes, app_passes, reloads_seen;
};
void app_pipe_stats(const struct app_pipe *ap, struct app_pipe_stats *out);
const struct tcp_stats *app_pipe_tcp_stats(const struct app_pipe *ap);
/* Detection counters of this worker (zero without rules). */
void app_pipe_det_stats(const struct app_pipe *ap, struct det_thread_stats *out);

#endif
