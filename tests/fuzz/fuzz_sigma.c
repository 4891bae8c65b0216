/* fuzz_sigma: the Sigma rule loader (correlate/corr_rule.c, corr_load.c) on
 * arbitrary YAML text, then the loaded rules on a few fixed EVE events so
 * matching, conditions and correlation state run too. Must never crash or
 * leak; a rule that does not parse is only counted. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "correlate/corr_engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const events[] = {
    "{\"timestamp\":\"2026-01-01T00:00:00.000000+0000\",\"event_type\":\"alert\","
    "\"src_ip\":\"10.0.0.1\",\"dest_ip\":\"2001:db8::1\",\"dest_port\":22,"
    "\"alert\":{\"severity\":1,\"signature_id\":2001},\"canh\":{\"id\":\"s:1\",\"sensor\":\"s\"}}",
    "{\"timestamp\":\"2026-01-01T00:00:30.000000+0000\",\"event_type\":\"flow\","
    "\"src_ip\":\"2001:db8::1\",\"dest_ip\":\"10.0.0.1\",\"proto\":\"TCP\",\"dest_port\":443,"
    "\"flow\":{\"bytes_toserver\":1200},\"canh\":{\"id\":\"s:2\",\"sensor\":\"t\"}}",
    "{\"timestamp\":\"2026-01-01T00:01:00.000000+0000\",\"event_type\":\"fileinfo\","
    "\"fileinfo\":{\"yara\":[{\"rule\":\"EICAR\"}],\"sha256\":\"ab\"},\"canh\":{\"id\":\"s:3\"}}",
    "{\"event_type\":\"alert\",\"src_ip\":\"10.0.0.1\",\"alert\":{\"severity\":\"1\"}}",
};

static void on_hit(const struct corr_hit *h, void *arg)
{
    size_t *n = arg;
    *n += h->nevents + (h->group_key ? strlen(h->group_key) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int nerr = 0;
    struct corr_rules *r = corr_rules_load_string("fuzz.yml", (const char *)data, size, &nerr);
    if (r == NULL)
        return 0;
    struct corr_engine *e = corr_engine_new(r);
    size_t seen = 0;
    for (int round = 0; e && round < 3; round++) {
        for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
            json_t *ev = json_loads(events[i], 0, NULL);
            if (ev != NULL && corr_engine_feed(e, ev, on_hit, &seen) < 0)
                abort(); /* every event here is an object */
            json_decref(ev);
        }
    }
    if (e)
        corr_engine_expire(e, corr_parse_time("2026-01-02T00:00:00Z"));
    corr_engine_free(e);
    corr_rules_free(r);
    return 0;
}
