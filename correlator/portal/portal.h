/* portal: the analyst portal's server side: static files at /, browser
 * sessions with CSRF tokens and lockout, the portal's API endpoints
 * (counts, bulk, merge, move, suppressions, dashboard, preferences) and the
 * suppression filter the correlation runs before applying a hit.
 * Everything runs on the loop thread. Contract: docs/api.md, README.md.
 */
#ifndef CANH_PORTAL_H
#define CANH_PORTAL_H

#include <jansson.h>
#include <stdint.h>

#include "correlate/corr_engine.h"
#include "portal/portal_cfg.h"
#include "store/db.h"

struct portal;
struct ing_http;
struct api_ctx;

/* The portal over d with its configuration (copied). Loads the live
 * suppressions. NULL on failure (logged). */
struct portal *portal_new(struct db *d, const struct portal_cfg *cfg);
void portal_free(struct portal *p);

/* Register the portal's routes, session hook and (when portal.enabled)
 * static files on h. Call before api_register() so that the portal's
 * versions of shared paths (/api/v1/whoami) win. api must outlive h. */
int portal_register(struct portal *p, struct ing_http *h, struct api_ctx *api);

/* The suppression filter (an inc_corr filter; arg: the portal): 1 when a
 * live suppression matches the hit (its rule, and/or an address among the
 * hit's group fields or the event's src_ip/dest_ip), after counting the hit
 * on it inside the caller's transaction; 0 to apply the hit. */
int portal_sup_filter(const struct corr_hit *hit, json_t *event, void *arg);

/* Add "why", "related", "suppressed_count" and (with portal.search-url)
 * "es_links" to the incident object inc. p may be NULL (no links). */
void portal_incident_extras(struct portal *p, struct db *d, int64_t id, json_t *inc);

/* Argon2id string of password (libsodium crypto_pwhash_str, interactive
 * limits) stored for user as actor. 0, DB_ERR_NOENT (no such user) or <0. */
int portal_auth_set_password(struct db *d, const char *user, const char *password,
                             const char *actor);

#endif
