/* portal_cfg: schema of portal.* and auth.*; resolves the static directory
 * when it is not configured: the installed share directory if present,
 * else ./correlator/portal/static (running from the repository).
 */
#include "portal/portal_cfg.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cfg.h"
#include "log.h"

/* Where `make install` puts the portal (DATADIR/portal) for the usual
 * prefixes, tried in order. */
#define PORTAL_SHARE_DIR "/usr/share/canh/portal"
#define PORTAL_SHARE_DIR_LOCAL "/usr/local/share/canh/portal"

static const struct cfg_opt portal_cfg_schema[] = {
    { "portal.enabled", CFG_BOOL, "true", 0, 0,
      "serve the analyst portal (static files at /, browser sessions)" },
    { "portal.static-dir", CFG_STR, NULL, 0, 0,
      "portal files (default: " PORTAL_SHARE_DIR " or " PORTAL_SHARE_DIR_LOCAL
      " when installed, else ./correlator/portal/static)" },
    { "portal.session-idle", CFG_INT, "28800", 60, 604800,
      "seconds a browser session may stay idle before it expires" },
    { "portal.silent-after", CFG_INT, "120", 5, 86400,
      "dashboard: seconds (wall time) without events before a sensor is shown silent" },
    { "portal.search-url", CFG_STR, NULL, 0, 0,
      "link template to an OpenSearch/Kibana search, {ip} replaced by the address" },
    { "auth.lockout-attempts", CFG_INT, "5", 1, 1000,
      "failed logins of one user within auth.lockout-window before it is locked" },
    { "auth.lockout-address-attempts", CFG_INT, "20", 1, 100000,
      "failed logins from one client address within the window before it is locked" },
    { "auth.lockout-window", CFG_INT, "900", 10, 86400,
      "seconds over which failures are counted; a lock lasts until they age out" },
};

int portal_cfg_add_schema(struct cfg *c)
{
    return cfg_add_schema(c, portal_cfg_schema,
                          sizeof portal_cfg_schema / sizeof *portal_cfg_schema);
}

static int portal_cfg_isdir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

int portal_cfg_read(const struct cfg *c, const char *path, struct portal_cfg *out)
{
    int errors = 0;
    memset(out, 0, sizeof *out);
    out->enabled = cfg_get_bool(c, "portal.enabled");
    const char *dir = cfg_get_str(c, "portal.static-dir");
    if (dir && dir[0])
        snprintf(out->static_dir, sizeof out->static_dir, "%s", dir);
    else if (portal_cfg_isdir(PORTAL_SHARE_DIR))
        snprintf(out->static_dir, sizeof out->static_dir, "%s", PORTAL_SHARE_DIR);
    else if (portal_cfg_isdir(PORTAL_SHARE_DIR_LOCAL))
        snprintf(out->static_dir, sizeof out->static_dir, "%s", PORTAL_SHARE_DIR_LOCAL);
    else
        snprintf(out->static_dir, sizeof out->static_dir, "%s", "./correlator/portal/static");
    out->session_idle_s = (int)cfg_get_int(c, "portal.session-idle");
    out->silent_after_s = (int)cfg_get_int(c, "portal.silent-after");
    const char *url = cfg_get_str(c, "portal.search-url");
    snprintf(out->search_url, sizeof out->search_url, "%s", url ? url : "");
    if (out->search_url[0] && !strstr(out->search_url, "{ip}")) {
        log_error("cfg", "%s: portal.search-url: \"%s\" has no {ip} placeholder",
                  path ? path : "(defaults)", out->search_url);
        errors++;
    }
    out->lockout_attempts = (int)cfg_get_int(c, "auth.lockout-attempts");
    out->lockout_address_attempts = (int)cfg_get_int(c, "auth.lockout-address-attempts");
    out->lockout_window_s = (int)cfg_get_int(c, "auth.lockout-window");
    return errors;
}
