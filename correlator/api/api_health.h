/* api_health: GET /healthz (liveness for load balancers and systemd
 * watchdogs, no token) and GET /metrics (Prometheus text format 0.0.4,
 * viewer token): ingest counters and rate, correlation, incidents open,
 * outbound queue depths, per-sensor last seen / silence / packets / drops.
 * Also marks each sensor of GET /api/v1/sensors as silent or not.
 * Everything runs on the loop thread; the state below lives in api_ctx.
 */
#ifndef CANH_API_HEALTH_H
#define CANH_API_HEALTH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds without a batch from a sensor before it is called silent, when
 * the config does not say (the sensor sends stats every 8 s by default). */
#define API_HEALTH_SILENT_DEFAULT_S 30
#define API_HEALTH_MAX_QUEUES 4

/* An outbound queue whose depth /metrics reports ("opensearch",
 * "national_centre"). depth() runs on the loop thread and returns the
 * number of documents waiting (queued, in flight or in the outbox). */
struct api_health_queue {
    const char *name;
    int64_t (*depth)(void *arg);
    void *arg;
};

struct api_health_state {
    int silent_after_s;  /* 0: API_HEALTH_SILENT_DEFAULT_S */
    struct api_health_queue queues[API_HEALTH_MAX_QUEUES];
    int nqueues;
    /* ingest rate: the sample the last computed rate started from */
    int64_t rate_t_us;
    uint64_t rate_n;
    double rate;
};

/* Register a queue for /metrics (name borrowed, must outlive the state).
 * 0, or -1 when the table is full. */
int api_health_add_queue(struct api_health_state *h, const char *name,
                         int64_t (*depth)(void *arg), void *arg);

/* Adds "silent" (bool), "last_seen_age_s" (number or null) and "status"
 * ("ok", "silent" or "never_seen") to each sensor object of the array
 * db_event_sensors() returns, as of now_us. Returns sensors. */
json_t *api_health_sensors_mark(json_t *sensors, int64_t now_us, int silent_after_s);

/* Prometheus label value escaping (\\, \" and \n) into out; returns out. */
const char *api_health_label(const char *s, char *out, size_t cap);

/* Route handlers (arg: struct api_ctx). */
struct ing_req;
void api_health_healthz(struct ing_req *r, void *arg);
void api_health_metrics(struct ing_req *r, void *arg);

#endif
