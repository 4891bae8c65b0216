/* portal_private.h: what the portal's files share and nobody else sees:
 * struct portal and the handlers each file contributes to the route table
 * in portal_api.c.
 */
#ifndef CANH_PORTAL_PRIVATE_H
#define CANH_PORTAL_PRIVATE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "api/api.h"
#include "ingest/ing_http.h"
#include "portal/portal.h"
#include "store/db_sup.h"

struct portal {
    struct db *db;
    struct portal_cfg cfg;
    struct api_ctx *api;
    int tls;                       /* listener speaks TLS: Secure cookies */
    char root[PATH_MAX];           /* realpath of cfg.static_dir, "" when absent */
    char dummy_hash[128];          /* verified against for unknown users */
    struct db_sup *sups;           /* live suppressions (cache of the table) */
    size_t nsups;
};

/* portal_auth.c */
int portal_auth_session(struct ing_req *r, void *arg);
void portal_auth_login(struct ing_req *r, void *arg);
void portal_auth_logout(struct ing_req *r, void *arg);
void portal_auth_whoami(struct ing_req *r, void *arg);
void portal_auth_prefs(struct ing_req *r, void *arg);

/* portal_static.c: GET/HEAD of a file under the static root. */
void portal_static_serve(struct ing_req *r, void *arg);
/* Resolve the static root (logs when missing). 0, or -1 when absent. */
int portal_static_init(struct portal *p);

/* portal_sup.c */
int portal_sup_reload(struct portal *p);
void portal_sup_list(struct ing_req *r, void *arg);
void portal_sup_create(struct ing_req *r, void *arg);
void portal_sup_delete(struct ing_req *r, void *arg);

/* portal_dash.c */
void portal_dash_get(struct ing_req *r, void *arg);

/* portal_api.c: a reply without a body (204) carrying the security headers. */
void portal_reply_empty(struct ing_req *r, int status);

#endif
