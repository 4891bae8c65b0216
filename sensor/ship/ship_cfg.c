/* ship_cfg: the outputs.correlator section of sensor.yaml (schema + typed load).
 *
 * Start-up only. The schema gives every key its type, default and bounds;
 * ship_cfg_load() adds the checks a schema cannot express (url scheme,
 * a token when enabled) and returns borrowed strings from the cfg.
 */
#include "ship/ship.h"

#include <string.h>

#include "cfg.h"
#include "log.h"

#define MOD "ship"
#define K(x) "outputs.correlator." x

static const struct cfg_opt ship_cfg_opts[] = {
    { K("enabled"), CFG_BOOL, "no", 0, 0, "ship every EVE event to the correlator" },
    { K("url"), CFG_STR, NULL, 0, 0,
      "correlator base URL, https://host:port (/api/v1/events is added)" },
    { K("token"), CFG_STR, NULL, 0, 0, "this sensor's bearer token (ingest scope)" },
    { K("ca-file"), CFG_STR, NULL, 0, 0, "PEM CA bundle for the correlator's certificate" },
    { K("spool-dir"), CFG_STR, "/var/lib/canh/spool", 0, 0,
      "durable spool of events not yet acknowledged by the correlator" },
    { K("spool-max-size"), CFG_SIZE, "1gb", 1 << 20, (int64_t)1 << 42,
      "spool bound; above 90% non-alert events are dropped, at 100% alerts too" },
    { K("batch-events"), CFG_INT, "1000", 1, 100000, "most events per POST" },
    { K("batch-size"), CFG_SIZE, "1mb", 4096, 64 << 20,
      "most uncompressed bytes per POST (also the longest event kept)" },
    { K("flush-interval"), CFG_INT, "200", 1, 60000,
      "milliseconds between spool fsyncs (group commit)" },
    { K("verify-tls"), CFG_BOOL, "yes", 0, 0, "verify the correlator's certificate" },
};

void ship_cfg_schema(struct cfg *c)
{
    cfg_add_schema(c, ship_cfg_opts, sizeof(ship_cfg_opts) / sizeof(ship_cfg_opts[0]));
}

int ship_cfg_load(const struct cfg *c, struct ship_cfg *out)
{
    int rc = 0;
    memset(out, 0, sizeof(*out));
    if (!cfg_get_bool(c, K("enabled")))
        return 0;
    const char *url = cfg_get_str(c, K("url"));
    const char *token = cfg_get_str(c, K("token"));
    if (url == NULL || (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)) {
        log_error(MOD, "outputs.correlator.url: \"%s\" is not an http(s) URL (e.g. "
                  "https://correlator.example:8443)", url != NULL ? url : "");
        rc = SHIP_ERR_INVAL;
    }
    if (token == NULL || token[0] == '\0') {
        log_error(MOD, "outputs.correlator.token: required when the correlator output is "
                  "enabled (the sensor token issued by the correlator)");
        rc = SHIP_ERR_INVAL;
    }
    if (rc != 0)
        return rc;
    out->url = url;
    out->token = token;
    out->ca_file = cfg_get_str(c, K("ca-file"));
    out->spool_dir = cfg_get_str(c, K("spool-dir"));
    out->spool_max_bytes = (uint64_t)cfg_get_int(c, K("spool-max-size"));
    out->batch_max_events = (uint32_t)cfg_get_int(c, K("batch-events"));
    out->batch_max_bytes = (uint32_t)cfg_get_int(c, K("batch-size"));
    out->flush_ms = (uint32_t)cfg_get_int(c, K("flush-interval"));
    out->verify_tls = cfg_get_bool(c, K("verify-tls"));
    return 0;
}
