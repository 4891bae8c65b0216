/* api_events: GET /api/v1/events: search stored EVE events by sensor,
 * event type, address, signature id, flow id, time range and text. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "store/db_event.h"

static int api_events_num(struct ing_req *r, const char *name, int64_t *out)
{
    const char *s = ing_http_query(r, name);
    if (!s)
        return 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (*end || end == s || v < 0) {
        ing_http_error(r, 400, "sig and flow_id must be non-negative integers", 0);
        return -1;
    }
    *out = v;
    return 0;
}

void api_events_search(struct ing_req *r, void *arg)
{
    struct api_ctx *c = arg;
    struct db_event_filter f;
    memset(&f, 0, sizeof f);
    f.sig_id = -1;
    if (api_paging(r, c, &f.limit, &f.offset) || api_time_param(r, "since", &f.since_us) ||
        api_time_param(r, "until", &f.until_us) || api_events_num(r, "sig", &f.sig_id) ||
        api_events_num(r, "flow_id", &f.flow_id))
        return;
    f.sensor = ing_http_query(r, "sensor");
    f.event_type = ing_http_query(r, "event_type");
    f.addr = ing_http_query(r, "address");
    f.text = ing_http_query(r, "q");
    json_t *out = NULL;
    if (db_event_search(c->db, &f, &out) != 0)
        ing_http_error(r, 500, "event search failed", 0);
    else
        ing_http_reply(r, 200, out);
}
