/* fuzz_cfg: the YAML config loader (common/cfg.c) on arbitrary text against
 * a schema of every value type and a wildcard, then every getter and
 * cfg_dump, so a hostile or broken sensor.yaml can only produce errors. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cfg.h"
#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct cfg_opt fuzz_cfg_opts[] = {
    { "max-flows", CFG_INT, "65536", 1, 100000000, "" },
    { "flow.memcap", CFG_SIZE, "128mb", 0, 0, "" },
    { "stream.midstream", CFG_BOOL, "no", 0, 0, "" },
    { "sensor-id", CFG_STR, NULL, 0, 0, "" },
    { "rule-files", CFG_LIST, NULL, 0, 0, "" },
    { "vars.address-groups.*", CFG_STR, NULL, 0, 0, "" },
    { "outputs.*.eve-log.enabled", CFG_BOOL, "yes", 0, 0, "" },
};

static void fuzz_cfg_each(const char *key, const char *value, void *arg)
{
    size_t *n = arg;
    *n += (key[0] != '\0') + (value != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *devnull;
    if (devnull == NULL) {
        log_set_level(LOG_LVL_NONE);
        devnull = fopen("/dev/null", "w");
    }
    struct cfg *c = cfg_new();
    if (c == NULL)
        return 0;
    cfg_add_schema(c, fuzz_cfg_opts, sizeof(fuzz_cfg_opts) / sizeof(fuzz_cfg_opts[0]));
    cfg_load_string(c, "fuzz.yaml", (const char *)data, size);
    /* the same bytes as a --set assignment */
    char set[256];
    size_t n = size < sizeof(set) - 1 ? size : sizeof(set) - 1;
    for (size_t i = 0; i < n; i++)
        set[i] = data[i] != '\0' ? (char)data[i] : '=';
    set[n] = '\0';
    cfg_set(c, set);
    size_t seen = 0;
    seen += (size_t)cfg_get_int(c, "max-flows") & 1;
    seen += (size_t)cfg_get_int(c, "flow.memcap") & 1;
    seen += cfg_get_bool(c, "stream.midstream");
    seen += cfg_get_str(c, "sensor-id") != NULL;
    const char *const *items;
    seen += cfg_get_list(c, "rule-files", &items);
    cfg_each(c, "vars.address-groups.*", fuzz_cfg_each, &seen);
    cfg_each(c, "outputs.*.eve-log.enabled", fuzz_cfg_each, &seen);
    if (devnull != NULL)
        cfg_dump(c, devnull);
    cfg_free(c);
    return seen == (size_t)-1;
}
