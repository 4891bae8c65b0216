/* corr_cfg: the schema of correlator.yaml and the typed settings the
 * correlator runs with. Every key, its default and bounds are listed in
 * corr_cfg.c and documented in deploy/correlator.yaml. Start-up only.
 */
#ifndef CANH_CORR_CFG_H
#define CANH_CORR_CFG_H

#include <stddef.h>
#include <stdint.h>

#include "portal/portal_cfg.h"
#include "report/rep_cfg.h"
#include "ship/ship_outbox.h"

struct corr_cfg {
    char listen_address[64];
    int listen_port;
    char tls_cert[512], tls_key[512]; /* "" = plain HTTP */
    char data_dir[512];
    char rules_dir[512];
    int retention_days;               /* 0 = keep raw events forever */
    size_t max_body, max_decoded, max_line, max_events, max_headers;
    int timeout_s;
    int page_max, incident_events;
    int sensor_silent_s;              /* health.sensor-silent-after */
    char log_level[16];
    char log_file[512];               /* "" = stderr only */
    struct rep_cfg report;            /* report.* (correlator/report/rep_cfg.c) */
    struct portal_cfg portal;         /* portal.*, auth.* (correlator/portal/portal_cfg.c) */
    struct ship_outbox_cfg es;        /* elasticsearch.* (correlator/ship/ship_outbox_cfg.c) */
};

/* Load path (NULL: built-in defaults only), apply each "key=value" of sets,
 * and fill *out. Returns the number of errors (each already logged with
 * file:line:col and key path). */
int corr_cfg_load(const char *path, const char *const *sets, size_t nsets,
                  struct corr_cfg *out);

/* Print every key with its effective value and help (-T --dump). */
int corr_cfg_dump(const char *path, const char *const *sets, size_t nsets);

#endif
