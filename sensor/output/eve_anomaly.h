/* eve_anomaly: EVE `anomaly` records for decode events (malformed or odd
 * packets), rate-limited per worker and per reason on packet time so a
 * flood of bad packets cannot flood EVE: at most `per_sec` records per
 * reason per second; the rest are only counted (suppressed).
 */
#ifndef CANH_EVE_ANOMALY_H
#define CANH_EVE_ANOMALY_H

#include <stdint.h>

#include "decode/decode.h"
#include "output/eve_writer.h"

struct eve_anomaly {
    uint32_t per_sec;
    int64_t sec[DEC_EV_MAX];
    uint32_t count[DEC_EV_MAX];
    uint64_t logged, suppressed;
};

void eve_anomaly_init(struct eve_anomaly *a, uint32_t per_sec);
/* Log p's event (p->event != DEC_EV_NONE) unless rate-limited. f may be NULL.
 * Returns 1 if a record was written, 0 if suppressed or dropped. */
int eve_anomaly_log(struct eve_anomaly *a, struct eve_out *o, const struct packet *p,
                    const struct flow *f);

#endif
