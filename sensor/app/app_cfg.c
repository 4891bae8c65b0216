/* app_cfg: the alert output keys of sensor.yaml (Suricata's names under
 * outputs.eve-log.types.alert) and the typed struct app_pipe_cfg, read once
 * at start from these, the stream.* keys (stream_cfg.c) and the libhtp
 * limits (registered by det_cfg.c).
 */
#include <stddef.h>

#include "app/app.h"
#include "cfg.h"
#include "log.h"

#define HTP "app-layer.protocols.http.libhtp.default-config."

static const struct cfg_opt app_cfg_opts[] = {
    { "outputs.eve-log.types.alert.payload", CFG_BOOL, "no", 0, 0,
      "add the matched buffer, base64, to alerts (payload)" },
    { "outputs.eve-log.types.alert.payload-printable", CFG_BOOL, "no", 0, 0,
      "add the matched buffer as printable text to alerts (payload_printable)" },
    { "app-layer.max-flow-states", CFG_INT, "0", 0, 100000000,
      "app-layer records at once, whole sensor (0: flow.max-flows)" },
};

int app_cfg_schema(struct cfg *c)
{
    return cfg_add_schema(c, app_cfg_opts, sizeof(app_cfg_opts) / sizeof(app_cfg_opts[0]));
}

int app_cfg_read(const struct cfg *c, int nworkers, uint32_t max_flows, struct app_pipe_cfg *out)
{
    int errors = 0;

    if (nworkers < 1)
        nworkers = 1;
    if (stream_cfg_load(c, (unsigned)nworkers, &out->tcp) != 0)
        errors++;
    out->req_body_limit = (uint64_t)cfg_get_int(c, HTP "request-body-limit");
    out->resp_body_limit = (uint64_t)cfg_get_int(c, HTP "response-body-limit");
    out->decompress_layers = (int)cfg_get_int(c, HTP "response-body-decompress-layer-limit");
    out->alert.payload = cfg_get_bool(c, "outputs.eve-log.types.alert.payload");
    out->alert.payload_printable = cfg_get_bool(c, "outputs.eve-log.types.alert.payload-printable");
    int64_t m = cfg_get_int(c, "app-layer.max-flow-states");
    uint64_t total = m > 0 ? (uint64_t)m : max_flows;
    out->max_flow_states = (uint32_t)((total + (uint64_t)nworkers - 1) / (uint64_t)nworkers);
    if (out->max_flow_states < 16)
        out->max_flow_states = 16;
    return errors;
}
