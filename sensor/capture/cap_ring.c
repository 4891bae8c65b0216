/* cap_ring: SPSC byte ring (see cap_ring.h). head and tail are byte counts
 * that only grow; position = count % cap. The producer publishes head with
 * release order after copying, the consumer publishes tail with release
 * order after reading, so each side sees the other's bytes complete.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capture/cap_ring.h"

#define CAP_RING_PAD 0xffffffffu

struct cap_ring {
    uint8_t *buf;
    size_t cap;
    _Alignas(64) _Atomic uint64_t head;
    _Alignas(64) _Atomic uint64_t tail;
    _Alignas(64) _Atomic int sleeping;
    pthread_mutex_t lock;
    pthread_cond_t cond;
};

struct cap_ring *cap_ring_new(size_t bytes)
{
    struct cap_ring *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    r->cap = (bytes + 7) & ~(size_t)7;
    r->buf = aligned_alloc(64, (r->cap + 63) & ~(size_t)63);
    if (r->buf == NULL) {
        free(r);
        return NULL;
    }
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    return r;
}

void cap_ring_free(struct cap_ring *r)
{
    if (r == NULL)
        return;
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cond);
    free(r->buf);
    free(r);
}

int cap_ring_put(struct cap_ring *r, enum cap_ring_kind kind, struct timeval ts,
                 const uint8_t *data, uint32_t caplen, uint32_t len, bool wait)
{
    size_t need = (sizeof(struct cap_ring_rec) + caplen + 7) & ~(size_t)7;
    uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t pos = head % r->cap;
    size_t pad = pos + need > r->cap ? r->cap - pos : 0;
    struct cap_ring_rec *rec;

    if (need + pad > r->cap)
        return -1;
    while (r->cap - (head - atomic_load_explicit(&r->tail, memory_order_acquire)) < need + pad) {
        if (!wait)
            return -1;
        sched_yield();
    }
    if (pad) {
        memcpy(r->buf + pos, &(uint32_t){ CAP_RING_PAD }, sizeof(uint32_t));
        head += pad;
        pos = 0;
    }
    rec = (struct cap_ring_rec *)(r->buf + pos);
    rec->size = (uint32_t)need;
    rec->kind = kind;
    rec->ts = ts;
    rec->caplen = caplen;
    rec->len = len;
    if (caplen)
        memcpy(rec + 1, data, caplen);
    atomic_store_explicit(&r->head, head + need, memory_order_seq_cst);
    if (atomic_load_explicit(&r->sleeping, memory_order_seq_cst)) {
        pthread_mutex_lock(&r->lock);
        pthread_cond_signal(&r->cond);
        pthread_mutex_unlock(&r->lock);
    }
    return 0;
}

const struct cap_ring_rec *cap_ring_get(struct cap_ring *r)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

    for (;;) {
        uint64_t head = atomic_load_explicit(&r->head, memory_order_acquire);
        if (head != tail) {
            size_t pos = tail % r->cap;
            uint32_t size;
            memcpy(&size, r->buf + pos, sizeof(size));
            if (size == CAP_RING_PAD) {
                tail += r->cap - pos;
                atomic_store_explicit(&r->tail, tail, memory_order_release);
                continue;
            }
            return (const struct cap_ring_rec *)(r->buf + pos);
        }
        /* Empty: spin briefly, then sleep until the producer signals (with
         * a timeout as a safety net). */
        for (int i = 0; i < 64 && atomic_load_explicit(&r->head, memory_order_acquire) == tail; i++)
            sched_yield();
        if (atomic_load_explicit(&r->head, memory_order_acquire) != tail)
            continue;
        pthread_mutex_lock(&r->lock);
        atomic_store_explicit(&r->sleeping, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&r->head, memory_order_seq_cst) == tail) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 10 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&r->cond, &r->lock, &ts);
        }
        atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
        pthread_mutex_unlock(&r->lock);
    }
}

void cap_ring_release(struct cap_ring *r, const struct cap_ring_rec *rec)
{
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);

    atomic_store_explicit(&r->tail, tail + rec->size, memory_order_release);
}
