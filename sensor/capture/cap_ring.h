/* cap_ring: single-producer single-consumer byte ring carrying captured
 * frames from the capture thread to one worker, copied into preallocated
 * space (no allocation per packet). Records are 8-byte aligned; a record
 * never wraps (a pad marker skips the tail end). The consumer sleeps on a
 * condition variable only when the ring is empty, so the producer takes
 * the mutex only to wake a sleeping consumer.
 */
#ifndef CANH_CAP_RING_H
#define CANH_CAP_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/time.h>

enum cap_ring_kind {
    CAP_RING_PACKET = 0,
    CAP_RING_TICK,        /* time advanced to ts: expire flows, flush output */
    CAP_RING_END,         /* no more records: the consumer finishes */
};

struct cap_ring_rec {
    uint32_t size;        /* whole record, header included, 8-aligned */
    uint32_t kind;        /* enum cap_ring_kind */
    struct timeval ts;
    uint32_t caplen, len;
    /* caplen bytes of frame follow */
};

struct cap_ring;

/* bytes: capacity (rounded up to 8). NULL on failure. */
struct cap_ring *cap_ring_new(size_t bytes);
void cap_ring_free(struct cap_ring *r);

/* Producer. Returns 0, or -1 when there is no room and wait is false (the
 * record is not queued). With wait, blocks (yielding) until there is room. */
int cap_ring_put(struct cap_ring *r, enum cap_ring_kind kind, struct timeval ts,
                 const uint8_t *data, uint32_t caplen, uint32_t len, bool wait);

/* Consumer: the next record (blocking while empty), valid until
 * cap_ring_release(). */
const struct cap_ring_rec *cap_ring_get(struct cap_ring *r);
void cap_ring_release(struct cap_ring *r, const struct cap_ring_rec *rec);

static inline const uint8_t *cap_ring_data(const struct cap_ring_rec *rec)
{
    return (const uint8_t *)(rec + 1);
}

#endif
