/* Unit tests of the app pipe's per-flow slot pool (sensor/app/app_pool.c):
 * the cap, zeroed slots, reuse before growth, slab accounting, and a pool
 * that is used again after app_pool_fini.
 */
#include <stdlib.h>
#include <string.h>

#include "app/app_private.h"
#include "../runner.h"

struct rec {
    uint64_t a, b;
    char text[170];
};

TEST(app_pool_cap_and_zeroed_slots)
{
    struct app_pool p;
    struct rec *r[100];
    int got = 0;

    app_pool_init(&p, sizeof(struct rec), sizeof(struct rec), 100);
    for (int i = 0; i < 100; i++) {
        r[i] = app_pool_get(&p);
        CHECK(r[i] != NULL);
        if (r[i] == NULL)
            continue;
        got++;
        CHECK(r[i]->a == 0 && r[i]->b == 0 && r[i]->text[169] == 0);
        CHECK(((uintptr_t)r[i] & 15) == 0);
        memset(r[i], 0xab, sizeof(*r[i]));
    }
    CHECK_EQ_INT(got, 100);
    CHECK(app_pool_get(&p) == NULL);     /* the cap */
    CHECK_EQ_INT(p.allocated, 100);
    CHECK_EQ_INT(p.in_use, 100);
    /* distinct, non-overlapping slots */
    for (int i = 0; i < 100; i++)
        for (int j = i + 1; j < 100; j++)
            CHECK((char *)r[i] + sizeof(struct rec) <= (char *)r[j] ||
                  (char *)r[j] + sizeof(struct rec) <= (char *)r[i]);
    app_pool_put(&p, r[42]);
    struct rec *again = app_pool_get(&p);
    CHECK(again == r[42]);               /* reused, not a new slab */
    CHECK(again->a == 0 && again->text[0] == 0 && again->text[169] == 0);
    CHECK_EQ_INT(p.allocated, 100);
    app_pool_fini(&p);
    CHECK(p.bytes == 0 && p.in_use == 0);
}

TEST(app_pool_grows_in_slabs)
{
    struct app_pool p;
    uint32_t n = 5000;
    void **v = calloc(n, sizeof(*v));

    app_pool_init(&p, 176, 176, n);
    CHECK(p.bytes == 0 && p.allocated == 0);
    void *first = app_pool_get(&p);
    CHECK(first != NULL);
    CHECK(p.allocated == p.per_slab);    /* one slab carved, not one slot */
    CHECK(p.per_slab > 100 && p.per_slab < n);
    CHECK(p.bytes >= (uint64_t)p.per_slab * 176);
    app_pool_put(&p, first);
    for (uint32_t i = 0; i < n; i++)
        v[i] = app_pool_get(&p);
    CHECK(v[n - 1] != NULL);
    CHECK_EQ_INT(p.allocated, n);        /* the last slab is cut to the cap */
    CHECK(app_pool_get(&p) == NULL);
    uint64_t bytes = p.bytes;
    for (uint32_t i = 0; i < n; i++)
        app_pool_put(&p, v[i]);
    CHECK_EQ_INT(p.in_use, 0);
    for (uint32_t i = 0; i < n; i++)
        v[i] = app_pool_get(&p);
    CHECK(p.bytes == bytes);             /* all reused */
    app_pool_fini(&p);
    /* usable again after fini */
    CHECK(app_pool_get(&p) != NULL);
    CHECK(p.allocated == p.per_slab);
    app_pool_fini(&p);
    free(v);
}

TEST(app_pool_tiny_slots_hold_a_link)
{
    struct app_pool p;

    app_pool_init(&p, 1, 1, 3);
    char *a = app_pool_get(&p), *b = app_pool_get(&p), *c = app_pool_get(&p);
    CHECK(a != NULL && b != NULL && c != NULL);
    CHECK(a != b && b != c && a != c);
    CHECK(p.slot_size >= sizeof(void *));
    CHECK(app_pool_get(&p) == NULL);
    app_pool_put(&p, b);
    app_pool_put(&p, NULL);              /* ignored */
    CHECK(app_pool_get(&p) == b);
    app_pool_fini(&p);
}

TEST(app_pool_zero_size_is_the_owners)
{
    struct app_pool p;

    app_pool_init(&p, 64, 8, 4);
    uint8_t *a = app_pool_get(&p);
    CHECK(a != NULL);
    if (a == NULL)
        return;
    memset(a, 0x5a, 64);
    app_pool_put(&p, a);
    uint8_t *b = app_pool_get(&p);
    CHECK(b == a);
    int zero = 0, kept = 0;
    for (int i = 0; i < 64; i++) {
        zero += b[i] == 0;
        kept += b[i] == 0x5a;
    }
    CHECK_EQ_INT(zero, 8);              /* the first 8 bytes only */
    CHECK_EQ_INT(kept, 56);
    app_pool_fini(&p);
}

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
