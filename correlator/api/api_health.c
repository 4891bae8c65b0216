/* api_health: /healthz and the Prometheus /metrics page, and the silence
 * verdict on each sensor (see api_health.h). Metric names follow the
 * Prometheus conventions: counters end in _total, times are seconds, every
 * family has HELP and TYPE. Values come from the loop's own counters and
 * from small indexed queries on the store; nothing here writes.
 */
#include "api/api_health.h"

#include <event2/buffer.h>
#include <event2/http.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "ingest/ing_eve.h"
#include "log.h"
#include "store/db_event.h"
#include "store/db_incident.h"

/* The rate gauge is recomputed when the newest sample is this old, so
 * scrapes every few seconds still see a rate over a useful window. */
#define API_HEALTH_RATE_WINDOW_US (10 * 1000000LL)

/* Queues the issue names: reported as not configured until registered. */
static const char *const api_health_known_queues[] = { "opensearch", "national_centre" };

int api_health_add_queue(struct api_health_state *h, const char *name,
                         int64_t (*depth)(void *arg), void *arg)
{
    if (h->nqueues >= API_HEALTH_MAX_QUEUES || !name || !depth)
        return -1;
    h->queues[h->nqueues++] = (struct api_health_queue){ name, depth, arg };
    return 0;
}

json_t *api_health_sensors_mark(json_t *sensors, int64_t now_us, int silent_after_s)
{
    size_t i;
    json_t *s;
    if (silent_after_s <= 0)
        silent_after_s = API_HEALTH_SILENT_DEFAULT_S;
    json_array_foreach(sensors, i, s) {
        int64_t seen = ing_eve_time(json_string_value(json_object_get(s, "last_seen")));
        const char *status = "never_seen";
        if (seen > 0) {
            double age = (double)(now_us - seen) / 1e6;
            if (age < 0)
                age = 0; /* wall clock stepped back */
            status = age > silent_after_s ? "silent" : "ok";
            json_object_set_new(s, "last_seen_age_s", json_real(age));
        } else {
            json_object_set_new(s, "last_seen_age_s", json_null());
        }
        json_object_set_new(s, "silent", json_boolean(strcmp(status, "ok") != 0));
        json_object_set_new(s, "status", json_string(status));
    }
    return sensors;
}

const char *api_health_label(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    if (cap == 0)
        return out;
    for (; s && *s && o + 2 < cap; s++) {
        if (*s == '\\' || *s == '"') {
            out[o++] = '\\';
            out[o++] = *s;
        } else if (*s == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = *s;
        }
    }
    out[o] = '\0';
    return out;
}

/* Incidents not yet resolved or dismissed; -1 when the store fails. */
static int64_t api_health_open_incidents(struct db *d)
{
    struct db_incident_filter f;
    json_t *res = NULL;
    int64_t n = -1;
    memset(&f, 0, sizeof f);
    f.status = "new,acknowledged,investigating";
    f.limit = 1;
    if (db_incident_list(d, &f, &res) == 0)
        n = (int64_t)json_integer_value(json_object_get(res, "total"));
    json_decref(res);
    return n;
}

void api_health_healthz(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    int64_t now = db_now_us();
    int schema = db_schema_version(c->db);
    json_t *sensors = api_health_sensors_mark(db_event_sensors(c->db), now,
                                              c->health.silent_after_s);
    size_t i, silent = 0;
    json_t *s;
    json_array_foreach(sensors, i, s)
        silent += json_is_true(json_object_get(s, "silent"));
    if (schema < 1) {
        ing_http_reply(r, 503, json_pack("{s:s, s:s}", "status", "fail", "store",
                                         "the SQLite store does not answer"));
    } else {
        ing_http_reply(r, 200, json_pack("{s:s, s:s, s:i, s:I, s:I, s:I}", "status", "ok",
                                         "store", "ok", "schema", schema, "uptime_s",
                                         (json_int_t)((now - c->started_us) / 1000000),
                                         "sensors", (json_int_t)json_array_size(sensors),
                                         "sensors_silent", (json_int_t)silent));
    }
    json_decref(sensors);
}

