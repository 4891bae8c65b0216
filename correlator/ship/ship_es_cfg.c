/* ship_es_cfg: the `elasticsearch` section of correlator.yaml (schema table
 * and its copy into struct ship_es_cfg). Start-up only. Defaults match
 * ship_es_cfg_defaults(); TLS verification is on unless turned off.
 */
#include "ship/ship_es.h"

#include <string.h>

#include "cfg.h"
#include "log.h"

static const struct cfg_opt ship_es_cfg_opts[] = {
    { "elasticsearch.enabled", CFG_BOOL, "no", 0, 0, "ship events and incidents to Elasticsearch/OpenSearch" },
    { "elasticsearch.url", CFG_STR, NULL, 0, 0, "cluster URL, e.g. https://es.example:9200" },
    { "elasticsearch.username", CFG_STR, NULL, 0, 0, "basic auth user (with password)" },
    { "elasticsearch.password", CFG_STR, NULL, 0, 0, "basic auth password" },
    { "elasticsearch.api-key", CFG_STR, NULL, 0, 0, "API key (base64 id:key), sent as Authorization: ApiKey" },
    { "elasticsearch.ca-file", CFG_STR, NULL, 0, 0, "PEM CA bundle to verify the cluster (default: system store)" },
    { "elasticsearch.verify-tls", CFG_BOOL, "yes", 0, 0, "verify the cluster's certificate and host name" },
    { "elasticsearch.gzip", CFG_BOOL, "yes", 0, 0, "gzip request bodies" },
    { "elasticsearch.batch-docs", CFG_INT, "2000", 1, 100000, "documents per _bulk request at most" },
    { "elasticsearch.batch-size", CFG_SIZE, "4mb", 1024, (int64_t)1 << 30,
      "NDJSON bytes per _bulk request at most (before gzip)" },
    { "elasticsearch.flush-interval", CFG_INT, "1000", 1, 600000,
      "ms a partial batch waits before it is sent" },
    { "elasticsearch.max-inflight", CFG_INT, "1", 1, 64,
      "concurrent _bulk requests (1 keeps documents in order per index)" },
    { "elasticsearch.timeout", CFG_INT, "30000", 100, 3600000, "ms one request may take" },
    { "elasticsearch.retry-min", CFG_INT, "200", 1, 3600000, "ms of the first back-off after a failure" },
    { "elasticsearch.retry-max", CFG_INT, "30000", 1, 3600000, "ms of the longest back-off" },
    { "elasticsearch.queue-max-size", CFG_SIZE, "256mb", 4096, (int64_t)1 << 40,
      "memory for documents waiting or in flight; past it they wait in the outbox" },
    { "elasticsearch.index.events", CFG_STR, "canh-events-%Y.%m.%d", 0, 0,
      "events index, strftime pattern on the event time (UTC)" },
    { "elasticsearch.index.incidents", CFG_STR, "canh-incidents", 0, 0, "incidents index (strftime pattern)" },
    { "elasticsearch.templates-dir", CFG_STR, "deploy/elasticsearch", 0, 0,
      "index templates installed at start when missing or older (empty: do not install)" },
};

int ship_es_cfg_schema(struct cfg *c)
{
    return cfg_add_schema(c, ship_es_cfg_opts, sizeof(ship_es_cfg_opts) / sizeof(*ship_es_cfg_opts));
}

int ship_es_cfg_load(const struct cfg *c, struct ship_es_cfg *out)
{
    ship_es_cfg_defaults(out);
    if (!cfg_get_bool(c, "elasticsearch.enabled"))
        return 0;
    out->url = cfg_get_str(c, "elasticsearch.url");
    if (!out->url || (strncmp(out->url, "http://", 7) != 0 && strncmp(out->url, "https://", 8) != 0)) {
        log_error("ship_es", "elasticsearch.url: \"%s\" must be an http:// or https:// URL "
                  "when elasticsearch.enabled is on", out->url ? out->url : "");
        out->url = NULL;
        return SHIP_ES_ERR_INVAL;
    }
    out->username = cfg_get_str(c, "elasticsearch.username");
    out->password = cfg_get_str(c, "elasticsearch.password");
    out->api_key = cfg_get_str(c, "elasticsearch.api-key");
    if (out->username && out->api_key) {
        log_error("ship_es", "elasticsearch: set username/password or api-key, not both");
        return SHIP_ES_ERR_INVAL;
    }
    out->ca_file = cfg_get_str(c, "elasticsearch.ca-file");
    out->verify_tls = cfg_get_bool(c, "elasticsearch.verify-tls");
    if (!out->verify_tls)
        log_warning("ship_es", "elasticsearch.verify-tls is off: the cluster's identity is not checked");
    out->gzip = cfg_get_bool(c, "elasticsearch.gzip");
    out->batch_docs = (uint32_t)cfg_get_int(c, "elasticsearch.batch-docs");
    out->batch_bytes = (uint32_t)cfg_get_int(c, "elasticsearch.batch-size");
    out->flush_ms = (uint32_t)cfg_get_int(c, "elasticsearch.flush-interval");
    out->max_inflight = (uint32_t)cfg_get_int(c, "elasticsearch.max-inflight");
    out->timeout_ms = (uint32_t)cfg_get_int(c, "elasticsearch.timeout");
    out->retry_min_ms = (uint32_t)cfg_get_int(c, "elasticsearch.retry-min");
    out->retry_max_ms = (uint32_t)cfg_get_int(c, "elasticsearch.retry-max");
    if (out->retry_max_ms < out->retry_min_ms) {
        log_error("ship_es", "elasticsearch.retry-max (%u) is below retry-min (%u)",
                  out->retry_max_ms, out->retry_min_ms);
        return SHIP_ES_ERR_INVAL;
    }
    out->queue_max_bytes = (uint64_t)cfg_get_int(c, "elasticsearch.queue-max-size");
    out->index_events = cfg_get_str(c, "elasticsearch.index.events");
    out->index_incidents = cfg_get_str(c, "elasticsearch.index.incidents");
    const char *td = cfg_get_str(c, "elasticsearch.templates-dir");
    out->templates_dir = td && *td ? td : NULL;
    return 0;
}
