/* ship_outbox_cfg: the `elasticsearch` section of correlator.yaml as the
 * daemon keeps it. ship_es_cfg.c owns the shipper's keys; this adds the
 * outbox's own (outbox-window) and copies every string, since the parsed
 * config is freed once start-up is over. Start-up only.
 */
#include "ship/ship_outbox.h"

#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "log.h"

static const struct cfg_opt ship_outbox_cfg_opts[] = {
    { "elasticsearch.outbox-window", CFG_INT, "20000", 100, 10000000,
      "events read from the store and not yet delivered, at most (the rest wait in the store)" },
};

int ship_outbox_cfg_schema(struct cfg *c)
{
    if (ship_es_cfg_schema(c) != 0)
        return -1;
    return cfg_add_schema(c, ship_outbox_cfg_opts,
                          sizeof ship_outbox_cfg_opts / sizeof *ship_outbox_cfg_opts);
}

/* Copy s into out; 1 when it did not fit (an error for the caller). */
static int ship_outbox_cfg_copy(char *out, size_t cap, const char *s, const char *path,
                                const char *key)
{
    int n = snprintf(out, cap, "%s", s ? s : "");
    if (n >= 0 && (size_t)n < cap)
        return 0;
    log_error("cfg", "%s: elasticsearch.%s: longer than %zu bytes", path, key, cap - 1);
    out[0] = '\0';
    return 1;
}

int ship_outbox_cfg_read(const struct cfg *c, const char *path, struct ship_outbox_cfg *out)
{
    struct ship_es_cfg es;
    int errors = 0;
    const char *p = path ? path : "(defaults)";
    memset(out, 0, sizeof *out);
    if (ship_es_cfg_load(c, &es) != 0)
        return 1;
    out->enabled = es.url != NULL;
    out->window = (uint32_t)cfg_get_int(c, "elasticsearch.outbox-window");
    errors += ship_outbox_cfg_copy(out->url, sizeof out->url, es.url, p, "url");
    errors += ship_outbox_cfg_copy(out->username, sizeof out->username, es.username, p,
                                   "username");
    errors += ship_outbox_cfg_copy(out->password, sizeof out->password, es.password, p,
                                   "password");
    errors += ship_outbox_cfg_copy(out->api_key, sizeof out->api_key, es.api_key, p, "api-key");
    errors += ship_outbox_cfg_copy(out->ca_file, sizeof out->ca_file, es.ca_file, p, "ca-file");
    errors += ship_outbox_cfg_copy(out->index_events, sizeof out->index_events, es.index_events,
                                   p, "index.events");
    errors += ship_outbox_cfg_copy(out->index_incidents, sizeof out->index_incidents,
                                   es.index_incidents, p, "index.incidents");
    errors += ship_outbox_cfg_copy(out->templates_dir, sizeof out->templates_dir,
                                   es.templates_dir, p, "templates-dir");
    if (out->username[0] && !out->password[0]) {
        log_error("cfg", "%s: elasticsearch.username is set but elasticsearch.password is not",
                  p);
        errors++;
    }
    /* Numbers and flags stay; the strings are re-pointed by ship_outbox_cfg_es(). */
    out->es = es;
    out->es.url = out->es.username = out->es.password = out->es.api_key = NULL;
    out->es.ca_file = out->es.index_events = out->es.index_incidents = NULL;
    out->es.templates_dir = NULL;
    return errors;
}

static const char *ship_outbox_cfg_or_null(const char *s)
{
    return s[0] ? s : NULL;
}

void ship_outbox_cfg_es(const struct ship_outbox_cfg *oc, struct ship_es_cfg *out)
{
    *out = oc->es;
    out->url = ship_outbox_cfg_or_null(oc->url);
    out->username = ship_outbox_cfg_or_null(oc->username);
    out->password = ship_outbox_cfg_or_null(oc->password);
    out->api_key = ship_outbox_cfg_or_null(oc->api_key);
    out->ca_file = ship_outbox_cfg_or_null(oc->ca_file);
    out->index_events = oc->index_events[0] ? oc->index_events : "canh-events-%Y.%m.%d";
    out->index_incidents = oc->index_incidents[0] ? oc->index_incidents : "canh-incidents";
    out->templates_dir = ship_outbox_cfg_or_null(oc->templates_dir);
}
