/* app_pool: fixed-size per-flow slots for one worker's app pipe (the app
 * record of every flow, the TLS record of TLS flows), carved from slabs of
 * APP_POOL_SLAB_BYTES and handed out from a LIFO free list, as the flow
 * table and sensor/classify's nDPI pool do (and the TLS handshake state
 * while a handshake is parsed). A slab is allocated only when
 * the free list is empty and the cap allows, never per packet; slots are
 * never given back to malloc one by one: app_pool_fini frees whole slabs
 * (a few hundred calls at the end of a run instead of one per flow). One
 * pool per pipe, used on its worker's thread only: no lock.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app_private.h"

/* Under glibc's default mmap threshold (128 KB) so that a slab comes from
 * the worker's heap (main.c raises the threshold, this keeps it true anyway). */
#define APP_POOL_SLAB_BYTES (96u << 10)

struct app_pool_slab {
    struct app_pool_slab *next;
    uint32_t n;                 /* slots carved from it */
    uint32_t pad;
    /* the slots follow, each APP_POOL_ALIGN-aligned */
};

#define APP_POOL_ALIGN 16u

void app_pool_init(struct app_pool *p, size_t slot_size, size_t zero_size, uint32_t max)
{
    size_t sz = slot_size < sizeof(void *) ? sizeof(void *) : slot_size;

    memset(p, 0, sizeof(*p));
    p->slot_size = (sz + APP_POOL_ALIGN - 1) & ~(size_t)(APP_POOL_ALIGN - 1);
    p->zero_size = zero_size < slot_size ? zero_size : slot_size;
    p->max = max;
    p->per_slab = (uint32_t)((APP_POOL_SLAB_BYTES - sizeof(struct app_pool_slab)) / p->slot_size);
    if (p->per_slab == 0)
        p->per_slab = 1;
}

/* A new slab of at most per_slab slots (fewer when the cap is near); 0 or -1. */
static int app_pool_grow(struct app_pool *p)
{
    uint32_t n = p->max - p->allocated < p->per_slab ? p->max - p->allocated : p->per_slab;
    struct app_pool_slab *s;
    uint8_t *base;

    if (n == 0)
        return -1;
    s = malloc(sizeof(*s) + (size_t)n * p->slot_size);
    if (s == NULL)
        return -1;
    s->n = n;
    s->next = p->slabs;
    p->slabs = s;
    base = (uint8_t *)(s + 1);
    for (uint32_t i = n; i-- > 0;) {   /* lowest address first out: the slab fills in order */
        void **slot = (void **)(base + (size_t)i * p->slot_size);
        *slot = p->free_list;
        p->free_list = slot;
    }
    p->allocated += n;
    p->bytes += sizeof(*s) + (size_t)n * p->slot_size;
    return 0;
}

void *app_pool_get(struct app_pool *p)
{
    void **slot;

    if (p->free_list == NULL && app_pool_grow(p) != 0)
        return NULL;
    slot = p->free_list;
    p->free_list = *slot;
    p->in_use++;
    if (p->zero_size > 0)
        memset(slot, 0, p->zero_size);
    return slot;
}

void app_pool_put(struct app_pool *p, void *obj)
{
    void **slot = obj;

    if (obj == NULL)
        return;
    *slot = p->free_list;
    p->free_list = slot;
    p->in_use--;
}

void app_pool_fini(struct app_pool *p)
{
    while (p->slabs != NULL) {
        struct app_pool_slab *s = p->slabs;
        p->slabs = s->next;
        free(s);
    }
    p->free_list = NULL;
    p->allocated = p->in_use = 0;
    p->bytes = 0;
}
