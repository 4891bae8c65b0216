/* det_arena: the bump allocator one rule-set load uses for everything it
 * builds (rules, patterns, address sets), freed whole when the engine goes.
 * Not thread-safe: only the loading thread allocates; workers only read.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/det_private.h"

#define DET_ARENA_BLK (256u * 1024u)

struct det_arena_blk {
    struct det_arena_blk *next;
    size_t cap, used;
    _Alignas(16) unsigned char data[];
};

void *det_arena_alloc(struct det_arena *a, size_t n)
{
    n = (n + 15u) & ~(size_t)15u;
    struct det_arena_blk *b = a->head;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > DET_ARENA_BLK / 4 ? n : DET_ARENA_BLK;
        b = malloc(sizeof(*b) + cap);
        if (b == NULL)
            return NULL;
        b->cap = cap;
        b->used = 0;
        if (a->head != NULL && cap != DET_ARENA_BLK) {
            /* a big one-off block goes behind the current one, which keeps filling */
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_total += n;
    memset(p, 0, n);
    return p;
}

char *det_arena_strndup(struct det_arena *a, const char *s, size_t n)
{
    char *d = det_arena_alloc(a, n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

void det_arena_free(struct det_arena *a)
{
    if (a == NULL)
        return;
    struct det_arena_blk *b = a->head;
    while (b != NULL) {
        struct det_arena_blk *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used_total = 0;
}
