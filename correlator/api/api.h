/* api: the JSON API under /api/v1 (documented in docs/api.md): incidents
 * (list, get, change, comment), event search, sensors with health, users
 * and tokens, metrics. Handlers run on the loop thread; each answers once.
 *
 * Roles: viewer reads; analyst also comments and sets status/assignee;
 * responder also sets a disposition and closes (resolved, false_positive);
 * admin also manages sensors, users and tokens.
 */
#ifndef CANH_API_H
#define CANH_API_H

#include <stdint.h>

#include "api/api_health.h"
#include "incident/inc_corr.h"
#include "ingest/ing_events.h"
#include "ingest/ing_http.h"

struct api_ctx {
    struct db *db;
    struct inc_corr *corr;
    struct ing_events *ingest;
    int page_max;         /* largest limit= accepted */
    int incident_events;  /* events shown with one incident */
    int64_t started_us;
    struct api_health_state health; /* /healthz, /metrics, sensor silence */
    struct portal *portal;  /* incident extras (portal/portal.h); NULL: none */
};

/* Register every route (ingest included) on h. 0 or -1. ctx must outlive h. */
int api_register(struct ing_http *h, struct api_ctx *ctx);

/* Helpers shared by the api_*.c files. */
/* limit/offset from the query; 0, or -1 after answering 400. */
int api_paging(struct ing_req *r, const struct api_ctx *c, int *limit, int *offset);
/* A time parameter (RFC 3339) in microseconds, 0 when absent; -1 after 400. */
int api_time_param(struct ing_req *r, const char *name, int64_t *out);
/* The JSON object body of a request; NULL after answering 400. */
json_t *api_json_body(struct ing_req *r);
/* The filters of GET /incidents (also sort, updated_since, paging) into *f;
 * 0, or -1 after answering 400. */
struct db_incident_filter;
int api_incidents_filter(struct ing_req *r, const struct api_ctx *c,
                         struct db_incident_filter *f);

/* Route handlers, one file per resource. */
void api_incidents_list(struct ing_req *r, void *arg);
void api_incidents_get(struct ing_req *r, void *arg);
void api_incidents_change(struct ing_req *r, void *arg);
void api_incidents_comment(struct ing_req *r, void *arg);
void api_events_search(struct ing_req *r, void *arg);
void api_admin_sensors(struct ing_req *r, void *arg);
void api_admin_users(struct ing_req *r, void *arg);
void api_admin_tokens(struct ing_req *r, void *arg);
void api_admin_token_revoke(struct ing_req *r, void *arg);
void api_admin_metrics(struct ing_req *r, void *arg);
void api_admin_whoami(struct ing_req *r, void *arg);
void api_admin_health(struct ing_req *r, void *arg);

#endif