/* HELP and TYPE lines of one metric family. */
static void api_health_family(struct evbuffer *b, const char *name, const char *type,
                              const char *help)
{
    evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void api_health_one(struct evbuffer *b, const char *name, const char *type,
                           const char *help, double v)
{
    api_health_family(b, name, type, help);
    evbuffer_add_printf(b, "%s %.15g\n", name, v);
}

static void api_health_ingest(struct evbuffer *b, struct api_ctx *c, int64_t now)
{
    const struct ing_events_stats *is = &c->ingest->st;
    struct api_health_state *h = &c->health;
    if (h->rate_t_us == 0) {
        h->rate_t_us = c->started_us;
        h->rate_n = 0;
    }
    if (now - h->rate_t_us >= API_HEALTH_RATE_WINDOW_US || h->rate == 0) {
        double dt = (double)(now - h->rate_t_us) / 1e6;
        if (dt > 0 && is->accepted >= h->rate_n) {
            h->rate = (double)(is->accepted - h->rate_n) / dt;
            if (now - h->rate_t_us >= API_HEALTH_RATE_WINDOW_US) {
                h->rate_t_us = now;
                h->rate_n = is->accepted;
            }
        }
    }
    api_health_one(b, "canh_ingest_batches_total", "counter",
                   "batches POSTed to /api/v1/events and answered", (double)is->batches);
    api_health_family(b, "canh_ingest_events_total", "counter",
                      "events received from sensors, by outcome");
    evbuffer_add_printf(b, "canh_ingest_events_total{result=\"accepted\"} %" PRIu64 "\n"
                        "canh_ingest_events_total{result=\"duplicate\"} %" PRIu64 "\n"
                        "canh_ingest_events_total{result=\"rejected\"} %" PRIu64 "\n"
                        "canh_ingest_events_total{result=\"failed\"} %" PRIu64 "\n",
                        is->accepted, is->duplicates, is->rejected, is->failed);
    api_health_one(b, "canh_ingest_conflicts_total", "counter",
                   "duplicate ids with different content (a sensor reused its seqs)",
                   (double)is->conflicts);
    api_health_one(b, "canh_ingest_events_per_second", "gauge",
                   "accepted events per second over the last sample window (>= 10 s)",
                   h->rate);
}

static void api_health_corr(struct evbuffer *b, struct api_ctx *c)
{
    struct inc_corr_stats cs;
    memset(&cs, 0, sizeof cs);
    if (c->corr)
        inc_corr_get_stats(c->corr, &cs);
    api_health_one(b, "canh_correlation_rules", "gauge", "correlation rules loaded",
                   (double)(c->corr ? inc_corr_rule_count(c->corr) : 0));
    api_health_one(b, "canh_correlation_events_total", "counter",
                   "events fed to the correlation engine", (double)cs.events);
    api_health_one(b, "canh_correlation_hits_total", "counter", "rule hits", (double)cs.hits);
    api_health_one(b, "canh_correlation_failures_total", "counter",
                   "correlation or incident write failures", (double)cs.failures);
    api_health_family(b, "canh_incidents_total", "counter",
                      "incident writes by the correlator, by kind");
    evbuffer_add_printf(b, "canh_incidents_total{kind=\"opened\"} %" PRIu64 "\n"
                        "canh_incidents_total{kind=\"appended\"} %" PRIu64 "\n",
                        cs.opened, cs.appended);
    api_health_family(b, "canh_correlation_delay_seconds", "gauge",
                      "receipt to incident commit, over recent hits");
    evbuffer_add_printf(b, "canh_correlation_delay_seconds{quantile=\"0.5\"} %.6f\n"
                        "canh_correlation_delay_seconds{quantile=\"0.99\"} %.6f\n"
                        "canh_correlation_delay_seconds{quantile=\"1\"} %.6f\n",
                        (double)cs.delay_p50_us / 1e6, (double)cs.delay_p99_us / 1e6,
                        (double)cs.delay_max_us / 1e6);
    int64_t open = api_health_open_incidents(c->db);
    if (open >= 0)
        api_health_one(b, "canh_incidents_open", "gauge",
                       "incidents new, acknowledged or under investigation", (double)open);
}

static void api_health_queues(struct evbuffer *b, const struct api_health_state *h)
{
    char lab[128];
    api_health_family(b, "canh_queue_configured", "gauge",
                      "1 when the outbound link is configured and its queue is reported");
    for (size_t k = 0; k < sizeof api_health_known_queues / sizeof *api_health_known_queues;
         k++) {
        int found = 0;
        for (int i = 0; i < h->nqueues; i++)
            found |= strcmp(h->queues[i].name, api_health_known_queues[k]) == 0;
        if (!found)
            evbuffer_add_printf(b, "canh_queue_configured{queue=\"%s\"} 0\n",
                                api_health_known_queues[k]);
    }
    for (int i = 0; i < h->nqueues; i++)
        evbuffer_add_printf(b, "canh_queue_configured{queue=\"%s\"} 1\n",
                            api_health_label(h->queues[i].name, lab, sizeof lab));
    if (h->nqueues == 0)
        return;
    api_health_family(b, "canh_queue_depth", "gauge",
                      "documents waiting to be delivered (queued, in flight or in the outbox)");
    for (int i = 0; i < h->nqueues; i++)
        evbuffer_add_printf(b, "canh_queue_depth{queue=\"%s\"} %" PRId64 "\n",
                            api_health_label(h->queues[i].name, lab, sizeof lab),
                            h->queues[i].depth(h->queues[i].arg));
}

/* One per-sensor family: the value of key (a JSON number) for every sensor
 * that has it. */
static void api_health_per_sensor(struct evbuffer *b, json_t *sensors, const char *name,
                                  const char *type, const char *help, const char *key)
{
    size_t i;
    json_t *s;
    char lab[200];
    int any = 0;
    json_array_foreach(sensors, i, s) {
        json_t *v = json_object_get(s, key);
        if (!json_is_number(v) && !json_is_boolean(v))
            continue;
        if (!any++)
            api_health_family(b, name, type, help);
        double d = json_is_boolean(v) ? (json_is_true(v) ? 1 : 0) : json_number_value(v);
        evbuffer_add_printf(b, "%s{sensor=\"%s\"} %.15g\n", name,
                            api_health_label(json_string_value(json_object_get(s, "name")),
                                             lab, sizeof lab), d);
    }
}

static void api_health_sensors(struct evbuffer *b, struct api_ctx *c, int64_t now)
{
    json_t *sensors = api_health_sensors_mark(db_event_sensors(c->db), now,
                                              c->health.silent_after_s);
    size_t i, silent = 0;
    json_t *s;
    json_array_foreach(sensors, i, s) {
        silent += json_is_true(json_object_get(s, "silent"));
        /* last seen as a timestamp, for alert rules on time() - x */
        int64_t seen = ing_eve_time(json_string_value(json_object_get(s, "last_seen")));
        if (seen > 0)
            json_object_set_new(s, "last_seen_ts", json_real((double)seen / 1e6));
    }
    api_health_one(b, "canh_sensors", "gauge", "sensors registered", (double)json_array_size(sensors));
    api_health_one(b, "canh_sensors_silent", "gauge",
                   "sensors with no batch for longer than health.sensor-silent-after (or never)",
                   (double)silent);
    api_health_one(b, "canh_sensor_silent_after_seconds", "gauge",
                   "silence threshold in force",
                   (double)(c->health.silent_after_s > 0 ? c->health.silent_after_s
                                                         : API_HEALTH_SILENT_DEFAULT_S));
    api_health_per_sensor(b, sensors, "canh_sensor_silent", "gauge",
                          "1 when the sensor is silent or was never seen", "silent");
    api_health_per_sensor(b, sensors, "canh_sensor_last_seen_timestamp_seconds", "gauge",
                          "wall time of the sensor's last batch (Unix seconds)", "last_seen_ts");
    api_health_per_sensor(b, sensors, "canh_sensor_last_seen_age_seconds", "gauge",
                          "seconds since the sensor's last batch", "last_seen_age_s");
    api_health_per_sensor(b, sensors, "canh_sensor_events_total", "counter",
                          "events stored from this sensor", "events");
    api_health_per_sensor(b, sensors, "canh_sensor_packets_total", "counter",
                          "packets the sensor captured (its last stats event)", "packets");
    api_health_per_sensor(b, sensors, "canh_sensor_drops_total", "counter",
                          "packets the kernel dropped before the sensor saw them (last stats)",
                          "drops");
    api_health_per_sensor(b, sensors, "canh_sensor_packets_per_second", "gauge",
                          "capture rate between the sensor's last two stats events",
                          "packets_per_s");
    json_decref(sensors);
}

void api_health_metrics(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    int64_t now = db_now_us();
    struct evbuffer *b = evbuffer_new();
    if (!b) {
        ing_http_error(r, 503, "out of memory", 0);
        return;
    }
    api_health_one(b, "canh_up", "gauge", "1 while the correlator answers", 1);
    api_health_one(b, "canh_uptime_seconds", "gauge", "seconds since the correlator started",
                   (double)(now - c->started_us) / 1e6);
    api_health_ingest(b, c, now);
    api_health_corr(b, c);
    api_health_queues(b, &c->health);
    api_health_sensors(b, c, now);
    struct evkeyvalq *hdr = evhttp_request_get_output_headers(r->req);
    evhttp_add_header(hdr, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    evhttp_add_header(hdr, "Cache-Control", "no-store");
    evhttp_send_reply(r->req, 200, "OK", b);
    evbuffer_free(b);
}
