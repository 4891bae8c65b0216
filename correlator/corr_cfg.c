/* corr_cfg: correlator.yaml: the schema table (key, type, default, bounds,
 * help) and its copy into struct corr_cfg. Paths are used as given,
 * relative to the working directory. */
#include "corr_cfg.h"

#include <stdio.h>
#include <string.h>

#include "cfg.h"
#include "log.h"

static const struct cfg_opt corr_cfg_schema[] = {
    { "listen.address", CFG_STR, "127.0.0.1", 0, 0, "address the API listens on" },
    { "listen.port", CFG_INT, "8470", 0, 65535, "TCP port (0: any free port, printed at start)" },
    { "tls.cert", CFG_STR, NULL, 0, 0, "PEM certificate chain; when set the API speaks HTTPS" },
    { "tls.key", CFG_STR, NULL, 0, 0, "PEM private key (default: tls.cert)" },
    { "data-dir", CFG_STR, "./canh-data", 0, 0, "directory of canh.db (created if missing)" },
    { "rules-dir", CFG_STR, "./rules", 0, 0, "Sigma and Sigma correlation rules" },
    { "retention.events-days", CFG_INT, "30", 0, 36500,
      "days raw events are kept (0: forever); incidents are always kept" },
    { "limits.max-body", CFG_SIZE, "16mb", 1024, (int64_t)1 << 32,
      "largest request body as sent (compressed); larger gets 413" },
    { "limits.max-decoded", CFG_SIZE, "64mb", 1024, (int64_t)1 << 34,
      "largest batch after gunzip (gzip bomb guard); larger gets 413" },
    { "limits.max-line", CFG_SIZE, "1mb", 256, (int64_t)1 << 30, "longest NDJSON line" },
    { "limits.max-events", CFG_INT, "200000", 1, 10000000, "most events in one batch" },
    { "limits.max-headers", CFG_SIZE, "16kb", 1024, 1048576, "largest request header block" },
    { "limits.timeout", CFG_INT, "60", 1, 3600, "seconds a client may take to send a request" },
    { "api.page-max", CFG_INT, "500", 1, 100000, "largest limit= of list endpoints" },
    { "api.incident-events", CFG_INT, "200", 0, 100000,
      "events returned with one incident (newest first)" },
    { "health.sensor-silent-after", CFG_INT, "30", 5, 86400,
      "seconds without a batch before a sensor is reported silent (/api/v1/sensors, /metrics)" },
    { "log.level", CFG_STR, "notice", 0, 0, "error warning notice info debug" },
    { "log.file", CFG_STR, NULL, 0, 0, "also append log lines to this file" },
};

static struct cfg *corr_cfg_open(const char *path, const char *const *sets, size_t nsets,
                                 int *errors)
{
    struct cfg *c = cfg_new();
    *errors = 0;
    if (!c || cfg_add_schema(c, corr_cfg_schema,
                             sizeof corr_cfg_schema / sizeof *corr_cfg_schema) != 0 ||
        rep_cfg_add_schema(c) != 0 || portal_cfg_add_schema(c) != 0) {
        cfg_free(c);
        *errors = 1;
        return NULL;
    }
    if (ship_outbox_cfg_schema(c) != 0) {
        cfg_free(c);
        *errors = 1;
        return NULL;
    }
    if (path)
        *errors += cfg_load_file(c, path);
    for (size_t i = 0; i < nsets; i++)
        *errors += cfg_set(c, sets[i]);
    return c;
}

static void corr_cfg_str(const struct cfg *c, const char *key, char *out, size_t cap)
{
    const char *v = cfg_get_str(c, key);
    snprintf(out, cap, "%s", v ? v : "");
}

int corr_cfg_load(const char *path, const char *const *sets, size_t nsets, struct corr_cfg *out)
{
    int errors = 0;
    struct cfg *c = corr_cfg_open(path, sets, nsets, &errors);
    if (!c)
        return errors;
    memset(out, 0, sizeof *out);
    corr_cfg_str(c, "listen.address", out->listen_address, sizeof out->listen_address);
    out->listen_port = (int)cfg_get_int(c, "listen.port");
    corr_cfg_str(c, "tls.cert", out->tls_cert, sizeof out->tls_cert);
    corr_cfg_str(c, "tls.key", out->tls_key, sizeof out->tls_key);
    corr_cfg_str(c, "data-dir", out->data_dir, sizeof out->data_dir);
    corr_cfg_str(c, "rules-dir", out->rules_dir, sizeof out->rules_dir);
    out->retention_days = (int)cfg_get_int(c, "retention.events-days");
    out->max_body = (size_t)cfg_get_int(c, "limits.max-body");
    out->max_decoded = (size_t)cfg_get_int(c, "limits.max-decoded");
    out->max_line = (size_t)cfg_get_int(c, "limits.max-line");
    out->max_events = (size_t)cfg_get_int(c, "limits.max-events");
    out->max_headers = (size_t)cfg_get_int(c, "limits.max-headers");
    out->timeout_s = (int)cfg_get_int(c, "limits.timeout");
    out->page_max = (int)cfg_get_int(c, "api.page-max");
    out->incident_events = (int)cfg_get_int(c, "api.incident-events");
    out->sensor_silent_s = (int)cfg_get_int(c, "health.sensor-silent-after");
    corr_cfg_str(c, "log.level", out->log_level, sizeof out->log_level);
    corr_cfg_str(c, "log.file", out->log_file, sizeof out->log_file);
    if (log_level_parse(out->log_level) < 0) {
        log_error("cfg", "%s: log.level: \"%s\" is not one of error warning notice info debug",
                  path ? path : "(defaults)", out->log_level);
        errors++;
    }
    if (out->tls_key[0] && !out->tls_cert[0]) {
        log_error("cfg", "%s: tls.key is set but tls.cert is not", path ? path : "(defaults)");
        errors++;
    }
    errors += rep_cfg_read(c, path, &out->report);
    errors += portal_cfg_read(c, path, &out->portal);
    errors += ship_outbox_cfg_read(c, path, &out->es);
    if (!out->data_dir[0]) {
        log_error("cfg", "%s: data-dir must not be empty", path ? path : "(defaults)");
        errors++;
    }
    cfg_free(c);
    return errors;
}

int corr_cfg_dump(const char *path, const char *const *sets, size_t nsets)
{
    int errors = 0;
    struct cfg *c = corr_cfg_open(path, sets, nsets, &errors);
    if (c)
        cfg_dump(c, stdout);
    cfg_free(c);
    return errors;
}
