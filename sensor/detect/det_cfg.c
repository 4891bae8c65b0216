/* det_cfg: the detect part of sensor.yaml, with Suricata's key names:
 * vars (address and port groups), rule files and paths, classification,
 * reference and threshold files, the Hyperscan cache, the libhtp body
 * limits, and mpm-algo/spm-algo (accepted and ignored: Hyperscan always).
 */
#include <stddef.h>

#include "cfg.h"
#include "detect/detect.h"

#define HTP "app-layer.protocols.http.libhtp.default-config."

static const struct cfg_opt det_cfg_opts[] = {
    { "vars.address-groups.*", CFG_STR, NULL, 0, 0, "address variable, e.g. HOME_NET: \"[10.0.0.0/8]\"" },
    { "vars.port-groups.*", CFG_STR, NULL, 0, 0, "port variable, e.g. HTTP_PORTS: \"[80,8080]\"" },
    { "default-rule-path", CFG_STR, "/etc/canh/rules", 0, 0, "directory relative rule-files are in" },
    { "rule-files", CFG_LIST, NULL, 0, 0, "rule files to load (Suricata syntax)" },
    { "classification-file", CFG_STR, "/etc/canh/classification.config", 0, 0, "classtype names and priorities" },
    { "reference-config-file", CFG_STR, "/etc/canh/reference.config", 0, 0, "reference types" },
    { "threshold-file", CFG_STR, "/etc/canh/threshold.config", 0, 0, "thresholds and suppressions" },
    { "detect.sgh-mpm-caching", CFG_BOOL, "yes", 0, 0, "cache compiled Hyperscan databases on disk" },
    { "detect.sgh-mpm-caching-path", CFG_STR, "/var/lib/canh/cache/sgh", 0, 0, "Hyperscan cache directory" },
    { "detect.inspection-recursion-limit", CFG_INT, "3000", 0, 1000000, "accepted; the limit is per list" },
    { HTP "request-body-limit", CFG_SIZE, "100kb", 0, 1LL << 30, "HTTP request body bytes inspected" },
    { HTP "response-body-limit", CFG_SIZE, "100kb", 0, 1LL << 30, "HTTP response body bytes inspected" },
    { HTP "response-body-decompress-layer-limit", CFG_INT, "2", 0, 16, "nested Content-Encoding layers decoded" },
    { "mpm-algo", CFG_STR, "hs", 0, 0, "accepted and ignored: Hyperscan is the matcher" },
    { "spm-algo", CFG_STR, "hs", 0, 0, "accepted and ignored" },
};

int det_cfg_schema(struct cfg *c)
{
    return cfg_add_schema(c, det_cfg_opts, sizeof(det_cfg_opts) / sizeof(det_cfg_opts[0]));
}
