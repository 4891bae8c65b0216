/* fuzz_ingest: the correlator's batch parser (ingest/ing_eve.c) on
 * arbitrary bytes, as plain NDJSON and as a gzip stream. The first byte
 * picks the mode so one corpus covers both; small limits reach the 413
 * paths quickly. Must never crash, leak or accept a batch whose events do
 * not all carry a consistent canh identity. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ing_eve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const struct ing_limits lim = { 1 << 20, 64 * 1024, 10000 };
    bool gzip = data[0] & 1;
    const char *sensor = data[0] & 2 ? NULL : "s1";
    struct ing_error err;
    struct ing_batch *b = ing_eve_parse((const char *)data + 1, size - 1, gzip, sensor, &lim,
                                        &err);
    if (b) {
        for (size_t i = 0; i < ing_batch_count(b); i++) {
            const struct ing_event *ev = ing_batch_get(b, i);
            char want[200];
            snprintf(want, sizeof want, "%s:%lld", ev->in.sensor, (long long)ev->in.seq);
            if (strcmp(want, ev->in.canh_id) != 0 || (sensor && strcmp(ev->in.sensor, sensor)))
                abort();
        }
    } else if (err.status != 400 && err.status != 403 && err.status != 413 &&
               err.status != 500) {
        abort();
    }
    ing_batch_free(b);
    return 0;
}
