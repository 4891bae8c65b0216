/* portal_cfg: the portal.* and auth.* keys of correlator.yaml (schema in
 * portal_cfg.c, documented in deploy/correlator.yaml) and their typed
 * values. Start-up only.
 */
#ifndef CANH_PORTAL_CFG_H
#define CANH_PORTAL_CFG_H

#include <stdbool.h>

struct cfg;

struct portal_cfg {
    bool enabled;               /* static files and browser sessions */
    char static_dir[512];       /* resolved: configured, installed or in-tree */
    int session_idle_s;         /* idle timeout of a browser session */
    int silent_after_s;         /* dashboard: a sensor silent after this (wall time) */
    char search_url[512];       /* "" or a URL template with {ip} */
    int lockout_attempts;       /* failures per user within the window */
    int lockout_address_attempts; /* failures per client address within the window */
    int lockout_window_s;
};

/* Add the schema to c. 0 or -1. */
int portal_cfg_add_schema(struct cfg *c);
/* Fill out from c; returns the number of errors (logged with path). */
int portal_cfg_read(const struct cfg *c, const char *path, struct portal_cfg *out);

#endif
