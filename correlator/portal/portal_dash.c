/* portal_dash: GET /api/v1/dashboard. The default range is the 24 hours of
 * event time up to the newest stored event (so a capture replayed from
 * days ago still shows); the bucket is the smallest of a fixed ladder that
 * keeps at most PORTAL_DASH_BUCKETS points. Sensor health is wall time:
 * silent after portal.silent-after seconds without a batch.
 */
#include <math.h>
#include <string.h>

#include "ingest/ing_eve.h"
#include "portal/portal_private.h"
#include "store/db_dash.h"
#include "store/db_event.h"

#define PORTAL_DASH_BUCKETS 60
#define PORTAL_DASH_DAY_US (86400LL * 1000000)

static int64_t portal_dash_bucket(int64_t span_us)
{
    static const int64_t ladder[] = { 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
                                      43200, 86400, 604800 };
    for (size_t i = 0; i < sizeof ladder / sizeof *ladder; i++)
        if (span_us <= ladder[i] * 1000000 * PORTAL_DASH_BUCKETS)
            return ladder[i];
    /* Longer than 60 weeks: whole days, as many as it takes. */
    return (span_us / PORTAL_DASH_BUCKETS / PORTAL_DASH_DAY_US + 1) * 86400;
}

static json_t *portal_dash_sensors(struct portal *p)
{
    json_t *in = db_event_sensors(p->db), *out = json_array();
    int64_t now = db_now_us();
    size_t i;
    json_t *s;
    json_array_foreach(in, i, s) {
        const char *last = json_string_value(json_object_get(s, "last_seen"));
        int64_t last_us = last ? ing_eve_time(last) : 0;
        int silent = !last_us || now - last_us > (int64_t)p->cfg.silent_after_s * 1000000;
        json_t *pk = json_object_get(s, "packets"), *dr = json_object_get(s, "drops");
        json_t *pps = json_object_get(s, "packets_per_s");
        json_t *loss = json_null();
        if (json_is_integer(pk) && json_is_integer(dr)) {
            double seen = (double)json_integer_value(pk) + (double)json_integer_value(dr);
            double pct = seen > 0 ? 100.0 * (double)json_integer_value(dr) / seen : 0.0;
            loss = json_real(round(pct * 1000.0) / 1000.0);
        }
        json_array_append_new(out, json_pack("{s:O, s:O, s:b, s:O, s:O, s:o}",
            "name", json_object_get(s, "name"),
            "last_seen", json_object_get(s, "last_seen"),
            "silent", silent,
            "pkts_per_s", pps ? pps : json_null(),
            "drops", dr ? dr : json_null(),
            "capture_loss_pct", loss));
    }
    json_decref(in);
    return out;
}

void portal_dash_get(struct ing_req *r, void *arg)
{
    struct portal *p = arg;
    int64_t since = 0, until = 0;
    if (api_time_param(r, "since", &since) || api_time_param(r, "until", &until))
        return;
    if (!until) {
        int64_t newest = db_dash_newest_event(p->db);
        until = newest ? newest + 1 : db_now_us();
    }
    if (!since)
        since = until - PORTAL_DASH_DAY_US;
    if (since >= until) {
        ing_http_error(r, 400, "since must be before until", 0);
        return;
    }
    int64_t bucket = portal_dash_bucket(until - since);
    char ts[40], tu[40];
    db_format_us(since, ts, sizeof ts);
    db_format_us(until, tu, sizeof tu);
    json_t *out = json_pack("{s:s, s:s, s:I}", "since", ts, "until", tu, "bucket_seconds",
                            (json_int_t)bucket);
    if (db_dash_fill(p->db, since, until, bucket * 1000000, out) != 0) {
        json_decref(out);
        ing_http_error(r, 500, "dashboard query failed", 0);
        return;
    }
    json_object_set_new(out, "sensors", portal_dash_sensors(p));
    ing_http_reply(r, 200, out);
}
